/*-------------------------------------------------------------------------
 *
 * ecs_image_fdw.h
 *		  Shared declarations of ecs_image_fdw.
 *
 * This header includes no libcurl, json-c or OpenSSL header: each of those
 * libraries is used by exactly one file (http.c, decode.c and sign.c), and
 * the types here are all the other files see of them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/ecs_image_fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_IMAGE_FDW_H
#define ECS_IMAGE_FDW_H

#include "compat.h"
#include "catalog.h"
#include "foreign/fdwapi.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "plan.h"
#include "sign.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* Largest response body we accept, in bytes */
#define ECS_MAX_RESPONSE_BYTES (64 * 1024 * 1024)

/* A pushed filter with its values for one execution */
typedef struct EcsFilter
{
	EcsFilterKind kind;
	char	   *param;			/* request parameter */
	List	   *values;			/* String nodes; key, value, ... for tags */
} EcsFilter;

/*
 * A list option that may instead name every item: the regions option
 * ("*") and image_owner_alias ("all")
 */
typedef struct EcsNameList
{
	bool		all;
	List	   *names;			/* char *; NIL with all */
} EcsNameList;

/*
 * The options that say where a user mapping's credentials come from
 * (credentials.h); only option.c, credentials.c and the request builders
 * see inside
 */
typedef struct EcsCredentialOptions EcsCredentialOptions;

/*
 * Every option that applies to one use of a server: the server's options,
 * the table's, and the calling role's credentials, merged and checked.
 */
typedef struct EcsConfig
{
	Oid			serverid;
	char	   *servername;

	/* server options */
	char	   *endpoint;		/* NULL: the official hosts (route.c) */
	char	   *oos_endpoint;	/* NULL: the official hosts, or derived */
	bool		network_vpc;	/* network 'vpc': the VPC hosts */
	char	   *connect_to;		/* "host:port" every connection goes to */
	EcsNameList regions;		/* region ids; all for "*" */
	int			signature_version;	/* 1 or 3 */
	int			max_concurrency;
	int			page_size;
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_retries;
	char	   *ca_file;		/* NULL: the system store */
	int			cache_ttl_s;
	bool		updatable;		/* the table's, else the server's */
	bool		async_capable;	/* the table's, else the server's */
	char	   *language;		/* AcceptLanguage of DescribeRegions */

	/* table options (defaults when there is no table) */
	EcsResource resource;
	EcsNameList owner_aliases;	/* image_owner_alias; all for "all" */

	/* user mapping options (and the server's role options) */
	EcsCredentialOptions *credentials;
} EcsConfig;

/* How an HTTP exchange ended */
typedef enum EcsTransportResult
{
	ECS_TRANSPORT_OK,			/* a response arrived (any status) */
	ECS_TRANSPORT_CONNECT,		/* could not connect or resolve */
	ECS_TRANSPORT_TIMEOUT,		/* connect or request timeout */
	ECS_TRANSPORT_TLS,			/* the TLS handshake failed */
	ECS_TRANSPORT_CERTIFICATE,	/* the server's certificate was refused: */
	ECS_TRANSPORT_CERT_UNTRUSTED,	/* ... no trusted CA signed it */
	ECS_TRANSPORT_CERT_HOST,	/* ... it does not name the host */
	ECS_TRANSPORT_BROKEN,		/* the connection broke before the end */
	ECS_TRANSPORT_TOO_LARGE,	/* response bigger than allowed */
	ECS_TRANSPORT_FAILED		/* any other transfer failure */
} EcsTransportResult;

/* One HTTP request, and its outcome once complete */
typedef struct EcsHttpRequest
{
	/* set by the caller; palloc'd in a context that outlives the request */
	const char *method;			/* "GET", "PUT"; NULL: POST */
	char	   *url;
	char	   *body;			/* NULL for an empty body */
	List	   *headers;		/* "Name: value" strings */
	void	   *owner;			/* for the caller */

	/* set by http.c when the request completes */
	EcsTransportResult result;
	long		status;			/* HTTP status; 0 if none arrived */
	char	   *response;		/* palloc'd, NUL-terminated */
	size_t		response_len;
	char		error[256];		/* libcurl's text for a transport failure */
} EcsHttpRequest;

/* Settings that shape every request of a batch */
typedef struct EcsHttpSettings
{
	const char *ca_file;
	const char *connect_to;		/* "host:port" instead of each URL's, or NULL */
	int			connect_timeout_ms;
	int			request_timeout_ms;
} EcsHttpSettings;

typedef struct EcsHttpBatch EcsHttpBatch;

/* The classification of one API response */
typedef enum EcsOutcome
{
	ECS_OUTCOME_OK,
	ECS_OUTCOME_RETRY,			/* throttled, 5xx or transport failure */
	ECS_OUTCOME_FAIL
} EcsOutcome;

/* What went wrong with an API call, for the error report */
typedef struct EcsApiError
{
	EcsTransportResult transport;
	long		http_status;
	char	   *code;			/* API error code, or NULL */
	char	   *message;		/* API message, or transport error text */
	char	   *request_id;
	bool		bad_body;		/* a 2xx response that could not be parsed */
} EcsApiError;

/* Which part of an API object a column shows */
typedef enum EcsFieldKind
{
	ECS_FIELD_SCALAR,			/* a scalar member, as text */
	ECS_FIELD_PERCENT,			/* "45%" becomes "45" */
	ECS_FIELD_JSON,				/* any member as JSON text, unwrapped */
	ECS_FIELD_TAGS,				/* Tags.Tag[] as a key-to-value object */
	ECS_FIELD_RAW,				/* the whole object as JSON text */
	ECS_FIELD_PARAM				/* a parameter of the request (RegionId) */
} EcsFieldKind;

typedef struct EcsField
{
	const char *name;			/* API member name */
	EcsFieldKind kind;
} EcsField;

/* One decoded page of a Describe* response */
typedef struct EcsPage
{
	int64		total_count;	/* -1 if the response has none */
	int			page_number;
	int			nrows;
	int			nfields;
	char	  **values;			/* nrows * nfields; NULL where absent */
	char	   *next_token;		/* for token-paged APIs, or NULL */
} EcsPage;

/* What to list, and how: the input of fanout.c */
typedef struct EcsListSpec
{
	EcsResource resource;		/* what is listed, for messages */
	const EcsResourceDef *def;	/* its action, members and paging */
	List	   *param_sets;		/* EcsParams *: one listing per set; NIL: one */
	List	   *regions;		/* region ids; NIL: every region */
	bool		lenient;		/* regions or ids came from the query: an
								 * unknown one lists nothing, no error */
	bool		per_own_image;	/* list the region's own images first, then
								 * one listing per image (ImageId=...) */
	const EcsField *fields;
	int			nfields;
	int64		limit;			/* rows the query is likely to want; -1 */
	bool		evented;		/* polled by an asynchronous scan */
	List	  **found_regions;	/* if not NULL, where the regions that
								 * DescribeRegions lists are kept (char *),
								 * allocated in found_cxt */
	MemoryContext found_cxt;
} EcsListSpec;

typedef struct EcsFanoutStats
{
	int64		requests;
	int64		pages;
	int64		retries;
	int64		throttled;		/* answers that were Throttling */
	int64		cache_hits;
} EcsFanoutStats;

typedef struct EcsFanout EcsFanout;

/* in ecs_image_fdw.c */
extern bool ecs_pushdown_enabled;

/* in option.c */
extern EcsConfig *ecs_option_config_for_server(Oid serverid, Oid userid);
extern EcsConfig *ecs_option_config_for_table(Oid foreigntableid, Oid userid);
extern char *ecs_option_column_field(Oid relid, int attnum);
extern List *ecs_option_split_list(const char *value);
extern bool ecs_valid_region_id(const char *s);
extern void ecs_check_region_id(const char *s);
extern bool ecs_option_bool(DefElem *def);
extern EcsResource ecs_option_resource(List *table_options);
extern EcsConfig *ecs_option_table_options(Oid foreigntableid);

/* in http.c */
extern void ecs_http_init(void);
extern EcsHttpBatch *ecs_http_batch_create(const EcsHttpSettings *settings);
extern void ecs_http_batch_set_evented(EcsHttpBatch *batch);
extern int	ecs_http_batch_event_fd(EcsHttpBatch *batch, long timeout_ms);
extern void ecs_http_batch_add(EcsHttpBatch *batch, EcsHttpRequest *req);
extern EcsHttpRequest *ecs_http_batch_wait(EcsHttpBatch *batch,
										   long timeout_ms);

/* in api.c */
extern EcsHttpRequest *ecs_api_build_request(const EcsConfig *config,
											 bool oos, const char *region,
											 const char *action,
											 const EcsParams *params);
extern EcsOutcome ecs_api_classify(const EcsHttpRequest *req,
								   EcsApiError *err);
extern bool ecs_api_code_is(const char *code, const char *prefix);
extern int	ecs_api_errcode(const EcsApiError *err);
extern int	ecs_api_errdetail(const EcsApiError *err);
extern int	ecs_api_errhint(const EcsApiError *err);
extern long ecs_api_backoff_ms(int attempt);
extern EcsHttpBatch *ecs_api_batch_create(const EcsConfig *config);
extern List *ecs_api_rpc_headers(const char *action, const char *version);
extern char *ecs_api_call(const EcsConfig *config, bool oos,
						  const char *region, const char *action,
						  const EcsParams *params, EcsApiError *err,
						  int *attempts);
typedef EcsHttpRequest *(*EcsRequestBuilder) (void *arg);
extern char *ecs_api_send(const EcsConfig *config, EcsRequestBuilder build,
						  void *arg, EcsApiError *err, int *attempts);
extern char *ecs_api_url(const char *endpoint, const char *path);
extern void ecs_api_sleep(long ms);

/* in credentials.c (the credentials themselves: credentials.h) */
extern char *ecs_credentials_identity(const EcsConfig *config);
extern char *ecs_credentials_account_id(const EcsConfig *config);

/* in fanout.c */
extern EcsFanout *ecs_fanout_begin(const EcsConfig *config,
								   const EcsListSpec *spec);
extern EcsPage *ecs_fanout_next_page(EcsFanout *fanout);
extern EcsPage *ecs_fanout_poll_page(EcsFanout *fanout, bool *done);
extern int	ecs_fanout_event_fd(EcsFanout *fanout);
extern const EcsFanoutStats *ecs_fanout_stats(EcsFanout *fanout);
extern void ecs_fanout_end(EcsFanout *fanout);

/* in route.c */
#define ECS_ROUTE_NFIELDS 2
extern const EcsField ecs_route_fields[ECS_ROUTE_NFIELDS];
extern char *ecs_route_endpoint(const EcsConfig *config, bool oos,
								const char *region);
extern bool ecs_route_region_known(const EcsConfig *config,
								   const char *region);
extern void ecs_route_learn(const EcsConfig *config, char **pairs, int n);
extern char *ecs_route_region_list(const EcsConfig *config);

/* in pushdown.c */
extern void ecs_pushdown_classify(EcsResource resource, Index relid,
								  char **const fields, int natts,
								  List *clauses, List **filters, List **exprs);
extern int	ecs_pushdown_clause_values(EcsResource resource, Index relid,
									   char **const fields, int natts,
									   Expr *clause, EcsFilterKind *kind,
									   const char **param);
extern List *ecs_pushdown_evaluate(List *filters, List *exprstates,
								   ExprContext *econtext, bool *no_rows);

/* in scan.c */
/* the scan and import callbacks */
extern void ecsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
extern void ecsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
							   Oid foreigntableid);
extern ForeignScan *ecsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid,
									  ForeignPath *best_path, List *tlist,
									  List *scan_clauses, Plan *outer_plan);
extern void ecsBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *ecsIterateForeignScan(ForeignScanState *node);
extern void ecsReScanForeignScan(ForeignScanState *node);
extern void ecsEndForeignScan(ForeignScanState *node);
extern void ecsExplainForeignScan(ForeignScanState *node, ExplainState *es);
extern List *ecsImportForeignSchema(ImportForeignSchemaStmt *stmt,
									Oid serverOid);
extern bool ecsIsForeignPathAsyncCapable(ForeignPath *path);
extern void ecsForeignAsyncRequest(AsyncRequest *areq);
extern void ecsForeignAsyncConfigureWait(AsyncRequest *areq);
extern void ecsForeignAsyncNotify(AsyncRequest *areq);
extern EcsResource ecs_scan_table_resource(Oid foreigntableid);
extern char *ecs_scan_column_field(Oid relid, int attnum, const char *attname);
extern bool ecs_scan_fetch_row(Relation rel, EcsConfig *config,
							   const char *region, const char *image_id,
							   const char *account, TupleTableSlot *slot);

/* in modify.c: the modification callbacks */
extern int	ecsIsForeignRelUpdatable(Relation rel);
extern void ecsAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
									   RangeTblEntry *target_rte,
									   Relation target_relation);
extern List *ecsPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
								  Index resultRelation, int subplan_index);
extern void ecsBeginForeignModify(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo, List *fdw_private,
								  int subplan_index, int eflags);
extern TupleTableSlot *ecsExecForeignInsert(EState *estate,
											ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern TupleTableSlot *ecsExecForeignUpdate(EState *estate,
											ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern TupleTableSlot *ecsExecForeignDelete(EState *estate,
											ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
extern void ecsEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void ecsBeginForeignInsert(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo);
extern void ecsEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern void ecsExplainForeignModify(ModifyTableState *mtstate,
									ResultRelInfo *rinfo, List *fdw_private,
									int subplan_index, ExplainState *es);

/* in cache.c */
extern bool ecs_cache_lookup(const EcsConfig *config, const char *action,
							 const EcsParams *params, char **body,
							 size_t *len);
extern void ecs_cache_store(const EcsConfig *config, const char *action,
							const EcsParams *params, const char *body,
							size_t len);
extern int64 ecs_cache_invalidate(Oid serverid, const char *region);

/* in decode.c */
extern bool ecs_decode_error(const char *body, size_t len,
							 EcsApiError *err);
extern char *ecs_decode_id(const char *body, size_t len, const char *path);
extern bool ecs_decode_object(const char *body, size_t len,
							  const char *const *paths, int npaths,
							  char **values);

/* in page.c */
extern bool ecs_decode_page(const char *body, size_t len,
							const char *list_name, const char *item_name,
							const char *key_name,
							const EcsField *fields, int nfields,
							const EcsParams *request, EcsPage *page);

/* in wait.c */

/*
 * What ecs_wait waits for.  poll asks the API once, in a memory context of
 * its own that the next poll resets: it returns true when the thing is done,
 * with *state set to the result, or false with *state set to what the thing
 * is now (a status, perhaps with progress); it raises the ERROR when the
 * thing failed.  report raises the NOTICE for a new state, or with expired
 * the ERROR of the timeout (then it must not return).
 */
typedef struct EcsWaitProbe
{
	bool		(*poll) (void *arg, char **state);
	void		(*report) (void *arg, const char *state, bool expired);
	void	   *arg;
} EcsWaitProbe;

extern char *ecs_wait(const EcsWaitProbe *probe, long timeout_ms);

/* What a backend waits on, as pg_stat_activity shows it */
typedef enum EcsWaitEvent
{
	ECS_WAIT_NETWORK,			/* an answer from the API */
	ECS_WAIT_PAUSE				/* the pause before a retry or a poll */
} EcsWaitEvent;

extern uint32 ecs_wait_event(EcsWaitEvent which);

#endif							/* ECS_IMAGE_FDW_H */

/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  Planning and executing scans of the foreign tables, EXPLAIN, and
 *		  IMPORT FOREIGN SCHEMA.
 *
 * Each foreign table shows one resource.  Only the columns a query uses are
 * decoded; each is read from an API field (the column's "field" option, or
 * its name in CamelCase) and converted with the column type's input
 * function, so the table definition decides the SQL types.  Rows stream out
 * page by page as fanout.c receives them.
 *
 * WHERE clauses that pushdown.c recognises become API filters; the values
 * are evaluated when the scan starts (or restarts, for the inner side of a
 * parameterized nested loop), and plan.c turns them into the regions and
 * parameter sets of the listing.  Every clause is also checked locally.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/execAsync.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ecs_image_fdw.h"

/* Planner cost of one API request, in seq_page_cost units */
#define REQUEST_COST 50.0

/* What the planner hands the executor in ForeignScan.fdw_private */
enum FdwScanPrivateIndex
{
	FdwScanPrivateRetrievedAttrs,	/* Integer list of attnums to fill */
	FdwScanPrivateFilters,		/* pushed filters; values in fdw_exprs */
	FdwScanPrivateLimit			/* Integer: rows the query likely wants */
};

/* Planner state, in baserel->fdw_private */
typedef struct EcsPlanState
{
	EcsResource resource;
	int			natts;
	char	  **fields;			/* API field of each column, by attnum - 1 */
	bool		async_capable;	/* may run as an Append's async child */
	int			nregions;		/* of the regions option; 0 for "*" */
} EcsPlanState;

/* What the planner assumes of an account whose regions are "*" */
#define ESTIMATED_REGIONS 8

/* How to turn one API field into one column */
typedef struct ColumnState
{
	int			attnum;			/* 1-based */
	bool		is_string;		/* an empty string stays a value */
	bool		is_time;		/* the API's ISO 8601 form only */
	bool		is_account;		/* the account of the server's credentials */
	FmgrInfo	input;
	Oid			ioparam;
	int32		typmod;
	const char *name;
} ColumnState;

/* Execution state of a scan */
typedef struct EcsScanState
{
	EcsConfig  *config;
	const EcsResourceDef *def;
	EcsListSpec spec;
	ColumnState *columns;		/* one per column field of spec */
	int			ncolumns;
	List	   *filter_descs;	/* from the plan */
	List	   *filter_states;	/* ExprStates of their values */
	bool		deferred;		/* values need executor params */
	bool		built;			/* regions and parameter sets are set */
	EcsPlan    *plan;			/* the listing of this execution, once built */
	bool		no_rows;		/* the filters match nothing */
	bool		need_account;	/* the account column is read */
	char	   *account_id;		/* of the credentials, once asked */
	MemoryContext cxt;			/* the listing's parent */
	MemoryContext plan_cxt;		/* the filters' values and the requests of
								 * one execution: reset when a rescan
								 * changes them */
	MemoryContext row_cxt;		/* reset for each row */
	EcsFanout  *fanout;			/* NULL until the first row is asked for */
	bool		async;			/* run by an Append's async requests */
	bool		waiting;		/* the last row asked for is not there yet */
	EcsFanoutStats stats;		/* of listings finished by a rescan */
	List	   *all_regions;	/* what DescribeRegions listed (char *), so
								 * that a rescan does not ask again */
	bool		regions_listed; /* spec.regions came from all_regions */
	EcsPage    *page;
	int			row;			/* next row of page */
	const char *relname;
	int			errcolumn;		/* for the error context callback */
} EcsScanState;

static void produce_row(AsyncRequest *areq);

static double estimate_requests(RelOptInfo *baserel, List *clauses,
								bool first_scan);
static char *import_columns(EcsResource resource);
static void init_columns(EcsScanState *state, Relation rel,
						 List *retrieved_attrs);
static bool has_exec_param(Node *node, void *context);
static void build_requests(EcsScanState *state, ExprContext *econtext);
static EcsPlanInput *plan_input(EcsConfig *config, List *filters);
static const char **string_array(List *list, bool nodes, int *n);
static void conversion_error_callback(void *arg);
static bool is_api_time(const char *s);
static void store_row(EcsScanState *state, char **row, TupleTableSlot *slot);
static bool among(const char *s, const char *const *values, int n);
static bool row_in_scope(EcsScanState *state, char **row);
static bool account_matches(EcsScanState *state);
static void accumulate_stats(EcsScanState *state);

/*
 * ecs_scan_table_resource
 *		The resource option of a foreign table (validated already).
 */
EcsResource
ecs_scan_table_resource(Oid foreigntableid)
{
	return ecs_option_resource(GetForeignTable(foreigntableid)->options);
}

/*
 * ecs_scan_column_field
 *		The API field a column reads: its "field" option, or its name in
 *		CamelCase.
 */
char *
ecs_scan_column_field(Oid relid, int attnum, const char *attname)
{
	char	   *option = ecs_option_column_field(relid, attnum);

	if (option != NULL)
		return option;
	return ecs_catalog_default_field(ecs_scan_table_resource(relid), attname);
}

/*
 * ecsGetForeignRelSize
 *		Record the resource and the API field of each column, and estimate
 *		the rows.  Asking the API would cost requests, so the estimate is a
 *		fixed guess per resource, narrowed by the usual selectivities.
 */
void
ecsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	EcsPlanState *plan = palloc0(sizeof(EcsPlanState));
	EcsConfig  *options = ecs_option_table_options(foreigntableid);
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Relation	rel = table_open(rte->relid, NoLock);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	plan->resource = options->resource;
	plan->async_capable = options->async_capable;
	plan->natts = tupdesc->natts;
	plan->fields = palloc0(sizeof(char *) * Max(1, tupdesc->natts));
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped)
			plan->fields[i] = ecs_scan_column_field(foreigntableid, i + 1,
										   NameStr(att->attname));
	}
	table_close(rel, NoLock);
	plan->nregions = options->regions.all ? 0 :
		list_length(options->regions.names);
	baserel->fdw_private = plan;

	baserel->rows = clamp_row_est(ecs_resources[plan->resource].rows *
								  clauselist_selectivity(root,
														 baserel->baserestrictinfo,
														 0, JOIN_INNER, NULL));
}

/* State of ec_member_matches while looking through equivalence classes */
typedef struct EcMemberArg
{
	Expr	   *current;		/* the member being processed */
	List	   *already_used;	/* members processed before */
} EcMemberArg;

/*
 * ec_member_matches
 *		generate_implied_equalities_for_column callback: take one of the
 *		relation's members at a time (as postgres_fdw does).
 */
static bool
ec_member_matches(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				  EquivalenceMember *em, void *arg)
{
	EcMemberArg *state = (EcMemberArg *) arg;

	if (state->current != NULL)
		return equal(em->em_expr, state->current);
	if (list_member(state->already_used, em->em_expr))
		return false;
	state->current = em->em_expr;
	return true;
}

/*
 * estimate_requests
 *		The requests a listing takes under the pushed clauses among clauses
 *		(RestrictInfos): one per region asked (those a clause names, the
 *		regions option's, or an estimate of the account's) and combination
 *		of one-request-per-value filters, and for a full listing of a region
 *		its pages; with first_scan, DescribeRegions too when the regions are
 *		not known.  Permissions without image ids first list own images.
 */
static double
estimate_requests(RelOptInfo *baserel, List *clauses, bool first_scan)
{
	EcsPlanState *plan = (EcsPlanState *) baserel->fdw_private;
	const EcsResourceDef *def = &ecs_resources[plan->resource];
	double		regions = plan->nregions > 0 ? plan->nregions : ESTIMATED_REGIONS;
	bool		regions_known = plan->nregions > 0;
	double		combinations = 1;
	bool		narrowed = false;
	bool		by_image = false;
	double		requests;
	ListCell   *lc;

	if (!def->per_region)
		return 1;
	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		EcsFilterKind kind;
		const char *param;
		int			n = ecs_pushdown_clause_values(plan->resource, baserel->relid,
												   plan->fields, plan->natts,
												   rinfo->clause, &kind, &param);

		if (n == 0 || ecs_plan_stays_local(plan->resource, kind, param, n))
			continue;			/* not pushed, or left local (plan.c) */
		switch (kind)
		{
			case ECS_FILTER_REGION:
				regions = regions_known ? Min(regions, n) : n;
				regions_known = true;
				break;
			case ECS_FILTER_EACH:
				combinations *= n;
				narrowed = true;
				by_image = true;	/* permissions have only ImageId */
				break;
			case ECS_FILTER_LIST:
			case ECS_FILTER_JSON_LIST:
			case ECS_FILTER_TAGS:
				narrowed = true;
				break;
			case ECS_FILTER_OWNER:
			case ECS_FILTER_ACCOUNT:	/* all requests, or none */
				break;
		}
	}
	combinations = Min(combinations, ECS_MAX_PARAM_SETS);
	requests = regions * combinations;
	if (!narrowed)
		requests *= Max(1.0, ceil(def->rows / ESTIMATED_REGIONS / 100.0));
	if (plan->resource == ECS_RESOURCE_SHARE_PERMISSIONS && !by_image)
		requests += regions * ecs_resources[ECS_RESOURCE_IMAGES].rows /
			ESTIMATED_REGIONS / 10;
	if (first_scan && !regions_known)
		requests += 1;
	return requests;
}

/*
 * ecsGetForeignPaths
 *		The whole listing, and for joins a parameterized path per set of
 *		outer relations whose values can become API filters, so that the
 *		inner side is fetched per outer row instead of whole.
 */
void
ecsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
				   Oid foreigntableid)
{
	EcsPlanState *plan = (EcsPlanState *) baserel->fdw_private;
	List	   *candidates;
	List	   *outer_sets = NIL;
	ListCell   *lc;
	double		requests;

	requests = estimate_requests(baserel, baserel->baserestrictinfo, true);
	add_path(baserel, (Path *)
			 ecs_create_foreignscan_path(root, baserel, NULL, baserel->rows,
										 REQUEST_COST,
										 REQUEST_COST * requests +
										 baserel->rows * cpu_tuple_cost,
										 NIL, NULL, NULL, NIL, NIL));

	/* join clauses, and those implied by equivalence classes (USING) */
	candidates = list_copy(baserel->joininfo);
	if (baserel->has_eclass_joins)
	{
		EcMemberArg arg = {NULL, NIL};

		for (;;)
		{
			List	   *implied;

			arg.current = NULL;
			implied = generate_implied_equalities_for_column(root, baserel,
															 ec_member_matches,
															 &arg,
															 baserel->lateral_referencers);
			if (arg.current == NULL)
				break;
			candidates = list_concat(candidates, implied);
			arg.already_used = lappend(arg.already_used, arg.current);
		}
	}

	foreach(lc, candidates)
	{
		RestrictInfo *rinfo = lfirst(lc);
		Relids		outer;
		ListCell   *prev;
		bool		seen = false;

		EcsFilterKind kind;
		const char *param;

		if (!join_clause_is_movable_to(rinfo, baserel) ||
			ecs_pushdown_clause_values(plan->resource, baserel->relid,
									   plan->fields, plan->natts,
									   rinfo->clause, &kind, &param) == 0)
			continue;
		outer = bms_difference(rinfo->clause_relids, baserel->relids);
		if (bms_is_empty(outer))
			continue;
		foreach(prev, outer_sets)
		{
			if (bms_equal(lfirst(prev), outer))
				seen = true;
		}
		if (!seen)
			outer_sets = lappend(outer_sets, outer);
	}

	foreach(lc, outer_sets)
	{
		Relids		outer = lfirst(lc);
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, outer);

		/*
		 * Each outer row restarts the listing with its values: a request per
		 * region it asks and combination of values (DescribeRegions only
		 * once per scan, so not counted here).
		 */
		requests = estimate_requests(baserel,
									 list_concat_copy(baserel->baserestrictinfo,
													  ppi->ppi_clauses),
									 false);
		add_path(baserel, (Path *)
				 ecs_create_foreignscan_path(root, baserel, NULL, ppi->ppi_rows,
											 REQUEST_COST,
											 REQUEST_COST * requests +
											 ppi->ppi_rows * cpu_tuple_cost,
											 NIL, outer, NULL, NIL, NIL));
	}
}

/*
 * ecsGetForeignPlan
 *		Every qual is checked locally; those that map onto API filters are
 *		also handed to the executor.  The plan records which columns the
 *		query needs, so only those are decoded, and how many rows it likely
 *		wants, so a LIMIT saves requests.
 */
ForeignScan *
ecsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	EcsPlanState *plan = (EcsPlanState *) baserel->fdw_private;
	Bitmapset  *attrs = NULL;
	List	   *retrieved_attrs = NIL;
	List	   *filters = NIL;
	List	   *exprs = NIL;
	List	   *local = extract_actual_clauses(scan_clauses, false);
	int64		limit = -1;
	int			i;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	pull_varattnos((Node *) local, baserel->relid, &attrs);

	/* a whole-row reference needs every column */
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs))
	{
		for (i = 1; i <= plan->natts; i++)
		{
			if (plan->fields[i - 1] != NULL)
				retrieved_attrs = lappend_int(retrieved_attrs, i);
		}
	}
	else
	{
		i = -1;
		while ((i = bms_next_member(attrs, i)) >= 0)
		{
			int			attnum = i + FirstLowInvalidHeapAttributeNumber;

			if (attnum > 0)
				retrieved_attrs = lappend_int(retrieved_attrs, attnum);
		}
	}

	ecs_pushdown_classify(plan->resource, baserel->relid, plan->fields,
						  plan->natts, local, &filters, &exprs);

	/*
	 * When the parent does not care, the planner hands a tlist of every
	 * column; what the scan outputs is only what the query uses (so EXPLAIN
	 * VERBOSE shows what is read).
	 */
	if (list_length(tlist) > list_length(best_path->path.pathtarget->exprs))
	{
		PathTarget *target = best_path->path.pathtarget;
		ListCell   *lc;

		tlist = NIL;
		foreach(lc, target->exprs)
		{
			TargetEntry *tle = makeTargetEntry(lfirst(lc),
											   list_length(tlist) + 1,
											   NULL, false);

			if (target->sortgrouprefs)
				tle->ressortgroupref = target->sortgrouprefs[foreach_current_index(lc)];
			tlist = lappend(tlist, tle);
		}
	}

	/*
	 * A LIMIT helps only when this scan is all the query reads and nothing
	 * has to see every row first (a sort, or aggregation, which already
	 * leaves limit_tuples unset).
	 */
	if (ecs_pushdown_enabled &&
		root->limit_tuples > 0 && root->sort_pathkeys == NIL &&
		bms_membership(root->all_baserels) == BMS_SINGLETON &&
		best_path->path.param_info == NULL)
		limit = (int64) root->limit_tuples;

	return make_foreignscan(tlist, local, baserel->relid, exprs,
							list_make3(retrieved_attrs, filters,
									   makeInteger((int) Min(limit, PG_INT32_MAX))),
							NIL, NIL, outer_plan);
}

/*
 * init_columns
 *		Set up the fields to decode and the conversion of each.  The spec's
 *		fields are the columns', with room for one more after them that a
 *		listing may need (the plan's extra field).
 */
static void
init_columns(EcsScanState *state, Relation rel, List *retrieved_attrs)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			n = list_length(retrieved_attrs);
	EcsField   *fields = palloc0(sizeof(EcsField) * (n + 1));
	ListCell   *lc;
	int			i = 0;

	state->columns = palloc0(sizeof(ColumnState) * Max(n, 1));
	foreach(lc, retrieved_attrs)
	{
		int			attnum = lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
		ColumnState *col = &state->columns[i];
		EcsField   *field = &fields[i];
		Oid			typinput;

		col->attnum = attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->typmod = att->atttypmod;
		getTypeInputInfo(att->atttypid, &typinput, &col->ioparam);
		fmgr_info(typinput, &col->input);
		col->is_string = (att->atttypid == TEXTOID ||
						  att->atttypid == VARCHAROID ||
						  att->atttypid == BPCHAROID ||
						  att->atttypid == NAMEOID);
		col->is_time = (att->atttypid == TIMESTAMPTZOID ||
						att->atttypid == TIMESTAMPOID ||
						att->atttypid == DATEOID);

		field->name = ecs_scan_column_field(RelationGetRelid(rel), attnum, col->name);
		if (strcmp(field->name, "*") == 0)
			field->kind = ECS_FIELD_RAW;
		else if (strcmp(field->name, ECS_ACCOUNT_FIELD) == 0)
		{
			/* filled in by store_row; the decoder finds no such parameter */
			field->kind = ECS_FIELD_PARAM;
			col->is_account = true;
			state->need_account = true;
		}
		else if (ecs_catalog_word(state->def->request_fields, field->name) >= 0)
			field->kind = ECS_FIELD_PARAM;
		else if (strcmp(field->name, "Tags") == 0)
			field->kind = ECS_FIELD_TAGS;
		else if (att->atttypid == JSONBOID || att->atttypid == JSONOID)
			field->kind = ECS_FIELD_JSON;
		else if (att->atttypid == INT2OID || att->atttypid == INT4OID ||
				 att->atttypid == INT8OID || att->atttypid == NUMERICOID ||
				 att->atttypid == FLOAT4OID || att->atttypid == FLOAT8OID)
			field->kind = ECS_FIELD_PERCENT;
		else
			field->kind = ECS_FIELD_SCALAR;
		i++;
	}
	state->ncolumns = n;
	fields[n].kind = ECS_FIELD_SCALAR;
	state->spec.fields = fields;
	state->spec.nfields = n;
}

/*
 * has_exec_param
 *		Whether an expression needs a value from the executor (the outer
 *		row of a nested loop), so it can only be evaluated once running.
 */
static bool
has_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, has_exec_param, context);
}

/*
 * ecsBeginForeignScan
 *		Resolve options and credentials, prepare the conversions and, if
 *		possible, the requests; none is sent before the first row is asked
 *		for.
 */
void
ecsBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	Oid			userid;
	EcsScanState *state;

	state = palloc0(sizeof(EcsScanState));
	state->errcolumn = -1;
	node->fdw_state = state;

	userid = ecs_scan_user(fsplan, estate);
	state->config = ecs_option_config_for_table(RelationGetRelid(rel), userid);
	state->relname = pstrdup(RelationGetRelationName(rel));
	state->def = &ecs_resources[state->config->resource];

	state->spec.resource = state->config->resource;
	state->spec.def = state->def;
	state->spec.limit = intVal(list_nth(fsplan->fdw_private,
										FdwScanPrivateLimit));

	init_columns(state, rel,
				 (List *) list_nth(fsplan->fdw_private,
								   FdwScanPrivateRetrievedAttrs));
	state->filter_descs = (List *) list_nth(fsplan->fdw_private,
											FdwScanPrivateFilters);
	state->filter_states = ExecInitExprList(fsplan->fdw_exprs,
											(PlanState *) node);
	state->deferred = has_exec_param((Node *) fsplan->fdw_exprs, NULL);

	state->cxt = AllocSetContextCreate(estate->es_query_cxt,
									   "ecs_image_fdw scan",
									   ALLOCSET_DEFAULT_SIZES);
	state->plan_cxt = AllocSetContextCreate(state->cxt,
											"ecs_image_fdw plan",
											ALLOCSET_DEFAULT_SIZES);
	state->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "ecs_image_fdw row",
										   ALLOCSET_SMALL_SIZES);
	if (!state->deferred)
		build_requests(state, node->ss.ps.ps_ExprContext);
	(void) eflags;
}

/*
 * string_array
 *		The strings of list, char * or with nodes String nodes, as an array
 *		of *n.
 */
static const char **
string_array(List *list, bool nodes, int *n)
{
	const char **result = palloc(sizeof(char *) * Max(1, list_length(list)));
	ListCell   *lc;

	foreach(lc, list)
		result[foreach_current_index(lc)] = nodes ? strVal(lfirst(lc)) :
			(const char *) lfirst(lc);
	*n = list_length(list);
	return result;
}

/*
 * plan_input
 *		What the listing is planned from: the table's regions and owner
 *		aliases, and the values of the pushed filters (EcsFilter).
 */
static EcsPlanInput *
plan_input(EcsConfig *config, List *filters)
{
	EcsPlanInput *input = palloc0(sizeof(EcsPlanInput));
	EcsPlanFilter *f = palloc0(sizeof(EcsPlanFilter) *
							   Max(1, list_length(filters)));
	ListCell   *lc;

	input->resource = config->resource;
	if (!config->regions.all)
		input->regions = string_array(config->regions.names, false,
									  &input->nregions);
	if (!config->owner_aliases.all)
		input->aliases = string_array(config->owner_aliases.names, false,
									  &input->naliases);
	foreach(lc, filters)
	{
		EcsFilter  *filter = lfirst(lc);
		EcsPlanFilter *to = &f[foreach_current_index(lc)];

		to->kind = filter->kind;
		to->param = filter->param;
		to->values = string_array(filter->values, true, &to->nvalues);
	}
	input->filters = f;
	input->nfilters = list_length(filters);
	return input;
}

/*
 * build_requests
 *		Evaluate the pushed filters and plan the listing of this execution
 *		(plan.c): its regions, parameter sets and the checks of its rows,
 *		in the plan context, which a rescan with new values resets.
 */
static void
build_requests(EcsScanState *state, ExprContext *econtext)
{
	MemoryContext old = MemoryContextSwitchTo(state->plan_cxt);
	EcsPlan    *plan;
	List	   *filters;
	bool		no_rows;
	int			i;

	filters = ecs_pushdown_evaluate(state->filter_descs, state->filter_states,
									econtext, &no_rows);
	plan = ecs_plan_build(plan_input(state->config, filters));
	state->plan = plan;
	state->built = true;
	state->no_rows = no_rows || plan->no_rows;
	state->spec.lenient = plan->lenient;
	state->spec.per_own_image = plan->per_own_image;
	state->spec.nfields = state->ncolumns;
	if (plan->extra_field != NULL)
	{
		((EcsField *) state->spec.fields)[state->ncolumns].name = plan->extra_field;
		state->spec.nfields++;
	}
	state->spec.regions = NIL;
	state->regions_listed = false;
	for (i = 0; i < plan->nregions; i++)
		state->spec.regions = lappend(state->spec.regions,
									  (char *) plan->regions[i]);
	state->spec.param_sets = NIL;
	for (i = 0; i < plan->nparam_sets; i++)
		state->spec.param_sets = lappend(state->spec.param_sets,
										 &plan->param_sets[i]);
	MemoryContextSwitchTo(old);
}

/*
 * conversion_error_callback
 *		Name the column and table when a value fails to convert.
 */
static void
conversion_error_callback(void *arg)
{
	EcsScanState *state = (EcsScanState *) arg;

	if (state->errcolumn >= 0)
		errcontext("column \"%s\" of foreign table \"%s\"",
				   state->columns[state->errcolumn].name, state->relname);
}

/*
 * among
 *		Whether s is one of the n strings of values.
 */
static bool
among(const char *s, const char *const *values, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (strcmp(values[i], s) == 0)
			return true;
	}
	return false;
}

/*
 * row_in_scope
 *		Whether a row has one of the owner aliases the table shows, when a
 *		lookup asked for any alias.
 */
static bool
row_in_scope(EcsScanState *state, char **row)
{
	const char *alias = row ? row[state->ncolumns] : NULL;

	return state->plan->nalias_check == 0 ||
		(alias != NULL && among(alias, state->plan->alias_check,
								state->plan->nalias_check));
}

/*
 * account_matches
 *		Whether the server's account can have rows the query wants: ask for
 *		the account id (once per backend and credentials) if the query reads
 *		it or has a condition on it, and check it against the condition.  A
 *		server whose account does not match lists nothing.
 */
static bool
account_matches(EcsScanState *state)
{
	if (!state->need_account && state->plan->naccounts == 0)
		return true;
	if (state->account_id == NULL)
		state->account_id = MemoryContextStrdup(state->cxt,
												ecs_credentials_account_id(state->config));
	return state->plan->naccounts == 0 ||
		among(state->account_id, state->plan->accounts,
			  state->plan->naccounts);
}

/*
 * ecsIterateForeignScan
 *		The next row, from the current page or the next one to arrive.
 */
TupleTableSlot *
ecsIterateForeignScan(ForeignScanState *node)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext old;
	char	  **row;

	ExecClearTuple(slot);
	state->waiting = false;

	if (!state->built)
		build_requests(state, node->ss.ps.ps_ExprContext);
	if (state->no_rows)
		return slot;
	if (state->fanout == NULL && !account_matches(state))
	{
		state->no_rows = true;
		return slot;
	}
	if (state->fanout == NULL)
	{
		/* DescribeRegions once per scan, however often it restarts */
		state->spec.found_regions = &state->all_regions;
		state->spec.found_cxt = GetMemoryChunkContext(state);
		if (state->def->per_region && state->spec.regions == NIL &&
			state->all_regions != NIL)
		{
			state->spec.regions = state->all_regions;
			state->regions_listed = true;
		}
		old = MemoryContextSwitchTo(state->cxt);
		state->spec.evented = state->async;
		state->fanout = ecs_fanout_begin(state->config, &state->spec);
		MemoryContextSwitchTo(old);
	}
	do
	{
		while (state->page == NULL || state->row >= state->page->nrows)
		{
			bool		done = true;

			if (state->async)
				state->page = ecs_fanout_poll_page(state->fanout, &done);
			else
				state->page = ecs_fanout_next_page(state->fanout);
			state->row = 0;
			if (state->page == NULL)
			{
				/* an async scan comes back when the fanout moves on */
				state->waiting = !done;
				return slot;
			}
		}
		row = state->page->values ?
			state->page->values + (size_t) state->row * state->spec.nfields :
			NULL;
		state->row++;
	} while (!row_in_scope(state, row));

	MemoryContextReset(state->row_cxt);
	old = MemoryContextSwitchTo(state->row_cxt);
	store_row(state, row, slot);
	MemoryContextSwitchTo(old);
	return slot;
}

/*
 * is_api_time
 *		Whether s is a time as the API writes it: yyyy-MM-ddTHH:mm, then
 *		optionally :ss and a fraction, then Z or an offset.  Anything else
 *		(PostgreSQL would read "yesterday" or "epoch") is refused.
 */
static bool
is_api_time(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd";
	int			i;

	for (i = 0; form[i]; i++)
	{
		if (form[i] == 'd' ? !isdigit((unsigned char) s[i]) : s[i] != form[i])
			return false;
	}
	s += i;
	if (s[0] == ':' && isdigit((unsigned char) s[1]) && isdigit((unsigned char) s[2]))
	{
		s += 3;
		if (*s == '.')
		{
			s++;
			if (!isdigit((unsigned char) *s))
				return false;
			while (isdigit((unsigned char) *s))
				s++;
		}
	}
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return false;
	s++;
	return strspn(s, "0123456789:") == strlen(s) && strlen(s) >= 2 &&
		strlen(s) <= 5;
}

/*
 * store_row
 *		Convert the fields of a decoded row into the slot's columns, in
 *		CurrentMemoryContext, and store the slot.
 */
static void
store_row(EcsScanState *state, char **row, TupleTableSlot *slot)
{
	ErrorContextCallback errcallback;
	int			i;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);

	errcallback.callback = conversion_error_callback;
	errcallback.arg = state;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	for (i = 0; i < state->ncolumns; i++)
	{
		ColumnState *col = &state->columns[i];
		char	   *value = col->is_account ? state->account_id :
			row ? row[i] : NULL;

		if (value == NULL || (value[0] == '\0' && !col->is_string))
			continue;
		state->errcolumn = i;
		if (col->is_time && !is_api_time(value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
					 errmsg("invalid time \"%s\" in the API's answer", value),
					 errhint("The API gives times as yyyy-MM-ddTHH:mm:ssZ.")));
		slot->tts_values[col->attnum - 1] =
			InputFunctionCall(&col->input, value, col->ioparam, col->typmod);
		slot->tts_isnull[col->attnum - 1] = false;
	}
	state->errcolumn = -1;
	error_context_stack = errcallback.previous;
	ExecStoreVirtualTuple(slot);
}

/*
 * ecs_scan_fetch_row
 *		Read one row of a foreign table into slot, every column filled and
 *		the slot materialized (for RETURNING of writes): the image, or with
 *		account, the image's share permission for that account.  Returns
 *		false if it is not there.
 */
bool
ecs_scan_fetch_row(Relation rel, EcsConfig *config, const char *region,
				   const char *image_id, const char *account,
				   TupleTableSlot *slot)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "ecs_image_fdw fetch",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	EcsScanState state = {0};
	EcsParams  *params = palloc0(sizeof(EcsParams));
	List	   *attrs = NIL;
	EcsFanout  *fanout;
	EcsPage    *page;
	bool		found = false;
	int			i;

	state.config = config;
	state.def = &ecs_resources[account ? ECS_RESOURCE_SHARE_PERMISSIONS :
						   ECS_RESOURCE_IMAGES];
	state.relname = RelationGetRelationName(rel);
	state.errcolumn = -1;
	for (i = 1; i <= RelationGetNumberOfAttributes(rel); i++)
	{
		if (!TupleDescAttr(RelationGetDescr(rel), i - 1)->attisdropped)
			attrs = lappend_int(attrs, i);
	}
	init_columns(&state, rel, attrs);
	if (state.need_account)
		state.account_id = ecs_credentials_account_id(config);
	state.spec.resource = ECS_RESOURCE_IMAGES;
	state.spec.def = state.def;	/* per region, paged by number */
	state.spec.limit = -1;
	state.spec.regions = list_make1(pstrdup(region));
	ecs_params_add(params, "ImageId", image_id);
	if (account == NULL)
		ecs_params_add(params, "Status", ECS_ALL_IMAGE_STATUSES);
	else
	{
		/* the extra field after the columns: the account of each row */
		((EcsField *) state.spec.fields)[state.ncolumns].name = "AliyunId";
		state.spec.nfields = state.ncolumns + 1;
	}
	state.spec.param_sets = list_make1(params);

	fanout = ecs_fanout_begin(config, &state.spec);
	while (!found && (page = ecs_fanout_next_page(fanout)) != NULL)
	{
		for (i = 0; i < page->nrows && !found; i++)
		{
			char	  **row = page->values + i * page->nfields;

			if (account != NULL &&
				(row[state.ncolumns] == NULL ||
				 strcmp(row[state.ncolumns], account) != 0))
				continue;
			store_row(&state, row, slot);
			ExecMaterializeSlot(slot);
			found = true;
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return found;
}

/*
 * accumulate_stats
 *		Add the counts of the current listing to the scan's totals.
 */
static void
accumulate_stats(EcsScanState *state)
{
	if (state->fanout != NULL)
	{
		const EcsFanoutStats *s = ecs_fanout_stats(state->fanout);

		state->stats.requests += s->requests;
		state->stats.pages += s->pages;
		state->stats.retries += s->retries;
		state->stats.throttled += s->throttled;
		state->stats.cache_hits += s->cache_hits;
	}
}

/*
 * ecsReScanForeignScan
 *		Start over; with executor parameters, the filters change too, and
 *		the requests of the last execution are let go (the next row asked
 *		for builds them again).
 */
void
ecsReScanForeignScan(ForeignScanState *node)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;

	accumulate_stats(state);
	if (state->fanout != NULL)
		ecs_fanout_end(state->fanout);
	state->fanout = NULL;
	state->page = NULL;
	state->row = 0;
	if (state->deferred)
	{
		state->built = false;
		state->plan = NULL;
		MemoryContextReset(state->plan_cxt);
	}
}

/*
 * ecsEndForeignScan
 *		Release the listing; requests still in flight are aborted.
 */
void
ecsEndForeignScan(ForeignScanState *node)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;

	if (state == NULL)
		return;
	MemoryContextDelete(state->cxt);
	state->fanout = NULL;
}

/*
 * ecsExplainForeignScan
 *		Show the action, the regions, the API filters and the limit; with
 *		ANALYZE, the requests, pages and retries it took.
 */
void
ecsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;

	ExplainPropertyText("ECS Action", state->def->action, es);
	if (es->verbose)
	{
		if (!state->def->per_region)
			ExplainPropertyText("ECS Regions", "(not regional)", es);
		else if (state->deferred)
			ExplainPropertyText("ECS Regions", "set for each outer row", es);
		else if (state->no_rows)
			ExplainPropertyText("ECS Regions", "none: the conditions match nothing", es);
		else if (state->spec.regions == NIL || state->regions_listed)
			ExplainPropertyText("ECS Regions", "all of the account", es);
		else
		{
			StringInfoData buf;
			ListCell   *lc;

			initStringInfo(&buf);
			foreach(lc, state->spec.regions)
				appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
								 (char *) lfirst(lc));
			ExplainPropertyText("ECS Regions", buf.data, es);
		}
		if (state->deferred)
		{
			StringInfoData buf;
			ListCell   *lc;

			initStringInfo(&buf);
			foreach(lc, state->filter_descs)
				appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
								 strVal(lsecond((List *) lfirst(lc))));
			ExplainPropertyText("ECS Filters from each outer row", buf.data, es);
		}
		else if (!state->no_rows && state->plan->explain[0] != '\0')
			ExplainPropertyText("ECS Filters", state->plan->explain, es);
		if (!state->deferred && state->plan->explain_accounts != NULL)
			ExplainPropertyText("ECS Account Filter",
								state->plan->explain_accounts, es);
		if (state->spec.per_own_image && !state->deferred)
			ExplainPropertyText("ECS Images", "every own image of each region", es);
		if (state->spec.limit > 0)
			ExplainPropertyInteger("ECS Limit", NULL, state->spec.limit, es);
	}
	if (es->analyze)
	{
		EcsFanoutStats total = state->stats;

		if (state->fanout != NULL)
		{
			const EcsFanoutStats *s = ecs_fanout_stats(state->fanout);

			total.requests += s->requests;
			total.pages += s->pages;
			total.retries += s->retries;
			total.throttled += s->throttled;
			total.cache_hits += s->cache_hits;
		}
		ExplainPropertyInteger("ECS Requests", NULL, total.requests, es);
		ExplainPropertyInteger("ECS Pages", NULL, total.pages, es);
		ExplainPropertyInteger("ECS Retries", NULL, total.retries, es);
		if (total.throttled > 0)
			ExplainPropertyInteger("ECS Throttled", NULL, total.throttled, es);
		if (state->config->cache_ttl_s > 0)
			ExplainPropertyInteger("ECS Cache Hits", NULL, total.cache_hits, es);
	}
}

/*
 * ecsIsForeignPathAsyncCapable
 *		Whether the scan may run as an asynchronous child of an Append (the
 *		async_capable option), so that the listings of several foreign
 *		tables, one per account, run at the same time.
 */
bool
ecsIsForeignPathAsyncCapable(ForeignPath *path)
{
	EcsPlanState *plan = (EcsPlanState *) path->path.parent->fdw_private;

	return plan->async_capable;
}

/*
 * ecsForeignAsyncRequest
 *		The Append asks for a row: the first call starts the listing, which
 *		then runs without blocking.
 */
void
ecsForeignAsyncRequest(AsyncRequest *areq)
{
	EcsScanState *state = (EcsScanState *) ((ForeignScanState *) areq->requestee)->fdw_state;

	state->async = true;
	produce_row(areq);
}

/*
 * ecsForeignAsyncConfigureWait
 *		Wait on the listing's one descriptor: it covers every connection of
 *		the listing and its retry timer.
 */
void
ecsForeignAsyncConfigureWait(AsyncRequest *areq)
{
	EcsScanState *state = (EcsScanState *) ((ForeignScanState *) areq->requestee)->fdw_state;
	AppendState *requestor = (AppendState *) areq->requestor;

	Assert(areq->callback_pending && state->fanout != NULL);
	AddWaitEventToSet(requestor->as_eventset, WL_SOCKET_READABLE,
					  ecs_fanout_event_fd(state->fanout), NULL, areq);
}

/*
 * ecsForeignAsyncNotify
 *		The listing's descriptor is ready: take what arrived.
 */
void
ecsForeignAsyncNotify(AsyncRequest *areq)
{
	produce_row(areq);
}

/*
 * produce_row
 *		Answer an async request with the next row (the node's quals and
 *		projection applied), the end of the scan, or "pending".
 */
static void
produce_row(AsyncRequest *areq)
{
	PlanState  *node = areq->requestee;
	EcsScanState *state = (EcsScanState *) ((ForeignScanState *) node)->fdw_state;
	TupleTableSlot *slot = node->ExecProcNodeReal(node);

	if (!TupIsNull(slot))
		ExecAsyncRequestDone(areq, slot);
	else if (state->waiting)
		ExecAsyncRequestPending(areq);
	else
		ExecAsyncRequestDone(areq, NULL);
}

/*
 * import_columns
 *		Column definitions ("name type, ...") with each column's field
 *		written out, so that a column keeps its field when it is renamed.
 */
static char *
import_columns(EcsResource resource)
{
	StringInfoData buf;
	const EcsColumnDef *c;

	initStringInfo(&buf);
	for (c = ecs_resources[resource].columns; c->name != NULL; c++)
	{
		char	   *field = ecs_catalog_default_field(resource, c->name);

		appendStringInfo(&buf, "%s%s %s OPTIONS (field %s)",
						 buf.len > 0 ? ", " : "", c->name, c->type,
						 quote_literal_cstr(field));
	}
	return buf.data;
}

/*
 * ecsImportForeignSchema
 *		IMPORT FOREIGN SCHEMA ecs: one foreign table per resource.  The
 *		core applies LIMIT TO and EXCEPT to what this returns.
 */
List *
ecsImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *commands = NIL;
	const char *updatable = NULL;
	ListCell   *lc;
	int			i;

	foreach(lc, stmt->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "updatable") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\" for IMPORT FOREIGN SCHEMA",
							def->defname),
					 errhint("The only option is \"updatable\".")));
		updatable = ecs_option_bool(def) ? "true" : "false";
	}
	if (strcmp(stmt->remote_schema, "ecs") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not present on foreign server \"%s\"",
						stmt->remote_schema, server->servername),
				 errhint("The only schema is \"ecs\".")));

	for (i = 0; i < ECS_RESOURCE_COUNT; i++)
	{
		bool		writable = ecs_resources[i].writable;

		commands = lappend(commands,
						   psprintf("CREATE FOREIGN TABLE %s (%s) SERVER %s OPTIONS (resource %s%s%s)",
									quote_identifier(ecs_resources[i].name),
									import_columns((EcsResource) i),
									quote_identifier(server->servername),
									quote_literal_cstr(ecs_resources[i].name),
									writable && updatable ? ", updatable " : "",
									writable && updatable ? quote_literal_cstr(updatable) : ""));
	}
	return commands;
}

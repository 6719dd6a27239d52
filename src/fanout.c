/*-------------------------------------------------------------------------
 *
 * fanout.c
 *		  Listing a resource across regions and pages, concurrently.
 *
 * A listing is a set of streams: one per region and parameter set (such as
 * each image owner alias, or each image id of an IN list).  Each stream's
 * first page is requested at once; when it arrives, its TotalCount tells how
 * many more pages there are, and those are requested too.  At most
 * max_concurrency requests are in flight, and finished pages wait in a queue
 * that counts against the same limit, so memory stays bounded by a few
 * pages whatever the size of the inventory.  Pages are handed out in the
 * order they arrive.
 *
 * Listings paged by NextToken (DescribeInstances, DescribeSnapshots) cannot
 * ask for their pages at once: each page names the next, so a stream's
 * pages go one after the other, while the streams of different regions and
 * images still run side by side.  Their pages are not cached: a cached
 * page's token could have expired by the time the next page is asked for.
 *
 * Two kinds of streams only discover other streams: the DescribeRegions
 * lookup (when the regions are "*"), and a region's own images for
 * resources listed per image (share permissions).
 *
 * When the query will likely stop after a few rows (a LIMIT), requests are
 * only started while the rows on their way fall short of it; if the
 * executor asks for more anyway (local quals dropped some), the listing
 * simply goes on.  So the limit saves requests but never changes a result.
 *
 * An evented listing never blocks: the executor's asynchronous scans poll
 * it for pages and wait on its descriptor, so that the listings of several
 * foreign scans (one per account) run at the same time.
 *
 * Throttling halves the number of requests allowed in flight, which then
 * grows back by one per window of good answers.  The window belongs to the
 * server: listings of the same server that run at the same time share it.
 *
 * Complete or nothing: throttled, 5xx, malformed and failed-transport
 * answers are retried with backoff up to max_retries times; then, or on
 * any other failure, the listing raises an ERROR naming the region and the
 * server (in a view over several accounts, the server says which).  Each
 * stream's pages must add up to the TotalCount its first page promised;
 * a listing that fails after some of its pages is an ERROR too, never a
 * shorter answer.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/fanout.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "ecs_image_fdw.h"

/*
 * A TotalCount above this is not believed: no account has a million images
 * in a region, and paging through a made-up count would never end.
 */
#define MAX_LISTING_ROWS 1000000

typedef enum StreamKind
{
	STREAM_REGIONS,				/* DescribeRegions: finds the regions */
	STREAM_OWN_IMAGES,			/* a region's own images: finds image ids */
	STREAM_ROWS					/* the rows of the listing */
} StreamKind;

/*
 * The requests in flight for one server, shared by the listings of the
 * backend that run at the same time (the asynchronous children of an Append
 * that scan the same server): throttling is per account, and so is the
 * window of requests allowed in flight.
 */
typedef struct Account
{
	Oid			serverid;
	int			users;			/* listings using it */
	int			in_flight;		/* their requests in flight */
	int			window;			/* requests allowed in flight now */
	int			good_answers;	/* since the window last grew */
} Account;

/* One listing: a region and a parameter set */
typedef struct Stream
{
	StreamKind	kind;
	const EcsResourceDef *def;	/* what it lists (the catalog's) */
	EcsResource resource;		/* the same, for messages */
	int			page_size;		/* PageSize or MaxResults */
	char	   *region;
	EcsParams	params;			/* action parameters, RegionId included */
	bool		lenient;		/* an unknown region or image lists nothing */
	int64		total;			/* rows promised by the first page; -1 */
	int			npages;			/* pages the listing has */
	int64		rows;			/* rows received */
} Stream;

/* One request to make, or being made */
typedef struct Work
{
	Stream	   *stream;
	int			page;			/* 1-based page number */
	char	   *token;			/* NextToken of this page, or NULL */
	int			attempt;		/* 0 for the first try */
	TimestampTz not_before;
	MemoryContext cxt;			/* request, response and decoded page */
	const char *cache_action;	/* store the answer in the cache under */
	EcsParams	cache_params;	/* this action and these parameters */
	EcsPage		result;
} Work;

struct EcsFanout
{
	const EcsConfig *config;
	const EcsListSpec *spec;
	MemoryContext cxt;
	EcsHttpBatch *batch;
	int			page_size;		/* PageSize of the row streams */
	List	   *pending;		/* Work not started yet */
	Account    *account;		/* the server's, shared */
	MemoryContextCallback release;	/* gives back the account's share */
	int			in_flight;
	List	   *ready;			/* Work with a page to hand out */
	Work	   *current;		/* the page handed out last */
	int64		delivered;		/* rows handed out */
	int64		ready_rows;		/* rows waiting in ready */
	EcsFanoutStats stats;
};

/* The accounts in use, in TopMemoryContext */
static List *accounts = NIL;

static const EcsField image_id_field = {"ImageId", ECS_FIELD_SCALAR};

/*
 * The primary messages of a listing that failed, and of one whose row count
 * changed between its pages: a whole sentence for each kind of row, so that
 * each can be translated
 */
static const char *const listing_failed[ECS_RESOURCE_COUNT] = {
	[ECS_RESOURCE_IMAGES] = gettext_noop("could not list images in region \"%s\" of server \"%s\""),
	[ECS_RESOURCE_SHARE_PERMISSIONS] = gettext_noop("could not list share permissions in region \"%s\" of server \"%s\""),
	[ECS_RESOURCE_REGIONS] = gettext_noop("could not list regions of server \"%s\""),
	[ECS_RESOURCE_TASKS] = gettext_noop("could not list tasks in region \"%s\" of server \"%s\""),
	[ECS_RESOURCE_INSTANCES] = gettext_noop("could not list instances in region \"%s\" of server \"%s\""),
	[ECS_RESOURCE_SNAPSHOTS] = gettext_noop("could not list snapshots in region \"%s\" of server \"%s\""),
};
static const char *const listing_changed[ECS_RESOURCE_COUNT] = {
	[ECS_RESOURCE_IMAGES] = gettext_noop("images in region \"%s\" of server \"%s\" changed during the scan"),
	[ECS_RESOURCE_SHARE_PERMISSIONS] = gettext_noop("share permissions in region \"%s\" of server \"%s\" changed during the scan"),
	[ECS_RESOURCE_REGIONS] = gettext_noop("regions of server \"%s\" changed during the scan"),
	[ECS_RESOURCE_TASKS] = gettext_noop("tasks in region \"%s\" of server \"%s\" changed during the scan"),
	[ECS_RESOURCE_INSTANCES] = gettext_noop("instances in region \"%s\" of server \"%s\" changed during the scan"),
	[ECS_RESOURCE_SNAPSHOTS] = gettext_noop("snapshots in region \"%s\" of server \"%s\" changed during the scan"),
};

static Stream *new_stream(EcsFanout *fanout, StreamKind kind,
						  const char *region, const EcsParams *extra,
						  bool lenient);
static void add_region_streams(EcsFanout *fanout, List *regions, bool lenient);
static void queue_work(EcsFanout *fanout, Stream *stream, int page,
					   const char *token, int attempt, long delay_ms);
static bool may_start(EcsFanout *fanout);
static void start_work(EcsFanout *fanout, Work *work);
static void finish_work(EcsFanout *fanout, Work *work, EcsHttpRequest *req);
static void accept_page(EcsFanout *fanout, Work *work);
static void next_numbered_pages(EcsFanout *fanout, Work *work);
static void regions_found(EcsFanout *fanout, EcsPage *page);
static void own_images_found(EcsFanout *fanout, Stream *stream,
							 EcsPage *page);
static void check_total(EcsFanout *fanout, Work *work);
static void next_token_page(EcsFanout *fanout, Work *work);
static int	errmsg_listing(EcsResource resource, const char *region,
						   const char *server, bool changed);
static void report_failure(EcsFanout *fanout, Work *work,
						   const EcsApiError *err);
static long next_delay_ms(EcsFanout *fanout);
static void adapt_window(EcsFanout *fanout, bool throttled);
static Account *use_account(const EcsConfig *config);
static void release_account(void *arg);
static void request_done(EcsFanout *fanout);
static EcsPage *next_page(EcsFanout *fanout, bool wait, bool *done);

/*
 * ecs_fanout_begin
 *		Set up a listing; nothing is sent until ecs_fanout_next_page.  The
 *		listing lives in a child of CurrentMemoryContext; deleting that
 *		context (or ecs_fanout_end) aborts whatever is still in flight.
 */
EcsFanout *
ecs_fanout_begin(const EcsConfig *config, const EcsListSpec *spec)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "ecs_image_fdw listing",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	EcsFanout  *fanout = palloc0(sizeof(EcsFanout));
	bool		known = true;
	ListCell   *lc;

	fanout->config = config;
	fanout->spec = spec;
	fanout->cxt = cxt;
	fanout->page_size = config->page_size;
	fanout->account = use_account(config);
	fanout->release.func = release_account;
	fanout->release.arg = fanout;
	MemoryContextRegisterResetCallback(cxt, &fanout->release);
	if (spec->limit > 0 && spec->limit < fanout->page_size)
		fanout->page_size = (int) spec->limit;
	fanout->batch = ecs_api_batch_create(config);
	if (spec->evented)
		ecs_http_batch_set_evented(fanout->batch);

	/* regions that may not exist are checked with DescribeRegions first */
	foreach(lc, spec->regions)
		known &= ecs_route_region_known(config, lfirst(lc));
	if (!spec->def->per_region)
		new_stream(fanout, STREAM_ROWS, ECS_BOOTSTRAP_REGION, NULL, false);
	else if (spec->regions != NIL && known)
		add_region_streams(fanout, spec->regions, spec->lenient);
	else
		new_stream(fanout, STREAM_REGIONS, ECS_BOOTSTRAP_REGION, NULL, false);

	MemoryContextSwitchTo(old);
	return fanout;
}

/*
 * use_account
 *		The shared request count of the config's server, with one more user.
 *		A new one starts with the whole max_concurrency.
 */
static Account *
use_account(const EcsConfig *config)
{
	Account    *account;
	ListCell   *lc;
	MemoryContext old;

	foreach(lc, accounts)
	{
		account = lfirst(lc);
		if (account->serverid == config->serverid)
		{
			account->users++;
			return account;
		}
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	account = palloc0(sizeof(Account));
	account->serverid = config->serverid;
	account->users = 1;
	account->window = config->max_concurrency;
	accounts = lappend(accounts, account);
	MemoryContextSwitchTo(old);
	return account;
}

/*
 * release_account
 *		Memory context callback of a listing: its requests in flight, aborted
 *		now, no longer count, and the last user frees the account.
 */
static void
release_account(void *arg)
{
	EcsFanout  *fanout = (EcsFanout *) arg;
	Account    *account = fanout->account;

	account->in_flight -= fanout->in_flight;
	fanout->in_flight = 0;
	if (--account->users == 0)
	{
		accounts = list_delete_ptr(accounts, account);
		pfree(account);
	}
}

/*
 * request_done
 *		A request of the listing is no longer in flight.
 */
static void
request_done(EcsFanout *fanout)
{
	fanout->in_flight--;
	fanout->account->in_flight--;
}

/*
 * ecs_fanout_end
 *		Release a listing and abort its requests.
 */
void
ecs_fanout_end(EcsFanout *fanout)
{
	MemoryContextDelete(fanout->cxt);
}

/*
 * ecs_fanout_stats
 *		Requests, pages and retries so far.
 */
const EcsFanoutStats *
ecs_fanout_stats(EcsFanout *fanout)
{
	return &fanout->stats;
}

/*
 * new_stream
 *		A stream of the given kind in region, with extra parameters, and its
 *		first page queued.
 */
static Stream *
new_stream(EcsFanout *fanout, StreamKind kind, const char *region,
		   const EcsParams *extra, bool lenient)
{
	Stream	   *stream = palloc0(sizeof(Stream));
	int			i;

	stream->kind = kind;
	switch (kind)
	{
		case STREAM_REGIONS:
			stream->resource = ECS_RESOURCE_REGIONS;
			break;
		case STREAM_OWN_IMAGES:
			stream->resource = ECS_RESOURCE_IMAGES;
			break;
		case STREAM_ROWS:
			stream->resource = fanout->spec->resource;
			break;
	}
	stream->def = kind == STREAM_ROWS ? fanout->spec->def :
		&ecs_resources[stream->resource];
	stream->page_size = kind == STREAM_ROWS ? fanout->page_size :
		fanout->config->page_size;
	stream->region = pstrdup(region);
	stream->lenient = lenient;
	stream->total = -1;
	stream->npages = 1;
	if (stream->def->per_region)
		ecs_params_add(&stream->params, "RegionId", stream->region);
	for (i = 0; extra != NULL && i < extra->count; i++)
		ecs_params_add(&stream->params, extra->items[i].name,
					   extra->items[i].value);
	queue_work(fanout, stream, 1, NULL, 0, 0);
	return stream;
}

/*
 * add_region_streams
 *		The streams of each region: one per parameter set, or one that first
 *		finds the region's own images.
 */
static void
add_region_streams(EcsFanout *fanout, List *regions, bool lenient)
{
	const EcsListSpec *spec = fanout->spec;
	ListCell   *lc;

	foreach(lc, regions)
	{
		const char *region = lfirst(lc);
		ListCell   *ps;

		if (spec->per_own_image)
		{
			EcsParams	own = {0};

			ecs_params_add(&own, "ImageOwnerAlias", "self");
			ecs_params_add(&own, "Status", ECS_ALL_IMAGE_STATUSES);
			new_stream(fanout, STREAM_OWN_IMAGES, region, &own, lenient);
			continue;
		}
		if (spec->param_sets == NIL)
			new_stream(fanout, STREAM_ROWS, region, NULL, lenient);
		foreach(ps, spec->param_sets)
			new_stream(fanout, STREAM_ROWS, region, lfirst(ps), lenient);
	}
}

/*
 * queue_work
 *		Queue a request for a page of a stream (with the NextToken that
 *		leads to it, if any), to start after delay_ms.
 */
static void
queue_work(EcsFanout *fanout, Stream *stream, int page, const char *token,
		   int attempt, long delay_ms)
{
	Work	   *work = palloc0(sizeof(Work));

	work->stream = stream;
	work->page = page;
	work->token = token ? MemoryContextStrdup(fanout->cxt, token) : NULL;
	work->attempt = attempt;
	work->not_before = GetCurrentTimestamp() + delay_ms * 1000;
	fanout->pending = lappend(fanout->pending, work);
}

/*
 * may_start
 *		Whether another request may start now: within the window, counting
 *		the pages waiting to be read; within the window for all listings of
 *		the server, though each may have one request in flight (so that one
 *		that is not being read cannot stall another); and, under a LIMIT,
 *		only while the rows on their way fall short of it, or when the
 *		executor has nothing left to read.
 */
static bool
may_start(EcsFanout *fanout)
{
	int64		promised;

	if (fanout->in_flight + list_length(fanout->ready) >= fanout->account->window)
		return false;
	if (fanout->in_flight > 0 &&
		fanout->account->in_flight >= fanout->account->window)
		return false;
	if (fanout->spec->limit < 0 ||
		(fanout->in_flight == 0 && fanout->ready == NIL))
		return true;
	promised = fanout->delivered + fanout->ready_rows +
		(int64) fanout->in_flight * fanout->page_size;
	return promised < fanout->spec->limit;
}

/*
 * start_work
 *		Build, sign and send the request for one piece of work, or answer it
 *		from the cache.
 */
static void
start_work(EcsFanout *fanout, Work *work)
{
	Stream	   *stream = work->stream;
	const EcsResourceDef *def = stream->def;
	MemoryContext old;
	EcsParams	params = {0};
	EcsHttpRequest *req;
	int			i;

	work->cxt = AllocSetContextCreate(fanout->cxt, "ecs_image_fdw page",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work->cxt);

	for (i = 0; i < stream->params.count; i++)
		ecs_params_add(&params, stream->params.items[i].name,
					   stream->params.items[i].value);
	if (def->paged)
	{
		ecs_params_add(&params, "PageNumber", psprintf("%d", work->page));
		ecs_params_add(&params, "PageSize", psprintf("%d", stream->page_size));
	}
	if (def->token_paged)
	{
		ecs_params_add(&params, "MaxResults",
					   psprintf("%d", Min(stream->page_size, 100)));
		if (work->token != NULL)
			ecs_params_add(&params, "NextToken", work->token);
	}
	if (def->language_param != NULL)
		ecs_params_add(&params, def->language_param, fanout->config->language);

	/* token pages are not cached: a token may expire before its use */
	req = palloc0(sizeof(EcsHttpRequest));
	if (!def->token_paged &&
		ecs_cache_lookup(fanout->config, def->action, &params,
						 &req->response, &req->response_len))
	{
		/* answered from the cache: judge it as if it had just arrived */
		req->result = ECS_TRANSPORT_OK;
		req->status = 200;
		req->owner = work;
		MemoryContextSwitchTo(old);
		fanout->stats.cache_hits++;
		finish_work(fanout, work, req);
		return;
	}
	req = ecs_api_build_request(fanout->config, false, stream->region,
								def->action, &params);
	req->owner = work;
	if (!def->token_paged)
	{
		work->cache_action = def->action;
		work->cache_params = params;
	}
	MemoryContextSwitchTo(old);

	ecs_http_batch_add(fanout->batch, req);
	fanout->in_flight++;
	fanout->account->in_flight++;
	fanout->stats.requests++;
	if (work->attempt > 0)
		fanout->stats.retries++;
}

/*
 * adapt_window
 *		Throttling halves the requests allowed in flight; then each window's
 *		worth of good answers lets one more in again, up to max_concurrency.
 *		So a scan under a rate limit slows down instead of hammering.
 */
static void
adapt_window(EcsFanout *fanout, bool throttled)
{
	Account    *account = fanout->account;

	if (throttled)
	{
		account->window = Max(1, account->window / 2);
		account->good_answers = 0;
		fanout->stats.throttled++;
	}
	else if (account->window < fanout->config->max_concurrency &&
			 ++account->good_answers >= account->window)
	{
		account->window++;
		account->good_answers = 0;
	}
}

/*
 * next_delay_ms
 *		How long to wait for a transfer before looking at the pending work
 *		again: until the earliest of it is due, or -1 (until a transfer
 *		finishes) when nothing could start anyway.
 */
static long
next_delay_ms(EcsFanout *fanout)
{
	TimestampTz now = GetCurrentTimestamp();
	long		best = -1;
	ListCell   *lc;

	if (!may_start(fanout))
		return -1;
	foreach(lc, fanout->pending)
	{
		Work	   *work = lfirst(lc);
		long		d = (long) Max(0, (work->not_before - now) / 1000);

		if (best < 0 || d < best)
			best = d;
	}
	return best;
}

/*
 * ecs_fanout_next_page
 *		The next page of rows, or NULL when the listing is complete.  The
 *		page stays valid until the next call.
 */
EcsPage *
ecs_fanout_next_page(EcsFanout *fanout)
{
	bool		done;

	return next_page(fanout, true, &done);
}

/*
 * ecs_fanout_poll_page
 *		The next page of rows if one is there, without waiting; otherwise
 *		NULL, with *done telling whether the listing is complete.  Until it
 *		is, wait on ecs_fanout_event_fd before polling again.
 */
EcsPage *
ecs_fanout_poll_page(EcsFanout *fanout, bool *done)
{
	return next_page(fanout, false, done);
}

/*
 * ecs_fanout_event_fd
 *		The descriptor that becomes readable when an evented listing may
 *		have made progress: an answer arrived or a retry is due.
 */
int
ecs_fanout_event_fd(EcsFanout *fanout)
{
	Assert(fanout->spec->evented);
	return ecs_http_batch_event_fd(fanout->batch, next_delay_ms(fanout));
}

/*
 * next_page
 *		The next page, waiting for it if wait is set.  All bookkeeping is
 *		done in the listing's own context, whatever the caller's is.
 */
static EcsPage *
next_page(EcsFanout *fanout, bool wait, bool *done)
{
	MemoryContext old = MemoryContextSwitchTo(fanout->cxt);
	EcsPage    *page = NULL;

	*done = false;
	if (fanout->current != NULL)
	{
		MemoryContextDelete(fanout->current->cxt);
		fanout->current = NULL;
	}

	for (;;)
	{
		EcsHttpRequest *req;
		long		delay;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();

		if (fanout->ready != NIL)
		{
			Work	   *work = linitial(fanout->ready);

			fanout->ready = list_delete_first(fanout->ready);
			fanout->ready_rows -= work->result.nrows;
			fanout->delivered += work->result.nrows;
			fanout->current = work;
			page = &work->result;
			break;
		}

		/* start what may start */
		foreach(lc, fanout->pending)
		{
			Work	   *work = lfirst(lc);

			if (!may_start(fanout))
				break;
			if (work->not_before > GetCurrentTimestamp())
				continue;
			fanout->pending = foreach_delete_current(fanout->pending, lc);
			start_work(fanout, work);
		}
		if (fanout->ready != NIL)
			continue;			/* the cache answered */

		if (fanout->in_flight == 0 && fanout->pending == NIL)
		{
			*done = true;		/* every stream is complete */
			break;
		}

		if (!wait)
		{
			/* take what has arrived; stop when nothing has */
			req = ecs_http_batch_wait(fanout->batch, 0);
			if (req == NULL)
				break;
			request_done(fanout);
			finish_work(fanout, (Work *) req->owner, req);
			continue;
		}

		delay = next_delay_ms(fanout);
		if (fanout->in_flight == 0)
		{
			/* only delayed retries are left: sleep until the first */
			(void) WaitLatch(MyLatch,
							 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 Max(delay, 1), ecs_wait_event(ECS_WAIT_PAUSE));
			ResetLatch(MyLatch);
			continue;
		}

		req = ecs_http_batch_wait(fanout->batch, delay);
		if (req != NULL)
		{
			request_done(fanout);
			finish_work(fanout, (Work *) req->owner, req);
		}
	}
	MemoryContextSwitchTo(old);
	return page;
}

/*
 * finish_work
 *		Judge a completed request: accept its page, retry it, or fail.
 */
static void
finish_work(EcsFanout *fanout, Work *work, EcsHttpRequest *req)
{
	const EcsListSpec *spec = fanout->spec;
	Stream	   *stream = work->stream;
	MemoryContext old = MemoryContextSwitchTo(work->cxt);
	EcsApiError err;
	EcsOutcome	outcome = ecs_api_classify(req, &err);

	if (outcome == ECS_OUTCOME_OK)
	{
		const EcsResourceDef *def = stream->def;
		const EcsField *fields = spec->fields;
		int			nfields = spec->nfields;
		const EcsParams *request = &stream->params;

		/* the discovering streams read only what they need */
		if (stream->kind == STREAM_REGIONS)
		{
			fields = ecs_route_fields;
			nfields = ECS_ROUTE_NFIELDS;
			request = NULL;
		}
		else if (stream->kind == STREAM_OWN_IMAGES)
		{
			fields = &image_id_field;
			nfields = 1;
			request = NULL;
		}
		if (!ecs_decode_page(req->response, req->response_len,
							 def->list_name, def->item_name, def->key_name,
							 fields, nfields, request, &work->result))
		{
			err.bad_body = true;
			outcome = ECS_OUTCOME_RETRY;
		}
		else if (work->cache_action != NULL)
			ecs_cache_store(fanout->config, work->cache_action,
							&work->cache_params, req->response,
							req->response_len);
	}
	pfree(req->response);
	MemoryContextSwitchTo(old);

	adapt_window(fanout, err.code != NULL && strstr(err.code, "Throttling") != NULL);
	if (outcome == ECS_OUTCOME_OK)
	{
		accept_page(fanout, work);
		return;
	}

	/* a cancel or timeout wins over our own complaint about the request */
	CHECK_FOR_INTERRUPTS();
	if (outcome == ECS_OUTCOME_RETRY &&
		work->attempt < fanout->config->max_retries)
	{
		MemoryContextDelete(work->cxt);
		queue_work(fanout, stream, work->page, work->token, work->attempt + 1,
				   ecs_api_backoff_ms(work->attempt + 1));
		return;
	}
	if (stream->lenient && err.code != NULL &&
		(strcmp(err.code, "InvalidRegionId.NotFound") == 0 ||
		 strcmp(err.code, "InvalidImageId.NotFound") == 0))
	{
		/* a region or image named by the query that does not exist */
		MemoryContextDelete(work->cxt);
		return;
	}
	report_failure(fanout, work, &err);
}

/*
 * accept_page
 *		Check a good page against its stream, queue the stream's remaining
 *		pages after its first, and pass the page on: rows to the reader,
 *		regions and image ids to new streams.
 */
static void
accept_page(EcsFanout *fanout, Work *work)
{
	Stream	   *stream = work->stream;

	fanout->stats.pages++;
	if (stream->def->token_paged)
		next_token_page(fanout, work);
	else if (stream->def->paged)
		next_numbered_pages(fanout, work);
	stream->rows += work->result.nrows;

	switch (stream->kind)
	{
		case STREAM_REGIONS:
			regions_found(fanout, &work->result);
			MemoryContextDelete(work->cxt);
			break;
		case STREAM_OWN_IMAGES:
			own_images_found(fanout, stream, &work->result);
			MemoryContextDelete(work->cxt);
			break;
		case STREAM_ROWS:
			if (work->result.nrows > 0)
			{
				fanout->ready = lappend(fanout->ready, work);
				fanout->ready_rows += work->result.nrows;
			}
			else
				MemoryContextDelete(work->cxt);
			break;
	}
}

/*
 * next_numbered_pages
 *		For a listing paged by number: check the page's TotalCount, queue
 *		the other pages after the first, and check that the page holds the
 *		rows its number promises.
 */
static void
next_numbered_pages(EcsFanout *fanout, Work *work)
{
	Stream	   *stream = work->stream;
	EcsPage    *page = &work->result;
	int64		expected;

	if (page->total_count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg_listing(stream->resource, stream->region,
								fanout->config->servername, false),
				 errdetail("The answer for page %d has no TotalCount.",
						   work->page)));
	check_total(fanout, work);
	if (work->page == 1)
	{
		int			p;

		stream->npages = Max(1, (int) ((stream->total + stream->page_size - 1) /
									   stream->page_size));
		for (p = 2; p <= stream->npages; p++)
			queue_work(fanout, stream, p, NULL, 0, 0);
	}

	expected = (work->page < stream->npages) ? stream->page_size :
		stream->total - (int64) (stream->npages - 1) * stream->page_size;
	if (page->nrows != expected && stream->total > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg_listing(stream->resource, stream->region,
								fanout->config->servername, false),
				 errdetail("Page %d of %d has %d rows, %lld were expected.",
						   work->page, stream->npages, page->nrows,
						   (long long) expected),
				 errhint("The listing changed during the scan; run the query again.")));
}

/*
 * regions_found
 *		A page of DescribeRegions: learn the endpoints, keep the regions for
 *		the scan's restarts, and start the streams of the regions to list
 *		(every region, or those asked for that exist).
 */
static void
regions_found(EcsFanout *fanout, EcsPage *page)
{
	const EcsListSpec *spec = fanout->spec;
	List	   *regions = NIL;
	ListCell   *lc;
	int			i;

	ecs_route_learn(fanout->config, page->values, page->nrows);
	for (i = 0; spec->regions == NIL && i < page->nrows; i++)
	{
		if (page->values[ECS_ROUTE_NFIELDS * i] != NULL)
			regions = lappend(regions, page->values[ECS_ROUTE_NFIELDS * i]);
	}

	/* what DescribeRegions lists, for the scan's restarts */
	if (spec->found_regions != NULL && spec->regions == NIL)
	{
		MemoryContext old = MemoryContextSwitchTo(spec->found_cxt);

		list_free_deep(*spec->found_regions);
		*spec->found_regions = NIL;
		foreach(lc, regions)
			*spec->found_regions = lappend(*spec->found_regions,
										   pstrdup(lfirst(lc)));
		MemoryContextSwitchTo(old);
	}

	/*
	 * Regions named by the query that are not listed have no rows; those of
	 * a regions option are a mistake.
	 */
	foreach(lc, spec->regions)
	{
		if (ecs_route_region_known(fanout->config, lfirst(lc)))
			regions = lappend(regions, lfirst(lc));
		else if (!spec->lenient)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("region \"%s\" does not exist for server \"%s\"",
							(char *) lfirst(lc), fanout->config->servername),
					 errhint("DescribeRegions lists these: %s.",
							 ecs_route_region_list(fanout->config))));
	}
	add_region_streams(fanout, regions, spec->lenient);
	list_free(regions);
}

/*
 * own_images_found
 *		A page of a region's own images: a stream for each image.
 */
static void
own_images_found(EcsFanout *fanout, Stream *stream, EcsPage *page)
{
	int			i;

	for (i = 0; i < page->nrows; i++)
	{
		EcsParams	image = {0};

		if (page->values[i] == NULL)
			continue;
		ecs_params_add(&image, "ImageId", pstrdup(page->values[i]));
		/* an image deleted meanwhile has no permissions: lenient */
		new_stream(fanout, STREAM_ROWS, stream->region, &image, true);
	}
}

/*
 * check_total
 *		A page's TotalCount: believable, and the same on every page of the
 *		stream (the first page's is the stream's total).
 */
static void
check_total(EcsFanout *fanout, Work *work)
{
	Stream	   *stream = work->stream;
	EcsPage    *page = &work->result;

	if (page->total_count > MAX_LISTING_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg_listing(stream->resource, stream->region,
								fanout->config->servername, false),
				 errdetail("The answer for page %d reports %lld rows, more than the %d a listing may have.",
						   work->page, (long long) page->total_count,
						   MAX_LISTING_ROWS)));
	if (work->page == 1)
		stream->total = page->total_count;
	else if (page->total_count != stream->total)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg_listing(stream->resource, stream->region,
								fanout->config->servername, true),
				 errdetail("Page 1 reported %lld rows, page %d reported %lld.",
						   (long long) stream->total, work->page,
						   (long long) page->total_count),
				 errhint("Run the query again.")));
}

/*
 * next_token_page
 *		For a listing paged by NextToken: queue the page the token leads
 *		to, or, after the last page, check that the pages hold the rows the
 *		TotalCount promised (when the API gives one).  A token that comes
 *		back unchanged would never end.
 */
static void
next_token_page(EcsFanout *fanout, Work *work)
{
	Stream	   *stream = work->stream;
	EcsPage    *page = &work->result;
	int64		rows = stream->rows + page->nrows;

	check_total(fanout, work);
	if (rows > MAX_LISTING_ROWS ||
		(page->next_token != NULL && work->token != NULL &&
		 strcmp(page->next_token, work->token) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg_listing(stream->resource, stream->region,
								fanout->config->servername, false),
				 errdetail("Page %d of the listing does not lead to a next page.",
						   work->page + 1)));
	if (page->next_token != NULL)
		queue_work(fanout, stream, work->page + 1, page->next_token, 0, 0);
	else if (stream->total >= 0 && rows != stream->total)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg_listing(stream->resource, stream->region,
								fanout->config->servername, false),
				 errdetail("Its pages hold %lld rows; the first page promised %lld.",
						   (long long) rows, (long long) stream->total),
				 errhint("The listing changed during the scan; run the query again.")));
}

/*
 * errmsg_listing
 *		The primary message of a listing in region (none for a listing of
 *		the whole account) that failed, or whose row count changed between
 *		its pages.
 */
static int
errmsg_listing(EcsResource resource, const char *region, const char *server,
			   bool changed)
{
	const char *msg = changed ? listing_changed[resource] :
		listing_failed[resource];

	if (resource == ECS_RESOURCE_REGIONS)
		return errmsg(msg, server);
	return errmsg(msg, region, server);
}

/*
 * report_failure
 *		Raise the ERROR for a request that failed for good.
 */
static void
report_failure(EcsFanout *fanout, Work *work, const EcsApiError *err)
{
	const char *servername = fanout->config->servername;

	if (work->stream->kind == STREAM_REGIONS)
		ereport(ERROR,
				(errcode(ecs_api_errcode(err)),
				 errmsg("could not list the regions of server \"%s\"",
						servername),
				 ecs_api_errdetail(err), ecs_api_errhint(err)));
	else
		ereport(ERROR,
				(errcode(ecs_api_errcode(err)),
				 errmsg_listing(work->stream->resource,
								work->stream->def->per_region ?
								work->stream->region : NULL,
								servername, false),
				 ecs_api_errdetail(err), ecs_api_errhint(err)));
}

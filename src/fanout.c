/*-------------------------------------------------------------------------
 *
 * fanout.c
 *		  Listing a resource across regions and pages, concurrently.
 *
 * A listing is a set of streams: one per region (and per parameter set,
 * such as each image owner alias).  Each stream's first page is requested
 * at once; when it arrives, its TotalCount tells how many more pages there
 * are, and those are requested too.  At most max_concurrency requests are
 * in flight, and finished pages wait in a queue that counts against the
 * same limit, so memory stays bounded by a few pages whatever the size of
 * the inventory.  Pages are handed out in the order they arrive.
 *
 * Complete or nothing: throttled, 5xx, malformed and failed-transport
 * answers are retried with backoff up to max_retries times; then, or on
 * any other failure, the listing raises an ERROR naming the region.  Each
 * stream's pages must add up to the TotalCount its first page promised.
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

/* One listing: a region and a parameter set */
typedef struct Stream
{
	char	   *region;
	const EcsParams *params;
	int64		total;			/* rows promised by the first page; -1 */
	int			npages;			/* pages the listing has */
	int			pages_done;
	int64		rows;			/* rows received */
} Stream;

/* One request to make, or being made */
typedef struct Work
{
	Stream	   *stream;			/* NULL for the DescribeRegions lookup */
	int			page;			/* 1-based page number */
	int			attempt;		/* 0 for the first try */
	TimestampTz not_before;
	MemoryContext cxt;			/* request, response and decoded page */
	EcsPage		result;
} Work;

struct EcsFanout
{
	const EcsConfig *config;
	const EcsListSpec *spec;
	MemoryContext cxt;
	EcsHttpBatch *batch;
	List	   *pending;		/* Work not started yet */
	int			in_flight;
	List	   *ready;			/* Work with a page to hand out */
	Work	   *current;		/* the page handed out last */
	int64		delivered;		/* rows handed out */
	EcsFanoutStats stats;
};

static void add_streams(EcsFanout *fanout, List *regions);
static void queue_work(EcsFanout *fanout, Stream *stream, int page,
					   int attempt, long delay_ms);
static void start_work(EcsFanout *fanout, Work *work);
static void finish_work(EcsFanout *fanout, Work *work, EcsHttpRequest *req);
static void accept_page(EcsFanout *fanout, Work *work);
static void report_failure(EcsFanout *fanout, Work *work,
						   const EcsApiError *err);
static long next_delay_ms(EcsFanout *fanout);
static bool want_more(EcsFanout *fanout);

static const EcsField region_id_field = {"RegionId", ECS_FIELD_SCALAR};

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
	EcsHttpSettings settings;

	fanout->config = config;
	fanout->spec = spec;
	fanout->cxt = cxt;
	settings.ca_file = config->ca_file;
	settings.connect_timeout_ms = config->connect_timeout_ms;
	settings.request_timeout_ms = config->request_timeout_ms;
	fanout->batch = ecs_http_batch_create(&settings);

	if (!spec->per_region)
		add_streams(fanout, list_make1(ECS_BOOTSTRAP_REGION));
	else if (spec->regions != NIL)
		add_streams(fanout, spec->regions);
	else
		queue_work(fanout, NULL, 1, 0, 0);	/* ask for the regions first */

	MemoryContextSwitchTo(old);
	return fanout;
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
 * add_streams
 *		One stream per region and parameter set, each with its first page
 *		queued.
 */
static void
add_streams(EcsFanout *fanout, List *regions)
{
	ListCell   *lc;

	foreach(lc, regions)
	{
		List	   *sets = fanout->spec->param_sets;
		ListCell   *ps;

		if (sets == NIL)
			sets = list_make1(NULL);
		foreach(ps, sets)
		{
			Stream	   *stream = palloc0(sizeof(Stream));

			stream->region = pstrdup(lfirst(lc));
			stream->params = lfirst(ps);
			stream->total = -1;
			stream->npages = 1;
			queue_work(fanout, stream, 1, 0, 0);
		}
	}
}

/*
 * queue_work
 *		Queue a request for a page of a stream, to start after delay_ms.
 */
static void
queue_work(EcsFanout *fanout, Stream *stream, int page, int attempt,
		   long delay_ms)
{
	Work	   *work = palloc0(sizeof(Work));

	work->stream = stream;
	work->page = page;
	work->attempt = attempt;
	work->not_before = GetCurrentTimestamp() + delay_ms * 1000;
	fanout->pending = lappend(fanout->pending, work);
}

/*
 * want_more
 *		Whether the rows handed out so far leave the LIMIT unmet.
 */
static bool
want_more(EcsFanout *fanout)
{
	return fanout->spec->limit < 0 || fanout->delivered < fanout->spec->limit;
}

/*
 * start_work
 *		Build, sign and send the request for one piece of work.
 */
static void
start_work(EcsFanout *fanout, Work *work)
{
	const EcsListSpec *spec = fanout->spec;
	MemoryContext old;
	EcsParams	params = {0};
	EcsHttpRequest *req;

	work->cxt = AllocSetContextCreate(fanout->cxt, "ecs_image_fdw page",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work->cxt);

	if (work->stream == NULL)
	{
		ecs_params_add(&params, "AcceptLanguage", "en-US");
		req = ecs_api_build_request(fanout->config, false, ECS_BOOTSTRAP_REGION,
									"DescribeRegions", &params);
	}
	else
	{
		const char *region = work->stream->region;
		int			i;

		if (spec->per_region)
			ecs_params_add(&params, "RegionId", region);
		if (spec->action_param_name != NULL)
			ecs_params_add(&params, spec->action_param_name,
						   spec->action_param_value);
		if (work->stream->params != NULL)
		{
			for (i = 0; i < work->stream->params->count; i++)
				ecs_params_add(&params, work->stream->params->items[i].name,
							   work->stream->params->items[i].value);
		}
		if (spec->paged)
		{
			ecs_params_add(&params, "PageNumber", psprintf("%d", work->page));
			ecs_params_add(&params, "PageSize",
						   psprintf("%d", fanout->config->page_size));
		}
		req = ecs_api_build_request(fanout->config, false, region,
									spec->action, &params);
	}
	req->owner = work;
	MemoryContextSwitchTo(old);

	ecs_http_batch_add(fanout->batch, req);
	fanout->in_flight++;
	fanout->stats.requests++;
	if (work->attempt > 0)
		fanout->stats.retries++;
}

/*
 * next_delay_ms
 *		How long until the earliest pending work may start; -1 if none.
 */
static long
next_delay_ms(EcsFanout *fanout)
{
	TimestampTz now = GetCurrentTimestamp();
	long		best = -1;
	ListCell   *lc;

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
 *		page stays valid until the next call.  All bookkeeping is done in
 *		the listing's own context, whatever the caller's is.
 */
EcsPage *
ecs_fanout_next_page(EcsFanout *fanout)
{
	MemoryContext old = MemoryContextSwitchTo(fanout->cxt);
	EcsPage    *page = NULL;

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
			fanout->current = work;
			fanout->delivered += work->result.nrows;
			page = &work->result;
			break;
		}

		if (!want_more(fanout))
			break;

		/* start what may start, within the concurrency limit */
		foreach(lc, fanout->pending)
		{
			Work	   *work = lfirst(lc);

			if (fanout->in_flight + list_length(fanout->ready) >=
				fanout->config->max_concurrency)
				break;
			if (work->not_before > GetCurrentTimestamp())
				continue;
			fanout->pending = foreach_delete_current(fanout->pending, lc);
			start_work(fanout, work);
		}

		if (fanout->in_flight == 0 && fanout->pending == NIL)
			break;				/* every stream is complete */

		delay = next_delay_ms(fanout);
		if (fanout->in_flight == 0)
		{
			/* only delayed retries are left: sleep until the first */
			(void) WaitLatch(MyLatch,
							 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 Max(delay, 1), PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			continue;
		}

		req = ecs_http_batch_wait(fanout->batch, delay);
		if (req != NULL)
		{
			fanout->in_flight--;
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
	MemoryContext old = MemoryContextSwitchTo(work->cxt);
	EcsApiError err;
	EcsOutcome	outcome = ecs_api_classify(req, &err);

	if (outcome == ECS_OUTCOME_OK)
	{
		const EcsListSpec *spec = fanout->spec;
		bool		ok;

		if (work->stream == NULL)
			ok = ecs_decode_page(req->response, req->response_len,
								 "Regions", "Region", &region_id_field, 1,
								 NULL, &work->result);
		else
			ok = ecs_decode_page(req->response, req->response_len,
								 spec->list_name, spec->item_name,
								 spec->fields, spec->nfields,
								 work->stream->region, &work->result);
		if (!ok)
		{
			err.bad_body = true;
			outcome = ECS_OUTCOME_RETRY;
		}
	}
	pfree(req->response);
	MemoryContextSwitchTo(old);

	if (outcome == ECS_OUTCOME_OK)
	{
		accept_page(fanout, work);
		return;
	}

	/* a cancel or timeout wins over our own complaint about the request */
	CHECK_FOR_INTERRUPTS();
	if (outcome == ECS_OUTCOME_RETRY && work->attempt < fanout->config->max_retries)
	{
		MemoryContextDelete(work->cxt);
		queue_work(fanout, work->stream, work->page, work->attempt + 1,
				   ecs_api_backoff_ms(work->attempt + 1));
		return;
	}
	report_failure(fanout, work, &err);
}

/*
 * accept_page
 *		Check a good page against its stream, queue the stream's remaining
 *		pages after its first, and queue the page's rows for the caller.
 */
static void
accept_page(EcsFanout *fanout, Work *work)
{
	Stream	   *stream = work->stream;
	EcsPage    *page = &work->result;
	const char *what = fanout->spec->what;

	fanout->stats.pages++;

	if (stream == NULL)
	{
		/* the DescribeRegions lookup: one stream per region it lists */
		List	   *regions = NIL;
		int			i;

		for (i = 0; i < page->nrows; i++)
		{
			if (page->values[i] != NULL)
				regions = lappend(regions, page->values[i]);
		}
		add_streams(fanout, regions);
		list_free(regions);
		MemoryContextDelete(work->cxt);
		return;
	}

	if (fanout->spec->paged)
	{
		int			page_size = fanout->config->page_size;
		int64		expected;

		if (page->total_count < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not list %s in region \"%s\"", what,
							stream->region),
					 errdetail("The answer for page %d has no TotalCount.",
							   work->page)));
		if (stream->total < 0)
		{
			int			p;

			stream->total = page->total_count;
			stream->npages = Max(1, (int) ((stream->total + page_size - 1) / page_size));
			for (p = 2; p <= stream->npages; p++)
				queue_work(fanout, stream, p, 0, 0);
		}
		else if (page->total_count != stream->total)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("%s in region \"%s\" changed during the scan",
							what, stream->region),
					 errdetail("Page 1 reported %lld rows, page %d reported %lld.",
							   (long long) stream->total, work->page,
							   (long long) page->total_count),
					 errhint("Run the query again.")));

		expected = (work->page < stream->npages) ? page_size :
			stream->total - (int64) (stream->npages - 1) * page_size;
		if (page->nrows != expected && stream->total > 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not list %s in region \"%s\"", what,
							stream->region),
					 errdetail("Page %d of %d has %d rows, %lld were expected.",
							   work->page, stream->npages, page->nrows,
							   (long long) expected),
					 errhint("The listing changed during the scan; run the query again.")));
	}
	stream->rows += page->nrows;
	stream->pages_done++;

	if (page->nrows > 0)
		fanout->ready = lappend(fanout->ready, work);
	else
		MemoryContextDelete(work->cxt);
}

/*
 * report_failure
 *		Raise the ERROR for a request that failed for good.
 */
static void
report_failure(EcsFanout *fanout, Work *work, const EcsApiError *err)
{
	if (work->stream == NULL)
		ereport(ERROR,
				(errcode(ecs_api_errcode(err)),
				 errmsg("could not list the regions of server \"%s\"",
						fanout->config->servername),
				 ecs_api_errdetail(err),
				 ecs_api_errhint(err)));
	if (!fanout->spec->per_region)
		ereport(ERROR,
				(errcode(ecs_api_errcode(err)),
				 errmsg("could not list %s of server \"%s\"",
						fanout->spec->what, fanout->config->servername),
				 ecs_api_errdetail(err),
				 ecs_api_errhint(err)));
	ereport(ERROR,
			(errcode(ecs_api_errcode(err)),
			 errmsg("could not list %s in region \"%s\"",
					fanout->spec->what, work->stream->region),
			 ecs_api_errdetail(err),
			 ecs_api_errhint(err)));
}

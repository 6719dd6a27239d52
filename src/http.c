/*-------------------------------------------------------------------------
 *
 * http.c
 *		  HTTP transfers with libcurl; the only file that includes curl.h.
 *
 * A batch is a set of transfers in flight at once, driven by one curl multi
 * handle.  The caller adds requests and waits for the next one to finish;
 * it decides how many run at once, what to retry and when.  All batches of
 * a backend share one curl share handle, so connections, TLS sessions and
 * DNS answers are reused across requests, batches and scans.
 *
 * A batch can also be evented, for the executor's asynchronous scans: then
 * libcurl tells us (CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION)
 * which sockets to watch and when it wants to be called, and we keep them
 * in an epoll set of the batch's own, with a timerfd for the timeouts.  The
 * epoll descriptor is readable whenever the batch has something to do, so
 * it is the one descriptor that an Append waits on for the whole scan,
 * however many connections the scan has open.
 *
 * libcurl memory stays libcurl's: handles, header lists and receive buffers
 * are malloc'd and released by a callback on the memory context that owns
 * the batch, so an ERROR anywhere (a cancel included) frees them.  Nothing
 * here pallocs or throws inside a libcurl callback.  TLS verification is
 * always on.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/http.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "ecs_image_fdw.h"

/* Longest time we block in curl without checking for interrupts */
#define POLL_SLICE_MS 50

/*
 * Longest time an evented batch lets its caller sleep: the executor's wait
 * also watches the latch, so this only bounds a cancel where it does not.
 */
#define EVENT_SLICE_MS 500

/*
 * Connections a backend keeps open for reuse, over all its batches (they
 * share one connection cache).  Without a limit of our own, libcurl allows
 * four per transfer of the batch whose transfer just finished, counted
 * against the connections of every batch: when the asynchronous scans of
 * a view over several accounts run side by side, each closed the others'
 * connections as its own transfers ended, and nearly every request paid a
 * new TLS handshake.
 */
#define MAX_CACHED_CONNECTIONS 128

/* Socket events taken from the epoll set in one go */
#define MAX_SOCKET_EVENTS 16

/* One transfer; malloc'd, owned by its batch */
typedef struct HttpTransfer
{
	CURL	   *easy;
	struct curl_slist *headers;
	char	   *buf;			/* received body (malloc'd) */
	size_t		len;
	size_t		cap;
	bool		too_large;
	bool		added;			/* added to the multi handle */
	bool		finished;		/* done, waiting to be handed out */
	CURLcode	code;
	char		errbuf[CURL_ERROR_SIZE];
	EcsHttpRequest *req;
	struct HttpTransfer *next;
} HttpTransfer;

struct EcsHttpBatch
{
	CURLM	   *multi;
	HttpTransfer *transfers;	/* running and finished ones */
	int			running;
	char	   *ca_file;
	struct curl_slist *connect_to;	/* CURLOPT_CONNECT_TO, or NULL */
	long		connect_timeout_ms;
	long		request_timeout_ms;
	MemoryContextCallback cleanup;

	/* evented batches only */
	int			epoll_fd;		/* the sockets and the timer; -1 if none */
	int			timer_fd;
	TimestampTz curl_due;		/* when libcurl wants a timeout call; 0 */
	int			event_errno;	/* an epoll_ctl failure to report */
};

static CURLSH *share_handle = NULL;

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *arg);
static void free_transfer(EcsHttpBatch *batch, HttpTransfer *t);
static void batch_cleanup(void *arg);
static bool official_host(const char *url);
static void collect_finished(EcsHttpBatch *batch);
static EcsHttpRequest *hand_out(EcsHttpBatch *batch, HttpTransfer *t);
static EcsTransportResult transport_result(CURLcode code, bool too_large);
static int	socket_callback(CURL *easy, curl_socket_t fd, int what,
							void *arg, void *socketp);
static int	timer_callback(CURLM *multi, long timeout_ms, void *arg);
static void drive_events(EcsHttpBatch *batch);
static void close_events(EcsHttpBatch *batch);
static void drain_timer(EcsHttpBatch *batch);
static EcsTransportResult certificate_result(CURL *easy);

/*
 * ecs_http_init
 *		Initialise libcurl; called once from _PG_init.
 */
void
ecs_http_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize the HTTP library")));
}

/*
 * ecs_http_batch_create
 *		A new, empty batch.  It lives as long as CurrentMemoryContext: when
 *		that context is reset or deleted, every transfer still in flight is
 *		aborted and its memory released.
 */
EcsHttpBatch *
ecs_http_batch_create(const EcsHttpSettings *settings)
{
	EcsHttpBatch *batch;

	if (share_handle == NULL)
	{
		CURLSH	   *sh = curl_share_init();

		if (sh == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
		curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		share_handle = sh;
	}

	batch = palloc0(sizeof(EcsHttpBatch));
	batch->epoll_fd = -1;
	batch->timer_fd = -1;
	batch->ca_file = settings->ca_file ? pstrdup(settings->ca_file) : NULL;
	batch->connect_timeout_ms = settings->connect_timeout_ms;
	batch->request_timeout_ms = settings->request_timeout_ms;
	batch->multi = curl_multi_init();
	if (batch->multi == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	batch->cleanup.func = batch_cleanup;
	batch->cleanup.arg = batch;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &batch->cleanup);
	if (curl_multi_setopt(batch->multi, CURLMOPT_MAXCONNECTS,
						  (long) MAX_CACHED_CONNECTIONS) != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set up HTTP requests"),
				 errdetail("The HTTP library rejected a multi option.")));
	if (settings->connect_to)
	{
		/* any host and port: the URL's host stays in Host and TLS SNI */
		char	   *rule = psprintf("::%s", settings->connect_to);

		batch->connect_to = curl_slist_append(NULL, rule);
		if (batch->connect_to == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
	}
	return batch;
}

/*
 * official_host
 *		Whether the host of an https URL is under aliyuncs.com: the hosts
 *		that the connect_to option sends elsewhere (not, say, the metadata
 *		service's address).
 */
static bool
official_host(const char *url)
{
	const char *host;
	size_t		n;

	if (strncmp(url, "https://", 8) != 0)
		return false;
	host = url + 8;
	n = strcspn(host, ":/");
	return n > 13 && strncmp(host + n - 13, ".aliyuncs.com", 13) == 0;
}

/*
 * ecs_http_batch_add
 *		Start req at once.  The request's url, body and headers are copied
 *		into libcurl, so they may be freed after this returns; the request
 *		struct itself must stay until ecs_http_batch_wait hands it back.
 */
void
ecs_http_batch_add(EcsHttpBatch *batch, EcsHttpRequest *req)
{
	HttpTransfer *t;
	ListCell   *lc;
	bool		ok = true;
	bool		has_accept = false;

	t = calloc(1, sizeof(HttpTransfer));
	if (t == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	t->req = req;
	t->next = batch->transfers;
	batch->transfers = t;		/* from now on, batch_cleanup frees it */

	t->easy = curl_easy_init();
	if (t->easy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));

	foreach(lc, req->headers)
	{
		struct curl_slist *h = curl_slist_append(t->headers, lfirst(lc));

		has_accept |= pg_strncasecmp(lfirst(lc), "accept:", 7) == 0;

		if (h == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		t->headers = h;
	}
	/* we sign the body ourselves; no "Expect: 100-continue" round trip */
	t->headers = curl_slist_append(t->headers, "Expect:");
	/* only what the caller sends: no default type or Accept of libcurl's */
	if (t->headers != NULL && req->body == NULL)
		t->headers = curl_slist_append(t->headers, "Content-Type:");
	if (t->headers != NULL && !has_accept)
		t->headers = curl_slist_append(t->headers, "Accept:");
	if (t->headers == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));

	ok &= curl_easy_setopt(t->easy, CURLOPT_URL, req->url) == CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	ok &= curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
#else
	ok &= curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS,
						   (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS)) == CURLE_OK;
#endif
	ok &= curl_easy_setopt(t->easy, CURLOPT_SHARE, share_handle) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	if (batch->ca_file)
		ok &= curl_easy_setopt(t->easy, CURLOPT_CAINFO, batch->ca_file) == CURLE_OK;
	if (batch->connect_to && official_host(req->url))
		ok &= curl_easy_setopt(t->easy, CURLOPT_CONNECT_TO, batch->connect_to) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS,
						   batch->connect_timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS,
						   batch->request_timeout_ms) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_NETRC, (long) CURL_NETRC_IGNORED) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "ecs_image_fdw/1.0") == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers) == CURLE_OK;
	if (req->method != NULL && strcmp(req->method, "GET") == 0)
		ok &= curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L) == CURLE_OK;
	else
	{
		/* POST, or another method (PUT) with the same kind of body */
		ok &= curl_easy_setopt(t->easy, CURLOPT_POST, 1L) == CURLE_OK;
		ok &= curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE,
							   (long) (req->body ? strlen(req->body) : 0)) == CURLE_OK;
		ok &= curl_easy_setopt(t->easy, CURLOPT_COPYPOSTFIELDS,
							   req->body ? req->body : "") == CURLE_OK;
		if (req->method != NULL && strcmp(req->method, "POST") != 0)
			ok &= curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST,
								   req->method) == CURLE_OK;
	}
	ok &= curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, write_body) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->errbuf) == CURLE_OK;
	ok &= curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t) == CURLE_OK;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set up an HTTP request"),
				 errdetail("The HTTP library rejected a transfer option.")));

	if (curl_multi_add_handle(batch->multi, t->easy) != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not start an HTTP request")));
	t->added = true;
	batch->running++;
}

/*
 * ecs_http_batch_set_evented
 *		Make a new, empty batch evented: libcurl's sockets and timeouts go
 *		into an epoll set of the batch's own, which ecs_http_batch_event_fd
 *		hands to the caller's event loop.  Linux only, like the rest of the
 *		wrapper's deployment.
 */
void
ecs_http_batch_set_evented(EcsHttpBatch *batch)
{
	struct epoll_event ev;
	bool		ok = true;

	Assert(batch->transfers == NULL && batch->epoll_fd < 0);

	ReserveExternalFD();
	batch->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (batch->epoll_fd < 0)
	{
		ReleaseExternalFD();
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not create an epoll set for HTTP requests: %m")));
	}
	ReserveExternalFD();
	batch->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (batch->timer_fd < 0)
	{
		ReleaseExternalFD();
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not create a timer for HTTP requests: %m")));
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = batch->timer_fd;
	if (epoll_ctl(batch->epoll_fd, EPOLL_CTL_ADD, batch->timer_fd, &ev) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not watch the timer of HTTP requests: %m")));

	ok &= curl_multi_setopt(batch->multi, CURLMOPT_SOCKETFUNCTION,
							socket_callback) == CURLM_OK;
	ok &= curl_multi_setopt(batch->multi, CURLMOPT_SOCKETDATA, batch) == CURLM_OK;
	ok &= curl_multi_setopt(batch->multi, CURLMOPT_TIMERFUNCTION,
							timer_callback) == CURLM_OK;
	ok &= curl_multi_setopt(batch->multi, CURLMOPT_TIMERDATA, batch) == CURLM_OK;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set up asynchronous HTTP requests"),
				 errdetail("The HTTP library rejected a multi option.")));
}

/*
 * ecs_http_batch_event_fd
 *		The descriptor of an evented batch to wait on: it becomes readable
 *		when a socket of the batch is ready, when libcurl wants a timeout
 *		call, after timeout_ms (if not negative; the caller's own next
 *		deadline), and at the latest after EVENT_SLICE_MS.  Then call
 *		ecs_http_batch_wait with a zero timeout.
 */
int
ecs_http_batch_event_fd(EcsHttpBatch *batch, long timeout_ms)
{
	struct itimerspec its;
	long		wait = EVENT_SLICE_MS;

	Assert(batch->epoll_fd >= 0);
	if (timeout_ms >= 0)
		wait = Min(wait, timeout_ms);
	if (batch->curl_due != 0)
	{
		TimestampTz now = GetCurrentTimestamp();

		wait = Min(wait, batch->curl_due <= now ? 0 :
				   (long) ((batch->curl_due - now + 999) / 1000));
	}

	/* forget an expiry nobody read, then arm; a zero value would disarm */
	drain_timer(batch);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = wait / 1000;
	its.it_value.tv_nsec = (wait % 1000) * 1000000L;
	if (wait == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(batch->timer_fd, 0, &its, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not set the timer of HTTP requests: %m")));
	return batch->epoll_fd;
}

/*
 * ecs_http_batch_wait
 *		Drive the transfers until one finishes, and return its request with
 *		the outcome filled in.  Returns NULL when no transfer is running, or
 *		after timeout_ms (if not negative) with none finished; with a zero
 *		timeout it never blocks.  The response is copied into the memory
 *		context of the request struct.
 *
 *		Interrupts are checked at least every POLL_SLICE_MS, so a cancel or
 *		statement_timeout takes effect at once (the memory context callback
 *		then aborts the transfers).
 */
EcsHttpRequest *
ecs_http_batch_wait(EcsHttpBatch *batch, long timeout_ms)
{
	TimestampTz start = GetCurrentTimestamp();

	for (;;)
	{
		HttpTransfer *t;
		int			still_running;
		long		slice = POLL_SLICE_MS;

		CHECK_FOR_INTERRUPTS();

		if (batch->epoll_fd >= 0)
			drive_events(batch);
		else if (curl_multi_perform(batch->multi, &still_running) != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not drive HTTP requests")));
		collect_finished(batch);

		for (t = batch->transfers; t != NULL; t = t->next)
		{
			if (t->finished)
				return hand_out(batch, t);
		}
		if (batch->running == 0)
			return NULL;

		if (timeout_ms >= 0)
		{
			long		waited = (long) ((GetCurrentTimestamp() - start) / 1000);

			if (waited >= timeout_ms)
				return NULL;
			slice = Min(slice, timeout_ms - waited);
		}
		if (batch->epoll_fd >= 0)
		{
			(void) WaitLatchOrSocket(MyLatch,
									 WL_LATCH_SET | WL_SOCKET_READABLE |
									 WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
									 ecs_http_batch_event_fd(batch, slice),
									 slice,
									 ecs_wait_event(ECS_WAIT_NETWORK));
			ResetLatch(MyLatch);
		}
		else
		{
			CURLMcode	rc;

			pgstat_report_wait_start(ecs_wait_event(ECS_WAIT_NETWORK));
			rc = curl_multi_poll(batch->multi, NULL, 0, (int) slice, NULL);
			pgstat_report_wait_end();
			if (rc != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("could not wait for HTTP requests")));
		}
	}
}

/*
 * drive_events
 *		Let libcurl act on the sockets of an evented batch that are ready,
 *		and on its timeout when it is due.  Never blocks.
 */
static void
drive_events(EcsHttpBatch *batch)
{
	struct epoll_event events[MAX_SOCKET_EVENTS];
	int			n;
	int			i;
	int			still_running;

	if (batch->event_errno != 0)
	{
		errno = batch->event_errno;
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not watch the sockets of HTTP requests: %m")));
	}
	n = epoll_wait(batch->epoll_fd, events, MAX_SOCKET_EVENTS, 0);
	if (n < 0 && errno != EINTR)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not wait for HTTP requests: %m")));
	for (i = 0; i < n; i++)
	{
		int			fd = events[i].data.fd;
		int			mask = 0;

		if (fd == batch->timer_fd)
		{
			drain_timer(batch);
			continue;
		}
		if (events[i].events & EPOLLIN)
			mask |= CURL_CSELECT_IN;
		if (events[i].events & EPOLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (events[i].events & (EPOLLERR | EPOLLHUP))
			mask |= CURL_CSELECT_ERR;
		if (curl_multi_socket_action(batch->multi, fd, mask,
									 &still_running) != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not drive HTTP requests")));
	}
	/* a timeout call may ask for another at once (a new connection) */
	for (i = 0; i < 4 && batch->curl_due != 0 &&
		 batch->curl_due <= GetCurrentTimestamp(); i++)
	{
		batch->curl_due = 0;
		if (curl_multi_socket_action(batch->multi, CURL_SOCKET_TIMEOUT, 0,
									 &still_running) != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not drive HTTP requests")));
	}
}

/*
 * drain_timer
 *		Read the timer's expirations, if any, so it is no longer readable.
 */
static void
drain_timer(EcsHttpBatch *batch)
{
	uint64		expirations;

	if (read(batch->timer_fd, &expirations, sizeof(expirations)) < 0)
		return;					/* EAGAIN: it had not expired */
}

/*
 * socket_callback
 *		libcurl tells which events a socket of an evented batch waits for.
 *		It must not throw: a failure is kept and reported by drive_events.
 */
static int
socket_callback(CURL *easy, curl_socket_t fd, int what, void *arg,
				void *socketp)
{
	EcsHttpBatch *batch = (EcsHttpBatch *) arg;
	struct epoll_event ev;

	if (what == CURL_POLL_REMOVE)
	{
		(void) epoll_ctl(batch->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
		((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (epoll_ctl(batch->epoll_fd, EPOLL_CTL_MOD, fd, &ev) != 0 &&
		(errno != ENOENT ||
		 epoll_ctl(batch->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0))
		batch->event_errno = errno;
	return 0;
}

/*
 * timer_callback
 *		libcurl tells when it wants to be called for its timeouts: after
 *		timeout_ms, or (-1) not at all.
 */
static int
timer_callback(CURLM *multi, long timeout_ms, void *arg)
{
	EcsHttpBatch *batch = (EcsHttpBatch *) arg;

	batch->curl_due = timeout_ms < 0 ? 0 :
		GetCurrentTimestamp() + (TimestampTz) timeout_ms * 1000;
	return 0;
}

/*
 * collect_finished
 *		Mark the transfers that libcurl reports as done.
 */
static void
collect_finished(EcsHttpBatch *batch)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(batch->multi, &left)) != NULL)
	{
		HttpTransfer *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		if (t == NULL)
			continue;
		t->code = msg->data.result;
		t->finished = true;
		curl_multi_remove_handle(batch->multi, t->easy);
		batch->running--;
	}
}

/*
 * hand_out
 *		Fill in the outcome of a finished transfer, release it and return
 *		its request.
 */
static EcsHttpRequest *
hand_out(EcsHttpBatch *batch, HttpTransfer *t)
{
	EcsHttpRequest *req = t->req;
	long		status = 0;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	req->result = transport_result(t->code, t->too_large);
	if (t->code == CURLE_PEER_FAILED_VERIFICATION)
		req->result = certificate_result(t->easy);
	req->status = (req->result == ECS_TRANSPORT_OK) ? status : 0;
	if (req->result != ECS_TRANSPORT_OK)
		strlcpy(req->error, t->errbuf[0] ? t->errbuf : curl_easy_strerror(t->code),
				sizeof(req->error));
	else
		req->error[0] = '\0';

	/* copy the body while the transfer is still owned by the batch */
	req->response = MemoryContextAlloc(GetMemoryChunkContext(req), t->len + 1);
	if (t->len > 0)
		memcpy(req->response, t->buf, t->len);
	req->response[t->len] = '\0';
	req->response_len = t->len;

	free_transfer(batch, t);
	return req;
}

/*
 * transport_result
 *		Our classification of a libcurl result code.  The codes are stable
 *		across libcurl versions, their texts are not: messages are built from
 *		the class.  A TLS stream cut short is CURLE_PARTIAL_FILE or
 *		CURLE_RECV_ERROR, depending on the OpenSSL version.
 */
static EcsTransportResult
transport_result(CURLcode code, bool too_large)
{
	switch (code)
	{
		case CURLE_OK:
			return ECS_TRANSPORT_OK;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
			return ECS_TRANSPORT_CONNECT;
		case CURLE_OPERATION_TIMEDOUT:
			return ECS_TRANSPORT_TIMEOUT;
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
			return ECS_TRANSPORT_TLS;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_INVALIDCERTSTATUS:
			return ECS_TRANSPORT_CERTIFICATE;
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
			return ECS_TRANSPORT_BROKEN;
		default:
			return too_large ? ECS_TRANSPORT_TOO_LARGE : ECS_TRANSPORT_FAILED;
	}
}

/*
 * certificate_result
 *		Why the server's certificate was refused, from OpenSSL's verify
 *		result (X509_V_ERR_* numbers, the same in every OpenSSL release).
 *		When the chain itself verified, libcurl's own host name check failed;
 *		libcurl then reports 0 or 1 (X509_V_ERR_UNSPECIFIED).
 */
static EcsTransportResult
certificate_result(CURL *easy)
{
	long		verify = -1;

	curl_easy_getinfo(easy, CURLINFO_SSL_VERIFYRESULT, &verify);
	switch (verify)
	{
		case 0:
		case 1:
			return ECS_TRANSPORT_CERT_HOST;
		case 2:					/* unable to get issuer certificate */
		case 18:				/* self-signed certificate */
		case 19:				/* self-signed certificate in chain */
		case 20:				/* unable to get local issuer certificate */
		case 21:				/* unable to verify the first certificate */
			return ECS_TRANSPORT_CERT_UNTRUSTED;
		default:
			return ECS_TRANSPORT_CERTIFICATE;
	}
}

/*
 * write_body
 *		libcurl write callback: append to the malloc'd receive buffer.  It
 *		must not throw, so it only returns 0 (abort) when the body grows
 *		past the limit or memory runs out.
 */
static size_t
write_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	HttpTransfer *t = (HttpTransfer *) arg;
	size_t		n = size * nmemb;

	if (t->len + n > ECS_MAX_RESPONSE_BYTES)
	{
		t->too_large = true;
		return 0;
	}
	if (t->len + n > t->cap)
	{
		size_t		newcap = Max(t->cap * 2, Max(t->len + n, 16384));
		char	   *nb = realloc(t->buf, newcap);

		if (nb == NULL)
			return 0;
		t->buf = nb;
		t->cap = newcap;
	}
	memcpy(t->buf + t->len, ptr, n);
	t->len += n;
	return n;
}

/*
 * free_transfer
 *		Unlink a transfer from its batch and release its libcurl resources.
 */
static void
free_transfer(EcsHttpBatch *batch, HttpTransfer *t)
{
	HttpTransfer **p;

	for (p = &batch->transfers; *p != NULL; p = &(*p)->next)
	{
		if (*p == t)
		{
			*p = t->next;
			break;
		}
	}
	if (t->easy)
	{
		if (t->added && !t->finished)
		{
			curl_multi_remove_handle(batch->multi, t->easy);
			batch->running--;
		}
		curl_easy_cleanup(t->easy);
	}
	curl_slist_free_all(t->headers);
	free(t->buf);
	free(t);
}

/*
 * batch_cleanup
 *		Memory context callback: abort whatever is still in flight.
 */
static void
batch_cleanup(void *arg)
{
	EcsHttpBatch *batch = (EcsHttpBatch *) arg;

	while (batch->transfers != NULL)
		free_transfer(batch, batch->transfers);
	if (batch->multi)
		curl_multi_cleanup(batch->multi);
	batch->multi = NULL;
	close_events(batch);
	curl_slist_free_all(batch->connect_to);
	batch->connect_to = NULL;
}

/*
 * close_events
 *		Close the epoll set and the timer of an evented batch.
 */
static void
close_events(EcsHttpBatch *batch)
{
	if (batch->timer_fd >= 0)
	{
		close(batch->timer_fd);
		ReleaseExternalFD();
	}
	if (batch->epoll_fd >= 0)
	{
		close(batch->epoll_fd);
		ReleaseExternalFD();
	}
	batch->timer_fd = -1;
	batch->epoll_fd = -1;
}

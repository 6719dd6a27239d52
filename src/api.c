/*-------------------------------------------------------------------------
 *
 * api.c
 *		  Building signed API requests, and judging and reporting answers.
 *
 * Every request is a POST to "/", built as the official SDKs build it (the
 * conformance suite compares them byte for byte).  Signature version 3
 * (ACS3-HMAC-SHA256), as @alicloud/ecs20140526 sends it: the action
 * parameters in the query string, an empty body, the signature and any
 * security token in headers.  Version 1 (RPC HMAC-SHA1), as
 * @alicloud/pop-core sends it: every parameter, the signature and token
 * included, in an application/x-www-form-urlencoded body.  So no signature
 * or token ever appears in a URL.  Each attempt gets a fresh timestamp and
 * nonce.
 *
 * The credentials come from credentials.c at the moment each request is
 * signed, so a refresh happens between requests, never during one.
 *
 * ecs_api_classify() decides whether an answer is good, worth retrying or
 * final, and ecs_api_errcode/errdetail/errhint turn a failure into the
 * parts of an ereport: the one place where API codes meet SQLSTATEs.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "credentials.h"
#include "ecs_image_fdw.h"

/* Longest API message we quote in an error detail */
#define MAX_MESSAGE_LEN 400

static const char *endpoint_host(const char *url_base, char **base_out);
static void ensure_region(const EcsConfig *config, const char *region);
static bool is_auth_code(const char *code);
static char *signed_or_error(char *result);
static EcsHttpRequest *build_api_call(void *arg);

/* The arguments of one ecs_api_call, for build_api_call */
typedef struct ApiCallArgs
{
	const EcsConfig *config;
	bool		oos;
	const char *region;
	const char *action;
	const EcsParams *params;
} ApiCallArgs;
static bool is_permission_code(const char *code);

/*
 * endpoint_host
 *		Split an endpoint URL (already validated) into the base URL without a
 *		trailing slash and the host[:port] part, both palloc'd.
 */
static const char *
endpoint_host(const char *url, char **base_out)
{
	const char *host = strstr(url, "://") + 3;
	size_t		hostlen = strcspn(host, "/");

	*base_out = pnstrdup(url, (host - url) + hostlen);
	return pnstrdup(host, hostlen);
}

/*
 * with_region
 *		s with every "{region}" replaced by region, palloc'd.
 */
static char *
with_region(const char *s, const char *region)
{
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	for (p = s; *p; p++)
	{
		if (strncmp(p, "{region}", 8) == 0)
		{
			appendStringInfoString(&buf, region);
			p += 7;
		}
		else
			appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/*
 * signed_or_error
 *		A digest or a signature from sign.c, which is NULL when OpenSSL
 *		failed: then an ERROR, rather than a request with an empty signature
 *		that the API would refuse as if the key were wrong.
 */
static char *
signed_or_error(char *result)
{
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("could not sign the request"),
				 errdetail("OpenSSL could not compute a digest or an HMAC.")));
	return result;
}

/*
 * ecs_api_url
 *		The URL of path (which starts with '/') on a validated endpoint that
 *		has no "{region}" in it, palloc'd.
 */
char *
ecs_api_url(const char *endpoint, const char *path)
{
	char	   *base;

	(void) endpoint_host(endpoint, &base);
	return psprintf("%s%s", base, path);
}

/*
 * ecs_api_rpc_body
 *		The form body of an RPC request: params with the common parameters,
 *		signed with HMAC-SHA1 (signature version 1.0) using creds, or
 *		unsigned when creds is NULL (AssumeRoleWithOIDC).  palloc'd.
 */
char *
ecs_api_rpc_body(const EcsParams *params, const char *action,
				 const char *version, const EcsCredentials *creds)
{
	EcsParams	all = {0};
	char		timestamp[ECS_TIMESTAMP_LEN + 1];
	char		nonce[ECS_NONCE_LEN + 1];
	char	   *signature;
	int			i;

	ecs_format_timestamp(time(NULL), timestamp);
	for (i = 0; i < params->count; i++)
		ecs_params_add(&all, params->items[i].name, params->items[i].value);
	ecs_params_add(&all, "Action", action);
	ecs_params_add(&all, "Version", version);
	ecs_params_add(&all, "Format", "JSON");
	ecs_params_add(&all, "Timestamp", timestamp);
	if (creds == NULL)
		return ecs_canonical_query(all.items, all.count);

	ecs_make_nonce(nonce);
	ecs_params_add(&all, "AccessKeyId", creds->access_key_id);
	ecs_params_add(&all, "SignatureMethod", "HMAC-SHA1");
	ecs_params_add(&all, "SignatureVersion", "1.0");
	ecs_params_add(&all, "SignatureNonce", nonce);
	if (creds->security_token)
		ecs_params_add(&all, "SecurityToken", creds->security_token);

	signature = signed_or_error(ecs_rpc_signature("POST", all.items, all.count,
												  creds->access_key_secret));
	return psprintf("%s&Signature=%s",
					ecs_canonical_query(all.items, all.count),
					ecs_percent_encode(signature));
}

/*
 * ecs_api_rpc_headers
 *		The headers of an RPC request with an ecs_api_rpc_body, as
 *		@alicloud/pop-core sends them (libcurl adds Host).  palloc'd.
 */
List *
ecs_api_rpc_headers(const char *action, const char *version)
{
	return list_make3(psprintf("x-acs-action: %s", action),
					  psprintf("x-acs-version: %s", version),
					  "content-type: application/x-www-form-urlencoded");
}

/*
 * ecs_api_build_request
 *		A signed request for action in region, ready for http.c.  The
 *		endpoint's "{region}" is replaced by region.  Everything is palloc'd
 *		in CurrentMemoryContext.
 */
EcsHttpRequest *
ecs_api_build_request(const EcsConfig *config, bool oos, const char *region,
					  const char *action, const EcsParams *params)
{
	EcsHttpRequest *req = palloc0(sizeof(EcsHttpRequest));
	const char *template;
	const char *version = oos ? OOS_API_VERSION : ECS_API_VERSION;
	const EcsCredentials *creds = ecs_credentials_get(config);
	char	   *base;
	char	   *base_template;
	const char *host;
	char		timestamp[ECS_TIMESTAMP_LEN + 1];
	char		nonce[ECS_NONCE_LEN + 1];

	/*
	 * The region goes into the endpoint only once it is known to be a region
	 * id, so it cannot add a port, a path, credentials or another host; and
	 * the host must come out as the endpoint's host with the region in it.
	 */
	ecs_check_region_id(region);
	template = ecs_route_endpoint(config, oos, region);
	host = endpoint_host(with_region(template, region), &base);
	if (strcmp(host, with_region(endpoint_host(template, &base_template),
								 region)) != 0)
		elog(ERROR, "endpoint host \"%s\" is not the one configured", host);

	ecs_format_timestamp(time(NULL), timestamp);
	ecs_make_nonce(nonce);

	if (config->signature_version == 1)
	{
		req->url = psprintf("%s/", base);
		req->body = ecs_api_rpc_body(params, action, version, creds);
		req->headers = ecs_api_rpc_headers(action, version);
	}
	else
	{
		EcsParam	headers[10];
		int			nheaders = 0;
		char	   *hash = signed_or_error(ecs_sha256_hex("", 0));
		char	   *canonical;
		char	   *signed_headers;
		char	   *signature;
		int			i;

		/* in the SDK's order; "accept" is sent but not signed */
		req->url = psprintf("%s/?%s", base,
							ecs_wire_query(params->items, params->count));
		headers[nheaders++] = (EcsParam) {"host", host};
		headers[nheaders++] = (EcsParam) {"x-acs-version", version};
		headers[nheaders++] = (EcsParam) {"x-acs-action", action};
		headers[nheaders++] = (EcsParam) {"x-acs-date", timestamp};
		headers[nheaders++] = (EcsParam) {"x-acs-signature-nonce", nonce};
		headers[nheaders++] = (EcsParam) {"accept", "application/json"};
		headers[nheaders++] = (EcsParam) {"x-acs-content-sha256", hash};
		if (creds->security_token)
		{
			headers[nheaders++] = (EcsParam) {"x-acs-accesskey-id",
			creds->access_key_id};
			headers[nheaders++] = (EcsParam) {"x-acs-security-token",
			creds->security_token};
		}

		for (i = 0; i < nheaders; i++)
			req->headers = lappend(req->headers,
								   psprintf("%s: %s", headers[i].name,
											headers[i].value));
		/* sign every header but accept: swap it out of the array */
		headers[5] = headers[--nheaders];
		canonical = ecs_acs3_canonical_request("POST", "/",
											   ecs_canonical_query(params->items,
																   params->count),
											   headers, nheaders, hash,
											   &signed_headers);
		signature = signed_or_error(ecs_acs3_signature(canonical,
													   creds->access_key_secret));
		req->headers = lappend(req->headers,
							   psprintf("Authorization: ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
										creds->access_key_id, signed_headers,
										signature));
	}

	elog(DEBUG1, "ecs_image_fdw: %s in region %s via %s", action, region, host);
	return req;
}

/*
 * ecs_api_code_is
 *		Whether an API error code equals prefix or starts with "prefix.".
 */
bool
ecs_api_code_is(const char *code, const char *prefix)
{
	size_t		n = strlen(prefix);

	return code != NULL && strncmp(code, prefix, n) == 0 &&
		(code[n] == '\0' || code[n] == '.');
}

static bool
is_auth_code(const char *code)
{
	return ecs_api_code_is(code, "InvalidAccessKeyId") ||
		ecs_api_code_is(code, "SignatureDoesNotMatch") ||
		ecs_api_code_is(code, "IncompleteSignature") ||
		ecs_api_code_is(code, "SignatureNonceUsed") ||
		ecs_api_code_is(code, "InvalidTimeStamp") ||
		ecs_api_code_is(code, "IllegalTimestamp") ||
		ecs_api_code_is(code, "MissingSecurityToken") ||
		ecs_api_code_is(code, "InvalidSecurityToken") ||
		ecs_api_code_is(code, "AuthenticationFail") ||
		ecs_api_code_is(code, "Forbidden.AccessKeyDisabled");
}

static bool
is_permission_code(const char *code)
{
	return ecs_api_code_is(code, "Forbidden") ||
		ecs_api_code_is(code, "Forbbiden") ||
		ecs_api_code_is(code, "NoPermission");
}

/*
 * ecs_api_classify
 *		Judge a completed request.  On anything but ECS_OUTCOME_OK, err
 *		describes the failure.  A 2xx answer counts as good here; if its
 *		body then fails to decode, the caller sets err->bad_body and retries.
 */
EcsOutcome
ecs_api_classify(const EcsHttpRequest *req, EcsApiError *err)
{
	memset(err, 0, sizeof(EcsApiError));
	err->transport = req->result;
	err->http_status = req->status;

	if (req->result != ECS_TRANSPORT_OK)
	{
		err->message = pstrdup(req->error);
		if (req->result == ECS_TRANSPORT_TLS ||
			req->result == ECS_TRANSPORT_CERTIFICATE ||
			req->result == ECS_TRANSPORT_CERT_UNTRUSTED ||
			req->result == ECS_TRANSPORT_CERT_HOST ||
			req->result == ECS_TRANSPORT_TOO_LARGE)
			return ECS_OUTCOME_FAIL;
		return ECS_OUTCOME_RETRY;
	}
	if (req->status >= 200 && req->status < 300)
		return ECS_OUTCOME_OK;

	if (!ecs_decode_error(req->response, req->response_len, err))
	{
		err->bad_body = true;
		return req->status >= 500 ? ECS_OUTCOME_RETRY : ECS_OUTCOME_FAIL;
	}

	/*
	 * SignatureNonceUsed is worth a retry too: libcurl resends a request
	 * whose reused connection died before any answer, and if the gateway had
	 * seen the first copy, the second one's nonce counts as used.  Our retry
	 * is signed afresh.
	 */
	if (req->status >= 500 ||
		(err->code && strstr(err->code, "Throttling") != NULL) ||
		ecs_api_code_is(err->code, "ServiceUnavailable") ||
		ecs_api_code_is(err->code, "InternalError") ||
		ecs_api_code_is(err->code, "OperationConflict") ||
		ecs_api_code_is(err->code, "InvalidOperation.Conflict") ||
		ecs_api_code_is(err->code, "LastTokenProcessing") ||
		ecs_api_code_is(err->code, "SignatureNonceUsed") ||
		ecs_api_code_is(err->code, "InvalidSecurityToken.Expired"))
		return ECS_OUTCOME_RETRY;
	return ECS_OUTCOME_FAIL;
}

/*
 * ecs_api_errcode
 *		The SQLSTATE for a failed call.
 */
int
ecs_api_errcode(const EcsApiError *err)
{
	const char *code = err->code;

	if (err->transport != ECS_TRANSPORT_OK)
		return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
	if (err->bad_body)
		return ERRCODE_FDW_INVALID_STRING_FORMAT;
	if (is_auth_code(code))
		return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
	if (is_permission_code(code))
		return ERRCODE_INSUFFICIENT_PRIVILEGE;
	if (code && strstr(code, "Throttling") != NULL)
		return ERRCODE_CONFIGURATION_LIMIT_EXCEEDED;
	if (code && (strstr(code, "NotFound") != NULL ||
				 strstr(code, "NotExist") != NULL))
		return ERRCODE_UNDEFINED_OBJECT;
	if (ecs_api_code_is(code, "QuotaExceed") || ecs_api_code_is(code, "QuotaExceeded"))
		return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
	if (code && (strncmp(code, "Invalid", 7) == 0 ||
				 strncmp(code, "Missing", 7) == 0 ||
				 strncmp(code, "Idempot", 7) == 0))
		return ERRCODE_INVALID_PARAMETER_VALUE;
	if (code && (strncmp(code, "Incorrect", 9) == 0 ||
				 strncmp(code, "OperationDen", 12) == 0 ||
				 strncmp(code, "OperationDei", 12) == 0 ||
				 strncmp(code, "ImageUs", 7) == 0 ||
				 strncmp(code, "ImageIs", 7) == 0))
		return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	return ERRCODE_FDW_ERROR;
}

/*
 * transport_errdetail
 *		What failed, in our words; libcurl's text (which changes between
 *		libcurl and OpenSSL versions) follows in parentheses.
 */
static int
transport_errdetail(EcsTransportResult transport, const char *library_text)
{
	const char *what;

	switch (transport)
	{
		case ECS_TRANSPORT_TOO_LARGE:
			return errdetail("The response is larger than allowed.");
		case ECS_TRANSPORT_CONNECT:
			what = _("Could not connect to the endpoint");
			break;
		case ECS_TRANSPORT_TIMEOUT:
			what = _("The request timed out");
			break;
		case ECS_TRANSPORT_TLS:
			what = _("The TLS handshake with the endpoint failed");
			break;
		case ECS_TRANSPORT_CERTIFICATE:
			what = _("The endpoint's certificate was not accepted");
			break;
		case ECS_TRANSPORT_CERT_UNTRUSTED:
			what = _("The endpoint's certificate is not signed by a trusted certificate authority");
			break;
		case ECS_TRANSPORT_CERT_HOST:
			what = _("The endpoint's certificate is not valid for its host name");
			break;
		case ECS_TRANSPORT_BROKEN:
			what = _("The connection broke before the whole answer arrived");
			break;
		default:
			what = _("The transfer failed");
			break;
	}
	return errdetail("%s (libcurl: %s).", what, library_text);
}

/*
 * ecs_api_errdetail
 *		Attach the API code, message, HTTP status and request id.  The
 *		message is the API's text, so it is not translated; the part of a
 *		SignatureDoesNotMatch message that echoes the string to sign is cut.
 */
int
ecs_api_errdetail(const EcsApiError *err)
{
	char	   *message = err->message ? pstrdup(err->message) : pstrdup("");
	char	   *cut;

	if ((cut = strstr(message, "server string to sign is")) != NULL)
	{
		while (cut > message && cut[-1] == ' ')
			cut--;
		*cut = '\0';
	}
	if (strlen(message) > MAX_MESSAGE_LEN)
		strcpy(message + MAX_MESSAGE_LEN - 3, "...");

	if (err->transport != ECS_TRANSPORT_OK)
		return transport_errdetail(err->transport, message);
	if (err->bad_body)
		return errdetail("The answer with HTTP status %ld is not a valid API response.",
						 err->http_status);
	return errdetail_internal("API error %s (HTTP status %ld, request ID %s): %s",
							  err->code ? err->code : "(none)",
							  err->http_status,
							  err->request_id ? err->request_id : "(none)",
							  message);
}

/*
 * ecs_api_errhint
 *		Advice for the failures where we can give some.
 */
int
ecs_api_errhint(const EcsApiError *err)
{
	const char *code = err->code;

	switch (err->transport)
	{
		case ECS_TRANSPORT_OK:
			break;
		case ECS_TRANSPORT_TLS:
		case ECS_TRANSPORT_CERTIFICATE:
		case ECS_TRANSPORT_CERT_UNTRUSTED:
		case ECS_TRANSPORT_CERT_HOST:
			return errhint("Check the server's certificate and the ca_file option of the server.");
		case ECS_TRANSPORT_TOO_LARGE:
			return errhint("Answers are limited to %d MB.",
						   ECS_MAX_RESPONSE_BYTES / (1024 * 1024));
		default:
			return errhint("Check the endpoint option of the server and that the host can be reached.");
	}
	if (ecs_api_code_is(code, "SignatureNonceUsed") ||
		ecs_api_code_is(code, "InvalidTimeStamp"))
		return errhint("Check that the clock of the database server is correct.");
	if (is_auth_code(code))
		return errhint("Check the access_key_id, access_key_secret and security_token options of the user mapping.");
	if (is_permission_code(code))
		return errhint("Grant the RAM user of the access key the permission for this action.");
	if (ecs_api_code_is(code, "InvalidRegionId"))
		return errhint("Check the regions option of the server or the foreign table.");
	if (code && strstr(code, "Throttling") != NULL)
		return errhint("Lower max_concurrency of the server, or try again later.");
	if (err->http_status >= 500)
		return errhint("The service failed for now; try again later.");
	return 0;
}

/*
 * ecs_api_backoff_ms
 *		Delay before retry number attempt (1-based): exponential from 200 ms,
 *		capped at 10 s, with jitter over the upper half.
 */
long
ecs_api_backoff_ms(int attempt)
{
	long		cap = 200L << Min(attempt - 1, 6);

	cap = Min(cap, 10000L);
	return cap / 2 + (long) (pg_prng_double(&pg_global_prng_state) * (cap / 2));
}

/*
 * ecs_api_sleep
 *		Wait ms milliseconds, waking for interrupts (a cancel or
 *		statement_timeout ends the wait at once) and postmaster death.
 */
void
ecs_api_sleep(long ms)
{
	TimestampTz end = GetCurrentTimestamp() + ms * 1000;

	for (;;)
	{
		long		left;

		CHECK_FOR_INTERRUPTS();
		left = (long) ((end - GetCurrentTimestamp()) / 1000);
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, ecs_wait_event(ECS_WAIT_PAUSE));
		ResetLatch(MyLatch);
	}
}

/*
 * build_api_call
 *		The EcsRequestBuilder of ecs_api_call.
 */
static EcsHttpRequest *
build_api_call(void *arg)
{
	ApiCallArgs *a = (ApiCallArgs *) arg;

	return ecs_api_build_request(a->config, a->oos, a->region, a->action,
								 a->params);
}

/*
 * ecs_api_batch_create
 *		A new HTTP batch with the server's TLS, timeout and connection
 *		settings.
 */
EcsHttpBatch *
ecs_api_batch_create(const EcsConfig *config)
{
	EcsHttpSettings settings;

	settings.ca_file = config->ca_file;
	settings.connect_to = config->connect_to;
	settings.connect_timeout_ms = config->connect_timeout_ms;
	settings.request_timeout_ms = config->request_timeout_ms;
	return ecs_http_batch_create(&settings);
}

/*
 * ensure_region
 *		Before a call in a region that is not known to exist (its host would
 *		not resolve): ask DescribeRegions, and remember its answer.  A region
 *		it does not list is an error that names those it does.
 */
static void
ensure_region(const EcsConfig *config, const char *region)
{
	const EcsResourceDef *def = &ecs_resources[ECS_RESOURCE_REGIONS];
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		page;
	char	   *body;

	ecs_check_region_id(region);
	if (ecs_route_region_known(config, region))
		return;
	ecs_params_add(&params, def->language_param, config->language);
	body = ecs_api_call(config, false, ECS_BOOTSTRAP_REGION, def->action,
						&params, &err, NULL);
	if (body == NULL)
		ereport(ERROR,
				(errcode(ecs_api_errcode(&err)),
				 errmsg("could not list the regions of server \"%s\"",
						config->servername),
				 ecs_api_errdetail(&err), ecs_api_errhint(&err)));
	if (ecs_decode_page(body, strlen(body), def->list_name, def->item_name,
						def->key_name, ecs_route_fields, ECS_ROUTE_NFIELDS,
						NULL, &page))
		ecs_route_learn(config, page.values, page.nrows);
	if (!ecs_route_region_known(config, region))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("region \"%s\" does not exist for server \"%s\"",
						region, config->servername),
				 errhint("DescribeRegions lists these: %s.",
						 ecs_route_region_list(config))));
}

/*
 * ecs_api_call
 *		Send one API call and wait for it (see ecs_api_send).  Returns the
 *		body of the good answer, palloc'd, or NULL with *err describing the
 *		final failure.
 */
char *
ecs_api_call(const EcsConfig *config, bool oos, const char *region,
			 const char *action, const EcsParams *params, EcsApiError *err,
			 int *attempts)
{
	ApiCallArgs args = {config, oos, region, action, params};

	if (strcmp(action, ecs_resources[ECS_RESOURCE_REGIONS].action) != 0)
		ensure_region(config, region);
	return ecs_api_send(config, build_api_call, &args, err, attempts);
}

/*
 * ecs_api_send
 *		Send the request that build makes and wait for it, retrying what is
 *		worth retrying (each attempt built and signed afresh, with the same
 *		parameters, so a ClientToken among them makes the retry of a change
 *		safe).  The server's timeouts, CA file and max_retries apply.
 *		Returns the body of the good answer, palloc'd, or NULL with *err
 *		describing the final failure.  *attempts, if not NULL, receives the
 *		number of attempts made.
 */
char *
ecs_api_send(const EcsConfig *config, EcsRequestBuilder build, void *arg,
			 EcsApiError *err, int *attempts)
{
	MemoryContext caller = CurrentMemoryContext;
	int			attempt;

	for (attempt = 0;; attempt++)
	{
		MemoryContext cxt = AllocSetContextCreate(caller, "ecs_image_fdw call",
												  ALLOCSET_SMALL_SIZES);
		EcsHttpBatch *batch;
		EcsHttpRequest *req;
		EcsOutcome	outcome;
		char	   *body = NULL;

		MemoryContextSwitchTo(cxt);
		batch = ecs_api_batch_create(config);
		req = build(arg);
		ecs_http_batch_add(batch, req);
		req = ecs_http_batch_wait(batch, -1);

		MemoryContextSwitchTo(caller);
		outcome = ecs_api_classify(req, err);
		if (outcome == ECS_OUTCOME_OK)
			body = pnstrdup(req->response, req->response_len);
		MemoryContextDelete(cxt);

		if (attempts)
			*attempts = attempt + 1;
		if (outcome == ECS_OUTCOME_OK)
			return body;
		/* a cancel or timeout wins over our own complaint */
		CHECK_FOR_INTERRUPTS();
		if (outcome != ECS_OUTCOME_RETRY || attempt >= config->max_retries)
			return NULL;
		ecs_api_sleep(ecs_api_backoff_ms(attempt + 1));
	}
}

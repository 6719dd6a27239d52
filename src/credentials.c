/*-------------------------------------------------------------------------
 *
 * credentials.c
 *		  Where the credentials that sign a request come from, and their
 *		  per-backend cache.
 *
 * A user mapping's credential_source says where the first credentials come
 * from:
 *
 *	access_key		its access_key_id and access_key_secret (and maybe a
 *					security_token): long-lived, used as they are;
 *	ecs_ram_role	the RAM role of the ECS instance the database runs on,
 *					from the instance metadata service in hardened mode only
 *					(a session token first, never a token-less request);
 *	oidc			STS AssumeRoleWithOIDC (an unsigned call) with the OIDC
 *					token read from a file at every refresh (RRSA in ACK).
 *
 * With a role_arn (server or user mapping), STS AssumeRole, signed with
 * those first credentials, gives the credentials that sign the requests.
 *
 * Temporary credentials are kept per backend, keyed by every option that
 * shapes them, and refreshed when the next request is signed and less than
 * a third of their lifetime, at most REFRESH_MARGIN_S, is left; so a
 * request is never signed with credentials about to expire, a refresh never
 * happens in the middle of one, and a scan that outlives them keeps going.
 * The cache is dropped (and wiped) when a server or user mapping changes.
 *
 * The credentials themselves are seen only by api.c (credentials.h); none
 * of them, nor a metadata or OIDC token, is ever put in a message.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/credentials.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "credentials.h"
#include "ecs_image_fdw.h"

#define STS_API_VERSION "2015-04-01"

/* Refresh at most this long before the expiration (the Go SDK's 180 s) */
#define REFRESH_MARGIN_S 180

/* Lifetime of the metadata session token we ask for (1-21600 s) */
#define IMDS_TOKEN_TTL_S "60"

/* Longest OIDC token we read (STS accepts 4 to 20000 characters) */
#define MAX_OIDC_TOKEN_LEN 20000

#define IMDS_CREDENTIALS_PATH "/latest/meta-data/ram/security-credentials/"

/* One set of credentials and what they are for */
typedef struct CredEntry
{
	char	   *key;			/* every option that shapes them; not shown */
	EcsCredentials creds;		/* access_key_id NULL until first obtained */
	TimestampTz obtained;
	char	   *account_id;		/* from GetCallerIdentity, or NULL */
	struct CredEntry *next;
} CredEntry;

/* An HTTP request for ecs_api_send that is not an API call */
typedef struct PlainRequest
{
	const char *method;
	const char *url;
	const char *header;			/* one header, or NULL */
	const char *body;
} PlainRequest;

/* An STS call for ecs_api_send */
typedef struct StsCall
{
	const EcsConfig *config;
	const char *action;
	const EcsParams *params;
	CredEntry  *signer;			/* NULL: unsigned */
} StsCall;

static MemoryContext cred_context = NULL;
static CredEntry *cred_entries = NULL;

static void cred_init(void);
static void cred_invalidate(Datum arg, int cacheid, uint32 hashvalue);
static void wipe_string(char *s);
static CredEntry *lookup_entry(const char *key);
static bool needs_refresh(const CredEntry *entry);
static void store(CredEntry *entry, const char *id, const char *secret,
				  const char *token, const char *expiration);
static CredEntry *source_entry(const EcsConfig *config);
static CredEntry *final_entry(const EcsConfig *config);
static EcsHttpRequest *build_plain(void *arg);
static EcsHttpRequest *build_sts(void *arg);
static char *sts_call(const EcsConfig *config, const char *action,
					  const EcsParams *params, CredEntry *signer,
					  EcsApiError *err);
static void refresh_from_metadata(const EcsConfig *config, CredEntry *entry);
static void refresh_with_oidc(const EcsConfig *config, CredEntry *entry);
static void refresh_with_role(const EcsConfig *config, CredEntry *entry,
							  CredEntry *base);
static void store_sts_answer(CredEntry *entry, const char *body,
							 const char *what);
static char *read_token_file(const char *path);
static int	sts_errhint(const EcsApiError *err);

/*
 * cred_init
 *		Create the cache's memory context and register the invalidation
 *		callbacks, once per backend.
 */
static void
cred_init(void)
{
	if (cred_context != NULL)
		return;
	cred_context = AllocSetContextCreate(TopMemoryContext,
										 "ecs_image_fdw credentials",
										 ALLOCSET_SMALL_SIZES);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, cred_invalidate, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, cred_invalidate, (Datum) 0);
}

/*
 * wipe_string
 *		Overwrite a secret before its memory is released.
 */
static void
wipe_string(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

/*
 * cred_invalidate
 *		A server or user mapping changed: forget (and wipe) every cached
 *		credential.  Nothing holds a pointer into the cache across a point
 *		where invalidations are processed: a request is signed right after
 *		ecs_credentials_get returns.
 */
static void
cred_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	CredEntry  *e;

	for (e = cred_entries; e != NULL; e = e->next)
	{
		wipe_string(e->key);
		wipe_string(e->creds.access_key_secret);
		wipe_string(e->creds.security_token);
	}
	cred_entries = NULL;
	MemoryContextReset(cred_context);
}

/*
 * lookup_entry
 *		The cache entry for key, made (empty) if there is none.
 */
static CredEntry *
lookup_entry(const char *key)
{
	CredEntry  *e;

	cred_init();
	for (e = cred_entries; e != NULL; e = e->next)
	{
		if (strcmp(e->key, key) == 0)
			return e;
	}
	e = MemoryContextAllocZero(cred_context, sizeof(CredEntry));
	e->key = MemoryContextStrdup(cred_context, key);
	e->creds.expiration = DT_NOBEGIN;
	e->next = cred_entries;
	cred_entries = e;
	return e;
}

/*
 * needs_refresh
 *		Whether entry's credentials must be (re)obtained before the next
 *		request is signed: when less than a third of their lifetime, at most
 *		REFRESH_MARGIN_S seconds, is left.
 */
static bool
needs_refresh(const CredEntry *entry)
{
	int64		lifetime;
	int64		margin;

	if (entry->creds.access_key_id == NULL)
		return true;
	if (entry->creds.expiration == DT_NOEND)
		return false;
	lifetime = entry->creds.expiration - entry->obtained;
	margin = Min((int64) REFRESH_MARGIN_S * USECS_PER_SEC, lifetime / 3);
	return GetCurrentTimestamp() >= entry->creds.expiration - margin;
}

/*
 * store
 *		Put new credentials in entry, wiping the old ones.  expiration is
 *		"yyyy-MM-ddTHH:mm:ssZ", or NULL for credentials that never expire.
 */
static void
store(CredEntry *entry, const char *id, const char *secret, const char *token,
	  const char *expiration)
{
	TimestampTz expires = DT_NOEND;

	if (expiration != NULL)
	{
		struct tm	tm = {0};
		char		z = '\0';

		if (sscanf(expiration, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year,
				   &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
				   &tm.tm_sec, &z) != 7 || z != 'Z')
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not read the expiration time of temporary credentials"),
					 errdetail("The time \"%s\" is not of the form yyyy-MM-ddTHH:mm:ssZ.",
							   expiration)));
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		expires = time_t_to_timestamptz(timegm(&tm));
	}

	wipe_string(entry->creds.access_key_secret);
	wipe_string(entry->creds.security_token);
	if (entry->creds.access_key_id)
	{
		pfree(entry->creds.access_key_id);
		pfree(entry->creds.access_key_secret);
		if (entry->creds.security_token)
			pfree(entry->creds.security_token);
	}
	entry->creds.access_key_id = MemoryContextStrdup(cred_context, id);
	entry->creds.access_key_secret = MemoryContextStrdup(cred_context, secret);
	entry->creds.security_token =
		token ? MemoryContextStrdup(cred_context, token) : NULL;
	entry->creds.expiration = expires;
	entry->obtained = GetCurrentTimestamp();
}

/*
 * source_entry
 *		The credentials of the user mapping's credential_source, refreshed
 *		if need be.
 */
static CredEntry *
source_entry(const EcsConfig *config)
{
	const EcsCredentialOptions *opts = config->credentials;
	CredEntry  *entry;

	switch (opts->source)
	{
		case ECS_SOURCE_ECS_RAM_ROLE:
			entry = lookup_entry(psprintf("ecs_ram_role\x1f%s\x1f%s",
										  opts->metadata_endpoint,
										  opts->role_name ? opts->role_name : ""));
			if (needs_refresh(entry))
				refresh_from_metadata(config, entry);
			break;
		case ECS_SOURCE_OIDC:
			entry = lookup_entry(psprintf("oidc\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d",
										  opts->sts_endpoint,
										  opts->oidc_role_arn,
										  opts->oidc_provider_arn,
										  opts->oidc_token_file,
										  opts->role_session_name,
										  opts->duration_s));
			if (needs_refresh(entry))
				refresh_with_oidc(config, entry);
			break;
		default:
			entry = lookup_entry(psprintf("access_key\x1f%s\x1f%s\x1f%s",
										  opts->access_key_id,
										  opts->access_key_secret,
										  opts->security_token ? opts->security_token : ""));
			if (entry->creds.access_key_id == NULL)
				store(entry, opts->access_key_id, opts->access_key_secret,
					  opts->security_token, NULL);
			break;
	}
	return entry;
}

/*
 * final_entry
 *		The credentials requests are signed with: the source's, or those of
 *		role_arn assumed with the source's.
 */
static CredEntry *
final_entry(const EcsConfig *config)
{
	const EcsCredentialOptions *opts = config->credentials;
	CredEntry  *base = source_entry(config);
	CredEntry  *entry;

	if (opts->role_arn == NULL)
		return base;
	entry = lookup_entry(psprintf("%s\x1frole\x1f%s\x1f%s\x1f%s\x1f%d\x1f%s\x1f%s",
								  base->key, opts->sts_endpoint,
								  opts->role_arn, opts->role_session_name,
								  opts->duration_s,
								  opts->external_id ? opts->external_id : "",
								  opts->policy ? opts->policy : ""));
	if (needs_refresh(entry))
		refresh_with_role(config, entry, base);
	return entry;
}

/*
 * ecs_credentials_get
 *		The credentials to sign a request with now.  The result points into
 *		the cache: use it at once, before anything can invalidate it.
 */
const EcsCredentials *
ecs_credentials_get(const EcsConfig *config)
{
	return &final_entry(config)->creds;
}

/*
 * ecs_credentials_identity
 *		A text that names who the requests of config act as (for the scan
 *		cache's key), without any secret: the access key id, or the source
 *		and the roles.
 */
char *
ecs_credentials_identity(const EcsConfig *config)
{
	const EcsCredentialOptions *opts = config->credentials;
	const char *source;

	switch (opts->source)
	{
		case ECS_SOURCE_ECS_RAM_ROLE:
			source = psprintf("ecs_ram_role:%s",
							  opts->role_name ? opts->role_name : "");
			break;
		case ECS_SOURCE_OIDC:
			source = psprintf("oidc:%s", opts->oidc_role_arn);
			break;
		default:
			source = opts->access_key_id;
			break;
	}
	if (opts->role_arn == NULL)
		return pstrdup(source);
	return psprintf("%s>%s", source, opts->role_arn);
}

/*
 * ecs_credentials_account_id
 *		The id of the account that config's requests act in, from STS
 *		GetCallerIdentity (one call per backend and identity, cached with
 *		the credentials).  palloc'd.
 */
char *
ecs_credentials_account_id(const EcsConfig *config)
{
	CredEntry  *entry = final_entry(config);

	if (entry->account_id == NULL)
	{
		EcsParams	params = {0};
		EcsApiError err;
		char	   *body;
		char	   *account_id;

		body = sts_call(config, "GetCallerIdentity", &params, entry, &err);
		if (body == NULL)
			ereport(ERROR,
					(errcode(ecs_api_errcode(&err)),
					 errmsg("could not get the account id of the credentials of server \"%s\"",
							config->servername),
					 ecs_api_errdetail(&err), sts_errhint(&err)));
		account_id = ecs_decode_id(body, strlen(body), "AccountId");
		if (account_id == NULL ||
			strspn(account_id, "0123456789") != strlen(account_id))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not get the account id of the credentials of server \"%s\"",
							config->servername),
					 errdetail("The answer of GetCallerIdentity has no valid AccountId.")));
		/* the entry may have been refreshed meanwhile; it is the same one */
		entry = final_entry(config);
		entry->account_id = MemoryContextStrdup(cred_context, account_id);
	}
	return pstrdup(entry->account_id);
}

/*
 * build_plain
 *		The EcsRequestBuilder of a metadata service request.
 */
static EcsHttpRequest *
build_plain(void *arg)
{
	PlainRequest *p = (PlainRequest *) arg;
	EcsHttpRequest *req = palloc0(sizeof(EcsHttpRequest));

	req->method = p->method;
	req->url = pstrdup(p->url);
	req->body = p->body ? pstrdup(p->body) : NULL;
	if (p->header)
		req->headers = list_make1(pstrdup(p->header));
	return req;
}

/*
 * build_sts
 *		The EcsRequestBuilder of an STS call: RPC style, POST with a form
 *		body, signed like ECS's version 1 requests (or not at all), with
 *		pop-core's headers (the conformance suite compares AssumeRole).
 */
static EcsHttpRequest *
build_sts(void *arg)
{
	StsCall    *call = (StsCall *) arg;
	EcsHttpRequest *req = palloc0(sizeof(EcsHttpRequest));
	const EcsCredentials *creds = NULL;

	/* the caller has just refreshed them if need be */
	if (call->signer != NULL)
		creds = &call->signer->creds;
	req->url = ecs_api_url(call->config->credentials->sts_endpoint, "/");
	req->body = ecs_api_rpc_body(call->params, call->action, STS_API_VERSION,
								 creds);
	req->headers = ecs_api_rpc_headers(call->action, STS_API_VERSION);
	elog(DEBUG1, "ecs_image_fdw: STS %s", call->action);
	return req;
}

/*
 * sts_call
 *		One STS call, retried like any API call.  The body of the good
 *		answer, or NULL with *err set.
 */
static char *
sts_call(const EcsConfig *config, const char *action, const EcsParams *params,
		 CredEntry *signer, EcsApiError *err)
{
	StsCall		call = {config, action, params, signer};

	return ecs_api_send(config, build_sts, &call, err, NULL);
}

/*
 * sts_errhint
 *		Advice for a failed STS call.
 */
static int
sts_errhint(const EcsApiError *err)
{
	if (err->transport != ECS_TRANSPORT_OK)
		return errhint("Check the sts_endpoint option of the server and that the host can be reached.");
	if (ecs_api_code_is(err->code, "NoPermission"))
		return errhint("Check the trust policy of the role, the external_id option, and that the caller may call sts:AssumeRole.");
	if (ecs_api_code_is(err->code, "AuthenticationFail"))
		return errhint("Check the OIDC token, the oidc_provider_arn option and the trust policy of the role.");
	return ecs_api_errhint(err);
}

/*
 * refresh_from_metadata
 *		Credentials of the instance's RAM role, in hardened mode: a session
 *		token first (PUT), then the role name (unless role_name gives it)
 *		and its credentials (GET), each with the token.  A token-less
 *		request is never sent.
 */
static void
refresh_from_metadata(const EcsConfig *config, CredEntry *entry)
{
	const EcsCredentialOptions *opts = config->credentials;
	PlainRequest req = {0};
	EcsApiError err;
	char	   *token;
	char	   *token_header;
	char	   *role = opts->role_name;
	char	   *body;
	static const char *const paths[] = {
		"Code", "AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"
	};
	char	   *values[lengthof(paths)];

	req.method = "PUT";
	req.url = ecs_api_url(opts->metadata_endpoint, "/latest/api/token");
	req.header = "X-aliyun-ecs-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL_S;
	token = ecs_api_send(config, build_plain, &req, &err, NULL);
	if (token == NULL && err.transport != ECS_TRANSPORT_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not reach the instance metadata service"),
				 ecs_api_errdetail(&err),
				 errhint("The instance RAM role is available only on an ECS instance; check the metadata_endpoint option of the server.")));
	if (token == NULL || token[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("the instance metadata service refused a session token"),
				 errdetail("The metadata service answered with HTTP status %ld.",
						   err.http_status)));
	token_header = psprintf("X-aliyun-ecs-metadata-token: %s", token);

	req.method = "GET";
	req.header = token_header;
	if (role == NULL)
	{
		req.url = ecs_api_url(opts->metadata_endpoint, IMDS_CREDENTIALS_PATH);
		role = ecs_api_send(config, build_plain, &req, &err, NULL);
		if (role != NULL)
			role[strcspn(role, "\r\n")] = '\0';
		if (role == NULL || role[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("no RAM role is attached to this instance"),
					 role == NULL && err.transport != ECS_TRANSPORT_OK ?
					 ecs_api_errdetail(&err) :
					 errdetail("The metadata service answered with HTTP status %ld.",
							   role ? 200L : err.http_status),
					 errhint("Attach a RAM role to the ECS instance.")));
		if (strlen(role) > 64 ||
			strspn(role, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(role))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("the instance metadata service gave an invalid RAM role name")));
	}

	req.url = ecs_api_url(opts->metadata_endpoint,
						  psprintf("%s%s", IMDS_CREDENTIALS_PATH, role));
	body = ecs_api_send(config, build_plain, &req, &err, NULL);
	wipe_string(token);
	wipe_string(token_header);
	if (body == NULL && err.http_status == 404)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("RAM role \"%s\" is not attached to this instance", role),
				 errdetail("The metadata service answered with HTTP status %ld.",
						   err.http_status),
				 errhint("Check the role_name option of the user mapping.")));
	if (body == NULL)
		ereport(ERROR,
				(errcode(err.transport != ECS_TRANSPORT_OK ?
						 ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION :
						 ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("could not get the credentials of RAM role \"%s\" from the instance metadata service",
						role),
				 err.transport != ECS_TRANSPORT_OK ? ecs_api_errdetail(&err) :
				 errdetail("The metadata service answered with HTTP status %ld.",
						   err.http_status)));
	if (!ecs_decode_object(body, strlen(body), paths, lengthof(paths), values) ||
		values[0] == NULL || strcmp(values[0], "Success") != 0 ||
		values[1] == NULL || values[2] == NULL || values[3] == NULL ||
		values[4] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not get the credentials of RAM role \"%s\" from the instance metadata service",
						role),
				 errdetail("The answer is not a successful credentials document.")));
	store(entry, values[1], values[2], values[3], values[4]);
	wipe_string(body);
}

/*
 * read_token_file
 *		The OIDC token in path, without surrounding blanks; palloc'd.
 */
static char *
read_token_file(const char *path)
{
	FILE	   *f;
	char	   *buf = palloc(MAX_OIDC_TOKEN_LEN + 2);
	size_t		n;
	char	   *start;
	char	   *end;

	f = AllocateFile(path, "r");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read OIDC token file \"%s\"", path),
				 errdetail("%m"),
				 errhint("Check the oidc_token_file option of the user mapping; the file must be readable by the database server.")));
	n = fread(buf, 1, MAX_OIDC_TOKEN_LEN + 1, f);
	if (ferror(f))
	{
		int			save_errno = errno;

		FreeFile(f);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read OIDC token file \"%s\"", path),
				 errdetail("%m")));
	}
	FreeFile(f);
	buf[n] = '\0';
	for (start = buf; *start == ' ' || *start == '\n' || *start == '\r' || *start == '\t'; start++)
		;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\n' ||
						   end[-1] == '\r' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (n > MAX_OIDC_TOKEN_LEN || strlen(start) < 4)
	{
		wipe_string(buf);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("OIDC token file \"%s\" does not hold a token", path),
				 errdetail("A token has 4 to %d characters.", MAX_OIDC_TOKEN_LEN)));
	}
	return start;
}

/*
 * store_sts_answer
 *		Take the credentials out of an AssumeRole or AssumeRoleWithOIDC
 *		answer.
 */
static void
store_sts_answer(CredEntry *entry, const char *body, const char *what)
{
	static const char *const paths[] = {
		"Credentials.AccessKeyId", "Credentials.AccessKeySecret",
		"Credentials.SecurityToken", "Credentials.Expiration"
	};
	char	   *values[lengthof(paths)];

	if (!ecs_decode_object(body, strlen(body), paths, lengthof(paths), values) ||
		values[0] == NULL || values[1] == NULL || values[2] == NULL ||
		values[3] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not assume role \"%s\"", what),
				 errdetail("The answer of STS holds no credentials.")));
	store(entry, values[0], values[1], values[2], values[3]);
	wipe_string(values[1]);
	wipe_string(values[2]);
}

/*
 * refresh_with_oidc
 *		STS AssumeRoleWithOIDC with the token read from oidc_token_file now
 *		(the file is rotated under us).  The call is not signed.
 */
static void
refresh_with_oidc(const EcsConfig *config, CredEntry *entry)
{
	const EcsCredentialOptions *opts = config->credentials;
	EcsParams	params = {0};
	EcsApiError err;
	char	   *token = read_token_file(opts->oidc_token_file);
	char	   *body;

	ecs_params_add(&params, "RoleArn", opts->oidc_role_arn);
	ecs_params_add(&params, "OIDCProviderArn", opts->oidc_provider_arn);
	ecs_params_add(&params, "OIDCToken", token);
	ecs_params_add(&params, "RoleSessionName", opts->role_session_name);
	ecs_params_add(&params, "DurationSeconds",
				   psprintf("%d", opts->duration_s));
	body = sts_call(config, "AssumeRoleWithOIDC", &params, NULL, &err);
	wipe_string(token);
	if (body == NULL)
		ereport(ERROR,
				(errcode(ecs_api_errcode(&err)),
				 errmsg("could not assume role \"%s\" with the OIDC token",
						opts->oidc_role_arn),
				 ecs_api_errdetail(&err), sts_errhint(&err)));
	store_sts_answer(entry, body, opts->oidc_role_arn);
	wipe_string(body);
}

/*
 * refresh_with_role
 *		STS AssumeRole of role_arn, signed with base's credentials.
 */
static void
refresh_with_role(const EcsConfig *config, CredEntry *entry, CredEntry *base)
{
	const EcsCredentialOptions *opts = config->credentials;
	EcsParams	params = {0};
	EcsApiError err;
	char	   *body;

	ecs_params_add(&params, "RoleArn", opts->role_arn);
	ecs_params_add(&params, "RoleSessionName", opts->role_session_name);
	ecs_params_add(&params, "DurationSeconds",
				   psprintf("%d", opts->duration_s));
	if (opts->external_id)
		ecs_params_add(&params, "ExternalId", opts->external_id);
	if (opts->policy)
		ecs_params_add(&params, "Policy", opts->policy);
	body = sts_call(config, "AssumeRole", &params, base, &err);
	if (body == NULL)
		ereport(ERROR,
				(errcode(ecs_api_errcode(&err)),
				 errmsg("could not assume role \"%s\"", opts->role_arn),
				 ecs_api_errdetail(&err), sts_errhint(&err)));
	store_sts_answer(entry, body, opts->role_arn);
	wipe_string(body);
}

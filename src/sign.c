/*-------------------------------------------------------------------------
 *
 * sign.c
 *		  Request signing for Alibaba Cloud RPC APIs: percent-encoding,
 *		  canonical query strings, signature V1 (RPC, HMAC-SHA1) and
 *		  signature V3 (ACS3-HMAC-SHA256), nonces and timestamps.
 *
 * This is the only file of ecs_image_fdw that includes OpenSSL headers.
 * It is compiled into the backend module and also, with -DFRONTEND, into
 * the unit test in test/unit, so it relies only on what libpgcommon and
 * libpgport offer frontend code as well (palloc, pstrdup, StringInfo,
 * pg_qsort, pg_strong_random) and never calls ereport or elog.  Every
 * function except ecs_make_nonce is deterministic for given inputs, so a
 * mock server holding the same test key can verify what we send.
 *
 * The algorithms and their test vectors are those of sections 2.1-2.7 and
 * 8.2 of the ECS API reference.
 *
 * None of these functions has an error channel.  The OpenSSL primitives
 * used here fail only when the library itself is broken (or out of memory);
 * should that happen, a signature or hash is returned as an empty string,
 * which the API gateway rejects as an invalid signature, so the failure
 * surfaces as an ordinary API error instead of a crash.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/sign.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include <limits.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "lib/stringinfo.h"

#include "sign.h"

/* First line of the V3 string to sign, including its newline. */
#define ACS3_ALGORITHM_LINE "ACS3-HMAC-SHA256\n"
#define ACS3_ALGORITHM_LINE_LEN (sizeof(ACS3_ALGORITHM_LINE) - 1)

/* Lower-case hex SHA-256 of zero bytes (the V3 hash of an empty body). */
#define EMPTY_SHA256_HEX \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* What ecs_format_timestamp writes when t cannot be represented. */
#define EPOCH_TIMESTAMP "1970-01-01T00:00:00Z"

/*
 * A header prepared for the V3 canonical request: the name lower-cased (a
 * palloc'd copy), the value trimmed (a pointer into the caller's string plus
 * a length), and the caller's array position, which keeps the sort stable.
 */
typedef struct CanonHeader
{
	char	   *name;
	const char *value;
	size_t		valuelen;
	int			index;
} CanonHeader;

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

/* Helper functions */
static inline bool is_unreserved(unsigned char c);
static inline bool is_header_space(char c);
static size_t percent_encoded_length(const char *s);
static char *percent_encode_into(char *dst, const char *s);
static void hex_encode_lower(const unsigned char *src, size_t len, char *dst);
static int	param_ptr_cmp(const void *a, const void *b);
static inline bool is_query_safe(unsigned char c);
static int	wire_name_cmp(const char *a, const char *b);
static int	wire_param_cmp(const void *a, const void *b);
static int	header_cmp(const void *a, const void *b);
static void append_rpc_string_to_sign(StringInfo buf, const char *method,
									  const EcsParam *params, int nparams);
static void fallback_nonce_bytes(unsigned char *raw, size_t len);


/*
 * is_unreserved
 *		True if c is one of the 66 RFC 3986 unreserved characters, which
 *		percent-encoding leaves alone: A-Z a-z 0-9 - _ . ~
 */
static inline bool
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ||
		(c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') ||
		c == '-' || c == '_' || c == '.' || c == '~';
}

/*
 * is_header_space
 *		True if c is optional whitespace around an HTTP field value (space or
 *		horizontal tab, RFC 9110 "OWS"); such whitespace is not part of the
 *		value the server sees, so it is not signed either.
 */
static inline bool
is_header_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * percent_encoded_length
 *		Number of bytes s occupies once percent-encoded (without a NUL).
 */
static size_t
percent_encoded_length(const char *s)
{
	size_t		len = 0;
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
		len += is_unreserved(*p) ? 1 : 3;
	return len;
}

/*
 * percent_encode_into
 *		Write s percent-encoded to dst, which must have room for
 *		percent_encoded_length(s) bytes.  No NUL is written.  Returns the
 *		position just past the last byte written.
 *
 * Each byte that is not unreserved becomes "%XY" with upper-case hex; bytes
 * of multi-byte UTF-8 characters are encoded one by one, and space becomes
 * "%20", never '+'.
 */
static char *
percent_encode_into(char *dst, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		if (is_unreserved(*p))
			*dst++ = (char) *p;
		else
		{
			*dst++ = '%';
			*dst++ = hex_upper[*p >> 4];
			*dst++ = hex_upper[*p & 0x0F];
		}
	}
	return dst;
}

/*
 * hex_encode_lower
 *		Write the 2 * len lower-case hex digits of src to dst.  No NUL is
 *		written.
 */
static void
hex_encode_lower(const unsigned char *src, size_t len, char *dst)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		*dst++ = hex_lower[src[i] >> 4];
		*dst++ = hex_lower[src[i] & 0x0F];
	}
}

/*
 * param_ptr_cmp
 *		qsort comparator for an array of pointers to EcsParam: by name in
 *		byte order; equal names keep their order in the caller's array (all
 *		pointers point into that one array, so comparing them is defined).
 */
static int
param_ptr_cmp(const void *a, const void *b)
{
	const EcsParam *pa = *(const EcsParam *const *) a;
	const EcsParam *pb = *(const EcsParam *const *) b;
	int			cmp = strcmp(pa->name, pb->name);

	if (cmp != 0)
		return cmp;
	if (pa != pb)
		return (pa < pb) ? -1 : 1;
	return 0;
}

/*
 * header_cmp
 *		qsort comparator for CanonHeader: by lower-cased name in byte order,
 *		then by position in the caller's array.
 */
static int
header_cmp(const void *a, const void *b)
{
	const CanonHeader *ha = (const CanonHeader *) a;
	const CanonHeader *hb = (const CanonHeader *) b;
	int			cmp = strcmp(ha->name, hb->name);

	if (cmp != 0)
		return cmp;
	if (ha->index != hb->index)
		return (ha->index < hb->index) ? -1 : 1;
	return 0;
}

/*
 * ecs_append_percent_encoded
 *		Append s, percent-encoded, to buf.
 *
 * The encoded length is computed first so that buf grows at most once.
 */
void
ecs_append_percent_encoded(StringInfo buf, const char *s)
{
	size_t		len = percent_encoded_length(s);

	/* enlargeStringInfo itself rejects anything beyond MaxAllocSize */
	enlargeStringInfo(buf, (int) Min(len, (size_t) INT_MAX));
	percent_encode_into(buf->data + buf->len, s);
	buf->len += (int) len;
	buf->data[buf->len] = '\0';
}

/*
 * ecs_percent_encode
 *		Return a palloc'd, percent-encoded copy of s.
 */
char *
ecs_percent_encode(const char *s)
{
	size_t		len = percent_encoded_length(s);
	char	   *result = palloc(len + 1);

	*percent_encode_into(result, s) = '\0';
	return result;
}

/*
 * ecs_canonical_query
 *		Return the canonical query string of params, palloc'd: the pairs
 *		sorted by name (byte order, stable), each name and value
 *		percent-encoded, joined as name=value with '&'.
 *
 * An empty array gives "".  A NULL value is treated as "" and gives
 * "name=".  The caller's array is not reordered: a copy of pointers to its
 * elements is sorted instead.
 */
char *
ecs_canonical_query(const EcsParam *params, int nparams)
{
	const EcsParam **sorted;
	StringInfoData buf;
	int			i;

	if (nparams <= 0)
		return pstrdup("");

	sorted = palloc(sizeof(const EcsParam *) * nparams);
	for (i = 0; i < nparams; i++)
	{
		Assert(params[i].name != NULL);
		sorted[i] = &params[i];
	}
	qsort(sorted, nparams, sizeof(const EcsParam *), param_ptr_cmp);

	initStringInfo(&buf);
	for (i = 0; i < nparams; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '&');
		ecs_append_percent_encoded(&buf, sorted[i]->name);
		appendStringInfoChar(&buf, '=');
		if (sorted[i]->value != NULL)
			ecs_append_percent_encoded(&buf, sorted[i]->value);
	}

	pfree(sorted);
	return buf.data;
}

/*
 * is_query_safe
 *		True if c is sent unencoded in a query string by the official SDKs
 *		(Node's querystring.escape): the unreserved characters and !'()*.
 */
static inline bool
is_query_safe(unsigned char c)
{
	return is_unreserved(c) || c == '!' || c == '\'' || c == '(' ||
		c == ')' || c == '*';
}

/*
 * wire_name_cmp
 *		Compare two parameter names as the official SDKs order them: by
 *		dot-separated segment, a segment of digits (the N of "Tag.N.Key") by
 *		its number, any other segment in byte order.
 */
static int
wire_name_cmp(const char *a, const char *b)
{
	for (;;)
	{
		size_t		la = strcspn(a, ".");
		size_t		lb = strcspn(b, ".");
		int			cmp;

		if (la > 0 && lb > 0 && strspn(a, "0123456789") == la &&
			strspn(b, "0123456789") == lb && la != lb)
			return la < lb ? -1 : 1;	/* no leading zeros: longer is larger */
		cmp = memcmp(a, b, Min(la, lb));
		if (cmp != 0)
			return cmp;
		if (la != lb)
			return la < lb ? -1 : 1;
		if (a[la] == '\0' || b[lb] == '\0')
			return (b[lb] == '\0') - (a[la] == '\0');
		a += la + 1;
		b += lb + 1;
	}
}

/*
 * wire_param_cmp
 *		qsort comparator for an array of pointers to EcsParam: by
 *		wire_name_cmp, then stable as param_ptr_cmp.
 */
static int
wire_param_cmp(const void *a, const void *b)
{
	int			cmp = wire_name_cmp((*(const EcsParam *const *) a)->name,
									(*(const EcsParam *const *) b)->name);

	return cmp != 0 ? cmp : param_ptr_cmp(a, b);
}

/*
 * ecs_wire_query
 *		Return the palloc'd query string the official SDKs send for params
 *		under ACS3: ordered by wire_name_cmp, each name and value
 *		percent-encoded with upper-case hex except the unreserved characters
 *		and !'()*.  The server decodes it, so the signature, made over the
 *		canonical query, is the same as for any other encoding.
 */
char *
ecs_wire_query(const EcsParam *params, int nparams)
{
	const EcsParam **sorted;
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	if (nparams <= 0)
		return buf.data;
	sorted = palloc(sizeof(const EcsParam *) * nparams);
	for (i = 0; i < nparams; i++)
		sorted[i] = &params[i];
	qsort(sorted, nparams, sizeof(const EcsParam *), wire_param_cmp);

	for (i = 0; i < nparams; i++)
	{
		int			k;

		if (i > 0)
			appendStringInfoChar(&buf, '&');
		for (k = 0; k < 2; k++)
		{
			const unsigned char *p = (const unsigned char *)
				(k == 0 ? sorted[i]->name : sorted[i]->value);

			if (k == 1)
				appendStringInfoChar(&buf, '=');
			for (; p != NULL && *p; p++)
			{
				if (is_query_safe(*p))
					appendStringInfoChar(&buf, (char) *p);
				else
					appendStringInfo(&buf, "%%%c%c", hex_upper[*p >> 4],
									 hex_upper[*p & 0x0F]);
			}
		}
	}
	pfree(sorted);
	return buf.data;
}

/*
 * append_rpc_string_to_sign
 *		Append the V1 string to sign to buf:
 *		METHOD & %2F & percent-encode(canonical query).
 *
 * method is used as given; it must be the upper-case method actually sent.
 */
static void
append_rpc_string_to_sign(StringInfo buf, const char *method,
						  const EcsParam *params, int nparams)
{
	char	   *canonical = ecs_canonical_query(params, nparams);

	appendStringInfoString(buf, method);
	appendStringInfoString(buf, "&%2F&");
	ecs_append_percent_encoded(buf, canonical);
	pfree(canonical);
}

/*
 * ecs_rpc_string_to_sign
 *		Return the palloc'd V1 (RPC) string to sign for method and params.
 */
char *
ecs_rpc_string_to_sign(const char *method,
					   const EcsParam *params, int nparams)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_rpc_string_to_sign(&buf, method, params, nparams);
	return buf.data;
}

/*
 * ecs_rpc_signature
 *		Return the palloc'd V1 (RPC) signature: standard Base64 (with
 *		padding) of HMAC-SHA1 keyed with secret followed by '&', over the
 *		string to sign.  The result is not yet percent-encoded for the URL.
 *
 * The key copy is wiped before it is freed.  Returns NULL if OpenSSL fails.
 */
char *
ecs_rpc_signature(const char *method,
				  const EcsParam *params, int nparams,
				  const char *secret)
{
	StringInfoData to_sign;
	size_t		secretlen = strlen(secret);
	char	   *key;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	bool		ok;
	char	   *result;

	initStringInfo(&to_sign);
	append_rpc_string_to_sign(&to_sign, method, params, nparams);

	key = palloc(secretlen + 2);
	memcpy(key, secret, secretlen);
	key[secretlen] = '&';
	key[secretlen + 1] = '\0';

	ok = HMAC(EVP_sha1(), key, (int) (secretlen + 1),
			  (const unsigned char *) to_sign.data, (size_t) to_sign.len,
			  mac, &maclen) != NULL;

	OPENSSL_cleanse(key, secretlen + 2);
	pfree(key);
	pfree(to_sign.data);

	if (!ok)
		return NULL;

	/* EVP_EncodeBlock writes 4 bytes per started 3, then a NUL */
	result = palloc(4 * ((maclen + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *) result, mac, (int) maclen);
	return result;
}

/*
 * ecs_acs3_canonical_request
 *		Return the palloc'd V3 canonical request:
 *
 *		METHOD \n PATH \n CANONICAL_QUERY \n
 *		name:value \n  (one line per header) \n
 *		SIGNED_HEADERS \n PAYLOAD_HASH
 *
 * Header names are lower-cased (ASCII), values trimmed of leading and
 * trailing spaces and tabs, and the headers sorted by name (byte order,
 * stable).  The caller's array is not modified.  If signed_headers is not
 * NULL, *signed_headers receives the palloc'd ';'-joined sorted names.
 *
 * path NULL or "" means "/"; canonical_query NULL means ""; payload_hash
 * NULL means the hash of an empty body.  A NULL header value counts as "".
 */
char *
ecs_acs3_canonical_request(const char *method, const char *path,
						   const char *canonical_query,
						   const EcsParam *headers, int nheaders,
						   const char *payload_hash,
						   char **signed_headers)
{
	CanonHeader *hdrs = NULL;
	StringInfoData buf;
	StringInfoData names;
	int			i;

	if (path == NULL || path[0] == '\0')
		path = "/";
	if (canonical_query == NULL)
		canonical_query = "";
	if (payload_hash == NULL)
		payload_hash = EMPTY_SHA256_HEX;

	if (nheaders > 0)
	{
		hdrs = palloc(sizeof(CanonHeader) * nheaders);
		for (i = 0; i < nheaders; i++)
		{
			const char *v = headers[i].value ? headers[i].value : "";
			const char *end;
			char	   *p;

			Assert(headers[i].name != NULL);
			hdrs[i].name = pstrdup(headers[i].name);
			for (p = hdrs[i].name; *p; p++)
				*p = (char) pg_ascii_tolower((unsigned char) *p);

			while (is_header_space(*v))
				v++;
			end = v + strlen(v);
			while (end > v && is_header_space(end[-1]))
				end--;

			hdrs[i].value = v;
			hdrs[i].valuelen = (size_t) (end - v);
			hdrs[i].index = i;
		}
		qsort(hdrs, nheaders, sizeof(CanonHeader), header_cmp);
	}

	/* signed headers first: they are also part of the canonical request */
	initStringInfo(&names);
	for (i = 0; i < nheaders; i++)
	{
		if (i > 0)
			appendStringInfoChar(&names, ';');
		appendStringInfoString(&names, hdrs[i].name);
	}

	initStringInfo(&buf);
	appendStringInfoString(&buf, method);
	appendStringInfoChar(&buf, '\n');
	appendStringInfoString(&buf, path);
	appendStringInfoChar(&buf, '\n');
	appendStringInfoString(&buf, canonical_query);
	appendStringInfoChar(&buf, '\n');
	for (i = 0; i < nheaders; i++)
	{
		appendStringInfoString(&buf, hdrs[i].name);
		appendStringInfoChar(&buf, ':');
		appendBinaryStringInfo(&buf, hdrs[i].value, (int) hdrs[i].valuelen);
		appendStringInfoChar(&buf, '\n');
	}
	appendStringInfoChar(&buf, '\n');
	appendBinaryStringInfo(&buf, names.data, names.len);
	appendStringInfoChar(&buf, '\n');
	appendStringInfoString(&buf, payload_hash);

	for (i = 0; i < nheaders; i++)
		pfree(hdrs[i].name);
	if (hdrs)
		pfree(hdrs);

	if (signed_headers)
		*signed_headers = names.data;
	else
		pfree(names.data);

	return buf.data;
}

/*
 * ecs_acs3_signature
 *		Return the palloc'd V3 signature of canonical_request: lower-case
 *		hex of HMAC-SHA256 keyed with secret as is (no '&'), over
 *		"ACS3-HMAC-SHA256\n" followed by the lower-case hex SHA-256 of
 *		canonical_request.
 *
 * No copy of the key is made.  Returns NULL if OpenSSL fails.
 */
char *
ecs_acs3_signature(const char *canonical_request, const char *secret)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char		to_sign[ACS3_ALGORITHM_LINE_LEN + 2 * SHA256_DIGEST_LENGTH];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char	   *result;

	if (SHA256((const unsigned char *) canonical_request,
			   strlen(canonical_request), digest) == NULL)
		return NULL;

	memcpy(to_sign, ACS3_ALGORITHM_LINE, ACS3_ALGORITHM_LINE_LEN);
	hex_encode_lower(digest, sizeof(digest),
					 to_sign + ACS3_ALGORITHM_LINE_LEN);

	if (HMAC(EVP_sha256(), secret, (int) strlen(secret),
			 (const unsigned char *) to_sign, sizeof(to_sign),
			 mac, &maclen) == NULL)
		return NULL;

	result = palloc(2 * maclen + 1);
	hex_encode_lower(mac, maclen, result);
	result[2 * maclen] = '\0';
	return result;
}

/*
 * ecs_sha256_hex
 *		Return the palloc'd lower-case hex SHA-256 of len bytes at data
 *		(data may be NULL if len is 0).  Returns NULL if OpenSSL fails.
 */
char *
ecs_sha256_hex(const char *data, size_t len)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char	   *result;

	if (data == NULL)
		data = "";
	if (SHA256((const unsigned char *) data, len, digest) == NULL)
		return NULL;

	result = palloc(2 * SHA256_DIGEST_LENGTH + 1);
	hex_encode_lower(digest, sizeof(digest), result);
	result[2 * SHA256_DIGEST_LENGTH] = '\0';
	return result;
}

/*
 * fallback_nonce_bytes
 *		Fill raw[len] with bytes that are unique, though not unpredictable:
 *		the time in microseconds, the process ID and a per-process counter.
 *
 * Only used if the strong random source fails.  A nonce is sent in clear
 * text and only has to be unique (the gateway refuses a nonce it has seen
 * within the last 15 minutes), and one process never produces the same
 * (time, counter) twice, nor two live processes the same PID.
 */
static void
fallback_nonce_bytes(unsigned char *raw, size_t len)
{
	static uint32 counter = 0;
	struct timeval tv;
	uint64		usec;
	uint32		pid = (uint32) getpid();
	unsigned char seed[16];

	gettimeofday(&tv, NULL);
	usec = (uint64) tv.tv_sec * UINT64CONST(1000000) + (uint64) tv.tv_usec;
	counter++;

	memcpy(seed, &usec, 8);
	memcpy(seed + 8, &pid, 4);
	memcpy(seed + 12, &counter, 4);

	memset(raw, 0, len);
	memcpy(raw, seed, Min(len, sizeof(seed)));
}

/*
 * ecs_make_nonce
 *		Write 16 random bytes as 32 lower-case hex digits, plus a NUL, to buf
 *		(ECS_NONCE_LEN + 1 bytes).
 *
 * The bytes come from pg_strong_random, PostgreSQL's own strong random
 * source (in an OpenSSL build it is RAND_bytes, with the reseeding after
 * fork and the RAND_poll retries that PostgreSQL relies on itself; it is in
 * libpgport, so it works in frontend code too).  It returns false instead
 * of raising an error, and this function cannot report one, so on failure
 * it falls back to fallback_nonce_bytes, which still gives every request a
 * nonce of the promised form that is unique, which is all the gateway
 * checks.
 */
void
ecs_make_nonce(char *buf)
{
	unsigned char raw[ECS_NONCE_LEN / 2];

	if (!pg_strong_random(raw, sizeof(raw)))
		fallback_nonce_bytes(raw, sizeof(raw));

	hex_encode_lower(raw, sizeof(raw), buf);
	buf[ECS_NONCE_LEN] = '\0';
}

/*
 * ecs_format_timestamp
 *		Write t as UTC "yyyy-MM-ddTHH:mm:ssZ", plus a NUL, to buf
 *		(ECS_TIMESTAMP_LEN + 1 bytes).
 *
 * If t cannot be written in exactly that form (a year before 1000 or after
 * 9999), "1970-01-01T00:00:00Z" is written instead; the gateway rejects it
 * as expired, which is the right outcome for a clock that far off.
 */
void
ecs_format_timestamp(time_t t, char *buf)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
		tm.tm_year < 1000 - 1900 || tm.tm_year > 9999 - 1900 ||
		strftime(buf, ECS_TIMESTAMP_LEN + 1, "%Y-%m-%dT%H:%M:%SZ",
				 &tm) != ECS_TIMESTAMP_LEN)
		memcpy(buf, EPOCH_TIMESTAMP, ECS_TIMESTAMP_LEN + 1);
}

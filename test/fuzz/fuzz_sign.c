/*-------------------------------------------------------------------------
 *
 * fuzz_sign.c
 *		  libFuzzer target for the percent-encoding and canonicalisation of
 *		  src/sign.c.
 *
 * The input is cut at its NUL bytes into strings.  Each string is
 * percent-encoded on its own; consecutive pairs make the parameters (name,
 * value; an odd last name has a NULL value) of a canonical query, a V1
 * string to sign and signature, and, as headers, a V3 canonical request
 * and signature.  The first eight bytes also make a time_t for the
 * timestamp.
 *
 * Checked for every input:
 *	- percent-encoding keeps exactly the unreserved bytes A-Z a-z 0-9 - _ .
 *	  ~ and writes every other byte as %XY with upper-case hex, so that it
 *	  decodes back to the input and is the one canonical encoding of it;
 *	  ecs_append_percent_encoded appends the same text, NUL-terminated;
 *	- the canonical query, the V1 string to sign and the V3 canonical
 *	  request (with its signed headers) equal those of a naive
 *	  reimplementation here, and the caller's arrays are left untouched;
 *	- the V1 signature equals Base64(HMAC-SHA1) computed here; the V3
 *	  signature, SHA-256 hex and nonce have their form;
 *	- a timestamp is either the epoch fallback, for a year outside
 *	  1000-9999, or "yyyy-MM-ddTHH:mm:ssZ" that converts back to the time.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_sign.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/stringinfo.h"

#include "sign.h"
#include "fuzz_stub.h"

#define MAX_STRINGS 32
#define MAX_PARAMS (MAX_STRINGS / 2)

#define EPOCH_TIMESTAMP "1970-01-01T00:00:00Z"
#define EMPTY_SHA256_HEX \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
ref_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		c == '~';
}

static int
upper_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;					/* lower case is not allowed either */
}

/*
 * check_encoding
 *		enc must be the canonical percent-encoding of s.
 */
static void
check_encoding(const char *s, const char *enc)
{
	const unsigned char *in = (const unsigned char *) s;
	const char *p = enc;

	while (*p)
	{
		if (*p == '%')
		{
			int			hi = upper_hex_value(p[1]);
			int			lo = hi < 0 ? -1 : upper_hex_value(p[2]);

			FUZZ_CHECK(hi >= 0 && lo >= 0);
			FUZZ_CHECK(*in != '\0' && *in == (unsigned char) (hi * 16 + lo));
			FUZZ_CHECK(!ref_unreserved(*in));
			p += 3;
		}
		else
		{
			FUZZ_CHECK(ref_unreserved((unsigned char) *p));
			FUZZ_CHECK(*in == (unsigned char) *p);
			p++;
		}
		in++;
	}
	FUZZ_CHECK(*in == '\0');
}

static void
ref_encode(StringInfo buf, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		if (ref_unreserved(*p))
			appendStringInfoChar(buf, (char) *p);
		else
			appendStringInfo(buf, "%%%02X", *p);
	}
}

/* a stable sort of positions 0..n-1 by key (insertion sort) */
static void
ref_sort(int *order, char **keys, int n)
{
	int			i;
	int			j;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = 1; i < n; i++)
	{
		int			o = order[i];

		for (j = i; j > 0 && strcmp(keys[order[j - 1]], keys[o]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = o;
	}
}

static char *
ref_canonical_query(const EcsParam *params, int n)
{
	char	   *names[MAX_PARAMS];
	int			order[MAX_PARAMS];
	StringInfoData buf;
	int			i;

	for (i = 0; i < n; i++)
		names[i] = (char *) params[i].name;
	ref_sort(order, names, n);
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '&');
		ref_encode(&buf, params[order[i]].name);
		appendStringInfoChar(&buf, '=');
		if (params[order[i]].value)
			ref_encode(&buf, params[order[i]].value);
	}
	return buf.data;
}

static char *
ref_canonical_request(const char *method, const char *path, const char *cq,
					  const EcsParam *headers, int n, const char *hash,
					  char **signed_headers)
{
	char	   *names[MAX_PARAMS];
	int			order[MAX_PARAMS];
	StringInfoData buf;
	StringInfoData sh;
	int			i;

	for (i = 0; i < n; i++)
	{
		char	   *p;

		names[i] = pstrdup(headers[i].name);
		for (p = names[i]; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 'a' - 'A';
	}
	ref_sort(order, names, n);

	initStringInfo(&sh);
	for (i = 0; i < n; i++)
		appendStringInfo(&sh, "%s%s", i > 0 ? ";" : "", names[order[i]]);

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s\n%s\n%s\n", method,
					 (path && *path) ? path : "/", cq ? cq : "");
	for (i = 0; i < n; i++)
	{
		const char *v = headers[order[i]].value ? headers[order[i]].value : "";
		size_t		vlen;

		while (*v == ' ' || *v == '\t')
			v++;
		vlen = strlen(v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		appendStringInfo(&buf, "%s:", names[order[i]]);
		appendBinaryStringInfo(&buf, v, (int) vlen);
		appendStringInfoChar(&buf, '\n');
	}
	appendStringInfo(&buf, "\n%s\n%s", sh.data, hash ? hash : EMPTY_SHA256_HEX);
	*signed_headers = sh.data;
	return buf.data;
}

static bool
is_lower_hex(const char *s, size_t len)
{
	size_t		i;

	if (strlen(s) != len)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void
check_timestamp(time_t t)
{
	char		buf[ECS_TIMESTAMP_LEN + 1];
	struct tm	tm;
	bool		representable;

	memset(buf, 'x', sizeof(buf));
	ecs_format_timestamp(t, buf);
	FUZZ_CHECK(strlen(buf) == ECS_TIMESTAMP_LEN);

	representable = gmtime_r(&t, &tm) != NULL &&
		tm.tm_year + 1900 >= 1000 && tm.tm_year + 1900 <= 9999;
	if (!representable)
	{
		FUZZ_CHECK(strcmp(buf, EPOCH_TIMESTAMP) == 0);
		return;
	}
	else
	{
		static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
		struct tm	back;
		int			consumed = 0;
		int			i;

		for (i = 0; i < ECS_TIMESTAMP_LEN; i++)
			FUZZ_CHECK(form[i] == 'd' ? (buf[i] >= '0' && buf[i] <= '9') :
					   buf[i] == form[i]);
		memset(&back, 0, sizeof(back));
		FUZZ_CHECK(sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2dZ%n",
						  &back.tm_year, &back.tm_mon, &back.tm_mday,
						  &back.tm_hour, &back.tm_min, &back.tm_sec,
						  &consumed) == 6);
		FUZZ_CHECK(consumed == ECS_TIMESTAMP_LEN);
		back.tm_year -= 1900;
		back.tm_mon -= 1;
		FUZZ_CHECK(timegm(&back) == t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *strings[MAX_STRINGS];
	int			nstrings = 0;
	EcsParam	params[MAX_PARAMS];
	EcsParam	saved[MAX_PARAMS];
	int			nparams;
	const char *method = (size & 1) ? "GET" : "POST";
	const char *secret;
	const char *path;
	const char *hash = (size & 2) ? NULL : EMPTY_SHA256_HEX;
	size_t		start = 0;
	size_t		i;
	int			k;
	char	   *cq;
	char	   *ref;
	char	   *out;
	char	   *signed_headers;
	char	   *ref_signed;
	StringInfoData buf;
	int64		tv = 0;
	char		nonce[ECS_NONCE_LEN + 1];

	fuzz_begin();

	/* cut the input into strings at its NUL bytes */
	for (i = 0; i <= size && nstrings < MAX_STRINGS; i++)
	{
		if (i == size || data[i] == '\0')
		{
			strings[nstrings++] = pnstrdup((const char *) data + start,
										   i - start);
			start = i + 1;
		}
	}

	/* percent-encoding, alone and appended */
	for (k = 0; k < nstrings; k++)
	{
		char	   *enc = ecs_percent_encode(strings[k]);

		check_encoding(strings[k], enc);
		initStringInfo(&buf);
		appendStringInfoString(&buf, "k=");
		ecs_append_percent_encoded(&buf, strings[k]);
		FUZZ_CHECK(buf.len == 2 + (int) strlen(enc));
		FUZZ_CHECK(strcmp(buf.data + 2, enc) == 0);
		FUZZ_CHECK(buf.data[buf.len] == '\0');
	}

	/* parameters: consecutive pairs */
	nparams = (nstrings + 1) / 2;
	for (k = 0; k < nparams; k++)
	{
		params[k].name = strings[2 * k];
		params[k].value = (2 * k + 1 < nstrings) ? strings[2 * k + 1] : NULL;
	}
	memcpy(saved, params, sizeof(EcsParam) * nparams);

	cq = ecs_canonical_query(params, nparams);
	ref = ref_canonical_query(params, nparams);
	FUZZ_CHECK(strcmp(cq, ref) == 0);

	/* V1 */
	out = ecs_rpc_string_to_sign(method, params, nparams);
	initStringInfo(&buf);
	appendStringInfo(&buf, "%s&%%2F&", method);
	ref_encode(&buf, ref);
	FUZZ_CHECK(strcmp(out, buf.data) == 0);
	{
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		char		b64[64];
		char	   *key;
		char	   *sig;

		secret = nstrings > 0 ? strings[0] : "";
		key = psprintf("%s&", secret);
		FUZZ_CHECK(HMAC(EVP_sha1(), key, (int) strlen(key),
						(const unsigned char *) out, strlen(out),
						mac, &maclen) != NULL);
		EVP_EncodeBlock((unsigned char *) b64, mac, (int) maclen);
		sig = ecs_rpc_signature(method, params, nparams, secret);
		FUZZ_CHECK(strlen(sig) == 28);
		FUZZ_CHECK(strcmp(sig, b64) == 0);
	}

	/* V3, the parameters as headers */
	path = nstrings > 1 ? strings[1] : NULL;
	out = ecs_acs3_canonical_request(method, path, cq, params, nparams, hash,
									 &signed_headers);
	ref = ref_canonical_request(method, path, cq, params, nparams, hash,
								&ref_signed);
	FUZZ_CHECK(strcmp(out, ref) == 0);
	FUZZ_CHECK(strcmp(signed_headers, ref_signed) == 0);
	out = ecs_acs3_canonical_request(method, path, NULL, params, nparams,
									 hash, NULL);
	ref = ref_canonical_request(method, path, NULL, params, nparams, hash,
								&ref_signed);
	FUZZ_CHECK(strcmp(out, ref) == 0);
	FUZZ_CHECK(is_lower_hex(ecs_acs3_signature(out, secret), 64));

	/* the caller's array is left alone */
	for (k = 0; k < nparams; k++)
		FUZZ_CHECK(params[k].name == saved[k].name &&
				   params[k].value == saved[k].value);

	/* hashes, nonces, timestamps */
	FUZZ_CHECK(is_lower_hex(ecs_sha256_hex((const char *) data, size), 64));
	FUZZ_CHECK(strcmp(ecs_sha256_hex(NULL, 0), EMPTY_SHA256_HEX) == 0);
	memset(nonce, 'x', sizeof(nonce));
	ecs_make_nonce(nonce);
	FUZZ_CHECK(is_lower_hex(nonce, ECS_NONCE_LEN));
	memcpy(&tv, data, Min(size, sizeof(tv)));
	check_timestamp((time_t) tv);
	check_timestamp((time_t) (tv % ((int64) 400 * 366 * 86400)));

	fuzz_end();
	return 0;
}

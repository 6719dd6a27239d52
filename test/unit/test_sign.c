/*-------------------------------------------------------------------------
 *
 * test_sign.c
 *		  Unit test for src/sign.c, run as a standalone frontend program.
 *
 * Reproduces byte for byte every signing vector of the ECS API reference
 * (sections 2.2-2.7 and 8.2: the official V1 and V3 examples, the misspelt
 * "TimeStamp" variant, and the regression vectors computed there), plus the
 * edge cases of the interface in sign.h: empty strings, header trimming,
 * lower-casing and sorting, that input arrays are left alone, and the form
 * of nonces and timestamps.  Output is TAP; the exit status is 1 if any
 * test failed.  See Makefile in this directory for how it is built.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_sign.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "lib/stringinfo.h"

#include "sign.h"
#include "tap.h"

#define lengthof_params(a) ((int) lengthof(a))

/* The official V3 example of reference 2.7, as lines. */
#define V3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define V3_SIGNED_HEADERS \
	"host;x-acs-action;x-acs-content-sha256;x-acs-date;" \
	"x-acs-signature-nonce;x-acs-version"
#define V3_QUERY \
	"ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd" \
	"&RegionId=cn-shanghai"
#define V3_CANONICAL_REQUEST \
	"POST\n" \
	"/\n" \
	V3_QUERY "\n" \
	"host:ecs.cn-shanghai.aliyuncs.com\n" \
	"x-acs-action:RunInstances\n" \
	"x-acs-content-sha256:" V3_EMPTY_SHA256 "\n" \
	"x-acs-date:2023-10-26T10:22:32Z\n" \
	"x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n" \
	"x-acs-version:2014-05-26\n" \
	"\n" \
	V3_SIGNED_HEADERS "\n" \
	V3_EMPTY_SHA256
#define V3_SIGNATURE \
	"06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"

/* How many nonces the uniqueness tests make. */
#define NONCES 10000

/* The 66 characters percent-encoding keeps (reference 2.2). */
#define UNRESERVED \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"

/* see __wrap_pg_strong_random */
static bool fail_strong_random = false;
static int	strong_random_calls = 0;

/*
 * The Makefile links with -Wl,--wrap=pg_strong_random, so the calls in
 * sign.c arrive at __wrap_pg_strong_random, and __real_pg_strong_random is
 * libpgport's function.
 */
extern bool __real_pg_strong_random(void *buf, size_t len);
extern bool __wrap_pg_strong_random(void *buf, size_t len);

/*
 * The same for OpenSSL's HMAC and SHA256, so the test can make them fail
 * (with fail_openssl set).  This file includes no OpenSSL header: the
 * digest type is passed through as an opaque pointer.
 */
static bool fail_openssl = false;
extern unsigned char *__real_HMAC(const void *evp_md, const void *key,
								  int key_len, const unsigned char *data,
								  size_t data_len, unsigned char *md,
								  unsigned int *md_len);
extern unsigned char *__wrap_HMAC(const void *evp_md, const void *key,
								  int key_len, const unsigned char *data,
								  size_t data_len, unsigned char *md,
								  unsigned int *md_len);
extern unsigned char *__real_SHA256(const unsigned char *data, size_t len,
									unsigned char *md);
extern unsigned char *__wrap_SHA256(const unsigned char *data, size_t len,
									unsigned char *md);

/* Test groups */
static void test_percent_encoding(void);
static void test_canonical_query(void);
static void test_v1_describe_regions(void);
static void test_v1_regression(void);
static void test_v3_official(void);
static void test_v3_headers(void);
static void test_oos_v1(void);
static void test_oos_v3(void);
static void test_nonce(void);
static void test_nonce_fallback(void);
static void test_timestamp(void);
static void test_openssl_failure(void);
static void report_speed(void);
static int	cmp_nonce(const void *a, const void *b);
static double elapsed_ms(const struct timeval *start);


/*
 * __wrap_pg_strong_random
 *		Count the calls and, while fail_strong_random is set, fail them like
 *		a broken random source would; otherwise use the real function.
 */
bool
__wrap_pg_strong_random(void *buf, size_t len)
{
	strong_random_calls++;
	if (fail_strong_random)
		return false;
	return __real_pg_strong_random(buf, len);
}

/*
 * __wrap_HMAC
 *		HMAC, or a failure while fail_openssl is set.
 */
unsigned char *
__wrap_HMAC(const void *evp_md, const void *key, int key_len,
			const unsigned char *data, size_t data_len, unsigned char *md,
			unsigned int *md_len)
{
	if (fail_openssl)
		return NULL;
	return __real_HMAC(evp_md, key, key_len, data, data_len, md, md_len);
}

/*
 * __wrap_SHA256
 *		SHA256, or a failure while fail_openssl is set.
 */
unsigned char *
__wrap_SHA256(const unsigned char *data, size_t len, unsigned char *md)
{
	if (fail_openssl)
		return NULL;
	return __real_SHA256(data, len, md);
}

/*
 * elapsed_ms
 *		Milliseconds since start.
 */
static double
elapsed_ms(const struct timeval *start)
{
	struct timeval now;

	gettimeofday(&now, NULL);
	return (now.tv_sec - start->tv_sec) * 1000.0 +
		(now.tv_usec - start->tv_usec) / 1000.0;
}

/*
 * test_percent_encoding
 *		Reference 2.2: 66 unreserved characters kept, every other byte
 *		%XY in upper case, UTF-8 byte by byte, space as %20.
 */
static void
test_percent_encoding(void)
{
	char		all[256];
	StringInfoData expected;
	StringInfoData buf;
	char	   *big;
	int			i;
	int			n;
	bool		ok;

	check_str("percent-encode: reference example \" *~+/:\\xC3\\xA9\"",
			  "%20%2A~%2B%2F%3A%C3%A9", ecs_percent_encode(" *~+/:\xC3\xA9"));
	check_str("percent-encode: reserved characters of 2.2",
			  "%22%3A%2F%2B%3D%26", ecs_percent_encode("\":/+=&"));
	check_str("percent-encode: 66 unreserved characters unchanged",
			  UNRESERVED, ecs_percent_encode(UNRESERVED));
	check(strlen(UNRESERVED) == 66,
		  "percent-encode: unreserved set has 66 characters");
	check_str("percent-encode: empty string", "", ecs_percent_encode(""));
	check_str("percent-encode: 4-byte UTF-8 encoded byte by byte",
			  "a%F0%9F%98%80b", ecs_percent_encode("a\xF0\x9F\x98\x80" "b"));

	/* the query string the official SDK sends (captured from it) */
	{
		EcsParam	q[] = {
			{"Tag.10.Key", "k10"}, {"Status", "Available,Creating"},
			{"Tag.2.Value", "v2"}, {"ImageName", "a b*c'()!~\xC3\xA9"},
			{"Tag.2.Key", "k2"}, {"RegionId", "cn-hangzhou"},
		};

		check_str("wire query: SDK order and encoding",
				  "ImageName=a%20b*c'()!~%C3%A9&RegionId=cn-hangzhou&"
				  "Status=Available%2CCreating&Tag.2.Key=k2&Tag.2.Value=v2&"
				  "Tag.10.Key=k10", ecs_wire_query(q, 6));
		check_str("wire query: empty", "", ecs_wire_query(q, 0));
	}

	/* every byte 0x01-0xFF, against an independent formulation */
	for (i = 1; i < 256; i++)
		all[i - 1] = (char) i;
	all[255] = '\0';
	initStringInfo(&expected);
	for (i = 1; i < 256; i++)
	{
		if (strchr(UNRESERVED, i) != NULL)
			appendStringInfoChar(&expected, (char) i);
		else
			appendStringInfo(&expected, "%%%02X", i);
	}
	check_str("percent-encode: all 255 non-NUL bytes (upper-case %XY)",
			  expected.data, ecs_percent_encode(all));

	/* appending keeps what is there and stays NUL-terminated */
	initStringInfo(&buf);
	appendStringInfoString(&buf, "x=");
	ecs_append_percent_encoded(&buf, "a b");
	ecs_append_percent_encoded(&buf, "");
	check_str("append percent-encoded: appends to existing content",
			  "x=a%20b", buf.data);
	check(buf.len == 7, "append percent-encoded: StringInfo length updated");

	/* a large input grows the buffer correctly */
	n = 1000000;
	big = palloc(n + 1);
	memset(big, 0xFF, n);
	big[n] = '\0';
	resetStringInfo(&buf);
	appendStringInfoString(&buf, "<");
	ecs_append_percent_encoded(&buf, big);
	ok = (buf.len == 1 + 3 * n && buf.data[buf.len] == '\0' &&
		  strncmp(buf.data, "<%FF%FF", 7) == 0 &&
		  strcmp(buf.data + buf.len - 3, "%FF") == 0);
	check(ok, "append percent-encoded: 1 MB of 0xFF becomes 3 MB of %FF");
	pfree(big);
	pfree(buf.data);
	pfree(expected.data);
}

/*
 * test_canonical_query
 *		Sorting (byte order, stable), empty values, empty arrays, and that the
 *		caller's array is left alone.
 */
static void
test_canonical_query(void)
{
	EcsParam	order[] = {
		{"b", "1"}, {"_", "2"}, {"a", "3"}, {"\xC3\xA9", "4"},
		{"B", "5"}, {"0", "6"}, {"A", "7"}, {"z", "8"}
	};
	EcsParam	copy[lengthof(order)];
	EcsParam	dup[] = {
		{"K", "second"}, {"A", "x"}, {"K", "first"}, {"K", "third"}
	};
	EcsParam	empty[] = {
		{"Name", ""}, {"Other", NULL}, {"A", "v"}
	};

	check_str("canonical query: no parameters gives \"\"", "",
			  ecs_canonical_query(NULL, 0));
	check_str("canonical query: empty and NULL values give name=",
			  "A=v&Name=&Other=",
			  ecs_canonical_query(empty, lengthof_params(empty)));

	memcpy(copy, order, sizeof(order));
	check_str("canonical query: byte order (digits, upper, '_', lower, UTF-8)",
			  "0=6&A=7&B=5&_=2&a=3&b=1&z=8&%C3%A9=4",
			  ecs_canonical_query(order, lengthof_params(order)));
	check(memcmp(copy, order, sizeof(order)) == 0,
		  "canonical query: input array is not reordered");

	check_str("canonical query: equal names keep their input order",
			  "A=x&K=second&K=first&K=third",
			  ecs_canonical_query(dup, lengthof_params(dup)));
	check_str("V1 string to sign: no parameters", "GET&%2F&",
			  ecs_rpc_string_to_sign("GET", NULL, 0));
}

/*
 * test_v1_describe_regions
 *		Reference 2.3 (official example) and 2.4 (the "TimeStamp" variant).
 */
static void
test_v1_describe_regions(void)
{
	/* deliberately not in sorted order */
	EcsParam	params[] = {
		{"Timestamp", "2016-02-23T12:46:24Z"},
		{"Action", "DescribeRegions"},
		{"Version", "2014-05-26"},
		{"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		{"Format", "XML"},
		{"SignatureVersion", "1.0"},
		{"AccessKeyId", "testid"},
		{"SignatureMethod", "HMAC-SHA1"},
	};
	EcsParam	copy[lengthof(params)];
	const char *sts_expected =
		"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"
		"%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
		"%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
		"%26SignatureVersion%3D1.0"
		"%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
		"%26Version%3D2014-05-26";
	char	   *sts;
	char	   *sig;
	int			n = lengthof_params(params);

	memcpy(copy, params, sizeof(params));

	check_str("V1 DescribeRegions (official): canonical query",
			  "AccessKeyId=testid&Action=DescribeRegions&Format=XML"
			  "&SignatureMethod=HMAC-SHA1"
			  "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
			  "&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z"
			  "&Version=2014-05-26",
			  ecs_canonical_query(params, n));

	sts = ecs_rpc_string_to_sign("GET", params, n);
	check_str("V1 DescribeRegions (official): StringToSign",
			  sts_expected, sts);
	check(strlen(sts) == 247,
		  "V1 DescribeRegions (official): StringToSign is 247 bytes");

	sig = ecs_rpc_signature("GET", params, n, "testsecret");
	check_str("V1 DescribeRegions (official): signature",
			  "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", sig);
	check_str("V1 DescribeRegions (official): signature in URL form",
			  "OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D", ecs_percent_encode(sig));
	check(memcmp(copy, params, sizeof(params)) == 0,
		  "V1 DescribeRegions: parameter array is not reordered");

	/* reference 2.4: older docs spell the parameter "TimeStamp" */
	params[0].name = "TimeStamp";
	check_str("V1 DescribeRegions (TimeStamp variant): StringToSign",
			  "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"
			  "%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
			  "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
			  "%26SignatureVersion%3D1.0"
			  "%26TimeStamp%3D2016-02-23T12%253A46%253A24Z"
			  "%26Version%3D2014-05-26",
			  ecs_rpc_string_to_sign("GET", params, n));
	check_str("V1 DescribeRegions (TimeStamp variant): signature",
			  "CT9X0VtwR86fNWSnsc6v8YGOjuE=",
			  ecs_rpc_signature("GET", params, n, "testsecret"));
}

/*
 * test_v1_regression
 *		Reference 2.5: space, '*', '~', '/', '+', non-ASCII and Tag.N.*
 *		ordering, GET and POST.
 */
static void
test_v1_regression(void)
{
	/* the order of the reference, which is not sorted */
	EcsParam	params[] = {
		{"AccessKeyId", "testid"},
		{"Action", "DescribeImages"},
		{"Format", "JSON"},
		{"RegionId", "cn-hangzhou"},
		{"ImageName", "my img*~/\xC3\xA9"},
		{"Tag.1.Key", "env"},
		{"Tag.1.Value", "a b+c"},
		{"PageSize", "100"},
		{"SignatureMethod", "HMAC-SHA1"},
		{"SignatureNonce", "11111111-2222-3333-4444-555555555555"},
		{"SignatureVersion", "1.0"},
		{"Timestamp", "2024-01-02T03:04:05Z"},
		{"Version", "2014-05-26"},
	};
	int			n = lengthof_params(params);
	const char *prefix =
		"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeImages"
		"%26Format%3DJSON%26ImageName%3Dmy%2520img%252A~%252F%25C3%25A9%26";
	char	   *sts;

	check_str("V1 regression (2.5): canonical query",
			  "AccessKeyId=testid&Action=DescribeImages&Format=JSON"
			  "&ImageName=my%20img%2A~%2F%C3%A9&PageSize=100"
			  "&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1"
			  "&SignatureNonce=11111111-2222-3333-4444-555555555555"
			  "&SignatureVersion=1.0&Tag.1.Key=env&Tag.1.Value=a%20b%2Bc"
			  "&Timestamp=2024-01-02T03%3A04%3A05Z&Version=2014-05-26",
			  ecs_canonical_query(params, n));

	sts = ecs_rpc_string_to_sign("GET", params, n);
	check(strncmp(sts, prefix, strlen(prefix)) == 0,
		  "V1 regression (2.5): GET StringToSign begins as in the reference");
	check_str("V1 regression (2.5): GET signature",
			  "JJsyTWnYa/s5bqQT7oG02pC0MDg=",
			  ecs_rpc_signature("GET", params, n, "testsecret"));

	sts = ecs_rpc_string_to_sign("POST", params, n);
	check(strncmp(sts, "POST&%2F&", 9) == 0 &&
		  strcmp(sts + 9, ecs_rpc_string_to_sign("GET", params, n) + 8) == 0,
		  "V1 regression (2.5): POST StringToSign differs only in the method");
	check_str("V1 regression (2.5): POST signature",
			  "+7myZnh0+BE3x+HqV22WewUh6hI=",
			  ecs_rpc_signature("POST", params, n, "testsecret"));
}

/*
 * test_v3_official
 *		Reference 2.7: the official ACS3-HMAC-SHA256 example.
 */
static void
test_v3_official(void)
{
	EcsParam	query[] = {
		{"RegionId", "cn-shanghai"},
		{"ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"},
	};
	EcsParam	headers[] = {
		{"host", "ecs.cn-shanghai.aliyuncs.com"},
		{"x-acs-action", "RunInstances"},
		{"x-acs-content-sha256", V3_EMPTY_SHA256},
		{"x-acs-date", "2023-10-26T10:22:32Z"},
		{"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
		{"x-acs-version", "2014-05-26"},
	};
	char	   *cq;
	char	   *payload;
	char	   *cr;
	char	   *signed_headers = NULL;
	char	   *sig;

	payload = ecs_sha256_hex("", 0);
	check_str("SHA-256 of an empty body", V3_EMPTY_SHA256, payload);
	check_str("SHA-256 of (NULL, 0)", V3_EMPTY_SHA256,
			  ecs_sha256_hex(NULL, 0));
	check_str("SHA-256 of \"abc\" (FIPS 180-2 vector)",
			  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			  ecs_sha256_hex("abcdef", 3));

	cq = ecs_canonical_query(query, lengthof_params(query));
	check_str("V3 official (2.7): canonical query", V3_QUERY, cq);

	cr = ecs_acs3_canonical_request("POST", "/", cq, headers,
									lengthof_params(headers), payload,
									&signed_headers);
	check_str("V3 official (2.7): canonical request",
			  V3_CANONICAL_REQUEST, cr);
	check_str("V3 official (2.7): signed headers", V3_SIGNED_HEADERS,
			  signed_headers);
	check_str("V3 official (2.7): SHA-256 of canonical request",
			  "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
			  ecs_sha256_hex(cr, strlen(cr)));

	sig = ecs_acs3_signature(cr, "YourAccessKeySecret");
	check_str("V3 official (2.7): signature", V3_SIGNATURE, sig);
	check_str("V3 official (2.7): Authorization header from the parts",
			  "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders="
			  V3_SIGNED_HEADERS ",Signature=" V3_SIGNATURE,
			  psprintf("ACS3-HMAC-SHA256 Credential=%s,"
					   "SignedHeaders=%s,Signature=%s",
					   "YourAccessKeyId", signed_headers, sig));
}

/*
 * test_v3_headers
 *		Header names lower-cased, values trimmed, headers sorted; the caller's
 *		array untouched; NULL defaults.
 */
static void
test_v3_headers(void)
{
	EcsParam	headers[] = {
		{"X-Acs-Version", "  2014-05-26"},
		{"x-acs-SIGNATURE-nonce", "3156853299f313e23d1673dc12e1703d \t "},
		{"X-ACS-Date", "\t2023-10-26T10:22:32Z\t"},
		{"Host", " ecs.cn-shanghai.aliyuncs.com "},
		{"x-acs-content-sha256", V3_EMPTY_SHA256},
		{"X-Acs-Action", "RunInstances"},
	};
	EcsParam	copy[lengthof(headers)];
	EcsParam	odd[] = {
		{"X-Empty", "   "}, {"x-inner", " a  b "}, {"x-null", NULL},
	};
	char	   *signed_headers = NULL;
	char	   *cr;

	memcpy(copy, headers, sizeof(headers));
	cr = ecs_acs3_canonical_request("POST", "/", V3_QUERY, headers,
									lengthof_params(headers), V3_EMPTY_SHA256,
									&signed_headers);
	check_str("V3 headers: mixed case, padding and order normalised",
			  V3_CANONICAL_REQUEST, cr);
	check_str("V3 headers: signed headers lower-cased and sorted",
			  V3_SIGNED_HEADERS, signed_headers);
	check_str("V3 headers: signature unchanged by normalisation",
			  V3_SIGNATURE, ecs_acs3_signature(cr, "YourAccessKeySecret"));
	check(memcmp(copy, headers, sizeof(headers)) == 0 &&
		  strcmp(headers[0].name, "X-Acs-Version") == 0 &&
		  strcmp(headers[3].value, " ecs.cn-shanghai.aliyuncs.com ") == 0,
		  "V3 headers: input array and strings not modified");

	check_str("V3 headers: signed_headers may be NULL",
			  V3_CANONICAL_REQUEST,
			  ecs_acs3_canonical_request("POST", "/", V3_QUERY, headers,
										 lengthof_params(headers),
										 V3_EMPTY_SHA256, NULL));
	check_str("V3 headers: blank, inner-space and NULL values",
			  "GET\n/\n\nx-empty:\nx-inner:a  b\nx-null:\n\n"
			  "x-empty;x-inner;x-null\n" V3_EMPTY_SHA256,
			  ecs_acs3_canonical_request("GET", "/", "", odd,
										 lengthof_params(odd),
										 V3_EMPTY_SHA256, NULL));
	check_str("V3 canonical request: no headers, NULL path/query/hash",
			  "GET\n/\n\n\n\n" V3_EMPTY_SHA256,
			  ecs_acs3_canonical_request("GET", NULL, NULL, NULL, 0, NULL,
										 &signed_headers));
	check_str("V3 canonical request: no headers gives empty signed headers",
			  "", signed_headers);
}

/*
 * test_oos_v1
 *		Reference 8.2: V1 StartExecution, POST and GET.
 */
static void
test_oos_v1(void)
{
	EcsParam	params[] = {
		{"Version", "2019-06-01"},
		{"Timestamp", "2024-01-02T03:04:05Z"},
		{"TemplateName", "ACS-ECS-UpdateImage"},
		{"SignatureVersion", "1.0"},
		{"SignatureNonce", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
		{"SignatureMethod", "HMAC-SHA1"},
		{"SafetyCheck", "Skip"},
		{"RegionId", "cn-hangzhou"},
		{"Parameters", "{\"sourceImageId\":\"m-test\",\"instanceType\":"
		"\"ecs.g7.large\",\"commandContent\":\"yum -y update\"}"},
		{"Mode", "Automatic"},
		{"Format", "JSON"},
		{"ClientToken", "11111111-2222-3333-4444-555555555555"},
		{"Action", "StartExecution"},
		{"AccessKeyId", "testid"},
	};
	int			n = lengthof_params(params);
	const char *enc =
		"%7B%22sourceImageId%22%3A%22m-test%22%2C%22instanceType%22%3A"
		"%22ecs.g7.large%22%2C%22commandContent%22%3A%22yum%20-y%20update"
		"%22%7D";
	char	   *cq;

	check_str("OOS V1 StartExecution (8.2): Parameters encoding", enc,
			  ecs_percent_encode(params[8].value));
	cq = ecs_canonical_query(params, n);
	check_str("OOS V1 StartExecution (8.2): canonical query",
			  psprintf("AccessKeyId=testid&Action=StartExecution"
					   "&ClientToken=11111111-2222-3333-4444-555555555555"
					   "&Format=JSON&Mode=Automatic&Parameters=%s"
					   "&RegionId=cn-hangzhou&SafetyCheck=Skip"
					   "&SignatureMethod=HMAC-SHA1"
					   "&SignatureNonce=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
					   "&SignatureVersion=1.0&TemplateName=ACS-ECS-UpdateImage"
					   "&Timestamp=2024-01-02T03%%3A04%%3A05Z"
					   "&Version=2019-06-01",
					   enc),
			  cq);
	check_str("OOS V1 StartExecution (8.2): POST signature",
			  "nBl0B8UgvCCREMFinkxZiAw1YDs=",
			  ecs_rpc_signature("POST", params, n, "testsecret"));
	check_str("OOS V1 StartExecution (8.2): GET signature",
			  "iVTcl9Efi/sQ9+9UO7vghMmxzl8=",
			  ecs_rpc_signature("GET", params, n, "testsecret"));
}

/*
 * test_oos_v3
 *		Reference 8.2: V3 ListExecutions (query only) and StartExecution
 *		(form body, content-type signed).
 */
static void
test_oos_v3(void)
{
	EcsParam	query[] = {
		{"RegionId", "cn-hangzhou"},
		{"ExecutionId", "exec-0123456789abcdef"},
	};
	EcsParam	list_headers[] = {
		{"x-acs-version", "2019-06-01"},
		{"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
		{"x-acs-date", "2024-01-02T03:04:05Z"},
		{"x-acs-content-sha256", V3_EMPTY_SHA256},
		{"x-acs-action", "ListExecutions"},
		{"host", "oos.cn-hangzhou.aliyuncs.com"},
	};
	EcsParam	form[] = {
		{"TemplateName", "ACS-ECS-UpdateImage"},
		{"RegionId", "cn-hangzhou"},
		{"Parameters", "{\"sourceImageId\":\"m-test\",\"instanceType\":"
		"\"ecs.g7.large\"}"},
	};
	EcsParam	start_headers[7];
	const char *body_expected =
		"Parameters=%7B%22sourceImageId%22%3A%22m-test%22%2C%22instanceType"
		"%22%3A%22ecs.g7.large%22%7D&RegionId=cn-hangzhou"
		"&TemplateName=ACS-ECS-UpdateImage";
	char	   *cq;
	char	   *cr;
	char	   *body;
	char	   *body_hash;
	char	   *signed_headers = NULL;

	cq = ecs_canonical_query(query, lengthof_params(query));
	check_str("OOS V3 ListExecutions (8.2): canonical query",
			  "ExecutionId=exec-0123456789abcdef&RegionId=cn-hangzhou", cq);
	cr = ecs_acs3_canonical_request("POST", "/", cq, list_headers,
									lengthof_params(list_headers),
									V3_EMPTY_SHA256, NULL);
	check_str("OOS V3 ListExecutions (8.2): SHA-256 of canonical request",
			  "3b901fa40723fc6e56662b55dc77177a1332160029abebdd87fe530cc5835109",
			  ecs_sha256_hex(cr, strlen(cr)));
	check_str("OOS V3 ListExecutions (8.2): signature",
			  "bcb3e272f5be3cc4d40be2568cb47543dc410c6cd4e0ef78e2829656da99c87f",
			  ecs_acs3_signature(cr, "testsecret"));

	body = ecs_canonical_query(form, lengthof_params(form));
	check_str("OOS V3 StartExecution (8.2): form body", body_expected, body);
	body_hash = ecs_sha256_hex(body, strlen(body));
	check_str("OOS V3 StartExecution (8.2): body SHA-256",
			  "707f38ff2a05c19f72780fba416c6562df730f180f9217e33f6102497b067bd5",
			  body_hash);

	memcpy(start_headers, list_headers, sizeof(list_headers));
	start_headers[3].value = body_hash;
	start_headers[4].value = "StartExecution";
	start_headers[6].name = "Content-Type";
	start_headers[6].value = "application/x-www-form-urlencoded";
	cr = ecs_acs3_canonical_request("POST", "/", "", start_headers,
									lengthof_params(start_headers),
									body_hash, &signed_headers);
	check_str("OOS V3 StartExecution (8.2): signed headers",
			  "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;"
			  "x-acs-signature-nonce;x-acs-version", signed_headers);
	check(strncmp(cr, "POST\n/\n\n"
				  "content-type:application/x-www-form-urlencoded\n", 55) == 0,
		  "OOS V3 StartExecution (8.2): empty query line, content-type first");
	check_str("OOS V3 StartExecution (8.2): SHA-256 of canonical request",
			  "0b000d6940d269dae24596d0eee61b57519854e9e60408fab83c72c0dcddd492",
			  ecs_sha256_hex(cr, strlen(cr)));
	check_str("OOS V3 StartExecution (8.2): signature",
			  "eca0ada6b92d87936ad8e77f79a703b0d328d2e44e5026c3c7b05ec1ff574864",
			  ecs_acs3_signature(cr, "testsecret"));
}

/*
 * cmp_nonce
 *		qsort comparator for an array of nonce buffers.
 */
static int
cmp_nonce(const void *a, const void *b)
{
	return strcmp((const char *) a, (const char *) b);
}

/*
 * test_nonce
 *		32 lower-case hex digits, NUL-terminated, nothing written past the
 *		NUL, and no repeats.
 */
static void
test_nonce(void)
{
	char		buf[ECS_NONCE_LEN + 8];
	char		(*many)[ECS_NONCE_LEN + 1];
	bool		form_ok = true;
	bool		unique = true;
	int			i;

	memset(buf, '#', sizeof(buf));
	strong_random_calls = 0;
	ecs_make_nonce(buf);
	check(strong_random_calls == 1, "nonce: taken from pg_strong_random");
	check(strlen(buf) == ECS_NONCE_LEN &&
		  strspn(buf, "0123456789abcdef") == ECS_NONCE_LEN,
		  "nonce: 32 lower-case hex digits");
	check(buf[ECS_NONCE_LEN + 1] == '#',
		  "nonce: nothing written past the terminating NUL");

	many = palloc(sizeof(*many) * NONCES);
	for (i = 0; i < NONCES; i++)
	{
		ecs_make_nonce(many[i]);
		if (strspn(many[i], "0123456789abcdef") != ECS_NONCE_LEN ||
			many[i][ECS_NONCE_LEN] != '\0')
			form_ok = false;
	}
	qsort(many, NONCES, sizeof(*many), cmp_nonce);
	for (i = 1; i < NONCES; i++)
		if (strcmp(many[i - 1], many[i]) == 0)
			unique = false;
	check(form_ok, "nonce: 10000 nonces all well formed");
	check(unique, "nonce: 10000 nonces all distinct");
	pfree(many);
}

/*
 * test_nonce_fallback
 *		With pg_strong_random failing, nonces keep their form and stay
 *		distinct, even when made in quick succession.
 */
static void
test_nonce_fallback(void)
{
	char		(*many)[ECS_NONCE_LEN + 1];
	bool		form_ok = true;
	bool		unique = true;
	int			i;

	fail_strong_random = true;
	strong_random_calls = 0;
	many = palloc(sizeof(*many) * NONCES);
	for (i = 0; i < NONCES; i++)
	{
		ecs_make_nonce(many[i]);
		if (strspn(many[i], "0123456789abcdef") != ECS_NONCE_LEN ||
			many[i][ECS_NONCE_LEN] != '\0')
			form_ok = false;
	}
	fail_strong_random = false;

	qsort(many, NONCES, sizeof(*many), cmp_nonce);
	for (i = 1; i < NONCES; i++)
		if (strcmp(many[i - 1], many[i]) == 0)
			unique = false;
	check(strong_random_calls == NONCES,
		  "nonce fallback: pg_strong_random was tried (and failed) each time");
	check(form_ok, "nonce fallback: 10000 nonces all well formed");
	check(unique, "nonce fallback: 10000 nonces all distinct");
	pfree(many);
}

/*
 * test_timestamp
 *		UTC "yyyy-MM-ddTHH:mm:ssZ" whatever TZ says; out-of-range years.
 */
static void
test_timestamp(void)
{
	char		buf[ECS_TIMESTAMP_LEN + 8];
	const char *pattern = "dddd-dd-ddTdd:dd:ddZ";
	bool		ok = true;
	int			i;

	/* a zone far from UTC that needs no tz database */
	setenv("TZ", "XYZ-8", 1);
	tzset();

	ecs_format_timestamp((time_t) 1456231584, buf);
	check_str("timestamp: official example time, in UTC although TZ is +8",
			  "2016-02-23T12:46:24Z", buf);
	ecs_format_timestamp((time_t) 1704164645, buf);
	check_str("timestamp: 2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", buf);
	ecs_format_timestamp((time_t) 0, buf);
	check_str("timestamp: epoch", "1970-01-01T00:00:00Z", buf);
	ecs_format_timestamp((time_t) INT64CONST(253402300799), buf);
	check_str("timestamp: last second of year 9999", "9999-12-31T23:59:59Z",
			  buf);
	ecs_format_timestamp((time_t) INT64CONST(253402300800), buf);
	check_str("timestamp: year 10000 does not fit, epoch written instead",
			  "1970-01-01T00:00:00Z", buf);

	memset(buf, '#', sizeof(buf));
	ecs_format_timestamp(time(NULL), buf);
	for (i = 0; i < ECS_TIMESTAMP_LEN; i++)
	{
		if (pattern[i] == 'd' ? (buf[i] < '0' || buf[i] > '9')
			: buf[i] != pattern[i])
			ok = false;
	}
	check(ok && buf[ECS_TIMESTAMP_LEN] == '\0' &&
		  buf[ECS_TIMESTAMP_LEN + 1] == '#',
		  "timestamp: now has the form yyyy-MM-ddTHH:mm:ssZ, 20 bytes + NUL");
}

/*
 * report_speed
 *		Not a test: print how long a full V1 and V3 signing takes.
 */
static void
report_speed(void)
{
	EcsParam	params[] = {
		{"Action", "DescribeImages"}, {"RegionId", "cn-hangzhou"},
		{"ImageName", "my img*~/\xC3\xA9"}, {"PageSize", "100"},
		{"AccessKeyId", "testid"}, {"Format", "JSON"},
		{"SignatureMethod", "HMAC-SHA1"}, {"SignatureVersion", "1.0"},
		{"SignatureNonce", "11111111-2222-3333-4444-555555555555"},
		{"Timestamp", "2024-01-02T03:04:05Z"}, {"Version", "2014-05-26"},
	};
	EcsParam	headers[] = {
		{"host", "ecs.cn-hangzhou.aliyuncs.com"},
		{"x-acs-action", "DescribeImages"},
		{"x-acs-content-sha256", V3_EMPTY_SHA256},
		{"x-acs-date", "2024-01-02T03:04:05Z"},
		{"x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"},
		{"x-acs-version", "2014-05-26"},
	};
	struct timeval start;
	int			rounds = 20000;
	int			i;

	gettimeofday(&start, NULL);
	for (i = 0; i < rounds; i++)
	{
		char	   *cq = ecs_canonical_query(params, lengthof_params(params));
		char	   *cr = ecs_acs3_canonical_request("GET", "/", cq, headers,
													lengthof_params(headers),
													V3_EMPTY_SHA256, NULL);

		pfree(ecs_acs3_signature(cr, "testsecret"));
		pfree(ecs_rpc_signature("GET", params, lengthof_params(params),
								"testsecret"));
		pfree(cr);
		pfree(cq);
	}
	printf("# speed: %d x (V1 signature + V3 canonical request and signature)"
		   " in %.1f ms\n", rounds, elapsed_ms(&start));
}

/*
 * test_openssl_failure
 *		When OpenSSL fails, the signatures and the digest are NULL (an
 *		empty signature would reach the API and read as a wrong key).
 */
static void
test_openssl_failure(void)
{
	EcsParam	params[] = {{"Action", "DescribeRegions"}};

	fail_openssl = true;
	check(ecs_rpc_signature("GET", params, 1, "testsecret") == NULL,
		  "V1 signature is NULL when HMAC fails");
	check(ecs_acs3_signature("GET\n/\n\n", "testsecret") == NULL,
		  "V3 signature is NULL when SHA256 fails");
	check(ecs_sha256_hex("abc", 3) == NULL,
		  "SHA-256 hex is NULL when SHA256 fails");
	fail_openssl = false;
	check(ecs_sha256_hex("abc", 3) != NULL,
		  "SHA-256 hex works again once OpenSSL does");
}

/*
 * main
 *		Run every group, print the plan last, exit 1 on any failure.
 */
int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);

	test_percent_encoding();
	test_canonical_query();
	test_v1_describe_regions();
	test_v1_regression();
	test_v3_official();
	test_v3_headers();
	test_oos_v1();
	test_oos_v3();
	test_nonce();
	test_nonce_fallback();
	test_timestamp();
	test_openssl_failure();
	report_speed();

	return tap_finish();
}

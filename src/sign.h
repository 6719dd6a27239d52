/*-------------------------------------------------------------------------
 *
 * sign.h
 *		  Request signing for Alibaba Cloud RPC APIs (ACS3-HMAC-SHA256 and
 *		  RPC HMAC-SHA1).
 *
 * This header is separate from ecs_image_fdw.h on purpose: sign.c is also
 * compiled as frontend code (with -DFRONTEND, against libpgcommon) by the
 * unit test in test/unit, so it may only depend on postgres_fe.h-level
 * facilities: palloc, StringInfo and psprintf.  It must not ereport.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/sign.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_SIGN_H
#define ECS_SIGN_H

#include <time.h>

#include "lib/stringinfo.h"

/* A name/value pair: a request parameter or a header to be signed. */
typedef struct EcsParam
{
	const char *name;
	const char *value;
} EcsParam;

/* Length of a nonce from ecs_make_nonce, without the terminating NUL. */
#define ECS_NONCE_LEN 32
/* Length of a timestamp from ecs_format_timestamp ("2016-02-23T12:46:24Z"). */
#define ECS_TIMESTAMP_LEN 20

/*
 * Percent-encode s as Alibaba Cloud requires (RFC 3986 unreserved characters
 * kept, everything else %XY with upper-case hex; space is %20, never '+').
 */
extern void ecs_append_percent_encoded(StringInfo buf, const char *s);
extern char *ecs_percent_encode(const char *s);

/*
 * Sort params by name (byte order) and join them as encoded name=value pairs
 * with '&'.  The input array is not modified.  Result is palloc'd.
 */
extern char *ecs_canonical_query(const EcsParam *params, int nparams);

/*
 * The query string of an ACS3 request as the official SDKs send it: names
 * in segment order ("Tag.2" before "Tag.10"), values percent-encoded except
 * the unreserved characters and !'()*.  Result is palloc'd.
 */
extern char *ecs_wire_query(const EcsParam *params, int nparams);

/*
 * RPC (signature version 1.0, HMAC-SHA1).  params must hold every parameter
 * that will be sent except Signature itself.
 */
extern char *ecs_rpc_string_to_sign(const char *method,
									const EcsParam *params, int nparams);
extern char *ecs_rpc_signature(const char *method,
							   const EcsParam *params, int nparams,
							   const char *secret);

/*
 * ACS3-HMAC-SHA256.  headers are the headers to sign (host, content-type and
 * x-acs-*), in any order and letter case; they are lower-cased, trimmed and
 * sorted here.  *signed_headers receives the ';'-joined list of their names.
 */
extern char *ecs_acs3_canonical_request(const char *method, const char *path,
										const char *canonical_query,
										const EcsParam *headers, int nheaders,
										const char *payload_hash,
										char **signed_headers);
extern char *ecs_acs3_signature(const char *canonical_request,
								const char *secret);

/*
 * Lower-case hex SHA-256 of data.  This and the two signatures above are NULL
 * when OpenSSL fails; the caller raises the error.
 */
extern char *ecs_sha256_hex(const char *data, size_t len);

/* Fill buf (ECS_NONCE_LEN + 1 bytes) with a random lower-case hex nonce. */
extern void ecs_make_nonce(char *buf);

/* Format t as UTC "yyyy-MM-ddTHH:mm:ssZ" into buf (ECS_TIMESTAMP_LEN + 1). */
extern void ecs_format_timestamp(time_t t, char *buf);

#endif							/* ECS_SIGN_H */

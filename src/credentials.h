/*-------------------------------------------------------------------------
 *
 * credentials.h
 *		  The credentials a request is signed with.
 *
 * Only the request builders (api.c) and credentials.c include this header:
 * nothing else ever sees an access key secret or a security token.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/credentials.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_CREDENTIALS_H
#define ECS_CREDENTIALS_H

#include "datatype/timestamp.h"

#include "ecs_image_fdw.h"

typedef struct EcsCredentials
{
	char	   *access_key_id;
	char	   *access_key_secret;
	char	   *security_token;	/* NULL for a long-lived AccessKey */
	TimestampTz expiration;		/* DT_NOEND for a long-lived AccessKey */
} EcsCredentials;

/* in credentials.c */
extern const EcsCredentials *ecs_credentials_get(const EcsConfig *config);

/* in api.c */
extern char *ecs_api_rpc_body(const EcsParams *params, const char *action,
							  const char *version,
							  const EcsCredentials *creds);

#endif							/* ECS_CREDENTIALS_H */

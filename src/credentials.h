/*-------------------------------------------------------------------------
 *
 * credentials.h
 *		  The credentials a request is signed with.
 *
 * Only the request builders (api.c), credentials.c and option.c (which
 * fills EcsCredentialOptions from the user mapping) include this header:
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

/* Where the credentials of a user mapping come from */
typedef enum EcsCredentialSource
{
	ECS_SOURCE_ACCESS_KEY,		/* access_key_id and access_key_secret */
	ECS_SOURCE_ECS_RAM_ROLE,	/* the instance's RAM role (metadata service) */
	ECS_SOURCE_OIDC				/* AssumeRoleWithOIDC with a token file */
} EcsCredentialSource;

/*
 * Where the credentials come from (user mapping), the role to assume on top
 * (server or user mapping, the mapping's values win) and the endpoints of
 * STS and the metadata service (server).  Never print these.
 */
struct EcsCredentialOptions
{
	EcsCredentialSource source;
	char	   *access_key_id;
	char	   *access_key_secret;
	char	   *security_token;
	char	   *role_name;		/* ecs_ram_role: NULL asks the instance */
	char	   *oidc_role_arn;
	char	   *oidc_provider_arn;
	char	   *oidc_token_file;
	char	   *role_arn;		/* NULL: no AssumeRole */
	char	   *role_session_name;
	int			duration_s;
	char	   *external_id;
	char	   *policy;
	char	   *sts_endpoint;
	char	   *metadata_endpoint;
};

/* The credentials that sign a request */
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

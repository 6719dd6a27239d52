/*-------------------------------------------------------------------------
 *
 * option.c
 *		  Option validation and the merged configuration of one server use.
 *
 * The validator checks every option where it is set: its name, the object
 * it is allowed on, its type and range, and who may set it.  At use time
 * ecs_option_config_for_server() merges the server's, the table's and the
 * calling role's user mapping options into one EcsConfig, applying the
 * same parsing again (the validator cannot see every combination, for
 * instance a user mapping created before the server was altered).
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/option.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <ctype.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "credentials.h"
#include "ecs_image_fdw.h"

PG_FUNCTION_INFO_V1(ecs_image_fdw_validator);

/* How an option's value is checked */
typedef enum EcsOptionType
{
	OPT_TEXT,					/* any non-empty text */
	OPT_PATH,					/* an absolute file name */
	OPT_KEY_ID,					/* an access key id: letters, digits, ._- */
	OPT_TOKEN,					/* sent in a header: printable ASCII */
	OPT_INT,					/* an integer between min and max */
	OPT_BOOL,
	OPT_ENDPOINT,				/* an https URL, or http to a loopback host */
	OPT_REGIONS,				/* "*" or a list of region ids */
	OPT_SIGNATURE,				/* 1 or 3 */
	OPT_RESOURCE,				/* a table's resource */
	OPT_OWNER_ALIAS,			/* image owner aliases, or "all" */
	OPT_LANGUAGE,				/* a language DescribeRegions accepts */
	OPT_SOURCE,					/* a credential_source */
	OPT_ROLE_NAME,				/* a RAM role name (goes into a URL path) */
	OPT_ROLE_ARN,				/* acs:ram::<account>:role/<name> */
	OPT_PROVIDER_ARN,			/* acs:ram::<account>:oidc-provider/<name> */
	OPT_SESSION_NAME,			/* 2-64 of letters, digits and . @ - _ */
	OPT_EXTERNAL_ID,			/* 2-1224 of letters, digits and _+=,.@:/- */
	OPT_STS_ENDPOINT,			/* an https URL without {region} */
	OPT_METADATA_ENDPOINT,		/* also http to the metadata address */
	OPT_NETWORK,				/* public or vpc */
	OPT_CONNECT_TO				/* a loopback host:port */
} EcsOptionType;

typedef struct EcsOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
	EcsOptionType type;
	int			min;
	int			max;
	bool		superuser_only; /* it reads files or picks where keys go */
	bool		credential;		/* its value goes in config->credentials */
	int			offset;			/* where its value goes; -1: not kept */
} EcsOption;

/* Where an option's value goes, in EcsConfig or EcsCredentialOptions */
#define CONF(field) false, offsetof(EcsConfig, field)
#define CRED(field) true, offsetof(EcsCredentialOptions, field)
#define NOWHERE false, -1

static const EcsOption ecs_options[] = {
	{"endpoint", ForeignServerRelationId, OPT_ENDPOINT, 0, 0, true, CONF(endpoint)},
	{"oos_endpoint", ForeignServerRelationId, OPT_ENDPOINT, 0, 0, true, CONF(oos_endpoint)},
	{"regions", ForeignServerRelationId, OPT_REGIONS, 0, 0, false, CONF(regions)},
	{"signature_version", ForeignServerRelationId, OPT_SIGNATURE, 0, 0, false, CONF(signature_version)},
	{"max_concurrency", ForeignServerRelationId, OPT_INT, 1, 64, false, CONF(max_concurrency)},
	{"page_size", ForeignServerRelationId, OPT_INT, 1, 100, false, CONF(page_size)},
	{"connect_timeout_ms", ForeignServerRelationId, OPT_INT, 1, 600000, false, CONF(connect_timeout_ms)},
	{"request_timeout_ms", ForeignServerRelationId, OPT_INT, 1, 3600000, false, CONF(request_timeout_ms)},
	{"max_retries", ForeignServerRelationId, OPT_INT, 0, 20, false, CONF(max_retries)},
	{"ca_file", ForeignServerRelationId, OPT_PATH, 0, 0, true, CONF(ca_file)},
	{"cache_ttl_s", ForeignServerRelationId, OPT_INT, 0, 86400, false, CONF(cache_ttl_s)},
	{"updatable", ForeignServerRelationId, OPT_BOOL, 0, 0, false, CONF(updatable)},
	{"language", ForeignServerRelationId, OPT_LANGUAGE, 0, 0, false, CONF(language)},
	{"sts_endpoint", ForeignServerRelationId, OPT_STS_ENDPOINT, 0, 0, true, CRED(sts_endpoint)},
	{"metadata_endpoint", ForeignServerRelationId, OPT_METADATA_ENDPOINT, 0, 0, true, CRED(metadata_endpoint)},
	{"role_arn", ForeignServerRelationId, OPT_ROLE_ARN, 0, 0, false, CRED(role_arn)},
	{"role_session_name", ForeignServerRelationId, OPT_SESSION_NAME, 2, 64, false, CRED(role_session_name)},
	{"duration_s", ForeignServerRelationId, OPT_INT, 900, 43200, false, CRED(duration_s)},
	{"external_id", ForeignServerRelationId, OPT_EXTERNAL_ID, 2, 1224, false, CRED(external_id)},
	{"policy", ForeignServerRelationId, OPT_TEXT, 1, 2048, false, CRED(policy)},
	{"async_capable", ForeignServerRelationId, OPT_BOOL, 0, 0, false, CONF(async_capable)},
	{"network", ForeignServerRelationId, OPT_NETWORK, 0, 0, false, CONF(network_vpc)},
	{"connect_to", ForeignServerRelationId, OPT_CONNECT_TO, 0, 0, true, CONF(connect_to)},

	{"access_key_id", UserMappingRelationId, OPT_KEY_ID, 1, 128, false, CRED(access_key_id)},
	{"access_key_secret", UserMappingRelationId, OPT_TEXT, 0, 0, false, CRED(access_key_secret)},
	{"security_token", UserMappingRelationId, OPT_TOKEN, 1, 16384, false, CRED(security_token)},
	{"credential_source", UserMappingRelationId, OPT_SOURCE, 0, 0, false, CRED(source)},
	{"role_name", UserMappingRelationId, OPT_ROLE_NAME, 1, 64, false, CRED(role_name)},
	{"oidc_role_arn", UserMappingRelationId, OPT_ROLE_ARN, 0, 0, false, CRED(oidc_role_arn)},
	{"oidc_provider_arn", UserMappingRelationId, OPT_PROVIDER_ARN, 0, 0, false, CRED(oidc_provider_arn)},
	{"oidc_token_file", UserMappingRelationId, OPT_PATH, 0, 0, true, CRED(oidc_token_file)},
	{"role_arn", UserMappingRelationId, OPT_ROLE_ARN, 0, 0, false, CRED(role_arn)},
	{"role_session_name", UserMappingRelationId, OPT_SESSION_NAME, 2, 64, false, CRED(role_session_name)},
	{"duration_s", UserMappingRelationId, OPT_INT, 900, 43200, false, CRED(duration_s)},
	{"external_id", UserMappingRelationId, OPT_EXTERNAL_ID, 2, 1224, false, CRED(external_id)},
	{"policy", UserMappingRelationId, OPT_TEXT, 1, 2048, false, CRED(policy)},

	{"resource", ForeignTableRelationId, OPT_RESOURCE, 0, 0, false, CONF(resource)},
	{"regions", ForeignTableRelationId, OPT_REGIONS, 0, 0, false, CONF(regions)},
	{"image_owner_alias", ForeignTableRelationId, OPT_OWNER_ALIAS, 0, 0, false, CONF(owner_aliases)},
	{"updatable", ForeignTableRelationId, OPT_BOOL, 0, 0, false, CONF(updatable)},
	{"async_capable", ForeignTableRelationId, OPT_BOOL, 0, 0, false, CONF(async_capable)},

	{"field", AttributeRelationId, OPT_TEXT, 0, 0, false, NOWHERE},
	{NULL, InvalidOid, OPT_TEXT, 0, 0, false, NOWHERE}
};

#define KEY_ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define TOKEN_CHARS KEY_ID_CHARS "!\"#$%&'()*+,/:;<=>?@[\\]^`{|}~"

/* in the order of EcsCredentialSource */
static const char *const credential_sources[] = {
	"access_key", "ecs_ram_role", "oidc", NULL
};

/* Options of a user mapping that belong to one credential source only */
static const struct
{
	const char *name;
	EcsCredentialSource source;
	bool		required;
}			source_options[] = {
	{"access_key_id", ECS_SOURCE_ACCESS_KEY, true},
	{"access_key_secret", ECS_SOURCE_ACCESS_KEY, true},
	{"security_token", ECS_SOURCE_ACCESS_KEY, false},
	{"role_name", ECS_SOURCE_ECS_RAM_ROLE, false},
	{"oidc_role_arn", ECS_SOURCE_OIDC, true},
	{"oidc_provider_arn", ECS_SOURCE_OIDC, true},
	{"oidc_token_file", ECS_SOURCE_OIDC, true},
};

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/* the metadata service's address, the only plain http host besides loopback */
#define METADATA_ADDRESS "100.100.100.200"
static const char *const networks[] = {"public", "vpc", NULL};

static const EcsOption *find_option(const char *name, Oid context);
static bool option_exists(const char *name);
static char *valid_options_hint(Oid context);
static void check_option_value(const EcsOption *opt, DefElem *def);
static void check_choice(const EcsOption *opt, const char *value, bool valid,
						 const char *choices);
static int	parse_int_option(const EcsOption *opt, const char *value);
static void check_endpoint(const char *name, const char *value,
						   bool allow_region, bool allow_metadata);
static void check_arn(const char *name, const char *value, const char *kind);
static void check_source_options(List *options);
static bool has_role_option(List *options);
static bool loopback_host(char *hostport, char **port);
static void check_connect_to(const char *name, const char *value);
static void check_regions(const char *name, const char *value);
static void check_word(const EcsOption *opt, const char *value,
					   const char *const *words);
static char *resource_choices(void);
static List *user_mapping_options(Oid userid, Oid serverid,
								  const char *servername);
static EcsNameList name_list(const char *value, const char *every);
static void apply_option(EcsConfig *config, DefElem *def);
static EcsConfig *config_defaults(ForeignServer *server);

/*
 * ecs_image_fdw_validator
 *		Check the options of a wrapper, server, user mapping, foreign table
 *		or foreign table column.
 */
Datum
ecs_image_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *cell;

	foreach(cell, options)
	{
		DefElem    *def = (DefElem *) lfirst(cell);
		const EcsOption *opt = find_option(def->defname, catalog);

		if (opt == NULL)
		{
			if (option_exists(def->defname) &&
				find_option(def->defname, UserMappingRelationId) != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid option \"%s\"", def->defname),
						 errhint("Credentials are accepted only in a user mapping.")));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errhint("%s", valid_options_hint(catalog))));
		}

		if (opt->superuser_only && !superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set option \"%s\"",
							def->defname),
					 errhint("Only superusers may set this option.")));

		check_option_value(opt, def);
	}

	if (catalog == UserMappingRelationId)
		check_source_options(options);

	PG_RETURN_VOID();
}

/*
 * check_source_options
 *		A user mapping's credential_source and the options that go with it.
 *		The instance RAM role and the OIDC token belong to the database
 *		server, not to a database role, so only a superuser may make (or
 *		change) a mapping that uses them, as postgres_fdw's
 *		password_required.
 */
static void
check_source_options(List *options)
{
	EcsCredentialSource source = ECS_SOURCE_ACCESS_KEY;
	ListCell   *cell;
	int			i;

	foreach(cell, options)
	{
		DefElem    *def = (DefElem *) lfirst(cell);

		if (strcmp(def->defname, "credential_source") == 0)
			source = (EcsCredentialSource) ecs_catalog_word(credential_sources,
													   defGetString(def));
	}

	if (source != ECS_SOURCE_ACCESS_KEY && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to use credential source \"%s\"",
						credential_sources[source]),
				 errdetail("The instance RAM role and the OIDC token belong to the database server."),
				 errhint("Only superusers may create or change a user mapping that uses them.")));

	for (i = 0; i < lengthof(source_options); i++)
	{
		bool		present = false;

		foreach(cell, options)
		{
			if (strcmp(((DefElem *) lfirst(cell))->defname,
					   source_options[i].name) == 0)
				present = true;
		}
		if (present && source_options[i].source != source)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" cannot be used with credential source \"%s\"",
							source_options[i].name, credential_sources[source])));
		if (!present && source_options[i].required &&
			source_options[i].source == source)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
					 errmsg("user mapping option \"%s\" is required",
							source_options[i].name),
					 source == ECS_SOURCE_ACCESS_KEY ?
					 errhint("A user mapping needs both access_key_id and access_key_secret, or another credential_source.") :
					 errhint("Credential source \"oidc\" needs oidc_role_arn, oidc_provider_arn and oidc_token_file.")));
	}
}

/*
 * find_option
 *		The option called name that is valid in context, or NULL.
 */
static const EcsOption *
find_option(const char *name, Oid context)
{
	const EcsOption *opt;

	for (opt = ecs_options; opt->name != NULL; opt++)
	{
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return opt;
	}
	return NULL;
}

/*
 * option_exists
 *		Whether name is an option in any context.
 */
static bool
option_exists(const char *name)
{
	const EcsOption *opt;

	for (opt = ecs_options; opt->name != NULL; opt++)
	{
		if (strcmp(opt->name, name) == 0)
			return true;
	}
	return false;
}

/*
 * valid_options_hint
 *		The hint text listing the options valid in context.
 */
static char *
valid_options_hint(Oid context)
{
	StringInfoData buf;
	const EcsOption *opt;

	initStringInfo(&buf);
	for (opt = ecs_options; opt->name != NULL; opt++)
	{
		if (opt->context == context)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
	}
	if (buf.len == 0)
		return pstrdup("There are no valid options in this context.");
	return psprintf("Valid options in this context are: %s.", buf.data);
}

/*
 * check_option_value
 *		Raise an error unless def's value suits opt.
 */
static void
check_option_value(const EcsOption *opt, DefElem *def)
{
	char	   *value = defGetString(def);

	switch (opt->type)
	{
		case OPT_TEXT:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must not be empty", opt->name)));
			if (opt->max > 0 && strlen(value) > opt->max)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" is too long", opt->name),
						 errdetail("It may have at most %d bytes.", opt->max)));
			break;
		case OPT_SOURCE:
			check_word(opt, value, credential_sources);
			break;
		case OPT_ROLE_NAME:
		case OPT_SESSION_NAME:
		case OPT_EXTERNAL_ID:
			if (strlen(value) < opt->min || strlen(value) > opt->max ||
				strspn(value, opt->type == OPT_ROLE_NAME ? NAME_CHARS ".-_" :
					   opt->type == OPT_SESSION_NAME ? NAME_CHARS ".@-_" :
					   NAME_CHARS "_+=,.@:/-") != strlen(value))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"",
								opt->name, value),
						 opt->type == OPT_ROLE_NAME ?
						 errhint("A RAM role name has 1 to 64 letters, digits, dots, hyphens and underscores.") :
						 opt->type == OPT_SESSION_NAME ?
						 errhint("A role session name has 2 to 64 letters, digits and the characters . @ - _.") :
						 errhint("An external id has 2 to 1224 letters, digits and the characters _ + = , . @ : / -.")));
			break;
		case OPT_ROLE_ARN:
			check_arn(opt->name, value, "role");
			break;
		case OPT_PROVIDER_ARN:
			check_arn(opt->name, value, "oidc-provider");
			break;
		case OPT_STS_ENDPOINT:
			check_endpoint(opt->name, value, false, false);
			break;
		case OPT_METADATA_ENDPOINT:
			check_endpoint(opt->name, value, false, true);
			break;
		case OPT_PATH:
			if (!is_absolute_path(value))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must be an absolute file name",
								opt->name)));
			break;
		case OPT_KEY_ID:
		case OPT_TOKEN:

			/*
			 * These go into request headers and parameters.  The value is
			 * not shown: a secret may have been pasted here by mistake.
			 */
			if (strlen(value) < opt->min || strlen(value) > opt->max ||
				strspn(value, opt->type == OPT_KEY_ID ? KEY_ID_CHARS :
					   TOKEN_CHARS) != strlen(value))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\"", opt->name),
						 opt->type == OPT_KEY_ID ?
						 errhint("An access key id has 1 to %d letters, digits, dots, hyphens and underscores.",
								 opt->max) :
						 errhint("A security token has 1 to %d printable ASCII characters.",
								 opt->max)));
			break;
		case OPT_INT:
			(void) parse_int_option(opt, value);
			break;
		case OPT_BOOL:
			(void) ecs_option_bool(def);
			break;
		case OPT_ENDPOINT:
			check_endpoint(opt->name, value, true, false);
			break;
		case OPT_REGIONS:
			check_regions(opt->name, value);
			break;
		case OPT_SIGNATURE:
			check_choice(opt, value,
						 strcmp(value, "1") == 0 || strcmp(value, "3") == 0,
						 "\"3\" (ACS3-HMAC-SHA256) and \"1\" (RPC HMAC-SHA1)");
			break;
		case OPT_RESOURCE:
			check_choice(opt, value, ecs_catalog_resource(value) >= 0,
						 resource_choices());
			break;
		case OPT_LANGUAGE:
			check_word(opt, value, ecs_languages);
			break;
		case OPT_NETWORK:
			check_word(opt, value, networks);
			break;
		case OPT_CONNECT_TO:
			check_connect_to(opt->name, value);
			break;
		case OPT_OWNER_ALIAS:
			if (strcmp(value, "all") != 0)
			{
				List	   *aliases = ecs_option_split_list(value);
				ListCell   *lc;

				if (aliases == NIL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("option \"%s\" must not be empty",
									opt->name)));
				foreach(lc, aliases)
				{
					if (ecs_catalog_word(ecs_owner_aliases, lfirst(lc)) < 0)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("invalid value for option \"%s\": \"%s\"",
										opt->name, (char *) lfirst(lc)),
								 errhint("Valid values are \"all\" or a comma-separated list of %s.",
										 ecs_catalog_describe_words(ecs_owner_aliases,
																	-1, true,
																	"and"))));
				}
			}
			break;
	}
}

/*
 * check_choice
 *		Raise the error for a value that is not one of an option's choices,
 *		listed in the hint.
 */
static void
check_choice(const EcsOption *opt, const char *value, bool valid,
			 const char *choices)
{
	if (!valid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						opt->name, value),
				 errhint("Valid values are %s.", choices)));
}

/*
 * check_word
 *		Raise the error for a value that is not one of words, all listed in
 *		the hint.
 */
static void
check_word(const EcsOption *opt, const char *value, const char *const *words)
{
	check_choice(opt, value, ecs_catalog_word(words, value) >= 0,
				 ecs_catalog_describe_words(words, -1, true, "and"));
}

/*
 * resource_choices
 *		The resources, for the hint of the resource option.
 */
static char *
resource_choices(void)
{
	const char *names[ECS_RESOURCE_COUNT + 1];
	int			i;

	for (i = 0; i < ECS_RESOURCE_COUNT; i++)
		names[i] = ecs_resources[i].name;
	names[i] = NULL;
	return ecs_catalog_describe_words(names, -1, true, "and");
}

/*
 * parse_int_option
 *		The integer value of an OPT_INT option, range-checked.
 */
static int
parse_int_option(const EcsOption *opt, const char *value)
{
	int			result;

	/* digits only: parse_int would take spaces, "+" and hex */
	if (strspn(value + (value[0] == '-'), "0123456789") !=
		strlen(value + (value[0] == '-')) ||
		!parse_int(value, &result, 0, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for integer option \"%s\": \"%s\"",
						opt->name, value)));
	if (result < opt->min || result > opt->max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value %d is out of range for option \"%s\"",
						result, opt->name),
				 errdetail("Valid values are between \"%d\" and \"%d\".",
						   opt->min, opt->max)));
	return result;
}

/*
 * ecs_option_bool
 *		A Boolean option, in any spelling PostgreSQL takes for a boolean
 *		(true, yes, on, 1, and their opposites).
 */
bool
ecs_option_bool(DefElem *def)
{
	bool		result;

	if (!parse_bool(defGetString(def), &result))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s requires a Boolean value", def->defname)));
	return result;
}

/*
 * host_port_ok
 *		Whether host[:port] has braces only as "{region}", and a port, if
 *		any, from 1 to 65535.
 */
static bool
host_port_ok(const char *hostport)
{
	const char *p = hostport;
	const char *port = NULL;

	while (*p)
	{
		if (*p == '{')
		{
			if (strncmp(p, "{region}", 8) != 0)
				return false;
			p += 8;
			continue;
		}
		if (*p == '}')
			return false;
		if (*p == '[')
		{
			/* an IPv6 address: up to its bracket */
			if ((p = strchr(p, ']')) == NULL)
				return false;
			p++;
			continue;
		}
		if (*p == ':')
		{
			if (port != NULL)
				return false;
			port = p + 1;
		}
		p++;
	}
	if (port != NULL)
	{
		size_t		n = strlen(port);

		if (n < 1 || n > 5 || strspn(port, "0123456789") != n ||
			atoi(port) < 1 || atoi(port) > 65535)
			return false;
	}
	return true;
}

/*
 * check_arn
 *		acs:ram::<account id>:<kind>/<name>, as RAM shows it.
 */
static void
check_arn(const char *name, const char *value, const char *kind)
{
	const char *p = value;
	size_t		n;

	if (strncmp(p, "acs:ram::", 9) == 0)
	{
		p += 9;
		n = strspn(p, "0123456789");
		if (n >= 1 && n <= 32 && p[n] == ':' &&
			strncmp(p + n + 1, kind, strlen(kind)) == 0 &&
			p[n + 1 + strlen(kind)] == '/')
		{
			p += n + 2 + strlen(kind);
			n = strlen(p);
			if (n >= 1 && n <= 128 && strspn(p, NAME_CHARS ".-_") == n)
				return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
			 errhint("Use the form acs:ram::<account id>:%s/<name>.", kind)));
}

/*
 * check_endpoint
 *		An endpoint is https://host[:port][/], where host may contain
 *		"{region}" (if allow_region), or http:// to a loopback host (for tests
 *		and proxies), or to the metadata service's address (if
 *		allow_metadata).
 */
static void
check_endpoint(const char *name, const char *value, bool allow_region,
			   bool allow_metadata)
{
	const char *host;
	const char *end;
	bool		is_http = false;
	bool		ok = true;

	if (strncmp(value, "https://", 8) == 0)
		host = value + 8;
	else if (strncmp(value, "http://", 7) == 0)
	{
		host = value + 7;
		is_http = true;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("The endpoint must be an https:// URL.")));

	end = host + strcspn(host, "/?#@");
	if (end == host || (*end != '\0' && strcmp(end, "/") != 0))
		ok = false;
	else if (strspn(host, allow_region ?
					"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]{}" :
					"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]") !=
			 (size_t) (end - host))
		ok = false;
	else
		ok = host_port_ok(pnstrdup(host, end - host));
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 allow_region ?
				 errhint("Use the form https://host[:port], where host may contain {region}.") :
				 errhint("Use the form https://host[:port].")));

	if (is_http)
	{
		char	   *hostport = pnstrdup(host, end - host);
		bool		metadata = allow_metadata &&
			strcmp(hostport, METADATA_ADDRESS) == 0;

		if (!metadata && !loopback_host(hostport, NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"%s\": \"%s\"",
							name, value),
					 allow_metadata ?
					 errhint("Plain http:// is allowed only to the metadata service's address %s or a loopback host.",
							 METADATA_ADDRESS) :
					 errhint("Plain http:// is allowed only to a loopback host; use https://.")));
	}
}

/*
 * loopback_host
 *		Whether hostport (host[:port], modified) names a loopback host: an
 *		address in 127.0.0.0/8 (not a name such as 127.example.com), [::1]
 *		or localhost.  *port, if not NULL, receives the port part or NULL.
 */
static bool
loopback_host(char *hostport, char **port)
{
	char	   *colon = NULL;
	struct in_addr addr;

	if (hostport[0] == '[')
	{
		/* [address] or [address]:port */
		if ((colon = strchr(hostport, ']')) != NULL &&
			(colon[1] == '\0' || colon[1] == ':'))
			colon++;
		else
			colon = NULL;
	}
	else
		colon = strrchr(hostport, ':');
	if (port)
		*port = (colon && *colon == ':') ? colon + 1 : NULL;
	if (colon)
		*colon = '\0';
	return (inet_pton(AF_INET, hostport, &addr) == 1 &&
			(ntohl(addr.s_addr) >> 24) == 127) ||
		strcmp(hostport, "localhost") == 0 ||
		strcmp(hostport, "[::1]") == 0;
}

/*
 * check_connect_to
 *		A loopback host and a port: where every connection goes instead of
 *		the URL's host, which the requests keep (Host header, TLS name).
 */
static void
check_connect_to(const char *name, const char *value)
{
	char	   *port;
	int			n;

	if (!loopback_host(pstrdup(value), &port) || port == NULL ||
		strspn(port, "0123456789") != strlen(port) ||
		!parse_int(port, &n, 0, NULL) || n < 1 || n > 65535)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("Use the form host:port with a loopback host (127.0.0.1, [::1] or localhost).")));
}

/*
 * ecs_valid_region_id
 *		Whether s looks like a region id: a lower-case letter, then up to 63
 *		lower-case letters, digits and hyphens.
 */
bool
ecs_valid_region_id(const char *s)
{
	size_t		n = strlen(s);

	return n >= 1 && n <= 64 && islower((unsigned char) s[0]) &&
		strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/*
 * ecs_check_region_id
 *		Refuse what is not a region id.  Every region id passes this before
 *		it becomes part of a URL (see ecs_api_build_request), whether it
 *		comes from an option, a function argument, a row, a WHERE clause or
 *		an API answer.
 */
void
ecs_check_region_id(const char *s)
{
	if (!ecs_valid_region_id(s))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid region id \"%s\"", s),
				 errhint("Region ids look like \"cn-hangzhou\".")));
}

/*
 * check_regions
 *		"*", or a comma-separated list of distinct region ids.
 */
static void
check_regions(const char *name, const char *value)
{
	List	   *regions;
	ListCell   *lc;

	if (strcmp(value, "*") == 0)
		return;
	regions = ecs_option_split_list(value);
	if (regions == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must not be empty", name),
				 errhint("Use \"*\" for every region of the account.")));
	foreach(lc, regions)
	{
		const char *region = lfirst(lc);
		ListCell   *prev;

		if (!ecs_valid_region_id(region))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid region id \"%s\" in option \"%s\"",
							region, name),
					 errhint("Region ids look like \"cn-hangzhou\"; separate them with commas.")));
		foreach(prev, regions)
		{
			if (prev == lc)
				break;
			if (strcmp(lfirst(prev), region) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("region \"%s\" is listed more than once in option \"%s\"",
								region, name)));
		}
	}
}

/*
 * ecs_option_split_list
 *		Split a comma-separated list, trimming blanks; empty items dropped.
 */
List *
ecs_option_split_list(const char *value)
{
	List	   *result = NIL;
	const char *p = value;

	while (*p)
	{
		const char *start;
		const char *end;

		while (*p == ' ' || *p == ',')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && end[-1] == ' ')
			end--;
		if (end > start)
			result = lappend(result, pnstrdup(start, end - start));
	}
	return result;
}

/*
 * user_mapping_options
 *		The options of userid's user mapping for the server, or of the
 *		PUBLIC one.  Unlike GetUserMapping(), the error names the server.
 */
static List *
user_mapping_options(Oid userid, Oid serverid, const char *servername)
{
	HeapTuple	tp;
	Datum		datum;
	bool		isnull;
	List	   *options;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER,
							 ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("user mapping not found for role \"%s\" on server \"%s\"",
						GetUserNameFromId(userid, false), servername),
				 errhint("Create one with CREATE USER MAPPING FOR ... SERVER %s OPTIONS (access_key_id '...', access_key_secret '...').",
						 quote_identifier(servername))));

	datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tp,
							Anum_pg_user_mapping_umoptions, &isnull);
	options = isnull ? NIL : untransformRelOptions(datum);
	ReleaseSysCache(tp);
	return options;
}

/*
 * name_list
 *		A list option's value: every item if it is the word every, else
 *		the comma-separated names.
 */
static EcsNameList
name_list(const char *value, const char *every)
{
	EcsNameList result = {false, NIL};

	if (strcmp(value, every) == 0)
		result.all = true;
	else
		result.names = ecs_option_split_list(value);
	return result;
}

/*
 * apply_option
 *		Store one already-validated option where ecs_options says, in
 *		config or its credentials.
 */
static void
apply_option(EcsConfig *config, DefElem *def)
{
	char	   *value = defGetString(def);
	const EcsOption *opt;
	char	   *dest;

	for (opt = ecs_options; opt->name != NULL; opt++)
	{
		if (strcmp(opt->name, def->defname) == 0)
			break;
	}
	if (opt->name == NULL || opt->offset < 0)
		return;					/* the validator rejected it already */
	dest = (opt->credential ? (char *) config->credentials : (char *) config) +
		opt->offset;

	if (opt->type == OPT_INT)
	{
		*(int *) dest = parse_int_option(opt, value);
		return;
	}
	check_option_value(opt, def);
	switch (opt->type)
	{
		case OPT_SIGNATURE:
			*(int *) dest = atoi(value);
			break;
		case OPT_BOOL:
			*(bool *) dest = ecs_option_bool(def);
			break;
		case OPT_NETWORK:
			*(bool *) dest = strcmp(value, "vpc") == 0;
			break;
		case OPT_RESOURCE:
			*(EcsResource *) dest = (EcsResource) ecs_catalog_resource(value);
			break;
		case OPT_SOURCE:
			*(EcsCredentialSource *) dest = (EcsCredentialSource)
				ecs_catalog_word(credential_sources, value);
			break;
		case OPT_REGIONS:
			*(EcsNameList *) dest = name_list(value, "*");
			break;
		case OPT_OWNER_ALIAS:
			*(EcsNameList *) dest = name_list(value, "all");
			break;
		default:
			*(char **) dest = value;
			break;
	}
}

/*
 * config_defaults
 *		A server's configuration before any option is applied.
 */
static EcsConfig *
config_defaults(ForeignServer *server)
{
	EcsConfig  *config = palloc0(sizeof(EcsConfig));
	EcsCredentialOptions *creds = palloc0(sizeof(EcsCredentialOptions));

	config->serverid = server->serverid;
	config->servername = server->servername;
	config->regions.all = true;
	config->signature_version = 3;
	config->max_concurrency = 16;
	config->page_size = 100;
	config->connect_timeout_ms = 5000;
	config->request_timeout_ms = 30000;
	config->max_retries = 5;
	config->async_capable = true;
	config->resource = ECS_RESOURCE_IMAGES;
	config->owner_aliases = name_list("self,others", "all");
	config->language = "en-US";
	config->credentials = creds;
	creds->source = ECS_SOURCE_ACCESS_KEY;
	creds->role_session_name = "ecs-image-fdw";
	creds->duration_s = 3600;
	creds->sts_endpoint = "https://sts.aliyuncs.com";
	creds->metadata_endpoint = "http://" METADATA_ADDRESS;
	return config;
}

/*
 * ecs_option_config_for_server
 *		The configuration for userid's use of a server, without a table.
 */
EcsConfig *
ecs_option_config_for_server(Oid serverid, Oid userid)
{
	ForeignServer *server = GetForeignServer(serverid);
	EcsConfig  *config = config_defaults(server);
	EcsCredentialOptions *creds = config->credentials;
	ListCell   *lc;

	/* the server's options, then the mapping's: its role options win */
	foreach(lc, server->options)
		apply_option(config, lfirst(lc));
	foreach(lc, user_mapping_options(userid, serverid, server->servername))
		apply_option(config, lfirst(lc));

	/*
	 * The instance role and the OIDC token are the superuser's to lend: a
	 * server that a non-superuser owns (and so may alter) must not choose
	 * which role they assume.
	 */
	if (creds->source != ECS_SOURCE_ACCESS_KEY &&
		has_role_option(server->options) && !superuser_arg(server->owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the role options of server \"%s\" cannot be used with credential source \"%s\"",
						server->servername,
						credential_sources[creds->source]),
				 errdetail("The server is owned by a role that is not a superuser."),
				 errhint("Set the role options in the user mapping, or have a superuser own the server.")));

	if (creds->source == ECS_SOURCE_ACCESS_KEY &&
		(creds->access_key_id == NULL || creds->access_key_secret == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
				 errmsg("user mapping for server \"%s\" has no access key",
						server->servername),
				 errhint("Set the access_key_id and access_key_secret options of the user mapping.")));
	return config;
}

/*
 * has_role_option
 *		Whether options hold any of the options that shape AssumeRole.
 */
static bool
has_role_option(List *options)
{
	static const char *const role_options[] = {
		"role_arn", "role_session_name", "duration_s", "external_id", "policy", NULL
	};
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		if (ecs_catalog_word(role_options, def->defname) >= 0)
			return true;
	}
	return false;
}

/*
 * ecs_option_config_for_table
 *		The configuration for userid's scan of a foreign table: the server's,
 *		with the table's options on top.
 */
EcsConfig *
ecs_option_config_for_table(Oid foreigntableid, Oid userid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	EcsConfig  *config = ecs_option_config_for_server(table->serverid, userid);
	ListCell   *lc;

	foreach(lc, table->options)
		apply_option(config, lfirst(lc));
	return config;
}

/*
 * ecs_option_resource
 *		The resource option among a foreign table's options (validated
 *		already), images by default.
 */
EcsResource
ecs_option_resource(List *table_options)
{
	ListCell   *lc;

	foreach(lc, table_options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "resource") == 0)
			return (EcsResource) ecs_catalog_resource(defGetString(def));
	}
	return ECS_RESOURCE_IMAGES;
}

/*
 * ecs_option_table_options
 *		The server's and the foreign table's options (the table's win),
 *		without the calling role's user mapping: for the planner, which
 *		has no credentials to ask for.  Its credentials are the defaults.
 */
EcsConfig *
ecs_option_table_options(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	EcsConfig  *config = config_defaults(server);
	ListCell   *lc;

	foreach(lc, server->options)
		apply_option(config, lfirst(lc));
	foreach(lc, table->options)
		apply_option(config, lfirst(lc));
	return config;
}

/*
 * ecs_option_column_field
 *		The "field" option of a column, or NULL.
 */
char *
ecs_option_column_field(Oid relid, int attnum)
{
	ListCell   *lc;

	foreach(lc, GetForeignColumnOptions(relid, attnum))
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			return defGetString(def);
	}
	return NULL;
}

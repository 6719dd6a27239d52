/*-------------------------------------------------------------------------
 *
 * functions.c
 *		  SQL functions for the custom image lifecycle: create, import,
 *		  copy, cancel a copy, share, unshare, export, modify, delete, update
 *		  through OOS, and wait for an image, a task or an execution; tag
 *		  and untag an image, and find the newest image of a family.
 *
 * Each function checks its arguments before anything is sent, finds the
 * server (the only one of the wrapper when none is named), checks the
 * caller's USAGE on it and uses the caller's user mapping.  Calls that
 * create something carry a ClientToken (the caller's, or one made per
 * call), so the retry of a call whose answer was lost returns the same
 * resource instead of making a second one.  A change drops the cached
 * listings of the regions it touched.  These calls act at once: a ROLLBACK
 * does not undo them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/functions.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

#include "ecs_image_fdw.h"

/* Accounts per ModifyImageSharePermission call (the API ignores more) */
#define SHARE_BATCH 10

/* Tags per TagResources or UntagResources call, and on one image */
#define TAGS_PER_CALL 20
#define MAX_IMAGE_TAGS 20

/* Longest tag key or value, in characters */
#define MAX_TAG_CHARS 128

/* How long wait => true waits */
#define WAIT_TIMEOUT_MS (3L * 3600 * 1000)

/* Raise the ERROR for a failed API call, with a literal message format */
#define API_ERROR(err, ...) \
	ereport(ERROR, \
			(errcode(ecs_api_errcode(err)), errmsg(__VA_ARGS__), \
			 ecs_api_errdetail(err), ecs_api_errhint(err)))

/* The values the API documents for arguments with a closed set */
static const char *const boot_modes[] = {"BIOS", "UEFI", "UEFI-Preferred", NULL};
static const char *const import_formats[] = {"RAW", "VHD", "QCOW2", "VMDK", NULL};
static const char *const export_formats[] = {"raw", "vhd", "qcow2", "vmdk", "vdi", NULL};
static const char *const license_types[] = {"Auto", "Aliyun", "BYOL", NULL};
static const char *const modify_statuses[] = {"Available", "Deprecated", NULL};

PG_FUNCTION_INFO_V1(ecs_create_image);
PG_FUNCTION_INFO_V1(ecs_import_image);
PG_FUNCTION_INFO_V1(ecs_copy_image);
PG_FUNCTION_INFO_V1(ecs_cancel_copy_image);
PG_FUNCTION_INFO_V1(ecs_share_image);
PG_FUNCTION_INFO_V1(ecs_unshare_image);
PG_FUNCTION_INFO_V1(ecs_export_image);
PG_FUNCTION_INFO_V1(ecs_modify_image);
PG_FUNCTION_INFO_V1(ecs_delete_image);
PG_FUNCTION_INFO_V1(ecs_update_image);
PG_FUNCTION_INFO_V1(ecs_wait_image);
PG_FUNCTION_INFO_V1(ecs_wait_task);
PG_FUNCTION_INFO_V1(ecs_wait_execution);
PG_FUNCTION_INFO_V1(ecs_tag_image);
PG_FUNCTION_INFO_V1(ecs_untag_image);
PG_FUNCTION_INFO_V1(ecs_image_from_family);

static char *arg_text(FunctionCallInfo fcinfo, int n);
static char *choice_arg(FunctionCallInfo fcinfo, int n, const char *name,
						const char *const *choices);
static char *server_arg(FunctionCallInfo fcinfo, int n);
static char *required_text(FunctionCallInfo fcinfo, int n, const char *name);
static char *region_arg(FunctionCallInfo fcinfo, int n, const char *name);
static long timeout_arg(FunctionCallInfo fcinfo, int n);
static List *text_array_arg(FunctionCallInfo fcinfo, int n, const char *name);
static void add_param(EcsParams *params, const char *name, const char *value);
static void add_tags(EcsParams *params, const char *prefix, Jsonb *tags);
static void add_disks(EcsParams *params, Jsonb *disks);
static List *flat_object(Jsonb *jb, const char *what);
static char *client_token(FunctionCallInfo fcinfo, int n);
static char *answer_field(const char *body, const char *path,
						  const char *what);
static char *new_image(const EcsConfig *config, const char *region,
					   const char *action, const EcsParams *params,
					   const char *image_region, bool wait, EcsApiError *err);
static void share(FunctionCallInfo fcinfo, bool add);
static void check_changes(const char *image_id, const char *name,
						  const char *description, const char *family,
						  const char *boot_mode, const char *status);
static char *wait_image(const EcsConfig *config, const char *region,
						const char *image_id, const char *target,
						long timeout_ms);
static char *wait_task(const EcsConfig *config, const char *region,
					   const char *task_id, long timeout_ms);
static char *export_task_of(const EcsConfig *config, const char *region,
							const char *image_id);

/*
 * ecs_function_config
 *		The configuration for a call: the named server, or the wrapper's
 *		only server when name is NULL; the caller must have USAGE on it and
 *		a user mapping.
 */
EcsConfig *
ecs_function_config(const char *name)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapperByName("ecs_image_fdw", false);
	ForeignServer *server = NULL;
	AclResult	aclresult;

	if (name != NULL)
	{
		server = GetForeignServerByName(name, false);
		if (server->fdwid != fdw->fdwid)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("server \"%s\" does not use foreign data wrapper \"%s\"",
							name, fdw->fdwname)));
	}
	else
	{
		Relation	rel = table_open(ForeignServerRelationId, AccessShareLock);
		SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
		HeapTuple	tuple;
		StringInfoData names;
		int			n = 0;
		Oid			found = InvalidOid;

		initStringInfo(&names);
		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			Form_pg_foreign_server srv = (Form_pg_foreign_server) GETSTRUCT(tuple);

			if (srv->srvfdw != fdw->fdwid)
				continue;
			appendStringInfo(&names, "%s%s", n > 0 ? ", " : "",
							 quote_identifier(NameStr(srv->srvname)));
			found = srv->oid;
			n++;
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);

		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("foreign data wrapper \"%s\" has no server",
							fdw->fdwname),
					 errhint("Create one with CREATE SERVER ... FOREIGN DATA WRAPPER ecs_image_fdw.")));
		if (n > 1)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
					 errmsg("foreign data wrapper \"%s\" has more than one server",
							fdw->fdwname),
					 errhint("Name one with the argument server => ...; the servers are %s.",
							 names.data)));
		server = GetForeignServer(found);
	}

	aclresult = ecs_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	return ecs_option_config_for_server(server->serverid, GetUserId());
}

/*
 * arg_text
 *		Argument n as a C string, or NULL.  An empty string is refused: the
 *		API takes none of the optional arguments empty, and NULL is the way
 *		to leave one out.
 */
static char *
arg_text(FunctionCallInfo fcinfo, int n)
{
	char	   *value;

	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	value = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (value[0] == '\0')
	{
		HeapTuple	tuple;
		char	  **names;
		Oid		   *types;
		char	   *modes;
		const char *name = "?";

		tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
		if (HeapTupleIsValid(tuple))
		{
			if (get_func_arg_info(tuple, &types, &names, &modes) > n &&
				names != NULL)
				name = names[n];
			ReleaseSysCache(tuple);
		}
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" must not be empty", name),
				 errhint("Pass NULL, or leave the argument out, to not set it.")));
	}
	return value;
}

/*
 * server_arg
 *		The server name argument n, or NULL.
 */
static char *
server_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_NARGS() <= n || PG_ARGISNULL(n))
		return NULL;
	return pstrdup(NameStr(*PG_GETARG_NAME(n)));
}

/*
 * required_text
 *		Argument n, which must be given and not empty.
 */
static char *
required_text(FunctionCallInfo fcinfo, int n, const char *name)
{
	char	   *value = NULL;

	if (PG_NARGS() > n && !PG_ARGISNULL(n))
		value = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (value == NULL || value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be null or empty", name)));
	return value;
}

/*
 * choice_arg
 *		Optional argument n, which must be one of choices (the values the API
 *		documents), or NULL; checked before anything is sent.
 */
static char *
choice_arg(FunctionCallInfo fcinfo, int n, const char *name,
		   const char *const *choices)
{
	char	   *value = arg_text(fcinfo, n);
	StringInfoData list;
	int			i;

	if (value == NULL)
		return NULL;
	initStringInfo(&list);
	for (i = 0; choices[i] != NULL; i++)
	{
		if (strcmp(value, choices[i]) == 0)
			return value;
		appendStringInfo(&list, "%s%s", i > 0 ? ", " : "", choices[i]);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for argument \"%s\": \"%s\"", name, value),
			 errhint("Valid values are %s.", list.data)));
	return NULL;				/* keep the compiler quiet */
}

/*
 * region_arg
 *		A region id argument.
 */
static char *
region_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	char	   *region = required_text(fcinfo, n, name);

	ecs_check_region_id(region);
	return region;
}

/*
 * timeout_arg
 *		A positive interval argument, in milliseconds.
 */
static long
timeout_arg(FunctionCallInfo fcinfo, int n)
{
	Interval   *iv;
	double		ms;

	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"timeout\" must not be null")));
	iv = PG_GETARG_INTERVAL_P(n);
	ms = (double) iv->time / 1000.0 +
		((double) iv->day + (double) iv->month * DAYS_PER_MONTH) * (USECS_PER_DAY / 1000.0);
	if (ms <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must be positive")));
	return (long) Min(ms, (double) LONG_MAX / 2);
}

/*
 * text_array_arg
 *		A text[] argument as a list of strings: one-dimensional, without
 *		nulls (empty is fine).
 */
static List *
text_array_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	ArrayType  *array;
	Datum	   *elems;
	bool	   *nulls;
	int			count;
	int			i;
	List	   *result = NIL;

	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be null", name)));
	array = PG_GETARG_ARRAYTYPE_P(n);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", name)));
	/* an empty array changes nothing (ARRAY(SELECT ...) of no rows) */
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
	for (i = 0; i < count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", name)));
		result = lappend(result, TextDatumGetCString(elems[i]));
	}
	return result;
}

/*
 * add_param
 *		Add a parameter unless its value is NULL.
 */
static void
add_param(EcsParams *params, const char *name, const char *value)
{
	if (value != NULL)
		ecs_params_add(params, name, value);
}

/*
 * flat_object
 *		The members of a JSON object whose values are all scalars, as a list
 *		of alternating key and value strings (JSON null gives NULL).
 */
static List *
flat_object(Jsonb *jb, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *result = NIL;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", what)));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			result = lappend(result, pnstrdup(v.val.string.val, v.val.string.len));
		else if (tok == WJB_VALUE)
		{
			switch (v.type)
			{
				case jbvString:
					result = lappend(result, pnstrdup(v.val.string.val, v.val.string.len));
					break;
				case jbvNumeric:
					result = lappend(result,
									 DatumGetCString(DirectFunctionCall1(numeric_out,
																		 NumericGetDatum(v.val.numeric))));
					break;
				case jbvBool:
					result = lappend(result, pstrdup(v.val.boolean ? "true" : "false"));
					break;
				case jbvNull:
					result = lappend(result, NULL);
					break;
				default:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s must have only scalar values", what)));
			}
		}
	}
	return result;
}

/*
 * add_tags
 *		{"key": "value", ...} as prefix.N.Key and prefix.N.Value.
 */
static void
add_tags(EcsParams *params, const char *prefix, Jsonb *tags)
{
	List	   *kv = flat_object(tags, "tags");
	ListCell   *lc;
	int			n = 0;

	if (list_length(kv) / 2 > 20)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have at most 20 tags")));
	for (lc = list_head(kv); lc != NULL; lc = lnext(kv, lnext(kv, lc)))
	{
		char	   *value = lfirst(lnext(kv, lc));

		n++;
		ecs_params_add(params, psprintf("%s.%d.Key", prefix, n), lfirst(lc));
		ecs_params_add(params, psprintf("%s.%d.Value", prefix, n),
					   value ? value : "");
	}
}

/*
 * add_disks
 *		[{"snapshot_id": ..., "size": ..., "disk_type": ..., "device": ...}]
 *		as DiskDeviceMapping.N.*.
 */
static void
add_disks(EcsParams *params, Jsonb *disks)
{
	static const char *const keys[][2] = {
		{"snapshot_id", "SnapshotId"}, {"size", "Size"},
		{"disk_type", "DiskType"}, {"device", "Device"}, {NULL, NULL}
	};
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;

	if (!JB_ROOT_IS_ARRAY(disks) || JB_ROOT_IS_SCALAR(disks) ||
		JB_ROOT_COUNT(disks) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("disk_device_mappings must be a non-empty JSON array of objects")));
	if (JB_ROOT_COUNT(disks) > 17)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("disk_device_mappings can have at most 17 disks")));

	it = JsonbIteratorInit(&disks->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		List	   *kv;
		ListCell   *lc;

		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("disk_device_mappings must be a non-empty JSON array of objects")));
		kv = flat_object(JsonbValueToJsonb(&v), "each disk of disk_device_mappings");
		n++;
		for (lc = list_head(kv); lc != NULL; lc = lnext(kv, lnext(kv, lc)))
		{
			const char *key = lfirst(lc);
			const char *value = lfirst(lnext(kv, lc));
			int			i;

			for (i = 0; keys[i][0] != NULL; i++)
			{
				if (strcmp(keys[i][0], key) == 0)
					break;
			}
			if (keys[i][0] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown key \"%s\" in disk_device_mappings", key),
						 errhint("The keys are snapshot_id, size, disk_type and device.")));
			if (value != NULL)
				ecs_params_add(params,
							   psprintf("DiskDeviceMapping.%d.%s", n, keys[i][1]),
							   value);
		}
	}
}

/*
 * client_token
 *		The caller's ClientToken, or a new one for this call (reused by its
 *		retries).
 */
static char *
client_token(FunctionCallInfo fcinfo, int n)
{
	char	   *token = arg_text(fcinfo, n);
	char		nonce[ECS_NONCE_LEN + 1];
	const char *p;

	if (token == NULL)
	{
		ecs_make_nonce(nonce);
		return psprintf("ecs-image-fdw-%s", nonce);
	}
	if (token[0] == '\0' || strlen(token) > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("client_token must have 1 to 64 characters")));
	for (p = token; *p; p++)
	{
		if (!isprint((unsigned char) *p) || (unsigned char) *p > 127)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("client_token must be printable ASCII")));
	}
	return token;
}

/*
 * answer_field
 *		The identifier a good answer returns, which must be there.
 */
static char *
answer_field(const char *body, const char *path, const char *what)
{
	char	   *value = ecs_decode_id(body, strlen(body), path);

	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("the answer to %s has no %s", what, path)));
	return value;
}

/*
 * new_image
 *		Send a call that makes an image in image_region (CreateImage,
 *		ImportImage, CopyImage), drop that region's cached listings, and
 *		wait for the image if asked.  Returns the new image id, or NULL
 *		with *err describing the failure.
 */
static char *
new_image(const EcsConfig *config, const char *region, const char *action,
		  const EcsParams *params, const char *image_region, bool wait,
		  EcsApiError *err)
{
	char	   *body = ecs_api_call(config, false, region, action, params, err,
									NULL);
	char	   *image_id;

	ecs_cache_invalidate(config->serverid, image_region);
	if (body == NULL)
		return NULL;
	image_id = answer_field(body, "ImageId", action);
	if (wait)
		wait_image(config, image_region, image_id, "Available",
				   WAIT_TIMEOUT_MS);
	return image_id;
}

/*
 * ecs_create_image
 *		CreateImage from an instance, a snapshot or disk mappings; returns
 *		the new image id.
 */
Datum
ecs_create_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *instance_id = arg_text(fcinfo, 1);
	char	   *snapshot_id = arg_text(fcinfo, 2);
	bool		wait = !PG_ARGISNULL(14) && PG_GETARG_BOOL(14);
	EcsParams	params = {0};
	EcsConfig  *config;
	EcsApiError err;
	char	   *image_id;
	int			sources = (instance_id != NULL) + (snapshot_id != NULL) + !PG_ARGISNULL(3);

	if (sources == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image needs a source"),
				 errhint("Give one of instance_id, snapshot_id or disk_device_mappings.")));
	if (sources > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have only one source"),
				 errhint("Give only one of instance_id, snapshot_id or disk_device_mappings.")));

	ecs_params_add(&params, "RegionId", region);
	add_param(&params, "InstanceId", instance_id);
	add_param(&params, "SnapshotId", snapshot_id);
	if (!PG_ARGISNULL(3))
		add_disks(&params, PG_GETARG_JSONB_P(3));
	add_param(&params, "ImageName", arg_text(fcinfo, 4));
	add_param(&params, "Description", arg_text(fcinfo, 5));
	add_param(&params, "ImageFamily", arg_text(fcinfo, 6));
	add_param(&params, "ImageVersion", arg_text(fcinfo, 7));
	add_param(&params, "Architecture",
			  choice_arg(fcinfo, 8, "architecture", ecs_architectures));
	add_param(&params, "Platform", arg_text(fcinfo, 9));
	add_param(&params, "BootMode",
			  choice_arg(fcinfo, 10, "boot_mode", boot_modes));
	add_param(&params, "ResourceGroupId", arg_text(fcinfo, 11));
	if (!PG_ARGISNULL(12))
		add_tags(&params, "Tag", PG_GETARG_JSONB_P(12));
	ecs_params_add(&params, "ClientToken", client_token(fcinfo, 13));

	config = ecs_function_config(server_arg(fcinfo, 15));
	image_id = new_image(config, region, "CreateImage", &params, region,
						 wait, &err);
	if (image_id == NULL)
		API_ERROR(&err, "could not create an image in region \"%s\"", region);
	PG_RETURN_TEXT_P(cstring_to_text(image_id));
}

/*
 * ecs_import_image
 *		ImportImage from an OSS object; returns the new image id.
 */
Datum
ecs_import_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *bucket = required_text(fcinfo, 1, "oss_bucket");
	char	   *object = required_text(fcinfo, 2, "oss_object");
	bool		wait = !PG_ARGISNULL(14) && PG_GETARG_BOOL(14);
	EcsParams	params = {0};
	EcsConfig  *config;
	EcsApiError err;
	char	   *image_id;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "DiskDeviceMapping.1.OSSBucket", bucket);
	ecs_params_add(&params, "DiskDeviceMapping.1.OSSObject", object);
	add_param(&params, "ImageName", arg_text(fcinfo, 3));
	add_param(&params, "Architecture",
			  choice_arg(fcinfo, 4, "architecture", ecs_architectures));
	add_param(&params, "OSType", choice_arg(fcinfo, 5, "os_type", ecs_os_types));
	add_param(&params, "Platform", arg_text(fcinfo, 6));
	add_param(&params, "DiskDeviceMapping.1.Format",
			  choice_arg(fcinfo, 7, "format", import_formats));
	if (!PG_ARGISNULL(8))
	{
		int32		size = PG_GETARG_INT32(8);

		if (size < 1 || size > 2048)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("disk_image_size must be between 1 and 2048 GiB")));
		ecs_params_add(&params, "DiskDeviceMapping.1.DiskImageSize",
					   psprintf("%d", size));
	}
	add_param(&params, "BootMode",
			  choice_arg(fcinfo, 9, "boot_mode", boot_modes));
	add_param(&params, "LicenseType",
			  choice_arg(fcinfo, 10, "license_type", license_types));
	add_param(&params, "Description", arg_text(fcinfo, 11));
	add_param(&params, "RoleName", arg_text(fcinfo, 12));
	ecs_params_add(&params, "ClientToken", client_token(fcinfo, 13));

	config = ecs_function_config(server_arg(fcinfo, 15));
	image_id = new_image(config, region, "ImportImage", &params, region,
						 wait, &err);
	if (image_id == NULL)
		API_ERROR(&err, "could not import an image in region \"%s\"", region);
	PG_RETURN_TEXT_P(cstring_to_text(image_id));
}

/*
 * ecs_copy_image
 *		CopyImage to another region; returns the new image id there.
 */
Datum
ecs_copy_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	char	   *destination = region_arg(fcinfo, 2, "destination_region_id");
	bool		wait = !PG_ARGISNULL(9) && PG_GETARG_BOOL(9);
	EcsParams	params = {0};
	EcsConfig  *config;
	EcsApiError err;
	char	   *copy_id;

	if (!PG_ARGISNULL(6) && (PG_ARGISNULL(5) || !PG_GETARG_BOOL(5)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kms_key_id needs encrypted => true")));

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	ecs_params_add(&params, "DestinationRegionId", destination);
	add_param(&params, "DestinationImageName", arg_text(fcinfo, 3));
	add_param(&params, "DestinationDescription", arg_text(fcinfo, 4));
	if (!PG_ARGISNULL(5))
		ecs_params_add(&params, "Encrypted", PG_GETARG_BOOL(5) ? "true" : "false");
	add_param(&params, "KMSKeyId", arg_text(fcinfo, 6));
	if (!PG_ARGISNULL(7))
		add_tags(&params, "Tag", PG_GETARG_JSONB_P(7));
	ecs_params_add(&params, "ClientToken", client_token(fcinfo, 8));

	config = ecs_function_config(server_arg(fcinfo, 10));
	copy_id = new_image(config, region, "CopyImage", &params, destination,
						wait, &err);
	if (copy_id == NULL)
		API_ERROR(&err, "could not copy image \"%s\" to region \"%s\"",
				  image_id, destination);
	PG_RETURN_TEXT_P(cstring_to_text(copy_id));
}

/*
 * ecs_cancel_copy_image
 *		CancelCopyImage: region_id and image_id are those of the copy.  A
 *		copy that is gone when a retry arrives was removed by the first
 *		attempt.
 */
Datum
ecs_cancel_copy_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	EcsParams	params = {0};
	EcsConfig  *config = ecs_function_config(server_arg(fcinfo, 2));
	EcsApiError err;
	int			attempts;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	if (ecs_api_call(config, false, region, "CancelCopyImage", &params, &err,
					 &attempts) == NULL &&
		!(attempts > 1 && ecs_api_code_is(err.code, "InvalidImageId.NotFound")))
	{
		ecs_cache_invalidate(config->serverid, region);
		API_ERROR(&err, "could not cancel the copy to image \"%s\"", image_id);
	}
	ecs_cache_invalidate(config->serverid, region);
	PG_RETURN_VOID();
}

/*
 * ecs_share_accounts
 *		ModifyImageSharePermission with AddAccount.N or RemoveAccount.N, ten
 *		accounts per call (the API ignores more); also used by INSERT and
 *		DELETE on image_share_permissions.
 */
void
ecs_share_accounts(const EcsConfig *config, const char *region,
				   const char *image_id, List *accounts, bool add)
{
	int			n = list_length(accounts);
	int			i;

	for (i = 0; i < n; i += SHARE_BATCH)
	{
		EcsParams	params = {0};
		EcsApiError err;
		int			j;

		ecs_params_add(&params, "RegionId", region);
		ecs_params_add(&params, "ImageId", image_id);
		for (j = i; j < n && j < i + SHARE_BATCH; j++)
			ecs_params_add(&params,
						   psprintf("%s.%d", add ? "AddAccount" : "RemoveAccount",
									j - i + 1),
						   list_nth(accounts, j));
		if (ecs_api_call(config, false, region, "ModifyImageSharePermission",
						 &params, &err, NULL) == NULL)
		{
			ecs_cache_invalidate(config->serverid, region);
			ereport(ERROR,
					(errcode(ecs_api_errcode(&err)),
					 add ? errmsg("could not share image \"%s\"", image_id) :
					 errmsg("could not stop sharing image \"%s\"", image_id),
					 ecs_api_errdetail(&err),
					 i > 0 ?
					 errhint("The first %d of the %d accounts were done before the error; calls go in batches of %d.",
							 i, n, SHARE_BATCH) :
					 ecs_api_errhint(&err)));
		}
	}
	ecs_cache_invalidate(config->serverid, region);
}

/*
 * share
 *		Check the arguments of ecs_share_image or ecs_unshare_image, and
 *		call ecs_share_accounts.
 */
static void
share(FunctionCallInfo fcinfo, bool add)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	List	   *accounts = text_array_arg(fcinfo, 2, "account_ids");
	ListCell   *lc;

	foreach(lc, accounts)
		ecs_check_account_id(lfirst(lc));
	ecs_share_accounts(ecs_function_config(server_arg(fcinfo, 3)), region,
					   image_id, accounts, add);
}

/*
 * ecs_check_account_id
 *		An account id is a number.
 */
void
ecs_check_account_id(const char *id)
{
	const char *p;

	for (p = id; *p; p++)
	{
		if (!isdigit((unsigned char) *p))
			break;
	}
	if (*p != '\0' || p == id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid account id \"%s\"", id),
				 errhint("Account ids are numbers, such as 1234567890123456.")));
}

/*
 * ecs_share_image
 *		Share an image with accounts.
 */
Datum
ecs_share_image(PG_FUNCTION_ARGS)
{
	share(fcinfo, true);
	PG_RETURN_VOID();
}

/*
 * ecs_unshare_image
 *		Stop sharing an image with accounts.
 */
Datum
ecs_unshare_image(PG_FUNCTION_ARGS)
{
	share(fcinfo, false);
	PG_RETURN_VOID();
}

/*
 * export_task_of
 *		The running export task of an image, or NULL.  ExportImage has no
 *		ClientToken: when its answer is lost and the retry hears that the
 *		image is already being exported, the task our first attempt started
 *		is found by the object it writes, "<prefix>_<image id>_<task id>.<format>",
 *		among the region's unfinished export tasks, queued (Waiting) or
 *		running (Processing); one export per image runs at a time.
 */
static char *
export_task_of(const EcsConfig *config, const char *region,
			   const char *image_id)
{
	static const EcsField task_fields[] = {
		{"TaskId", ECS_FIELD_SCALAR}, {"TaskStatus", ECS_FIELD_SCALAR}
	};
	char	   *needle = psprintf("_%s_", image_id);
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		tasks;
	char	   *body;
	int			i;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "TaskAction", "ExportImage");
	ecs_params_add(&params, "PageSize", "100");
	body = ecs_api_call(config, false, region, "DescribeTasks", &params, &err,
						NULL);
	if (body == NULL)
		API_ERROR(&err, "could not list the export tasks in region \"%s\"",
				  region);
	if (!ecs_decode_page(body, strlen(body), "TaskSet", "Task", "TaskId",
						 task_fields, 2, NULL, &tasks))
		return NULL;

	for (i = 0; i < tasks.nrows; i++)
	{
		char	   *task_id = tasks.values[2 * i];
		const char *status = tasks.values[2 * i + 1];
		EcsParams	task_params = {0};
		char	   *task;
		int			j;

		/* an export waits in a queue (Waiting) before it runs (Processing) */
		if (status == NULL || (strcmp(status, "Waiting") != 0 &&
							   strcmp(status, "Processing") != 0))
			continue;

		ecs_params_add(&task_params, "RegionId", region);
		ecs_params_add(&task_params, "TaskId", task_id);
		task = ecs_api_call(config, false, region, "DescribeTaskAttribute",
							&task_params, &err, NULL);
		if (task == NULL)
			API_ERROR(&err, "could not check task \"%s\" in region \"%s\"",
					  task_id, region);
		for (j = 0;; j++)
		{
			const char *item[2];
			char	   *values[2];

			item[0] = psprintf("OperationProgressSet.OperationProgress.0.RelatedItemSet.RelatedItem.%d.Name", j);
			item[1] = psprintf("OperationProgressSet.OperationProgress.0.RelatedItemSet.RelatedItem.%d.Value", j);
			if (!ecs_decode_object(task, strlen(task), item, 2, values) ||
				values[0] == NULL)
				break;
			if (strcmp(values[0], "OSSObject") == 0 && values[1] != NULL &&
				strstr(values[1], needle) != NULL)
				return task_id;
		}
	}
	return NULL;
}

/*
 * ecs_export_image
 *		ExportImage to OSS; returns the task id.  A lost answer is recovered
 *		by export_task_of.
 */
Datum
ecs_export_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	char	   *bucket = required_text(fcinfo, 2, "oss_bucket");
	bool		wait = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	EcsParams	params = {0};
	EcsConfig  *config;
	EcsApiError err;
	char	   *body;
	char	   *task_id;
	int			attempts;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	ecs_params_add(&params, "OSSBucket", bucket);
	add_param(&params, "OSSPrefix", arg_text(fcinfo, 3));
	add_param(&params, "ImageFormat",
			  choice_arg(fcinfo, 4, "image_format", export_formats));
	add_param(&params, "RoleName", arg_text(fcinfo, 5));

	config = ecs_function_config(server_arg(fcinfo, 7));
	body = ecs_api_call(config, false, region, "ExportImage", &params, &err,
						&attempts);
	ecs_cache_invalidate(config->serverid, region);
	if (body != NULL)
		task_id = answer_field(body, "TaskId", "ExportImage");
	else if (attempts > 1 && ecs_api_code_is(err.code, "ImageIsExporting") &&
			 (task_id = export_task_of(config, region, image_id)) != NULL)
		ereport(NOTICE,
				(errmsg("image \"%s\" is being exported by task \"%s\"",
						image_id, task_id),
				 errdetail("The answer to ExportImage was lost.")));
	else
		API_ERROR(&err, "could not export image \"%s\"", image_id);
	if (wait)
		wait_task(config, region, task_id, WAIT_TIMEOUT_MS);
	PG_RETURN_TEXT_P(cstring_to_text(task_id));
}

/*
 * check_changes
 *		A modification must change something.
 */
static void
check_changes(const char *image_id, const char *name, const char *description,
			  const char *family, const char *boot_mode, const char *status)
{
	if (!name && !description && !family && !boot_mode && !status)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nothing to change in image \"%s\"", image_id),
				 errhint("Give at least one of %s.",
						 ecs_catalog_describe_words(ecs_image_changeable,
													ECS_CHANGE_TAGS, false,
													"or"))));
}

/*
 * ecs_modify_image_attribute
 *		ModifyImageAttribute with the given fields (NULL leaves a field as
 *		it is); also used by UPDATE on the images table.
 */
void
ecs_modify_image_attribute(const EcsConfig *config, const char *region,
						   const char *image_id, const char *name,
						   const char *description, const char *family,
						   const char *boot_mode, const char *status)
{
	EcsParams	params = {0};
	EcsApiError err;

	check_changes(image_id, name, description, family, boot_mode, status);
	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	add_param(&params, "ImageName", name);
	add_param(&params, "Description", description);
	add_param(&params, "ImageFamily", family);
	add_param(&params, "BootMode", boot_mode);
	add_param(&params, "Status", status);
	if (ecs_api_call(config, false, region, "ModifyImageAttribute", &params,
					 &err, NULL) == NULL)
	{
		ecs_cache_invalidate(config->serverid, region);
		API_ERROR(&err, "could not modify image \"%s\"", image_id);
	}
	ecs_cache_invalidate(config->serverid, region);
}

/*
 * ecs_modify_image
 *		SQL wrapper of ecs_modify_image_attribute.
 */
Datum
ecs_modify_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	char	   *name = arg_text(fcinfo, 2);
	char	   *description = arg_text(fcinfo, 3);
	char	   *family = arg_text(fcinfo, 4);
	char	   *boot_mode = choice_arg(fcinfo, 5, "boot_mode", boot_modes);
	char	   *status = choice_arg(fcinfo, 6, "status", modify_statuses);

	check_changes(image_id, name, description, family, boot_mode, status);
	ecs_modify_image_attribute(ecs_function_config(server_arg(fcinfo, 7)),
							   region, image_id, name, description, family,
							   boot_mode, status);
	PG_RETURN_VOID();
}

/*
 * ecs_delete_image_call
 *		DeleteImage; also used by DELETE on the images table.  An image
 *		that is gone when a retry arrives was deleted by the first attempt.
 */
void
ecs_delete_image_call(const EcsConfig *config, const char *region,
					  const char *image_id, bool force)
{
	EcsParams	params = {0};
	EcsApiError err;
	int			attempts;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	if (force)
		ecs_params_add(&params, "Force", "true");
	if (ecs_api_call(config, false, region, "DeleteImage", &params, &err,
					 &attempts) == NULL &&
		!(attempts > 1 && ecs_api_code_is(err.code, "InvalidImageId.NotFound")))
	{
		ecs_cache_invalidate(config->serverid, region);
		API_ERROR(&err, "could not delete image \"%s\"", image_id);
	}
	ecs_cache_invalidate(config->serverid, region);
}

/*
 * ecs_delete_image
 *		SQL wrapper of ecs_delete_image_call.
 */
Datum
ecs_delete_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	bool		force = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);

	ecs_delete_image_call(ecs_function_config(server_arg(fcinfo, 3)), region,
						  image_id, force);
	PG_RETURN_VOID();
}

/*
 * ecs_update_image
 *		Start the OOS template ACS-ECS-UpdateImage, which boots the source
 *		image, runs the command and makes a new image of the result;
 *		returns the execution id (see ecs_wait_execution).
 */
Datum
ecs_update_image(PG_FUNCTION_ARGS)
{
	static const struct
	{
		int			arg;
		const char *name;		/* the template's parameter */
		const char *argname;	/* the SQL function's argument */
		bool		number;
	}			template_args[] = {
		{1, "sourceImageId", "source_image_id", false},
		{2, "instanceType", "instance_type", false},
		{3, "commandContent", "command_content", false},
		{4, "targetImageName", "target_image_name", false},
		{5, "securityGroupId", "security_group_id", false},
		{6, "vSwitchId", "vswitch_id", false},
		{7, "zoneId", "zone_id", false},
		{8, "systemDiskCategory", "system_disk_category", false},
		{9, "internetMaxBandwidthOut", "internet_max_bandwidth_out", true},
		{10, "timeout", "command_timeout", true},
		{0, NULL, NULL, false}
	};
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *source = required_text(fcinfo, 1, "source_image_id");
	EcsParams	params = {0};
	StringInfoData json;
	EcsConfig  *config;
	EcsApiError err;
	char	   *body;
	int			i;

	(void) required_text(fcinfo, 2, "instance_type");
	(void) required_text(fcinfo, 3, "command_content");

	initStringInfo(&json);
	appendStringInfoChar(&json, '{');
	for (i = 0; template_args[i].name != NULL; i++)
	{
		int			n = template_args[i].arg;

		if (PG_ARGISNULL(n))
			continue;
		if (json.len > 1)
			appendStringInfoChar(&json, ',');
		escape_json(&json, template_args[i].name);
		appendStringInfoChar(&json, ':');
		if (template_args[i].number)
		{
			int32		v = PG_GETARG_INT32(n);

			if (v < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("argument \"%s\" must not be negative",
								template_args[i].argname)));
			appendStringInfo(&json, "%d", v);
		}
		else
			escape_json(&json, text_to_cstring(PG_GETARG_TEXT_PP(n)));
	}
	if (!PG_ARGISNULL(11))
	{
		List	   *kv = flat_object(PG_GETARG_JSONB_P(11), "tags");
		ListCell   *lc;

		appendStringInfoString(&json, ",\"tags\":[");
		for (lc = list_head(kv); lc != NULL; lc = lnext(kv, lnext(kv, lc)))
		{
			char	   *value = lfirst(lnext(kv, lc));

			if (lc != list_head(kv))
				appendStringInfoChar(&json, ',');
			appendStringInfoString(&json, "{\"Key\":");
			escape_json(&json, lfirst(lc));
			appendStringInfoString(&json, ",\"Value\":");
			escape_json(&json, value ? value : "");
			appendStringInfoChar(&json, '}');
		}
		appendStringInfoChar(&json, ']');
	}
	appendStringInfoChar(&json, '}');

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "TemplateName", "ACS-ECS-UpdateImage");
	ecs_params_add(&params, "Parameters", json.data);
	ecs_params_add(&params, "Mode", "Automatic");
	ecs_params_add(&params, "SafetyCheck", "Skip");
	ecs_params_add(&params, "ClientToken", client_token(fcinfo, 12));

	config = ecs_function_config(server_arg(fcinfo, 13));
	body = ecs_api_call(config, true, region, "StartExecution", &params, &err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not start the update of image \"%s\"", source);
	PG_RETURN_TEXT_P(cstring_to_text(answer_field(body, "Execution.ExecutionId",
												  "StartExecution")));
}

/*
 * with_progress
 *		A status as a wait reports it: "Creating (40%)", or the status alone
 *		when there is no progress.
 */
static char *
with_progress(const char *status, const char *progress)
{
	return progress ? psprintf("%s (%s)", status, progress) : pstrdup(status);
}

/*
 * The image a wait_image waits for, and the status it waits for.
 */
typedef struct ImageWait
{
	const EcsConfig *config;
	const char *region;
	const char *image_id;
	const char *target;
} ImageWait;

/*
 * poll_image
 *		The EcsWaitProbe poll of wait_image: done when the image has the
 *		awaited status; ERROR when it failed or does not exist.
 */
static bool
poll_image(void *arg, char **state)
{
	static const EcsField fields[] = {
		{"Status", ECS_FIELD_SCALAR}, {"Progress", ECS_FIELD_SCALAR}
	};
	ImageWait  *w = (ImageWait *) arg;
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		page;
	char	   *body;
	char	   *status;

	ecs_params_add(&params, "RegionId", w->region);
	ecs_params_add(&params, "ImageId", w->image_id);
	ecs_params_add(&params, "Status", ECS_ALL_IMAGE_STATUSES);
	body = ecs_api_call(w->config, false, w->region, "DescribeImages", &params,
						&err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not check image \"%s\" in region \"%s\"",
				  w->image_id, w->region);
	if (!ecs_decode_page(body, strlen(body), "Images", "Image", "ImageId",
						 fields, 2, NULL, &page))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not check image \"%s\" in region \"%s\"",
						w->image_id, w->region),
				 errdetail("The answer is not a valid API response.")));
	if (page.nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("image \"%s\" does not exist in region \"%s\"",
						w->image_id, w->region)));
	status = page.values[0] ? page.values[0] : "";
	if (strcmp(status, w->target) == 0)
	{
		*state = status;
		return true;
	}
	if (strcmp(status, "CreateFailed") == 0 ||
		(strcmp(status, "UnAvailable") == 0 && strcmp(w->target, "Available") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("image \"%s\" in region \"%s\" is %s",
						w->image_id, w->region, status),
				 errdetail("It was awaited to become %s.", w->target)));
	*state = with_progress(status, page.values[1]);
	return false;
}

/*
 * report_image
 *		The EcsWaitProbe report of wait_image.
 */
static void
report_image(void *arg, const char *state, bool expired)
{
	ImageWait  *w = (ImageWait *) arg;

	if (expired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("image \"%s\" in region \"%s\" did not become %s in time",
						w->image_id, w->region, w->target),
				 errdetail("It is %s.", state)));
	ereport(NOTICE,
			(errmsg("image \"%s\" in region \"%s\" is %s",
					w->image_id, w->region, state)));
}

/*
 * wait_image
 *		Poll an image until it has status target; NOTICE when its status or
 *		progress changes; ERROR when it fails, disappears or the timeout
 *		passes.  Returns the status.
 */
static char *
wait_image(const EcsConfig *config, const char *region, const char *image_id,
		   const char *target, long timeout_ms)
{
	ImageWait	w = {config, region, image_id, target};
	EcsWaitProbe probe = {poll_image, report_image, &w};

	return ecs_wait(&probe, timeout_ms);
}

/*
 * ecs_wait_image
 *		Wait for an image to reach a status (Available by default).
 */
Datum
ecs_wait_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	char	   *status = required_text(fcinfo, 2, "status");
	long		timeout;
	EcsConfig  *config;

	/* a status no image can have would be awaited until the timeout */
	(void) choice_arg(fcinfo, 2, "status", ecs_image_statuses);
	timeout = timeout_arg(fcinfo, 3);
	config = ecs_function_config(server_arg(fcinfo, 4));

	PG_RETURN_TEXT_P(cstring_to_text(wait_image(config, region, image_id,
												status, timeout)));
}

/*
 * The task or the execution a wait_task or an ecs_wait_execution waits for.
 */
typedef struct IdWait
{
	const EcsConfig *config;
	const char *region;
	const char *id;
	bool		execution;		/* an OOS execution, not a task */
} IdWait;

/*
 * poll_task
 *		The EcsWaitProbe poll of wait_task: done when the task is Finished;
 *		ERROR when it failed or does not exist.
 */
static bool
poll_task(void *arg, char **state)
{
	static const char *const paths[] = {
		"TaskStatus", "TaskProcess",
		"OperationProgressSet.OperationProgress.0.ErrorMsg"
	};
	IdWait	   *w = (IdWait *) arg;
	EcsParams	params = {0};
	EcsApiError err;
	char	   *values[3];
	char	   *body;

	ecs_params_add(&params, "RegionId", w->region);
	ecs_params_add(&params, "TaskId", w->id);
	body = ecs_api_call(w->config, false, w->region, "DescribeTaskAttribute",
						&params, &err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not check task \"%s\" in region \"%s\"",
				  w->id, w->region);
	if (!ecs_decode_object(body, strlen(body), paths, 3, values) ||
		values[0] == NULL || values[0][0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("task \"%s\" does not exist in region \"%s\"",
						w->id, w->region)));
	if (strcmp(values[0], "Finished") == 0)
	{
		*state = values[0];
		return true;
	}
	if (strcmp(values[0], "Processing") != 0 &&
		strcmp(values[0], "Waiting") != 0 &&
		strcmp(values[0], "Pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("task \"%s\" in region \"%s\" is %s",
						w->id, w->region, values[0]),
				 values[2] && values[2][0] ?
				 errdetail_internal("%s", values[2]) : 0));
	*state = with_progress(values[0], values[1]);
	return false;
}

/*
 * report_id
 *		The EcsWaitProbe report of wait_task and ecs_wait_execution.
 */
static void
report_id(void *arg, const char *state, bool expired)
{
	IdWait	   *w = (IdWait *) arg;

	if (expired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 w->execution ?
				 errmsg("execution \"%s\" in region \"%s\" did not finish in time",
						w->id, w->region) :
				 errmsg("task \"%s\" in region \"%s\" did not finish in time",
						w->id, w->region),
				 errdetail("It is %s.", state)));
	if (w->execution)
		ereport(NOTICE,
				(errmsg("execution \"%s\" in region \"%s\" is %s",
						w->id, w->region, state)));
	else
		ereport(NOTICE,
				(errmsg("task \"%s\" in region \"%s\" is %s",
						w->id, w->region, state)));
}

/*
 * wait_task
 *		Poll a task until it is Finished; NOTICE on progress; ERROR when it
 *		fails or the timeout passes.
 */
static char *
wait_task(const EcsConfig *config, const char *region, const char *task_id,
		  long timeout_ms)
{
	IdWait		w = {config, region, task_id, false};
	EcsWaitProbe probe = {poll_task, report_id, &w};

	return ecs_wait(&probe, timeout_ms);
}

/*
 * ecs_wait_task
 *		Wait for a task to finish.
 */
Datum
ecs_wait_task(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *task_id = required_text(fcinfo, 1, "task_id");
	long		timeout = timeout_arg(fcinfo, 2);
	EcsConfig  *config = ecs_function_config(server_arg(fcinfo, 3));

	PG_RETURN_TEXT_P(cstring_to_text(wait_task(config, region, task_id, timeout)));
}

/*
 * poll_execution
 *		The EcsWaitProbe poll of ecs_wait_execution: done when the execution
 *		succeeded, with its outputs as the result; ERROR when it failed, was
 *		cancelled or does not exist.
 */
static bool
poll_execution(void *arg, char **state)
{
	static const EcsField fields[] = {
		{"ExecutionId", ECS_FIELD_SCALAR}, {"Status", ECS_FIELD_SCALAR},
		{"StatusMessage", ECS_FIELD_SCALAR}, {"Outputs", ECS_FIELD_SCALAR}
	};
	IdWait	   *w = (IdWait *) arg;
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		page;
	char	   *body;
	char	   *status;

	ecs_params_add(&params, "RegionId", w->region);
	ecs_params_add(&params, "ExecutionId", w->id);
	body = ecs_api_call(w->config, true, w->region, "ListExecutions", &params,
						&err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not check execution \"%s\" in region \"%s\"",
				  w->id, w->region);
	if (!ecs_decode_page(body, strlen(body), "Executions", "Execution",
						 "ExecutionId", fields, 4, NULL, &page))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not check execution \"%s\" in region \"%s\"",
						w->id, w->region),
				 errdetail("The answer is not a valid API response.")));
	if (page.nrows == 0 || page.values[0] == NULL ||
		strcmp(page.values[0], w->id) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("execution \"%s\" does not exist in region \"%s\"",
						w->id, w->region)));
	status = page.values[1] ? page.values[1] : "";
	if (strcmp(status, "Success") == 0)
	{
		*state = page.values[3];
		if (*state == NULL || (*state)[0] == '\0')
			*state = "{}";
		return true;
	}
	if (strcmp(status, "Failed") == 0 || strcmp(status, "Cancelled") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("execution \"%s\" in region \"%s\" is %s",
						w->id, w->region, status),
				 page.values[2] && page.values[2][0] ?
				 errdetail_internal("%s", page.values[2]) : 0));
	*state = status;
	return false;
}

/*
 * ecs_wait_execution
 *		Wait for an OOS execution to succeed; returns its outputs (the new
 *		image id as "imageId").
 */
Datum
ecs_wait_execution(PG_FUNCTION_ARGS)
{
	IdWait		w;
	EcsWaitProbe probe = {poll_execution, report_id, &w};
	long		timeout;
	char	   *outputs;

	w.region = region_arg(fcinfo, 0, "region_id");
	w.id = required_text(fcinfo, 1, "execution_id");
	timeout = timeout_arg(fcinfo, 2);
	w.config = ecs_function_config(server_arg(fcinfo, 3));
	w.execution = true;
	outputs = ecs_wait(&probe, timeout);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(outputs)));
}

/*
 * check_tag_text
 *		A tag key or value as TagResources takes it: at most 128 characters,
 *		no "acs:" at the start, no http:// or https:// in it; a key also not
 *		empty and not starting with "aliyun".  Checked here, so that nothing
 *		is sent for a bad tag.
 */
static void
check_tag_text(const char *text, bool key)
{
	const char *what = key ? "tag key" : "tag value";

	if (key && text[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a tag key must not be empty")));
	if (pg_mbstrlen(text) > MAX_TAG_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" is longer than %d characters", what, text,
						MAX_TAG_CHARS)));
	if (pg_strncasecmp(text, "acs:", 4) == 0 ||
		(key && pg_strncasecmp(text, "aliyun", 6) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" uses a reserved prefix", what, text),
				 errhint(key ? "Tag keys must not start with \"acs:\" or \"aliyun\"." :
						 "Tag values must not start with \"acs:\".")));
	if (strstr(text, "http://") != NULL || strstr(text, "https://") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must not contain http:// or https://", what,
						text)));
}

/*
 * ecs_tags_list
 *		A jsonb object of tags as alternating key and value strings (a
 *		number or Boolean becomes its text, null the empty string).  With
 *		check, there are at most as many as an image can have, and every key
 *		and value is one TagResources takes.
 */
List *
ecs_tags_list(Jsonb *tags, bool check)
{
	List	   *kv = flat_object(tags, "tags");
	ListCell   *lc;

	if (check && list_length(kv) / 2 > MAX_IMAGE_TAGS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have at most %d tags", MAX_IMAGE_TAGS)));

	for (lc = list_head(kv); lc != NULL; lc = lnext(kv, lnext(kv, lc)))
	{
		ListCell   *value = lnext(kv, lc);

		if (lfirst(value) == NULL)
			lfirst(value) = pstrdup("");
		if (check)
		{
			check_tag_text(lfirst(lc), true);
			check_tag_text(lfirst(value), false);
		}
	}
	return kv;
}

/*
 * tag_call
 *		TagResources (kv: keys and values) or UntagResources (kv: keys) on
 *		one image, TAGS_PER_CALL tags per call.  Setting a tag to the value
 *		it has, or removing one it does not have, changes nothing, so a
 *		retry after a lost answer is harmless.
 */
static void
tag_call(const EcsConfig *config, const char *region, const char *image_id,
		 List *kv, bool add)
{
	int			step = add ? 2 : 1;
	int			n = list_length(kv) / step;
	int			i;

	for (i = 0; i < n; i += TAGS_PER_CALL)
	{
		EcsParams	params = {0};
		EcsApiError err;
		int			j;

		ecs_params_add(&params, "RegionId", region);
		ecs_params_add(&params, "ResourceType", "image");
		ecs_params_add(&params, "ResourceId.1", image_id);
		for (j = i; j < n && j < i + TAGS_PER_CALL; j++)
		{
			if (add)
			{
				ecs_params_add(&params, psprintf("Tag.%d.Key", j - i + 1),
							   list_nth(kv, 2 * j));
				ecs_params_add(&params, psprintf("Tag.%d.Value", j - i + 1),
							   list_nth(kv, 2 * j + 1));
			}
			else
				ecs_params_add(&params, psprintf("TagKey.%d", j - i + 1),
							   list_nth(kv, j));
		}
		if (ecs_api_call(config, false, region,
						 add ? "TagResources" : "UntagResources", &params,
						 &err, NULL) == NULL)
		{
			ecs_cache_invalidate(config->serverid, region);
			ereport(ERROR,
					(errcode(ecs_api_errcode(&err)),
					 add ? errmsg("could not tag image \"%s\"", image_id) :
					 errmsg("could not untag image \"%s\"", image_id),
					 ecs_api_errdetail(&err),
					 i > 0 ?
					 errhint("The first %d of the %d tags were done before the error; calls go in batches of %d.",
							 i, n, TAGS_PER_CALL) :
					 ecs_api_errhint(&err)));
		}
	}
	ecs_cache_invalidate(config->serverid, region);
}

/*
 * ecs_change_tags
 *		Remove the keys remove, then set the tags set (alternating keys and
 *		values), of one image; also used by UPDATE of the tags column.
 */
void
ecs_change_tags(const EcsConfig *config, const char *region,
				const char *image_id, List *set, List *remove)
{
	if (remove != NIL)
		tag_call(config, region, image_id, remove, false);
	if (set != NIL)
		tag_call(config, region, image_id, set, true);
}

/*
 * ecs_tag_image
 *		Add tags to an image, or give existing keys new values.
 */
Datum
ecs_tag_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	List	   *kv;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"tags\" must not be null")));
	kv = ecs_tags_list(PG_GETARG_JSONB_P(2), true);
	if (kv == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags must not be empty")));
	ecs_change_tags(ecs_function_config(server_arg(fcinfo, 3)), region,
					image_id, kv, NIL);
	PG_RETURN_VOID();
}

/*
 * ecs_untag_image
 *		Remove tags from an image by key; a key the image does not have is
 *		ignored.
 */
Datum
ecs_untag_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *image_id = required_text(fcinfo, 1, "image_id");
	ListCell   *lk;
	List	   *keys = NIL;

	foreach(lk, text_array_arg(fcinfo, 2, "keys"))
	{
		char	   *key = lfirst(lk);
		ListCell   *lc;

		if (key[0] == '\0' || pg_mbstrlen(key) > MAX_TAG_CHARS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a tag key must have 1 to %d characters",
							MAX_TAG_CHARS)));
		foreach(lc, keys)
		{
			if (strcmp(lfirst(lc), key) == 0)
				break;
		}
		if (lc == NULL)
			keys = lappend(keys, key);
	}
	if (list_length(keys) > MAX_IMAGE_TAGS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have at most %d tags", MAX_IMAGE_TAGS)));
	ecs_change_tags(ecs_function_config(server_arg(fcinfo, 3)), region,
					image_id, NIL, keys);
	PG_RETURN_VOID();
}

/*
 * ecs_image_from_family
 *		The id of the newest Available image of a family
 *		(DescribeImageFromFamily), or NULL when the family has none.
 */
Datum
ecs_image_from_family(PG_FUNCTION_ARGS)
{
	static const char *const paths[] = {"Image.ImageId"};
	char	   *region = region_arg(fcinfo, 0, "region_id");
	char	   *family = required_text(fcinfo, 1, "image_family");
	EcsConfig  *config = ecs_function_config(server_arg(fcinfo, 2));
	EcsParams	params = {0};
	EcsApiError err;
	char	   *body;
	char	   *image_id;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageFamily", family);
	body = ecs_api_call(config, false, region, "DescribeImageFromFamily",
						&params, &err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not find the newest image of family \"%s\"",
				  family);
	if (!ecs_decode_object(body, strlen(body), paths, 1, &image_id))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("the answer to DescribeImageFromFamily is not a JSON object")));
	if (image_id == NULL || image_id[0] == '\0')
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(image_id));
}

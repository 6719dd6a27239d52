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
 * caller's USAGE on it and uses the caller's user mapping; the operation
 * itself is imageops.c's.  Calls that create something carry a ClientToken
 * (the caller's, or one made per call), so the retry of a call whose answer
 * was lost returns the same resource instead of making a second one.  These
 * calls act at once: a ROLLBACK does not undo them.
 *
 * The arguments of each function are named by an enum of their positions,
 * which follow the function's declaration in sql/ecs_image_fdw--1.0.sql.
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
#include "utils/syscache.h"

#include "imageops.h"

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

static EcsConfig *server_config(FunctionCallInfo fcinfo, int arg);
static char *arg_text(FunctionCallInfo fcinfo, int n);
static char *choice_arg(FunctionCallInfo fcinfo, int n, const char *name,
						const char *const *choices);
static char *required_text(FunctionCallInfo fcinfo, int n, const char *name);
static char *region_arg(FunctionCallInfo fcinfo, int n, const char *name);
static bool bool_arg(FunctionCallInfo fcinfo, int n);
static long timeout_arg(FunctionCallInfo fcinfo, int n);
static List *text_array_arg(FunctionCallInfo fcinfo, int n, const char *name);
static void add_param(EcsParams *params, const char *name, const char *value);
static void add_tags(EcsParams *params, const char *prefix, Jsonb *tags);
static void add_disks(EcsParams *params, Jsonb *disks);
static char *client_token(FunctionCallInfo fcinfo, int n);
static void share(FunctionCallInfo fcinfo, bool add);
static char *update_parameters(FunctionCallInfo fcinfo);

/*
 * server_config
 *		The configuration for a call: the server that argument arg names, or
 *		the wrapper's only server when it is NULL; the caller must have
 *		USAGE on it and a user mapping.
 */
static EcsConfig *
server_config(FunctionCallInfo fcinfo, int arg)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapperByName("ecs_image_fdw", false);
	ForeignServer *server = NULL;
	AclResult	aclresult;

	if (PG_NARGS() > arg && !PG_ARGISNULL(arg))
	{
		const char *name = NameStr(*PG_GETARG_NAME(arg));

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
 * bool_arg
 *		A boolean argument; NULL is false.
 */
static bool
bool_arg(FunctionCallInfo fcinfo, int n)
{
	return !PG_ARGISNULL(n) && PG_GETARG_BOOL(n);
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
 * add_tags
 *		{"key": "value", ...} as prefix.N.Key and prefix.N.Value.
 */
static void
add_tags(EcsParams *params, const char *prefix, Jsonb *tags)
{
	List	   *kv = ecs_imageops_flat_object(tags, "tags");
	ListCell   *lc;
	int			n = 0;

	if (list_length(kv) / 2 > ECS_MAX_IMAGE_TAGS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have at most %d tags", ECS_MAX_IMAGE_TAGS)));
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
		kv = ecs_imageops_flat_object(JsonbValueToJsonb(&v), "each disk of disk_device_mappings");
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


/* ecs_create_image's arguments */
enum
{
	CreateArgRegion,
	CreateArgInstanceId, CreateArgSnapshotId,
	CreateArgDisks, CreateArgImageName,
	CreateArgDescription, CreateArgFamily,
	CreateArgVersion, CreateArgArchitecture,
	CreateArgPlatform, CreateArgBootMode,
	CreateArgResourceGroup, CreateArgTags,
	CreateArgClientToken, CreateArgWait,
	CreateArgServer
};

/*
 * ecs_create_image
 *		CreateImage from an instance, a snapshot or disk mappings; returns
 *		the new image id.
 */
Datum
ecs_create_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, CreateArgRegion, "region_id");
	char	   *instance_id = arg_text(fcinfo, CreateArgInstanceId);
	char	   *snapshot_id = arg_text(fcinfo, CreateArgSnapshotId);
	EcsParams	params = {0};
	EcsConfig  *config;
	char	   *image_id;
	int			sources;

	sources = (instance_id != NULL) + (snapshot_id != NULL) +
		!PG_ARGISNULL(CreateArgDisks);
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
	if (!PG_ARGISNULL(CreateArgDisks))
		add_disks(&params, PG_GETARG_JSONB_P(CreateArgDisks));
	add_param(&params, "ImageName", arg_text(fcinfo, CreateArgImageName));
	add_param(&params, "Description", arg_text(fcinfo, CreateArgDescription));
	add_param(&params, "ImageFamily", arg_text(fcinfo, CreateArgFamily));
	add_param(&params, "ImageVersion", arg_text(fcinfo, CreateArgVersion));
	add_param(&params, "Architecture",
			  choice_arg(fcinfo, CreateArgArchitecture, "architecture",
						 ecs_architectures));
	add_param(&params, "Platform", arg_text(fcinfo, CreateArgPlatform));
	add_param(&params, "BootMode",
			  choice_arg(fcinfo, CreateArgBootMode, "boot_mode", ecs_boot_modes));
	add_param(&params, "ResourceGroupId",
			  arg_text(fcinfo, CreateArgResourceGroup));
	if (!PG_ARGISNULL(CreateArgTags))
		add_tags(&params, "Tag", PG_GETARG_JSONB_P(CreateArgTags));
	ecs_params_add(&params, "ClientToken",
				   client_token(fcinfo, CreateArgClientToken));

	config = server_config(fcinfo, CreateArgServer);
	image_id = ecs_imageops_create(config, region, &params, false,
								   bool_arg(fcinfo, CreateArgWait));
	PG_RETURN_TEXT_P(cstring_to_text(image_id));
}

/* ecs_import_image's arguments */
enum
{
	ImportArgRegion, ImportArgBucket, ImportArgObject,
	ImportArgImageName, ImportArgArchitecture,
	ImportArgOsType, ImportArgPlatform,
	ImportArgFormat, ImportArgDiskSize,
	ImportArgBootMode, ImportArgLicenseType,
	ImportArgDescription, ImportArgRoleName,
	ImportArgClientToken, ImportArgWait,
	ImportArgServer
};

/*
 * ecs_import_image
 *		ImportImage from an OSS object; returns the new image id.
 */
Datum
ecs_import_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, ImportArgRegion, "region_id");
	EcsParams	params = {0};
	EcsConfig  *config;
	char	   *image_id;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "DiskDeviceMapping.1.OSSBucket",
				   required_text(fcinfo, ImportArgBucket, "oss_bucket"));
	ecs_params_add(&params, "DiskDeviceMapping.1.OSSObject",
				   required_text(fcinfo, ImportArgObject, "oss_object"));
	add_param(&params, "ImageName", arg_text(fcinfo, ImportArgImageName));
	add_param(&params, "Architecture",
			  choice_arg(fcinfo, ImportArgArchitecture, "architecture",
						 ecs_architectures));
	add_param(&params, "OSType",
			  choice_arg(fcinfo, ImportArgOsType, "os_type", ecs_os_types));
	add_param(&params, "Platform", arg_text(fcinfo, ImportArgPlatform));
	add_param(&params, "DiskDeviceMapping.1.Format",
			  choice_arg(fcinfo, ImportArgFormat, "format", ecs_import_formats));
	if (!PG_ARGISNULL(ImportArgDiskSize))
	{
		int32		size = PG_GETARG_INT32(ImportArgDiskSize);

		if (size < 1 || size > 2048)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("disk_image_size must be between 1 and 2048 GiB")));
		ecs_params_add(&params, "DiskDeviceMapping.1.DiskImageSize",
					   psprintf("%d", size));
	}
	add_param(&params, "BootMode",
			  choice_arg(fcinfo, ImportArgBootMode, "boot_mode", ecs_boot_modes));
	add_param(&params, "LicenseType",
			  choice_arg(fcinfo, ImportArgLicenseType, "license_type",
						 ecs_license_types));
	add_param(&params, "Description", arg_text(fcinfo, ImportArgDescription));
	add_param(&params, "RoleName", arg_text(fcinfo, ImportArgRoleName));
	ecs_params_add(&params, "ClientToken",
				   client_token(fcinfo, ImportArgClientToken));

	config = server_config(fcinfo, ImportArgServer);
	image_id = ecs_imageops_create(config, region, &params, true,
								   bool_arg(fcinfo, ImportArgWait));
	PG_RETURN_TEXT_P(cstring_to_text(image_id));
}

/* ecs_copy_image's arguments */
enum
{
	CopyArgRegion, CopyArgImageId,
	CopyArgDestination, CopyArgImageName,
	CopyArgDescription, CopyArgEncrypted,
	CopyArgKmsKeyId, CopyArgTags,
	CopyArgClientToken, CopyArgWait,
	CopyArgServer
};

/*
 * ecs_copy_image
 *		CopyImage to another region; returns the new image id there.
 */
Datum
ecs_copy_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, CopyArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, CopyArgImageId, "image_id");
	char	   *destination = region_arg(fcinfo, CopyArgDestination,
										 "destination_region_id");
	bool		encrypted = bool_arg(fcinfo, CopyArgEncrypted);
	EcsParams	params = {0};
	EcsConfig  *config;
	char	   *copy_id;

	if (!PG_ARGISNULL(CopyArgKmsKeyId) && !encrypted)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kms_key_id needs encrypted => true")));

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	ecs_params_add(&params, "DestinationRegionId", destination);
	add_param(&params, "DestinationImageName",
			  arg_text(fcinfo, CopyArgImageName));
	add_param(&params, "DestinationDescription",
			  arg_text(fcinfo, CopyArgDescription));
	if (!PG_ARGISNULL(CopyArgEncrypted))
		ecs_params_add(&params, "Encrypted", encrypted ? "true" : "false");
	add_param(&params, "KMSKeyId", arg_text(fcinfo, CopyArgKmsKeyId));
	if (!PG_ARGISNULL(CopyArgTags))
		add_tags(&params, "Tag", PG_GETARG_JSONB_P(CopyArgTags));
	ecs_params_add(&params, "ClientToken",
				   client_token(fcinfo, CopyArgClientToken));

	config = server_config(fcinfo, CopyArgServer);
	copy_id = ecs_imageops_copy(config, region, image_id, destination,
								&params, bool_arg(fcinfo, CopyArgWait));
	PG_RETURN_TEXT_P(cstring_to_text(copy_id));
}

/* ecs_cancel_copy_image's arguments */
enum
{
	CancelArgRegion, CancelArgImageId, CancelArgServer
};

/*
 * ecs_cancel_copy_image
 *		CancelCopyImage: region_id and image_id are those of the copy.
 */
Datum
ecs_cancel_copy_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, CancelArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, CancelArgImageId, "image_id");

	ecs_imageops_cancel_copy(server_config(fcinfo, CancelArgServer), region,
							 image_id);
	PG_RETURN_VOID();
}

/* the arguments of ecs_share_image and ecs_unshare_image */
enum
{
	ShareArgRegion, ShareArgImageId, ShareArgAccounts, ShareArgServer
};

/*
 * share
 *		Check the arguments of ecs_share_image or ecs_unshare_image, and
 *		share or unshare.
 */
static void
share(FunctionCallInfo fcinfo, bool add)
{
	char	   *region = region_arg(fcinfo, ShareArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, ShareArgImageId, "image_id");
	List	   *accounts = text_array_arg(fcinfo, ShareArgAccounts,
										  "account_ids");
	ListCell   *lc;

	foreach(lc, accounts)
		ecs_imageops_check_account_id(lfirst(lc));
	ecs_imageops_share(server_config(fcinfo, ShareArgServer), region,
					   image_id, accounts, add);
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

/* ecs_export_image's arguments */
enum
{
	ExportArgRegion, ExportArgImageId, ExportArgBucket,
	ExportArgPrefix, ExportArgFormat,
	ExportArgRoleName, ExportArgWait,
	ExportArgServer
};

/*
 * ecs_export_image
 *		ExportImage to OSS; returns the task id.
 */
Datum
ecs_export_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, ExportArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, ExportArgImageId, "image_id");
	EcsParams	params = {0};
	EcsConfig  *config;
	char	   *task_id;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	ecs_params_add(&params, "OSSBucket",
				   required_text(fcinfo, ExportArgBucket, "oss_bucket"));
	add_param(&params, "OSSPrefix", arg_text(fcinfo, ExportArgPrefix));
	add_param(&params, "ImageFormat",
			  choice_arg(fcinfo, ExportArgFormat, "image_format",
						 ecs_export_formats));
	add_param(&params, "RoleName", arg_text(fcinfo, ExportArgRoleName));

	config = server_config(fcinfo, ExportArgServer);
	task_id = ecs_imageops_export(config, region, image_id, &params,
								  bool_arg(fcinfo, ExportArgWait));
	PG_RETURN_TEXT_P(cstring_to_text(task_id));
}

/* ecs_modify_image's arguments */
enum
{
	ModifyArgRegion, ModifyArgImageId,
	ModifyArgImageName, ModifyArgDescription,
	ModifyArgFamily, ModifyArgBootMode,
	ModifyArgStatus, ModifyArgServer
};

/*
 * ecs_modify_image
 *		ModifyImageAttribute: the name, description, family, boot mode or
 *		status of an image.
 */
Datum
ecs_modify_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, ModifyArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, ModifyArgImageId, "image_id");
	char	   *values[ECS_CHANGE_TAGS];

	values[ECS_CHANGE_NAME] = arg_text(fcinfo, ModifyArgImageName);
	values[ECS_CHANGE_DESCRIPTION] = arg_text(fcinfo, ModifyArgDescription);
	values[ECS_CHANGE_FAMILY] = arg_text(fcinfo, ModifyArgFamily);
	values[ECS_CHANGE_BOOT_MODE] = choice_arg(fcinfo, ModifyArgBootMode,
											  "boot_mode", ecs_boot_modes);
	values[ECS_CHANGE_STATUS] = choice_arg(fcinfo, ModifyArgStatus, "status",
										   ecs_modify_statuses);
	ecs_imageops_check_changes(image_id, values);
	ecs_imageops_modify(server_config(fcinfo, ModifyArgServer), region,
						image_id, values);
	PG_RETURN_VOID();
}

/* ecs_delete_image's arguments */
enum
{
	DeleteArgRegion, DeleteArgImageId, DeleteArgForce, DeleteArgServer
};

/*
 * ecs_delete_image
 *		DeleteImage.
 */
Datum
ecs_delete_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, DeleteArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, DeleteArgImageId, "image_id");
	bool		force = bool_arg(fcinfo, DeleteArgForce);

	ecs_imageops_delete(server_config(fcinfo, DeleteArgServer), region,
						image_id, force);
	PG_RETURN_VOID();
}

/* ecs_update_image's arguments */
enum
{
	UpdateArgRegion, UpdateArgSourceImageId,
	UpdateArgInstanceType, UpdateArgCommand,
	UpdateArgTargetName, UpdateArgSecurityGroup,
	UpdateArgVSwitch, UpdateArgZone,
	UpdateArgDiskCategory,
	UpdateArgBandwidth,
	UpdateArgCommandTimeout, UpdateArgTags,
	UpdateArgClientToken, UpdateArgServer
};

/*
 * update_parameters
 *		The Parameters of ACS-ECS-UpdateImage, as JSON: the arguments of
 *		ecs_update_image that are not NULL, and its tags as a list.
 */
static char *
update_parameters(FunctionCallInfo fcinfo)
{
	static const struct
	{
		int			arg;
		const char *name;		/* the template's parameter */
		const char *argname;	/* the SQL function's argument */
		bool		number;
	}			template_args[] = {
		{UpdateArgSourceImageId, "sourceImageId", "source_image_id", false},
		{UpdateArgInstanceType, "instanceType", "instance_type", false},
		{UpdateArgCommand, "commandContent", "command_content", false},
		{UpdateArgTargetName, "targetImageName", "target_image_name", false},
		{UpdateArgSecurityGroup, "securityGroupId", "security_group_id", false},
		{UpdateArgVSwitch, "vSwitchId", "vswitch_id", false},
		{UpdateArgZone, "zoneId", "zone_id", false},
		{UpdateArgDiskCategory, "systemDiskCategory", "system_disk_category", false},
		{UpdateArgBandwidth, "internetMaxBandwidthOut", "internet_max_bandwidth_out", true},
		{UpdateArgCommandTimeout, "timeout", "command_timeout", true},
		{0, NULL, NULL, false}
	};
	StringInfoData json;
	int			i;

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
	if (!PG_ARGISNULL(UpdateArgTags))
	{
		List	   *kv = ecs_imageops_flat_object(PG_GETARG_JSONB_P(UpdateArgTags),
												  "tags");
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
	return json.data;
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
	char	   *region = region_arg(fcinfo, UpdateArgRegion, "region_id");
	char	   *source = required_text(fcinfo, UpdateArgSourceImageId,
									   "source_image_id");
	EcsParams	params = {0};
	EcsConfig  *config;

	(void) required_text(fcinfo, UpdateArgInstanceType, "instance_type");
	(void) required_text(fcinfo, UpdateArgCommand, "command_content");

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "TemplateName", "ACS-ECS-UpdateImage");
	ecs_params_add(&params, "Parameters", update_parameters(fcinfo));
	ecs_params_add(&params, "Mode", "Automatic");
	ecs_params_add(&params, "SafetyCheck", "Skip");
	ecs_params_add(&params, "ClientToken",
				   client_token(fcinfo, UpdateArgClientToken));

	config = server_config(fcinfo, UpdateArgServer);
	PG_RETURN_TEXT_P(cstring_to_text(ecs_imageops_start_update(config, region,
															   source,
															   &params)));
}

/* ecs_wait_image's arguments */
enum
{
	WaitImageArgRegion, WaitImageArgImageId,
	WaitImageArgStatus, WaitImageArgTimeout,
	WaitImageArgServer
};

/*
 * ecs_wait_image
 *		Wait for an image to reach a status (Available by default).
 */
Datum
ecs_wait_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, WaitImageArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, WaitImageArgImageId,
										 "image_id");
	char	   *status = required_text(fcinfo, WaitImageArgStatus, "status");
	long		timeout;
	EcsConfig  *config;

	/* a status no image can have would be awaited until the timeout */
	(void) choice_arg(fcinfo, WaitImageArgStatus, "status",
					  ecs_image_statuses);
	timeout = timeout_arg(fcinfo, WaitImageArgTimeout);
	config = server_config(fcinfo, WaitImageArgServer);

	PG_RETURN_TEXT_P(cstring_to_text(ecs_imageops_wait_image(config, region,
															 image_id, status,
															 timeout)));
}

/* ecs_wait_task's arguments */
enum
{
	WaitTaskArgRegion, WaitTaskArgTaskId, WaitTaskArgTimeout, WaitTaskArgServer
};

/*
 * ecs_wait_task
 *		Wait for a task to finish.
 */
Datum
ecs_wait_task(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, WaitTaskArgRegion, "region_id");
	char	   *task_id = required_text(fcinfo, WaitTaskArgTaskId, "task_id");
	long		timeout = timeout_arg(fcinfo, WaitTaskArgTimeout);
	EcsConfig  *config = server_config(fcinfo, WaitTaskArgServer);

	PG_RETURN_TEXT_P(cstring_to_text(ecs_imageops_wait_task(config, region,
															task_id,
															timeout)));
}

/* ecs_wait_execution's arguments */
enum
{
	WaitExecArgRegion, WaitExecArgExecutionId,
	WaitExecArgTimeout, WaitExecArgServer
};

/*
 * ecs_wait_execution
 *		Wait for an OOS execution to succeed; returns its outputs (the new
 *		image id as "imageId").
 */
Datum
ecs_wait_execution(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, WaitExecArgRegion, "region_id");
	char	   *id = required_text(fcinfo, WaitExecArgExecutionId,
								   "execution_id");
	long		timeout = timeout_arg(fcinfo, WaitExecArgTimeout);
	EcsConfig  *config = server_config(fcinfo, WaitExecArgServer);
	char	   *outputs = ecs_imageops_wait_execution(config, region, id,
													  timeout);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(outputs)));
}

/* ecs_tag_image's arguments */
enum
{
	TagArgRegion, TagArgImageId, TagArgTags, TagArgServer
};

/*
 * ecs_tag_image
 *		Add tags to an image, or give existing keys new values.
 */
Datum
ecs_tag_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, TagArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, TagArgImageId, "image_id");
	List	   *kv;

	if (PG_ARGISNULL(TagArgTags))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"tags\" must not be null")));
	kv = ecs_imageops_tags_list(PG_GETARG_JSONB_P(TagArgTags), true);
	if (kv == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tags must not be empty")));
	ecs_imageops_change_tags(server_config(fcinfo, TagArgServer), region,
							 image_id, kv, NIL);
	PG_RETURN_VOID();
}

/* ecs_untag_image's arguments */
enum
{
	UntagArgRegion, UntagArgImageId, UntagArgKeys, UntagArgServer
};

/*
 * ecs_untag_image
 *		Remove tags from an image by key; a key the image does not have is
 *		ignored.
 */
Datum
ecs_untag_image(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, UntagArgRegion, "region_id");
	char	   *image_id = required_text(fcinfo, UntagArgImageId, "image_id");
	ListCell   *lk;
	List	   *keys = NIL;

	foreach(lk, text_array_arg(fcinfo, UntagArgKeys, "keys"))
	{
		char	   *key = lfirst(lk);
		ListCell   *lc;

		if (key[0] == '\0' || pg_mbstrlen(key) > ECS_MAX_TAG_CHARS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a tag key must have 1 to %d characters",
							ECS_MAX_TAG_CHARS)));
		foreach(lc, keys)
		{
			if (strcmp(lfirst(lc), key) == 0)
				break;
		}
		if (lc == NULL)
			keys = lappend(keys, key);
	}
	if (list_length(keys) > ECS_MAX_IMAGE_TAGS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have at most %d tags", ECS_MAX_IMAGE_TAGS)));
	ecs_imageops_change_tags(server_config(fcinfo, UntagArgServer), region,
							 image_id, NIL, keys);
	PG_RETURN_VOID();
}

/* ecs_image_from_family's arguments */
enum
{
	FamilyArgRegion, FamilyArgFamily, FamilyArgServer
};

/*
 * ecs_image_from_family
 *		The id of the newest Available image of a family
 *		(DescribeImageFromFamily), or NULL when the family has none.
 */
Datum
ecs_image_from_family(PG_FUNCTION_ARGS)
{
	char	   *region = region_arg(fcinfo, FamilyArgRegion, "region_id");
	char	   *family = required_text(fcinfo, FamilyArgFamily, "image_family");
	EcsConfig  *config = server_config(fcinfo, FamilyArgServer);
	char	   *image_id = ecs_imageops_from_family(config, region, family);

	if (image_id == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(image_id));
}

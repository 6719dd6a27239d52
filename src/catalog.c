/*-------------------------------------------------------------------------
 *
 * catalog.c
 *		  The API catalog: resources, actions, filters, known values,
 *		  changeable columns, and the columns IMPORT creates.
 *
 * Adding a column is one line in its resource's column list; adding a
 * pushed filter is one line in its resource's filter list.  See catalog.h.
 *
 * This file is compiled into the backend module and also, with -DFRONTEND,
 * into the unit test in test/unit: it uses only what libpgcommon and
 * libpgport offer frontend code as well, and never calls ereport or elog.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "lib/stringinfo.h"

#include "catalog.h"

/* The values the API knows, NULL-terminated */
const char *const ecs_owner_aliases[] = {
	"self", "others", "system", "marketplace", NULL
};
const char *const ecs_image_statuses[] = {
	"Creating", "Waiting", "Available", "UnAvailable", "CreateFailed",
	"Deprecated", NULL
};
const char *const ecs_os_types[] = {"linux", "windows", NULL};
const char *const ecs_architectures[] = {"i386", "x86_64", "arm64", NULL};
/* The values the API documents for the functions' closed-set arguments */
const char *const ecs_boot_modes[] = {"BIOS", "UEFI", "UEFI-Preferred", NULL};
const char *const ecs_import_formats[] = {"RAW", "VHD", "QCOW2", "VMDK", NULL};
const char *const ecs_export_formats[] = {
	"raw", "vhd", "qcow2", "vmdk", "vdi", NULL
};
const char *const ecs_license_types[] = {"Auto", "Aliyun", "BYOL", NULL};
const char *const ecs_modify_statuses[] = {"Available", "Deprecated", NULL};
/* The AcceptLanguage values of DescribeRegions (the language option) */
const char *const ecs_languages[] = {"en-US", "zh-CN", "ja", NULL};
static const char *const image_usages[] = {"instance", "none", NULL};
static const char *const instance_statuses[] = {
	"Pending", "Running", "Starting", "Stopping", "Stopped", NULL
};
static const char *const snapshot_statuses[] = {
	"progressing", "accomplished", "failed", NULL
};
static const char *const snapshot_usages[] = {
	"image", "disk", "image_disk", "none", NULL
};

/* The columns of images that UPDATE may change, as EcsImageChange */
const char *const ecs_image_changeable[ECS_CHANGE_COUNT + 1] = {
	"image_name", "description", "image_family", "boot_mode", "status",
	"tags", NULL
};

/* Fields that come from the request rather than the answer */
static const char *const region_field[] = {"RegionId", NULL};
static const char *const region_image_fields[] = {"RegionId", "ImageId", NULL};
static const char *const no_fields[] = {NULL};

static const EcsColumnDef images_columns[] = {
	{"region_id", "text", NULL}, {"image_id", "text", NULL},
	{"image_name", "text", NULL}, {"image_family", "text", NULL},
	{"image_version", "text", NULL}, {"description", "text", NULL},
	{"status", "text", NULL}, {"progress", "int", NULL},
	{"size", "int", NULL}, {"architecture", "text", NULL},
	{"os_type", "text", "OSType"}, {"os_name", "text", "OSName"},
	{"os_name_en", "text", "OSNameEn"}, {"platform", "text", NULL},
	{"boot_mode", "text", NULL}, {"image_owner_alias", "text", NULL},
	{"image_owner_id", "text", NULL}, {"usage", "text", NULL},
	{"is_copied", "boolean", NULL}, {"is_self_shared", "boolean", NULL},
	{"is_subscribed", "boolean", NULL},
	{"is_support_cloudinit", "boolean", NULL},
	{"is_support_io_optimized", "boolean", NULL},
	{"is_public", "boolean", NULL}, {"creation_time", "timestamptz", NULL},
	{"product_code", "text", NULL}, {"resource_group_id", "text", NULL},
	{"license_type", "text", NULL}, {"tags", "jsonb", NULL},
	{"disk_device_mappings", "jsonb", NULL}, {"features", "jsonb", NULL},
	{"raw", "jsonb", "*"}, {"account_id", "text", ECS_ACCOUNT_FIELD},
	{NULL, NULL, NULL},
};

static const EcsColumnDef share_permissions_columns[] = {
	{"region_id", "text", NULL}, {"image_id", "text", NULL},
	{"account_id", "text", "AliyunId"}, {"shared_time", "timestamptz", NULL},
	{"owner_account_id", "text", ECS_ACCOUNT_FIELD}, {NULL, NULL, NULL},
};

static const EcsColumnDef regions_columns[] = {
	{"region_id", "text", NULL}, {"local_name", "text", NULL},
	{"region_endpoint", "text", NULL}, {"status", "text", NULL},
	{"account_id", "text", ECS_ACCOUNT_FIELD}, {NULL, NULL, NULL},
};

static const EcsColumnDef tasks_columns[] = {
	{"region_id", "text", NULL}, {"task_id", "text", NULL},
	{"task_action", "text", NULL}, {"task_status", "text", NULL},
	{"task_progress", "int", "TaskProcess"},
	{"support_cancel", "boolean", NULL},
	{"creation_time", "timestamptz", NULL},
	{"finished_time", "timestamptz", NULL}, {"resource_id", "text", NULL},
	{"account_id", "text", ECS_ACCOUNT_FIELD}, {NULL, NULL, NULL},
};

static const EcsColumnDef instances_columns[] = {
	{"region_id", "text", NULL}, {"instance_id", "text", NULL},
	{"instance_name", "text", NULL}, {"image_id", "text", NULL},
	{"status", "text", NULL}, {"instance_type", "text", NULL},
	{"creation_time", "timestamptz", NULL}, {"zone_id", "text", NULL},
	{"tags", "jsonb", NULL}, {"raw", "jsonb", "*"},
	{"account_id", "text", ECS_ACCOUNT_FIELD}, {NULL, NULL, NULL},
};

static const EcsColumnDef snapshots_columns[] = {
	{"region_id", "text", NULL}, {"snapshot_id", "text", NULL},
	{"snapshot_name", "text", NULL}, {"source_disk_id", "text", NULL},
	{"source_disk_size", "int", NULL}, {"usage", "text", NULL},
	{"status", "text", NULL}, {"creation_time", "timestamptz", NULL},
	{"retention_days", "int", NULL}, {"tags", "jsonb", NULL},
	{"raw", "jsonb", "*"}, {"account_id", "text", ECS_ACCOUNT_FIELD},
	{NULL, NULL, NULL},
};

/*
 * The filters of each resource.  Ids that can be listed many at a time
 * take at most 100 per request.
 */
static const EcsFilterDef images_filters[] = {
	{"RegionId", ECS_FILTER_REGION, "RegionId", NULL, 0, false},
	{"ImageId", ECS_FILTER_EACH, "ImageId", NULL, 0, true},
	{"Status", ECS_FILTER_LIST, "Status", ecs_image_statuses, 0, false},
	{"ImageOwnerAlias", ECS_FILTER_OWNER, "ImageOwnerAlias", ecs_owner_aliases, 0, false},
	{"OSType", ECS_FILTER_EACH, "OSType", ecs_os_types, 0, false},
	{"Architecture", ECS_FILTER_EACH, "Architecture", ecs_architectures, 0, false},
	{"Usage", ECS_FILTER_EACH, "Usage", image_usages, 0, false},
	{"ImageFamily", ECS_FILTER_EACH, "ImageFamily", NULL, 0, false},
	{"ImageName", ECS_FILTER_EACH, "ImageName", NULL, 0, false},
	{"ResourceGroupId", ECS_FILTER_EACH, "ResourceGroupId", NULL, 0, false},
	{"Tags", ECS_FILTER_TAGS, "Tag", NULL, 0, false},
	{NULL}
};

static const EcsFilterDef share_permissions_filters[] = {
	{"RegionId", ECS_FILTER_REGION, "RegionId", NULL, 0, false},
	{"ImageId", ECS_FILTER_EACH, "ImageId", NULL, 0, true},
	{NULL}
};

static const EcsFilterDef regions_filters[] = {
	{NULL}
};

static const EcsFilterDef tasks_filters[] = {
	{"RegionId", ECS_FILTER_REGION, "RegionId", NULL, 0, false},
	{"TaskId", ECS_FILTER_LIST, "TaskIds", NULL, 100, true},
	{"TaskAction", ECS_FILTER_EACH, "TaskAction", NULL, 0, false},
	{"TaskStatus", ECS_FILTER_EACH, "TaskStatus", NULL, 0, false},
	{NULL}
};

static const EcsFilterDef instances_filters[] = {
	{"RegionId", ECS_FILTER_REGION, "RegionId", NULL, 0, false},
	{"InstanceId", ECS_FILTER_JSON_LIST, "InstanceIds", NULL, 100, false},
	{"ImageId", ECS_FILTER_EACH, "ImageId", NULL, 0, true},
	{"Status", ECS_FILTER_EACH, "Status", instance_statuses, 0, false},
	{"Tags", ECS_FILTER_TAGS, "Tag", NULL, 0, false},
	{NULL}
};

static const EcsFilterDef snapshots_filters[] = {
	{"RegionId", ECS_FILTER_REGION, "RegionId", NULL, 0, false},
	{"SnapshotId", ECS_FILTER_JSON_LIST, "SnapshotIds", NULL, 100, false},
	{"Usage", ECS_FILTER_EACH, "Usage", snapshot_usages, 0, false},
	{"Status", ECS_FILTER_EACH, "Status", snapshot_statuses, 0, false},
	{"Tags", ECS_FILTER_TAGS, "Tag", NULL, 0, false},
	{NULL}
};

/* The account column of any resource: prunes the whole scan */
const EcsFilterDef ecs_account_filter = {
	ECS_ACCOUNT_FIELD, ECS_FILTER_ACCOUNT, "AccountId", NULL, 0, false
};

const EcsResourceDef ecs_resources[ECS_RESOURCE_COUNT] = {
	[ECS_RESOURCE_IMAGES] = {
		"images", "DescribeImages", "Images", "Image", "ImageId",
		true, true, false, true, region_field, 1000,
		images_columns, images_filters
	},
	[ECS_RESOURCE_SHARE_PERMISSIONS] = {
		"image_share_permissions", "DescribeImageSharePermission",
		"Accounts", "Account", "AliyunId",
		true, true, false, true, region_image_fields, 200,
		share_permissions_columns, share_permissions_filters
	},
	[ECS_RESOURCE_REGIONS] = {
		"regions", "DescribeRegions", "Regions", "Region", "RegionId",
		false, false, false, false, no_fields, 30,
		regions_columns, regions_filters,
		"AcceptLanguage"		/* it answers in Chinese unless asked */
	},
	[ECS_RESOURCE_TASKS] = {
		"tasks", "DescribeTasks", "TaskSet", "Task", "TaskId",
		true, true, false, false, region_field, 200,
		tasks_columns, tasks_filters
	},
	[ECS_RESOURCE_INSTANCES] = {
		"instances", "DescribeInstances", "Instances", "Instance",
		"InstanceId", true, false, true, false, region_field, 5000,
		instances_columns, instances_filters
	},
	[ECS_RESOURCE_SNAPSHOTS] = {
		"snapshots", "DescribeSnapshots", "Snapshots", "Snapshot",
		"SnapshotId", true, false, true, false, region_field, 5000,
		snapshots_columns, snapshots_filters
	},
};

/*
 * ecs_catalog_word
 *		The index of word in the NULL-terminated list words, or -1.
 */
int
ecs_catalog_word(const char *const *words, const char *word)
{
	int			i;

	for (i = 0; words[i] != NULL; i++)
	{
		if (strcmp(words[i], word) == 0)
			return i;
	}
	return -1;
}

/*
 * ecs_catalog_resource
 *		The resource of that name (the resource option), or -1.
 */
int
ecs_catalog_resource(const char *name)
{
	int			i;

	for (i = 0; i < ECS_RESOURCE_COUNT; i++)
	{
		if (strcmp(ecs_resources[i].name, name) == 0)
			return i;
	}
	return -1;
}

/*
 * ecs_catalog_filter
 *		The filter a condition on a column that reads field becomes, or
 *		NULL.
 */
const EcsFilterDef *
ecs_catalog_filter(EcsResource resource, const char *field)
{
	const EcsFilterDef *f;

	if (strcmp(field, ECS_ACCOUNT_FIELD) == 0)
		return &ecs_account_filter;
	for (f = ecs_resources[resource].filters; f->field != NULL; f++)
	{
		if (strcmp(f->field, field) == 0)
			return f;
	}
	return NULL;
}

/*
 * ecs_catalog_filter_param
 *		The filter of resource that sends parameter param, or NULL.
 */
const EcsFilterDef *
ecs_catalog_filter_param(EcsResource resource, const char *param)
{
	const EcsFilterDef *f;

	if (strcmp(param, ecs_account_filter.param) == 0)
		return &ecs_account_filter;
	for (f = ecs_resources[resource].filters; f->field != NULL; f++)
	{
		if (strcmp(f->param, param) == 0)
			return f;
	}
	return NULL;
}

/*
 * ecs_catalog_known_values
 *		The values the API knows for filter parameter param of resource
 *		(NULL-terminated), or NULL if it takes any.
 */
const char *const *
ecs_catalog_known_values(EcsResource resource, const char *param)
{
	const EcsFilterDef *f = ecs_catalog_filter_param(resource, param);

	return f ? f->known : NULL;
}

/*
 * column_field
 *		The field the catalog gives column name in resource's columns, or
 *		NULL.
 */
static const char *
column_field(EcsResource resource, const char *name)
{
	const EcsColumnDef *c;

	for (c = ecs_resources[resource].columns; c->name != NULL; c++)
	{
		if (strcmp(c->name, name) == 0)
			return c->field;
	}
	return NULL;
}

/*
 * ecs_catalog_default_field
 *		The API field of a column without a "field" option (palloc'd): the
 *		field its resource's column of that name reads, else that of any
 *		resource's column of that name, else the name in CamelCase.
 */
char *
ecs_catalog_default_field(EcsResource resource, const char *column)
{
	const char *field = column_field(resource, column);
	StringInfoData buf;
	bool		upper = true;
	const char *p;
	int			i;

	for (i = 0; field == NULL && i < ECS_RESOURCE_COUNT; i++)
		field = column_field((EcsResource) i, column);
	if (field != NULL)
		return pstrdup(field);

	initStringInfo(&buf);
	for (p = column; *p; p++)
	{
		if (*p == '_')
		{
			upper = true;
			continue;
		}
		appendStringInfoChar(&buf, upper ? pg_toupper((unsigned char) *p) : *p);
		upper = false;
	}
	return buf.data;
}

/*
 * ecs_catalog_change
 *		The EcsImageChange of the column of images that reads field, or -1
 *		if UPDATE cannot change it.
 */
int
ecs_catalog_change(const char *field)
{
	int			i;

	for (i = 0; i < ECS_CHANGE_COUNT; i++)
	{
		char	   *f = ecs_catalog_default_field(ECS_RESOURCE_IMAGES,
												  ecs_image_changeable[i]);
		bool		same = strcmp(f, field) == 0;

		pfree(f);
		if (same)
			return i;
	}
	return -1;
}

/*
 * ecs_catalog_all_image_statuses
 *		Every image status, comma-separated.
 */
const char *
ecs_catalog_all_image_statuses(void)
{
	static char joined[128];
	int			i;

	if (joined[0] == '\0')
	{
		for (i = 0; ecs_image_statuses[i] != NULL; i++)
		{
			if (i > 0)
				strlcat(joined, ",", sizeof(joined));
			strlcat(joined, ecs_image_statuses[i], sizeof(joined));
		}
	}
	return joined;
}

/*
 * ecs_catalog_describe_words
 *		The first n words (all, if n < 0) for a message, palloc'd: "a, b
 *		and c" with last "and", each in double quotes if quoted.
 */
char *
ecs_catalog_describe_words(const char *const *words, int n, bool quoted,
						   const char *last)
{
	StringInfoData buf;
	const char *q = quoted ? "\"" : "";
	int			i;

	if (n < 0)
	{
		n = 0;
		while (words[n] != NULL)
			n++;
	}
	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0 && i == n - 1)
			appendStringInfo(&buf, " %s ", last);
		else if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "%s%s%s", q, words[i], q);
	}
	return buf.data;
}

/*-------------------------------------------------------------------------
 *
 * test_catalog.c
 *		  Unit test for src/catalog.c, run as a standalone frontend program.
 *
 * Checks that the API catalog holds together (every filter and every key
 * is read by a column of its resource, no field or parameter is listed
 * twice, the changeable columns are columns of images) and that its
 * lookups give what the rest of the wrapper relied on before the catalog
 * existed: the default fields, the joined image statuses, the hints' word
 * lists.  Output is TAP; the exit status is 1 if any test failed.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "tap.h"

static bool column_reads(EcsResource resource, const char *field);
static void test_filters(void);
static void test_keys(void);
static void test_columns(void);
static void test_default_fields(void);
static void test_lookups(void);
static void test_changeable(void);
static void test_words(void);

/*
 * column_reads
 *		Whether a column IMPORT gives resource reads field by default.
 */
static bool
column_reads(EcsResource resource, const char *field)
{
	const EcsColumnDef *c;

	for (c = ecs_resources[resource].columns; c->name != NULL; c++)
	{
		if (strcmp(ecs_catalog_default_field(resource, c->name), field) == 0)
			return true;
	}
	return false;
}

/*
 * test_filters
 *		Every filter can be reached from a column of its resource, and no
 *		field or parameter is listed twice; known lists are not empty.
 */
static void
test_filters(void)
{
	int			r;

	for (r = 0; r < ECS_RESOURCE_COUNT; r++)
	{
		const EcsFilterDef *f;
		const EcsFilterDef *g;
		bool		reachable = true;
		bool		distinct = true;
		bool		known_ok = true;
		char		desc[200];

		for (f = ecs_resources[r].filters; f->field != NULL; f++)
		{
			if (!column_reads((EcsResource) r, f->field))
			{
				reachable = false;
				printf("# %s: no column reads %s\n", ecs_resources[r].name,
					   f->field);
			}
			for (g = ecs_resources[r].filters; g != f; g++)
				distinct &= strcmp(f->field, g->field) != 0 &&
					strcmp(f->param, g->param) != 0;
			if (f->known != NULL && f->known[0] == NULL)
				known_ok = false;
			if (f->kind == ECS_FILTER_ACCOUNT)
				known_ok = false;	/* the account filter is not per resource */
		}
		snprintf(desc, sizeof(desc),
				 "%s: every filter's field is read by one of its columns",
				 ecs_resources[r].name);
		check(reachable, desc);
		snprintf(desc, sizeof(desc),
				 "%s: no filter field or parameter is listed twice",
				 ecs_resources[r].name);
		check(distinct, desc);
		snprintf(desc, sizeof(desc),
				 "%s: known value lists are not empty", ecs_resources[r].name);
		check(known_ok, desc);
	}
	check(ecs_resources[ECS_RESOURCE_REGIONS].filters[0].field == NULL,
		  "regions (one listing per account) have no filters");
	check(ecs_catalog_filter(ECS_RESOURCE_TASKS, ECS_ACCOUNT_FIELD) ==
		  &ecs_account_filter &&
		  ecs_account_filter.kind == ECS_FILTER_ACCOUNT,
		  "the account column is a filter of every resource");
}

/*
 * test_keys
 *		The member that identifies an item, and those that come from the
 *		request, are read by a column of the resource.
 */
static void
test_keys(void)
{
	int			r;

	for (r = 0; r < ECS_RESOURCE_COUNT; r++)
	{
		bool		ok = column_reads((EcsResource) r, ecs_resources[r].key_name);
		const char *const *f;
		char		desc[200];

		for (f = ecs_resources[r].request_fields; *f != NULL; f++)
			ok &= column_reads((EcsResource) r, *f);
		snprintf(desc, sizeof(desc),
				 "%s: its key and request fields are read by its columns",
				 ecs_resources[r].name);
		check(ok, desc);
		snprintf(desc, sizeof(desc), "%s: one paging at most",
				 ecs_resources[r].name);
		check(!(ecs_resources[r].paged && ecs_resources[r].token_paged), desc);
	}
}

/*
 * test_columns
 *		Column names are unique per resource; every table has account_id.
 */
static void
test_columns(void)
{
	int			r;

	for (r = 0; r < ECS_RESOURCE_COUNT; r++)
	{
		const EcsColumnDef *c;
		const EcsColumnDef *d;
		bool		distinct = true;
		bool		account = false;
		char		desc[200];

		for (c = ecs_resources[r].columns; c->name != NULL; c++)
		{
			for (d = ecs_resources[r].columns; d != c; d++)
				distinct &= strcmp(c->name, d->name) != 0;
			account |= strcmp(c->name, "account_id") == 0;
		}
		snprintf(desc, sizeof(desc),
				 "%s: column names are unique and account_id is one",
				 ecs_resources[r].name);
		check(distinct && account, desc);
	}
}

/*
 * test_default_fields
 *		The fields of columns without a field option, as default_field in
 *		scan.c gave them before the catalog.
 */
static void
test_default_fields(void)
{
	check_str("image_family reads ImageFamily", "ImageFamily",
			  ecs_catalog_default_field(ECS_RESOURCE_IMAGES, "image_family"));
	check_str("os_name_en reads OSNameEn", "OSNameEn",
			  ecs_catalog_default_field(ECS_RESOURCE_IMAGES, "os_name_en"));
	check_str("os_type reads OSType in a table of another resource too",
			  "OSType",
			  ecs_catalog_default_field(ECS_RESOURCE_REGIONS, "os_type"));
	check_str("task_progress reads TaskProcess", "TaskProcess",
			  ecs_catalog_default_field(ECS_RESOURCE_TASKS, "task_progress"));
	check_str("raw reads the whole object", "*",
			  ecs_catalog_default_field(ECS_RESOURCE_TASKS, "raw"));
	check_str("account_id of share permissions is the grantee", "AliyunId",
			  ecs_catalog_default_field(ECS_RESOURCE_SHARE_PERMISSIONS,
										"account_id"));
	check_str("owner_account_id is the server's account", ECS_ACCOUNT_FIELD,
			  ecs_catalog_default_field(ECS_RESOURCE_SHARE_PERMISSIONS,
										"owner_account_id"));
	check_str("account_id elsewhere is the server's account",
			  ECS_ACCOUNT_FIELD,
			  ecs_catalog_default_field(ECS_RESOURCE_SNAPSHOTS, "account_id"));
	check_str("any other name in CamelCase", "SomeNewField",
			  ecs_catalog_default_field(ECS_RESOURCE_IMAGES, "some_new_field"));
}

/*
 * test_lookups
 *		Resources by name, filters by field and parameter, known values.
 */
static void
test_lookups(void)
{
	int			r;
	bool		ok = true;

	for (r = 0; r < ECS_RESOURCE_COUNT; r++)
		ok &= ecs_catalog_resource(ecs_resources[r].name) == r;
	check(ok, "each resource is found by its name");
	check(ecs_catalog_resource("volumes") == -1, "an unknown resource is -1");
	check(ecs_catalog_filter(ECS_RESOURCE_TASKS, "TaskId") != NULL &&
		  strcmp(ecs_catalog_filter(ECS_RESOURCE_TASKS, "TaskId")->param,
				 "TaskIds") == 0,
		  "task_id becomes TaskIds");
	check(ecs_catalog_filter(ECS_RESOURCE_TASKS, "ImageId") == NULL,
		  "a field that is not a filter of the resource is NULL");
	check(ecs_catalog_known_values(ECS_RESOURCE_IMAGES, "Status") ==
		  ecs_image_statuses, "image statuses are a closed filter");
	check(ecs_catalog_known_values(ECS_RESOURCE_TASKS, "TaskStatus") == NULL,
		  "task statuses are open (DescribeTasks ignores unknown ones)");
	check(ecs_catalog_filter_param(ECS_RESOURCE_INSTANCES, "InstanceIds")->max_values == 100 &&
		  ecs_catalog_filter_param(ECS_RESOURCE_TASKS, "TaskIds")->max_values == 100 &&
		  ecs_catalog_filter_param(ECS_RESOURCE_IMAGES, "ImageId")->max_values == 0,
		  "id lists take at most 100 ids, each-value filters any number");
	check(ecs_catalog_filter_param(ECS_RESOURCE_IMAGES, "ImageId")->empty_is_none &&
		  !ecs_catalog_filter_param(ECS_RESOURCE_SNAPSHOTS, "SnapshotIds")->empty_is_none,
		  "an empty image id matches nothing; an empty snapshot id stays local");
	check_str("every image status, joined",
			  "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated",
			  ECS_ALL_IMAGE_STATUSES);
	check(ecs_catalog_word(ecs_owner_aliases, "marketplace") == 3 &&
		  ecs_catalog_word(ecs_owner_aliases, "all") == -1,
		  "owner aliases are looked up; all is not one of them");
}

/*
 * test_changeable
 *		The changeable columns are columns of images, and their fields map
 *		back to their positions.
 */
static void
test_changeable(void)
{
	int			i;
	bool		ok = true;

	for (i = 0; i < ECS_CHANGE_COUNT; i++)
	{
		const char *field = ecs_catalog_default_field(ECS_RESOURCE_IMAGES,
													  ecs_image_changeable[i]);

		ok &= column_reads(ECS_RESOURCE_IMAGES, field) &&
			ecs_catalog_change(field) == i;
	}
	check(ok, "each changeable column is a column of images, found by field");
	check(ecs_image_changeable[ECS_CHANGE_COUNT] == NULL,
		  "the changeable columns end with NULL");
	check(ecs_catalog_change("Tags") == ECS_CHANGE_TAGS &&
		  ecs_catalog_change("BootMode") == ECS_CHANGE_BOOT_MODE,
		  "Tags and BootMode are where EcsImageChange says");
	check(ecs_catalog_change("ImageId") == -1, "ImageId cannot be changed");
}

/*
 * test_words
 *		The word lists of the hints, as they were written out before.
 */
static void
test_words(void)
{
	const char *names[ECS_RESOURCE_COUNT + 1];
	int			r;

	check_str("UPDATE's hint",
			  "image_name, description, image_family, boot_mode, status and tags",
			  ecs_catalog_describe_words(ecs_image_changeable, -1, false, "and"));
	check_str("ecs_modify_image's hint",
			  "image_name, description, image_family, boot_mode or status",
			  ecs_catalog_describe_words(ecs_image_changeable, ECS_CHANGE_TAGS,
										 false, "or"));
	check_str("image_owner_alias's hint",
			  "\"self\", \"others\", \"system\" and \"marketplace\"",
			  ecs_catalog_describe_words(ecs_owner_aliases, -1, true, "and"));
	for (r = 0; r < ECS_RESOURCE_COUNT; r++)
		names[r] = ecs_resources[r].name;
	names[r] = NULL;
	check_str("resource's hint",
			  "\"images\", \"image_share_permissions\", \"regions\", \"tasks\", \"instances\" and \"snapshots\"",
			  ecs_catalog_describe_words(names, -1, true, "and"));
	check_str("language's hint", "\"en-US\", \"zh-CN\" and \"ja\"",
			  ecs_catalog_describe_words(ecs_languages, -1, true, "and"));
	check_str("one word alone", "\"linux\"",
			  ecs_catalog_describe_words(ecs_os_types, 1, true, "or"));
}

/*
 * main
 *		Run every group, print the plan last, exit 1 on any failure.
 */
int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);

	test_filters();
	test_keys();
	test_columns();
	test_default_fields();
	test_lookups();
	test_changeable();
	test_words();

	return tap_finish();
}

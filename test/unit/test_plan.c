/*-------------------------------------------------------------------------
 *
 * test_plan.c
 *		  Unit test for src/plan.c (the listing plan), run as a standalone
 *		  frontend program against the real catalog (src/catalog.c).
 *
 * Each step of the plan, from plain input to plain output: intersections
 * of the table's options and of several conditions, unknown values of a
 * closed filter, values that stay local (several of a closed set, more than
 * 100 ids, too many combinations), the owner aliases (marketplace, the
 * lookup by image id), the parameter sets (combinations, comma and JSON
 * lists, tags, the default Status) and the text EXPLAIN shows.  Parameter
 * sets are compared as text, "name=value&..." per set and " | " between
 * sets, in the order they are sent.  Output is TAP; the exit status is 1
 * if any test failed.  See Makefile in this directory for how it is built.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/test_plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/stringinfo.h"

#include "plan.h"
#include "tap.h"

/* "Status=" and every image status, as DescribeImages gets them by default */
#define ALL_STATUSES "Status=Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"

/* Up to this many filters in one test input */
#define MAX_FILTERS 8

/* A plan input being put together by a test */
typedef struct Input
{
	EcsPlanInput in;
	EcsPlanFilter filters[MAX_FILTERS];
} Input;

static const char **words(int n, ...);
static const char **numbered(const char *prefix, int n);
static Input *input(EcsResource resource);
static void table_regions(Input *t, const char **regions, int n);
static void table_aliases(Input *t, const char **aliases, int n);
static void add_filter(Input *t, EcsFilterKind kind, const char *param,
					   const char **values, int n);
static char *sets_text(const EcsPlan *plan);
static char *array_text(const char *const *values, int n);
static void test_intersections(void);
static void test_unknown_values(void);
static void test_closed_sets_local(void);
static void test_many_ids_local(void);
static void test_aliases(void);
static void test_image_lookup(void);
static void test_share_permissions(void);
static void test_combination_cap(void);
static void test_tags(void);
static void test_lists(void);
static void test_default_status(void);
static void test_explain(void);
static void test_accounts(void);

/*
 * words
 *		A palloc'd array of the n strings given.
 */
static const char **
words(int n, ...)
{
	const char **result = palloc(sizeof(char *) * Max(1, n));
	va_list		ap;
	int			i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		result[i] = va_arg(ap, const char *);
	va_end(ap);
	return result;
}

/*
 * numbered
 *		prefix1, prefix2, ... prefixN.
 */
static const char **
numbered(const char *prefix, int n)
{
	const char **result = palloc(sizeof(char *) * Max(1, n));
	int			i;

	for (i = 0; i < n; i++)
		result[i] = psprintf("%s%d", prefix, i + 1);
	return result;
}

/*
 * input
 *		An input for resource: every region ("*"), every alias ("all"), no
 *		filter.
 */
static Input *
input(EcsResource resource)
{
	Input	   *t = palloc0(sizeof(Input));

	t->in.resource = resource;
	t->in.filters = t->filters;
	return t;
}

/*
 * table_regions
 *		The regions option of the input's table.
 */
static void
table_regions(Input *t, const char **regions, int n)
{
	t->in.regions = regions;
	t->in.nregions = n;
}

/*
 * table_aliases
 *		The image_owner_alias option of the input's table.
 */
static void
table_aliases(Input *t, const char **aliases, int n)
{
	t->in.aliases = aliases;
	t->in.naliases = n;
}

/*
 * add_filter
 *		Add a pushed filter with n values to the input.
 */
static void
add_filter(Input *t, EcsFilterKind kind, const char *param,
		   const char **values, int n)
{
	EcsPlanFilter *f = &t->filters[t->in.nfilters++];

	f->kind = kind;
	f->param = param;
	f->values = values;
	f->nvalues = n;
}

/*
 * sets_text
 *		The plan's parameter sets as "a=1&b=2 | a=1&b=3".
 */
static char *
sets_text(const EcsPlan *plan)
{
	StringInfoData buf;
	int			s;
	int			i;

	initStringInfo(&buf);
	for (s = 0; s < plan->nparam_sets; s++)
	{
		const EcsParams *p = &plan->param_sets[s];

		if (s > 0)
			appendStringInfoString(&buf, " | ");
		for (i = 0; i < p->count; i++)
			appendStringInfo(&buf, "%s%s=%s", i > 0 ? "&" : "",
							 p->items[i].name, p->items[i].value);
	}
	return buf.data;
}

/*
 * array_text
 *		n strings as "a,b,c".
 */
static char *
array_text(const char *const *values, int n)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? "," : "", values[i]);
	return buf.data;
}

/*
 * test_intersections
 *		The regions option and region conditions, and several conditions on
 *		one parameter, ask for the values they have in common.
 */
static void
test_intersections(void)
{
	Input	   *t = input(ECS_RESOURCE_TASKS);
	EcsPlan    *plan;

	table_regions(t, words(3, "cn-a", "cn-b", "cn-c"), 3);
	add_filter(t, ECS_FILTER_REGION, "RegionId",
			   words(3, "cn-d", "cn-c", "cn-b"), 3);
	plan = ecs_plan_build(&t->in);
	check_str("regions option and condition: their common regions",
			  "cn-b,cn-c", array_text(plan->regions, plan->nregions));
	check(!plan->lenient && !plan->no_rows,
		  "regions from the option: an unknown one is an error (not lenient)");

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_REGION, "RegionId", words(1, "cn-x"), 1);
	add_filter(t, ECS_FILTER_REGION, "RegionId", words(2, "cn-y", "cn-x"), 2);
	plan = ecs_plan_build(&t->in);
	check_str("two region conditions without the option: their common region",
			  "cn-x", array_text(plan->regions, plan->nregions));
	check(plan->lenient, "regions from the query only: lenient");

	t = input(ECS_RESOURCE_TASKS);
	table_regions(t, words(1, "cn-a"), 1);
	add_filter(t, ECS_FILTER_REGION, "RegionId", words(1, "cn-b"), 1);
	check(ecs_plan_build(&t->in)->no_rows,
		  "a region outside the regions option: no rows");

	t = input(ECS_RESOURCE_TASKS);
	plan = ecs_plan_build(&t->in);
	check(plan->nregions == 0 && !plan->no_rows && !plan->lenient,
		  "no regions option and no condition: every region");

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_EACH, "TaskAction", words(2, "ImportImage", "ExportImage"), 2);
	add_filter(t, ECS_FILTER_EACH, "TaskAction", words(2, "CopyImage", "ExportImage"), 2);
	add_filter(t, ECS_FILTER_LIST, "TaskIds", words(3, "t-1", "t-2", "t-3"), 3);
	add_filter(t, ECS_FILTER_LIST, "TaskIds", words(2, "t-3", "t-1"), 2);
	check_str("two conditions on one parameter: their common values",
			  "TaskAction=ExportImage&TaskIds=t-1,t-3",
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_EACH, "TaskAction", words(1, "ImportImage"), 1);
	add_filter(t, ECS_FILTER_EACH, "TaskAction", words(1, "ExportImage"), 1);
	check(ecs_plan_build(&t->in)->no_rows,
		  "two conditions on one parameter with no common value: no rows");
}

/*
 * test_unknown_values
 *		A value the API does not know for a closed filter matches no row.
 */
static void
test_unknown_values(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);
	EcsPlan    *plan;

	add_filter(t, ECS_FILTER_LIST, "Status", words(1, "Bogus"), 1);
	check(ecs_plan_build(&t->in)->no_rows, "an unknown image status: no rows");

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_LIST, "Status", words(2, "Bogus", "Available"), 2);
	plan = ecs_plan_build(&t->in);
	check(!plan->no_rows, "a known status among unknown ones: rows");
	check_str("only the known status is asked for",
			  "Status=Available | ImageOwnerAlias=marketplace&Status=Available",
			  sets_text(plan));

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_EACH, "OSType", words(1, "solaris"), 1);
	check(ecs_plan_build(&t->in)->no_rows, "an unknown OS type: no rows");

	t = input(ECS_RESOURCE_INSTANCES);
	add_filter(t, ECS_FILTER_EACH, "Status", words(1, "Available"), 1);
	check(ecs_plan_build(&t->in)->no_rows,
		  "an image status is not an instance status: no rows");

	t = input(ECS_RESOURCE_SNAPSHOTS);
	add_filter(t, ECS_FILTER_EACH, "Usage", words(1, "instance"), 1);
	check(ecs_plan_build(&t->in)->no_rows,
		  "an image usage is not a snapshot usage: no rows");

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_EACH, "TaskStatus", words(1, "Whatever"), 1);
	plan = ecs_plan_build(&t->in);
	check(!plan->no_rows, "an open filter takes any value");
	check_str("the open filter's value is sent", "TaskStatus=Whatever",
			  sets_text(plan));
}

/*
 * test_closed_sets_local
 *		Several values of a small closed set stay local; one is sent.
 */
static void
test_closed_sets_local(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);
	EcsPlan    *plan;

	table_aliases(t, words(1, "self"), 1);
	add_filter(t, ECS_FILTER_EACH, "OSType", words(2, "linux", "windows"), 2);
	add_filter(t, ECS_FILTER_EACH, "Architecture", words(1, "arm64"), 1);
	plan = ecs_plan_build(&t->in);
	check_str("two OS types stay local, one architecture is sent",
			  "ImageOwnerAlias=self&Architecture=arm64&" ALL_STATUSES,
			  sets_text(plan));

	t = input(ECS_RESOURCE_INSTANCES);
	add_filter(t, ECS_FILTER_EACH, "Status", words(2, "Running", "Stopped"), 2);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(2, "m-1", "m-2"), 2);
	check_str("two instance statuses stay local, two image ids do not",
			  "ImageId=m-1 | ImageId=m-2", sets_text(ecs_plan_build(&t->in)));

	check(ecs_plan_stays_local(ECS_RESOURCE_IMAGES, ECS_FILTER_EACH,
							   "Usage", 2),
		  "stays local: two image usages");
	check(!ecs_plan_stays_local(ECS_RESOURCE_IMAGES, ECS_FILTER_EACH,
								"Usage", 1),
		  "sent: one image usage");
	check(!ecs_plan_stays_local(ECS_RESOURCE_IMAGES, ECS_FILTER_EACH,
								"ImageFamily", 5),
		  "sent: five image families (an open set)");
	check(!ecs_plan_stays_local(ECS_RESOURCE_IMAGES, ECS_FILTER_LIST,
								"Status", 3),
		  "sent: three image statuses (one request, comma-separated)");
}

/*
 * test_many_ids_local
 *		More than 100 ids in one request stay local; 100 are sent.
 */
static void
test_many_ids_local(void)
{
	Input	   *t = input(ECS_RESOURCE_TASKS);
	EcsPlan    *plan;

	add_filter(t, ECS_FILTER_LIST, "TaskIds", numbered("t-", 101), 101);
	plan = ecs_plan_build(&t->in);
	check_str("101 task ids stay local", "", sets_text(plan));
	check_str("... and EXPLAIN shows no filter", "", plan->explain);

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_LIST, "TaskIds", numbered("t-", 100), 100);
	check_str("100 task ids are sent",
			  psprintf("TaskIds=%s", array_text(numbered("t-", 100), 100)),
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_INSTANCES);
	add_filter(t, ECS_FILTER_JSON_LIST, "InstanceIds", numbered("i-", 101), 101);
	check_str("101 instance ids stay local", "",
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_SNAPSHOTS);
	add_filter(t, ECS_FILTER_JSON_LIST, "SnapshotIds", numbered("s-", 101), 101);
	add_filter(t, ECS_FILTER_EACH, "Status", words(1, "failed"), 1);
	check_str("101 snapshot ids stay local, the status is sent",
			  "Status=failed", sets_text(ecs_plan_build(&t->in)));
}

/*
 * test_aliases
 *		Images without an alias condition: one listing without an alias and
 *		one for marketplace; the option and conditions narrow the aliases.
 */
static void
test_aliases(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);
	EcsPlan    *plan;

	plan = ecs_plan_build(&t->in);
	check_str("every alias: none, and marketplace",
			  ALL_STATUSES " | ImageOwnerAlias=marketplace&" ALL_STATUSES,
			  sets_text(plan));

	t = input(ECS_RESOURCE_IMAGES);
	table_aliases(t, words(2, "self", "others"), 2);
	check_str("the aliases option: one listing each",
			  "ImageOwnerAlias=self&" ALL_STATUSES " | "
			  "ImageOwnerAlias=others&" ALL_STATUSES,
			  sets_text(ecs_plan_build(&t->in)));

	add_filter(t, ECS_FILTER_OWNER, "ImageOwnerAlias",
			   words(2, "marketplace", "others"), 2);
	check_str("the option and a condition: their common alias",
			  "ImageOwnerAlias=others&" ALL_STATUSES,
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_OWNER, "ImageOwnerAlias",
			   words(2, "nobody", "marketplace"), 2);
	check_str("an unknown alias in a condition is left out",
			  "ImageOwnerAlias=marketplace&" ALL_STATUSES,
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_OWNER, "ImageOwnerAlias", words(1, "nobody"), 1);
	check(ecs_plan_build(&t->in)->no_rows, "only an unknown alias: no rows");

	t = input(ECS_RESOURCE_TASKS);
	table_aliases(t, words(1, "self"), 1);
	check_str("the aliases option means nothing to tasks", "",
			  sets_text(ecs_plan_build(&t->in)));
}

/*
 * test_image_lookup
 *		A lookup by image id asks without an alias (and for marketplace if
 *		the table shows it), and checks the rows' aliases instead.
 */
static void
test_image_lookup(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);
	EcsPlan    *plan;

	table_aliases(t, words(2, "self", "others"), 2);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(1, "m-x"), 1);
	plan = ecs_plan_build(&t->in);
	check_str("lookup under self and others: one listing without an alias",
			  "ImageId=m-x&" ALL_STATUSES, sets_text(plan));
	check_str("... rows must be self or others",
			  "self,others", array_text(plan->alias_check, plan->nalias_check));
	check_str("... read from ImageOwnerAlias after the columns",
			  "ImageOwnerAlias", plan->extra_field);

	t = input(ECS_RESOURCE_IMAGES);
	table_aliases(t, words(2, "system", "marketplace"), 2);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(1, "m-x"), 1);
	plan = ecs_plan_build(&t->in);
	check_str("lookup under system and marketplace: none, and marketplace",
			  "ImageId=m-x&" ALL_STATUSES " | "
			  "ImageOwnerAlias=marketplace&ImageId=m-x&" ALL_STATUSES,
			  sets_text(plan));

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(2, "m-1", "m-2"), 2);
	plan = ecs_plan_build(&t->in);
	check_str("lookup under every alias: no check of the rows",
			  "", array_text(plan->alias_check, plan->nalias_check));
	check(plan->extra_field == NULL, "... and no extra field");
	check_str("... one listing per alias and id, alias first",
			  "ImageId=m-1&" ALL_STATUSES " | ImageId=m-2&" ALL_STATUSES " | "
			  "ImageOwnerAlias=marketplace&ImageId=m-1&" ALL_STATUSES " | "
			  "ImageOwnerAlias=marketplace&ImageId=m-2&" ALL_STATUSES,
			  sets_text(plan));

	t = input(ECS_RESOURCE_IMAGES);
	table_aliases(t, words(1, "self"), 1);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(1, "m-x"), 1);
	plan = ecs_plan_build(&t->in);
	check_str("lookup under one alias: asked with it",
			  "ImageOwnerAlias=self&ImageId=m-x&" ALL_STATUSES, sets_text(plan));
	check(plan->nalias_check == 0 && plan->extra_field == NULL,
		  "... and no check of the rows");
}

/*
 * test_share_permissions
 *		Permissions: per image id (lenient), or per own image.
 */
static void
test_share_permissions(void)
{
	Input	   *t = input(ECS_RESOURCE_SHARE_PERMISSIONS);
	EcsPlan    *plan;

	table_regions(t, words(1, "cn-a"), 1);
	plan = ecs_plan_build(&t->in);
	check(plan->per_own_image && !plan->lenient,
		  "permissions without an image id: per own image");
	check_str("... with no parameter (no Status, no alias)", "",
			  sets_text(plan));

	add_filter(t, ECS_FILTER_EACH, "ImageId", words(1, "m-x"), 1);
	plan = ecs_plan_build(&t->in);
	check(!plan->per_own_image && plan->lenient,
		  "permissions of an image id: lenient, not per own image");
	check_str("... asked by ImageId", "ImageId=m-x", sets_text(plan));
}

/*
 * test_combination_cap
 *		At most 64 listings per region: the filter with most values stays
 *		local until the rest fit.
 */
static void
test_combination_cap(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);
	EcsPlan    *plan;

	add_filter(t, ECS_FILTER_EACH, "ImageName", numbered("n-", 5), 5);
	add_filter(t, ECS_FILTER_EACH, "ImageFamily", numbered("f-", 10), 10);
	plan = ecs_plan_build(&t->in);
	check(plan->nparam_sets == 2 * 5,
		  "2 aliases x 5 names x 10 families: the families stay local (10 sets)");
	check(strstr(sets_text(plan), "ImageFamily") == NULL &&
		  strstr(plan->explain, "ImageFamily") == NULL,
		  "... no family in any set, nor in EXPLAIN");

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_EACH, "ImageFamily", numbered("f-", 32), 32);
	check(ecs_plan_build(&t->in)->nparam_sets == ECS_MAX_PARAM_SETS,
		  "2 aliases x 32 families: 64 sets, at the cap");

	t = input(ECS_RESOURCE_IMAGES);
	add_filter(t, ECS_FILTER_EACH, "ImageFamily", numbered("f-", 33), 33);
	check(ecs_plan_build(&t->in)->nparam_sets == 2,
		  "2 aliases x 33 families: the families stay local (2 sets)");

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_EACH, "TaskAction", numbered("a-", 8), 8);
	add_filter(t, ECS_FILTER_EACH, "TaskStatus", numbered("s-", 8), 8);
	plan = ecs_plan_build(&t->in);
	check(plan->nparam_sets == 64,
		  "8 actions x 8 statuses (no aliases): 64 sets");
	check_str("... the first action with each status first",
			  "TaskAction=a-1&TaskStatus=s-1 | TaskAction=a-1&TaskStatus=s-2",
			  pnstrdup(sets_text(plan), 61));
	check_str("... the last set: the last action and status",
			  "TaskAction=a-8&TaskStatus=s-8", strrchr(sets_text(plan), '|') + 2);
}

/*
 * test_tags
 *		Tag conditions become Tag.N.Key/Value, at most 20 pairs.
 */
static void
test_tags(void)
{
	Input	   *t = input(ECS_RESOURCE_INSTANCES);
	const char **many = palloc(sizeof(char *) * 50);
	EcsPlan    *plan;
	char	   *text;
	int			i;

	add_filter(t, ECS_FILTER_TAGS, "Tag", words(2, "env", "prod"), 2);
	add_filter(t, ECS_FILTER_TAGS, "Tag", words(4, "team", "a", "app", ""), 4);
	plan = ecs_plan_build(&t->in);
	check_str("two tag conditions: three pairs",
			  "Tag.1.Key=env&Tag.1.Value=prod&Tag.2.Key=team&Tag.2.Value=a&"
			  "Tag.3.Key=app&Tag.3.Value=", sets_text(plan));
	check_str("... as EXPLAIN shows them",
			  "Tag env = prod, Tag team = a, Tag app = ", plan->explain);

	t = input(ECS_RESOURCE_INSTANCES);
	for (i = 0; i < 50; i++)
		many[i] = psprintf("%s%d", i % 2 ? "v" : "k", i / 2 + 1);
	add_filter(t, ECS_FILTER_TAGS, "Tag", many, 50);
	plan = ecs_plan_build(&t->in);
	text = sets_text(plan);
	check(plan->param_sets[0].count == 40,
		  "25 tag pairs: the first 20 are sent (40 parameters)");
	check(strstr(text, "Tag.20.Key=k20&Tag.20.Value=v20") != NULL &&
		  strstr(text, "Tag.21") == NULL, "... Tag.20 is the last");
}

/*
 * test_lists
 *		List filters: comma-separated, or a JSON array with JSON escapes.
 */
static void
test_lists(void)
{
	Input	   *t = input(ECS_RESOURCE_INSTANCES);
	EcsPlan    *plan;

	add_filter(t, ECS_FILTER_JSON_LIST, "InstanceIds",
			   words(5, "i-1", "a\"b", "c\\d", "e\nf\tg", "\001\037 "), 5);
	plan = ecs_plan_build(&t->in);
	check_str("instance ids as a JSON array, escaped",
			  "InstanceIds=[\"i-1\",\"a\\\"b\",\"c\\\\d\",\"e\\nf\\tg\","
			  "\"\\u0001\\u001f \"]", sets_text(plan));

	t = input(ECS_RESOURCE_INSTANCES);
	add_filter(t, ECS_FILTER_JSON_LIST, "InstanceIds",
			   words(3, "\b\f\r", "\xc3\xa9", "/"), 3);
	check_str("JSON escapes of backspace, form feed, return; UTF-8 and / kept",
			  "InstanceIds=[\"\\b\\f\\r\",\"\xc3\xa9\",\"/\"]",
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_LIST, "TaskIds", words(2, "t-1", "t-2"), 2);
	add_filter(t, ECS_FILTER_EACH, "TaskAction", words(2, "A", "B"), 2);
	check_str("task ids comma-separated in every set, after the EACH values",
			  "TaskAction=A&TaskIds=t-1,t-2 | TaskAction=B&TaskIds=t-1,t-2",
			  sets_text(ecs_plan_build(&t->in)));
}

/*
 * test_default_status
 *		Images are asked for every status unless a Status condition says.
 */
static void
test_default_status(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);

	table_aliases(t, words(1, "self"), 1);
	check_str("images without a status condition: every status",
			  "ImageOwnerAlias=self&" ALL_STATUSES,
			  sets_text(ecs_plan_build(&t->in)));
	add_filter(t, ECS_FILTER_LIST, "Status",
			   words(2, "Creating", "CreateFailed"), 2);
	check_str("images with one: its statuses only",
			  "ImageOwnerAlias=self&Status=Creating,CreateFailed",
			  sets_text(ecs_plan_build(&t->in)));

	t = input(ECS_RESOURCE_SNAPSHOTS);
	check_str("snapshots: no default status", "",
			  sets_text(ecs_plan_build(&t->in)));
}

/*
 * test_explain
 *		The text of "ECS Filters", as the regression outputs show it.
 */
static void
test_explain(void)
{
	Input	   *t = input(ECS_RESOURCE_IMAGES);

	check_str("images, every alias",
			  "ImageOwnerAlias IN (\"\", marketplace)",
			  ecs_plan_build(&t->in)->explain);

	t = input(ECS_RESOURCE_IMAGES);
	table_aliases(t, words(2, "self", "others"), 2);
	add_filter(t, ECS_FILTER_EACH, "OSType", words(1, "linux"), 1);
	add_filter(t, ECS_FILTER_EACH, "Architecture", words(1, "x86_64"), 1);
	add_filter(t, ECS_FILTER_EACH, "Usage", words(1, "none"), 1);
	add_filter(t, ECS_FILTER_LIST, "Status",
			   words(2, "Creating", "CreateFailed"), 2);
	check_str("aliases, EACH filters in order, then lists",
			  "ImageOwnerAlias IN (self, others), OSType = linux, "
			  "Architecture = x86_64, Usage = none, "
			  "Status IN (Creating, CreateFailed)",
			  ecs_plan_build(&t->in)->explain);

	t = input(ECS_RESOURCE_IMAGES);
	table_aliases(t, words(2, "self", "others"), 2);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(3, "m-a", "m-b", "m-c"), 3);
	check_str("a lookup shows the table's aliases (checked on the rows)",
			  "ImageOwnerAlias IN (self, others), ImageId IN (m-a, m-b, m-c)",
			  ecs_plan_build(&t->in)->explain);

	t = input(ECS_RESOURCE_INSTANCES);
	add_filter(t, ECS_FILTER_JSON_LIST, "InstanceIds",
			   words(2, "i-one", "i-\"two\""), 2);
	check_str("ids as given, not JSON-escaped",
			  "InstanceIds IN (i-one, i-\"two\")",
			  ecs_plan_build(&t->in)->explain);

	t = input(ECS_RESOURCE_TASKS);
	add_filter(t, ECS_FILTER_EACH, "TaskStatus", words(2, "", "Finished"), 2);
	check_str("an empty value shows as \"\"",
			  "TaskStatus IN (\"\", Finished)", ecs_plan_build(&t->in)->explain);

	t = input(ECS_RESOURCE_REGIONS);
	check_str("regions: nothing to show", "", ecs_plan_build(&t->in)->explain);
}

/*
 * test_accounts
 *		The account condition: the common accounts, none is no rows, and
 *		the line EXPLAIN shows.
 */
static void
test_accounts(void)
{
	Input	   *t = input(ECS_RESOURCE_REGIONS);
	EcsPlan    *plan;

	plan = ecs_plan_build(&t->in);
	check(plan->naccounts == 0 && plan->explain_accounts == NULL,
		  "no account condition: any account, nothing to show");

	add_filter(t, ECS_FILTER_ACCOUNT, "AccountId", words(3, "1", "2", "3"), 3);
	add_filter(t, ECS_FILTER_ACCOUNT, "AccountId", words(2, "3", "2"), 2);
	plan = ecs_plan_build(&t->in);
	check_str("two account conditions: their common accounts", "2,3",
			  array_text(plan->accounts, plan->naccounts));
	check_str("... as EXPLAIN shows them", "account_id IN (2, 3)",
			  plan->explain_accounts);
	check(!plan->no_rows && plan->nparam_sets == 1,
		  "... one listing, no parameter");

	add_filter(t, ECS_FILTER_ACCOUNT, "AccountId", words(1, "1"), 1);
	check(ecs_plan_build(&t->in)->no_rows, "no common account: no rows");
}

/*
 * main
 *		Run every group, print the plan last, exit 1 on any failure.
 */
int
main(void)
{
	const char **values = words(2, "m-1", "m-2");
	Input	   *t = input(ECS_RESOURCE_IMAGES);

	setvbuf(stdout, NULL, _IOLBF, 0);

	test_intersections();
	test_unknown_values();
	test_closed_sets_local();
	test_many_ids_local();
	test_aliases();
	test_image_lookup();
	test_share_permissions();
	test_combination_cap();
	test_tags();
	test_lists();
	test_default_status();
	test_explain();
	test_accounts();

	/* the plan narrows copies: the input stays as it was */
	add_filter(t, ECS_FILTER_EACH, "ImageId", values, 2);
	add_filter(t, ECS_FILTER_EACH, "ImageId", words(1, "m-2"), 1);
	(void) ecs_plan_build(&t->in);
	check_str("the input's values are left alone", "m-1,m-2",
			  array_text(values, 2));

	return tap_finish();
}

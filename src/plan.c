/*-------------------------------------------------------------------------
 *
 * plan.c
 *		  The listing plan: which regions to list and with which parameter
 *		  sets, from the table's options and the values of the pushed
 *		  filters of one execution.
 *
 * The steps, each a function below: the table's regions and owner aliases
 * are narrowed by the filters (several conditions on one parameter ask for
 * the values they have in common); values the API does not know match no
 * row; a filter the API cannot take whole (more than 100 ids, several
 * values of a small closed set) stays local; images without an alias
 * condition are listed once without an alias and once for marketplace; a
 * lookup by image id asks for any alias; the combinations of values are
 * capped; then the parameter sets and the text EXPLAIN shows.
 *
 * Pushing only narrows what the API sends: every condition is also checked
 * locally (pushdown.c), so a filter left out of the plan costs requests,
 * never rows.
 *
 * This file is also compiled as frontend code (postgres_fe.h, libpgcommon)
 * by the unit test in test/unit: no Lists, Nodes, elog or ereport.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/plan.c
 *
 *-------------------------------------------------------------------------
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include "lib/stringinfo.h"

#include "plan.h"

/* The owner alias DescribeImages lists only when asked for it */
#define MARKETPLACE "marketplace"

/* At most this many tag values (keys and values: 20 pairs) in a request */
#define MAX_TAG_VALUES 40

/* The plan while it is being built */
typedef struct PlanWork
{
	EcsResource resource;
	EcsPlan    *plan;
	EcsPlanFilter regions;		/* the regions, if have_regions */
	bool		have_regions;
	EcsPlanFilter aliases;		/* the owner aliases, unless all_aliases */
	bool		all_aliases;
	EcsPlanFilter accounts;		/* none: any account */
	EcsPlanFilter *each;		/* ECS_FILTER_EACH, one per parameter */
	int			neach;
	EcsPlanFilter *lists;		/* LIST and JSON_LIST, one per parameter */
	int			nlists;
	const char **tags;			/* key, value, key, ... */
	int			ntags;
} PlanWork;

static void copy_values(EcsPlanFilter *to, const char *const *values, int n);
static int	count_words(const char *const *words);
static void keep_values(EcsPlanFilter *f, const char *const *among, int n);
static void keep_known(EcsResource resource, const char *param,
					   EcsPlanFilter *f);
static void drop_filter(EcsPlanFilter *group, int *n, int i);
static void start_from_options(PlanWork *w, const EcsPlanInput *input);
static void merge_filter(PlanWork *w, const EcsPlanFilter *f);
static void merge_param(EcsPlanFilter *group, int *n, const EcsPlanFilter *f);
static void keep_known_values(PlanWork *w);
static void drop_wide_closed(PlanWork *w);
static void default_aliases(PlanWork *w);
static void cap_combinations(PlanWork *w);
static void lookup_by_image(PlanWork *w);
static void build_param_sets(PlanWork *w);
static void add_list_params(PlanWork *w, EcsParams *p);
static void append_json_string(StringInfo buf, const char *s);
static void describe_filter(StringInfo buf, const char *name,
							const char *const *values, int n);
static void describe_plan(PlanWork *w);

/*
 * ecs_params_add
 *		Append name=value to a parameter list.  Both strings are referenced,
 *		not copied.
 */
void
ecs_params_add(EcsParams *params, const char *name, const char *value)
{
	if (params->count == params->capacity)
	{
		params->capacity = Max(16, params->capacity * 2);
		if (params->items == NULL)
			params->items = palloc(params->capacity * sizeof(EcsParam));
		else
			params->items = repalloc(params->items,
									 params->capacity * sizeof(EcsParam));
	}
	params->items[params->count].name = name;
	params->items[params->count].value = value;
	params->count++;
}

/*
 * ecs_plan_stays_local
 *		Whether a filter with nvalues values stays local however few the
 *		other filters are: several values of a filter with a small closed
 *		set (OSType, Architecture, Usage) select most of a listing anyway,
 *		while each value multiplies the requests.
 */
bool
ecs_plan_stays_local(EcsResource resource, EcsFilterKind kind,
					 const char *param, int nvalues)
{
	return kind == ECS_FILTER_EACH && nvalues > 1 &&
		ecs_catalog_known_values(resource, param) != NULL;
}

/*
 * ecs_plan_build
 *		Plan the listing of one execution, in CurrentMemoryContext.  The
 *		plan references the input's strings.
 */
EcsPlan *
ecs_plan_build(const EcsPlanInput *input)
{
	PlanWork	w = {0};
	int			i;

	w.resource = input->resource;
	w.plan = palloc0(sizeof(EcsPlan));
	w.each = palloc0(sizeof(EcsPlanFilter) * Max(1, input->nfilters));
	w.lists = palloc0(sizeof(EcsPlanFilter) * Max(1, input->nfilters));
	w.tags = palloc0(sizeof(char *));

	start_from_options(&w, input);
	for (i = 0; i < input->nfilters; i++)
		merge_filter(&w, &input->filters[i]);
	keep_known_values(&w);
	drop_wide_closed(&w);
	if ((w.have_regions && w.regions.nvalues == 0) ||
		(!w.all_aliases && w.aliases.nvalues == 0))
		w.plan->no_rows = true;
	default_aliases(&w);
	w.ntags = Min(w.ntags, MAX_TAG_VALUES);
	cap_combinations(&w);
	lookup_by_image(&w);
	build_param_sets(&w);

	w.plan->regions = w.regions.values;
	w.plan->nregions = w.have_regions ? w.regions.nvalues : 0;
	w.plan->accounts = w.accounts.values;
	w.plan->naccounts = w.accounts.nvalues;
	describe_plan(&w);
	return w.plan;
}

/*
 * copy_values
 *		Make to's values a copy of the array values (n of them).
 */
static void
copy_values(EcsPlanFilter *to, const char *const *values, int n)
{
	to->values = palloc(sizeof(char *) * Max(1, n));
	if (n > 0)
		memcpy(to->values, values, sizeof(char *) * n);
	to->nvalues = n;
}

/*
 * count_words
 *		The length of a NULL-terminated array.
 */
static int
count_words(const char *const *words)
{
	int			n = 0;

	while (words[n] != NULL)
		n++;
	return n;
}

/*
 * keep_values
 *		Keep, in their order, the values of f that are among the n strings
 *		of among.
 */
static void
keep_values(EcsPlanFilter *f, const char *const *among, int n)
{
	int			kept = 0;
	int			i;
	int			j;

	for (i = 0; i < f->nvalues; i++)
	{
		for (j = 0; j < n; j++)
		{
			if (strcmp(f->values[i], among[j]) == 0)
			{
				f->values[kept++] = f->values[i];
				break;
			}
		}
	}
	f->nvalues = kept;
}

/*
 * keep_known
 *		Keep the values of f the API knows, if param takes only known
 *		values.
 */
static void
keep_known(EcsResource resource, const char *param, EcsPlanFilter *f)
{
	const char *const *known = ecs_catalog_known_values(resource, param);

	if (known != NULL)
		keep_values(f, known, count_words(known));
}

/*
 * drop_filter
 *		Remove the i-th of the n filters of group.
 */
static void
drop_filter(EcsPlanFilter *group, int *n, int i)
{
	memmove(&group[i], &group[i + 1], sizeof(EcsPlanFilter) * (*n - i - 1));
	(*n)--;
}

/*
 * start_from_options
 *		What the table's options ask for: its regions, and for images its
 *		owner aliases.
 */
static void
start_from_options(PlanWork *w, const EcsPlanInput *input)
{
	w->have_regions = input->regions != NULL;
	if (w->have_regions)
		copy_values(&w->regions, input->regions, input->nregions);
	w->all_aliases = (w->resource != ECS_RESOURCE_IMAGES ||
					  input->aliases == NULL);
	if (!w->all_aliases)
		copy_values(&w->aliases, input->aliases, input->naliases);
}

/*
 * merge_filter
 *		Narrow the plan by one filter: several conditions on the same
 *		thing ask for the values they have in common.
 */
static void
merge_filter(PlanWork *w, const EcsPlanFilter *f)
{
	switch (f->kind)
	{
		case ECS_FILTER_REGION:
			if (!w->have_regions)
			{
				w->plan->lenient = true;
				copy_values(&w->regions, f->values, f->nvalues);
			}
			else
				keep_values(&w->regions, f->values, f->nvalues);
			w->have_regions = true;
			break;
		case ECS_FILTER_OWNER:
			if (w->all_aliases)
				copy_values(&w->aliases, f->values, f->nvalues);
			else
				keep_values(&w->aliases, f->values, f->nvalues);
			keep_known(w->resource, f->param, &w->aliases);
			w->all_aliases = false;
			break;
		case ECS_FILTER_TAGS:
			w->tags = repalloc(w->tags,
							   sizeof(char *) * (w->ntags + f->nvalues + 1));
			memcpy(&w->tags[w->ntags], f->values, sizeof(char *) * f->nvalues);
			w->ntags += f->nvalues;
			break;
		case ECS_FILTER_ACCOUNT:
			if (w->accounts.nvalues == 0)
				copy_values(&w->accounts, f->values, f->nvalues);
			else
				keep_values(&w->accounts, f->values, f->nvalues);
			if (w->accounts.nvalues == 0)
				w->plan->no_rows = true;
			break;
		case ECS_FILTER_EACH:
			merge_param(w->each, &w->neach, f);
			break;
		case ECS_FILTER_LIST:
		case ECS_FILTER_JSON_LIST:
			merge_param(w->lists, &w->nlists, f);
			break;
	}
}

/*
 * merge_param
 *		Add f to the n filters of group, or narrow the one with the same
 *		parameter to the values both have.
 */
static void
merge_param(EcsPlanFilter *group, int *n, const EcsPlanFilter *f)
{
	int			i;

	for (i = 0; i < *n; i++)
	{
		if (strcmp(group[i].param, f->param) == 0)
		{
			keep_values(&group[i], f->values, f->nvalues);
			return;
		}
	}
	group[*n] = *f;
	copy_values(&group[*n], f->values, f->nvalues);
	(*n)++;
}

/*
 * keep_known_values
 *		Values the API does not know match nothing (and would be an error
 *		there); a filter left without values matches nothing.  More ids
 *		than one request takes stay local.
 */
static void
keep_known_values(PlanWork *w)
{
	EcsPlanFilter *groups[] = {w->lists, w->each};
	int		   *counts[] = {&w->nlists, &w->neach};
	int			g;
	int			i;

	for (g = 0; g < lengthof(groups); g++)
	{
		for (i = *counts[g] - 1; i >= 0; i--)
		{
			EcsPlanFilter *f = &groups[g][i];
			const EcsFilterDef *def = ecs_catalog_filter_param(w->resource,
															   f->param);

			keep_known(w->resource, f->param, f);
			if (f->nvalues == 0)
				w->plan->no_rows = true;
			if (f->kind != ECS_FILTER_EACH && def != NULL &&
				def->max_values > 0 && f->nvalues > def->max_values)
				drop_filter(groups[g], counts[g], i);
		}
	}
}

/*
 * drop_wide_closed
 *		Several values of a closed set stay local (ecs_plan_stays_local).
 */
static void
drop_wide_closed(PlanWork *w)
{
	int			i;

	for (i = w->neach - 1; i >= 0; i--)
	{
		if (ecs_plan_stays_local(w->resource, ECS_FILTER_EACH,
								 w->each[i].param, w->each[i].nvalues))
			drop_filter(w->each, &w->neach, i);
	}
}

/*
 * default_aliases
 *		Without ImageOwnerAlias the API lists system, self and others
 *		images (community ones included), never marketplace ones: so every
 *		alias is one request without an alias ("") and one for marketplace.
 */
static void
default_aliases(PlanWork *w)
{
	static const char *const any[] = {"", MARKETPLACE};

	if (w->resource == ECS_RESOURCE_IMAGES && w->all_aliases)
		copy_values(&w->aliases, any, lengthof(any));
}

/*
 * cap_combinations
 *		Every combination of aliases and values is one listing: while there
 *		are too many, the filter with most values stays local.
 */
static void
cap_combinations(PlanWork *w)
{
	for (;;)
	{
		int64		n = Max(1, w->aliases.nvalues);
		int			widest = -1;
		int			i;

		for (i = 0; i < w->neach; i++)
		{
			n *= w->each[i].nvalues;
			if (widest < 0 || w->each[i].nvalues > w->each[widest].nvalues)
				widest = i;
		}
		if (n <= ECS_MAX_PARAM_SETS || widest < 0)
			break;
		drop_filter(w->each, &w->neach, widest);
	}
}

/*
 * lookup_by_image
 *		A lookup by image id finds the image whatever its owner alias: one
 *		request without an alias, one more for marketplace if the table
 *		shows those, and rows outside the table's aliases are dropped by
 *		the scan.  Permissions are listed per image id, or per own image.
 */
static void
lookup_by_image(PlanWork *w)
{
	bool		by_image = false;
	int			i;

	for (i = 0; i < w->neach; i++)
		by_image |= strcmp(w->each[i].param, "ImageId") == 0;
	if (by_image && w->resource == ECS_RESOURCE_IMAGES &&
		w->aliases.nvalues > 1)
	{
		bool		marketplace = false;

		for (i = 0; i < w->aliases.nvalues; i++)
			marketplace |= strcmp(w->aliases.values[i], MARKETPLACE) == 0;
		if (!w->all_aliases)
		{
			w->plan->alias_check = w->aliases.values;
			w->plan->nalias_check = w->aliases.nvalues;
			w->plan->extra_field = "ImageOwnerAlias";
		}
		w->aliases.values = palloc(sizeof(char *) * 2);
		w->aliases.values[0] = "";
		w->aliases.values[1] = MARKETPLACE;
		w->aliases.nvalues = marketplace ? 2 : 1;
	}
	if (w->resource == ECS_RESOURCE_SHARE_PERMISSIONS)
	{
		w->plan->lenient |= by_image;
		w->plan->per_own_image = (w->neach == 0);
	}
}

/*
 * build_param_sets
 *		One parameter set per combination of an owner alias and a value of
 *		each ECS_FILTER_EACH filter; each set also has the list filters,
 *		the tags and, for images without a Status filter, every status.
 */
static void
build_param_sets(PlanWork *w)
{
	EcsParams  *sets;
	int			nsets = Max(1, w->aliases.nvalues);
	int			i;

	sets = palloc0(sizeof(EcsParams) * nsets);
	for (i = 0; i < w->aliases.nvalues; i++)
	{
		if (w->aliases.values[i][0] != '\0')
			ecs_params_add(&sets[i], "ImageOwnerAlias", w->aliases.values[i]);
	}
	for (i = 0; i < w->neach; i++)
	{
		const EcsPlanFilter *f = &w->each[i];
		EcsParams  *next = palloc0(sizeof(EcsParams) * nsets * f->nvalues);
		int			s;
		int			v;
		int			k;

		for (s = 0; s < nsets; s++)
		{
			for (v = 0; v < f->nvalues; v++)
			{
				EcsParams  *p = &next[s * f->nvalues + v];

				for (k = 0; k < sets[s].count; k++)
					ecs_params_add(p, sets[s].items[k].name,
								   sets[s].items[k].value);
				ecs_params_add(p, f->param, f->values[v]);
			}
		}
		sets = next;
		nsets *= f->nvalues;
	}
	for (i = 0; i < nsets; i++)
		add_list_params(w, &sets[i]);
	w->plan->param_sets = sets;
	w->plan->nparam_sets = nsets;
}

/*
 * add_list_params
 *		Add to one parameter set what every set has: the list filters
 *		(comma-separated, or a JSON array), or for images every status, and
 *		the tags as Tag.N.Key and Tag.N.Value.
 */
static void
add_list_params(PlanWork *w, EcsParams *p)
{
	int			i;
	int			v;

	if (w->resource == ECS_RESOURCE_IMAGES && w->nlists == 0)
		ecs_params_add(p, "Status", ECS_ALL_IMAGE_STATUSES);
	for (i = 0; i < w->nlists; i++)
	{
		const EcsPlanFilter *f = &w->lists[i];
		bool		json = (f->kind == ECS_FILTER_JSON_LIST);
		StringInfoData joined;

		initStringInfo(&joined);
		if (json)
			appendStringInfoChar(&joined, '[');
		for (v = 0; v < f->nvalues; v++)
		{
			if (v > 0)
				appendStringInfoChar(&joined, ',');
			if (json)
				append_json_string(&joined, f->values[v]);
			else
				appendStringInfoString(&joined, f->values[v]);
		}
		if (json)
			appendStringInfoChar(&joined, ']');
		ecs_params_add(p, f->param, joined.data);
	}
	for (i = 0; i + 1 < w->ntags; i += 2)
	{
		ecs_params_add(p, psprintf("Tag.%d.Key", i / 2 + 1), w->tags[i]);
		ecs_params_add(p, psprintf("Tag.%d.Value", i / 2 + 1), w->tags[i + 1]);
	}
}

/*
 * append_json_string
 *		s as a JSON string, escaped as PostgreSQL's escape_json does.
 */
static void
append_json_string(StringInfo buf, const char *s)
{
	static const char special[] = "\b\f\n\r\t\"\\";
	static const char letter[] = "bfnrt\"\\";

	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		const char *c = strchr(special, *s);

		if (c != NULL)
			appendStringInfo(buf, "\\%c", letter[c - special]);
		else if ((unsigned char) *s < ' ')
			appendStringInfo(buf, "\\u%04x", (int) *s);
		else
			appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * describe_filter
 *		"Name = value" or "Name IN (a, b)", after a comma if buf is not
 *		empty; an empty value shows as "".
 */
static void
describe_filter(StringInfo buf, const char *name, const char *const *values,
				int n)
{
	int			i;

	appendStringInfo(buf, "%s%s %s", buf->len > 0 ? ", " : "", name,
					 n == 1 ? "=" : "IN (");
	for (i = 0; i < n; i++)
		appendStringInfo(buf, "%s%s", i > 0 ? ", " : n == 1 ? " " : "",
						 values[i][0] ? values[i] : "\"\"");
	if (n != 1)
		appendStringInfoChar(buf, ')');
}

/*
 * describe_plan
 *		What EXPLAIN says of the API filters and of the account condition.
 */
static void
describe_plan(PlanWork *w)
{
	static const char *const any[] = {"(any)"};
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	if (w->resource == ECS_RESOURCE_IMAGES)
	{
		if (w->plan->nalias_check > 0)
			describe_filter(&buf, "ImageOwnerAlias", w->plan->alias_check,
							w->plan->nalias_check);
		else if (w->aliases.nvalues > 0)
			describe_filter(&buf, "ImageOwnerAlias", w->aliases.values,
							w->aliases.nvalues);
		else
			describe_filter(&buf, "ImageOwnerAlias", any, 1);
	}
	for (i = 0; i < w->neach; i++)
		describe_filter(&buf, w->each[i].param, w->each[i].values,
						w->each[i].nvalues);
	for (i = 0; i < w->nlists; i++)
		describe_filter(&buf, w->lists[i].param, w->lists[i].values,
						w->lists[i].nvalues);
	for (i = 0; i + 1 < w->ntags; i += 2)
		appendStringInfo(&buf, "%sTag %s = %s", buf.len > 0 ? ", " : "",
						 w->tags[i], w->tags[i + 1]);
	w->plan->explain = buf.data;

	if (w->accounts.nvalues > 0)
	{
		initStringInfo(&buf);
		describe_filter(&buf, "account_id", w->accounts.values,
						w->accounts.nvalues);
		w->plan->explain_accounts = buf.data;
	}
}

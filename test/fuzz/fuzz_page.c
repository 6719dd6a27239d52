/*-------------------------------------------------------------------------
 *
 * fuzz_page.c
 *		  libFuzzer target for the listing-page decoder, ecs_decode_page
 *		  (src/page.c).
 *
 * The input is a response body, used as is: exactly len bytes, without a
 * terminating NUL, so a read one byte past the body is reported.  Each
 * body is decoded with every field spec the extension uses (the scan of
 * each resource with a column of every kind, fanout.c's region and image
 * id listings, count(*) with no field, and the two of imageops.c), and
 * each outcome is compared with a model built from the reference parser in
 * fuzz_json.c:
 *
 *	- the verdict: a body is accepted if and only if it is one valid JSON
 *	  object in valid UTF-8 whose list is well formed (see model_page and
 *	  model_item_ok: every item has its identifier, members have types
 *	  their columns can take, TotalCount is a count), except within one
 *	  level of the nesting limit of 64, where only the values are checked;
 *	- the row count, and for every row and field the exact text, NULL
 *	  included, that page.c documents for the field's kind;
 *	- TotalCount, PageNumber and NextToken;
 *	- every value is NUL-terminated and valid UTF-8, and the jsonb ones are
 *	  valid JSON.
 *
 * With FUZZ_VERBOSE set in the environment, each verdict is printed.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_page.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdint.h>

#include "mb/pg_wchar.h"

#include "ecs_image_fdw.h"
#include "fuzz_json.h"
#include "fuzz_stub.h"

/* One way the extension calls ecs_decode_page */
typedef struct PageSpec
{
	const char *list_name;
	const char *item_name;
	const char *key_name;		/* the member every item must have */
	const EcsField *fields;
	int			nfields;
	bool		with_request;	/* pass request_params, or NULL */
} PageSpec;

/* the images table, one column of every kind, a duplicate and a stranger */
static const EcsField image_fields[] = {
	{"RegionId", ECS_FIELD_PARAM},
	{"ImageId", ECS_FIELD_SCALAR},
	{"ImageName", ECS_FIELD_SCALAR},
	{"Status", ECS_FIELD_SCALAR},
	{"Progress", ECS_FIELD_PERCENT},
	{"Size", ECS_FIELD_PERCENT},
	{"IsSelfShared", ECS_FIELD_SCALAR},
	{"CreationTime", ECS_FIELD_SCALAR},
	{"Tags", ECS_FIELD_TAGS},
	{"DiskDeviceMappings", ECS_FIELD_JSON},
	{"Features", ECS_FIELD_JSON},
	{"*", ECS_FIELD_RAW},
	{"ImageOwnerAlias", ECS_FIELD_SCALAR},
	{"ImageId", ECS_FIELD_JSON},
	{"Tags", ECS_FIELD_JSON},
	{"NoSuchMember", ECS_FIELD_SCALAR},
	{"ImageOwnerId", ECS_FIELD_PARAM}
};

static const EcsField share_fields[] = {
	{"RegionId", ECS_FIELD_PARAM},
	{"ImageId", ECS_FIELD_PARAM},
	{"AliyunId", ECS_FIELD_SCALAR},
	{"SharedTime", ECS_FIELD_SCALAR}
};

static const EcsField region_fields[] = {
	{"RegionId", ECS_FIELD_SCALAR},
	{"LocalName", ECS_FIELD_SCALAR},
	{"RegionEndpoint", ECS_FIELD_SCALAR},
	{"Status", ECS_FIELD_SCALAR}
};

static const EcsField task_fields[] = {
	{"RegionId", ECS_FIELD_PARAM},
	{"TaskId", ECS_FIELD_SCALAR},
	{"TaskAction", ECS_FIELD_SCALAR},
	{"TaskStatus", ECS_FIELD_SCALAR},
	{"TaskProcess", ECS_FIELD_PERCENT},
	{"SupportCancel", ECS_FIELD_SCALAR},
	{"CreationTime", ECS_FIELD_SCALAR},
	{"FinishedTime", ECS_FIELD_SCALAR},
	{"ResourceId", ECS_FIELD_SCALAR}
};

/* fanout.c */
static const EcsField region_id_field = {"RegionId", ECS_FIELD_SCALAR};
static const EcsField image_id_field = {"ImageId", ECS_FIELD_SCALAR};

/* imageops.c */
static const EcsField wait_image_fields[] = {
	{"Status", ECS_FIELD_SCALAR}, {"Progress", ECS_FIELD_SCALAR}
};
static const EcsField execution_fields[] = {
	{"ExecutionId", ECS_FIELD_SCALAR}, {"Status", ECS_FIELD_SCALAR},
	{"StatusMessage", ECS_FIELD_SCALAR}, {"Outputs", ECS_FIELD_SCALAR}
};

static const PageSpec specs[] = {
	/* scan.c: each resource, and count(*) */
	{"Images", "Image", "ImageId", image_fields, lengthof(image_fields), true},
	{"Images", "Image", "ImageId", NULL, 0, true},
	{"Accounts", "Account", "AliyunId", share_fields, lengthof(share_fields),
	true},
	{"Regions", "Region", "RegionId", region_fields, lengthof(region_fields),
	false},
	{"TaskSet", "Task", "TaskId", task_fields, lengthof(task_fields), true},
	/* fanout.c */
	{"Images", "Image", "ImageId", &image_id_field, 1, false},
	{"Regions", "Region", "RegionId", &region_id_field, 1, false},
	/* imageops.c */
	{"Images", "Image", "ImageId", wait_image_fields,
	lengthof(wait_image_fields), false},
	{"Executions", "Execution", "ExecutionId", execution_fields,
	lengthof(execution_fields), false},
	/* no identifier required (no caller does that today) */
	{"Images", "Image", NULL, image_fields, lengthof(image_fields), true},
	{"Images", "Image", NULL, NULL, 0, false}
};

static EcsParam request_items[] = {
	{"RegionId", "cn-hangzhou"},
	{"ImageOwnerAlias", "self"},
	{"ImageId", "m-bp1fuzz"},
	{"RegionId", "cn-shanghai"}
};
static const EcsParams request_params = {request_items,
lengthof(request_items), lengthof(request_items)};

/* FUZZ_VERBOSE set in the environment: print each verdict */
static bool verbose = false;

/* What page.c must make of a body, per the model */
typedef struct Expected
{
	bool		ok;
	int			nrows;
	RjNode	  **items;
	int64		total_count;
	int			page_number;
	char	   *next_token;
} Expected;

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * model_unwrap
 *		page.c's unwrap: an object whose only member is an array stands for
 *		that array.
 */
static const RjNode *
model_unwrap(const RjNode *v)
{
	if (v->type == RJ_OBJECT && v->n == 1 && v->items[0]->type == RJ_ARRAY)
		return v->items[0];
	return v;
}

/*
 * model_tags
 *		The jsonb text of a Tags member: {key: value, ...} from a list of
 *		{"TagKey"|"Key": string, "TagValue"|"Value": any}, in order.
 */
static char *
model_tags(const RjNode *v)
{
	const RjNode *list = model_unwrap(v);
	StringInfoData buf;
	bool		first = true;
	int			i;

	if (list->type != RJ_ARRAY)
		return rj_text(v);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < list->n; i++)
	{
		const RjNode *tag = list->items[i];
		const RjNode *key = rj_first(tag, "TagKey");
		const RjNode *value;

		if (key == NULL)
			key = rj_first(tag, "Key");
		if (key == NULL || key->type != RJ_STRING)
			continue;
		if (!first)
			appendStringInfoChar(&buf, ',');
		first = false;
		appendBinaryStringInfo(&buf, key->start, key->end - key->start);
		appendStringInfoChar(&buf, ':');
		value = rj_first(tag, "TagValue");
		if (value == NULL)
			value = rj_first(tag, "Value");
		if (value != NULL)
			appendBinaryStringInfo(&buf, value->start,
								   value->end - value->start);
		else
			appendStringInfoString(&buf, "null");
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * model_field
 *		The text page.c documents for one field of one listed item.
 */
static const char *
model_field(const RjNode *item, const EcsField *field,
			const EcsParams *request)
{
	const RjNode *v;
	char	   *text;
	int			i;

	switch (field->kind)
	{
		case ECS_FIELD_PARAM:
			for (i = 0; request != NULL && i < request->count; i++)
				if (strcmp(request->items[i].name, field->name) == 0)
					return request->items[i].value;
			return NULL;
		case ECS_FIELD_RAW:
			return rj_text(item);
		default:
			break;
	}
	v = rj_first(item, field->name);
	if (v == NULL || v->type == RJ_NULL)
		return NULL;
	switch (field->kind)
	{
		case ECS_FIELD_JSON:
			return rj_text(model_unwrap(v));
		case ECS_FIELD_TAGS:
			return model_tags(v);
		default:
			break;
	}
	text = (v->type == RJ_STRING) ? pstrdup(v->string) : rj_text(v);
	if (field->kind == ECS_FIELD_PERCENT)
	{
		size_t		n = strlen(text);

		if (n > 0 && text[n - 1] == '%')
			text[n - 1] = '\0';
	}
	return text;
}

/*
 * model_item_ok
 *		Whether a listed item passes page.c's checks: with a key_name, it
 *		is an object whose every key_name member is a non-empty string (in
 *		its JSON text), and there is one; the first member for each field
 *		has a type the field's kind can take (no object or array for a
 *		scalar, an object, array or null for tags).
 */
static bool
model_item_ok(const RjNode *item, const PageSpec *spec)
{
	bool		have_key = false;
	int			i;
	int			f;

	if (item->type != RJ_OBJECT)
		return spec->key_name == NULL;
	for (i = 0; spec->key_name != NULL && i < item->n; i++)
	{
		const RjNode *v = item->items[i];

		if (strcmp(item->keys[i], spec->key_name) != 0)
			continue;
		if (v->type != RJ_STRING || v->end - v->start <= 2)
			return false;
		have_key = true;
	}
	if (spec->key_name != NULL && !have_key)
		return false;
	for (f = 0; f < spec->nfields; f++)
	{
		const EcsField *field = &spec->fields[f];
		const RjNode *v;

		if (field->kind == ECS_FIELD_PARAM || field->kind == ECS_FIELD_RAW)
			continue;
		if ((v = rj_first(item, field->name)) == NULL)
			continue;
		if ((field->kind == ECS_FIELD_SCALAR ||
			 field->kind == ECS_FIELD_PERCENT) &&
			(v->type == RJ_OBJECT || v->type == RJ_ARRAY))
			return false;
		if (field->kind == ECS_FIELD_TAGS &&
			v->type != RJ_OBJECT && v->type != RJ_ARRAY && v->type != RJ_NULL)
			return false;
	}
	return true;
}

/*
 * model_list
 *		Take the array v as the list: every item must pass.
 */
static void
model_list(const RjNode *v, const PageSpec *spec, Expected *e)
{
	int			i;

	for (i = 0; i < v->n; i++)
		if (!model_item_ok(v->items[i], spec))
			e->ok = false;
	e->nrows = v->n;
	e->items = v->items;
}

/*
 * model_count
 *		TotalCount: 1 to 18 digits, bare or as a string (escapes are not
 *		digits); -1 for anything else.
 */
static int64
model_count(const RjNode *v)
{
	const char *p = v->start;
	const char *end = v->end;
	int64		n = 0;

	if (v->type == RJ_STRING)
		p++, end--;
	if (p == end || end - p > 18)
		return -1;
	for (; p < end; p++)
	{
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/*
 * model_page
 *		What ecs_decode_page must return for root (NULL if the body is not
 *		valid JSON): it must be a JSON object in valid UTF-8, its first
 *		list_name member an array, null, or an object in which every
 *		item_name member is null or an array, and only the first non-empty
 *		such array is the list; every item must pass model_item_ok, and
 *		every TotalCount be a count.
 */
static void
model_page(const RjNode *root, bool body_utf8, const PageSpec *spec,
		   Expected *e)
{
	bool		have_list = false;
	int			i;

	memset(e, 0, sizeof(Expected));
	e->total_count = -1;
	if (root == NULL || root->type != RJ_OBJECT || !body_utf8)
		return;
	e->ok = true;
	for (i = 0; i < root->n; i++)
	{
		const char *key = root->keys[i];
		const RjNode *v = root->items[i];

		if (!have_list && strcmp(key, spec->list_name) == 0)
		{
			have_list = true;
			if (v->type == RJ_ARRAY)
				model_list(v, spec, e);
			else if (v->type == RJ_OBJECT)
			{
				int			j;

				for (j = 0; j < v->n; j++)
				{
					const RjNode *w = v->items[j];

					if (strcmp(v->keys[j], spec->item_name) != 0 ||
						w->type == RJ_NULL)
						continue;
					if (w->type == RJ_ARRAY && e->nrows == 0)
						model_list(w, spec, e);
					else
						e->ok = false;	/* not a list, or a second one */
				}
			}
			else if (v->type != RJ_NULL)
				e->ok = false;
			continue;
		}
		if (v->type == RJ_NULL)
			continue;
		if (strcmp(key, "TotalCount") == 0)
		{
			if ((e->total_count = model_count(v)) < 0)
				e->ok = false;
		}
		else if (strcmp(key, "PageNumber") == 0)
			e->page_number = atoi(v->start + (v->type == RJ_STRING));
		else if (strcmp(key, "NextToken") == 0 && v->type == RJ_STRING &&
				 v->end - v->start > 2)
			e->next_token = v->string;
	}
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
valid_utf8(const char *s)
{
	int			len = (int) strlen(s);

	return pg_encoding_verifymbstr(PG_UTF8, s, len) == len;
}

/*
 * check_spec
 *		Decode the body with one spec and compare with the model.
 */
static void
check_spec(const char *body, size_t len, const RjNode *root, int level,
		   bool body_utf8, const PageSpec *spec)
{
	const EcsParams *request = spec->with_request ? &request_params : NULL;
	EcsPage		page;
	volatile bool ok = false;
	volatile bool threw;
	Expected	e;
	int			r;
	int			f;

	FUZZ_CALL(threw, ok = ecs_decode_page(body, len, spec->list_name,
										  spec->item_name, spec->key_name,
										  spec->fields, spec->nfields,
										  request, &page));
	if (threw)
		return;					/* an ERROR is an accepted outcome */

	model_page(root, body_utf8, spec, &e);
	if (verbose)
		fprintf(stderr, "%s/%s key %s, %d fields: %s, %d rows (model: %s, %d rows; nesting %d)\n",
				spec->list_name, spec->item_name,
				spec->key_name ? spec->key_name : "none", spec->nfields,
				ok ? "accepted" : "rejected", ok ? page.nrows : 0,
				e.ok ? "accept" : "reject", e.nrows, level);
	if (level <= 64)
		FUZZ_CHECK(ok == e.ok);
	else if (level >= 66)
		FUZZ_CHECK(!ok);
	if (!ok)
		return;
	/* only valid JSON in UTF-8 may be accepted */
	FUZZ_CHECK(root != NULL && body_utf8);

	FUZZ_CHECK(page.nfields == spec->nfields);
	FUZZ_CHECK(page.nrows == e.nrows);
	FUZZ_CHECK(page.nrows == 0 || page.nfields == 0 || page.values != NULL);
	FUZZ_CHECK(page.total_count == e.total_count);
	FUZZ_CHECK(page.page_number == e.page_number);
	FUZZ_CHECK(same_text(page.next_token, e.next_token));
	FUZZ_CHECK(page.next_token == NULL || valid_utf8(page.next_token));

	for (r = 0; r < page.nrows && page.nfields > 0; r++)
	{
		for (f = 0; f < page.nfields; f++)
		{
			const char *got = page.values[(size_t) r * page.nfields + f];
			const char *want = model_field(e.items[r], &spec->fields[f],
										   request);
			EcsFieldKind kind = spec->fields[f].kind;

			if (!same_text(got, want))
			{
				fprintf(stderr, "row %d field %s (kind %d): got %s, want %s\n",
						r, spec->fields[f].name, (int) kind,
						got ? got : "NULL", want ? want : "NULL");
				FUZZ_CHECK(same_text(got, want));
			}
			if (got == NULL)
				continue;
			if (kind == ECS_FIELD_JSON || kind == ECS_FIELD_TAGS ||
				kind == ECS_FIELD_RAW)
				FUZZ_CHECK(rj_valid(got, strlen(got)));
			FUZZ_CHECK(valid_utf8(got));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *) data;
	RjNode	   *root;
	int			level;
	bool		body_utf8;
	int			i;

	if (size > INT_MAX)
		return 0;
	fuzz_begin();
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	root = rj_parse(body, size, &level);
	body_utf8 = pg_encoding_verifymbstr(PG_UTF8, body, (int) size) == (int) size;
	for (i = 0; i < lengthof(specs); i++)
		check_spec(body, size, root, level, body_utf8, &specs[i]);
	fuzz_end();
	return 0;
}

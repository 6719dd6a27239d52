/*-------------------------------------------------------------------------
 *
 * decode.c
 *		  Decoding API responses; the only file that includes json-c.
 *
 * Responses are parsed with json-c and turned at once into palloc'd C
 * strings, one per requested field of each listed object; every json-c
 * object is released before returning, also when an error is thrown.  The
 * API is lax about scalar types (a Boolean may come as "True", a number as
 * a string), so every scalar becomes its text and the column's input
 * function has the last word.
 *
 * This file must not include utils/builtins.h: json-c's json_object type
 * collides with the json_object() SQL function declared there.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/decode.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <json-c/json.h>

#include "ecs_image_fdw.h"

#define JSON_TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static json_object *parse_body(const char *body, size_t len);
static json_object *member(json_object *obj, const char *name);
static json_object *unwrap(json_object *v);
static char *scalar_text(json_object *v);
static char *json_text(json_object *v);
static char *tags_text(json_object *v);
static char *field_text(json_object *item, const EcsField *field,
						const EcsParams *request);
static void decode_items(json_object *list, const EcsField *fields,
						 int nfields, const EcsParams *request,
						 EcsPage *page);

/*
 * parse_body
 *		Parse a response body; NULL unless it is one JSON object.
 */
static json_object *
parse_body(const char *body, size_t len)
{
	json_tokener *tok;
	json_object *root;
	bool		trailing = false;

	if (body == NULL || len == 0 || len > INT_MAX)
		return NULL;
	tok = json_tokener_new();
	if (tok == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	root = json_tokener_parse_ex(tok, body, (int) len);
	if (json_tokener_get_error(tok) == json_tokener_success)
	{
		/* only white space may follow the object */
		size_t		end = json_tokener_get_parse_end(tok);

		while (end < len && isspace((unsigned char) body[end]))
			end++;
		trailing = (end < len);
	}
	if (json_tokener_get_error(tok) != json_tokener_success || trailing ||
		!json_object_is_type(root, json_type_object))
	{
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/*
 * member
 *		obj's member name, or NULL.
 */
static json_object *
member(json_object *obj, const char *name)
{
	json_object *v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

/*
 * unwrap
 *		The API wraps lists as {"Things": {"Thing": [...]}}; given the outer
 *		object's value, return the array inside.  Other values come back
 *		unchanged.
 */
static json_object *
unwrap(json_object *v)
{
	if (v != NULL && json_object_is_type(v, json_type_object) &&
		json_object_object_length(v) == 1)
	{
		json_object_object_foreach(v, key, inner)
		{
			(void) key;
			if (json_object_is_type(inner, json_type_array))
				return inner;
		}
	}
	return v;
}

/*
 * scalar_text
 *		The text of a scalar value; JSON text for objects and arrays; NULL
 *		for null.
 */
static char *
scalar_text(json_object *v)
{
	switch (json_object_get_type(v))
	{
		case json_type_null:
			return NULL;
		case json_type_string:
			return pnstrdup(json_object_get_string(v),
							json_object_get_string_len(v));
		case json_type_boolean:
			return pstrdup(json_object_get_boolean(v) ? "true" : "false");
		case json_type_int:
			return psprintf(INT64_FORMAT, json_object_get_int64(v));
		case json_type_double:
			return pstrdup(json_object_get_string(v));
		default:
			return json_text(v);
	}
}

/*
 * json_text
 *		v as compact JSON text (palloc'd).
 */
static char *
json_text(json_object *v)
{
	if (v == NULL || json_object_is_type(v, json_type_null))
		return NULL;
	return pstrdup(json_object_to_json_string_ext(v, JSON_TEXT_FLAGS));
}

/*
 * tags_text
 *		{"Tag": [{"TagKey": k, "TagValue": v}, ...]} as {"k": "v", ...}.
 */
static char *
tags_text(json_object *v)
{
	json_object *list = unwrap(v);
	json_object *map;
	char	   *result;
	size_t		i;

	if (list == NULL || !json_object_is_type(list, json_type_array))
		return json_text(v);

	map = json_object_new_object();
	if (map == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	for (i = 0; i < json_object_array_length(list); i++)
	{
		json_object *tag = json_object_array_get_idx(list, i);
		json_object *key = member(tag, "TagKey");
		json_object *value = member(tag, "TagValue");

		if (key == NULL)
			key = member(tag, "Key");
		if (value == NULL)
			value = member(tag, "Value");
		if (key == NULL || !json_object_is_type(key, json_type_string))
			continue;
		json_object_object_add(map, json_object_get_string(key),
							   value ? json_object_get(value) : NULL);
	}
	/* copy out before freeing; pstrdup cannot fail without throwing */
	PG_TRY();
	{
		result = pstrdup(json_object_to_json_string_ext(map, JSON_TEXT_FLAGS));
	}
	PG_FINALLY();
	{
		json_object_put(map);
	}
	PG_END_TRY();
	return result;
}

/*
 * field_text
 *		The text of one field of item, or NULL if the item lacks it.
 */
static char *
field_text(json_object *item, const EcsField *field, const EcsParams *request)
{
	json_object *v;
	char	   *text;
	int			i;

	switch (field->kind)
	{
		case ECS_FIELD_PARAM:
			for (i = 0; request != NULL && i < request->count; i++)
			{
				if (strcmp(request->items[i].name, field->name) == 0)
					return (char *) request->items[i].value;
			}
			return NULL;
		case ECS_FIELD_RAW:
			return json_text(item);
		default:
			break;
	}

	v = member(item, field->name);
	if (v == NULL)
		return NULL;

	switch (field->kind)
	{
		case ECS_FIELD_JSON:
			return json_text(unwrap(v));
		case ECS_FIELD_TAGS:
			return tags_text(v);
		case ECS_FIELD_PERCENT:
			text = scalar_text(v);
			if (text != NULL)
			{
				size_t		n = strlen(text);

				if (n > 0 && text[n - 1] == '%')
					text[n - 1] = '\0';
			}
			return text;
		default:
			return scalar_text(v);
	}
}

/*
 * decode_items
 *		Fill page->values from the objects of list.
 */
static void
decode_items(json_object *list, const EcsField *fields, int nfields,
			 const EcsParams *request, EcsPage *page)
{
	int			n = (int) json_object_array_length(list);
	int			i;

	page->nrows = n;
	page->nfields = nfields;
	if (n == 0 || nfields == 0)
		return;
	page->values = palloc(sizeof(char *) * n * nfields);
	for (i = 0; i < n; i++)
	{
		json_object *item = json_object_array_get_idx(list, i);
		char	  **row = page->values + (size_t) i * nfields;
		int			f;

		for (f = 0; f < nfields; f++)
			row[f] = field_text(item, &fields[f], request);
	}
}

/*
 * ecs_decode_error
 *		Read the error envelope of a failed call into err.  Returns false if
 *		the body is not a JSON object.
 */
bool
ecs_decode_error(const char *body, size_t len, EcsApiError *err)
{
	json_object *root = parse_body(body, len);

	if (root == NULL)
		return false;
	PG_TRY();
	{
		json_object *v;

		if ((v = member(root, "Code")) != NULL || (v = member(root, "code")) != NULL)
			err->code = scalar_text(v);
		if ((v = member(root, "Message")) != NULL || (v = member(root, "message")) != NULL)
			err->message = scalar_text(v);
		if ((v = member(root, "RequestId")) != NULL || (v = member(root, "requestId")) != NULL)
			err->request_id = scalar_text(v);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return true;
}

/*
 * ecs_decode_page
 *		Decode one page of a Describe or List call: its paging fields and,
 *		for each object in list_name (wrapped as {item_name: [...]} or a
 *		plain array), the text of each of fields; ECS_FIELD_PARAM fields
 *		come from the request's parameters.  Returns false if the body is
 *		not a well-formed answer.
 */
bool
ecs_decode_page(const char *body, size_t len,
				const char *list_name, const char *item_name,
				const EcsField *fields, int nfields, const EcsParams *request,
				EcsPage *page)
{
	json_object *root = parse_body(body, len);
	bool		ok = true;

	memset(page, 0, sizeof(EcsPage));
	page->total_count = -1;
	if (root == NULL)
		return false;

	PG_TRY();
	{
		json_object *v;
		json_object *list;

		if ((v = member(root, "TotalCount")) != NULL)
			page->total_count = json_object_get_int64(v);
		if ((v = member(root, "PageNumber")) != NULL)
			page->page_number = json_object_get_int(v);
		if ((v = member(root, "NextToken")) != NULL &&
			json_object_is_type(v, json_type_string) &&
			json_object_get_string_len(v) > 0)
			page->next_token = pstrdup(json_object_get_string(v));

		list = member(root, list_name);
		if (list != NULL && json_object_is_type(list, json_type_object))
			list = member(list, item_name);
		if (list == NULL)
			page->nfields = nfields;	/* an empty list may be left out */
		else if (json_object_is_type(list, json_type_array))
			decode_items(list, fields, nfields, request, page);
		else
			ok = false;
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return ok;
}

/*
 * ecs_decode_object
 *		Read values out of a single-object answer: for each of paths (member
 *		names joined by dots, array positions as numbers, such as
 *		"Execution.ExecutionId" or "OperationProgressSet.OperationProgress.0.ErrorMsg"),
 *		the value as text, JSON text for objects and arrays, or NULL when
 *		absent.  Returns false if the body is not a JSON object.
 */
bool
ecs_decode_object(const char *body, size_t len, const char *const *paths,
				  int npaths, char **values)
{
	json_object *root = parse_body(body, len);
	int			i;

	if (root == NULL)
		return false;
	PG_TRY();
	{
		for (i = 0; i < npaths; i++)
		{
			char	   *path = pstrdup(paths[i]);
			char	   *part;
			char	   *save = NULL;
			json_object *v = root;

			for (part = strtok_r(path, ".", &save); part != NULL && v != NULL;
				 part = strtok_r(NULL, ".", &save))
			{
				if (json_object_is_type(v, json_type_array))
				{
					char	   *end;
					long		idx = strtol(part, &end, 10);

					v = (*end == '\0' && idx >= 0 &&
						 (size_t) idx < json_object_array_length(v)) ?
						json_object_array_get_idx(v, idx) : NULL;
				}
				else
					v = member(v, part);
			}
			values[i] = v ? scalar_text(v) : NULL;
			pfree(path);
		}
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return true;
}

/*-------------------------------------------------------------------------
 *
 * decode.c
 *		  Decoding error envelopes and single-object answers; the only file
 *		  that includes json-c.  (Listing pages, the hot path, are read by
 *		  the scanner in page.c.)
 *
 * Answers are parsed with json-c and the values wanted are copied at once
 * into palloc'd C strings; every json-c object is released before
 * returning, also when an error is thrown.  The API is lax about scalar
 * types (a Boolean may come as "True", a number as a string), so every
 * scalar becomes its text and the caller decides what it means.
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

#include "mb/pg_wchar.h"

#include "ecs_image_fdw.h"

#define JSON_TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static json_object *parse_body(const char *body, size_t len);
static json_object *member(json_object *obj, const char *name);
static char *scalar_text(json_object *v);
static char *json_text(json_object *v);
static json_object *lookup(json_object *root, const char *path);

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

	/* JSON is UTF-8; a NUL byte is invalid too */
	if (body == NULL || len == 0 || len > INT_MAX ||
		!pg_verify_mbstr(PG_UTF8, body, (int) len, true))
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
 * lookup
 *		The value at path (member names joined by dots, array positions as
 *		numbers) in root, or NULL.
 */
static json_object *
lookup(json_object *root, const char *path)
{
	char	   *copy = pstrdup(path);
	char	   *part;
	char	   *save = NULL;
	json_object *v = root;

	for (part = strtok_r(copy, ".", &save); part != NULL && v != NULL;
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
	pfree(copy);
	return v;
}

/*
 * ecs_decode_id
 *		The identifier at path of a single-object answer (such as the
 *		ImageId of CreateImage): a non-empty JSON string, or NULL if it is
 *		absent, of another type or the body is not a JSON object.
 */
char *
ecs_decode_id(const char *body, size_t len, const char *path)
{
	json_object *root = parse_body(body, len);
	char	   *id = NULL;

	if (root == NULL)
		return NULL;
	PG_TRY();
	{
		json_object *v = lookup(root, path);

		/* non-empty, and no \u0000 in it that would cut the C string */
		if (v != NULL && json_object_is_type(v, json_type_string) &&
			json_object_get_string_len(v) > 0 &&
			strlen(json_object_get_string(v)) ==
			(size_t) json_object_get_string_len(v))
			id = scalar_text(v);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return id;
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
			json_object *v = lookup(root, paths[i]);

			values[i] = v ? scalar_text(v) : NULL;
		}
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return true;
}

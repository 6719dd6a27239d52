/*-------------------------------------------------------------------------
 *
 * fuzz_decode.c
 *		  libFuzzer target for the json-c based decoders of src/decode.c:
 *		  ecs_decode_error (the error envelope), ecs_decode_object (values
 *		  by dotted path) and ecs_decode_id (an identifier by path).
 *
 * The input is a response body, exactly len bytes without a terminating
 * NUL.  An input that starts with '#' carries one more path to look up:
 * the text up to the first newline (after the '#'); the rest is the body.
 * Besides the paths the extension uses, a few odd ones are always asked
 * for (empty, dots only, negative, huge and signed array positions).
 *
 * Checked for every input:
 *	- the functions accept exactly the same bodies (they share one parser),
 *	  and only bodies in valid UTF-8;
 *	- every body in UTF-8 that the reference parser (fuzz_json.c) takes for
 *	  a valid JSON object is accepted, unless nested deeper than json-c's
 *	  limit;
 *	- an identifier is NULL or a non-empty string, and comes back exactly
 *	  for a string without \u0000;
 *	- every value is NUL-terminated; for a valid body whose member names
 *	  have no escapes, each value is present exactly when the model finds
 *	  it (a member named twice counts with its last value, as in json-c),
 *	  objects and arrays come back as valid JSON, and strings without
 *	  escapes, Booleans and ordinary numbers exactly as the body has them;
 *	- the error paths: each input is run a second time with one palloc,
 *	  picked by the input, failing with the backend's out-of-memory ERROR.
 *	  The ERROR must reach the caller, and the json-c objects must have been
 *	  released on the way (LeakSanitizer reports them otherwise).
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_decode.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdint.h>

#include "mb/pg_wchar.h"

#include "ecs_image_fdw.h"
#include "fuzz_json.h"
#include "fuzz_stub.h"

/* json-c's default nesting limit (JSON_TOKENER_DEFAULT_DEPTH) */
#define JSON_C_DEPTH 32

static const char *const fixed_paths[] = {
	/* what imageops.c asks for */
	"ImageId",
	"TaskId",
	"Execution.ExecutionId",
	"TaskStatus",
	"TaskProcess",
	"OperationProgressSet.OperationProgress.0.ErrorMsg",
	/* and a few more shapes */
	"Code",
	"Images.Image.0",
	"Images.Image.1.Tags",
	"Executions.0.Status",
	"Executions.-1",
	"Executions.+0",
	"Executions. 1",
	"Executions.99999999999999999999",
	"Executions.0x1",
	"a..b",
	".",
	""
};

#define NFIXED lengthof(fixed_paths)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * model_text
 *		What scalar_text must give for v; *exact tells whether the result
 *		is known exactly (otherwise only its kind is checked).
 */
static const char *
model_text(const RjNode *v, bool *exact)
{
	const char *p;
	int			digits = 0;

	*exact = true;
	switch (v->type)
	{
		case RJ_NULL:
			return NULL;
		case RJ_TRUE:
			return "true";
		case RJ_FALSE:
			return "false";
		case RJ_STRING:
			/* json-c keeps \u0000 as a NUL, which then ends the text */
			*exact = !v->escaped;
			return v->string;
		case RJ_NUMBER:
			for (p = v->start; p < v->end; p++)
			{
				if (*p == '.' || *p == 'e' || *p == 'E')
					return rj_text(v);	/* a double keeps its text */
				if (*p >= '0' && *p <= '9')
					digits++;
			}
			if (digits <= 18)
				return psprintf(INT64_FORMAT, (int64) strtoll(v->start, NULL, 10));
			*exact = false;
			return "";
		default:
			*exact = false;
			return v->type == RJ_OBJECT ? "{" : "[";
	}
}

/*
 * model_path
 *		The node at path, the way ecs_decode_object walks it.
 */
static const RjNode *
model_path(const RjNode *root, const char *path)
{
	char	   *copy = pstrdup(path);
	char	   *save = NULL;
	char	   *part;
	const RjNode *v = root;

	for (part = strtok_r(copy, ".", &save); part != NULL && v != NULL;
		 part = strtok_r(NULL, ".", &save))
	{
		if (v->type == RJ_ARRAY)
		{
			char	   *end;
			long		idx = strtol(part, &end, 10);

			v = (*end == '\0' && idx >= 0 && idx < v->n) ? v->items[idx] : NULL;
		}
		else
			v = rj_last(v, part);	/* NULL unless v is an object */
	}
	return v;
}

/*
 * plain_keys
 *		Whether no member name in v has an escape.  json-c ends a name at
 *		a \u0000, which the model (made for page.c) does not, so names with
 *		escapes are left out of the comparison.
 */
static bool
plain_keys(const RjNode *v)
{
	int			i;

	for (i = 0; i < v->n; i++)
	{
		if (v->type == RJ_OBJECT && v->key_escaped[i])
			return false;
		if (!plain_keys(v->items[i]))
			return false;
	}
	return true;
}

/*
 * check_value
 *		Compare a value returned for node v (NULL: absent) with the model.
 */
static void
check_value(const char *got, const RjNode *v)
{
	const char *want;
	bool		exact;

	if (got != NULL)
		(void) strlen(got);
	if (v == NULL)
	{
		FUZZ_CHECK(got == NULL);
		return;
	}
	want = model_text(v, &exact);
	if (want == NULL)
	{
		FUZZ_CHECK(got == NULL);
		return;
	}
	FUZZ_CHECK(got != NULL);
	if (v->type == RJ_OBJECT || v->type == RJ_ARRAY)
	{
		FUZZ_CHECK(got[0] == want[0]);
		FUZZ_CHECK(rj_valid(got, strlen(got)));
	}
	else if (exact && strcmp(got, want) != 0)
	{
		fprintf(stderr, "got \"%s\", want \"%s\"\n", got, want);
		FUZZ_CHECK(strcmp(got, want) == 0);
	}
}

/*
 * check_id
 *		Compare an identifier returned for node v (NULL: absent) with the
 *		model: a non-empty string without \u0000 comes back, nothing else
 *		does.
 */
static void
check_id(const char *got, const RjNode *v)
{
	if (got != NULL)
		FUZZ_CHECK(strlen(got) > 0);
	if (v == NULL || v->type != RJ_STRING || v->end - v->start <= 2 ||
		v->nul)
	{
		FUZZ_CHECK(got == NULL);
		return;
	}
	if (!v->escaped)
		FUZZ_CHECK(got != NULL && strcmp(got, v->string) == 0);
}

/*
 * envelope_member
 *		The member ecs_decode_error reads: Name, or name when Name is absent
 *		or null.
 */
static const RjNode *
envelope_member(const RjNode *root, const char *upper, const char *lower)
{
	const RjNode *v = rj_last(root, upper);

	if (v == NULL || v->type == RJ_NULL)
	{
		const RjNode *w = rj_last(root, lower);

		if (w != NULL)
			return w;
	}
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *) data;
	size_t		len = size;
	const char *paths[NFIXED + 1];
	int			npaths = NFIXED;
	char	   *values[NFIXED + 1];
	char	   *ids[NFIXED + 1];
	EcsApiError err;
	volatile bool ok_err = false;
	volatile bool ok_obj = false;
	volatile bool threw;
	RjNode	   *root;
	int			level;
	bool		valid_object;
	long		base;
	long		allocs_err;
	long		allocs_obj;
	long		allocs_id;
	bool		body_utf8;
	int			i;

	if (size > INT_MAX)
		return 0;
	fuzz_begin();
	memcpy(paths, fixed_paths, sizeof(fixed_paths));
	if (len > 0 && body[0] == '#')
	{
		const char *nl = memchr(body, '\n', len);
		size_t		n = nl ? (size_t) (nl - body) : len;

		paths[npaths++] = pnstrdup(body + 1, n - 1);
		body += nl ? n + 1 : n;
		len -= nl ? n + 1 : n;
	}

	/* the error envelope */
	memset(&err, 0, sizeof(err));
	base = fuzz_alloc_count();
	FUZZ_CALL(threw, ok_err = ecs_decode_error(body, len, &err));
	FUZZ_CHECK(!threw);			/* nothing can fail without injection */
	allocs_err = fuzz_alloc_count() - base;

	/* values by path */
	memset(values, 0x7f, sizeof(values));
	FUZZ_CALL(threw, ok_obj = ecs_decode_object(body, len, paths, npaths,
												values));
	FUZZ_CHECK(!threw);
	FUZZ_CHECK(ok_err == ok_obj);
	allocs_obj = fuzz_alloc_count() - base - allocs_err;

	/* identifiers by path; the last path counts the allocations */
	for (i = 0; i < npaths; i++)
	{
		volatile char *id = NULL;

		base = fuzz_alloc_count();
		FUZZ_CALL(threw, id = ecs_decode_id(body, len, paths[i]));
		FUZZ_CHECK(!threw);
		FUZZ_CHECK(ok_err || id == NULL);
		ids[i] = (char *) id;
	}
	allocs_id = fuzz_alloc_count() - base;

	body_utf8 = pg_encoding_verifymbstr(PG_UTF8, body, (int) len) == (int) len;
	FUZZ_CHECK(!ok_err || body_utf8);

	root = rj_parse(body, len, &level);
	valid_object = root != NULL && root->type == RJ_OBJECT;
	if (valid_object && body_utf8 && level < JSON_C_DEPTH)
		FUZZ_CHECK(ok_err);

	if (ok_err && valid_object && plain_keys(root))
	{
		check_value(err.code, envelope_member(root, "Code", "code"));
		check_value(err.message, envelope_member(root, "Message", "message"));
		check_value(err.request_id,
					envelope_member(root, "RequestId", "requestId"));
		for (i = 0; i < npaths; i++)
		{
			check_value(values[i], model_path(root, paths[i]));
			check_id(ids[i], model_path(root, paths[i]));
		}
	}
	else if (ok_err)
	{
		/* json-c is laxer than RFC 8259: check only that these are strings */
		if (err.code)
			(void) strlen(err.code);
		if (err.message)
			(void) strlen(err.message);
		if (err.request_id)
			(void) strlen(err.request_id);
		for (i = 0; i < npaths; i++)
		{
			if (values[i])
				(void) strlen(values[i]);
			if (ids[i])
				FUZZ_CHECK(strlen(ids[i]) > 0);
		}
	}

	/*
	 * The same again with one palloc failing, picked by the last byte: the
	 * code is deterministic, so the failure must happen, and the ERROR must
	 * come out; LeakSanitizer checks that json-c's objects were released.
	 */
	if (allocs_err > 0)
	{
		memset(&err, 0, sizeof(err));
		fuzz_fail_alloc_at((long) data[size - 1] % allocs_err);
		FUZZ_CALL(threw, ecs_decode_error(body, len, &err));
		fuzz_fail_alloc_at(-1);
		FUZZ_CHECK(threw);
	}
	if (allocs_obj > 0)
	{
		fuzz_fail_alloc_at((long) data[0] % allocs_obj);
		FUZZ_CALL(threw, ecs_decode_object(body, len, paths, npaths,
										   values));
		fuzz_fail_alloc_at(-1);
		FUZZ_CHECK(threw);
	}
	if (allocs_id > 0)
	{
		fuzz_fail_alloc_at((long) data[size / 2] % allocs_id);
		FUZZ_CALL(threw, ecs_decode_id(body, len, paths[npaths - 1]));
		fuzz_fail_alloc_at(-1);
		FUZZ_CHECK(threw);
	}

	fuzz_end();
	return 0;
}

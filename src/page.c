/*-------------------------------------------------------------------------
 *
 * page.c
 *		  Decoding listing pages: the hot path of every scan.
 *
 * A Describe answer holds up to 100 objects of a kilobyte or more each, and
 * a query usually needs a few of their fields, often none (count(*)).  A
 * tree-building parser spends most of its time allocating objects and hash
 * tables that are thrown away at once, so pages are read here by a small
 * scanner instead: in one pass it checks the body against the JSON grammar
 * (complete or nothing: a truncated or malformed page is an error), notes
 * where each listed object and each wanted member is, and converts only
 * those members.  JSON values that become jsonb columns are passed on as
 * their own text, which jsonb's input function reads.  The other answers
 * (errors, single objects) are small and go through json-c in decode.c.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/page.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "ecs_image_fdw.h"

/* Deepest nesting of arrays and objects we accept */
#define MAX_DEPTH 64

/* A piece of the body: a JSON value, or a member's key and value */
typedef struct Span
{
	const char *start;
	const char *end;			/* one past the last byte */
} Span;

static const char *skip_ws(const char *p, const char *end);
static const char *scan_string(const char *p, const char *end, bool *escaped);
static const char *scan_number(const char *p, const char *end);
static const char *scan_value(const char *p, const char *end, int depth);
static const char *next_member(const char *p, const char *end, Span *key,
							   Span *value, bool *escaped);
static bool key_is(Span key, bool escaped, const char *name);
static char *unescape(Span s);
static char *span_text(Span v);
static char *scalar(Span v);
static bool find_member(Span object, const char *name, Span *value);
static Span unwrap(Span v);
static char *tags_text(Span v);
static char *field_text(Span item, const Span *members, const EcsField *field,
						const EcsParams *request);
static bool read_key(const char **pp, const char *end, Span *key,
					 bool *escaped);
static int	after_value(const char **pp, const char *end, char close);
static bool value_fits(Span value, EcsFieldKind kind);
static const char *decode_item(const char *p, const char *end,
							   const char *key_name, const EcsField *fields,
							   int nfields, Span *members);
static const char *decode_list(const char *p, const char *end,
							   const char *key_name, const EcsField *fields,
							   int nfields, const EcsParams *request,
							   EcsPage *page);
static const char *decode_list_value(const char *p, const char *end,
									 const char *item_name,
									 const char *key_name,
									 const EcsField *fields, int nfields,
									 const EcsParams *request,
									 EcsPage *page);
static int64 count_value(Span v);

/*
 * skip_ws
 *		Skip JSON white space.
 */
static inline const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/*
 * scan_string
 *		p is at a '"'; return the position after the closing quote, or NULL
 *		if the string is not valid.  *escaped tells whether it has escapes.
 */
static const char *
scan_string(const char *p, const char *end, bool *escaped)
{
	*escaped = false;
	for (p++; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\')
		{
			*escaped = true;
			if (++p >= end)
				return NULL;
			switch (*p)
			{
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					break;
				case 'u':
					if (end - p < 5 || !isxdigit((unsigned char) p[1]) ||
						!isxdigit((unsigned char) p[2]) ||
						!isxdigit((unsigned char) p[3]) ||
						!isxdigit((unsigned char) p[4]))
						return NULL;
					p += 4;
					break;
				default:
					return NULL;
			}
		}
	}
	return NULL;
}

/*
 * scan_number
 *		A JSON number at p; the position after it, or NULL.
 */
static const char *
scan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end || !isdigit((unsigned char) *p))
		return NULL;
	if (*p == '0')
		p++;
	else
		while (p < end && isdigit((unsigned char) *p))
			p++;
	if (p < end && *p == '.')
	{
		if (++p >= end || !isdigit((unsigned char) *p))
			return NULL;
		while (p < end && isdigit((unsigned char) *p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !isdigit((unsigned char) *p))
			return NULL;
		while (p < end && isdigit((unsigned char) *p))
			p++;
	}
	return p;
}

/*
 * scan_value
 *		Check the JSON value at p (after white space); return the position
 *		after it, or NULL if it is not valid.
 */
static const char *
scan_value(const char *p, const char *end, int depth)
{
	bool		escaped;

	if (p >= end)
		return NULL;
	switch (*p)
	{
		case '"':
			return scan_string(p, end, &escaped);
		case '{':
		case '[':
			{
				char		close = (*p == '{') ? '}' : ']';
				bool		object = (*p == '{');

				if (depth >= MAX_DEPTH)
					return NULL;
				p = skip_ws(p + 1, end);
				if (p < end && *p == close)
					return p + 1;
				for (;;)
				{
					if (object)
					{
						if (p >= end || *p != '"' ||
							(p = scan_string(p, end, &escaped)) == NULL)
							return NULL;
						p = skip_ws(p, end);
						if (p >= end || *p != ':')
							return NULL;
						p = skip_ws(p + 1, end);
					}
					if ((p = scan_value(p, end, depth + 1)) == NULL)
						return NULL;
					p = skip_ws(p, end);
					if (p < end && *p == ',')
						p = skip_ws(p + 1, end);
					else if (p < end && *p == close)
						return p + 1;
					else
						return NULL;
				}
			}
		case 't':
			return (end - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : NULL;
		case 'f':
			return (end - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : NULL;
		case 'n':
			return (end - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : NULL;
		default:
			return scan_number(p, end);
	}
}

/*
 * next_member
 *		Read the member of an already checked object at p (at its key, or at
 *		'}'); returns the position after it and its separator, or NULL at
 *		the end of the object.
 */
static const char *
next_member(const char *p, const char *end, Span *key, Span *value,
			bool *escaped)
{
	p = skip_ws(p, end);
	if (p >= end || *p != '"')
		return NULL;
	key->start = p + 1;
	p = scan_string(p, end, escaped);
	key->end = p - 1;
	p = skip_ws(skip_ws(p, end) + 1, end);	/* past ':' */
	value->start = p;
	value->end = p = scan_value(p, end, 0);
	p = skip_ws(p, end);
	if (p < end && *p == ',')
		p++;
	return p;
}

/*
 * key_is
 *		Whether a member's key (without its quotes) is name.
 */
static bool
key_is(Span key, bool escaped, const char *name)
{
	size_t		n = key.end - key.start;

	if (!escaped)
		return strlen(name) == n && memcmp(key.start, name, n) == 0;
	return strcmp(unescape((Span) {key.start - 1, key.end + 1}), name) == 0;
}

/*
 * unescape
 *		The text of a JSON string value (quotes included in s), palloc'd.
 */
static char *
unescape(Span s)
{
	const char *p = s.start + 1;
	const char *end = s.end - 1;
	StringInfoData buf;

	if (memchr(p, '\\', end - p) == NULL)
		return pnstrdup(p, end - p);

	initStringInfo(&buf);
	while (p < end)
	{
		const char *bs = memchr(p, '\\', end - p);
		pg_wchar	cp;

		if (bs == NULL)
		{
			appendBinaryStringInfo(&buf, p, end - p);
			break;
		}
		appendBinaryStringInfo(&buf, p, bs - p);
		p = bs + 1;
		switch (*p++)
		{
			case 'b':
				appendStringInfoChar(&buf, '\b');
				break;
			case 'f':
				appendStringInfoChar(&buf, '\f');
				break;
			case 'n':
				appendStringInfoChar(&buf, '\n');
				break;
			case 'r':
				appendStringInfoChar(&buf, '\r');
				break;
			case 't':
				appendStringInfoChar(&buf, '\t');
				break;
			case 'u':
				cp = (pg_wchar) strtol(pnstrdup(p, 4), NULL, 16);
				p += 4;
				/* a surrogate pair makes one code point */
				if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 &&
					p[0] == '\\' && p[1] == 'u')
				{
					pg_wchar	low = (pg_wchar) strtol(pnstrdup(p + 2, 4), NULL, 16);

					if (low >= 0xDC00 && low <= 0xDFFF)
					{
						cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
						p += 6;
					}
				}
				if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
					cp = 0xFFFD;	/* no NUL, no lone surrogate in text */
				{
					unsigned char utf8[8];

					unicode_to_utf8(cp, utf8);
					appendBinaryStringInfo(&buf, (char *) utf8,
										   pg_utf_mblen(utf8));
				}
				break;
			default:			/* '"', '\\' and '/' stand for themselves */
				appendStringInfoChar(&buf, p[-1]);
				break;
		}
	}
	return buf.data;
}

/*
 * span_text
 *		A value's JSON text, palloc'd.
 */
static char *
span_text(Span v)
{
	return pnstrdup(v.start, v.end - v.start);
}

/*
 * scalar
 *		The text of a value: a string's content, a number or Boolean as it
 *		stands, NULL for null, JSON text for objects and arrays.
 */
static char *
scalar(Span v)
{
	switch (*v.start)
	{
		case '"':
			return unescape(v);
		case 'n':
			return NULL;
		default:
			return span_text(v);
	}
}

/*
 * find_member
 *		The value of member name of the object v.
 */
static bool
find_member(Span object, const char *name, Span *value)
{
	const char *p = object.start + 1;
	Span		key;
	bool		escaped;

	if (*object.start != '{')
		return false;
	while ((p = next_member(p, object.end, &key, value, &escaped)) != NULL)
	{
		if (key_is(key, escaped, name))
			return true;
	}
	return false;
}

/*
 * unwrap
 *		The API wraps lists as {"Things": {"Thing": [...]}}; given the outer
 *		member's value, the array inside.  Other values come back as they
 *		are.
 */
static Span
unwrap(Span v)
{
	const char *p;
	Span		key;
	Span		inner;
	bool		escaped;

	if (*v.start != '{')
		return v;
	p = next_member(v.start + 1, v.end, &key, &inner, &escaped);
	if (p == NULL || *inner.start != '[' || *skip_ws(p, v.end) != '}')
		return v;
	return inner;
}

/*
 * tags_text
 *		{"Tag": [{"TagKey": k, "TagValue": v}, ...]} as {k: v, ...}, built
 *		from the original JSON text of each key and value.
 */
static char *
tags_text(Span v)
{
	Span		list = unwrap(v);
	const char *p;
	StringInfoData buf;

	if (*list.start != '[')
		return span_text(v);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	p = skip_ws(list.start + 1, list.end);
	while (p < list.end && *p != ']')
	{
		Span		tag = {p, scan_value(p, list.end, 0)};
		Span		key;
		Span		value;

		if ((find_member(tag, "TagKey", &key) || find_member(tag, "Key", &key)) &&
			*key.start == '"')
		{
			if (buf.len > 1)
				appendStringInfoChar(&buf, ',');
			appendBinaryStringInfo(&buf, key.start, key.end - key.start);
			appendStringInfoChar(&buf, ':');
			if (find_member(tag, "TagValue", &value) || find_member(tag, "Value", &value))
				appendBinaryStringInfo(&buf, value.start, value.end - value.start);
			else
				appendStringInfoString(&buf, "null");
		}
		p = skip_ws(skip_ws(tag.end, list.end), list.end);
		if (p < list.end && *p == ',')
			p = skip_ws(p + 1, list.end);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/*
 * field_text
 *		The text of one field of an item, from the member values found.
 */
static char *
field_text(Span item, const Span *members, const EcsField *field,
		   const EcsParams *request)
{
	Span		v = *members;
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
			return span_text(item);
		default:
			break;
	}
	if (v.start == NULL || *v.start == 'n')
		return NULL;			/* absent, or null */

	switch (field->kind)
	{
		case ECS_FIELD_JSON:
			return span_text(unwrap(v));
		case ECS_FIELD_TAGS:
			return tags_text(v);
		case ECS_FIELD_PERCENT:
			text = scalar(v);
			if (text != NULL)
			{
				size_t		n = strlen(text);

				if (n > 0 && text[n - 1] == '%')
					text[n - 1] = '\0';
			}
			return text;
		default:
			/* an object or array for a column that is not jsonb: its JSON
			 * text, for the column type's input function to judge */
			if (*v.start == '{' || *v.start == '[')
				return span_text(unwrap(v));
			return scalar(v);
	}
}

/*
 * read_key
 *		At the key of an object member: check the key and the ':' after it,
 *		and leave *pp at the value.
 */
static bool
read_key(const char **pp, const char *end, Span *key, bool *escaped)
{
	const char *p = *pp;

	if (p >= end || *p != '"')
		return false;
	key->start = p + 1;
	if ((p = scan_string(p, end, escaped)) == NULL)
		return false;
	key->end = p - 1;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return false;
	*pp = skip_ws(p + 1, end);
	return true;
}

/*
 * after_value
 *		After a member or element: 1 if a ',' says more follow (*pp is then
 *		at the next one), 0 at the closing bracket close (consumed), -1 if
 *		the text is not valid.
 */
static int
after_value(const char **pp, const char *end, char close)
{
	const char *p = skip_ws(*pp, end);

	if (p < end && *p == ',')
	{
		*pp = skip_ws(p + 1, end);
		return 1;
	}
	if (p < end && *p == close)
	{
		*pp = p + 1;
		return 0;
	}
	return -1;
}

/*
 * value_fits
 *		Whether a member's value has a JSON type that a field of kind can
 *		take: an object or array for tags; anything for the others (a
 *		column's type decides what it takes, and says so about the column).
 */
static bool
value_fits(Span value, EcsFieldKind kind)
{
	switch (kind)
	{
		case ECS_FIELD_TAGS:
			return *value.start == '{' || *value.start == '[' ||
				*value.start == 'n';
		default:
			return true;
	}
}

/*
 * decode_item
 *		Check one element of the list at p and note where the wanted
 *		members of an object are; returns the position after it, or NULL
 *		if it is not valid: with key_name, an object whose member key_name
 *		is a non-empty string, and the wanted members of fitting types.
 */
static const char *
decode_item(const char *p, const char *end, const char *key_name,
			const EcsField *fields, int nfields, Span *members)
{
	Span		key;
	Span		value;
	bool		escaped;
	bool		have_key = false;
	int			more;
	int			f;

	if (nfields > 0)
		memset(members, 0, sizeof(Span) * nfields);
	if (p >= end || *p != '{')
		return key_name ? NULL : scan_value(p, end, 2);

	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return key_name ? NULL : p + 1;
	do
	{
		if (!read_key(&p, end, &key, &escaped))
			return NULL;
		value.start = p;
		if ((p = scan_value(p, end, 3)) == NULL)
			return NULL;
		value.end = p;
		if (key_name && key_is(key, escaped, key_name))
		{
			/* the identifier: a non-empty string */
			if (*value.start != '"' || value.end - value.start <= 2)
				return NULL;
			have_key = true;
		}
		for (f = 0; f < nfields; f++)
		{
			if (members[f].start == NULL &&
				fields[f].kind != ECS_FIELD_PARAM &&
				fields[f].kind != ECS_FIELD_RAW &&
				key_is(key, escaped, fields[f].name))
			{
				if (!value_fits(value, fields[f].kind))
					return NULL;
				members[f] = value;
			}
		}
	} while ((more = after_value(&p, end, '}')) == 1);
	if (key_name && !have_key)
		return NULL;
	return more == 0 ? p : NULL;
}

/*
 * decode_list
 *		At the '[' of the list: check and decode every element into page;
 *		returns the position after the list, or NULL if it is not valid.
 */
static const char *
decode_list(const char *p, const char *end, const char *key_name,
			const EcsField *fields, int nfields, const EcsParams *request,
			EcsPage *page)
{
	int			capacity = 0;
	Span	   *members = palloc(sizeof(Span) * Max(nfields, 1));
	int			more;

	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return p + 1;
	do
	{
		Span		item;
		char	  **row;
		int			f;

		item.start = p;
		p = decode_item(p, end, key_name, fields, nfields, members);
		if (p == NULL)
			return NULL;
		item.end = p;
		if (nfields > 0)
		{
			if (page->nrows == capacity)
			{
				capacity = Max(128, capacity * 2);
				page->values = page->values ?
					repalloc(page->values, sizeof(char *) * capacity * nfields) :
					palloc(sizeof(char *) * capacity * nfields);
			}
			row = page->values + (size_t) page->nrows * nfields;
			for (f = 0; f < nfields; f++)
				row[f] = field_text(item, &members[f], &fields[f], request);
		}
		page->nrows++;
	} while ((more = after_value(&p, end, ']')) == 1);
	return more == 0 ? p : NULL;
}

/*
 * decode_list_value
 *		At the value of the list member: a list, a list wrapped as
 *		{item_name: [...]}, or null.  Returns the position after it, or
 *		NULL if it is not valid.
 */
static const char *
decode_list_value(const char *p, const char *end, const char *item_name,
				  const char *key_name, const EcsField *fields, int nfields,
				  const EcsParams *request, EcsPage *page)
{
	Span		key;
	bool		escaped;
	int			more;

	if (p < end && *p == '[')
		return decode_list(p, end, key_name, fields, nfields, request, page);
	if (p >= end || *p != '{')
		return (p < end && *p == 'n') ? scan_value(p, end, 1) : NULL;

	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	do
	{
		if (!read_key(&p, end, &key, &escaped))
			return NULL;
		if (!key_is(key, escaped, item_name) || (p < end && *p == 'n'))
			p = scan_value(p, end, 2);
		else if (p < end && *p == '[' && page->nrows == 0)
			p = decode_list(p, end, key_name, fields, nfields, request, page);
		else
			return NULL;		/* the list is not a list, or comes twice */
		if (p == NULL)
			return NULL;
	} while ((more = after_value(&p, end, '}')) == 1);
	return more == 0 ? p : NULL;
}

/*
 * count_value
 *		A count: a JSON number of up to 18 digits (or such a string), or
 *		-1 if the value is anything else.
 */
static int64
count_value(Span v)
{
	const char *p = v.start;
	const char *end = v.end;
	int64		n = 0;

	if (*p == '"')
		p++, end--;
	if (p == end || end - p > 18)
		return -1;
	/* not strtoll: a number may end the body, which has no NUL after it */
	for (; p < end; p++)
	{
		if (!isdigit((unsigned char) *p))
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/*
 * ecs_decode_page
 *		Decode one page of a Describe or List call: its paging fields and,
 *		for each object in list_name (wrapped as {item_name: [...]} or a
 *		plain array; absent or null means none), the text of each of fields;
 *		ECS_FIELD_PARAM fields come from the request's parameters.  Every
 *		byte is checked once, as it is decoded.  Returns false if the body
 *		is not a well-formed answer: valid UTF-8 JSON, a TotalCount that is
 *		a count, and (with key_name) every item an object whose member
 *		key_name is a non-empty string, wanted members of fitting types.
 */
bool
ecs_decode_page(const char *body, size_t len,
				const char *list_name, const char *item_name,
				const char *key_name, const EcsField *fields, int nfields,
				const EcsParams *request, EcsPage *page)
{
	const char *end = body + len;
	const char *p = skip_ws(body, end);
	bool		have_list = false;
	int			more;

	memset(page, 0, sizeof(EcsPage));
	page->total_count = -1;
	page->nfields = nfields;

	/* the whole body must be one JSON object in UTF-8, and nothing else */
	if (p >= end || *p != '{' || len > PG_INT32_MAX ||
		!pg_verify_mbstr(PG_UTF8, body, (int) len, true))
		return false;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return skip_ws(p + 1, end) == end;
	do
	{
		Span		key;
		Span		value;
		bool		escaped;

		if (!read_key(&p, end, &key, &escaped))
			return false;
		if (!have_list && key_is(key, escaped, list_name))
		{
			have_list = true;
			p = decode_list_value(p, end, item_name, key_name, fields,
								  nfields, request, page);
			if (p == NULL)
				return false;
			continue;
		}
		value.start = p;
		if ((p = scan_value(p, end, 1)) == NULL)
			return false;
		value.end = p;
		if (*value.start == 'n')
			continue;
		if (key_is(key, escaped, "TotalCount"))
		{
			if ((page->total_count = count_value(value)) < 0)
				return false;
		}
		else if (key_is(key, escaped, "PageNumber"))
		{
			/* from a copy: a number may end the body, with no NUL after it */
			page->page_number = atoi(span_text(value) + (*value.start == '"'));
		}
		else if (key_is(key, escaped, "NextToken") && *value.start == '"' &&
				 value.end - value.start > 2)
			page->next_token = unescape(value);
	} while ((more = after_value(&p, end, '}')) == 1);
	return more == 0 && skip_ws(p, end) == end;
}

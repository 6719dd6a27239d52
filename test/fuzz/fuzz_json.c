/*-------------------------------------------------------------------------
 *
 * fuzz_json.c
 *		  The reference JSON parser of the fuzz oracles; see fuzz_json.h.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fuzz_json.h"

typedef struct Reader
{
	const char *p;
	const char *end;
	int			level;
	int			max_level;
} Reader;

static RjNode *read_value(Reader *r);
static bool read_string(Reader *r, char **text, bool *escaped, bool *nul);

static void
skip_space(Reader *r)
{
	while (r->p < r->end &&
		   (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* the 4 hex digits at p, or -1 */
static long
hex4(const char *p, const char *end)
{
	long		v = 0;
	int			i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++)
	{
		int			d = hex_value(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* write code point cp as UTF-8 at out[*n] */
static void
put_utf8(char *out, size_t *n, unsigned long cp)
{
	if (cp < 0x80)
		out[(*n)++] = (char) cp;
	else if (cp < 0x800)
	{
		out[(*n)++] = (char) (0xC0 | (cp >> 6));
		out[(*n)++] = (char) (0x80 | (cp & 0x3F));
	}
	else if (cp < 0x10000)
	{
		out[(*n)++] = (char) (0xE0 | (cp >> 12));
		out[(*n)++] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char) (0x80 | (cp & 0x3F));
	}
	else
	{
		out[(*n)++] = (char) (0xF0 | (cp >> 18));
		out[(*n)++] = (char) (0x80 | ((cp >> 12) & 0x3F));
		out[(*n)++] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[(*n)++] = (char) (0x80 | (cp & 0x3F));
	}
}

/*
 * read_string
 *		At a '"': check the string and unescape it into *text; *escaped
 *		tells whether it has escapes, *nul whether one is \u0000.
 *
 * No escape is longer once unescaped than it was, so the content's raw
 * length (up to the first unescaped quote) bounds the result.
 */
static bool
read_string(Reader *r, char **text, bool *escaped, bool *nul)
{
	const char *q;
	char	   *out;
	size_t		n = 0;

	*escaped = false;
	*nul = false;
	if (r->p >= r->end || *r->p != '"')
		return false;
	r->p++;
	for (q = r->p; q < r->end && *q != '"'; q += (*q == '\\') ? 2 : 1)
		;
	out = palloc((q < r->end ? q : r->end) - r->p + 1);
	for (;;)
	{
		unsigned char c;
		long		cp;
		long		low;

		if (r->p >= r->end)
			return false;
		c = (unsigned char) *r->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return false;
		if (c != '\\')
		{
			out[n++] = (char) c;
			continue;
		}
		*escaped = true;
		if (r->p >= r->end)
			return false;
		switch (*r->p++)
		{
			case '"':
				out[n++] = '"';
				break;
			case '\\':
				out[n++] = '\\';
				break;
			case '/':
				out[n++] = '/';
				break;
			case 'b':
				out[n++] = '\b';
				break;
			case 'f':
				out[n++] = '\f';
				break;
			case 'n':
				out[n++] = '\n';
				break;
			case 'r':
				out[n++] = '\r';
				break;
			case 't':
				out[n++] = '\t';
				break;
			case 'u':
				if ((cp = hex4(r->p, r->end)) < 0)
					return false;
				r->p += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF && r->end - r->p >= 6 &&
					r->p[0] == '\\' && r->p[1] == 'u' &&
					(low = hex4(r->p + 2, r->end)) >= 0xDC00 && low <= 0xDFFF)
				{
					cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
					r->p += 6;
				}
				if (cp == 0)
					*nul = true;
				if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
					cp = 0xFFFD;
				put_utf8(out, &n, (unsigned long) cp);
				break;
			default:
				return false;
		}
	}
	out[n] = '\0';
	*text = out;
	return true;
}

static bool
read_number(Reader *r)
{
	const char *p = r->p;
	const char *end = r->end;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.')
	{
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return false;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return false;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	r->p = p;
	return true;
}

static bool
read_literal(Reader *r, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

/* append a child (and its key) to a container node */
static void
add_item(RjNode *node, RjNode *item, char *key, bool key_escaped,
		 int *capacity)
{
	if (node->n == *capacity)
	{
		*capacity = *capacity ? 2 * *capacity : 8;
		node->items = node->items ?
			repalloc(node->items, sizeof(RjNode *) * *capacity) :
			palloc(sizeof(RjNode *) * *capacity);
		if (node->type == RJ_OBJECT)
		{
			node->keys = node->keys ?
				repalloc(node->keys, sizeof(char *) * *capacity) :
				palloc(sizeof(char *) * *capacity);
			node->key_escaped = node->key_escaped ?
				repalloc(node->key_escaped, sizeof(bool) * *capacity) :
				palloc(sizeof(bool) * *capacity);
		}
	}
	node->items[node->n] = item;
	if (node->type == RJ_OBJECT)
	{
		node->keys[node->n] = key;
		node->key_escaped[node->n] = key_escaped;
	}
	node->n++;
}

static RjNode *
read_container(Reader *r, RjNode *node)
{
	char		close = (node->type == RJ_OBJECT) ? '}' : ']';
	int			capacity = 0;

	if (++r->level > r->max_level)
		r->max_level = r->level;
	if (r->level > RJ_MAX_LEVEL)
		return NULL;
	r->p++;
	skip_space(r);
	if (r->p < r->end && *r->p == close)
	{
		r->p++;
		r->level--;
		return node;
	}
	for (;;)
	{
		char	   *key = NULL;
		bool		key_escaped = false;
		bool		key_nul;
		RjNode	   *item;

		if (node->type == RJ_OBJECT)
		{
			if (!read_string(r, &key, &key_escaped, &key_nul))
				return NULL;
			skip_space(r);
			if (r->p >= r->end || *r->p != ':')
				return NULL;
			r->p++;
			skip_space(r);
		}
		if ((item = read_value(r)) == NULL)
			return NULL;
		add_item(node, item, key, key_escaped, &capacity);
		skip_space(r);
		if (r->p < r->end && *r->p == ',')
		{
			r->p++;
			skip_space(r);
			continue;
		}
		if (r->p < r->end && *r->p == close)
		{
			r->p++;
			r->level--;
			return node;
		}
		return NULL;
	}
}

/*
 * read_value
 *		The value at r->p (white space already skipped), or NULL.
 */
static RjNode *
read_value(Reader *r)
{
	RjNode	   *node = palloc0(sizeof(RjNode));
	bool		ok;

	node->start = r->p;
	if (r->p >= r->end)
		return NULL;
	switch (*r->p)
	{
		case '{':
			node->type = RJ_OBJECT;
			ok = read_container(r, node) != NULL;
			break;
		case '[':
			node->type = RJ_ARRAY;
			ok = read_container(r, node) != NULL;
			break;
		case '"':
			node->type = RJ_STRING;
			ok = read_string(r, &node->string, &node->escaped, &node->nul);
			break;
		case 't':
			node->type = RJ_TRUE;
			ok = read_literal(r, "true");
			break;
		case 'f':
			node->type = RJ_FALSE;
			ok = read_literal(r, "false");
			break;
		case 'n':
			node->type = RJ_NULL;
			ok = read_literal(r, "null");
			break;
		default:
			node->type = RJ_NUMBER;
			ok = read_number(r);
			break;
	}
	if (!ok)
		return NULL;
	node->end = r->p;
	return node;
}

RjNode *
rj_parse(const char *text, size_t len, int *max_level)
{
	Reader		r = {text, text + len, 0, 0};
	RjNode	   *root;

	skip_space(&r);
	root = read_value(&r);
	if (root != NULL)
	{
		skip_space(&r);
		if (r.p != r.end)
			root = NULL;
	}
	if (max_level)
		*max_level = r.max_level;
	return root;
}

bool
rj_valid(const char *text, size_t len)
{
	return rj_parse(text, len, NULL) != NULL;
}

char *
rj_text(const RjNode *v)
{
	return pnstrdup(v->start, v->end - v->start);
}

const RjNode *
rj_first(const RjNode *obj, const char *name)
{
	int			i;

	if (obj == NULL || obj->type != RJ_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], name) == 0)
			return obj->items[i];
	return NULL;
}

const RjNode *
rj_last(const RjNode *obj, const char *name)
{
	int			i;

	if (obj == NULL || obj->type != RJ_OBJECT)
		return NULL;
	for (i = obj->n - 1; i >= 0; i--)
		if (strcmp(obj->keys[i], name) == 0)
			return obj->items[i];
	return NULL;
}

/*-------------------------------------------------------------------------
 *
 * fuzz_json.h
 *		  A small reference JSON parser for the fuzz targets' oracles.
 *
 * Written for clarity, not speed, and independently of src/page.c: a
 * recursive-descent reader of RFC 8259 JSON (white space is space, tab,
 * CR and LF only; strings may hold any byte from 0x20 up, as the page
 * scanner does not check UTF-8 either) that builds a tree whose nodes keep
 * their exact text.  Strings are unescaped with the rules page.c promises
 * for column values: \u0000 and unpaired surrogates become U+FFFD, a
 * surrogate pair one code point.  Nodes are palloc'd, so fuzz_end frees
 * them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_json.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_JSON_H
#define FUZZ_JSON_H

/* Nesting beyond this is reported as too deep instead of parsed */
#define RJ_MAX_LEVEL 1000

typedef enum RjType
{
	RJ_NULL,
	RJ_TRUE,
	RJ_FALSE,
	RJ_NUMBER,
	RJ_STRING,
	RJ_ARRAY,
	RJ_OBJECT
} RjType;

typedef struct RjNode
{
	RjType		type;
	const char *start;			/* the value's text */
	const char *end;			/* one past its last byte */
	char	   *string;			/* RJ_STRING: the unescaped content */
	bool		escaped;		/* RJ_STRING: the text has escapes */
	bool		nul;			/* RJ_STRING: it has a \u0000 escape */
	int			n;				/* number of elements or members */
	struct RjNode **items;		/* elements, or member values */
	char	  **keys;			/* RJ_OBJECT: unescaped member names */
	bool	   *key_escaped;	/* RJ_OBJECT: whether a name has escapes */
} RjNode;

/*
 * Parse text as one JSON value, with white space around it allowed.
 * Returns NULL if it is not valid.  *max_level receives the deepest
 * nesting of arrays and objects met (1 for a flat object), also when the
 * text is invalid: the level reached up to the first error; a value
 * above RJ_MAX_LEVEL means parsing stopped there.
 */
extern RjNode *rj_parse(const char *text, size_t len, int *max_level);

/* Whether text is one valid JSON value (any nesting up to RJ_MAX_LEVEL) */
extern bool rj_valid(const char *text, size_t len);

/* A palloc'd, NUL-terminated copy of a node's text */
extern char *rj_text(const RjNode *v);

/* The first or last member of object obj named name, or NULL */
extern const RjNode *rj_first(const RjNode *obj, const char *name);
extern const RjNode *rj_last(const RjNode *obj, const char *name);

#endif							/* FUZZ_JSON_H */

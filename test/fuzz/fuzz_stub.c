/*-------------------------------------------------------------------------
 *
 * fuzz_stub.c
 *		  Just enough of the backend for src/page.c, src/decode.c and
 *		  src/sign.c to run inside a libFuzzer target.
 *
 * What is here is what "nm -u" lists for those objects: memory allocation
 * (palloc and friends), StringInfo, psprintf, the error machinery
 * (errstart ... errfinish, pg_re_throw, PG_exception_stack) and
 * pg_verify_mbstr (mbutils.c), which checks with libpgcommon's verifier as
 * the backend does.  The wchar functions (unicode_to_utf8, pg_utf_mblen,
 * pg_encoding_verifymbstr) come from libpgcommon and pg_qsort,
 * pg_ascii_tolower and pg_strong_random from libpgport, unchanged, so they
 * are not stubbed.
 *
 * Memory: every chunk is its own malloc block, the header first and the
 * caller's bytes ending exactly where the block ends, so AddressSanitizer
 * reports any read past a palloc'd object.  The chunks are kept in a list
 * and fuzz_end frees those still allocated, as a memory context reset
 * would.  Requests above MaxAllocSize raise the backend's ERROR.
 *
 * Errors: ereport(ERROR) formats its message (so bad format arguments
 * surface here), then longjmps to *PG_exception_stack, which is the
 * innermost PG_TRY or the target's FUZZ_CALL.  Lower levels return.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_stub.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "fuzz_stub.h"

/* Marks a live chunk, to catch pfree/repalloc of a foreign pointer */
#define CHUNK_MAGIC 0x5A17C0DEu

typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	size_t		size;
	uint32		magic;
} Chunk;

/* The header, rounded up so the caller's bytes are MAXALIGNed */
#define CHUNK_HDRSZ MAXALIGN(sizeof(Chunk))

#define ChunkOf(ptr) ((Chunk *) ((char *) (ptr) - CHUNK_HDRSZ))
#define PointerOf(chunk) ((void *) ((char *) (chunk) + CHUNK_HDRSZ))

static Chunk *chunks = NULL;
static long alloc_count = 0;
static long fail_at = -1;

/* error state of the report being built */
static int	cur_elevel = 0;
static char last_error[1024] = "";

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

static void *chunk_alloc(Size size, bool zero);
static void chunk_release(void *pointer);


/*
 * fuzz_begin
 *		Start of an input.
 */
void
fuzz_begin(void)
{
	alloc_count = 0;
	fail_at = -1;
	cur_elevel = 0;
	last_error[0] = '\0';
	PG_exception_stack = NULL;
	error_context_stack = NULL;
}

/*
 * fuzz_end
 *		End of an input: free every chunk still allocated.
 */
void
fuzz_end(void)
{
	while (chunks != NULL)
	{
		Chunk	   *c = chunks;

		chunks = c->next;
		c->magic = 0;
		free(c);
	}
	fail_at = -1;
	PG_exception_stack = NULL;
}

void
fuzz_fail_alloc_at(long n)
{
	fail_at = (n < 0) ? -1 : alloc_count + n;
}

long
fuzz_alloc_count(void)
{
	return alloc_count;
}

const char *
fuzz_last_error(void)
{
	return last_error;
}

/*
 * chunk_alloc
 *		A new chunk of size bytes (zeroed if asked), or the backend's ERROR.
 */
static void *
chunk_alloc(Size size, bool zero)
{
	Chunk	   *c;

	if (!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	if (alloc_count++ == fail_at)
	{
		/* one failure per arming, as the handler may allocate again */
		fail_at = -1;
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu (injected).", size)));
	}

	c = malloc(CHUNK_HDRSZ + size);
	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	c->size = size;
	c->magic = CHUNK_MAGIC;
	c->prev = NULL;
	c->next = chunks;
	if (chunks)
		chunks->prev = c;
	chunks = c;
	if (zero)
		memset(PointerOf(c), 0, size);
	return PointerOf(c);
}

/*
 * chunk_release
 *		Free a chunk made by chunk_alloc.
 */
static void
chunk_release(void *pointer)
{
	Chunk	   *c;

	if (pointer == NULL)
	{
		/* the backend would crash here */
		fprintf(stderr, "fuzz_stub: pfree or repalloc of NULL\n");
		abort();
	}
	c = ChunkOf(pointer);
	if (c->magic != CHUNK_MAGIC)
	{
		fprintf(stderr, "fuzz_stub: pfree or repalloc of a pointer palloc did not return\n");
		abort();
	}
	c->magic = 0;
	if (c->prev)
		c->prev->next = c->next;
	else
		chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

void *
palloc(Size size)
{
	return chunk_alloc(size, false);
}

void *
palloc0(Size size)
{
	return chunk_alloc(size, true);
}

void *
palloc_extended(Size size, int flags)
{
	return chunk_alloc(size, (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
repalloc(void *pointer, Size size)
{
	Chunk	   *old;
	void	   *result;

	if (pointer == NULL)
		chunk_release(pointer);	/* aborts */
	old = ChunkOf(pointer);
	if (old->magic != CHUNK_MAGIC)
		chunk_release(pointer);	/* aborts */

	/* a new block every time, so a stale pointer is a use after free */
	result = chunk_alloc(size, false);
	memcpy(result, pointer, Min(old->size, size));
	chunk_release(pointer);
	return result;
}

void
pfree(void *pointer)
{
	chunk_release(pointer);
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len + 1);
	return out;
}

char *
pnstrdup(const char *in, Size size)
{
	size_t		len = strnlen(in, size);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

char *
psprintf(const char *fmt,...)
{
	size_t		len = 128;

	for (;;)
	{
		char	   *result = palloc(len);
		va_list		args;
		int			n;

		va_start(args, fmt);
		n = vsnprintf(result, len, fmt, args);
		va_end(args);
		if (n < 0)
			elog(ERROR, "vsnprintf failed: %m");
		if ((size_t) n < len)
			return result;
		pfree(result);
		len = (size_t) n + 1;
	}
}


/*
 * pg_verify_mbstr
 *		Whether len bytes at mbstr are valid in encoding (NUL bytes are
 *		not); if not, false or, unless noError, the backend's ERROR.
 */
bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	if (pg_encoding_verifymbstr(encoding, mbstr, len) == len)
		return true;
	if (noError)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid byte sequence for encoding \"%s\"",
					pg_encoding_to_char(encoding))));
	return false;				/* keep the compiler quiet */
}


/*
 * StringInfo, with the growth rule and limits of the backend's stringinfo.c
 */

StringInfo
makeStringInfo(void)
{
	StringInfo	res = palloc(sizeof(StringInfoData));

	initStringInfo(res);
	return res;
}

void
initStringInfo(StringInfo str)
{
	int			size = 1024;

	str->data = palloc(size);
	str->maxlen = size;
	resetStringInfo(str);
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(str, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(str, needed);
	}
}

int
appendStringInfoVA(StringInfo str, const char *fmt, va_list args)
{
	int			avail = str->maxlen - str->len;
	int			n;

	if (avail < 16)
		return 32;
	n = vsnprintf(str->data + str->len, (size_t) avail, fmt, args);
	if (n < 0)
		elog(ERROR, "vsnprintf failed: %m");
	if (n < avail)
	{
		str->len += n;
		return 0;
	}
	/* make the caller retry with room for the whole output */
	str->data[str->len] = '\0';
	return n + 1;
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	if (str->len + 1 >= str->maxlen)
		enlargeStringInfo(str, 1);
	str->data[str->len] = ch;
	str->len++;
	str->data[str->len] = '\0';
}

void
appendStringInfoSpaces(StringInfo str, int count)
{
	if (count > 0)
	{
		enlargeStringInfo(str, count);
		memset(str->data + str->len, ' ', count);
		str->len += count;
		str->data[str->len] = '\0';
	}
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	Assert(str != NULL);
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendBinaryStringInfoNT(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	int			newlen;

	if (needed < 0)
		elog(ERROR, "invalid string enlargement request size: %d", needed);
	if (((Size) needed) >= (MaxAllocSize - (Size) str->len))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of memory"),
				 errdetail("Cannot enlarge string buffer containing %d bytes by %d more bytes.",
						   str->len, needed)));

	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;

	newlen = 2 * str->maxlen;
	while (needed > newlen)
		newlen = 2 * newlen;
	if (newlen > (int) MaxAllocSize)
		newlen = (int) MaxAllocSize;

	str->data = repalloc(str->data, newlen);
	str->maxlen = newlen;
}


/*
 * Error reporting
 */

bool
errstart(int elevel, const char *domain)
{
	cur_elevel = elevel;
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	int			elevel = cur_elevel;

	cur_elevel = 0;
	if (elevel < ERROR)
		return;
	if (elevel > ERROR)
	{
		fprintf(stderr, "fuzz_stub: FATAL or PANIC at %s:%d: %s\n",
				filename, lineno, last_error);
		abort();
	}
	pg_re_throw();
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
	{
		fprintf(stderr, "fuzz_stub: ERROR outside of any handler: %s\n",
				last_error);
		abort();
	}
	siglongjmp(*PG_exception_stack, 1);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

/* format into last_error (or scratch), so bad arguments show up here */
#define FORMAT_INTO(buf) \
	do { \
		va_list		args; \
		va_start(args, fmt); \
		vsnprintf((buf), sizeof(buf), fmt, args); \
		va_end(args); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(last_error);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(last_error);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	char		scratch[1024];

	FORMAT_INTO(scratch);
	return 0;
}

int
errdetail_internal(const char *fmt,...)
{
	char		scratch[1024];

	FORMAT_INTO(scratch);
	return 0;
}

int
errhint(const char *fmt,...)
{
	char		scratch[1024];

	FORMAT_INTO(scratch);
	return 0;
}

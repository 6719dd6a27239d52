/*-------------------------------------------------------------------------
 *
 * fuzz_stub.h
 *		  The backend stand-ins the fuzz targets link against (fuzz_stub.c),
 *		  and the helpers every target uses.
 *
 * src/page.c and src/decode.c are backend code: they palloc, build
 * StringInfos and may ereport(ERROR).  fuzz_stub.c supplies just those
 * backend symbols, with the backend's semantics where they matter: palloc
 * refuses requests above MaxAllocSize, StringInfo refuses to grow beyond
 * it, and ereport(ERROR) longjmps to the innermost PG_TRY or, outside of
 * one, to the fuzz target (see FUZZ_CALL).  Every palloc'd chunk is a
 * malloc block of exactly the size asked for, so AddressSanitizer sees a
 * read even one byte past it; all chunks still allocated are freed by
 * fuzz_end, the way a memory context reset frees them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/fuzz/fuzz_stub.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_STUB_H
#define FUZZ_STUB_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

/* Start of an input: no allocation failure is injected. */
extern void fuzz_begin(void);

/* End of an input: free every chunk still allocated. */
extern void fuzz_end(void);

/*
 * Make the n-th palloc (counting from 0, from now on) raise the ERROR an
 * out-of-memory backend raises; n < 0 switches injection off.
 */
extern void fuzz_fail_alloc_at(long n);

/* Number of pallocs (and repallocs) since fuzz_begin. */
extern long fuzz_alloc_count(void);

/* The message of the last ERROR raised, for diagnostics. */
extern const char *fuzz_last_error(void);

/*
 * FUZZ_CALL(threw, stmt)
 *		Run the statement stmt; if it raises an ERROR, set threw to true instead of
 *		leaving the fuzz target.  An ERROR is an accepted outcome of any
 *		input (the backend would report it to the client); a crash, a
 *		sanitizer report or a hang is not.  threw must be a volatile bool,
 *		and so must any local that stmt assigns and the caller reads later.
 */
#define FUZZ_CALL(threw, ...) \
	do { \
		sigjmp_buf	fuzz_jb_; \
		sigjmp_buf *fuzz_save_ = PG_exception_stack; \
		(threw) = false; \
		PG_exception_stack = &fuzz_jb_; \
		if (sigsetjmp(fuzz_jb_, 0) == 0) \
		{ \
			__VA_ARGS__; \
		} \
		else \
			(threw) = true; \
		PG_exception_stack = fuzz_save_; \
	} while (0)

/*
 * FUZZ_CHECK(cond)
 *		A property of the code under test; a failure aborts, which libFuzzer
 *		reports as a crash and saves the input.
 */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", \
					#cond, __FILE__, __LINE__); \
			abort(); \
		} \
	} while (0)

#endif							/* FUZZ_STUB_H */

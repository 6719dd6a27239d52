/*
 * test/sanitize/canary.c: deliberate bugs, for `run.sh --canary` only, which
 * proves that a sanitizer report in a backend reaches the count (see
 * README.md).  Never installed outside the sanitizer run's private tree.
 */
#include "postgres.h"
#include "fmgr.h"

#include <stdlib.h>

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(canary_heap_overflow);
PG_FUNCTION_INFO_V1(canary_int_overflow);

/* reads one byte past a malloc'd block: ASan heap-buffer-overflow */
Datum
canary_heap_overflow(PG_FUNCTION_ARGS)
{
	int			n = PG_GETARG_INT32(0);
	volatile char *p = malloc(n);
	int			c;

	p[0] = 1;
	c = p[n];
	free((void *) p);
	PG_RETURN_INT32(c);
}

/* signed addition that overflows: UBSan "runtime error" */
Datum
canary_int_overflow(PG_FUNCTION_ARGS)
{
	volatile int a = PG_GETARG_INT32(0);

	PG_RETURN_INT32(a + 1);
}

/*-------------------------------------------------------------------------
 *
 * tap.c
 *		  TAP output for the unit tests in test/unit: one "ok N - ..." or
 *		  "not ok N - ..." line per check, diagnostics as "#" lines, and the
 *		  plan "1..N" at the end.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/tap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"

static int	tests_run = 0;
static int	tests_failed = 0;

static void diag_escaped_line(char mark, const char *line, size_t len);
static void diag_diff(const char *expected, const char *got);

/*
 * check
 *		Emit one TAP result line for cond; return cond.
 */
bool
check(bool cond, const char *desc)
{
	tests_run++;
	if (!cond)
		tests_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tests_run, desc);
	return cond;
}

/*
 * check_str
 *		Emit a TAP result for got == expected (byte for byte; a NULL got
 *		never matches), with a diff-style diagnostic on failure.
 */
bool
check_str(const char *desc, const char *expected, const char *got)
{
	bool		same = (got != NULL && strcmp(expected, got) == 0);

	check(same, desc);
	if (!same)
		diag_diff(expected, got);
	return same;
}

/*
 * diag_escaped_line
 *		Print one diagnostic line "#   <mark><line>", showing control
 *		characters and bytes >= 0x7f as \xNN and tabs as \t.
 */
static void
diag_escaped_line(char mark, const char *line, size_t len)
{
	size_t		i;

	printf("#   %c", mark);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) line[i];

		if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02X", c);
		else
			putchar(c);
	}
	putchar('\n');
}

/*
 * diag_diff
 *		Print expected and got as a line-by-line diff ('-' expected, '+' got,
 *		' ' same), preceded by the lengths and the first differing byte.
 */
static void
diag_diff(const char *expected, const char *got)
{
	const char *e = expected;
	const char *g = got;
	size_t		first = 0;

	if (got == NULL)
	{
		printf("#   got NULL, expected \"%s\"\n", expected);
		return;
	}
	while (expected[first] != '\0' && expected[first] == got[first])
		first++;
	printf("#   expected %zu bytes, got %zu bytes; "
		   "first difference at byte %zu\n",
		   strlen(expected), strlen(got), first);
	printf("#   --- expected\n#   +++ got\n");

	while (*e != '\0' || *g != '\0')
	{
		size_t		elen = strcspn(e, "\n");
		size_t		glen = strcspn(g, "\n");
		bool		ehas = (*e != '\0');
		bool		ghas = (*g != '\0');

		if (ehas && ghas && elen == glen && memcmp(e, g, elen) == 0)
			diag_escaped_line(' ', e, elen);
		else
		{
			if (ehas)
				diag_escaped_line('-', e, elen);
			if (ghas)
				diag_escaped_line('+', g, glen);
		}
		e += elen + (e[elen] == '\n' ? 1 : 0);
		g += glen + (g[glen] == '\n' ? 1 : 0);
	}
}

/*
 * tap_finish
 *		Print the plan and, if any check failed, how many; the exit status
 *		of the test program (1 on any failure).
 */
int
tap_finish(void)
{
	printf("1..%d\n", tests_run);
	if (tests_failed > 0)
		printf("# %d of %d tests failed\n", tests_failed, tests_run);
	return tests_failed > 0 ? 1 : 0;
}

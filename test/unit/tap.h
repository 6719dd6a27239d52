/*-------------------------------------------------------------------------
 *
 * tap.h
 *		  TAP output for the unit tests in test/unit (tap.c).
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  test/unit/tap.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_TAP_H
#define ECS_TAP_H

/* One result line for cond; returns cond */
extern bool check(bool cond, const char *desc);

/*
 * A result for got == expected (byte for byte; a NULL got never matches),
 * with a line-by-line diff as diagnostics when they differ
 */
extern bool check_str(const char *desc, const char *expected,
					  const char *got);

/* Print the plan; the exit status of the program (1 on any failure) */
extern int	tap_finish(void);

#endif							/* ECS_TAP_H */

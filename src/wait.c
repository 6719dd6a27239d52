/*-------------------------------------------------------------------------
 *
 * wait.c
 *		  The one loop that waits for something in the cloud to finish: an
 *		  image, a task or an OOS execution.
 *
 * The caller describes what it waits for with an EcsWaitProbe: a poll
 * that asks the API once, and the NOTICE and the ERROR that name the thing
 * in the caller's words.  The loop polls with a growing pause, reports
 * each new state once, stops at the timeout, and wakes for a cancel or a
 * statement_timeout during every pause.  Each poll runs in a memory context
 * that is reset before the next one, so a wait of hours holds no more
 * memory than a wait of one poll.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/wait.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "ecs_image_fdw.h"

/* The first pause between two polls, and the longest */
#define FIRST_POLL_MS 500
#define MAX_POLL_MS 10000

static long next_poll_ms(int n, TimestampTz deadline);

/*
 * ecs_wait_event
 *		The wait event to report while waiting on which: on PostgreSQL 17
 *		and later one named after it (registered at first use in each
 *		backend), before that "Extension".
 */
uint32
ecs_wait_event(EcsWaitEvent which)
{
	static const char *const names[] = {
		[ECS_WAIT_NETWORK] = "EcsImageFdwNetwork",
		[ECS_WAIT_PAUSE] = "EcsImageFdwPause"
	};
	static uint32 events[lengthof(names)];

	Assert(which >= 0 && which < lengthof(names));
	if (events[which] == 0)
		events[which] = ecs_wait_event_new(names[which]);
	return events[which];
}

/*
 * next_poll_ms
 *		The pause before poll number n of a wait, within the time left.
 */
static long
next_poll_ms(int n, TimestampTz deadline)
{
	long		ms = FIRST_POLL_MS;
	long		left = (long) ((deadline - GetCurrentTimestamp()) / 1000);
	int			i;

	for (i = 0; i < n && ms < MAX_POLL_MS; i++)
		ms = ms * 3 / 2;
	return Max(1, Min(Min(ms, MAX_POLL_MS), left));
}

/*
 * ecs_wait
 *		Poll until probe->poll says the thing is done, and return its result
 *		(allocated in the caller's memory context).  A state that differs
 *		from the last one is reported with probe->report; when timeout_ms
 *		have passed, probe->report raises the ERROR.
 */
char *
ecs_wait(const EcsWaitProbe *probe, long timeout_ms)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext poll_cxt;
	MemoryContext last_cxt;
	TimestampTz deadline = GetCurrentTimestamp() + (TimestampTz) timeout_ms * 1000;
	char	   *last = NULL;
	char	   *result;
	int			n;

	poll_cxt = AllocSetContextCreate(caller, "ecs_image_fdw wait poll",
									 ALLOCSET_DEFAULT_SIZES);
	last_cxt = AllocSetContextCreate(caller, "ecs_image_fdw wait state",
									 ALLOCSET_SMALL_SIZES);
	for (n = 0;; n++)
	{
		char	   *state = NULL;
		bool		done;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(poll_cxt);
		MemoryContextSwitchTo(poll_cxt);
		done = probe->poll(probe->arg, &state);
		MemoryContextSwitchTo(caller);
		if (done)
		{
			result = pstrdup(state);
			break;
		}

		if (last == NULL || strcmp(last, state) != 0)
		{
			probe->report(probe->arg, state, false);
			MemoryContextReset(last_cxt);
			last = MemoryContextStrdup(last_cxt, state);
		}
		if (GetCurrentTimestamp() >= deadline)
		{
			probe->report(probe->arg, state, true);
			elog(ERROR, "a wait went past its timeout without an error");
		}
		ecs_api_sleep(next_poll_ms(n, deadline));
	}
	MemoryContextDelete(poll_cxt);
	MemoryContextDelete(last_cxt);
	return result;
}

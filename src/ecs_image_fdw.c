/*-------------------------------------------------------------------------
 *
 * ecs_image_fdw.c
 *		  Module entry points: _PG_init and the foreign data wrapper handler.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/ecs_image_fdw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "utils/guc.h"

#include "ecs_image_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(ecs_image_fdw_handler);

void		_PG_init(void);

/* ecs_image_fdw.pushdown: whether WHERE clauses and LIMIT reach the API */
bool		ecs_pushdown_enabled = true;

/*
 * _PG_init
 *		Library load: define the settings and set up libcurl, once per
 *		backend.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("ecs_image_fdw.pushdown",
							 "Sends WHERE conditions and LIMIT to the API as filters.",
							 "Turn it off to compare results or to debug; every condition is also checked locally either way.",
							 &ecs_pushdown_enabled,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("ecs_image_fdw");
	ecs_http_init();
}

/*
 * ecs_image_fdw_handler
 *		The FdwRoutine of the wrapper.
 */
Datum
ecs_image_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	ecs_scan_routine(routine);
	ecs_modify_routine(routine);
	PG_RETURN_POINTER(routine);
}

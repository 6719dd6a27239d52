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

#include "ecs_image_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(ecs_image_fdw_handler);

void		_PG_init(void);

/*
 * _PG_init
 *		Library load: set up libcurl once per backend.
 */
void
_PG_init(void)
{
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
	PG_RETURN_POINTER(routine);
}

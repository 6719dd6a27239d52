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
 *		The FdwRoutine of the wrapper: every callback, in one place.
 */
Datum
ecs_image_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	/* scanning (scan.c) */
	routine->GetForeignRelSize = ecsGetForeignRelSize;
	routine->GetForeignPaths = ecsGetForeignPaths;
	routine->GetForeignPlan = ecsGetForeignPlan;
	routine->BeginForeignScan = ecsBeginForeignScan;
	routine->IterateForeignScan = ecsIterateForeignScan;
	routine->ReScanForeignScan = ecsReScanForeignScan;
	routine->EndForeignScan = ecsEndForeignScan;
	routine->ExplainForeignScan = ecsExplainForeignScan;

	/* asynchronous scans under an Append (scan.c) */
	routine->IsForeignPathAsyncCapable = ecsIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = ecsForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = ecsForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = ecsForeignAsyncNotify;

	/* IMPORT FOREIGN SCHEMA (scan.c) */
	routine->ImportForeignSchema = ecsImportForeignSchema;

	/* writable tables (modify.c) */
	routine->IsForeignRelUpdatable = ecsIsForeignRelUpdatable;
	routine->AddForeignUpdateTargets = ecsAddForeignUpdateTargets;
	routine->PlanForeignModify = ecsPlanForeignModify;
	routine->BeginForeignModify = ecsBeginForeignModify;
	routine->ExecForeignInsert = ecsExecForeignInsert;
	routine->ExecForeignUpdate = ecsExecForeignUpdate;
	routine->ExecForeignDelete = ecsExecForeignDelete;
	routine->EndForeignModify = ecsEndForeignModify;
	routine->BeginForeignInsert = ecsBeginForeignInsert;
	routine->EndForeignInsert = ecsEndForeignInsert;
	routine->ExplainForeignModify = ecsExplainForeignModify;

	PG_RETURN_POINTER(routine);
}

/*-------------------------------------------------------------------------
 *
 * compat.h
 *		  The differences between the PostgreSQL releases ecs_image_fdw
 *		  supports (15, 16, 17 and 18).
 *
 * Every PG_VERSION_NUM test of the extension is in this file.  The other
 * files call the wrappers below, which take the newest release's arguments,
 * and so never test the version themselves.  Each wrapper names the release
 * that changed the call; the answers are those of contrib/postgres_fdw in
 * each release.  When a release stops being supported, its branches go.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_COMPAT_H
#define ECS_COMPAT_H

#include "catalog/pg_foreign_server.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/wait_event.h"

/*
 * 18 moved ExplainState and the ExplainProperty* functions out of
 * commands/explain.h.
 */
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#else
#include "commands/explain.h"
#endif

/*
 * ecs_scan_user
 *		The role a foreign scan acts as: the view owner's when the table is
 *		read through a view, the current user's otherwise.  16 moved
 *		checkAsUser from the range table entry to RTEPermissionInfo, and the
 *		planner copies it into the ForeignScan node.
 */
static inline Oid
ecs_scan_user(ForeignScan *fsplan, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return OidIsValid(fsplan->checkAsUser) ? fsplan->checkAsUser : GetUserId();
#else
	RangeTblEntry *rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);

	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
#endif
}

/*
 * ecs_result_rel_user
 *		The role an INSERT, UPDATE, DELETE or COPY on a foreign table acts as;
 *		a partition that tuple routing opened (it has no range table entry)
 *		is checked as its root.
 */
static inline Oid
ecs_result_rel_user(ResultRelInfo *rinfo, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return ExecGetResultRelCheckAsUser(rinfo, estate);
#else
	RangeTblEntry *rte;

	if (rinfo->ri_RangeTableIndex == 0 && rinfo->ri_RootResultRelInfo != NULL)
		rte = exec_rt_fetch(rinfo->ri_RootResultRelInfo->ri_RangeTableIndex, estate);
	else
		rte = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate);
	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
#endif
}

/*
 * ecs_foreign_server_aclcheck
 *		16 replaced pg_foreign_server_aclcheck() by object_aclcheck().
 */
#if PG_VERSION_NUM >= 160000
#define ecs_foreign_server_aclcheck(serverid, roleid, mode) \
	object_aclcheck(ForeignServerRelationId, (serverid), (roleid), (mode))
#else
#define ecs_foreign_server_aclcheck(serverid, roleid, mode) \
	pg_foreign_server_aclcheck((serverid), (roleid), (mode))
#endif

/*
 * ecs_create_foreignscan_path
 *		create_foreignscan_path() with 17's arguments.  17 added
 *		fdw_restrictinfo (only join and upper paths use it, so it must be NIL
 *		before 17), and 18 added disabled_nodes (0: nothing is disabled).
 */
#if PG_VERSION_NUM >= 180000
#define ecs_create_foreignscan_path(root, rel, target, rows, startup_cost, \
									total_cost, pathkeys, required_outer, \
									fdw_outerpath, fdw_restrictinfo, \
									fdw_private) \
	create_foreignscan_path((root), (rel), (target), (rows), 0, \
							(startup_cost), (total_cost), (pathkeys), \
							(required_outer), (fdw_outerpath), \
							(fdw_restrictinfo), (fdw_private))
#elif PG_VERSION_NUM >= 170000
#define ecs_create_foreignscan_path(root, rel, target, rows, startup_cost, \
									total_cost, pathkeys, required_outer, \
									fdw_outerpath, fdw_restrictinfo, \
									fdw_private) \
	create_foreignscan_path((root), (rel), (target), (rows), \
							(startup_cost), (total_cost), (pathkeys), \
							(required_outer), (fdw_outerpath), \
							(fdw_restrictinfo), (fdw_private))
#else
#define ecs_create_foreignscan_path(root, rel, target, rows, startup_cost, \
									total_cost, pathkeys, required_outer, \
									fdw_outerpath, fdw_restrictinfo, \
									fdw_private) \
	(AssertMacro((fdw_restrictinfo) == NIL), \
	 create_foreignscan_path((root), (rel), (target), (rows), \
							 (startup_cost), (total_cost), (pathkeys), \
							 (required_outer), (fdw_outerpath), \
							 (fdw_private)))
#endif

/*
 * ecs_wait_event_new
 *		The wait event pg_stat_activity shows under type "Extension" while a
 *		backend waits for us.  17 added named events for extensions
 *		(WaitEventExtensionNew); before, every such wait is "Extension".
 */
#if PG_VERSION_NUM >= 170000
#define ecs_wait_event_new(name) WaitEventExtensionNew(name)
#else
#define ecs_wait_event_new(name) ((void) (name), (uint32) PG_WAIT_EXTENSION)
#endif

#endif							/* ECS_COMPAT_H */

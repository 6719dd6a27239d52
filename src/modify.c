/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  Writable foreign tables (the updatable option).
 *
 * UPDATE of images changes image_name, description, image_family,
 * boot_mode and status through ModifyImageAttribute; DELETE of images is
 * DeleteImage; INSERT into and DELETE from image_share_permissions share
 * and unshare.  Rows are identified by their region_id and image_id (and
 * account_id), which the scan below the modification reads.  RETURNING of
 * UPDATE and DELETE reads the image again, so it shows what the API holds.
 * Like the lifecycle functions, these changes act at once: ROLLBACK does not
 * undo them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/inherit.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "ecs_image_fdw.h"

/* The columns UPDATE may change, by API field */
static const char *const changeable_fields[] = {
	"ImageName", "Description", "ImageFamily", "BootMode", "Status", NULL
};

/* The row identity columns, by API field, and their junk names */
static const char *const identity_fields[] = {"RegionId", "ImageId", "AliyunId"};
static const char *const identity_names[] = {
	"ecs_region_id", "ecs_image_id", "ecs_account_id"
};

/* What the planner hands the executor */
enum FdwModifyPrivateIndex
{
	FdwModifyPrivateTargetAttrs,	/* Integer list of changed attnums */
	FdwModifyPrivateTargetFields,	/* String list of their API fields */
	FdwModifyPrivateReturning	/* Boolean: the statement has RETURNING */
};

typedef struct EcsModifyState
{
	EcsConfig  *config;
	Relation	rel;
	List	   *target_attrs;
	List	   *target_fields;
	AttrNumber	junk[3];		/* row identity in the subplan's output */
	int			attnum[3];		/* the identity columns of the table */
	bool		returning;
} EcsModifyState;

static int	ecsIsForeignRelUpdatable(Relation rel);
static void ecsAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
									   RangeTblEntry *target_rte,
									   Relation target_relation);
static List *ecsPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
								  Index resultRelation, int subplan_index);
static void ecsBeginForeignModify(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo, List *fdw_private,
								  int subplan_index, int eflags);
static TupleTableSlot *ecsExecForeignInsert(EState *estate,
											ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
static TupleTableSlot *ecsExecForeignUpdate(EState *estate,
											ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
static TupleTableSlot *ecsExecForeignDelete(EState *estate,
											ResultRelInfo *rinfo,
											TupleTableSlot *slot,
											TupleTableSlot *planSlot);
static void ecsEndForeignModify(EState *estate, ResultRelInfo *rinfo);
static void ecsBeginForeignInsert(ModifyTableState *mtstate,
								  ResultRelInfo *rinfo);
static void ecsEndForeignInsert(EState *estate, ResultRelInfo *rinfo);

static int	identity_count(EcsResource resource);
static void refuse_on_conflict(Relation rel);
static int	identity_attnum(Relation rel, int which, bool required);
static char *slot_text(TupleTableSlot *slot, int attnum, const char *what);
static char *junk_text(TupleTableSlot *planSlot, AttrNumber attno,
					   const char *what);

/*
 * ecs_modify_routine
 *		Fill in the modification callbacks of the FdwRoutine.
 */
void
ecs_modify_routine(FdwRoutine *routine)
{
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
}

/*
 * ecsIsForeignRelUpdatable
 *		With the updatable option (the table's, else the server's): images
 *		take UPDATE and DELETE, share permissions INSERT and DELETE.
 */
static int
ecsIsForeignRelUpdatable(Relation rel)
{
	if (!ecs_option_table_bool(RelationGetRelid(rel), "updatable", false))
		return 0;
	switch (ecs_scan_table_resource(RelationGetRelid(rel)))
	{
		case ECS_RESOURCE_IMAGES:
			return (1 << CMD_UPDATE) | (1 << CMD_DELETE);
		case ECS_RESOURCE_SHARE_PERMISSIONS:
			return (1 << CMD_INSERT) | (1 << CMD_DELETE);
		default:
			return 0;
	}
}

/*
 * identity_count
 *		How many columns identify a row: region and image, and for share
 *		permissions the account.
 */
static int
identity_count(EcsResource resource)
{
	return resource == ECS_RESOURCE_SHARE_PERMISSIONS ? 3 : 2;
}

/*
 * identity_attnum
 *		The column that reads identity field which, or 0.
 */
static int
identity_attnum(Relation rel, int which, bool required)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped &&
			strcmp(ecs_scan_column_field(RelationGetRelid(rel), i + 1,
										 NameStr(att->attname)),
				   identity_fields[which]) == 0)
			return i + 1;
	}
	if (required)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("foreign table \"%s\" has no column for %s",
						RelationGetRelationName(rel), identity_fields[which]),
				 errhint("A writable table needs the columns region_id and image_id (and account_id for share permissions).")));
	return 0;
}

/*
 * ecsAddForeignUpdateTargets
 *		Have the scan pass on the region and image (and account) of each row.
 */
static void
ecsAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
						   RangeTblEntry *target_rte, Relation target_relation)
{
	int			n = identity_count(ecs_scan_table_resource(RelationGetRelid(target_relation)));
	int			i;

	for (i = 0; i < n; i++)
	{
		int			attnum = identity_attnum(target_relation, i, false);
		Form_pg_attribute att;

		/* without it, BeginForeignModify complains, if it gets that far */
		if (attnum == 0)
			continue;
		att = TupleDescAttr(RelationGetDescr(target_relation), attnum - 1);
		add_row_identity_var(root,
							 makeVar(rtindex, attnum, att->atttypid,
									 att->atttypmod, att->attcollation, 0),
							 rtindex, identity_names[i]);
	}
}

/*
 * ecsPlanForeignModify
 *		Check what an UPDATE changes: only the columns the API can change.
 */
static List *
ecsPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
					 Index resultRelation, int subplan_index)
{
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	List	   *attrs = NIL;
	List	   *fields = NIL;
	bool		returning = plan->returningLists != NIL &&
		list_nth(plan->returningLists, subplan_index) != NIL;

	if (plan->onConflictAction != ONCONFLICT_NONE)
		refuse_on_conflict(rel);

	/* a table that does not allow this is refused by the executor */
	if (plan->operation == CMD_UPDATE &&
		(ecsIsForeignRelUpdatable(rel) & (1 << CMD_UPDATE)))
	{
		RelOptInfo *rel_info = find_base_rel(root, resultRelation);
		Bitmapset  *cols = get_rel_all_updated_cols(root, rel_info);
		int			col = -1;

		while ((col = bms_next_member(cols, col)) >= 0)
		{
			int			attnum = col + FirstLowInvalidHeapAttributeNumber;
			Form_pg_attribute att;
			char	   *field;
			int			i;

			if (attnum <= 0)
				continue;
			att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
			field = ecs_scan_column_field(rte->relid, attnum, NameStr(att->attname));
			for (i = 0; changeable_fields[i] != NULL; i++)
			{
				if (strcmp(changeable_fields[i], field) == 0)
					break;
			}
			if (changeable_fields[i] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot change column \"%s\" of foreign table \"%s\"",
								NameStr(att->attname), RelationGetRelationName(rel)),
						 errhint("Only image_name, description, image_family, boot_mode and status can be changed.")));
			attrs = lappend_int(attrs, attnum);
			fields = lappend(fields, makeString(field));
		}
	}
	table_close(rel, NoLock);
	return list_make3(attrs, fields, makeBoolean(returning));
}

/*
 * refuse_on_conflict
 *		ON CONFLICT needs a unique constraint the API does not have.
 */
static void
refuse_on_conflict(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("INSERT with ON CONFLICT is not supported on foreign table \"%s\"",
					RelationGetRelationName(rel)),
			 errhint("Sharing an image with an account that has it already changes nothing; use a plain INSERT.")));
}

/*
 * begin_state
 *		The execution state of a modification of rinfo: the credentials of
 *		the role the table is checked as, and the row identity columns.
 */
static EcsModifyState *
begin_state(EState *estate, ResultRelInfo *rinfo)
{
	Relation	rel = rinfo->ri_RelationDesc;
	EcsModifyState *state = palloc0(sizeof(EcsModifyState));
	int			n = identity_count(ecs_scan_table_resource(RelationGetRelid(rel)));
	Oid			userid = ecs_result_rel_user(rinfo, estate);
	int			i;

	state->config = ecs_option_config_for_table(RelationGetRelid(rel), userid);
	state->rel = rel;
	for (i = 0; i < n; i++)
		state->attnum[i] = identity_attnum(rel, i, true);
	return state;
}

/*
 * ecsBeginForeignModify
 *		INSERT, UPDATE or DELETE planned by PlanForeignModify.
 */
static void
ecsBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					  List *fdw_private, int subplan_index, int eflags)
{
	EcsModifyState *state;
	int			i;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	state = begin_state(mtstate->ps.state, rinfo);
	state->target_attrs = (List *) list_nth(fdw_private, FdwModifyPrivateTargetAttrs);
	state->target_fields = (List *) list_nth(fdw_private, FdwModifyPrivateTargetFields);
	state->returning = boolVal(list_nth(fdw_private, FdwModifyPrivateReturning));
	if (mtstate->operation != CMD_INSERT)
	{
		for (i = 0; i < lengthof(state->junk); i++)
		{
			if (state->attnum[i] != 0)
				state->junk[i] = ExecFindJunkAttributeInTlist(outerPlanState(mtstate)->plan->targetlist,
															  identity_names[i]);
		}
	}
	rinfo->ri_FdwState = state;
}

/*
 * ecsBeginForeignInsert
 *		INSERT that PlanForeignModify did not plan: COPY FROM, and rows that
 *		tuple routing sends to a partition that is one of our tables.
 */
static void
ecsBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	ModifyTable *plan = (ModifyTable *) mtstate->ps.plan;
	EcsModifyState *state;

	/* COPY has no plan */
	if (plan != NULL && plan->onConflictAction != ONCONFLICT_NONE)
		refuse_on_conflict(rinfo->ri_RelationDesc);
	state = begin_state(mtstate->ps.state, rinfo);
	state->returning = rinfo->ri_returningList != NIL;
	rinfo->ri_FdwState = state;
}

/*
 * ecsEndForeignInsert
 *		Nothing to release, as for ecsEndForeignModify.
 */
static void
ecsEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
}

/*
 * slot_text
 *		A column of slot as text; it must not be NULL.
 */
static char *
slot_text(TupleTableSlot *slot, int attnum, const char *what)
{
	bool		isnull;
	Datum		value = slot_getattr(slot, attnum, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("column \"%s\" must not be null", what)));
	return TextDatumGetCString(value);
}

/*
 * junk_text
 *		A row identity value that the scan passed on.
 */
static char *
junk_text(TupleTableSlot *planSlot, AttrNumber attno, const char *what)
{
	bool		isnull;
	Datum		value = ExecGetJunkAttribute(planSlot, attno, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("column \"%s\" of the row must not be null", what)));
	return TextDatumGetCString(value);
}

/*
 * ecsExecForeignInsert
 *		INSERT into image_share_permissions: share the image.
 */
static TupleTableSlot *
ecsExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	EcsModifyState *state = (EcsModifyState *) rinfo->ri_FdwState;
	char	   *region = slot_text(slot, state->attnum[0], "region_id");
	char	   *image_id = slot_text(slot, state->attnum[1], "image_id");
	char	   *account = slot_text(slot, state->attnum[2], "account_id");

	ecs_check_account_id(account);
	ecs_share_accounts(state->config, region, image_id, list_make1(account), true);
	return slot;
}

/*
 * ecsExecForeignUpdate
 *		UPDATE of images: ModifyImageAttribute with the changed columns.
 */
static TupleTableSlot *
ecsExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	EcsModifyState *state = (EcsModifyState *) rinfo->ri_FdwState;
	char	   *region = junk_text(planSlot, state->junk[0], "region_id");
	char	   *image_id = junk_text(planSlot, state->junk[1], "image_id");
	char	   *values[5] = {NULL, NULL, NULL, NULL, NULL};
	ListCell   *la;
	ListCell   *lf;

	forboth(la, state->target_attrs, lf, state->target_fields)
	{
		int			attnum = lfirst_int(la);
		const char *field = strVal(lfirst(lf));
		int			i;

		for (i = 0; changeable_fields[i] != NULL; i++)
		{
			if (strcmp(changeable_fields[i], field) == 0)
				values[i] = slot_text(slot, attnum,
									  NameStr(TupleDescAttr(slot->tts_tupleDescriptor,
															attnum - 1)->attname));
		}
	}
	ecs_modify_image_attribute(state->config, region, image_id, values[0],
							   values[1], values[2], values[3], values[4]);
	if (state->returning &&
		!ecs_scan_fetch_image(state->rel, state->config, region, image_id, slot))
		return NULL;
	return slot;
}

/*
 * ecsExecForeignDelete
 *		DELETE of images (DeleteImage) or of share permissions (unshare).
 */
static TupleTableSlot *
ecsExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	EcsModifyState *state = (EcsModifyState *) rinfo->ri_FdwState;
	char	   *region = junk_text(planSlot, state->junk[0], "region_id");
	char	   *image_id = junk_text(planSlot, state->junk[1], "image_id");

	if (ecs_scan_table_resource(RelationGetRelid(state->rel)) == ECS_RESOURCE_SHARE_PERMISSIONS)
	{
		char	   *account = junk_text(planSlot, state->junk[2], "account_id");

		ecs_share_accounts(state->config, region, image_id,
						   list_make1(account), false);
		if (state->returning)
		{
			ExecClearTuple(slot);
			memset(slot->tts_isnull, true,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			slot->tts_values[state->attnum[0] - 1] = CStringGetTextDatum(region);
			slot->tts_values[state->attnum[1] - 1] = CStringGetTextDatum(image_id);
			slot->tts_values[state->attnum[2] - 1] = CStringGetTextDatum(account);
			slot->tts_isnull[state->attnum[0] - 1] = false;
			slot->tts_isnull[state->attnum[1] - 1] = false;
			slot->tts_isnull[state->attnum[2] - 1] = false;
			ExecStoreVirtualTuple(slot);
		}
		return slot;
	}

	/* read the image first: after the delete there is nothing to return */
	if (state->returning &&
		!ecs_scan_fetch_image(state->rel, state->config, region, image_id, slot))
		return NULL;
	ecs_delete_image_call(state->config, region, image_id, false);
	return slot;
}

/*
 * ecsEndForeignModify
 *		Nothing to release: every call was complete when it returned.
 */
static void
ecsEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
}

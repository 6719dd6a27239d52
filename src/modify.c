/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  Writable foreign tables (the updatable option).
 *
 * UPDATE of images changes image_name, description, image_family,
 * boot_mode and status through ModifyImageAttribute, and tags through
 * UntagResources and TagResources (what the image has now, read first, is
 * made what the new value says); DELETE of images is
 * DeleteImage; INSERT into and DELETE from image_share_permissions share
 * and unshare.  Rows are identified by their region_id and image_id (and
 * account_id), which the scan below the modification reads.  RETURNING of
 * UPDATE and DELETE reads the image again, so it shows what the API holds.
 * Like the lifecycle functions, these changes act at once: ROLLBACK does not
 * undo them (a statement in a transaction block says so with a WARNING), and
 * when a statement fails after some rows were changed, the error's HINT
 * lists them.  Each row is changed at most once per statement, however
 * often a join produces it.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/modify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
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
#include "utils/datum.h"
#include "utils/rel.h"

#include "imageops.h"

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
	FdwModifyPrivateReturning,	/* Boolean: the statement has RETURNING */
	FdwModifyPrivateAnyColumn	/* Boolean: BEFORE ROW UPDATE triggers may
								 * change any column */
};

/* Most rows named in the HINT of an error after some were changed */
#define MAX_DONE_NAMED 10

typedef struct EcsModifyState
{
	EcsConfig  *config;
	Relation	rel;
	List	   *target_attrs;
	List	   *target_fields;
	AttrNumber	junk[3];		/* row identity in the subplan's output */
	int			attnum[3];		/* the identity columns of the table */
	bool		returning;
	AttrNumber	wholerow;		/* the old row, when the triggers may change
								 * any column (or for RETURNING of a deleted
								 * share permission); else 0 */
	List	   *done;			/* String: identities of the rows changed */
	MemoryContext cxt;			/* where done lives */
} EcsModifyState;


static int	identity_count(EcsResource resource);
static void refuse_column(Relation rel, int attnum);
static int	changeable_column(Relation rel, int attnum, const char *field);
static void refuse_operation(Relation rel, CmdType operation);
static void refuse_on_conflict(Relation rel);
static int	identity_attnum(Relation rel, int which, bool required);
static char *slot_text(TupleTableSlot *slot, int attnum, const char *what);
static char *junk_text(TupleTableSlot *planSlot, AttrNumber attno,
					   const char *what);
static void update_tags(EcsModifyState *state, const char *region,
						const char *image_id, TupleTableSlot *slot,
						int attnum);

/*
 * ecsIsForeignRelUpdatable
 *		With the updatable option (the table's, else the server's): images
 *		take UPDATE and DELETE, share permissions INSERT and DELETE.
 */
int
ecsIsForeignRelUpdatable(Relation rel)
{
	if (!ecs_option_table_options(RelationGetRelid(rel))->updatable)
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
 *		Have the scan pass on the region and image (and account) of each row;
 *		and the whole row for RETURNING of a deleted share permission, which
 *		cannot be read again once it is gone.
 */
void
ecsAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
						   RangeTblEntry *target_rte, Relation target_relation)
{
	EcsResource resource = ecs_scan_table_resource(RelationGetRelid(target_relation));
	int			n = identity_count(resource);
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
	if (resource == ECS_RESOURCE_SHARE_PERMISSIONS &&
		root->parse->commandType == CMD_DELETE &&
		root->parse->returningList != NIL)
		add_row_identity_var(root,
							 makeWholeRowVar(target_rte, rtindex, 0, false),
							 rtindex, "wholerow");
}

/*
 * refuse_column
 *		An UPDATE, or a BEFORE ROW trigger, changes a column the API cannot.
 */
static void
refuse_column(Relation rel, int attnum)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot change column \"%s\" of foreign table \"%s\"",
					NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname),
					RelationGetRelationName(rel)),
			 errhint("Only %s can be changed.",
					 ecs_catalog_describe_words(ecs_image_changeable, -1,
												false, "and"))));
}

/*
 * changeable_column
 *		The EcsImageChange of the field a changed column
 *		reads; any other column is refused, and so are tags in a column
 *		that is not jsonb.
 */
static int
changeable_column(Relation rel, int attnum, const char *field)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	int			i = ecs_catalog_change(field);

	if (i < 0)
		refuse_column(rel, attnum);
	if (i == ECS_CHANGE_TAGS && att->atttypid != JSONBOID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change column \"%s\" of foreign table \"%s\"",
						NameStr(att->attname), RelationGetRelationName(rel)),
				 errhint("Tags can be changed through a jsonb column.")));
	return i;
}

/*
 * refuse_operation
 *		The table does not take this kind of statement: say why, and what
 *		would make it writable.
 */
static void
refuse_operation(Relation rel, CmdType operation)
{
	const char *what = operation == CMD_INSERT ? "inserts" :
		operation == CMD_UPDATE ? "updates" : "deletes";
	EcsResource resource = ecs_scan_table_resource(RelationGetRelid(rel));
	bool		supported;

	supported = (resource == ECS_RESOURCE_IMAGES && operation != CMD_INSERT) ||
		(resource == ECS_RESOURCE_SHARE_PERMISSIONS && operation != CMD_UPDATE);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("foreign table \"%s\" does not allow %s",
					RelationGetRelationName(rel), what),
			 supported ?
			 errhint("Set the option updatable to 'true' on the foreign table or its server to change the cloud from SQL.") :
			 errhint("Images take UPDATE and DELETE, share permissions INSERT and DELETE; other tables are read-only.")));
}

/*
 * ecsPlanForeignModify
 *		Check the statement: the table must take it, and an UPDATE may set
 *		only the columns the API can change.
 */
List *
ecsPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
					 Index resultRelation, int subplan_index)
{
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	List	   *attrs = NIL;
	List	   *fields = NIL;
	bool		returning = plan->returningLists != NIL &&
		list_nth(plan->returningLists, subplan_index) != NIL;
	bool		any_column = false;

	if (!(ecsIsForeignRelUpdatable(rel) & (1 << plan->operation)))
		refuse_operation(rel, plan->operation);
	if (plan->onConflictAction != ONCONFLICT_NONE)
		refuse_on_conflict(rel);

	if (plan->operation == CMD_UPDATE)
	{
		RelOptInfo *rel_info = find_base_rel(root, resultRelation);
		Bitmapset  *cols = get_rel_all_updated_cols(root, rel_info);
		int			col = -1;

		while ((col = bms_next_member(cols, col)) >= 0)
		{
			int			attnum = col + FirstLowInvalidHeapAttributeNumber;
			char	   *field;

			if (attnum <= 0)
				continue;
			field = ecs_scan_column_field(rte->relid, attnum,
										  NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname));
			(void) changeable_column(rel, attnum, field);
			attrs = lappend_int(attrs, attnum);
			fields = lappend(fields, makeString(field));
		}
		/* a BEFORE ROW trigger may change any column: compare them all */
		any_column = rel->trigdesc != NULL && rel->trigdesc->trig_update_before_row;
	}
	table_close(rel, NoLock);
	return list_make4(attrs, fields, makeBoolean(returning),
					  makeBoolean(any_column));
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
	state->cxt = CurrentMemoryContext;
	for (i = 0; i < n; i++)
		state->attnum[i] = identity_attnum(rel, i, true);
	return state;
}

/*
 * ecsBeginForeignModify
 *		INSERT, UPDATE or DELETE planned by PlanForeignModify.
 */
void
ecsBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
					  List *fdw_private, int subplan_index, int eflags)
{
	EcsModifyState *state;
	List	   *tlist;
	int			i;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	state = begin_state(mtstate->ps.state, rinfo);
	state->target_attrs = (List *) list_nth(fdw_private, FdwModifyPrivateTargetAttrs);
	state->target_fields = (List *) list_nth(fdw_private, FdwModifyPrivateTargetFields);
	state->returning = boolVal(list_nth(fdw_private, FdwModifyPrivateReturning));
	if (mtstate->operation != CMD_INSERT)
	{
		tlist = outerPlanState(mtstate)->plan->targetlist;
		for (i = 0; i < lengthof(state->junk); i++)
		{
			if (state->attnum[i] != 0)
				state->junk[i] = ExecFindJunkAttributeInTlist(tlist,
															  identity_names[i]);
		}
		if (boolVal(list_nth(fdw_private, FdwModifyPrivateAnyColumn)) ||
			mtstate->operation == CMD_DELETE)
			state->wholerow = ExecFindJunkAttributeInTlist(tlist, "wholerow");
	}
	rinfo->ri_FdwState = state;
}

/*
 * ecsBeginForeignInsert
 *		INSERT that PlanForeignModify did not plan: COPY FROM, and rows that
 *		tuple routing sends to a partition that is one of our tables.
 */
void
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
void
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
 * old_row
 *		The row as the scan read it, from the wholerow junk column, deformed
 *		into values and nulls of the table's descriptor.
 */
static void
old_row(EcsModifyState *state, TupleTableSlot *planSlot, Datum *values,
		bool *nulls)
{
	bool		isnull;
	Datum		datum = ExecGetJunkAttribute(planSlot, state->wholerow, &isnull);
	HeapTupleHeader td;
	HeapTupleData tuple;

	if (isnull)
		elog(ERROR, "the row to change was not passed on by the scan");
	td = DatumGetHeapTupleHeader(datum);
	tuple.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = td;
	heap_deform_tuple(&tuple, RelationGetDescr(state->rel), values, nulls);
}

/*
 * row_name
 *		How the HINT of a later error names a changed row.
 */
static char *
row_name(const char *region, const char *image_id, const char *account)
{
	return account ?
		psprintf("image %s in %s for account %s", image_id, region, account) :
		psprintf("image %s in %s", image_id, region);
}

/*
 * already_done
 *		Whether this statement changed the row already (a join can produce
 *		it more than once; like a table's row, it is changed only once).
 */
static bool
already_done(EcsModifyState *state, const char *name)
{
	ListCell   *lc;

	foreach(lc, state->done)
	{
		if (strcmp(strVal(lfirst(lc)), name) == 0)
			return true;
	}
	return false;
}

/*
 * mark_done
 *		Remember a changed row.  The first change in a transaction block
 *		warns that ROLLBACK will not undo it.
 */
static void
mark_done(EcsModifyState *state, const char *name)
{
	MemoryContext old = MemoryContextSwitchTo(state->cxt);

	if (state->done == NIL && IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("changes to foreign table \"%s\" take effect at once",
						RelationGetRelationName(state->rel)),
				 errdetail("ROLLBACK will not undo them.")));
	state->done = lappend(state->done, makeString(pstrdup(name)));
	MemoryContextSwitchTo(old);
}

/*
 * done_hint
 *		"Already changed and not undone: ..." with the first rows changed.
 */
static char *
done_hint(EcsModifyState *state)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%d %s changed before the error, and stay%s changed:",
					 list_length(state->done),
					 list_length(state->done) == 1 ? "row was" : "rows were",
					 list_length(state->done) == 1 ? "s" : "");
	foreach(lc, state->done)
	{
		if (foreach_current_index(lc) == MAX_DONE_NAMED)
		{
			appendStringInfo(&buf, " and %d more",
							 list_length(state->done) - MAX_DONE_NAMED);
			break;
		}
		appendStringInfo(&buf, "%s %s", foreach_current_index(lc) > 0 ? "," : "",
						 strVal(lfirst(lc)));
	}
	appendStringInfoChar(&buf, '.');
	return buf.data;
}

/*
 * insert_row
 *		INSERT into image_share_permissions: share the image.  Only the
 *		identity columns can be given: the API sets the others.
 */
static TupleTableSlot *
insert_row(EcsModifyState *state, TupleTableSlot *slot)
{
	TupleDesc	tupdesc = RelationGetDescr(state->rel);
	char	   *region = slot_text(slot, state->attnum[0], "region_id");
	char	   *image_id = slot_text(slot, state->attnum[1], "image_id");
	char	   *account = slot_text(slot, state->attnum[2], "account_id");
	char	   *name;
	int			i;

	for (i = 1; i <= tupdesc->natts; i++)
	{
		bool		isnull;

		if (TupleDescAttr(tupdesc, i - 1)->attisdropped ||
			i == state->attnum[0] || i == state->attnum[1] ||
			i == state->attnum[2])
			continue;
		(void) slot_getattr(slot, i, &isnull);
		if (!isnull)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot set column \"%s\" of foreign table \"%s\"",
							NameStr(TupleDescAttr(tupdesc, i - 1)->attname),
							RelationGetRelationName(state->rel)),
					 errhint("Sharing takes region_id, image_id and account_id; the API sets the other columns.")));
	}
	ecs_imageops_check_account_id(account);
	name = row_name(region, image_id, account);
	if (already_done(state, name))
		return NULL;
	ecs_imageops_share(state->config, region, image_id, list_make1(account),
					   true);
	mark_done(state, name);
	if (state->returning &&
		!ecs_scan_fetch_row(state->rel, state->config, region, image_id,
							account, slot))
		return NULL;
	return slot;
}

/*
 * update_row
 *		UPDATE of images: ModifyImageAttribute with the changed columns (the
 *		SET list's, and those a BEFORE ROW trigger changed).
 */
static TupleTableSlot *
update_row(EcsModifyState *state, TupleTableSlot *slot,
		   TupleTableSlot *planSlot)
{
	TupleDesc	tupdesc = RelationGetDescr(state->rel);
	char	   *region = junk_text(planSlot, state->junk[0], "region_id");
	char	   *image_id = junk_text(planSlot, state->junk[1], "image_id");
	char	   *name = row_name(region, image_id, NULL);
	char	   *values[ECS_CHANGE_TAGS] = {NULL, NULL, NULL, NULL, NULL};
	int			tags_attnum = 0;
	ListCell   *la;
	ListCell   *lf;

	if (already_done(state, name))
		return NULL;
	forboth(la, state->target_attrs, lf, state->target_fields)
	{
		int			attnum = lfirst_int(la);
		int			i = ecs_catalog_change(strVal(lfirst(lf)));

		if (i == ECS_CHANGE_TAGS)
			tags_attnum = attnum;
		else
			values[i] = slot_text(slot, attnum,
								  NameStr(TupleDescAttr(tupdesc, attnum - 1)->attname));
	}
	if (state->wholerow != 0)
	{
		Datum	   *old_values = palloc(sizeof(Datum) * tupdesc->natts);
		bool	   *old_nulls = palloc(sizeof(bool) * tupdesc->natts);
		int			attnum;

		old_row(state, planSlot, old_values, old_nulls);
		slot_getallattrs(slot);
		for (attnum = 1; attnum <= tupdesc->natts; attnum++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
			int			i;

			if (att->attisdropped ||
				list_member_int(state->target_attrs, attnum))
				continue;
			if (slot->tts_isnull[attnum - 1] == old_nulls[attnum - 1] &&
				(old_nulls[attnum - 1] ||
				 datum_image_eq(slot->tts_values[attnum - 1],
								old_values[attnum - 1], att->attbyval,
								att->attlen)))
				continue;
			i = changeable_column(state->rel, attnum,
								  ecs_scan_column_field(RelationGetRelid(state->rel),
														attnum, NameStr(att->attname)));
			if (i == ECS_CHANGE_TAGS)
				tags_attnum = attnum;
			else
				values[i] = slot_text(slot, attnum, NameStr(att->attname));
		}
	}
	if (ecs_imageops_any_change(values) || tags_attnum == 0)
		ecs_imageops_modify(state->config, region, image_id, values);
	if (tags_attnum > 0)
		update_tags(state, region, image_id, slot, tags_attnum);
	mark_done(state, name);
	if (state->returning &&
		!ecs_scan_fetch_row(state->rel, state->config, region, image_id, NULL,
							slot))
		return NULL;
	return slot;
}

/*
 * delete_row
 *		DELETE of images (DeleteImage) or of share permissions (unshare).
 */
static TupleTableSlot *
delete_row(EcsModifyState *state, TupleTableSlot *slot,
		   TupleTableSlot *planSlot)
{
	char	   *region = junk_text(planSlot, state->junk[0], "region_id");
	char	   *image_id = junk_text(planSlot, state->junk[1], "image_id");
	char	   *account = NULL;
	char	   *name;

	if (state->attnum[2] != 0)
		account = junk_text(planSlot, state->junk[2], "account_id");
	name = row_name(region, image_id, account);
	if (already_done(state, name))
		return NULL;

	if (account != NULL)
	{
		ecs_imageops_share(state->config, region, image_id,
						   list_make1(account), false);
		mark_done(state, name);
		/* the row as the scan read it: it is gone from the API now */
		if (state->returning)
		{
			ExecClearTuple(slot);
			old_row(state, planSlot, slot->tts_values, slot->tts_isnull);
			ExecStoreVirtualTuple(slot);
		}
		return slot;
	}

	/* read the image first: after the delete there is nothing to return */
	if (state->returning &&
		!ecs_scan_fetch_row(state->rel, state->config, region, image_id, NULL,
							slot))
		return NULL;
	ecs_imageops_delete(state->config, region, image_id, false);
	mark_done(state, name);
	return slot;
}

/*
 * exec_row
 *		Change one row; if that fails after earlier rows were changed, the
 *		error's HINT says which.
 */
static TupleTableSlot *
exec_row(ResultRelInfo *rinfo, CmdType operation, TupleTableSlot *slot,
		 TupleTableSlot *planSlot)
{
	EcsModifyState *state = (EcsModifyState *) rinfo->ri_FdwState;
	MemoryContext cxt = CurrentMemoryContext;
	TupleTableSlot *volatile result = NULL;

	PG_TRY();
	{
		if (operation == CMD_INSERT)
			result = insert_row(state, slot);
		else if (operation == CMD_UPDATE)
			result = update_row(state, slot, planSlot);
		else
			result = delete_row(state, slot, planSlot);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (state->done == NIL)
			PG_RE_THROW();
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hint = edata->hint ?
			psprintf("%s %s", done_hint(state), edata->hint) :
			done_hint(state);
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

/*
 * ecsExecForeignInsert
 *		INSERT into image_share_permissions: share the image.
 */
TupleTableSlot *
ecsExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return exec_row(rinfo, CMD_INSERT, slot, planSlot);
}

/*
 * update_tags
 *		Make an image's tags the new value of column attnum: read what it
 *		has now, remove the keys the new value lacks and set the tags that
 *		are new or have another value.  Done again, it changes nothing.
 */
static void
update_tags(EcsModifyState *state, const char *region, const char *image_id,
			TupleTableSlot *slot, int attnum)
{
	const char *column = NameStr(TupleDescAttr(slot->tts_tupleDescriptor,
											   attnum - 1)->attname);
	TupleTableSlot *now = MakeSingleTupleTableSlot(RelationGetDescr(state->rel),
												   &TTSOpsVirtual);
	bool		isnull;
	Datum		value = slot_getattr(slot, attnum, &isnull);
	List	   *want;
	List	   *have = NIL;
	List	   *set = NIL;
	List	   *remove = NIL;
	ListCell   *lc;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("column \"%s\" must not be null", column),
				 errhint("Set it to '{}' to remove every tag.")));
	want = ecs_imageops_tags_list(DatumGetJsonbP(value), true);
	if (!ecs_scan_fetch_row(state->rel, state->config, region, image_id, NULL,
							now))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("image \"%s\" in region \"%s\" is gone", image_id,
						region)));
	value = slot_getattr(now, attnum, &isnull);
	if (!isnull)
		have = ecs_imageops_tags_list(DatumGetJsonbP(value), false);
	ExecDropSingleTupleTableSlot(now);

	for (lc = list_head(have); lc != NULL; lc = lnext(have, lnext(have, lc)))
	{
		ListCell   *w;

		for (w = list_head(want); w != NULL; w = lnext(want, lnext(want, w)))
		{
			if (strcmp(lfirst(w), lfirst(lc)) == 0)
				break;
		}
		if (w == NULL)
			remove = lappend(remove, lfirst(lc));
	}
	for (lc = list_head(want); lc != NULL; lc = lnext(want, lnext(want, lc)))
	{
		ListCell   *h;

		for (h = list_head(have); h != NULL; h = lnext(have, lnext(have, h)))
		{
			if (strcmp(lfirst(h), lfirst(lc)) == 0)
				break;
		}
		if (h == NULL || strcmp(lfirst(lnext(have, h)), lfirst(lnext(want, lc))) != 0)
			set = list_concat(set, list_make2(lfirst(lc), lfirst(lnext(want, lc))));
	}
	ecs_imageops_change_tags(state->config, region, image_id, set, remove);
}

/*
 * ecsExecForeignUpdate
 *		UPDATE of images: ModifyImageAttribute with the changed columns.
 */
TupleTableSlot *
ecsExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return exec_row(rinfo, CMD_UPDATE, slot, planSlot);
}

/*
 * ecsExecForeignDelete
 *		DELETE of images (DeleteImage) or of share permissions (unshare).
 */
TupleTableSlot *
ecsExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
					 TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	return exec_row(rinfo, CMD_DELETE, slot, planSlot);
}

/*
 * ecsEndForeignModify
 *		Nothing to release: every call was complete when it returned.
 */
void
ecsEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
}

/*
 * ecsExplainForeignModify
 *		The API action each row becomes.
 */
void
ecsExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						List *fdw_private, int subplan_index,
						ExplainState *es)
{
	bool		images = ecs_scan_table_resource(RelationGetRelid(rinfo->ri_RelationDesc)) ==
		ECS_RESOURCE_IMAGES;

	ExplainPropertyText("ECS Action",
						!images ? "ModifyImageSharePermission" :
						mtstate->operation == CMD_UPDATE ? "ModifyImageAttribute" :
						"DeleteImage", es);
}

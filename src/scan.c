/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  Planning and executing scans of the foreign tables, EXPLAIN, and
 *		  IMPORT FOREIGN SCHEMA.
 *
 * Each foreign table shows one resource (images, regions).  Only the
 * columns a query uses are decoded; each is read from an API field (the
 * column's "field" option, or its name in CamelCase) and converted with the
 * column type's input function, so the table definition decides the SQL
 * types.  Rows stream out page by page as fanout.c receives them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "ecs_image_fdw.h"

/* Every image status; the API lists only Available ones unless asked */
#define ALL_IMAGE_STATUSES "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"

/* What the planner hands the executor in ForeignScan.fdw_private */
enum FdwScanPrivateIndex
{
	FdwScanPrivateRetrievedAttrs	/* Integer list of attnums to fill */
};

/* A resource a foreign table can show */
typedef struct ResourceDef
{
	const char *name;			/* the table name IMPORT gives it */
	const char *what;
	const char *action;
	const char *list_name;
	const char *item_name;
	bool		per_region;
	bool		paged;
	double		rows;			/* planner estimate */
	const char *columns;		/* column definitions for IMPORT */
} ResourceDef;

static const ResourceDef resources[] = {
	[ECS_RESOURCE_IMAGES] = {
		"images", "images", "DescribeImages", "Images", "Image",
		true, true, 1000,
		"region_id text, image_id text, image_name text, image_family text, "
		"image_version text, description text, status text, progress int, "
		"size int, architecture text, os_type text, os_name text, "
		"os_name_en text, platform text, boot_mode text, "
		"image_owner_alias text, image_owner_id text, usage text, "
		"is_copied boolean, is_self_shared boolean, is_subscribed boolean, "
		"is_support_cloudinit boolean, is_support_io_optimized boolean, "
		"is_public boolean, creation_time timestamptz, product_code text, "
		"resource_group_id text, license_type text, tags jsonb, "
		"disk_device_mappings jsonb, features jsonb, raw jsonb"
	},
	[ECS_RESOURCE_REGIONS] = {
		"regions", "regions", "DescribeRegions", "Regions", "Region",
		false, false, 30,
		"region_id text, local_name text, region_endpoint text, status text"
	},
};

/* Column names whose API field is not simply the name in CamelCase */
static const struct
{
	const char *column;
	const char *field;
}			field_exceptions[] = {
	{"os_type", "OSType"},
	{"os_name", "OSName"},
	{"os_name_en", "OSNameEn"},
	{"raw", "*"},
	{NULL, NULL}
};

/* How to turn one API field into one column */
typedef struct ColumnState
{
	int			attnum;			/* 1-based */
	bool		is_string;		/* an empty string stays a value */
	FmgrInfo	input;
	Oid			ioparam;
	int32		typmod;
	const char *name;
} ColumnState;

/* Execution state of a scan */
typedef struct EcsScanState
{
	EcsConfig  *config;
	EcsListSpec spec;
	ColumnState *columns;		/* one per field of spec */
	MemoryContext cxt;			/* the listing's parent */
	MemoryContext row_cxt;		/* reset for each row */
	EcsFanout  *fanout;			/* NULL until the first row is asked for */
	EcsFanoutStats stats;		/* of listings finished by a rescan */
	EcsPage    *page;
	int			row;			/* next row of page */
	const char *relname;
	int			errcolumn;		/* for the error context callback */
} EcsScanState;

static void ecsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
								 Oid foreigntableid);
static void ecsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
							   Oid foreigntableid);
static ForeignScan *ecsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid,
									  ForeignPath *best_path, List *tlist,
									  List *scan_clauses, Plan *outer_plan);
static void ecsBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *ecsIterateForeignScan(ForeignScanState *node);
static void ecsReScanForeignScan(ForeignScanState *node);
static void ecsEndForeignScan(ForeignScanState *node);
static void ecsExplainForeignScan(ForeignScanState *node, ExplainState *es);
static List *ecsImportForeignSchema(ImportForeignSchemaStmt *stmt,
									Oid serverOid);

static char *default_field(const char *column);
static void init_columns(EcsScanState *state, Relation rel,
						 List *retrieved_attrs);
static void conversion_error_callback(void *arg);
static void accumulate_stats(EcsScanState *state);

/*
 * ecs_scan_routine
 *		Fill in the scan and import callbacks of the FdwRoutine.
 */
void
ecs_scan_routine(FdwRoutine *routine)
{
	routine->GetForeignRelSize = ecsGetForeignRelSize;
	routine->GetForeignPaths = ecsGetForeignPaths;
	routine->GetForeignPlan = ecsGetForeignPlan;
	routine->BeginForeignScan = ecsBeginForeignScan;
	routine->IterateForeignScan = ecsIterateForeignScan;
	routine->ReScanForeignScan = ecsReScanForeignScan;
	routine->EndForeignScan = ecsEndForeignScan;
	routine->ExplainForeignScan = ecsExplainForeignScan;
	routine->ImportForeignSchema = ecsImportForeignSchema;
}

/*
 * ecsGetForeignRelSize
 *		Estimate the number of rows.  Asking the API would cost a request
 *		per region, so this is a fixed guess per resource.
 */
static void
ecsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
					 Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	EcsResource resource = ECS_RESOURCE_IMAGES;
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "resource") == 0 &&
			strcmp(defGetString(def), "regions") == 0)
			resource = ECS_RESOURCE_REGIONS;
	}
	baserel->rows = clamp_row_est(resources[resource].rows *
								  clauselist_selectivity(root,
														 baserel->baserestrictinfo,
														 0, JOIN_INNER, NULL));
}

/*
 * ecsGetForeignPaths
 *		One path: the whole listing.  A request costs far more than a row.
 */
static void
ecsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
				   Oid foreigntableid)
{
	Cost		startup_cost = 100;
	Cost		total_cost = startup_cost + baserel->rows * 0.1;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup_cost, total_cost, NIL,
									 NULL, NULL, NIL));
}

/*
 * ecsGetForeignPlan
 *		Every qual is checked locally; the plan records which columns the
 *		query needs, so only those are decoded.
 */
static ForeignScan *
ecsGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses,
				  Plan *outer_plan)
{
	Bitmapset  *attrs = NULL;
	List	   *retrieved_attrs = NIL;
	ListCell   *lc;
	int			i;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst(lc);

		pull_varattnos((Node *) rinfo->clause, baserel->relid, &attrs);
	}

	/* a whole-row reference needs every column */
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs))
	{
		RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
		Relation	rel = table_open(rte->relid, NoLock);

		for (i = 1; i <= RelationGetNumberOfAttributes(rel); i++)
		{
			if (!TupleDescAttr(RelationGetDescr(rel), i - 1)->attisdropped)
				retrieved_attrs = lappend_int(retrieved_attrs, i);
		}
		table_close(rel, NoLock);
	}
	else
	{
		i = -1;
		while ((i = bms_next_member(attrs, i)) >= 0)
		{
			int			attnum = i + FirstLowInvalidHeapAttributeNumber;

			if (attnum > 0)
				retrieved_attrs = lappend_int(retrieved_attrs, attnum);
		}
	}

	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, NIL,
							list_make1(retrieved_attrs), NIL, NIL,
							outer_plan);
}

/*
 * default_field
 *		The API field a column reads by default: its name in CamelCase.
 */
static char *
default_field(const char *column)
{
	StringInfoData buf;
	bool		upper = true;
	const char *p;
	int			i;

	for (i = 0; field_exceptions[i].column != NULL; i++)
	{
		if (strcmp(field_exceptions[i].column, column) == 0)
			return pstrdup(field_exceptions[i].field);
	}

	initStringInfo(&buf);
	for (p = column; *p; p++)
	{
		if (*p == '_')
		{
			upper = true;
			continue;
		}
		appendStringInfoChar(&buf, upper ? pg_toupper((unsigned char) *p) : *p);
		upper = false;
	}
	return buf.data;
}

/*
 * init_columns
 *		Set up the fields to decode and the conversion of each.
 */
static void
init_columns(EcsScanState *state, Relation rel, List *retrieved_attrs)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			n = list_length(retrieved_attrs);
	EcsField   *fields = palloc0(sizeof(EcsField) * Max(n, 1));
	ListCell   *lc;
	int			i = 0;

	state->columns = palloc0(sizeof(ColumnState) * Max(n, 1));
	foreach(lc, retrieved_attrs)
	{
		int			attnum = lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
		ColumnState *col = &state->columns[i];
		EcsField   *field = &fields[i];
		char	   *name = ecs_option_column_field(RelationGetRelid(rel), attnum);
		Oid			typinput;

		col->attnum = attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->typmod = att->atttypmod;
		getTypeInputInfo(att->atttypid, &typinput, &col->ioparam);
		fmgr_info(typinput, &col->input);

		switch (att->atttypid)
		{
			case TEXTOID:
			case VARCHAROID:
			case BPCHAROID:
			case NAMEOID:
				col->is_string = true;
				break;
			default:
				break;
		}

		field->name = name ? name : default_field(col->name);
		if (strcmp(field->name, "*") == 0)
			field->kind = ECS_FIELD_RAW;
		else if (name == NULL && strcmp(col->name, "region_id") == 0 &&
				 state->spec.per_region)
			field->kind = ECS_FIELD_REGION;
		else if (att->atttypid == JSONBOID || att->atttypid == JSONOID)
			field->kind = strcmp(field->name, "Tags") == 0 ?
				ECS_FIELD_TAGS : ECS_FIELD_JSON;
		else if (att->atttypid == INT2OID || att->atttypid == INT4OID ||
				 att->atttypid == INT8OID || att->atttypid == NUMERICOID ||
				 att->atttypid == FLOAT4OID || att->atttypid == FLOAT8OID)
			field->kind = ECS_FIELD_PERCENT;
		else
			field->kind = ECS_FIELD_SCALAR;
		i++;
	}
	state->spec.fields = fields;
	state->spec.nfields = n;
}

/*
 * ecsBeginForeignScan
 *		Resolve options and credentials and prepare the conversions; no
 *		request is sent before the first row is asked for.
 */
static void
ecsBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	RangeTblEntry *rte;
	Oid			userid;
	EcsScanState *state;
	const ResourceDef *def;

	state = palloc0(sizeof(EcsScanState));
	state->errcolumn = -1;
	node->fdw_state = state;

	rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);
	userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	state->config = ecs_option_config_for_table(RelationGetRelid(rel), userid);
	state->relname = pstrdup(RelationGetRelationName(rel));

	def = &resources[state->config->resource];
	state->spec.what = def->what;
	state->spec.action = def->action;
	state->spec.list_name = def->list_name;
	state->spec.item_name = def->item_name;
	state->spec.per_region = def->per_region;
	state->spec.paged = def->paged;
	state->spec.limit = -1;
	if (strcmp(state->config->regions, "*") != 0)
		state->spec.regions = ecs_option_split_list(state->config->regions);

	if (state->config->resource == ECS_RESOURCE_IMAGES)
	{
		List	   *aliases = NIL;
		ListCell   *lc;

		if (strcmp(state->config->image_owner_alias, "all") != 0)
			aliases = ecs_option_split_list(state->config->image_owner_alias);
		else
			aliases = list_make1(NULL);
		foreach(lc, aliases)
		{
			EcsParams  *params = palloc0(sizeof(EcsParams));

			ecs_params_add(params, "Status", ALL_IMAGE_STATUSES);
			if (lfirst(lc) != NULL)
				ecs_params_add(params, "ImageOwnerAlias", lfirst(lc));
			state->spec.param_sets = lappend(state->spec.param_sets, params);
		}
	}

	init_columns(state, rel,
				 (List *) list_nth(fsplan->fdw_private,
								   FdwScanPrivateRetrievedAttrs));

	state->cxt = AllocSetContextCreate(estate->es_query_cxt,
									   "ecs_image_fdw scan",
									   ALLOCSET_DEFAULT_SIZES);
	state->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "ecs_image_fdw row",
										   ALLOCSET_SMALL_SIZES);
}

/*
 * conversion_error_callback
 *		Name the column and table when a value fails to convert.
 */
static void
conversion_error_callback(void *arg)
{
	EcsScanState *state = (EcsScanState *) arg;

	if (state->errcolumn >= 0)
		errcontext("column \"%s\" of foreign table \"%s\"",
				   state->columns[state->errcolumn].name, state->relname);
}

/*
 * ecsIterateForeignScan
 *		The next row, from the current page or the next one to arrive.
 */
static TupleTableSlot *
ecsIterateForeignScan(ForeignScanState *node)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ErrorContextCallback errcallback;
	MemoryContext old;
	char	  **row;
	int			i;

	ExecClearTuple(slot);

	if (state->fanout == NULL)
	{
		old = MemoryContextSwitchTo(state->cxt);
		state->fanout = ecs_fanout_begin(state->config, &state->spec);
		MemoryContextSwitchTo(old);
	}
	while (state->page == NULL || state->row >= state->page->nrows)
	{
		state->page = ecs_fanout_next_page(state->fanout);
		state->row = 0;
		if (state->page == NULL)
			return slot;
	}
	row = state->page->values + (size_t) state->row * state->spec.nfields;
	state->row++;

	MemoryContextReset(state->row_cxt);
	old = MemoryContextSwitchTo(state->row_cxt);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);

	errcallback.callback = conversion_error_callback;
	errcallback.arg = state;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	for (i = 0; i < state->spec.nfields; i++)
	{
		ColumnState *col = &state->columns[i];
		char	   *value = row ? row[i] : NULL;

		if (value == NULL || (value[0] == '\0' && !col->is_string))
			continue;
		state->errcolumn = i;
		slot->tts_values[col->attnum - 1] =
			InputFunctionCall(&col->input, value, col->ioparam, col->typmod);
		slot->tts_isnull[col->attnum - 1] = false;
	}
	state->errcolumn = -1;
	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(old);

	return ExecStoreVirtualTuple(slot);
}

/*
 * accumulate_stats
 *		Add the counts of the current listing to the scan's totals.
 */
static void
accumulate_stats(EcsScanState *state)
{
	if (state->fanout != NULL)
	{
		const EcsFanoutStats *s = ecs_fanout_stats(state->fanout);

		state->stats.requests += s->requests;
		state->stats.pages += s->pages;
		state->stats.retries += s->retries;
	}
}

/*
 * ecsReScanForeignScan
 *		Start the listing over.
 */
static void
ecsReScanForeignScan(ForeignScanState *node)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;

	accumulate_stats(state);
	if (state->fanout != NULL)
		ecs_fanout_end(state->fanout);
	state->fanout = NULL;
	state->page = NULL;
	state->row = 0;
}

/*
 * ecsEndForeignScan
 *		Release the listing; requests still in flight are aborted.
 */
static void
ecsEndForeignScan(ForeignScanState *node)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;

	if (state == NULL)
		return;
	MemoryContextDelete(state->cxt);
	state->fanout = NULL;
}

/*
 * ecsExplainForeignScan
 *		Show the action, the regions and the API filters; with ANALYZE, the
 *		requests, pages and retries it took.
 */
static void
ecsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	EcsScanState *state = (EcsScanState *) node->fdw_state;

	ExplainPropertyText("ECS Action", state->spec.action, es);
	if (es->verbose)
	{
		StringInfoData buf;
		ListCell   *lc;

		ExplainPropertyText("ECS Regions",
							!state->spec.per_region ? "(none)" :
							state->spec.regions == NIL ? "all of the account" :
							state->config->regions, es);
		initStringInfo(&buf);
		foreach(lc, state->spec.param_sets)
		{
			EcsParams  *params = lfirst(lc);
			int			i;

			appendStringInfoString(&buf, buf.len > 0 ? "; " : "");
			for (i = 0; i < params->count; i++)
				appendStringInfo(&buf, "%s%s=%s", i > 0 ? ", " : "",
								 params->items[i].name, params->items[i].value);
		}
		if (buf.len > 0)
			ExplainPropertyText("ECS Filters", buf.data, es);
	}
	if (es->analyze)
	{
		EcsFanoutStats total = state->stats;

		if (state->fanout != NULL)
		{
			const EcsFanoutStats *s = ecs_fanout_stats(state->fanout);

			total.requests += s->requests;
			total.pages += s->pages;
			total.retries += s->retries;
		}
		ExplainPropertyInteger("ECS Requests", NULL, total.requests, es);
		ExplainPropertyInteger("ECS Pages", NULL, total.pages, es);
		ExplainPropertyInteger("ECS Retries", NULL, total.retries, es);
	}
}

/*
 * ecsImportForeignSchema
 *		IMPORT FOREIGN SCHEMA ecs: one foreign table per resource.  The
 *		core applies LIMIT TO and EXCEPT to what this returns.
 */
static List *
ecsImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *commands = NIL;
	int			i;

	if (strcmp(stmt->remote_schema, "ecs") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not present on foreign server \"%s\"",
						stmt->remote_schema, server->servername),
				 errhint("The only schema is \"ecs\".")));

	for (i = 0; i < lengthof(resources); i++)
		commands = lappend(commands,
						   psprintf("CREATE FOREIGN TABLE %s (%s) SERVER %s OPTIONS (resource %s)",
									quote_identifier(resources[i].name),
									resources[i].columns,
									quote_identifier(server->servername),
									quote_literal_cstr(resources[i].name)));
	return commands;
}

/*-------------------------------------------------------------------------
 *
 * pushdown.c
 *		  Which WHERE clauses become API filters, and their values at run time.
 *
 * A clause is pushed when it compares a column that maps onto a filter
 * parameter of the resource's Describe action with something that does not
 * depend on the scanned row: "col = expr", "col IN (...)", "col = ANY(expr)"
 * (text equality), and "tags @> '{"k": "v"}'".  The expressions go to the
 * executor in fdw_exprs and are evaluated when the scan starts, so
 * parameters ($1, and the outer values of a parameterized join) work too.
 *
 * Pushing only narrows what the API sends.  Every clause is still checked
 * locally, so where the API's meaning differs from SQL's (ImageName is a
 * fuzzy match, some filters ignore case, DescribeTasks ignores unknown
 * statuses) the result is still exactly what SQL says.  The filter values
 * must therefore never be stricter than the clause: a value the API cannot
 * express makes the clause local only.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/pushdown.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "ecs_image_fdw.h"

/* The jsonb @> jsonb operator */
#define OID_JSONB_CONTAINS_OP 3246

static Var *column_var(Node *node, Index relid);
static bool has_var_of(Node *node, Index *relid);
static bool is_text_eq(Oid opfuncid);
static bool deterministic(Oid collation);
static bool classify_clause(Expr *clause, Index relid, EcsResource resource,
							char **const fields, int natts,
							const EcsFilterDef **map, Expr **value,
							bool *is_array);
static bool tags_values(Datum jsonb, List **values);
static bool usable_values(EcsFilter *filter, bool empty_is_none);

/*
 * column_var
 *		node as a column of the scanned relation (under binary-compatible
 *		casts), or NULL.
 */
static Var *
column_var(Node *node, Index relid)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node && IsA(node, Var) && ((Var *) node)->varno == relid &&
		((Var *) node)->varlevelsup == 0 && ((Var *) node)->varattno > 0)
		return (Var *) node;
	return NULL;
}

/*
 * has_var_of
 *		Whether node refers to a column of the relation *relid.
 */
static bool
has_var_of(Node *node, Index *relid)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varno == *relid &&
			((Var *) node)->varlevelsup == 0;
	return expression_tree_walker(node, has_var_of, relid);
}

/*
 * is_text_eq
 *		Whether a comparison function is text equality.
 */
static bool
is_text_eq(Oid opfuncid)
{
	return opfuncid == F_TEXTEQ;
}

/*
 * deterministic
 *		Whether equality under collation is equality of the bytes.
 */
static bool
deterministic(Oid collation)
{
	return !OidIsValid(collation) || get_collation_isdeterministic(collation);
}

/*
 * classify_clause
 *		Whether clause is a filter this resource can push, and if so which,
 *		with the expression that gives its value(s).  fields[attnum - 1] is
 *		the API field of each column.
 */
static bool
classify_clause(Expr *clause, Index relid, EcsResource resource,
				char **const fields, int natts,
				const EcsFilterDef **map, Expr **value, bool *is_array)
{
	Var		   *var = NULL;
	Expr	   *other = NULL;

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;

		if (list_length(op->args) != 2)
			return false;
		if (op->opno == OID_JSONB_CONTAINS_OP)
		{
			var = column_var(linitial(op->args), relid);
			other = lsecond(op->args);
			if (var == NULL || !IsA(other, Const) || ((Const *) other)->constisnull)
				return false;
		}
		else
		{
			set_opfuncid(op);
			if (!is_text_eq(op->opfuncid))
				return false;
			var = column_var(linitial(op->args), relid);
			other = lsecond(op->args);
			if (var == NULL)
			{
				var = column_var(lsecond(op->args), relid);
				other = linitial(op->args);
			}
		}
		*is_array = false;
	}
	else if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *op = (ScalarArrayOpExpr *) clause;

		set_sa_opfuncid(op);
		if (!op->useOr || !is_text_eq(op->opfuncid))
			return false;
		var = column_var(linitial(op->args), relid);
		other = lsecond(op->args);
		*is_array = true;
	}
	else
		return false;

	/*
	 * The API compares exactly; under a collation that finds other strings
	 * equal (case-insensitive, say) it would miss rows that match.
	 */
	if (!deterministic(exprInputCollation((Node *) clause)))
		return false;

	if (var == NULL || var->varattno > natts || fields[var->varattno - 1] == NULL)
		return false;
	/*
	 * The value must not depend on the scanned row (other relations' columns
	 * are fine: they become parameters of a parameterized path), and must
	 * be stable.
	 */
	if (has_var_of((Node *) other, &relid) ||
		contain_volatile_functions((Node *) other))
		return false;

	*map = ecs_catalog_filter(resource, fields[var->varattno - 1]);
	if (*map == NULL)
		return false;
	/* tags go with @> only, the others with equality only */
	if (((*map)->kind == ECS_FILTER_TAGS) !=
		(IsA(clause, OpExpr) && ((OpExpr *) clause)->opno == OID_JSONB_CONTAINS_OP))
		return false;
	*value = other;
	return true;
}

/*
 * ecs_pushdown_classify
 *		Split the restriction clauses of a scan into API filters.  Each
 *		pushed clause adds a filter description to *filters (for
 *		fdw_private) and its value expression to *exprs (for fdw_exprs), at
 *		the same position.  Every clause stays a local qual as well.
 */
void
ecs_pushdown_classify(EcsResource resource, Index relid, char **const fields,
					  int natts, List *clauses, List **filters, List **exprs)
{
	ListCell   *lc;

	if (!ecs_pushdown_enabled)
		return;
	foreach(lc, clauses)
	{
		Expr	   *clause = (Expr *) lfirst(lc);
		const EcsFilterDef *map;
		Expr	   *value;
		bool		is_array;

		if (IsA(clause, RestrictInfo))
			clause = ((RestrictInfo *) clause)->clause;
		if (!classify_clause(clause, relid, resource, fields, natts,
							 &map, &value, &is_array))
			continue;
		*filters = lappend(*filters,
						   list_make4(makeInteger(map->kind),
									  makeString(pstrdup(map->param)),
									  makeBoolean(is_array),
									  makeBoolean(map->empty_is_none)));
		*exprs = lappend(*exprs, value);
	}
}

/*
 * ecs_pushdown_clause_values
 *		How many values one clause would send as an API filter (a constant
 *		array's length, else 1), its kind and its parameter; 0 if it is not
 *		pushed.  For costing paths.
 */
int
ecs_pushdown_clause_values(EcsResource resource, Index relid,
						   char **const fields, int natts, Expr *clause,
						   EcsFilterKind *kind, const char **param)
{
	const EcsFilterDef *map;
	Expr	   *value;
	bool		is_array;

	if (!ecs_pushdown_enabled ||
		!classify_clause(clause, relid, resource, fields, natts,
						 &map, &value, &is_array))
		return 0;
	*kind = map->kind;
	*param = map->param;
	if (is_array && IsA(value, Const) && !((Const *) value)->constisnull)
		return Max(1, ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(((Const *) value)->constvalue)),
									 ARR_DIMS(DatumGetArrayTypeP(((Const *) value)->constvalue))));
	return 1;
}

/*
 * tags_values
 *		The key/value pairs of a jsonb object whose values are all strings,
 *		as alternating key and value String nodes.  False for anything else.
 */
static bool
tags_values(Datum jsonb, List **values)
{
	Jsonb	   *jb = DatumGetJsonbP(jsonb);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	if (!JB_ROOT_IS_OBJECT(jb))
		return false;
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				if (++depth > 1)
					return false;
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				depth--;
				break;
			case WJB_KEY:
				*values = lappend(*values,
								  makeString(pnstrdup(v.val.string.val,
													  v.val.string.len)));
				break;
			case WJB_VALUE:
				if (v.type != jbvString)
					return false;
				*values = lappend(*values,
								  makeString(pnstrdup(v.val.string.val,
													  v.val.string.len)));
				break;
			default:
				return false;
		}
	}
	return true;
}

/*
 * usable_values
 *		Drop the values of filter that no row can have: a region id that is
 *		not valid (no row has one, and only a valid one may reach a URL), an
 *		empty id (empty_is_none), a tag with an empty key (which makes the
 *		whole condition impossible).  False if an empty value makes the
 *		filter unable to say what the clause says (the API takes an empty
 *		value as no filter), so it stays local.
 */
static bool
usable_values(EcsFilter *filter, bool empty_is_none)
{
	ListCell   *lc;

	if (filter->kind == ECS_FILTER_TAGS)
	{
		for (lc = list_head(filter->values); lc != NULL;
			 lc = lnext(filter->values, lnext(filter->values, lc)))
		{
			if (strVal(lfirst(lc))[0] == '\0')
			{
				filter->values = NIL;
				break;
			}
		}
		return true;
	}
	foreach(lc, filter->values)
	{
		const char *v = strVal(lfirst(lc));

		if (filter->kind == ECS_FILTER_REGION ? !ecs_valid_region_id(v) :
			v[0] == '\0' && empty_is_none)
			filter->values = foreach_delete_current(filter->values, lc);
		else if (v[0] == '\0')
			return false;
	}
	return true;
}

/*
 * ecs_pushdown_evaluate
 *		The values of the filters, for this execution.  Returns a list of
 *		EcsFilter.  Sets *no_rows when a filter can match nothing (a NULL
 *		value, an empty array), so no request needs to be sent at all.
 */
List *
ecs_pushdown_evaluate(List *filters, List *exprstates, ExprContext *econtext,
					  bool *no_rows)
{
	List	   *result = NIL;
	ListCell   *lf;
	ListCell   *le;

	*no_rows = false;
	forboth(lf, filters, le, exprstates)
	{
		List	   *desc = (List *) lfirst(lf);
		ExprState  *state = (ExprState *) lfirst(le);
		EcsFilter  *filter = palloc0(sizeof(EcsFilter));
		bool		isnull;
		Datum		value;

		filter->kind = (EcsFilterKind) intVal(linitial(desc));
		filter->param = strVal(lsecond(desc));
		value = ExecEvalExpr(state, econtext, &isnull);
		if (isnull)
		{
			*no_rows = true;
			return NIL;
		}

		if (filter->kind == ECS_FILTER_TAGS)
		{
			if (!tags_values(value, &filter->values))
				continue;		/* not expressible: local only */
			if (filter->values == NIL)
				continue;		/* @> '{}' matches everything */
		}
		else if (boolVal(lthird(desc)))
		{
			ArrayType  *array = DatumGetArrayTypeP(value);
			Datum	   *elems;
			bool	   *nulls;
			int			n;
			int			i;

			deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &n);
			for (i = 0; i < n; i++)
			{
				if (!nulls[i])
					filter->values = list_append_unique(filter->values,
														makeString(TextDatumGetCString(elems[i])));
			}
			if (filter->values == NIL)
			{
				*no_rows = true;
				return NIL;
			}
		}
		else
			filter->values = list_make1(makeString(TextDatumGetCString(value)));

		if (!usable_values(filter, boolVal(lfourth(desc))))
			continue;			/* not expressible: local only */
		if (filter->values == NIL)
		{
			*no_rows = true;
			return NIL;
		}
		result = lappend(result, filter);
	}
	return result;
}

/*-------------------------------------------------------------------------
 *
 * plan.h
 *		  The listing plan: the regions and parameter sets of a listing, from
 *		  the table's options and the values of the pushed filters.
 *
 * plan.c is compiled into the module and, with -DFRONTEND, into the unit
 * test in test/unit, so it and this header use only what postgres_fe.h
 * and libpgcommon give (palloc, StringInfo, psprintf): plain arrays in and
 * out, no Lists, Nodes, elog or ereport.  Include it after postgres.h or
 * postgres_fe.h.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/plan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_PLAN_H
#define ECS_PLAN_H

#include "catalog.h"
#include "sign.h"

/* At most this many listings per region; more filter values stay local */
#define ECS_MAX_PARAM_SETS 64

/* A growable list of request parameters */
typedef struct EcsParams
{
	EcsParam   *items;
	int			count;
	int			capacity;
} EcsParams;

/* A pushed filter with its values for one execution */
typedef struct EcsPlanFilter
{
	EcsFilterKind kind;
	const char *param;			/* request parameter */
	const char **values;		/* key, value, key, ... for tags */
	int			nvalues;
} EcsPlanFilter;

/* What a listing is planned from */
typedef struct EcsPlanInput
{
	EcsResource resource;
	const char *const *regions; /* the regions option; NULL for "*" */
	int			nregions;
	const char *const *aliases; /* image_owner_alias; NULL for "all" */
	int			naliases;
	const EcsPlanFilter *filters;	/* the pushed filters' values */
	int			nfilters;
} EcsPlanInput;

/* The plan: what to ask the API for, and what to check of each row */
typedef struct EcsPlan
{
	bool		no_rows;		/* the filters match nothing: no request */
	bool		lenient;		/* regions or ids came from the query */
	bool		per_own_image;	/* permissions of every own image */
	const char **regions;		/* the regions to list; none: every region */
	int			nregions;
	EcsParams  *param_sets;		/* one listing per set in each region */
	int			nparam_sets;
	const char *extra_field;	/* a field rows must carry after the
								 * columns (ImageOwnerAlias), or NULL */
	const char **alias_check;	/* the extra field's values a row may
								 * have; none: no check */
	int			nalias_check;
	const char **accounts;		/* the accounts rows must be of; none: any */
	int			naccounts;
	char	   *explain;		/* the API filters, for EXPLAIN */
	char	   *explain_accounts;	/* the account condition, or NULL */
} EcsPlan;

extern EcsPlan *ecs_plan_build(const EcsPlanInput *input);
extern bool ecs_plan_stays_local(EcsResource resource, EcsFilterKind kind,
								 const char *param, int nvalues);
extern void ecs_params_add(EcsParams *params, const char *name,
						   const char *value);

#endif							/* ECS_PLAN_H */

/*-------------------------------------------------------------------------
 *
 * catalog.h
 *		  The API catalog: what ecs_image_fdw knows about the ECS API.
 *
 * Each resource a foreign table can show, with its Describe action, the
 * members of its answer, the filters a condition can become (and the
 * values the API knows for some of them), the columns IMPORT FOREIGN
 * SCHEMA gives it and their SQL types; the columns of images that UPDATE
 * may change; and the value lists (owner aliases, statuses, OS types,
 * architectures).  Everything else reads these facts from here.
 *
 * Plain constant data and small lookups only: catalog.c is compiled into
 * the module and, with -DFRONTEND, into the unit test in test/unit, so
 * nothing here uses Lists, Nodes, elog or ereport.  Include it after
 * postgres.h or postgres_fe.h.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/catalog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_CATALOG_H
#define ECS_CATALOG_H

/* API versions of the two products we call */
#define ECS_API_VERSION "2014-05-26"
#define OOS_API_VERSION "2019-06-01"

/* Region used for calls that belong to no region (DescribeRegions) */
#define ECS_BOOTSTRAP_REGION "cn-hangzhou"

/* What a foreign table shows; the index of its entry in ecs_resources */
typedef enum EcsResource
{
	ECS_RESOURCE_IMAGES,
	ECS_RESOURCE_SHARE_PERMISSIONS,
	ECS_RESOURCE_REGIONS,
	ECS_RESOURCE_TASKS,
	ECS_RESOURCE_INSTANCES,
	ECS_RESOURCE_SNAPSHOTS
} EcsResource;

#define ECS_RESOURCE_COUNT (ECS_RESOURCE_SNAPSHOTS + 1)

/* How a pushed clause narrows the requests */
typedef enum EcsFilterKind
{
	ECS_FILTER_REGION,			/* prunes regions */
	ECS_FILTER_OWNER,			/* narrows the image owner aliases */
	ECS_FILTER_EACH,			/* one request per value */
	ECS_FILTER_LIST,			/* one request, values comma-separated */
	ECS_FILTER_JSON_LIST,		/* one request, values as a JSON array */
	ECS_FILTER_TAGS,			/* Tag.N.Key/Value pairs */
	ECS_FILTER_ACCOUNT			/* prunes the server: its account id */
} EcsFilterKind;

/*
 * The field of the account column (account_id): not the API's, but the
 * account of the server's credentials (STS GetCallerIdentity)
 */
#define ECS_ACCOUNT_FIELD "@AccountId"

/*
 * A column of the table IMPORT FOREIGN SCHEMA creates.  A column of this
 * name in any table of the resource reads field by default.
 */
typedef struct EcsColumnDef
{
	const char *name;
	const char *type;			/* its SQL type */
	const char *field;			/* NULL: the name in CamelCase */
} EcsColumnDef;

/* A condition on the column that reads field becomes parameter param */
typedef struct EcsFilterDef
{
	const char *field;			/* API field the column reads */
	EcsFilterKind kind;
	const char *param;			/* request parameter */
	const char *const *known;	/* the values the API knows (any other is
								 * an error there, and matches no row
								 * here), or NULL */
	int			max_values;		/* more values than this in one request
								 * stay local; 0: no limit */
	bool		empty_is_none;	/* an empty value matches no row (an id),
								 * rather than making the filter unusable */
} EcsFilterDef;

/* A resource a foreign table can show, and the action that lists it */
typedef struct EcsResourceDef
{
	const char *name;			/* the resource option; IMPORT's table name */
	const char *action;			/* e.g. "DescribeImages" */
	const char *list_name;		/* e.g. "Images" */
	const char *item_name;		/* e.g. "Image" */
	const char *key_name;		/* the member that identifies an item */
	bool		per_region;		/* one listing per region */
	bool		paged;			/* PageNumber/PageSize */
	bool		token_paged;	/* NextToken/MaxResults */
	bool		writable;		/* takes the updatable option */
	const char *const *request_fields;	/* fields that come from the request */
	double		rows;			/* planner estimate */
	const EcsColumnDef *columns;	/* for IMPORT; ends with a NULL name */
	const EcsFilterDef *filters;	/* ends with a NULL field */
	const char *language_param; /* takes the language option, or NULL */
} EcsResourceDef;

/*
 * The columns of images that UPDATE may change, by position in
 * ecs_image_changeable; each reads its default field (ImageName, ...)
 */
typedef enum EcsImageChange
{
	ECS_CHANGE_NAME,
	ECS_CHANGE_DESCRIPTION,
	ECS_CHANGE_FAMILY,
	ECS_CHANGE_BOOT_MODE,
	ECS_CHANGE_STATUS,
	ECS_CHANGE_TAGS				/* by TagResources, not ModifyImageAttribute */
} EcsImageChange;

#define ECS_CHANGE_COUNT (ECS_CHANGE_TAGS + 1)

extern const EcsResourceDef ecs_resources[ECS_RESOURCE_COUNT];
extern const EcsFilterDef ecs_account_filter;
extern const char *const ecs_image_changeable[ECS_CHANGE_COUNT + 1];

/* NULL-terminated lists of the values the API knows */
extern const char *const ecs_owner_aliases[];
extern const char *const ecs_image_statuses[];
extern const char *const ecs_os_types[];
extern const char *const ecs_architectures[];
extern const char *const ecs_languages[];
extern const char *const ecs_boot_modes[];
extern const char *const ecs_import_formats[];
extern const char *const ecs_export_formats[];
extern const char *const ecs_license_types[];
extern const char *const ecs_modify_statuses[];

/*
 * Every image status, comma-separated: DescribeImages lists only Available
 * images unless asked for these
 */
#define ECS_ALL_IMAGE_STATUSES (ecs_catalog_all_image_statuses())

extern int	ecs_catalog_word(const char *const *words, const char *word);
extern int	ecs_catalog_resource(const char *name);
extern const EcsFilterDef *ecs_catalog_filter(EcsResource resource,
											  const char *field);
extern const EcsFilterDef *ecs_catalog_filter_param(EcsResource resource,
													const char *param);
extern const char *const *ecs_catalog_known_values(EcsResource resource,
												   const char *param);
extern char *ecs_catalog_default_field(EcsResource resource,
									   const char *column);
extern int	ecs_catalog_change(const char *field);
extern const char *ecs_catalog_all_image_statuses(void);
extern char *ecs_catalog_describe_words(const char *const *words, int n,
										bool quoted, const char *last);

#endif							/* ECS_CATALOG_H */

/*-------------------------------------------------------------------------
 *
 * imageops.c
 *		  The image operations of the SQL functions and of the writable
 *		  tables: create, import, copy, cancel a copy, export, delete,
 *		  share and unshare, tag and untag, start an OOS update, find the
 *		  newest image of a family, and wait for an image, a task or an
 *		  execution.
 *
 * The callers have checked their arguments and resolved the server; each
 * operation sends its calls, recovers from a lost answer, drops the cached
 * listings of the region it changed and raises the ERROR of a failure.
 * Calls that create something carry the caller's ClientToken, so the retry
 * of a call whose answer was lost returns the same resource instead of
 * making a second one; a call that removes something and hears on its retry
 * that the thing is gone was done by its first attempt; an export whose
 * answer was lost is found among the running export tasks.  These calls act
 * at once: a ROLLBACK does not undo them.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/imageops.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "imageops.h"

/* Accounts per ModifyImageSharePermission call (the API ignores more) */
#define SHARE_BATCH 10

/* Tags per TagResources or UntagResources call */
#define TAGS_PER_CALL 20

/* How long wait => true waits */
#define WAIT_TIMEOUT_MS (3L * 3600 * 1000)

/* Raise the ERROR for a failed API call, with a literal message format */
#define API_ERROR(err, ...) \
	ereport(ERROR, \
			(errcode(ecs_api_errcode(err)), errmsg(__VA_ARGS__), \
			 ecs_api_errdetail(err), ecs_api_errhint(err)))

/* What a wait waits for */
typedef enum AwaitKind
{
	AWAIT_IMAGE,				/* an image, to have a status */
	AWAIT_TASK,					/* a task, to finish */
	AWAIT_EXECUTION				/* an OOS execution, to succeed */
} AwaitKind;

/* The image, task or execution a wait waits for */
typedef struct Awaited
{
	AwaitKind	kind;
	const EcsConfig *config;
	const char *region;
	const char *id;
	const char *target;			/* the status an image is awaited to have */
} Awaited;

static char *change_call(const EcsConfig *config, const char *region,
						 const char *action, const EcsParams *params,
						 EcsApiError *err, int *attempts);
static bool removed_before(const EcsApiError *err, int attempts);
static char *answer_field(const char *body, const char *path,
						  const char *what);
static char *new_image(const EcsConfig *config, const char *region,
					   const char *action, const EcsParams *params,
					   const char *image_region, bool wait, EcsApiError *err);
static char *export_task_of(const EcsConfig *config, const char *region,
							const char *image_id);
static void check_tag_text(const char *text, bool key);
static void tag_call(const EcsConfig *config, const char *region,
					 const char *image_id, List *kv, bool add);
static char *wait_for(Awaited *w, long timeout_ms);

/*
 * change_call
 *		Send a call that changes something in region, and drop that region's
 *		cached listings, whatever the answer.  Returns the body of a good
 *		answer, or NULL with *err describing the failure.
 */
static char *
change_call(const EcsConfig *config, const char *region, const char *action,
			const EcsParams *params, EcsApiError *err, int *attempts)
{
	char	   *body = ecs_api_call(config, false, region, action, params, err,
									attempts);

	ecs_cache_invalidate(config->serverid, region);
	return body;
}

/*
 * removed_before
 *		Whether a failed call that removes an image was done all the same:
 *		an image that is gone when a retry arrives was removed by the first
 *		attempt, whose answer was lost.
 */
static bool
removed_before(const EcsApiError *err, int attempts)
{
	return attempts > 1 && ecs_api_code_is(err->code, "InvalidImageId.NotFound");
}

/*
 * answer_field
 *		The identifier a good answer returns, which must be there.
 */
static char *
answer_field(const char *body, const char *path, const char *what)
{
	char	   *value = ecs_decode_id(body, strlen(body), path);

	if (value == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("the answer to %s has no %s", what, path)));
	return value;
}

/*
 * new_image
 *		Send a call that makes an image in image_region (CreateImage,
 *		ImportImage, CopyImage), drop that region's cached listings, and
 *		wait for the image if asked.  Returns the new image id, or NULL
 *		with *err describing the failure.
 */
static char *
new_image(const EcsConfig *config, const char *region, const char *action,
		  const EcsParams *params, const char *image_region, bool wait,
		  EcsApiError *err)
{
	char	   *body = ecs_api_call(config, false, region, action, params, err,
									NULL);
	char	   *image_id;

	ecs_cache_invalidate(config->serverid, image_region);
	if (body == NULL)
		return NULL;
	image_id = answer_field(body, "ImageId", action);
	if (wait)
		ecs_imageops_wait_image(config, image_region, image_id, "Available",
								WAIT_TIMEOUT_MS);
	return image_id;
}

/*
 * ecs_imageops_create
 *		CreateImage (from an instance, a snapshot or disk mappings), or
 *		ImportImage from an OSS object when import, with params (which hold
 *		the ClientToken); returns the new image id.
 */
char *
ecs_imageops_create(const EcsConfig *config, const char *region,
					const EcsParams *params, bool import, bool wait)
{
	EcsApiError err;
	char	   *image_id;

	image_id = new_image(config, region,
						 import ? "ImportImage" : "CreateImage", params,
						 region, wait, &err);
	if (image_id == NULL && import)
		API_ERROR(&err, "could not import an image in region \"%s\"", region);
	if (image_id == NULL)
		API_ERROR(&err, "could not create an image in region \"%s\"", region);
	return image_id;
}

/*
 * ecs_imageops_copy
 *		CopyImage of image_id to region destination, with params (which
 *		hold the ClientToken); returns the new image id there.
 */
char *
ecs_imageops_copy(const EcsConfig *config, const char *region,
				  const char *image_id, const char *destination,
				  const EcsParams *params, bool wait)
{
	EcsApiError err;
	char	   *copy_id;

	copy_id = new_image(config, region, "CopyImage", params, destination,
						wait, &err);
	if (copy_id == NULL)
		API_ERROR(&err, "could not copy image \"%s\" to region \"%s\"",
				  image_id, destination);
	return copy_id;
}

/*
 * ecs_imageops_cancel_copy
 *		CancelCopyImage: region and image_id are those of the copy.  A copy
 *		that is gone when a retry arrives was removed by the first attempt.
 */
void
ecs_imageops_cancel_copy(const EcsConfig *config, const char *region,
						 const char *image_id)
{
	EcsParams	params = {0};
	EcsApiError err;
	int			attempts;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	if (change_call(config, region, "CancelCopyImage", &params, &err,
					&attempts) == NULL &&
		!removed_before(&err, attempts))
		API_ERROR(&err, "could not cancel the copy to image \"%s\"", image_id);
}

/*
 * ecs_imageops_start_update
 *		StartExecution of the OOS template that params name (they hold the
 *		ClientToken); returns the execution id.
 */
char *
ecs_imageops_start_update(const EcsConfig *config, const char *region,
						  const char *source_image_id, const EcsParams *params)
{
	EcsApiError err;
	char	   *body;

	body = ecs_api_call(config, true, region, "StartExecution", params, &err,
						NULL);
	if (body == NULL)
		API_ERROR(&err, "could not start the update of image \"%s\"",
				  source_image_id);
	return answer_field(body, "Execution.ExecutionId", "StartExecution");
}

/*
 * ecs_imageops_any_change
 *		Whether values, the new name, description, family, boot mode and
 *		status of an image (by EcsImageChange; NULL leaves one as it is),
 *		change anything.
 */
bool
ecs_imageops_any_change(char *const *values)
{
	int			i;

	for (i = 0; i < ECS_CHANGE_TAGS; i++)
	{
		if (values[i] != NULL)
			return true;
	}
	return false;
}

/*
 * ecs_imageops_check_changes
 *		A modification must change something.
 */
void
ecs_imageops_check_changes(const char *image_id, char *const *values)
{
	if (!ecs_imageops_any_change(values))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nothing to change in image \"%s\"", image_id),
				 errhint("Give at least one of %s.",
						 ecs_catalog_describe_words(ecs_image_changeable,
													ECS_CHANGE_TAGS, false,
													"or"))));
}

/*
 * ecs_imageops_modify
 *		ModifyImageAttribute with values (see ecs_imageops_any_change), each
 *		sent as the API field its column reads; used by ecs_modify_image and
 *		by UPDATE on the images table.
 */
void
ecs_imageops_modify(const EcsConfig *config, const char *region,
					const char *image_id, char *const *values)
{
	EcsParams	params = {0};
	EcsApiError err;
	int			i;

	ecs_imageops_check_changes(image_id, values);
	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	for (i = 0; i < ECS_CHANGE_TAGS; i++)
	{
		if (values[i] != NULL)
			ecs_params_add(&params,
						   ecs_catalog_default_field(ECS_RESOURCE_IMAGES,
													 ecs_image_changeable[i]),
						   values[i]);
	}
	if (change_call(config, region, "ModifyImageAttribute", &params, &err,
					NULL) == NULL)
		API_ERROR(&err, "could not modify image \"%s\"", image_id);
}

/*
 * ecs_imageops_delete
 *		DeleteImage, used by ecs_delete_image and by DELETE on the images
 *		table.  An image that is gone when a retry arrives was deleted by the
 *		first attempt.
 */
void
ecs_imageops_delete(const EcsConfig *config, const char *region,
					const char *image_id, bool force)
{
	EcsParams	params = {0};
	EcsApiError err;
	int			attempts;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageId", image_id);
	if (force)
		ecs_params_add(&params, "Force", "true");
	if (change_call(config, region, "DeleteImage", &params, &err,
					&attempts) == NULL &&
		!removed_before(&err, attempts))
		API_ERROR(&err, "could not delete image \"%s\"", image_id);
}

/*
 * export_task_of
 *		The running export task of an image, or NULL.  ExportImage has no
 *		ClientToken: when its answer is lost and the retry hears that the
 *		image is already being exported, the task our first attempt started
 *		is found by the object it writes, "<prefix>_<image id>_<task id>.<format>",
 *		among the region's unfinished export tasks, queued (Waiting) or
 *		running (Processing); one export per image runs at a time.
 */
static char *
export_task_of(const EcsConfig *config, const char *region,
			   const char *image_id)
{
	static const EcsField task_fields[] = {
		{"TaskId", ECS_FIELD_SCALAR}, {"TaskStatus", ECS_FIELD_SCALAR}
	};
	char	   *needle = psprintf("_%s_", image_id);
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		tasks;
	char	   *body;
	int			i;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "TaskAction", "ExportImage");
	ecs_params_add(&params, "PageSize", "100");
	body = ecs_api_call(config, false, region, "DescribeTasks", &params, &err,
						NULL);
	if (body == NULL)
		API_ERROR(&err, "could not list the export tasks in region \"%s\"",
				  region);
	if (!ecs_decode_page(body, strlen(body), "TaskSet", "Task", "TaskId",
						 task_fields, 2, NULL, &tasks))
		return NULL;

	for (i = 0; i < tasks.nrows; i++)
	{
		char	   *task_id = tasks.values[2 * i];
		const char *status = tasks.values[2 * i + 1];
		EcsParams	task_params = {0};
		char	   *task;
		int			j;

		/* an export waits in a queue (Waiting) before it runs (Processing) */
		if (status == NULL || (strcmp(status, "Waiting") != 0 &&
							   strcmp(status, "Processing") != 0))
			continue;

		ecs_params_add(&task_params, "RegionId", region);
		ecs_params_add(&task_params, "TaskId", task_id);
		task = ecs_api_call(config, false, region, "DescribeTaskAttribute",
							&task_params, &err, NULL);
		if (task == NULL)
			API_ERROR(&err, "could not check task \"%s\" in region \"%s\"",
					  task_id, region);
		for (j = 0;; j++)
		{
			const char *item[2];
			char	   *values[2];

			item[0] = psprintf("OperationProgressSet.OperationProgress.0.RelatedItemSet.RelatedItem.%d.Name", j);
			item[1] = psprintf("OperationProgressSet.OperationProgress.0.RelatedItemSet.RelatedItem.%d.Value", j);
			if (!ecs_decode_object(task, strlen(task), item, 2, values) ||
				values[0] == NULL)
				break;
			if (strcmp(values[0], "OSSObject") == 0 && values[1] != NULL &&
				strstr(values[1], needle) != NULL)
				return task_id;
		}
	}
	return NULL;
}

/*
 * ecs_imageops_export
 *		ExportImage of image_id to OSS with params; returns the task id.  A
 *		lost answer is recovered by export_task_of.
 */
char *
ecs_imageops_export(const EcsConfig *config, const char *region,
					const char *image_id, const EcsParams *params, bool wait)
{
	EcsApiError err;
	char	   *body;
	char	   *task_id;
	int			attempts;

	body = change_call(config, region, "ExportImage", params, &err,
					   &attempts);
	if (body != NULL)
		task_id = answer_field(body, "TaskId", "ExportImage");
	else if (attempts > 1 && ecs_api_code_is(err.code, "ImageIsExporting") &&
			 (task_id = export_task_of(config, region, image_id)) != NULL)
		ereport(NOTICE,
				(errmsg("image \"%s\" is being exported by task \"%s\"",
						image_id, task_id),
				 errdetail("The answer to ExportImage was lost.")));
	else
		API_ERROR(&err, "could not export image \"%s\"", image_id);
	if (wait)
		ecs_imageops_wait_task(config, region, task_id, WAIT_TIMEOUT_MS);
	return task_id;
}

/*
 * ecs_imageops_check_account_id
 *		An account id is a number.
 */
void
ecs_imageops_check_account_id(const char *id)
{
	const char *p;

	for (p = id; *p; p++)
	{
		if (!isdigit((unsigned char) *p))
			break;
	}
	if (*p != '\0' || p == id)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid account id \"%s\"", id),
				 errhint("Account ids are numbers, such as 1234567890123456.")));
}

/*
 * ecs_imageops_share
 *		ModifyImageSharePermission with AddAccount.N or RemoveAccount.N, ten
 *		accounts per call (the API ignores more); used by ecs_share_image,
 *		ecs_unshare_image, and INSERT and DELETE on image_share_permissions.
 */
void
ecs_imageops_share(const EcsConfig *config, const char *region,
				   const char *image_id, List *accounts, bool add)
{
	int			n = list_length(accounts);
	int			i;

	for (i = 0; i < n; i += SHARE_BATCH)
	{
		EcsParams	params = {0};
		EcsApiError err;
		int			j;

		ecs_params_add(&params, "RegionId", region);
		ecs_params_add(&params, "ImageId", image_id);
		for (j = i; j < n && j < i + SHARE_BATCH; j++)
			ecs_params_add(&params,
						   psprintf("%s.%d", add ? "AddAccount" : "RemoveAccount",
									j - i + 1),
						   list_nth(accounts, j));
		if (change_call(config, region, "ModifyImageSharePermission",
						&params, &err, NULL) == NULL)
			ereport(ERROR,
					(errcode(ecs_api_errcode(&err)),
					 add ? errmsg("could not share image \"%s\"", image_id) :
					 errmsg("could not stop sharing image \"%s\"", image_id),
					 ecs_api_errdetail(&err),
					 i > 0 ?
					 errhint("The first %d of the %d accounts were done before the error; calls go in batches of %d.",
							 i, n, SHARE_BATCH) :
					 ecs_api_errhint(&err)));
	}
}

/*
 * ecs_imageops_flat_object
 *		The members of a JSON object whose values are all scalars, as a list
 *		of alternating key and value strings (JSON null gives NULL); what
 *		names the object in errors.
 */
List *
ecs_imageops_flat_object(Jsonb *jb, const char *what)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *result = NIL;

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", what)));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			result = lappend(result, pnstrdup(v.val.string.val, v.val.string.len));
		else if (tok == WJB_VALUE)
		{
			switch (v.type)
			{
				case jbvString:
					result = lappend(result, pnstrdup(v.val.string.val, v.val.string.len));
					break;
				case jbvNumeric:
					result = lappend(result,
									 DatumGetCString(DirectFunctionCall1(numeric_out,
																		 NumericGetDatum(v.val.numeric))));
					break;
				case jbvBool:
					result = lappend(result, pstrdup(v.val.boolean ? "true" : "false"));
					break;
				case jbvNull:
					result = lappend(result, NULL);
					break;
				default:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s must have only scalar values", what)));
			}
		}
	}
	return result;
}

/*
 * check_tag_text
 *		A tag key or value as TagResources takes it: at most 128 characters,
 *		no "acs:" at the start, no http:// or https:// in it; a key also not
 *		empty and not starting with "aliyun".  Checked here, so that nothing
 *		is sent for a bad tag.
 */
static void
check_tag_text(const char *text, bool key)
{
	const char *what = key ? "tag key" : "tag value";

	if (key && text[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a tag key must not be empty")));
	if (pg_mbstrlen(text) > ECS_MAX_TAG_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" is longer than %d characters", what, text,
						ECS_MAX_TAG_CHARS)));
	if (pg_strncasecmp(text, "acs:", 4) == 0 ||
		(key && pg_strncasecmp(text, "aliyun", 6) == 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" uses a reserved prefix", what, text),
				 errhint(key ? "Tag keys must not start with \"acs:\" or \"aliyun\"." :
						 "Tag values must not start with \"acs:\".")));
	if (strstr(text, "http://") != NULL || strstr(text, "https://") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s \"%s\" must not contain http:// or https://", what,
						text)));
}

/*
 * ecs_imageops_tags_list
 *		A jsonb object of tags as alternating key and value strings (a
 *		number or Boolean becomes its text, null the empty string).  With
 *		check, there are at most as many as an image can have, and every key
 *		and value is one TagResources takes.
 */
List *
ecs_imageops_tags_list(Jsonb *tags, bool check)
{
	List	   *kv = ecs_imageops_flat_object(tags, "tags");
	ListCell   *lc;

	if (check && list_length(kv) / 2 > ECS_MAX_IMAGE_TAGS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an image can have at most %d tags", ECS_MAX_IMAGE_TAGS)));

	for (lc = list_head(kv); lc != NULL; lc = lnext(kv, lnext(kv, lc)))
	{
		ListCell   *value = lnext(kv, lc);

		if (lfirst(value) == NULL)
			lfirst(value) = pstrdup("");
		if (check)
		{
			check_tag_text(lfirst(lc), true);
			check_tag_text(lfirst(value), false);
		}
	}
	return kv;
}

/*
 * tag_call
 *		TagResources (kv: keys and values) or UntagResources (kv: keys) on
 *		one image, TAGS_PER_CALL tags per call.  Setting a tag to the value
 *		it has, or removing one it does not have, changes nothing, so a
 *		retry after a lost answer is harmless.
 */
static void
tag_call(const EcsConfig *config, const char *region, const char *image_id,
		 List *kv, bool add)
{
	int			step = add ? 2 : 1;
	int			n = list_length(kv) / step;
	int			i;

	for (i = 0; i < n; i += TAGS_PER_CALL)
	{
		EcsParams	params = {0};
		EcsApiError err;
		int			j;

		ecs_params_add(&params, "RegionId", region);
		ecs_params_add(&params, "ResourceType", "image");
		ecs_params_add(&params, "ResourceId.1", image_id);
		for (j = i; j < n && j < i + TAGS_PER_CALL; j++)
		{
			if (add)
			{
				ecs_params_add(&params, psprintf("Tag.%d.Key", j - i + 1),
							   list_nth(kv, 2 * j));
				ecs_params_add(&params, psprintf("Tag.%d.Value", j - i + 1),
							   list_nth(kv, 2 * j + 1));
			}
			else
				ecs_params_add(&params, psprintf("TagKey.%d", j - i + 1),
							   list_nth(kv, j));
		}
		if (change_call(config, region,
						add ? "TagResources" : "UntagResources", &params,
						&err, NULL) == NULL)
			ereport(ERROR,
					(errcode(ecs_api_errcode(&err)),
					 add ? errmsg("could not tag image \"%s\"", image_id) :
					 errmsg("could not untag image \"%s\"", image_id),
					 ecs_api_errdetail(&err),
					 i > 0 ?
					 errhint("The first %d of the %d tags were done before the error; calls go in batches of %d.",
							 i, n, TAGS_PER_CALL) :
					 ecs_api_errhint(&err)));
	}
}

/*
 * ecs_imageops_change_tags
 *		Remove the keys remove, then set the tags set (alternating keys and
 *		values), of one image; used by ecs_tag_image, ecs_untag_image and
 *		UPDATE of the tags column.
 */
void
ecs_imageops_change_tags(const EcsConfig *config, const char *region,
						 const char *image_id, List *set, List *remove)
{
	if (remove != NIL)
		tag_call(config, region, image_id, remove, false);
	if (set != NIL)
		tag_call(config, region, image_id, set, true);
}

/*
 * ecs_imageops_from_family
 *		The id of the newest Available image of a family
 *		(DescribeImageFromFamily), or NULL when the family has none.
 */
char *
ecs_imageops_from_family(const EcsConfig *config, const char *region,
						 const char *family)
{
	static const char *const paths[] = {"Image.ImageId"};
	EcsParams	params = {0};
	EcsApiError err;
	char	   *body;
	char	   *image_id;

	ecs_params_add(&params, "RegionId", region);
	ecs_params_add(&params, "ImageFamily", family);
	body = ecs_api_call(config, false, region, "DescribeImageFromFamily",
						&params, &err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not find the newest image of family \"%s\"",
				  family);
	if (!ecs_decode_object(body, strlen(body), paths, 1, &image_id))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("the answer to DescribeImageFromFamily is not a JSON object")));
	if (image_id == NULL || image_id[0] == '\0')
		return NULL;
	return image_id;
}

/*
 * with_progress
 *		A status as a wait reports it: "Creating (40%)", or the status alone
 *		when there is no progress.
 */
static char *
with_progress(const char *status, const char *progress)
{
	return progress ? psprintf("%s (%s)", status, progress) : pstrdup(status);
}

/*
 * errmsg_awaited_is
 *		The message that an awaited image, task or execution has a status:
 *		the NOTICE of a new status, or the ERROR of a failed one.
 */
static int
errmsg_awaited_is(const Awaited *w, const char *status)
{
	if (w->kind == AWAIT_IMAGE)
		return errmsg("image \"%s\" in region \"%s\" is %s",
					  w->id, w->region, status);
	if (w->kind == AWAIT_TASK)
		return errmsg("task \"%s\" in region \"%s\" is %s",
					  w->id, w->region, status);
	return errmsg("execution \"%s\" in region \"%s\" is %s",
				  w->id, w->region, status);
}

/*
 * poll_image
 *		The EcsWaitProbe poll of an image: done when the image has the
 *		awaited status; ERROR when it failed or does not exist.
 */
static bool
poll_image(void *arg, char **state)
{
	static const EcsField fields[] = {
		{"Status", ECS_FIELD_SCALAR}, {"Progress", ECS_FIELD_SCALAR}
	};
	Awaited    *w = (Awaited *) arg;
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		page;
	char	   *body;
	char	   *status;

	ecs_params_add(&params, "RegionId", w->region);
	ecs_params_add(&params, "ImageId", w->id);
	ecs_params_add(&params, "Status", ECS_ALL_IMAGE_STATUSES);
	body = ecs_api_call(w->config, false, w->region, "DescribeImages", &params,
						&err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not check image \"%s\" in region \"%s\"",
				  w->id, w->region);
	if (!ecs_decode_page(body, strlen(body), "Images", "Image", "ImageId",
						 fields, 2, NULL, &page))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not check image \"%s\" in region \"%s\"",
						w->id, w->region),
				 errdetail("The answer is not a valid API response.")));
	if (page.nrows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("image \"%s\" does not exist in region \"%s\"",
						w->id, w->region)));
	status = page.values[0] ? page.values[0] : "";
	if (strcmp(status, w->target) == 0)
	{
		*state = status;
		return true;
	}
	if (strcmp(status, "CreateFailed") == 0 ||
		(strcmp(status, "UnAvailable") == 0 && strcmp(w->target, "Available") == 0))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_awaited_is(w, status),
				 errdetail("It was awaited to become %s.", w->target)));
	*state = with_progress(status, page.values[1]);
	return false;
}

/*
 * poll_task
 *		The EcsWaitProbe poll of a task: done when the task is Finished;
 *		ERROR when it failed or does not exist.
 */
static bool
poll_task(void *arg, char **state)
{
	static const char *const paths[] = {
		"TaskStatus", "TaskProcess",
		"OperationProgressSet.OperationProgress.0.ErrorMsg"
	};
	Awaited    *w = (Awaited *) arg;
	EcsParams	params = {0};
	EcsApiError err;
	char	   *values[3];
	char	   *body;

	ecs_params_add(&params, "RegionId", w->region);
	ecs_params_add(&params, "TaskId", w->id);
	body = ecs_api_call(w->config, false, w->region, "DescribeTaskAttribute",
						&params, &err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not check task \"%s\" in region \"%s\"",
				  w->id, w->region);
	if (!ecs_decode_object(body, strlen(body), paths, 3, values) ||
		values[0] == NULL || values[0][0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("task \"%s\" does not exist in region \"%s\"",
						w->id, w->region)));
	if (strcmp(values[0], "Finished") == 0)
	{
		*state = values[0];
		return true;
	}
	if (strcmp(values[0], "Processing") != 0 &&
		strcmp(values[0], "Waiting") != 0 &&
		strcmp(values[0], "Pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_awaited_is(w, values[0]),
				 values[2] && values[2][0] ?
				 errdetail_internal("%s", values[2]) : 0));
	*state = with_progress(values[0], values[1]);
	return false;
}

/*
 * poll_execution
 *		The EcsWaitProbe poll of an OOS execution: done when the execution
 *		succeeded, with its outputs as the result; ERROR when it failed, was
 *		cancelled or does not exist.
 */
static bool
poll_execution(void *arg, char **state)
{
	static const EcsField fields[] = {
		{"ExecutionId", ECS_FIELD_SCALAR}, {"Status", ECS_FIELD_SCALAR},
		{"StatusMessage", ECS_FIELD_SCALAR}, {"Outputs", ECS_FIELD_SCALAR}
	};
	Awaited    *w = (Awaited *) arg;
	EcsParams	params = {0};
	EcsApiError err;
	EcsPage		page;
	char	   *body;
	char	   *status;

	ecs_params_add(&params, "RegionId", w->region);
	ecs_params_add(&params, "ExecutionId", w->id);
	body = ecs_api_call(w->config, true, w->region, "ListExecutions", &params,
						&err, NULL);
	if (body == NULL)
		API_ERROR(&err, "could not check execution \"%s\" in region \"%s\"",
				  w->id, w->region);
	if (!ecs_decode_page(body, strlen(body), "Executions", "Execution",
						 "ExecutionId", fields, 4, NULL, &page))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not check execution \"%s\" in region \"%s\"",
						w->id, w->region),
				 errdetail("The answer is not a valid API response.")));
	if (page.nrows == 0 || page.values[0] == NULL ||
		strcmp(page.values[0], w->id) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("execution \"%s\" does not exist in region \"%s\"",
						w->id, w->region)));
	status = page.values[1] ? page.values[1] : "";
	if (strcmp(status, "Success") == 0)
	{
		*state = page.values[3];
		if (*state == NULL || (*state)[0] == '\0')
			*state = "{}";
		return true;
	}
	if (strcmp(status, "Failed") == 0 || strcmp(status, "Cancelled") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg_awaited_is(w, status),
				 page.values[2] && page.values[2][0] ?
				 errdetail_internal("%s", page.values[2]) : 0));
	*state = status;
	return false;
}

/*
 * report_awaited
 *		The EcsWaitProbe report of every wait: the NOTICE of a new state, or
 *		the ERROR of the timeout.
 */
static void
report_awaited(void *arg, const char *state, bool expired)
{
	Awaited    *w = (Awaited *) arg;

	if (expired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 w->kind == AWAIT_IMAGE ?
				 errmsg("image \"%s\" in region \"%s\" did not become %s in time",
						w->id, w->region, w->target) :
				 w->kind == AWAIT_TASK ?
				 errmsg("task \"%s\" in region \"%s\" did not finish in time",
						w->id, w->region) :
				 errmsg("execution \"%s\" in region \"%s\" did not finish in time",
						w->id, w->region),
				 errdetail("It is %s.", state)));
	ereport(NOTICE, (errmsg_awaited_is(w, state)));
}

/*
 * wait_for
 *		Poll what w names until it is done; NOTICE when its status or
 *		progress changes; ERROR when it fails, disappears or the timeout
 *		passes.  Returns the final state.
 */
static char *
wait_for(Awaited *w, long timeout_ms)
{
	EcsWaitProbe probe = {NULL, report_awaited, w};

	probe.poll = w->kind == AWAIT_IMAGE ? poll_image :
		w->kind == AWAIT_TASK ? poll_task : poll_execution;
	return ecs_wait(&probe, timeout_ms);
}

/*
 * ecs_imageops_wait_image
 *		Wait until an image has status target; returns the status.
 */
char *
ecs_imageops_wait_image(const EcsConfig *config, const char *region,
						const char *image_id, const char *target,
						long timeout_ms)
{
	Awaited		w = {AWAIT_IMAGE, config, region, image_id, target};

	return wait_for(&w, timeout_ms);
}

/*
 * ecs_imageops_wait_task
 *		Wait until a task is Finished; returns its status.
 */
char *
ecs_imageops_wait_task(const EcsConfig *config, const char *region,
					   const char *task_id, long timeout_ms)
{
	Awaited		w = {AWAIT_TASK, config, region, task_id, NULL};

	return wait_for(&w, timeout_ms);
}

/*
 * ecs_imageops_wait_execution
 *		Wait until an OOS execution succeeded; returns its outputs as JSON
 *		text (the new image id as "imageId").
 */
char *
ecs_imageops_wait_execution(const EcsConfig *config, const char *region,
							const char *execution_id, long timeout_ms)
{
	Awaited		w = {AWAIT_EXECUTION, config, region, execution_id, NULL};

	return wait_for(&w, timeout_ms);
}

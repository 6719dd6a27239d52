/*-------------------------------------------------------------------------
 *
 * imageops.h
 *		  The image operations that the SQL functions (functions.c) and the
 *		  writable tables (modify.c) share.
 *
 * Copyright (c) 2026, ecs_image_fdw developers
 *
 * IDENTIFICATION
 *		  src/imageops.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ECS_IMAGEOPS_H
#define ECS_IMAGEOPS_H

#include "ecs_image_fdw.h"

/* Tags one image can have, and the longest tag key or value in characters */
#define ECS_MAX_IMAGE_TAGS 20
#define ECS_MAX_TAG_CHARS 128

/* making images */
extern char *ecs_imageops_create(const EcsConfig *config, const char *region,
								 const EcsParams *params, bool import,
								 bool wait);
extern char *ecs_imageops_copy(const EcsConfig *config, const char *region,
							   const char *image_id, const char *destination,
							   const EcsParams *params, bool wait);
extern void ecs_imageops_cancel_copy(const EcsConfig *config,
									 const char *region,
									 const char *image_id);
extern char *ecs_imageops_start_update(const EcsConfig *config,
									   const char *region,
									   const char *source_image_id,
									   const EcsParams *params);

/* changing and deleting images (values: by EcsImageChange, up to tags) */
extern bool ecs_imageops_any_change(char *const *values);
extern void ecs_imageops_check_changes(const char *image_id,
									   char *const *values);
extern void ecs_imageops_modify(const EcsConfig *config, const char *region,
								const char *image_id, char *const *values);
extern void ecs_imageops_delete(const EcsConfig *config, const char *region,
								const char *image_id, bool force);
extern char *ecs_imageops_export(const EcsConfig *config, const char *region,
								 const char *image_id, const EcsParams *params,
								 bool wait);

/* sharing */
extern void ecs_imageops_check_account_id(const char *id);
extern void ecs_imageops_share(const EcsConfig *config, const char *region,
							   const char *image_id, List *accounts, bool add);

/* tags */
extern List *ecs_imageops_flat_object(Jsonb *jb, const char *what);
extern List *ecs_imageops_tags_list(Jsonb *tags, bool check);
extern void ecs_imageops_change_tags(const EcsConfig *config,
									 const char *region, const char *image_id,
									 List *set, List *remove);

/* finding and waiting */
extern char *ecs_imageops_from_family(const EcsConfig *config,
									  const char *region, const char *family);
extern char *ecs_imageops_wait_image(const EcsConfig *config,
									 const char *region, const char *image_id,
									 const char *target, long timeout_ms);
extern char *ecs_imageops_wait_task(const EcsConfig *config,
									const char *region, const char *task_id,
									long timeout_ms);
extern char *ecs_imageops_wait_execution(const EcsConfig *config,
										 const char *region,
										 const char *execution_id,
										 long timeout_ms);

#endif							/* ECS_IMAGEOPS_H */

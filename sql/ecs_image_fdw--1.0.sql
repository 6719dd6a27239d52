/* ecs_image_fdw--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION ecs_image_fdw" to load this file. \quit

CREATE FUNCTION ecs_image_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION ecs_image_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER ecs_image_fdw
  HANDLER ecs_image_fdw_handler
  VALIDATOR ecs_image_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER ecs_image_fdw
  IS 'Alibaba Cloud ECS custom images as foreign tables';

CREATE FUNCTION ecs_image_fdw_cache_clear(server name DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION ecs_image_fdw_cache_clear(name)
  IS 'drop the cached listing pages of a server, or of every server; returns how many';

-- The image lifecycle.  Every function takes the server last; NULL means the
-- wrapper's only server.  They act at once: ROLLBACK does not undo them.

CREATE FUNCTION ecs_create_image(region_id text,
    instance_id text DEFAULT NULL, snapshot_id text DEFAULT NULL,
    disk_device_mappings jsonb DEFAULT NULL, image_name text DEFAULT NULL,
    description text DEFAULT NULL, image_family text DEFAULT NULL,
    image_version text DEFAULT NULL, architecture text DEFAULT NULL,
    platform text DEFAULT NULL, boot_mode text DEFAULT NULL,
    resource_group_id text DEFAULT NULL, tags jsonb DEFAULT NULL,
    client_token text DEFAULT NULL, wait boolean DEFAULT false,
    server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_create_image IS 'create a custom image from an instance or snapshots; returns its id';

CREATE FUNCTION ecs_import_image(region_id text, oss_bucket text, oss_object text,
    image_name text DEFAULT NULL, architecture text DEFAULT NULL,
    os_type text DEFAULT NULL, platform text DEFAULT NULL,
    format text DEFAULT NULL, disk_image_size integer DEFAULT NULL,
    boot_mode text DEFAULT NULL, license_type text DEFAULT NULL,
    description text DEFAULT NULL, role_name text DEFAULT NULL,
    client_token text DEFAULT NULL, wait boolean DEFAULT false,
    server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_import_image IS 'import an image file from OSS as a custom image; returns its id';

CREATE FUNCTION ecs_copy_image(region_id text, image_id text,
    destination_region_id text, image_name text DEFAULT NULL,
    description text DEFAULT NULL, encrypted boolean DEFAULT NULL,
    kms_key_id text DEFAULT NULL, tags jsonb DEFAULT NULL,
    client_token text DEFAULT NULL, wait boolean DEFAULT false,
    server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_copy_image IS 'copy an image to another region; returns the id of the copy';

CREATE FUNCTION ecs_cancel_copy_image(region_id text, image_id text,
    server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_cancel_copy_image IS 'cancel a copy; region_id and image_id are those of the copy';

CREATE FUNCTION ecs_share_image(region_id text, image_id text, account_ids text[],
    server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_share_image IS 'share an image with accounts';

CREATE FUNCTION ecs_unshare_image(region_id text, image_id text, account_ids text[],
    server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_unshare_image IS 'stop sharing an image with accounts';

CREATE FUNCTION ecs_export_image(region_id text, image_id text, oss_bucket text,
    oss_prefix text DEFAULT NULL, image_format text DEFAULT NULL,
    role_name text DEFAULT NULL, wait boolean DEFAULT false,
    server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_export_image IS 'export an image to OSS; returns the task id';

CREATE FUNCTION ecs_modify_image(region_id text, image_id text,
    image_name text DEFAULT NULL, description text DEFAULT NULL,
    image_family text DEFAULT NULL, boot_mode text DEFAULT NULL,
    status text DEFAULT NULL, server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_modify_image IS 'change the name, description, family, boot mode or status of an image';

CREATE FUNCTION ecs_delete_image(region_id text, image_id text,
    force boolean DEFAULT false, server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_delete_image IS 'delete a custom image';

CREATE FUNCTION ecs_update_image(region_id text, source_image_id text,
    instance_type text, command_content text,
    target_image_name text DEFAULT NULL, security_group_id text DEFAULT NULL,
    vswitch_id text DEFAULT NULL, zone_id text DEFAULT NULL,
    system_disk_category text DEFAULT NULL,
    internet_max_bandwidth_out integer DEFAULT NULL,
    command_timeout integer DEFAULT NULL, tags jsonb DEFAULT NULL,
    client_token text DEFAULT NULL, server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_update_image IS 'build a new image by running a command on the source image (OOS ACS-ECS-UpdateImage); returns the execution id';

CREATE FUNCTION ecs_wait_image(region_id text, image_id text,
    status text DEFAULT 'Available', timeout interval DEFAULT '1 hour',
    server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_wait_image IS 'wait until an image has a status; returns it';

CREATE FUNCTION ecs_wait_task(region_id text, task_id text,
    timeout interval DEFAULT '1 hour', server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_wait_task IS 'wait until an import or export task finishes; returns its status';

CREATE FUNCTION ecs_wait_execution(region_id text, execution_id text,
    timeout interval DEFAULT '3 hours', server name DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_wait_execution IS 'wait until an image update succeeds; returns its outputs, with the new imageId';

-- Tags: TagResources and UntagResources, up to 20 tags per call; checked
-- before anything is sent; like the rest, ROLLBACK does not undo them.
CREATE FUNCTION ecs_tag_image(region_id text, image_id text, tags jsonb,
    server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_tag_image IS 'add tags to an image, or give its keys new values';

CREATE FUNCTION ecs_untag_image(region_id text, image_id text, keys text[],
    server name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_untag_image IS 'remove tags from an image by key';

CREATE FUNCTION ecs_image_from_family(region_id text, image_family text,
    server name DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION ecs_image_from_family IS 'the id of the newest Available image of a family, or NULL';

-- the functions that change things are for roles a DBA grants them to
REVOKE EXECUTE ON FUNCTION
    ecs_create_image(text, text, text, jsonb, text, text, text, text, text, text, text, text, jsonb, text, boolean, name),
    ecs_import_image(text, text, text, text, text, text, text, text, integer, text, text, text, text, text, boolean, name),
    ecs_copy_image(text, text, text, text, text, boolean, text, jsonb, text, boolean, name),
    ecs_cancel_copy_image(text, text, name),
    ecs_share_image(text, text, text[], name),
    ecs_unshare_image(text, text, text[], name),
    ecs_export_image(text, text, text, text, text, text, boolean, name),
    ecs_modify_image(text, text, text, text, text, text, text, name),
    ecs_delete_image(text, text, boolean, name),
    ecs_update_image(text, text, text, text, text, text, text, text, text, integer, integer, jsonb, text, name),
    ecs_tag_image(text, text, jsonb, name),
    ecs_untag_image(text, text, text[], name)
  FROM PUBLIC;

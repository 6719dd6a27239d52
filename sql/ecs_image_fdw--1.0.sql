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

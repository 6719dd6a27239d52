-- test/demo.sql: showcase queries, run by test/demo.sh against the emulator
\pset footer off
\timing off

\echo
\echo '== Setting up: one server per account, credentials in a user mapping'
CREATE EXTENSION ecs_image_fdw;
CREATE SERVER aliyun FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint :'emu_url', ca_file :'emu_ca');
CREATE USER MAPPING FOR CURRENT_USER SERVER aliyun
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret 'emu-owner-secret-0001');
CREATE SCHEMA ecs;
IMPORT FOREIGN SCHEMA ecs FROM SERVER aliyun INTO ecs;

\echo
\echo '== The regions of the account'
SELECT region_id, local_name, region_endpoint FROM ecs.regions ORDER BY region_id;

\echo
\echo '== Custom images per region and status (every status, not only Available)'
SELECT region_id,
       count(*) AS images,
       count(*) FILTER (WHERE status = 'Available') AS available,
       count(*) FILTER (WHERE status IN ('Creating', 'Waiting')) AS in_progress,
       count(*) FILTER (WHERE status IN ('CreateFailed', 'UnAvailable')) AS broken,
       count(*) FILTER (WHERE status = 'Deprecated') AS deprecated,
       count(*) FILTER (WHERE image_owner_alias = 'others') AS shared_with_us,
       sum(size) AS total_gib
  FROM ecs.images
 GROUP BY ROLLUP (region_id)
 ORDER BY region_id NULLS LAST;

\echo
\echo '== Images that are not Available'
SELECT region_id, image_id, image_name, status, progress
  FROM ecs.images
 WHERE status <> 'Available'
 ORDER BY status, region_id, image_id
 LIMIT 12;

\echo
\echo '== Own images shared with other accounts'
SELECT region_id, image_id, image_name, creation_time::date AS created
  FROM ecs.images
 WHERE image_owner_alias = 'self' AND is_self_shared
 ORDER BY region_id, image_id
 LIMIT 10;

\echo
\echo '== Available own images older than 180 days, oldest first'
SELECT region_id, image_id, image_name, os_name_en,
       date_trunc('day', now() - creation_time) AS age
  FROM ecs.images
 WHERE image_owner_alias = 'self' AND status = 'Available'
   AND creation_time < now() - interval '180 days'
 ORDER BY creation_time
 LIMIT 10;

\echo
\echo '== Tags: which teams own how much'
SELECT tags->>'team' AS team, count(*) AS images, sum(size) AS gib
  FROM ecs.images
 WHERE tags ? 'team'
 GROUP BY 1
 ORDER BY 2 DESC, 1;

\echo
\echo '== What it cost: every region and page is fetched concurrently'
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, SUMMARY ON)
SELECT count(*) FROM ecs.images;

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

-- api_requests(query): how many API requests a query costs, summed over
-- its foreign scans (from EXPLAIN ANALYZE)
CREATE FUNCTION api_requests(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO plan;
  RETURN (SELECT sum(v::bigint) FROM jsonb_path_query(plan, 'strict $.**."ECS Requests"') v);
END $$;

\echo
\echo '== Audit cookbook 1: images that are not Available (the status filter goes to the API)'
\set q 'SELECT region_id, image_id, image_name, status, progress FROM ecs.images WHERE status IN (''Creating'', ''Waiting'', ''UnAvailable'', ''CreateFailed'', ''Deprecated'') ORDER BY status, region_id, image_id LIMIT 12'
:q;
SELECT api_requests(:'q') AS api_requests;

\echo
\echo '== Audit cookbook 2: own images shared with other accounts (permissions fetched per shared image)'
\set q 'SELECT i.region_id, i.image_id, i.image_name, p.account_id FROM ecs.images i JOIN ecs.image_share_permissions p USING (region_id, image_id) WHERE i.image_owner_alias = ''self'' AND i.is_self_shared ORDER BY 1, 2, 4 LIMIT 12'
:q;
SELECT api_requests(:'q') AS api_requests;

\echo
\echo '== Audit cookbook 3: own images older than 180 days, oldest first'
\set q 'SELECT region_id, image_id, image_name, status, date_trunc(''day'', now() - creation_time) AS age FROM ecs.images WHERE image_owner_alias = ''self'' AND creation_time < now() - interval ''180 days'' ORDER BY creation_time LIMIT 10'
:q;
SELECT api_requests(:'q') AS api_requests;

\echo
\echo '== Audit cookbook 4: counts by region and status, for a dashboard'
\set q 'SELECT region_id, status, count(*) AS images, sum(size) AS gib FROM ecs.images GROUP BY 1, 2 ORDER BY 1, 2'
:q;
SELECT api_requests(:'q') AS api_requests;

\echo
\echo '== A targeted lookup is one request'
SELECT region_id, image_id FROM ecs.images WHERE region_id = 'cn-shanghai' ORDER BY image_id LIMIT 1 \gset
\set q 'SELECT image_id, image_name, status, creation_time FROM ecs.images WHERE region_id = ' :'region_id' ' AND image_id = ' :'image_id'
:q;
SELECT api_requests(:'q') AS api_requests;

\echo
\echo '== Lifecycle: copy an image to another region (NOTICEs show the progress), then share the copy'
SELECT region_id AS src_region, image_id AS src_image, image_name AS src_name
  FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_owner_alias = 'self' AND status = 'Available'
 ORDER BY creation_time DESC LIMIT 1 \gset
SELECT ecs_copy_image(:'src_region', :'src_image', 'cn-beijing',
                      image_name => :'src_name' || '-copy', wait => true) AS copy_id \gset
SELECT region_id, image_id, image_name, status, is_copied
  FROM ecs.images WHERE region_id = 'cn-beijing' AND image_id = :'copy_id';
SELECT ecs_share_image('cn-beijing', :'copy_id', ARRAY['2345678901234567']);
SELECT region_id, image_id, account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-beijing' AND image_id = :'copy_id';
\echo 'The second account now sees the copy as shared with it:'
CREATE SERVER aliyun_peer FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint :'emu_url', ca_file :'emu_ca', regions 'cn-beijing');
CREATE USER MAPPING FOR CURRENT_USER SERVER aliyun_peer
  OPTIONS (access_key_id 'LTAI5tEmuPeer00000000002',
           access_key_secret 'emu-peer-secret-0002');
CREATE SCHEMA peer;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER aliyun_peer INTO peer;
SELECT region_id, image_id, image_name, image_owner_alias, image_owner_id
  FROM peer.images WHERE image_id = :'copy_id';

\echo
\echo '== Tags: which teams own how much'
SELECT tags->>'team' AS team, count(*) AS images, sum(size) AS gib
  FROM ecs.images
 WHERE tags ? 'team'
 GROUP BY 1
 ORDER BY 2 DESC, 1;

\echo
\echo '== What it cost: every region and page is fetched concurrently'
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON)
SELECT count(*) FROM ecs.images;

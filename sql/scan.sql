--
-- scan: the images table lists every custom image of every region, in
-- every status, exactly as the emulator holds them
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv peer_secret EMU_PEER_SECRET
\getenv sts_secret EMU_STS_SECRET
\getenv sts_token EMU_STS_TOKEN

-- the truth as rows, for the owner account (1234567890123456): its own
-- images and those shared with it, in every region
CREATE TEMP VIEW expected AS
SELECT doc->>'region' AS region_id, doc->>'ImageId' AS image_id,
       doc->>'ImageName' AS image_name, doc->>'Status' AS status,
       doc->>'ImageOwnerAlias' AS image_owner_alias,
       doc->>'ImageOwnerId' AS image_owner_id,
       doc->>'Description' AS description,
       doc->>'OSType' AS os_type, doc->>'Architecture' AS architecture,
       (doc->>'CreationTime')::timestamptz AS creation_time,
       (doc->>'Size')::int AS size,
       rtrim(doc->>'Progress', '%')::int AS progress,
       CASE WHEN doc ? 'Tags' THEN
         (SELECT coalesce(jsonb_object_agg(t->>'TagKey', t->>'TagValue'), '{}')
            FROM jsonb_array_elements(doc->'Tags'->'Tag') t) END AS tags
  FROM truth;

SELECT count(*) AS expected_images FROM expected;
SELECT count(*) AS images FROM ecs.images;

-- row by row, both ways
SELECT 'missing' AS problem, * FROM (
  SELECT * FROM expected
  EXCEPT
  SELECT region_id, image_id, image_name, status, image_owner_alias,
         image_owner_id, description, os_type, architecture, creation_time,
         size, progress, tags
    FROM ecs.images) m
UNION ALL
SELECT 'unexpected', * FROM (
  SELECT region_id, image_id, image_name, status, image_owner_alias,
         image_owner_id, description, os_type, architecture, creation_time,
         size, progress, tags
    FROM ecs.images
  EXCEPT
  SELECT * FROM expected) u
ORDER BY 1, 2, 3;

-- every region and every status, Creating and CreateFailed included
SELECT region_id, status, count(*) FROM ecs.images GROUP BY 1, 2 ORDER BY 1, 2;
SELECT region_id, image_owner_alias, count(*) FROM ecs.images GROUP BY 1, 2 ORDER BY 1, 2;

-- NULL where the API leaves a field out
SELECT (SELECT count(*) FROM ecs.images WHERE description IS NULL) AS null_descriptions,
       (SELECT count(*) FROM expected WHERE description IS NULL) AS expected;

-- SQL types, and the whole API object in raw
SELECT pg_typeof(progress) AS progress, pg_typeof(size) AS size,
       pg_typeof(creation_time) AS creation_time, pg_typeof(is_copied) AS is_copied,
       pg_typeof(tags) AS tags, pg_typeof(raw) AS raw
  FROM ecs.images LIMIT 1;
SELECT count(*) AS raw_matches
  FROM ecs.images i JOIN truth t
    ON t.doc->>'ImageId' = i.image_id AND t.doc->>'region' = i.region_id
 WHERE i.raw = t.doc - 'region' - 'owner' - 'shared_with';
SELECT count(*) FILTER (WHERE jsonb_typeof(disk_device_mappings) = 'array') AS disk_arrays,
       count(*) FILTER (WHERE jsonb_typeof(features) = 'object') AS feature_objects,
       count(*) FILTER (WHERE is_self_shared) AS self_shared,
       count(*) FILTER (WHERE progress < 100) AS in_progress
  FROM ecs.images;
SELECT count(*) AS self_shared_expected
  FROM truth WHERE jsonb_array_length(doc->'shared_with') > 0 AND doc->>'owner' = '1234567890123456';

-- a column can read any API field
CREATE FOREIGN TABLE image_names (region_id text, id text OPTIONS (field 'ImageId'),
                                  name text OPTIONS (field 'ImageName'),
                                  login_as_non_root_supported boolean)
  SERVER emu OPTIONS (resource 'images');
SELECT count(*), count(DISTINCT id), count(login_as_non_root_supported) FROM image_names;
DROP FOREIGN TABLE image_names;

-- a table restricted to one region lists exactly that region's images
CREATE FOREIGN TABLE shanghai_images (region_id text, image_id text, status text)
  SERVER emu OPTIONS (resource 'images', regions 'cn-shanghai');
SELECT (SELECT count(*) FROM shanghai_images) AS shanghai,
       (SELECT count(*) FROM expected WHERE region_id = 'cn-shanghai') AS expected;
SELECT DISTINCT region_id FROM shanghai_images ORDER BY 1;

-- owner aliases: own images only, and everything including system images
ALTER FOREIGN TABLE shanghai_images OPTIONS (ADD image_owner_alias 'self');
SELECT (SELECT count(*) FROM shanghai_images) AS own,
       (SELECT count(*) FROM expected
         WHERE region_id = 'cn-shanghai' AND image_owner_alias = 'self') AS expected;
ALTER FOREIGN TABLE shanghai_images OPTIONS (SET image_owner_alias 'all');
CREATE TEMP VIEW shanghai_all_expected AS
SELECT doc->>'ImageOwnerAlias' AS alias, count(*)
  FROM truth
 WHERE doc->>'region' = 'cn-shanghai'
 GROUP BY 1
UNION ALL
SELECT doc->>'ImageOwnerAlias', count(*)
  FROM truth_all
 WHERE doc->>'region' = 'cn-shanghai'
   AND doc->>'ImageOwnerAlias' IN ('system', 'marketplace')
 GROUP BY 1;
CREATE FOREIGN TABLE shanghai_all (image_id text, image_owner_alias text)
  SERVER emu OPTIONS (resource 'images', regions 'cn-shanghai', image_owner_alias 'all');
SELECT a.image_owner_alias, count(*), e.count AS expected
  FROM shanghai_all a LEFT JOIN shanghai_all_expected e ON e.alias = a.image_owner_alias
 GROUP BY 1, 3 ORDER BY 1;
DROP FOREIGN TABLE shanghai_images, shanghai_all;

-- the regions table
SELECT * FROM ecs.regions ORDER BY region_id;

-- the same answer with small pages, the RPC signature and an STS key
CREATE SERVER emu_small FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', page_size '5',
           signature_version '1', max_concurrency '2');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_small
  OPTIONS (access_key_id 'STS.EmuOwnerTemp000000003',
           access_key_secret :'sts_secret',
           security_token :'sts_token');
RESET log_statement;
CREATE FOREIGN TABLE small_images (region_id text, image_id text, status text)
  SERVER emu_small OPTIONS (resource 'images');
SELECT count(*) AS images,
       count(*) = (SELECT count(*) FROM expected) AS same_count
  FROM small_images;
SELECT count(*) AS differences FROM (
  (SELECT region_id, image_id, status FROM small_images
   EXCEPT SELECT region_id, image_id, status FROM ecs.images)
  UNION ALL
  (SELECT region_id, image_id, status FROM ecs.images
   EXCEPT SELECT region_id, image_id, status FROM small_images)) d;
SELECT * FROM explain_analyze('SELECT count(*) FROM small_images');
DROP SERVER emu_small CASCADE;

-- a second account sees the owner's images shared with it as "others"
CREATE SERVER emu_peer FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_peer
  OPTIONS (access_key_id 'LTAI5tEmuPeer00000000002',
           access_key_secret :'peer_secret');
RESET log_statement;
CREATE FOREIGN TABLE peer_images (region_id text, image_id text,
                                  image_owner_alias text, image_owner_id text)
  SERVER emu_peer OPTIONS (resource 'images');
SELECT image_owner_alias, image_owner_id, count(*) FROM peer_images GROUP BY 1, 2 ORDER BY 1, 2;
SELECT doc->>'owner' AS owner, count(*) AS expected
  FROM truth_all
 WHERE doc->>'owner' = '2345678901234567'
    OR doc->'shared_with' ? '2345678901234567'
 GROUP BY 1 ORDER BY 1;
DROP SERVER emu_peer CASCADE;

-- EXPLAIN shows the action, regions and filters; ANALYZE the requests
EXPLAIN (VERBOSE, COSTS OFF) SELECT image_id FROM ecs.images;
SELECT * FROM explain_analyze('SELECT count(*) FROM ecs.images');

--
-- realapi: what the real API does that the emulator once did not (issue 13)
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET

-- 1. an 'all' table asks for marketplace images explicitly: without an
-- ImageOwnerAlias the API lists system, self and others images only
CREATE FOREIGN TABLE all_images (region_id text, image_id text, image_owner_alias text)
  SERVER emu OPTIONS (resource 'images', image_owner_alias 'all');
SELECT doc->>'ImageId' AS market_id FROM truth_all
 WHERE doc->>'region' = 'cn-beijing' AND doc->>'ImageOwnerAlias' = 'marketplace'
 ORDER BY 1 LIMIT 1 \gset
\! python3 test/emulator/emuctl.py stats-reset
SELECT image_owner_alias, count(*) FROM all_images WHERE region_id = 'cn-beijing'
 GROUP BY 1 ORDER BY 1;
-- one request without an alias and one for marketplace
\! python3 test/emulator/emuctl.py stats --action DescribeImages
SELECT image_owner_alias, count(*) AS expected FROM (
  SELECT doc->>'ImageOwnerAlias' AS image_owner_alias FROM truth_all
   WHERE doc->>'region' = 'cn-beijing' AND doc->>'ImageOwnerAlias' IN ('system', 'marketplace')
  UNION ALL
  SELECT doc->>'ImageOwnerAlias' FROM truth WHERE doc->>'region' = 'cn-beijing') t
 GROUP BY 1 ORDER BY 1;
-- the targeted lookup finds a marketplace image too
SELECT image_id = :'market_id' AS found, image_owner_alias FROM all_images
 WHERE region_id = 'cn-beijing' AND image_id = :'market_id';
CREATE FOREIGN TABLE public_images (region_id text, image_id text, image_owner_alias text)
  SERVER emu OPTIONS (resource 'images', image_owner_alias 'system,marketplace');
SELECT image_id = :'market_id' AS found, image_owner_alias FROM public_images
 WHERE region_id = 'cn-beijing' AND image_id = :'market_id';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM public_images WHERE region_id = 'cn-beijing' AND image_id = :'market_id';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM all_images WHERE region_id = 'cn-beijing';
DROP FOREIGN TABLE all_images, public_images;

-- 2. filter values the API does not know match nothing and send nothing
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.images WHERE os_type = 'Linux';
SELECT count(*) FROM ecs.images WHERE architecture IN ('x86-64', 'aarch64');
SELECT count(*) FROM ecs.images WHERE usage = 'Instance';
\! python3 test/emulator/emuctl.py stats
-- known values in the same list still ask, for those values only
SELECT count(*) = (SELECT count(*) FROM truth WHERE doc->>'OSType' = 'linux') AS right_count
  FROM ecs.images WHERE os_type IN ('linux', 'Linux');

-- 3. DescribeRegions answers in English by default, or in the server's language
SELECT region_id, local_name FROM ecs.regions ORDER BY region_id;
CREATE SERVER emu_zh FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', language 'zh-CN');
SET log_statement = 'none';
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_zh
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE regions_zh (region_id text, local_name text)
  SERVER emu_zh OPTIONS (resource 'regions');
SELECT region_id, local_name FROM regions_zh ORDER BY region_id;
ALTER SERVER emu_zh OPTIONS (SET language 'ja');
SELECT region_id, local_name FROM regions_zh ORDER BY region_id;
ALTER SERVER emu_zh OPTIONS (SET language 'fr');
DROP SERVER emu_zh CASCADE;

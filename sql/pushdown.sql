--
-- pushdown: WHERE clauses and LIMIT become API filters, visible in EXPLAIN
-- and in the emulator's request counts, and the results are exactly those
-- of the same query with pushdown off
--
\! python3 test/emulator/emuctl.py faults-clear

-- check(query): the query's rows with pushdown on and off must be the same
-- multiset; returns the row count and whether they agree
CREATE FUNCTION check_pushdown(query text, OUT n bigint, OUT same boolean)
LANGUAGE plpgsql AS $$
DECLARE
  diff bigint;
BEGIN
  SET LOCAL ecs_image_fdw.pushdown = on;
  EXECUTE format('CREATE TEMP TABLE r_on AS %s', query);
  SET LOCAL ecs_image_fdw.pushdown = off;
  EXECUTE format('CREATE TEMP TABLE r_off AS %s', query);
  SELECT count(*) INTO n FROM r_on;
  SELECT count(*) INTO diff FROM (
    (SELECT * FROM r_on EXCEPT ALL SELECT * FROM r_off)
    UNION ALL
    (SELECT * FROM r_off EXCEPT ALL SELECT * FROM r_on)) d;
  same := (diff = 0);
  DROP TABLE r_on, r_off;
END
$$;

-- an image of each kind, picked from the truth
SELECT doc->>'ImageId' AS own_id, doc->>'ImageName' AS own_name
  FROM truth WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'ImageOwnerAlias' = 'self'
 ORDER BY doc->>'ImageId' LIMIT 1 \gset
SELECT doc->>'ImageId' AS shared_id
  FROM truth WHERE doc->>'region' = 'cn-beijing' AND doc->>'ImageOwnerAlias' = 'others'
 ORDER BY doc->>'ImageId' LIMIT 1 \gset
SELECT doc->>'ImageId' AS system_id
  FROM truth_all WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'ImageOwnerAlias' = 'system'
 ORDER BY doc->>'ImageId' LIMIT 1 \gset
SELECT doc->>'ImageFamily' AS family
  FROM truth WHERE doc->>'ImageFamily' <> ''
 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1 \gset
SELECT doc->>'ResourceGroupId' AS rg
  FROM truth WHERE doc->>'ResourceGroupId' <> ''
 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1 \gset

-- a targeted lookup is one request
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id, status FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'own_id';
\! python3 test/emulator/emuctl.py stats-reset
SELECT image_id = :'own_id' AS found, image_owner_alias FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'own_id';
\! python3 test/emulator/emuctl.py stats
-- also for an image shared with us, and not for a system image, which the
-- table (own and shared images) does not show
SELECT image_id = :'shared_id' AS found, image_owner_alias FROM ecs.images
 WHERE region_id = 'cn-beijing' AND image_id = :'shared_id';
SELECT count(*) FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = :'system_id';

-- regions: pruned before any request, no DescribeRegions needed
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images WHERE region_id IN ('cn-hangzhou', 'cn-beijing');
\! python3 test/emulator/emuctl.py stats-reset
SELECT region_id, count(*) FROM ecs.images
 WHERE region_id IN ('cn-hangzhou', 'cn-beijing') GROUP BY 1 ORDER BY 1;
\! python3 test/emulator/emuctl.py stats --action DescribeRegions
\! python3 test/emulator/emuctl.py stats --action DescribeImages
-- a region that does not exist has no images; no error
SELECT count(*) FROM ecs.images WHERE region_id = 'xx-nowhere-1';
-- contradictions and NULLs send nothing
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.images WHERE region_id = 'cn-hangzhou' AND region_id = 'cn-beijing';
SELECT count(*) FROM ecs.images WHERE image_owner_alias = 'system';
SELECT count(*) FROM ecs.images WHERE image_id = NULL;
SELECT count(*) FROM ecs.images WHERE status = 'available';
\! python3 test/emulator/emuctl.py stats

-- each filter, with its EXPLAIN line, request count and result check
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images
 WHERE status IN ('Creating', 'CreateFailed') AND os_type = 'linux'
   AND architecture = 'x86_64' AND usage = 'none';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images
 WHERE image_owner_alias = 'others' AND tags @> '{"env": "prod"}';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images WHERE image_id IN ('m-a', 'm-b', 'm-c');

SELECT 'status' AS filter, * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE status = 'Creating'$$)
UNION ALL
SELECT 'status in', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE status IN ('Waiting', 'UnAvailable', 'Deprecated')$$)
UNION ALL
SELECT 'owner', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE image_owner_alias = 'others'$$)
UNION ALL
SELECT 'os_type', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE os_type = 'windows'$$)
UNION ALL
SELECT 'architecture', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE architecture IN ('arm64', 'i386')$$)
UNION ALL
SELECT 'usage', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE usage = 'instance'$$)
UNION ALL
SELECT 'family', * FROM check_pushdown(format($$SELECT region_id, image_id FROM ecs.images WHERE image_family = %L$$, :'family'))
UNION ALL
SELECT 'resource group', * FROM check_pushdown(format($$SELECT region_id, image_id FROM ecs.images WHERE resource_group_id = %L$$, :'rg'))
UNION ALL
SELECT 'name', * FROM check_pushdown(format($$SELECT region_id, image_id FROM ecs.images WHERE image_name = %L$$, :'own_name'))
UNION ALL
SELECT 'name, other case', * FROM check_pushdown(format($$SELECT region_id, image_id FROM ecs.images WHERE image_name = %L$$, upper(:'own_name')))
UNION ALL
SELECT 'tags', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE tags @> '{"env": "prod"}'$$)
UNION ALL
SELECT 'two tags', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE tags @> '{"env": "prod"}' AND tags @> '{"team": "sre"}'$$)
UNION ALL
SELECT 'tag, not a string', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE tags @> '{"env": 1}'$$)
UNION ALL
SELECT 'image ids', * FROM check_pushdown(format($$SELECT region_id, image_id FROM ecs.images WHERE image_id IN (%L, %L, 'm-none')$$, :'own_id', :'shared_id'))
UNION ALL
SELECT 'regions and status', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE region_id IN ('cn-shanghai', 'cn-shenzhen') AND status <> 'Available' AND status IN ('Creating', 'Waiting', 'Available')$$)
UNION ALL
SELECT 'or (not pushed)', * FROM check_pushdown($$SELECT region_id, image_id FROM ecs.images WHERE os_type = 'windows' OR status = 'Creating'$$);

-- request counts of single filters: one region, both aliases
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.images WHERE region_id = 'cn-shanghai' AND status = 'Creating';
\! python3 test/emulator/emuctl.py stats --action DescribeImages
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.images WHERE region_id = 'cn-shanghai' AND image_owner_alias = 'self';
\! python3 test/emulator/emuctl.py stats --action DescribeImages

-- parameters: = $1 and = ANY($1)
PREPARE by_id(text) AS SELECT image_id FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = $1;
PREPARE by_ids(text[]) AS SELECT count(*) FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = ANY($1);
\! python3 test/emulator/emuctl.py stats-reset
EXECUTE by_id(:'own_id');
EXECUTE by_ids(ARRAY[:'own_id', 'm-none']);
EXECUTE by_ids('{}');
\! python3 test/emulator/emuctl.py stats --action DescribeImages
DEALLOCATE by_id;
DEALLOCATE by_ids;

-- LIMIT stops paging: ten rows of one region are one request of ten
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images WHERE region_id = 'cn-hangzhou' LIMIT 10;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM (SELECT image_id FROM ecs.images WHERE region_id = 'cn-hangzhou' LIMIT 10) s;
\! python3 test/emulator/emuctl.py stats --action DescribeImages
-- a LIMIT that local conditions cannot meet from the first page reads on
SELECT count(*) FROM (SELECT image_id FROM ecs.images
                       WHERE region_id = 'cn-hangzhou' AND is_copied IS NOT NULL LIMIT 13) s;
-- with ORDER BY every row is needed, so no limit is pushed
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images WHERE region_id = 'cn-hangzhou' ORDER BY image_id LIMIT 10;

-- pushdown off: nothing but the table's own scope is sent
SET ecs_image_fdw.pushdown = off;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_id FROM ecs.images WHERE region_id = 'cn-hangzhou' AND status = 'Creating' LIMIT 1;
RESET ecs_image_fdw.pushdown;

DROP FUNCTION check_pushdown(text);

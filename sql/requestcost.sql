--
-- requestcost: what plans cost in API requests, and what EXPLAIN says of
-- them: DescribeRegions once per scan, joins costed by the requests each
-- outer row restarts, output lists and write actions in EXPLAIN VERBOSE
--
\! python3 test/emulator/emuctl.py faults-clear

-- a nested loop restarts the inner scan per outer row: the regions are
-- listed once, not per row
CREATE TEMP TABLE three AS
SELECT doc->>'ImageId' AS image_id FROM truth ORDER BY 1 LIMIT 3;
ANALYZE three;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM three t JOIN ecs.images i ON i.image_id = t.image_id;
\! python3 test/emulator/emuctl.py stats --action DescribeRegions
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- images shared with someone: the planner's choice costs no more requests
-- than a hash join over two full listings
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS some_shared FROM ecs.images
 WHERE image_id IN (SELECT image_id FROM ecs.image_share_permissions);
\set chosen `python3 test/emulator/emuctl.py stats`
SET enable_nestloop = off;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS some_shared FROM ecs.images
 WHERE image_id IN (SELECT image_id FROM ecs.image_share_permissions);
\set hash `python3 test/emulator/emuctl.py stats`
RESET enable_nestloop;
SELECT :chosen <= :hash AS no_more_requests_than_hash_join;

-- lists of values from small closed sets (OSType, Architecture, Usage) stay
-- local: their combinations would cost more requests than they save
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS some FROM ecs.images WHERE os_type IN ('linux', 'windows')
   AND architecture IN ('x86_64', 'arm64', 'i386') AND usage IN ('instance', 'none');
\set pushed `python3 test/emulator/emuctl.py stats`
SET ecs_image_fdw.pushdown = off;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS some FROM ecs.images WHERE os_type IN ('linux', 'windows')
   AND architecture IN ('x86_64', 'arm64', 'i386') AND usage IN ('instance', 'none');
\set local `python3 test/emulator/emuctl.py stats`
RESET ecs_image_fdw.pushdown;
SELECT :pushed <= :local AS no_more_requests_than_without_pushdown;
-- one value of them is still sent
EXPLAIN (VERBOSE, COSTS OFF) SELECT image_id FROM ecs.images
 WHERE os_type = 'linux' AND architecture IN ('x86_64', 'arm64');

-- EXPLAIN VERBOSE: the output is what the query reads
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM ecs.images;
EXPLAIN (VERBOSE, COSTS OFF) SELECT image_id FROM ecs.images WHERE status = 'Available';

-- and writes name their API action
ALTER SERVER emu OPTIONS (ADD updatable 'true');
EXPLAIN (VERBOSE, COSTS OFF) UPDATE ecs.images SET description = 'x' WHERE region_id = 'cn-hangzhou' AND image_id = 'm-x';
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = 'm-x';
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM ecs.image_share_permissions WHERE region_id = 'cn-hangzhou' AND image_id = 'm-x';
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO ecs.image_share_permissions (region_id, image_id, account_id) VALUES ('cn-hangzhou', 'm-x', '1');
ALTER SERVER emu OPTIONS (DROP updatable);

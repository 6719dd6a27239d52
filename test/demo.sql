-- test/demo.sql: the guided tour, run by test/demo.sh against the emulator.
--
-- Each step says what it shows; psql echoes every statement it sends
-- (ECHO queries), and after each query the meter (test/demo_meter.py)
-- prints its cost: the API requests the emulator answered and the time on
-- this client's clock.  psql variables from demo.sh: emu_connect, emu_ca and
-- meter (the meter's command line).  A step that fails stops the demo
-- (ON_ERROR_STOP); the one step that must fail checks that it did.
\set ON_ERROR_STOP 1
\set ECHO queries
\set start :meter ' start'
\set cost 'T1=$(date +%s%N) ' :meter ' cost'

\echo `:meter step 'Set-up: one server per account, keys in a user mapping'`
\echo 'Requests go to the official hosts (ecs-cn-hangzhou.aliyuncs.com, ...); connect_to'
\echo 'and ca_file send them to the bundled emulator instead: leave both out for Alibaba'
\echo 'Cloud. IMPORT FOREIGN SCHEMA creates one foreign table per resource.'
\echo
CREATE EXTENSION ecs_image_fdw;
CREATE SERVER aliyun FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
-- the secret comes from the environment and is not echoed
\set ECHO none
\getenv secret EMU_OWNER_SECRET
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER aliyun'
\echo '  OPTIONS (access_key_id ''LTAI5tEmuOwner0000000001'', access_key_secret ''(not shown)'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER aliyun
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'secret');
\unset secret
\set ECHO queries
CREATE SCHEMA ecs;
IMPORT FOREIGN SCHEMA ecs FROM SERVER aliyun INTO ecs;
\det ecs.*

\echo `:meter step 'The regions of the account'`
\echo 'No regions option on the server: the account''s regions come from DescribeRegions.'
\echo
\set t0 `:start`
SELECT region_id, local_name FROM ecs.regions ORDER BY region_id;
\echo `:cost :t0`

\echo `:meter step 'The inventory'`
\echo 'Custom images per region and status, own and shared with us, for every region'
\echo '(cn-qingdao has none). The regions are asked at once, and every status is listed,'
\echo 'not only Available (the API''s default).'
\echo
\set t0 `:start`
SELECT coalesce(r.region_id, 'all regions') AS region_id,
       count(i.image_id) AS images,
       count(*) FILTER (WHERE i.status = 'Available') AS available,
       count(*) FILTER (WHERE i.status = 'Deprecated') AS deprecated,
       count(*) FILTER (WHERE i.status NOT IN ('Available', 'Deprecated')) AS other,
       count(*) FILTER (WHERE i.image_owner_alias = 'others') AS shared_with_us,
       count(DISTINCT nullif(i.image_family, '')) AS families,
       coalesce(sum(i.size), 0) AS gib
  FROM ecs.regions r LEFT JOIN ecs.images i USING (region_id)
 GROUP BY ROLLUP (r.region_id)
 ORDER BY r.region_id NULLS LAST;
\echo `:cost :t0`

\echo `:meter step 'Audit cookbook'`
\echo '1. Images that are not usable: still being built, waiting, failed or unavailable.'
\echo '   The status filter goes to the API.'
\echo
\set t0 `:start`
SELECT region_id, image_id, image_name, status, progress
  FROM ecs.images
 WHERE status IN ('Creating', 'Waiting', 'UnAvailable', 'CreateFailed')
 ORDER BY region_id, status, image_name;
\echo `:cost :t0`
\echo
\echo '2. Own images shared with other accounts, and with whom (the permissions are'
\echo '   asked for each shared image only: a parameterized nested loop).'
\echo
\set t0 `:start`
SELECT i.region_id, i.image_name, p.account_id, p.shared_time::date AS since
  FROM ecs.images i JOIN ecs.image_share_permissions p USING (region_id, image_id)
 WHERE i.image_owner_alias = 'self' AND i.is_self_shared
 ORDER BY 1, 2, 3;
\echo `:cost :t0`
\echo
\echo '3. Forgotten images: Available, more than two years old, built by hand (no family).'
\echo
\set t0 `:start`
SELECT region_id, image_name, creation_time::date AS created, size AS gib
  FROM ecs.images
 WHERE image_owner_alias = 'self' AND status = 'Available' AND image_family = ''
   AND creation_time < now() - interval '2 years'
 ORDER BY creation_time
 LIMIT 8;
\echo `:cost :t0`
\echo
\echo '4. Who owns what: images and GiB per team tag (untagged ones too).'
\echo
\set t0 `:start`
SELECT coalesce(tags->>'team', '(untagged)') AS team, count(*) AS images,
       count(*) FILTER (WHERE status = 'Deprecated') AS deprecated, sum(size) AS gib
  FROM ecs.images
 WHERE image_owner_alias = 'self'
 GROUP BY 1
 ORDER BY 2 DESC, 1;
\echo `:cost :t0`

\echo `:meter step 'Pushdown: the conditions reach the API'`
\echo 'EXPLAIN VERBOSE shows the regions asked and the API filters; only the newest'
\echo 'builds of one family in one region are fetched, in one request.'
\echo
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name, image_version, status
  FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_family = 'order-service'
   AND status IN ('Available', 'Deprecated') AND tags @> '{"env": "prod"}'
 LIMIT 3 \g (format=unaligned tuples_only=on)
\set t0 `:start`
SELECT image_name, image_version, status
  FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_family = 'order-service'
   AND status IN ('Available', 'Deprecated') AND tags @> '{"env": "prod"}'
 LIMIT 3;
\echo `:cost :t0`

\echo `:meter step 'Concurrency: the same full scan, one request at a time and at the default'`
\echo 'The emulator adds 20 ms to every API call, as a real endpoint would take.'
\echo
ALTER SERVER aliyun OPTIONS (ADD max_concurrency '1');
\set t0 `:start`
SELECT count(*) AS images FROM ecs.images;
\echo `:cost :t0 'max_concurrency 1'`
ALTER SERVER aliyun OPTIONS (DROP max_concurrency);
\set t0 `:start`
SELECT count(*) AS images FROM ecs.images;
\echo `:cost :t0 'default (16)'`
\echo `:meter compare 'max_concurrency 1' 'default (16)'`

\echo `:meter step 'Throttling: retried, and the answer is still exact'`
\echo `:meter throttle cn-shanghai 3`
\echo
\set t0 `:start`
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM ecs.images WHERE region_id = 'cn-shanghai' \g (format=unaligned tuples_only=on)
\echo `:cost :t0`
\set checked `:meter expect Throttling.User 3`
\echo `:meter truth cn-shanghai`
\echo 'The scan read every row (actual rows above) after retrying the throttled requests.'

\echo `:meter step 'A region that keeps failing is an ERROR that names it'`
\echo 'Never a quietly shorter answer. max_retries 2 keeps the wait short here.'
\echo `:meter fail cn-zhangjiakou`
\echo
ALTER SERVER aliyun OPTIONS (ADD max_retries '2');
\set ON_ERROR_STOP 0
\set t0 `:start`
SELECT count(*) AS images FROM ecs.images;
\set ON_ERROR_STOP 1
\if :ERROR
\echo `:cost :t0`
\else
DO $$BEGIN RAISE EXCEPTION 'demo: the scan of a failing region did not fail'; END$$;
\endif
\echo `:meter clear`
ALTER SERVER aliyun OPTIONS (DROP max_retries);

\echo `:meter step "Lifecycle: copy, share, the peer's view, modify, delete"`
\echo 'Copy the newest order-service build to Beijing and wait for it; the NOTICEs'
\echo 'show the progress.'
\echo
SELECT image_id AS src_image, image_name AS src_name
  FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_family = 'order-service' AND status = 'Available'
 ORDER BY creation_time DESC
 LIMIT 1 \gset
\set t0 `:start`
SELECT ecs_copy_image('cn-hangzhou', :'src_image', 'cn-beijing',
                      image_name => :'src_name', wait => true) AS copy_id \gset
\echo 'copy:' :copy_id
\echo `:cost :t0`
\echo
\echo 'Share the copy with the second account (ecs_share_image returns nothing).'
\echo
\set t0 `:start`
SELECT ecs_share_image('cn-beijing', :'copy_id', ARRAY['2345678901234567']) \gset
\echo 'shared' :copy_id 'with account 2345678901234567'
\echo `:cost :t0`
\echo
\echo 'The second account, through its own server and keys, sees the copy as shared'
\echo 'with it (image_owner_alias others):'
\echo
CREATE SERVER aliyun_peer FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-beijing');
\set ECHO none
\getenv secret EMU_PEER_SECRET
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER aliyun_peer'
\echo '  OPTIONS (access_key_id ''LTAI5tEmuPeer00000000002'', access_key_secret ''(not shown)'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER aliyun_peer
  OPTIONS (access_key_id 'LTAI5tEmuPeer00000000002', access_key_secret :'secret');
\unset secret
\set ECHO queries
CREATE SCHEMA peer;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER aliyun_peer INTO peer;
\set t0 `:start`
SELECT image_id, image_name, image_owner_alias, image_owner_id
  FROM peer.images
 WHERE image_id = :'copy_id';
\echo `:cost :t0`
\echo
\echo 'Modify it with an UPDATE (the tables are writable with the updatable option):'
\echo
ALTER SERVER aliyun OPTIONS (ADD updatable 'true');
\set t0 `:start`
UPDATE ecs.images
   SET description = 'order-service for the Beijing launch', image_family = 'order-service'
 WHERE region_id = 'cn-beijing' AND image_id = :'copy_id'
RETURNING image_name, image_family, description, status;
\echo `:cost :t0`
\echo
\echo 'Unshare and delete it: a DELETE on each table.'
\echo
\set t0 `:start`
DELETE FROM ecs.image_share_permissions
 WHERE region_id = 'cn-beijing' AND image_id = :'copy_id' AND account_id = '2345678901234567';
DELETE FROM ecs.images WHERE region_id = 'cn-beijing' AND image_id = :'copy_id';
SELECT count(*) AS still_there FROM ecs.images
 WHERE region_id = 'cn-beijing' AND image_id = :'copy_id';
\echo `:cost :t0`

\echo `:meter step 'Image hygiene: who uses an image, what it costs, whose it is'`
\echo '1. Images no instance uses, older than 90 days, with the snapshot GiB each keeps'
\echo '   (a custom image holds the snapshots of its disks; they are billed by size).'
\echo '   The usage filter goes to DescribeSnapshots; MATERIALIZED asks once per region.'
\echo
\set t0 `:start`
WITH held AS MATERIALIZED (
  SELECT region_id, snapshot_id, source_disk_size FROM ecs.snapshots
   WHERE usage IN ('image', 'image_disk'))
SELECT i.region_id, i.image_name, i.creation_time::date AS created,
       sum(s.source_disk_size) AS snapshot_gib
  FROM ecs.images i
 CROSS JOIN LATERAL jsonb_array_elements(i.disk_device_mappings) d
  JOIN held s ON s.region_id = i.region_id AND s.snapshot_id = d->>'SnapshotId'
 WHERE i.image_owner_alias = 'self' AND i.usage = 'none'
   AND i.creation_time < now() - interval '90 days'
 GROUP BY 1, 2, 3
 ORDER BY snapshot_gib DESC, 1, 2
 LIMIT 8;
\echo `:cost :t0`
\echo
\echo '2. Own images without an owner tag, per region.'
\echo
\set t0 `:start`
SELECT region_id, count(*) AS untagged
  FROM ecs.images
 WHERE image_owner_alias = 'self' AND NOT coalesce(tags ? 'owner', false)
 GROUP BY 1
 ORDER BY 1;
\echo `:cost :t0`
\echo
\echo '3. Tag every image of a family (TagResources; ROLLBACK would not undo it).'
\echo
SELECT region_id AS fam_region, image_family AS family
  FROM ecs.images
 WHERE image_owner_alias = 'self' AND image_family <> ''
 GROUP BY 1, 2
HAVING count(*) >= 3
 ORDER BY count(*), 1, 2
 LIMIT 1 \gset
\set t0 `:start`
SELECT count(ecs_tag_image(region_id, image_id, '{"owner": "platform"}', server => 'aliyun')) AS tagged
  FROM ecs.images
 WHERE region_id = :'fam_region' AND image_owner_alias = 'self' AND image_family = :'family' \gset
\echo 'tagged' :tagged 'images of family' :family 'in' :fam_region 'with owner=platform'
\echo `:cost :t0`
\set t0 `:start`
SELECT image_id, tags->>'owner' AS owner
  FROM ecs.images
 WHERE region_id = :'fam_region' AND image_family = :'family'
 ORDER BY image_id;
\echo `:cost :t0`

\echo `:meter step 'Many accounts in one query: a role to assume, scans at the same time'`
\echo 'The vendor account (2345678901234567) lets ours assume its read-only image-auditor'
\echo 'role (STS AssumeRole with an ExternalId): our keys sign, no vendor key is stored.'
\echo 'A UNION ALL over one server per account lists both at once (Async Foreign Scan).'
\echo
CREATE SERVER vendor FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca',
           role_arn 'acs:ram::2345678901234567:role/image-auditor',
           external_id 'emu-audit-2026');
\set ECHO none
\getenv secret EMU_OWNER_SECRET
\echo 'CREATE USER MAPPING FOR CURRENT_USER SERVER vendor'
\echo '  OPTIONS (access_key_id ''LTAI5tEmuOwner0000000001'', access_key_secret ''(not shown)'');'
CREATE USER MAPPING FOR CURRENT_USER SERVER vendor
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'secret');
\unset secret
\set ECHO queries
CREATE SCHEMA vendor;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER vendor INTO vendor;
CREATE VIEW all_images AS
  SELECT 'ours' AS account, * FROM ecs.images
  UNION ALL
  SELECT 'vendor', * FROM vendor.images;
EXPLAIN (COSTS OFF)
SELECT account, count(*) FROM all_images GROUP BY account \g (format=unaligned tuples_only=on)
\set t0 `:start`
SELECT account, count(*) AS images,
       count(*) FILTER (WHERE image_owner_alias = 'self') AS own,
       count(*) FILTER (WHERE image_owner_alias = 'others') AS shared_with_it
  FROM all_images
 GROUP BY account
 ORDER BY account;
\echo `:cost :t0`

\echo `:meter step 'The cache: a dashboard that refreshes often'`
\echo 'With cache_ttl_s on the server, the same query within the TTL sends nothing.'
\echo
ALTER SERVER aliyun OPTIONS (ADD cache_ttl_s '300');
\set t0 `:start`
SELECT status, count(*) AS images, sum(size) AS gib
  FROM ecs.images GROUP BY status ORDER BY status;
\echo `:cost :t0`
\set t0 `:start`
SELECT status, count(*) AS images, sum(size) AS gib
  FROM ecs.images GROUP BY status ORDER BY status;
\echo `:cost :t0`

--
-- snapshots: DescribeSnapshots, paged by NextToken; usage and status pushed
-- down; the snapshots of an image's disks reached by a join; what keeping
-- an image costs
--
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

-- the emulator's truth: every snapshot of the owner, and which images hold it
CREATE TEMP TABLE truth_snapshots (doc jsonb);
\copy truth_snapshots FROM PROGRAM 'python3 test/emulator/emuctl.py snapshots --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TEMP VIEW expected_snapshots AS
SELECT doc->>'RegionId' AS region_id, doc->>'SnapshotId' AS snapshot_id,
       doc->>'SnapshotName' AS snapshot_name, doc->>'SourceDiskId' AS source_disk_id,
       (doc->>'SourceDiskSize')::int AS source_disk_size, doc->>'Usage' AS usage,
       doc->>'Status' AS status, (doc->>'CreationTime')::timestamptz AS creation_time,
       (doc->>'RetentionDays')::int AS retention_days, '{}'::jsonb AS tags
  FROM truth_snapshots;
SELECT usage, count(*) AS snapshots FROM expected_snapshots GROUP BY 1 ORDER BY 1;

-- every snapshot of every region, every column as the emulator has it
CREATE TEMP VIEW got_snapshots AS
SELECT region_id, snapshot_id, snapshot_name, source_disk_id, source_disk_size,
       usage, status, creation_time, retention_days, tags
  FROM ecs.snapshots;
SELECT count(*) AS differences FROM (
  (SELECT * FROM got_snapshots EXCEPT ALL SELECT * FROM expected_snapshots)
  UNION ALL
  (SELECT * FROM expected_snapshots EXCEPT ALL SELECT * FROM got_snapshots)) d;

-- every disk of every own custom image has its snapshot, held by the image
SELECT count(*) AS own_disks,
       count(*) FILTER (WHERE t.doc->'HeldBy' ? (i.doc->>'ImageId')) AS held
  FROM truth_all i, jsonb_array_elements(i.doc->'DiskDeviceMappings'->'DiskDeviceMapping') d
  LEFT JOIN truth_snapshots t ON t.doc->>'SnapshotId' = d->>'SnapshotId'
 WHERE i.doc->>'owner' = '1234567890123456';

-- usage and status are sent; a usage the API does not know asks nothing
EXPLAIN (VERBOSE, COSTS OFF)
SELECT snapshot_id FROM ecs.snapshots WHERE usage = 'image' AND status = 'accomplished';
\! python3 test/emulator/emuctl.py stats-reset
SELECT usage, count(*) AS snapshots,
       count(*) = (SELECT count(*) FROM expected_snapshots e WHERE e.usage = s.usage) AS exact
  FROM ecs.snapshots s WHERE usage IN ('image', 'disk', 'none')
 GROUP BY 1 ORDER BY 1;
-- one listing per region: an IN list over a small closed set stays local
\! python3 test/emulator/emuctl.py stats --action DescribeSnapshots
SELECT count(*) = (SELECT count(*) FROM expected_snapshots WHERE status = 'progressing')
         AS progressing_exact
  FROM ecs.snapshots WHERE status = 'progressing';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) AS bogus FROM ecs.snapshots WHERE usage = 'instance';
\! python3 test/emulator/emuctl.py stats --action DescribeSnapshots

-- pages of one snapshot each are all read
CREATE SERVER emu_pages FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', page_size '1');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_pages
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE paged_snapshots (region_id text, snapshot_id text)
  SERVER emu_pages OPTIONS (resource 'snapshots');
SELECT count(*) = (SELECT count(*) FROM expected_snapshots WHERE region_id = 'cn-shanghai')
         AS complete,
       count(DISTINCT snapshot_id) = count(*) AS no_duplicates
  FROM paged_snapshots WHERE region_id = 'cn-shanghai';
DROP SERVER emu_pages CASCADE;

-- the snapshots of one image's disks, by a join: one listing, of its region
SELECT doc->>'ImageId' AS disks_image, doc->>'region' AS disks_region,
       jsonb_array_length(doc->'DiskDeviceMappings'->'DiskDeviceMapping') AS disks,
       (SELECT sum((d->>'Size')::int)
          FROM jsonb_array_elements(doc->'DiskDeviceMappings'->'DiskDeviceMapping') d) AS gib
  FROM truth_all
 WHERE doc->>'owner' = '1234567890123456' AND doc->>'Status' = 'Available'
 ORDER BY 3 DESC, 1 LIMIT 1 \gset
SELECT :disks AS disks;
EXPLAIN (COSTS OFF)
SELECT s.snapshot_id, s.source_disk_size
  FROM ecs.images i
 CROSS JOIN LATERAL jsonb_array_elements(i.disk_device_mappings) d
  JOIN ecs.snapshots s ON s.region_id = i.region_id AND s.snapshot_id = d->>'SnapshotId'
 WHERE i.region_id = :'disks_region' AND i.image_id = :'disks_image';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = :disks AS every_disk, sum(s.source_disk_size) = :gib AS same_gib,
       bool_and(s.usage IN ('image', 'image_disk')) AS held
  FROM ecs.images i
 CROSS JOIN LATERAL jsonb_array_elements(i.disk_device_mappings) d
  JOIN ecs.snapshots s ON s.region_id = i.region_id AND s.snapshot_id = d->>'SnapshotId'
 WHERE i.region_id = :'disks_region' AND i.image_id = :'disks_image';
\! python3 test/emulator/emuctl.py stats --action DescribeSnapshots

-- cookbook: images no instance uses, older than 90 days, with the snapshot
-- GiB each one keeps: the snapshots are listed once per region
-- (MATERIALIZED keeps the planner from asking per disk)
CREATE TEMP VIEW expected_cost AS
SELECT i.doc->>'region' AS region_id, i.doc->>'ImageId' AS image_id,
       sum((d->>'Size')::int) AS snapshot_gib
  FROM truth_all i, jsonb_array_elements(i.doc->'DiskDeviceMappings'->'DiskDeviceMapping') d
 WHERE i.doc->>'owner' = '1234567890123456' AND i.doc->>'Usage' = 'none'
   AND (i.doc->>'CreationTime')::timestamptz < now() - interval '90 days'
 GROUP BY 1, 2;
\! python3 test/emulator/emuctl.py stats-reset
CREATE TEMP TABLE got_cost AS
WITH held AS MATERIALIZED (
  SELECT region_id, snapshot_id, source_disk_size FROM ecs.snapshots
   WHERE usage IN ('image', 'image_disk'))
SELECT i.region_id, i.image_id, sum(s.source_disk_size) AS snapshot_gib
  FROM ecs.images i
 CROSS JOIN LATERAL jsonb_array_elements(i.disk_device_mappings) d
  JOIN held s ON s.region_id = i.region_id AND s.snapshot_id = d->>'SnapshotId'
 WHERE i.image_owner_alias = 'self' AND i.usage = 'none'
   AND i.creation_time < now() - interval '90 days'
 GROUP BY 1, 2;
\! python3 test/emulator/emuctl.py stats-json | python3 -c 'import json,sys; s=json.load(sys.stdin); print("requests:", s["total"], s["by_action"])'
SELECT (SELECT count(*) FROM expected_cost) > 0 AS some_images,
       (SELECT count(*) FROM ((TABLE got_cost EXCEPT TABLE expected_cost)
                              UNION ALL (TABLE expected_cost EXCEPT TABLE got_cost)) d)
         AS differences;

-- a held snapshot goes on being listed after its image is deleted, no
-- longer held
SELECT doc->>'ImageId' AS doomed, doc->>'region' AS doomed_region,
       doc->'DiskDeviceMappings'->'DiskDeviceMapping'->0->>'SnapshotId' AS doomed_snapshot
  FROM truth_all
 WHERE doc->>'owner' = '1234567890123456' AND doc->>'Status' = 'Available'
   AND doc->>'Usage' = 'none' AND doc->'shared_with' = '[]'
 ORDER BY doc->>'ImageId' LIMIT 1 \gset
SELECT usage FROM ecs.snapshots WHERE region_id = :'doomed_region' AND snapshot_id = :'doomed_snapshot';
SELECT ecs_delete_image(:'doomed_region', :'doomed');
SELECT usage FROM ecs.snapshots WHERE region_id = :'doomed_region' AND snapshot_id = :'doomed_snapshot';
\! python3 test/emulator/emuctl.py reset

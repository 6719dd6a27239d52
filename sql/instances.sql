--
-- instances: DescribeInstances, paged by NextToken; image_id, status and
-- tags pushed down; the join with images asks per image; a listing that
-- fails after some of its pages is an error, never a shorter answer
--
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

-- the emulator's truth: every instance of the owner
CREATE TEMP TABLE truth_instances (doc jsonb);
\copy truth_instances FROM PROGRAM 'python3 test/emulator/emuctl.py instances --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TEMP VIEW expected_instances AS
SELECT doc->>'RegionId' AS region_id, doc->>'InstanceId' AS instance_id,
       doc->>'InstanceName' AS instance_name, doc->>'ImageId' AS image_id,
       doc->>'Status' AS status, doc->>'InstanceType' AS instance_type,
       (doc->>'CreationTime')::timestamptz AS creation_time, doc->>'ZoneId' AS zone_id,
       (SELECT coalesce(jsonb_object_agg(t->>'TagKey', t->>'TagValue'), '{}')
          FROM jsonb_array_elements(doc->'Tags'->'Tag') t) AS tags
  FROM truth_instances;
SELECT count(*) AS instances, count(DISTINCT region_id) AS regions,
       count(*) FILTER (WHERE tags <> '{}') AS tagged
  FROM expected_instances;

-- every instance of every region, every column as the emulator has it
CREATE TEMP VIEW got_instances AS
SELECT region_id, instance_id, instance_name, image_id, status, instance_type,
       creation_time, zone_id, tags
  FROM ecs.instances;
SELECT count(*) AS differences FROM (
  (SELECT * FROM got_instances EXCEPT ALL SELECT * FROM expected_instances)
  UNION ALL
  (SELECT * FROM expected_instances EXCEPT ALL SELECT * FROM got_instances)) d;
SELECT count(*) AS raw_matches
  FROM ecs.instances i JOIN truth_instances t ON t.doc->>'InstanceId' = i.instance_id
 WHERE i.raw->>'ImageId' = t.doc->>'ImageId' AND i.raw ? 'InstanceTypeFamily';

-- pages of one instance each: every page is read, one after the other
CREATE SERVER emu_pages FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', page_size '1');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_pages
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE paged_instances (region_id text, instance_id text, image_id text)
  SERVER emu_pages OPTIONS (resource 'instances');
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = (SELECT count(*) FROM expected_instances) AS complete,
       count(DISTINCT instance_id) = count(*) AS no_duplicates
  FROM paged_instances;
-- one request per instance (a page each) and none for the regions' ends
\! python3 test/emulator/emuctl.py stats --action DescribeInstances

-- filters: image_id, status and tags are sent, the region prunes, and a
-- status the API does not know asks nothing
SELECT image_id AS used_image, region_id AS used_region, count(*) AS users
  FROM expected_instances WHERE image_id LIKE 'm-%'
 GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 1 \gset
EXPLAIN (VERBOSE, COSTS OFF)
SELECT instance_id FROM ecs.instances
 WHERE image_id = :'used_image' AND status = 'Running' AND tags @> '{"env": "prod"}';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = :users AS all_users FROM ecs.instances
 WHERE region_id = :'used_region' AND image_id = :'used_image';
\! python3 test/emulator/emuctl.py stats --action DescribeInstances
SELECT status, count(*) AS instances,
       count(*) = (SELECT count(*) FROM expected_instances e WHERE e.status = i.status) AS exact
  FROM ecs.instances i WHERE status IN ('Running', 'Stopped', 'Starting')
 GROUP BY 1 ORDER BY 1;
SELECT t.key, t.value, count(*) AS instances,
       count(*) = (SELECT count(*) FROM expected_instances e
                    WHERE e.tags @> jsonb_build_object(t.key, t.value)) AS exact
  FROM expected_instances, jsonb_each_text(tags) t
 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 1 \gset tag_
SELECT count(*) = :tag_instances AS tag_exact FROM ecs.instances
 WHERE tags @> jsonb_build_object(:'tag_key', :'tag_value');
SELECT min(instance_id) AS first_instance, max(instance_id) AS last_instance
  FROM expected_instances \gset
EXPLAIN (VERBOSE, COSTS OFF)
SELECT instance_id FROM ecs.instances
 WHERE instance_id IN ('i-one', 'i-"two"');
SELECT count(*) AS by_ids FROM ecs.instances
 WHERE instance_id IN (:'first_instance', :'last_instance', 'i-"unknown"');
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) AS bogus FROM ecs.instances WHERE status = 'Sleeping';
\! python3 test/emulator/emuctl.py stats --action DescribeInstances

-- the images instances use, joined: one listing per image, not a scan of
-- every instance
EXPLAIN (COSTS OFF)
SELECT i.image_id, n.instance_id
  FROM ecs.images i JOIN ecs.instances n USING (region_id, image_id)
 WHERE i.image_owner_alias = 'self' AND i.usage = 'instance';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) AS used_images, sum(users) AS instances,
       sum(users) = (SELECT count(*) FROM expected_instances e
                      WHERE e.image_id IN (SELECT doc->>'ImageId' FROM truth_all
                                            WHERE doc->>'owner' = '1234567890123456'))
         AS all_users
  FROM (SELECT i.image_id, count(*) AS users
          FROM ecs.images i JOIN ecs.instances n USING (region_id, image_id)
         WHERE i.image_owner_alias = 'self' AND i.usage = 'instance'
         GROUP BY 1) u;
\! python3 test/emulator/emuctl.py stats --action DescribeInstances
-- an image's usage follows from its instances
SELECT count(*) AS mismatched_usage
  FROM ecs.images i
 WHERE i.image_owner_alias = 'self'
   AND (i.usage = 'instance') <> EXISTS (SELECT 1 FROM expected_instances e
                                           WHERE e.image_id = i.image_id);

-- an instance started from an unused image makes it used (and DeleteImage
-- refuses it without force); released, the image is unused again
SELECT doc->>'ImageId' AS idle, doc->>'region' AS idle_region FROM truth_all
 WHERE doc->>'owner' = '1234567890123456' AND doc->>'Status' = 'Available'
   AND doc->>'Usage' = 'none' AND doc->'shared_with' = '[]'
 ORDER BY doc->>'ImageId' LIMIT 1 \gset
\setenv IDLE :idle
\setenv IDLE_REGION :idle_region
\! python3 test/emulator/emuctl.py add-instance "{\"region\": \"$IDLE_REGION\", \"image_id\": \"$IDLE\", \"name\": \"regress-user\"}" >/dev/null
SELECT usage FROM ecs.images WHERE region_id = :'idle_region' AND image_id = :'idle';
SELECT instance_name, status FROM ecs.instances
 WHERE region_id = :'idle_region' AND image_id = :'idle';
SELECT api_error(format('SELECT ecs_delete_image(%L, %L, server => ''emu'')', :'idle_region', :'idle'));
SELECT instance_id AS user_instance FROM ecs.instances
 WHERE region_id = :'idle_region' AND image_id = :'idle' \gset
\setenv USER_INSTANCE :user_instance
\! python3 test/emulator/emuctl.py remove-instance "$USER_INSTANCE"
SELECT usage FROM ecs.images WHERE region_id = :'idle_region' AND image_id = :'idle';
SELECT count(*) AS users FROM ecs.instances
 WHERE region_id = :'idle_region' AND image_id = :'idle';

-- a page that fails for good after the first is an error, and so is a
-- listing whose pages do not add up to its TotalCount; a page that fails
-- once is asked again with the same token
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "action": "DescribeInstances", "token": true, "status": 400, "code": "InvalidNextToken.Expired", "message": "The specified NextToken has expired.", "count": 1}'
SELECT * FROM show_error($$SELECT count(*) FROM paged_instances WHERE region_id = 'cn-hangzhou'$$);
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "action": "DescribeInstances", "token": true, "remove": ["Instances.Instance.0"], "count": 1}'
SELECT * FROM show_error($$SELECT count(*) FROM paged_instances WHERE region_id = 'cn-hangzhou'$$);
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "action": "DescribeInstances", "token": false, "set": {"NextToken": ""}, "count": 1}'
SELECT * FROM show_error($$SELECT count(*) FROM paged_instances WHERE region_id = 'cn-hangzhou'$$);
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "action": "DescribeInstances", "token": true, "status": 503, "count": 1}'
SELECT count(*) = (SELECT count(*) FROM expected_instances WHERE region_id = 'cn-hangzhou')
         AS complete_after_retry
  FROM paged_instances WHERE region_id = 'cn-hangzhou';
\! python3 test/emulator/emuctl.py faults-clear
DROP SERVER emu_pages CASCADE;

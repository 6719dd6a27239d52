--
-- tables: image_share_permissions and tasks, and joins that fetch the inner
-- side per outer row
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py faults-clear

-- share permissions: one row per own image and account, every page
CREATE TEMP VIEW expected_shares AS
SELECT doc->>'region' AS region_id, doc->>'ImageId' AS image_id, a AS account_id
  FROM truth, jsonb_array_elements_text(doc->'shared_with') a
 WHERE doc->>'owner' = '1234567890123456';
SELECT count(*) AS expected FROM expected_shares;
SELECT count(*) AS differences FROM (
  (SELECT region_id, image_id, account_id FROM ecs.image_share_permissions
   EXCEPT ALL SELECT * FROM expected_shares)
  UNION ALL
  (SELECT * FROM expected_shares
   EXCEPT ALL SELECT region_id, image_id, account_id FROM ecs.image_share_permissions)) d;
SELECT pg_typeof(shared_time), count(*) FILTER (WHERE shared_time IS NULL) AS null_times
  FROM ecs.image_share_permissions GROUP BY 1;

-- with image_id, only that image is asked about, in each region; with the
-- region too, it is one request; small pages are all read
SELECT image_id AS shared_image, count(*) AS accounts
  FROM expected_shares GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1 \gset
EXPLAIN (VERBOSE, COSTS OFF)
SELECT account_id FROM ecs.image_share_permissions WHERE image_id = :'shared_image';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = :accounts AS all_accounts
  FROM ecs.image_share_permissions WHERE image_id = :'shared_image';
\! python3 test/emulator/emuctl.py stats --action DescribeImageSharePermission
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = :accounts AS all_accounts
  FROM ecs.image_share_permissions p JOIN ecs.images i USING (region_id, image_id)
 WHERE p.image_id = :'shared_image' AND i.image_id = :'shared_image'
   AND p.region_id = i.region_id;
\! python3 test/emulator/emuctl.py stats --action DescribeImageSharePermission
CREATE SERVER emu_pages FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', page_size '1');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_pages
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE paged_shares (region_id text, image_id text, account_id text)
  SERVER emu_pages OPTIONS (resource 'image_share_permissions');
SELECT count(*) = :accounts AS all_accounts
  FROM paged_shares WHERE image_id = :'shared_image';
DROP SERVER emu_pages CASCADE;

-- joins: the permissions of each shared own image, fetched per image
EXPLAIN (COSTS OFF)
SELECT i.region_id, i.image_id, p.account_id
  FROM ecs.images i JOIN ecs.image_share_permissions p USING (region_id, image_id)
 WHERE i.image_owner_alias = 'self' AND i.is_self_shared;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) AS shares,
       count(*) = (SELECT count(*) FROM expected_shares) AS complete
  FROM ecs.images i JOIN ecs.image_share_permissions p USING (region_id, image_id)
 WHERE i.image_owner_alias = 'self' AND i.is_self_shared;
\! python3 test/emulator/emuctl.py stats --action DescribeImageSharePermission
\! python3 test/emulator/emuctl.py stats --action DescribeImages

-- tasks: every task of the account in every region; filters pushed
CREATE TEMP VIEW expected_tasks AS
SELECT t->>'RegionId' AS region_id, t->>'TaskId' AS task_id,
       t->>'TaskAction' AS task_action, t->>'TaskStatus' AS task_status,
       t->>'ResourceId' AS resource_id
  FROM (SELECT jsonb_array_elements(doc->'tasks') t FROM seed) s
 WHERE t->>'OwnerId' = '1234567890123456';
SELECT task_action, task_status, count(*) FROM ecs.tasks GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS expected,
       (SELECT count(*) FROM (
          (SELECT region_id, task_id, task_action, task_status, resource_id FROM ecs.tasks
           EXCEPT ALL SELECT * FROM expected_tasks)
          UNION ALL
          (SELECT * FROM expected_tasks
           EXCEPT ALL SELECT region_id, task_id, task_action, task_status, resource_id
             FROM ecs.tasks)) d) AS differences
  FROM expected_tasks;
SELECT count(*) FILTER (WHERE finished_time IS NULL) AS unfinished,
       count(*) FILTER (WHERE creation_time IS NULL) AS no_creation_time,
       count(DISTINCT region_id) AS regions
  FROM ecs.tasks;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT task_id FROM ecs.tasks
 WHERE region_id = 'cn-hangzhou' AND task_action = 'ExportImage' AND task_status = 'Finished';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = (SELECT count(*) FROM ecs.tasks t2
                    WHERE t2.region_id = 'cn-hangzhou' AND t2.task_action || '' = 'ExportImage'
                      AND t2.task_status || '' = 'Finished') AS same
  FROM ecs.tasks
 WHERE region_id = 'cn-hangzhou' AND task_action = 'ExportImage' AND task_status = 'Finished';
\! python3 test/emulator/emuctl.py stats --action DescribeTasks
SELECT task_id AS some_task FROM ecs.tasks ORDER BY task_id LIMIT 1 \gset
\! python3 test/emulator/emuctl.py stats-reset
SELECT task_id = :'some_task' AS found FROM ecs.tasks WHERE task_id = :'some_task';
\! python3 test/emulator/emuctl.py stats --action DescribeTasks

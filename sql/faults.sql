--
-- faults: with the emulator failing the next N requests in each way it
-- can (throttling, 5xx, resets, stalls, truncated and malformed bodies, lost
-- answers), scans still return exactly the seeded answer, and EXPLAIN
-- ANALYZE shows the N retries; a persistent fault is an ERROR (see errors)
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset
\i test/emulator/faults.psql

-- small pages, so that every region takes several requests
CREATE SERVER flaky FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', page_size '5',
           max_retries '4', request_timeout_ms '1000');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER flaky
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;
IMPORT FOREIGN SCHEMA ecs FROM SERVER flaky INTO public;

-- exact(): the images table against the emulator's truth, row by row
CREATE FUNCTION exact() RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN got = want THEN 'exact'
              ELSE format('WRONG: %s rows, expected %s', cardinality(got), cardinality(want)) END
    FROM (SELECT array_agg(r ORDER BY r) AS got
            FROM (SELECT concat_ws(' ', region_id, image_id, status, image_name) AS r
                    FROM images) i) g,
         (SELECT array_agg(r ORDER BY r) AS want
            FROM (SELECT concat_ws(' ', doc->>'region', doc->>'ImageId', doc->>'Status',
                                   doc->>'ImageName') AS r
                    FROM truth) t) w
$$;

SELECT exact() AS without_faults;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) AS images FROM images;
\! python3 test/emulator/emuctl.py stats --action DescribeImages

-- throttled twice in one region: two retries, with backoff
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "region": "cn-beijing", "count": 2}' >/dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM images');
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "region": "cn-beijing", "count": 2}' >/dev/null
SELECT exact() AS throttled;

-- the next three requests, whichever regions they are for
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "count": 3}' >/dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM images');
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "count": 3}' >/dev/null
SELECT exact() AS throttled_anywhere;

-- 500 and 503
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "status": 500, "code": "InternalError", "action": "DescribeImages", "region": "cn-shanghai", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "status": 503, "action": "DescribeImages", "region": "cn-shenzhen", "count": 1}' >/dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM images');
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "status": 500, "code": "InternalError", "action": "DescribeImages", "region": "cn-shanghai", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "status": 503, "action": "DescribeImages", "region": "cn-shenzhen", "count": 1}' >/dev/null
SELECT exact() AS after_5xx;

-- transport faults: a reset connection, an answer cut short, half a JSON
-- body, an answer lost after the request was served, and a stall longer
-- than request_timeout_ms; one of each, in different regions
\! python3 test/emulator/emuctl.py fault '{"kind": "reset", "action": "DescribeImages", "region": "cn-hangzhou", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "truncated", "action": "DescribeImages", "region": "cn-shanghai", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "malformed", "action": "DescribeImages", "region": "cn-beijing", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "DescribeImages", "region": "cn-shenzhen", "count": 1}' >/dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM images');
\! python3 test/emulator/emuctl.py fault '{"kind": "reset", "action": "DescribeImages", "region": "cn-hangzhou", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "truncated", "action": "DescribeImages", "region": "cn-shanghai", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "malformed", "action": "DescribeImages", "region": "cn-beijing", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "DescribeImages", "region": "cn-shenzhen", "count": 1}' >/dev/null
SELECT exact() AS after_transport_faults;
\! python3 test/emulator/emuctl.py fault '{"kind": "stall", "ms": 3000, "action": "DescribeImages", "region": "cn-beijing", "count": 1}' >/dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM images');
\! python3 test/emulator/emuctl.py fault '{"kind": "stall", "ms": 3000, "action": "DescribeImages", "region": "cn-beijing", "count": 1}' >/dev/null
SELECT exact() AS after_stall;
-- every rule above was used up
\! python3 test/emulator/emuctl.py faults | wc -l

-- the other tables: the DescribeRegions bootstrap, share permissions, tasks
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeRegions", "count": 2}' >/dev/null
SELECT array_agg(region_id ORDER BY region_id) AS regions FROM regions;
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "status": 503, "action": "DescribeImageSharePermission", "count": 2}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "reset", "action": "DescribeImageSharePermission", "count": 1}' >/dev/null
SELECT (SELECT array_agg(region_id || ' ' || image_id || ' ' || account_id
                         ORDER BY region_id, image_id, account_id)
          FROM image_share_permissions) =
       (SELECT array_agg((doc->>'region') || ' ' || (doc->>'ImageId') || ' ' || a
                         ORDER BY doc->>'region', doc->>'ImageId', a)
          FROM truth, jsonb_array_elements_text(doc->'shared_with') a
         WHERE doc->>'owner' = '1234567890123456') AS shares_exact;
\! python3 test/emulator/emuctl.py fault '{"kind": "truncated", "action": "DescribeTasks", "count": 2}' >/dev/null
SELECT (SELECT array_agg(task_id ORDER BY task_id) FROM tasks) =
       (SELECT array_agg(t->>'TaskId' ORDER BY t->>'TaskId')
          FROM seed, jsonb_array_elements(doc->'tasks') t
         WHERE t->>'OwnerId' = '1234567890123456') AS tasks_exact;
\! python3 test/emulator/emuctl.py faults | wc -l

-- waits retry too: a throttled poll is not the end of a wait
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "count": 2}' >/dev/null
SELECT image_id AS available_image FROM images
 WHERE region_id = 'cn-hangzhou' AND status = 'Available' AND image_owner_alias = 'self'
 ORDER BY image_id LIMIT 1 \gset
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "count": 2}' >/dev/null
SELECT ecs_wait_image('cn-hangzhou', :'available_image', server => 'flaky');

-- a region that fails more often than max_retries allows: an ERROR, never
-- fewer rows
ALTER SERVER flaky OPTIONS (SET max_retries '2');
\set fault '{"kind": "error", "status": 503, "action": "DescribeImages", "region": "cn-shenzhen"}' \\ :arm SELECT state, message FROM show_error('SELECT count(*) FROM images'); :disarm
SELECT exact() AS fine_again;

DROP FUNCTION exact();
DROP SERVER flaky CASCADE;

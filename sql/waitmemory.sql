--
-- waitmemory: a wait keeps nothing from one poll to the next.  Right after
-- a wait returns, in the same statement (whose memory context still holds
-- whatever the wait left there), the backend's memory contexts are no
-- larger after a wait of several polls than after a wait of one poll.
-- (A wait polls every 10 s at most, so a wait of three hours polls about
-- a thousand times.)
--
\! python3 test/emulator/emuctl.py faults-clear
SET client_min_messages = warning;   -- progress NOTICEs depend on timing

SELECT i->>'InstanceId' AS instance_id
  FROM seed, jsonb_array_elements(doc->'instances') i
 WHERE i->>'OwnerId' = '1234567890123456' AND i->>'RegionId' = 'cn-hangzhou'
   AND i->>'Status' = 'Running'
 ORDER BY 1 LIMIT 1 \gset
SELECT doc->>'ImageId' AS available
  FROM truth WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'Status' = 'Available'
   AND doc->>'ImageOwnerAlias' = 'self'
 ORDER BY 1 LIMIT 1 \gset

-- waited(image): wait for an image in cn-hangzhou, then, in the same
-- statement, the bytes used by the statements' memory contexts
CREATE FUNCTION waited(image text, OUT status text, OUT bytes bigint)
LANGUAGE sql AS $$
  SELECT status,
         (SELECT sum(used_bytes) FROM pg_backend_memory_contexts
           WHERE name = 'ExprContext' AND status IS NOT NULL)
    FROM (SELECT ecs_wait_image('cn-hangzhou', image) AS status OFFSET 0) w
$$;

-- a wait of one poll, twice (the first warms the caches), then measured
SELECT ecs_wait_image('cn-hangzhou', :'available') AS warm_up;
SELECT ecs_wait_image('cn-hangzhou', :'available') AS warm_up;
\! python3 test/emulator/emuctl.py stats-reset
SELECT status, bytes AS one_poll FROM waited(:'available') \gset
\set polls `python3 test/emulator/emuctl.py stats --action DescribeImages`
SELECT :'status' AS status, :polls = 1 AS one_poll;

-- a wait of several polls: an image that is Creating for a few seconds
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-wait-memory') AS creating \gset
\! python3 test/emulator/emuctl.py stats-reset
SELECT status, bytes AS many_polls FROM waited(:'creating') \gset
\set polls `python3 test/emulator/emuctl.py stats --action DescribeImages`
SELECT :'status' AS status, :polls >= 4 AS several_polls;
-- the statement's memory (ExprContext) after the wait: the same whatever
-- the number of polls (each poll used to leave about 4.5 kB there)
SELECT :many_polls - :one_poll < 1024 AS flat;

SELECT ecs_delete_image('cn-hangzhou', :'creating');
DROP FUNCTION waited(text);

--
-- rescanmemory: the inner side of a nested loop whose filters come from
-- the outer row is planned again for each outer row, and each plan lives
-- in a memory context that the restart resets: right after the join, in
-- the same statement (whose scan still exists), the scan's memory contexts
-- are no larger after 200 outer rows than after 20
--
\! python3 test/emulator/emuctl.py faults-clear
SET enable_memoize = off;   -- every outer row restarts the scan

-- 200 lookups (g = 0 to 199) of the own images of cn-hangzhou, in turn
CREATE TEMP TABLE lookups AS
WITH own AS (
  SELECT row_number() OVER (ORDER BY doc->>'ImageId') - 1 AS n,
         doc->>'ImageId' AS image_id
    FROM truth
   WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'owner' = '1234567890123456')
SELECT g, image_id
  FROM generate_series(0, 199) g JOIN own ON n = g % (SELECT count(*) FROM own);
SELECT count(*) AS lookups, count(DISTINCT image_id) > 1 AS several_images
  FROM lookups;

-- looked_up(n): the first n lookups, one outer row at a time (the OFFSET 0
-- keeps the lookup a subquery, so its image id is an executor parameter),
-- then, in the same statement, the bytes of the scan's memory contexts
CREATE FUNCTION looked_up(rows int, OUT found bigint, OUT bytes bigint)
LANGUAGE sql AS $$
  SELECT found,
         (SELECT sum(total_bytes) FROM pg_backend_memory_contexts
           WHERE name IN ('ecs_image_fdw scan', 'ecs_image_fdw plan',
                          'ecs_image_fdw listing', 'ecs_image_fdw page'))
    FROM (SELECT count(i.image_id) AS found
            FROM lookups l
           CROSS JOIN LATERAL
                 (SELECT image_id FROM ecs.images
                   WHERE region_id = 'cn-hangzhou' AND image_id = l.image_id
                  OFFSET 0) i
           WHERE l.g < rows
          OFFSET 0) s
$$;

-- the inner scan's filters are set for each outer row
EXPLAIN (VERBOSE, COSTS OFF)
SELECT i.image_id FROM lookups l
 CROSS JOIN LATERAL (SELECT image_id FROM ecs.images
                      WHERE region_id = 'cn-hangzhou' AND image_id = l.image_id
                     OFFSET 0) i
 WHERE l.g < 20;

\! python3 test/emulator/emuctl.py stats-reset
SELECT found, bytes AS bytes_20 FROM looked_up(20) \gset
SELECT :found AS found_of_20;
SELECT found, bytes AS bytes_200 FROM looked_up(200) \gset
SELECT :found AS found_of_200;
-- one request per outer row
\! python3 test/emulator/emuctl.py stats --action DescribeImages
-- each restart used to leave its filters and parameter sets behind (about
-- 5 kB per outer row)
SELECT :bytes_200 - :bytes_20 < 8192 AS flat;

DROP FUNCTION looked_up(int);
DROP TABLE lookups;
RESET enable_memoize;

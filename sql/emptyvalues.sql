--
-- emptyvalues: empty values in conditions match nothing (or stay local);
-- they are never sent as filters the API would refuse
--
\! python3 test/emulator/emuctl.py faults-clear

\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.images WHERE region_id = '';
SELECT count(*) FROM ecs.images WHERE tags @> '{"": "x"}';
SELECT count(*) FROM ecs.images WHERE tags @> '{"": ""}';
SELECT count(*) FROM ecs.images WHERE image_id = '';
SELECT count(*) FROM ecs.images WHERE image_id IN ('', NULL);
SELECT count(*) FROM ecs.image_share_permissions WHERE image_id = '';
SELECT count(*) FROM ecs.tasks WHERE task_id = '';
-- none of them needed a request
\! python3 test/emulator/emuctl.py stats

-- an empty value among others: the others are still asked for
SELECT doc->>'ImageId' AS img FROM truth
 WHERE doc->>'region' = 'cn-hangzhou' ORDER BY 1 LIMIT 1 \gset
SELECT image_id = :'img' AS found FROM ecs.images
 WHERE region_id IN ('cn-hangzhou', '') AND image_id IN (:'img', '');

-- a value the API takes as "no filter" stays a local condition: exact
SELECT count(*) = (SELECT count(*) FROM truth
                    WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'ImageFamily' = '') AS exact
  FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_family = '';
SELECT count(*) = (SELECT count(*) FROM truth
                    WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'Usage' = '') AS exact
  FROM ecs.images WHERE region_id = 'cn-hangzhou' AND usage = '';

-- a joined local table with an empty region id no longer breaks the join
CREATE TEMP TABLE wanted (region_id text, image_id text);
INSERT INTO wanted VALUES ('cn-hangzhou', :'img'), ('', :'img'), ('cn-hangzhou', '');
ANALYZE wanted;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT w.region_id, i.image_id = w.image_id AS found
  FROM wanted w JOIN ecs.images i ON i.region_id = w.region_id AND i.image_id = w.image_id
 ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;

--
-- regionids: a region id reaches a URL only if it is one; whatever comes
-- from WHERE, a join, a row to write or an API answer and is not a region
-- id matches no row and sends nothing
--
\! python3 test/emulator/emuctl.py faults-clear

-- from WHERE: no request at all, no rows
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.images WHERE region_id = 'localhost:37427/';
SELECT count(*) FROM ecs.images WHERE region_id = 'x.example.invalid/';
SELECT count(*) FROM ecs.images WHERE region_id = 'attacker.invalid@';
SELECT count(*) FROM ecs.images WHERE region_id IN ('CN-HANGZHOU', 'cn hangzhou', E'cn-hangzhou\r\n');
SELECT count(*) FROM ecs.image_share_permissions WHERE region_id = '127.0.0.1:1/';
SELECT count(*) FROM ecs.tasks WHERE region_id = '[::1]';
-- an empty one too (it used to send a request without a region)
SELECT count(*) FROM ecs.images WHERE region_id = '';
\! python3 test/emulator/emuctl.py stats

-- a valid one among them is still listed; only it is asked for
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = (SELECT count(*) FROM truth WHERE doc->>'region' = 'cn-hangzhou') AS all_of_hangzhou
  FROM ecs.images WHERE region_id IN ('cn-hangzhou', 'localhost:1/', '');
\! python3 test/emulator/emuctl.py stats

-- from a join: the rows with bad region ids find nothing, the others work
CREATE TEMP TABLE wanted (region_id text, image_id text);
INSERT INTO wanted
SELECT doc->>'region', doc->>'ImageId' FROM truth
 WHERE doc->>'region' = 'cn-shanghai' ORDER BY 2 LIMIT 1;
INSERT INTO wanted VALUES ('localhost:37427/', 'm-x'), ('', 'm-y'), ('attacker.invalid@', 'm-z');
ANALYZE wanted;
\! python3 test/emulator/emuctl.py stats-reset
SELECT w.region_id, i.image_id = w.image_id AS found
  FROM wanted w JOIN ecs.images i ON i.region_id = w.region_id AND i.image_id = w.image_id
 ORDER BY 1;
\! python3 test/emulator/emuctl.py stats --region cn-shanghai
\! python3 test/emulator/emuctl.py stats

-- from a row to write: refused before any request
ALTER SERVER emu OPTIONS (ADD updatable 'true');
\! python3 test/emulator/emuctl.py stats-reset
SELECT state, message, hint FROM show_error(
  'INSERT INTO ecs.image_share_permissions (region_id, image_id, account_id) VALUES (''localhost:37427/'', ''m-x'', ''2345678901234567'')');
\! python3 test/emulator/emuctl.py stats
ALTER SERVER emu OPTIONS (DROP updatable);

-- from an API answer: a region list with a host in it is refused
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Regions.Region.1.RegionId": "localhost:1/"}, "action": "DescribeRegions"}' >/dev/null
SELECT ecs_image_fdw_cache_clear('emu') >= 0 AS cleared;
\! python3 test/emulator/emuctl.py stats-reset
SELECT state, message, hint FROM show_error('SELECT count(*) FROM ecs.images');
\! python3 test/emulator/emuctl.py stats --action DescribeImages
\! python3 test/emulator/emuctl.py faults-clear
SELECT ecs_image_fdw_cache_clear('emu') >= 0 AS cleared;

--
-- writepaths: every way PostgreSQL writes to a foreign table reaches the
-- wrapper with its state set up: INSERT, COPY FROM, rows routed through a
-- partitioned table, UPDATE and DELETE through a parent; what is not
-- supported (TRUNCATE, ON CONFLICT, MERGE, COPY into images) is refused
--
\! python3 test/emulator/emuctl.py faults-clear

SELECT doc->>'ImageId' AS img
  FROM truth WHERE doc->>'region' = 'cn-shenzhen' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available' AND jsonb_array_length(doc->'shared_with') = 0
   AND doc->>'Usage' = 'none'
 ORDER BY 1 LIMIT 1 \gset

ALTER SERVER emu OPTIONS (ADD updatable 'true');

-- COPY FROM into share permissions shares (this crashed the server)
CREATE FUNCTION copy_shares(img text, accounts text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY ecs.image_share_permissions (region_id, image_id, account_id) FROM PROGRAM %L',
                 'printf ''' || (SELECT string_agg('cn-shenzhen\t' || img || '\t' || a || '\n', '')
                                 FROM unnest(accounts) a) || '''');
END
$$;
SELECT copy_shares(:'img', ARRAY['2345678901234567', '9000000000000042']);
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' ORDER BY 1;
-- a bad row stops COPY with the API's refusal, nothing is left half-built
SELECT state, message FROM show_error(format('SELECT copy_shares(%L, ARRAY[''somebody''])', :'img'));
-- COPY into images is not an insert the API can do
SELECT state, message FROM show_error('COPY ecs.images (region_id, image_id) FROM PROGRAM ''printf "cn-shenzhen\tm-x\n"''');

-- INSERT routed through a partitioned table to the foreign partition
CREATE TABLE shares_by_region (region_id text, image_id text, account_id text,
                               shared_time timestamptz)
  PARTITION BY LIST (region_id);
CREATE FOREIGN TABLE shares_shenzhen PARTITION OF shares_by_region
  FOR VALUES IN ('cn-shenzhen') SERVER emu OPTIONS (resource 'image_share_permissions');
CREATE TABLE shares_elsewhere PARTITION OF shares_by_region DEFAULT;
INSERT INTO shares_by_region (region_id, image_id, account_id)
VALUES ('cn-shenzhen', :'img', '3456789012345678'),
       ('cn-beijing', :'img', '3456789012345678')
RETURNING region_id, account_id;
SELECT tableoid::regclass AS part, region_id, account_id FROM shares_by_region
 WHERE image_id = :'img' ORDER BY 1, 2, 3;
-- COPY through the parent routes too
SELECT state, message FROM show_error(format(
  'COPY shares_by_region (region_id, image_id, account_id) FROM PROGRAM %L',
  format('printf ''cn-shenzhen\t%s\t9000000000000043\n''', :'img')));
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' ORDER BY 1;
-- DELETE through the parent (the foreign partition is an async child of
-- the Append, so the rows come in no fixed order)
WITH d AS (
  DELETE FROM shares_by_region WHERE image_id = :'img' AND account_id = '3456789012345678'
  RETURNING region_id, account_id)
SELECT * FROM d ORDER BY 1, 2;

-- UPDATE and DELETE through a partitioned table of images
CREATE TABLE images_by_region (region_id text, image_id text, description text)
  PARTITION BY LIST (region_id);
CREATE FOREIGN TABLE images_shenzhen PARTITION OF images_by_region
  FOR VALUES IN ('cn-shenzhen') SERVER emu OPTIONS (resource 'images');
UPDATE images_by_region SET description = 'via the parent'
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' RETURNING image_id = :'img' AS same, description;
SELECT description FROM ecs.images WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
-- a routed INSERT into a partition that takes no INSERT
SELECT state, message FROM show_error(format('INSERT INTO images_by_region VALUES (''cn-shenzhen'', %L, ''x'')', :'img'));

-- what is refused: TRUNCATE, ON CONFLICT, MERGE
SELECT state, message FROM show_error('TRUNCATE ecs.image_share_permissions');
SELECT state, message FROM show_error(format(
  'INSERT INTO ecs.image_share_permissions (region_id, image_id, account_id) VALUES (''cn-shenzhen'', %L, ''2345678901234567'') ON CONFLICT DO NOTHING', :'img'));
SELECT state, message FROM show_error(format(
  'INSERT INTO shares_by_region (region_id, image_id, account_id) VALUES (''cn-shenzhen'', %L, ''2345678901234567'') ON CONFLICT DO NOTHING', :'img'));
SELECT state FROM show_error(format(
  'MERGE INTO ecs.images t USING (SELECT %L AS id) s ON t.image_id = s.id WHEN MATCHED THEN UPDATE SET description = ''m''', :'img'));

-- locking reads work: each row is a copy, nothing is locked remotely
SELECT image_id = :'img' AS same FROM ecs.images
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' FOR UPDATE;

-- a prepared INSERT, run twice with the generic plan
SET plan_cache_mode = force_generic_plan;
PREPARE share_one(text, text) AS
  INSERT INTO ecs.image_share_permissions (region_id, image_id, account_id)
  VALUES ('cn-shenzhen', $1, $2) RETURNING account_id;
EXECUTE share_one(:'img', '9000000000000044');
EXECUTE share_one(:'img', '9000000000000045');
DEALLOCATE share_one;
RESET plan_cache_mode;
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' ORDER BY 1;

DROP TABLE images_by_region;
DROP TABLE shares_by_region;
DROP FUNCTION copy_shares(text, text[]);
ALTER SERVER emu OPTIONS (DROP updatable);
\! python3 test/emulator/emuctl.py reset

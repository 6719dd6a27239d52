--
-- writerows: what a write does to each row: BEFORE ROW triggers, a row a
-- join produces twice, a failure half-way, shared_time, and the words
-- around writes (which option makes a table writable, ROLLBACK)
--
\! python3 test/emulator/emuctl.py faults-clear
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET

-- two unshared own images and a shared one in cn-shenzhen, in id order
SELECT doc->>'ImageId' AS img1
  FROM truth WHERE doc->>'region' = 'cn-shenzhen' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available' AND jsonb_array_length(doc->'shared_with') = 0
   AND doc->>'Usage' = 'none'
 ORDER BY 1 LIMIT 1 \gset
SELECT doc->>'ImageId' AS img2
  FROM truth WHERE doc->>'region' = 'cn-shenzhen' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available' AND jsonb_array_length(doc->'shared_with') = 0
   AND doc->>'Usage' = 'none' AND doc->>'ImageId' > :'img1'
 ORDER BY 1 LIMIT 1 \gset
SELECT doc->>'ImageId' AS shared
  FROM truth WHERE doc->>'region' = 'cn-shenzhen' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available' AND jsonb_array_length(doc->'shared_with') > 0
 ORDER BY 1 LIMIT 1 \gset

-- not writable: the error names the option
SELECT state, message, hint FROM show_error(format(
  'UPDATE ecs.images SET description = ''x'' WHERE region_id = ''cn-shenzhen'' AND image_id = %L', :'img1'));
SELECT state, message, hint FROM show_error('DELETE FROM ecs.image_share_permissions');
SELECT state, message, hint FROM show_error('UPDATE ecs.regions SET status = ''x''');

-- a server that lists one stream at a time, so rows come in request order
CREATE SERVER w1 FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', max_concurrency '1',
           regions 'cn-shenzhen', updatable 'true');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER w1
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE w_images (region_id text, image_id text, image_name text,
                               image_family text, description text, status text, size int)
  SERVER w1 OPTIONS (resource 'images');
CREATE FOREIGN TABLE w_shares (region_id text, image_id text, account_id text,
                               shared_time timestamptz)
  SERVER w1 OPTIONS (resource 'image_share_permissions');

-- BEFORE ROW UPDATE triggers: what they change is sent too
CREATE FUNCTION w_family() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.image_family := 'set-by-trigger';
  RETURN NEW;
END
$$;
CREATE TRIGGER w_family BEFORE UPDATE ON w_images FOR EACH ROW EXECUTE FUNCTION w_family();
UPDATE w_images SET description = 'with a trigger' WHERE image_id = :'img1'
RETURNING description, image_family;
SELECT description, image_family FROM ecs.images WHERE region_id = 'cn-shenzhen' AND image_id = :'img1';
DROP TRIGGER w_family ON w_images;
-- and what they may not change is refused as SET would be
CREATE FUNCTION w_size() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.size := NEW.size + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER w_size BEFORE UPDATE ON w_images FOR EACH ROW EXECUTE FUNCTION w_size();
SELECT state, message, hint FROM show_error(format(
  'UPDATE w_images SET description = ''never'' WHERE image_id = %L', :'img1'));
SELECT description FROM ecs.images WHERE region_id = 'cn-shenzhen' AND image_id = :'img1';
DROP TRIGGER w_size ON w_images;
DROP FUNCTION w_size();
DROP FUNCTION w_family();

-- UPDATE ... FROM where a row matches several times: changed once
CREATE TEMP TABLE twice (image_id text);
INSERT INTO twice VALUES (:'img1'), (:'img1'), (:'img1'), (:'img2');
\! python3 test/emulator/emuctl.py stats-reset
UPDATE w_images i SET description = 'once each' FROM twice t
 WHERE i.image_id = t.image_id
RETURNING i.image_id = :'img1' AS is_img1, i.description;
\! python3 test/emulator/emuctl.py stats --action ModifyImageAttribute
-- DELETE ... USING the same way: unshared once, no error for the repeats
SELECT ecs_share_image('cn-shenzhen', :'img2', ARRAY['9000000000000042'], server => 'w1');
CREATE TEMP TABLE accounts (account_id text);
INSERT INTO accounts VALUES ('9000000000000042'), ('9000000000000042');
DELETE FROM w_shares s USING accounts a
 WHERE s.image_id = :'img2' AND s.account_id = a.account_id
RETURNING s.account_id, s.shared_time IS NOT NULL AS has_shared_time;

-- shared_time: set by the API, shown by RETURNING, not given by INSERT
INSERT INTO w_shares (region_id, image_id, account_id)
VALUES ('cn-shenzhen', :'img2', '9000000000000042')
RETURNING account_id, shared_time IS NOT NULL AS has_shared_time;
SELECT state, message, hint FROM show_error(format(
  'INSERT INTO w_shares VALUES (''cn-shenzhen'', %L, ''9000000000000043'', now())', :'img2'));
DELETE FROM w_shares WHERE image_id = :'img2'
RETURNING account_id, shared_time IS NOT NULL AS has_shared_time;

-- a statement that fails half-way says which rows it changed already
SELECT state, message, hint FROM show_error(format(
  'UPDATE w_images SET status = ''Deprecated'' WHERE image_id IN (%L, %L, %L)',
  :'img1', :'img2', :'shared'));
SELECT CASE image_id WHEN :'img1' THEN 'img1' WHEN :'img2' THEN 'img2' ELSE 'shared' END AS image,
       status FROM ecs.images
 WHERE region_id = 'cn-shenzhen' AND image_id IN (:'img1', :'img2', :'shared') ORDER BY 1;
-- the first one failing names nothing
SELECT state, message, hint FROM show_error(format(
  'UPDATE w_images SET status = ''Deprecated'' WHERE image_id = %L', :'shared'));

-- in a transaction block, a WARNING: ROLLBACK does not undo it
BEGIN;
UPDATE w_images SET status = 'Available' WHERE image_id IN (:'img1', :'img2');
ROLLBACK;
SELECT count(*) AS available FROM ecs.images
 WHERE region_id = 'cn-shenzhen' AND image_id IN (:'img1', :'img2') AND status = 'Available';
-- but not for a statement that changes nothing
BEGIN;
UPDATE w_images SET status = 'Available' WHERE image_id = 'm-none';
COMMIT;

DROP SERVER w1 CASCADE;
\! python3 test/emulator/emuctl.py reset

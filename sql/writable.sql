--
-- writable: with the updatable option, UPDATE and DELETE on images and
-- INSERT and DELETE on image_share_permissions change the cloud at once
--
\! python3 test/emulator/emuctl.py faults-clear

SELECT doc->>'ImageId' AS img, doc->>'ImageName' AS img_name
  FROM truth WHERE doc->>'region' = 'cn-shenzhen' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available' AND jsonb_array_length(doc->'shared_with') = 0
   AND doc->>'Usage' = 'none'
 ORDER BY 1 LIMIT 1 \gset

-- read-only by default
UPDATE ecs.images SET description = 'x' WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
DELETE FROM ecs.image_share_permissions WHERE image_id = :'img';
INSERT INTO ecs.image_share_permissions VALUES ('cn-shenzhen', :'img', '2345678901234567');

ALTER FOREIGN TABLE ecs.images OPTIONS (ADD updatable 'true');
ALTER SERVER emu OPTIONS (ADD updatable 'true');

-- UPDATE: the changeable columns, with RETURNING what the API now holds
UPDATE ecs.images SET description = 'changed by UPDATE', image_family = 'regress-writable'
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img'
RETURNING image_id = :'img' AS same_image, image_name = :'img_name' AS name_kept,
          description, image_family, status;
UPDATE ecs.images SET status = 'Deprecated'
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' RETURNING status;
UPDATE ecs.images SET status = 'Available', image_name = 'regress-renamed'
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' RETURNING image_name, status;
-- other columns, NULLs and values the API refuses
UPDATE ecs.images SET size = 1 WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
UPDATE ecs.images SET features = '{}' WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
UPDATE ecs.images SET description = NULL WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
SELECT api_error(format('UPDATE ecs.images SET status = ''Gone'' WHERE region_id = ''cn-shenzhen'' AND image_id = %L', :'img'));
-- UPDATE of several rows: each gets its own call
UPDATE ecs.images SET image_family = 'regress-bulk'
 WHERE region_id = 'cn-shenzhen' AND image_owner_alias = 'self' AND status = 'Deprecated';
SELECT count(*) AS bulk_updated FROM ecs.images
 WHERE region_id = 'cn-shenzhen' AND image_family = 'regress-bulk';

-- ROLLBACK does not undo a change: it was made at once
BEGIN;
UPDATE ecs.images SET description = 'before the rollback'
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
ROLLBACK;
SELECT description FROM ecs.images WHERE region_id = 'cn-shenzhen' AND image_id = :'img';

-- INSERT and DELETE on share permissions share and unshare
INSERT INTO ecs.image_share_permissions (region_id, image_id, account_id)
VALUES ('cn-shenzhen', :'img', '2345678901234567'),
       ('cn-shenzhen', :'img', '9000000000000042')
RETURNING account_id;
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' ORDER BY 1;
INSERT INTO ecs.image_share_permissions (region_id, image_id, account_id)
VALUES ('cn-shenzhen', :'img', 'somebody');
INSERT INTO ecs.image_share_permissions (region_id, image_id)
VALUES ('cn-shenzhen', :'img');
DELETE FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img' AND account_id = '9000000000000042'
RETURNING account_id;
DELETE FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
SELECT count(*) AS shares_left FROM ecs.image_share_permissions
 WHERE region_id = 'cn-shenzhen' AND image_id = :'img';

-- DELETE: the image is read first for RETURNING, then deleted
DELETE FROM ecs.images WHERE region_id = 'cn-shenzhen' AND image_id = :'img'
RETURNING image_name, description, status;
SELECT count(*) AS gone FROM ecs.images WHERE region_id = 'cn-shenzhen' AND image_id = :'img';
\! python3 test/emulator/emuctl.py images --region cn-shenzhen | grep -c regress-renamed

-- what cannot be written
INSERT INTO ecs.images (region_id, image_id) VALUES ('cn-shenzhen', 'm-x');
UPDATE ecs.regions SET status = 'x';

ALTER SERVER emu OPTIONS (DROP updatable);
ALTER FOREIGN TABLE ecs.images OPTIONS (DROP updatable);
\! python3 test/emulator/emuctl.py reset

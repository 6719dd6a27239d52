--
-- tags: ecs_tag_image, ecs_untag_image and UPDATE images SET tags, through
-- TagResources and UntagResources; checked before sending, cache dropped,
-- not undone by ROLLBACK
--
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

-- an own image, and the emulator's word on its tags
SELECT doc->>'ImageId' AS tagged, doc->>'region' AS tagged_region
  FROM truth_all
 WHERE doc->>'owner' = '1234567890123456' AND doc->>'Status' = 'Available'
 ORDER BY doc->>'ImageId' LIMIT 1 \gset
-- refresh: the emulator's images now, and the tags of each
CREATE TEMP TABLE now_images (doc jsonb);
CREATE TEMP VIEW emulator_tags AS
SELECT doc->>'ImageId' AS image_id,
       (SELECT coalesce(jsonb_object_agg(t->>'TagKey', t->>'TagValue'), '{}')
          FROM jsonb_array_elements(coalesce(doc->'Tags'->'Tag', '[]')) t) AS tags
  FROM now_images;

-- checked before anything is sent: no request for any of these (an empty
-- array of keys changes nothing, like an empty list of accounts to share with)
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_tag_image(:'tagged_region', :'tagged', NULL);
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '["owner"]');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"owner": {"name": "zoe"}}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"": "x"}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"acs:owner": "x"}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"Aliyun-team": "x"}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"owner": "acs:zoe"}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"see": "https://example.com"}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', jsonb_build_object(repeat('k', 129), 'x'));
SELECT ecs_tag_image(:'tagged_region', :'tagged', jsonb_build_object('owner', repeat('é', 129)));
SELECT ecs_tag_image(:'tagged_region', :'tagged',
                     (SELECT jsonb_object_agg('k' || n, 'v') FROM generate_series(1, 21) n));
SELECT ecs_tag_image('cn hangzhou', :'tagged', '{"owner": "zoe"}');
SELECT ecs_untag_image(:'tagged_region', :'tagged', '{}');
SELECT ecs_untag_image(:'tagged_region', :'tagged', ARRAY['owner', NULL]);
SELECT ecs_untag_image(:'tagged_region', :'tagged', ARRAY['']);
SELECT ecs_untag_image(:'tagged_region', :'tagged',
                       (SELECT array_agg('k' || n) FROM generate_series(1, 21) n));
\! python3 test/emulator/emuctl.py stats

-- a key 128 characters long (not bytes) is fine; tags arrive exactly
SELECT ecs_tag_image(:'tagged_region', :'tagged',
                     jsonb_build_object('owner', 'zoe', 'empty', '', 'number', 42,
                                        repeat('é', 128), 'Zürich 研发'));
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged')
       @> jsonb_build_object('owner', 'zoe', 'empty', '', 'number', '42',
                             repeat('é', 128), 'Zürich 研发') AS arrived;
-- the table shows it at once: the cache of the region was dropped
SELECT tags->>'owner' AS owner FROM ecs.images
 WHERE region_id = :'tagged_region' AND image_id = :'tagged';
-- a new value for a key; tagging again changes nothing (safe to retry)
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"owner": "bob"}');
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"owner": "bob"}');
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged')->>'owner' AS owner;
-- untag: a key the image lacks is ignored, duplicates are sent once
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_untag_image(:'tagged_region', :'tagged', ARRAY['number', 'number', 'never-there', repeat('é', 128)]);
\! python3 test/emulator/emuctl.py stats --action UntagResources
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged') ?| ARRAY['number', repeat('é', 128)] AS still_there,
       (SELECT tags FROM emulator_tags WHERE image_id = :'tagged') ? 'owner' AS owner_kept;
-- not undone by ROLLBACK
BEGIN;
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"rolled": "back"}');
ROLLBACK;
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged')->>'rolled' AS after_rollback;

-- the API's refusals: an image of another account, too many tags on one image
SELECT doc->>'ImageId' AS peers, doc->>'region' AS peers_region FROM truth_all
 WHERE doc->>'owner' = '2345678901234567' ORDER BY 1 LIMIT 1 \gset
SELECT api_error(format($$SELECT ecs_tag_image(%L, %L, '{"a": "b"}')$$, :'peers_region', :'peers'));
SELECT api_error(format($$SELECT ecs_tag_image(%L, %L, %L)$$, :'tagged_region', :'tagged',
                        (SELECT jsonb_object_agg('k' || n, 'v') FROM generate_series(1, 20) n)));

-- only those who were granted it may tag
CREATE ROLE tags_reader;
SET ROLE tags_reader;
SELECT ecs_tag_image(:'tagged_region', :'tagged', '{"a": "b"}');
SELECT ecs_untag_image(:'tagged_region', :'tagged', ARRAY['a']);
RESET ROLE;
DROP ROLE tags_reader;

-- UPDATE images SET tags: what the image has is made the new value, with
-- one call to remove and one to set; the same UPDATE again sends neither
CREATE FOREIGN TABLE writable_images (region_id text, image_id text,
    image_name text, tags jsonb, image_family text)
  SERVER emu OPTIONS (resource 'images', updatable 'true');
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged') AS before;
\! python3 test/emulator/emuctl.py stats-reset
UPDATE writable_images SET tags = '{"owner": "carol", "env": "prod"}'
 WHERE region_id = :'tagged_region' AND image_id = :'tagged' RETURNING tags;
\! python3 test/emulator/emuctl.py stats-json | python3 -c 'import json,sys; s=json.load(sys.stdin)["by_action"]; print({k: s[k] for k in sorted(s)})'
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged') AS after;
\! python3 test/emulator/emuctl.py stats-reset
UPDATE writable_images SET tags = tags
 WHERE region_id = :'tagged_region' AND image_id = :'tagged';
\! python3 test/emulator/emuctl.py stats-json | python3 -c 'import json,sys; s=json.load(sys.stdin)["by_action"]; print({k: s[k] for k in sorted(s)})'
-- tags and another column in one UPDATE; a tag added to every image of a family
UPDATE writable_images SET tags = tags || '{"team": "data"}', image_name = 'hygiene-renamed'
 WHERE region_id = :'tagged_region' AND image_id = :'tagged';
SELECT image_name, tags FROM writable_images
 WHERE region_id = :'tagged_region' AND image_id = :'tagged';
UPDATE writable_images SET tags = '{}'
 WHERE region_id = :'tagged_region' AND image_id = :'tagged';
TRUNCATE now_images;
\copy now_images FROM PROGRAM 'python3 test/emulator/emuctl.py images --account 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT tags FROM emulator_tags WHERE image_id = :'tagged') AS emptied;
-- refused before sending
UPDATE writable_images SET tags = NULL WHERE region_id = :'tagged_region' AND image_id = :'tagged';
UPDATE writable_images SET tags = '{"acs:x": "y"}' WHERE region_id = :'tagged_region' AND image_id = :'tagged';
CREATE FOREIGN TABLE text_tags (region_id text, image_id text, tags text)
  SERVER emu OPTIONS (resource 'images', updatable 'true');
UPDATE text_tags SET tags = '{}' WHERE image_id = :'tagged';
DROP FOREIGN TABLE text_tags;

-- cookbook: tag every image of a family (the family filter is sent: one
-- listing per region, then a call per image)
SELECT count(*) AS members FROM truth_all
 WHERE doc->>'owner' = '1234567890123456' AND doc->>'ImageFamily' = 'web-family' \gset
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = :members AS all_members
  FROM (SELECT region_id, image_id, ecs_tag_image(region_id, image_id, '{"owner": "platform"}')
          FROM ecs.images
         WHERE image_owner_alias = 'self' AND image_family = 'web-family') t;
\! python3 test/emulator/emuctl.py stats-json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["total"], {k: v for k, v in sorted(s["by_action"].items())})'
SELECT count(*) = :members AS the_family_has_owners
  FROM ecs.images
 WHERE image_owner_alias = 'self' AND tags @> '{"owner": "platform"}';

-- cookbook: own images without an owner tag (one listing per region)
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = (SELECT count(*) FROM truth_all
                    WHERE doc->>'owner' = '1234567890123456'
                      AND NOT coalesce(doc->'Tags'->'Tag' @> '[{"TagKey": "owner"}]', false)
                      AND doc->>'ImageFamily' <> 'web-family') AS exact
  FROM (SELECT region_id, image_id, image_name, tags
          FROM ecs.images
         WHERE image_owner_alias = 'self' AND NOT coalesce(tags ? 'owner', false)) t;
\! python3 test/emulator/emuctl.py stats-json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["total"], {k: v for k, v in sorted(s["by_action"].items())})'

DROP FOREIGN TABLE writable_images;
\! python3 test/emulator/emuctl.py reset

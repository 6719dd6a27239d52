--
-- collation: a condition under a collation that finds other strings equal
-- (case-insensitive ICU) stays local, so it finds what SQL says it finds
--
CREATE COLLATION regress_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

SELECT doc->>'ImageId' AS img, upper(doc->>'ImageId') AS img_upper
  FROM truth WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'ImageOwnerAlias' = 'self'
 ORDER BY 1 LIMIT 1 \gset

-- exact under the default collation: the upper-case id is another id
SELECT count(*) FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = :'img_upper';
-- case-insensitive: the image is found, by id, IN list and ANY
SELECT image_id = :'img' AS found FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_upper' COLLATE regress_ci;
SELECT image_id = :'img' AS found FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id COLLATE regress_ci IN (:'img_upper', 'M-NONE');
SELECT image_id = :'img' AS found FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = ANY (ARRAY[:'img_upper'] COLLATE regress_ci);
SELECT count(*) = (SELECT count(*) FROM truth WHERE doc->>'region' = 'cn-hangzhou') AS all_of_hangzhou
  FROM ecs.images WHERE region_id = 'CN-HANGZHOU' COLLATE regress_ci;
-- the plan sends no filter for them (the region filter stays, it is exact)
EXPLAIN (VERBOSE, COSTS OFF) SELECT region_id FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = 'M-X' COLLATE regress_ci;
-- a column declared with the collation: the same
CREATE FOREIGN TABLE ci_images (region_id text, image_id text COLLATE regress_ci)
  SERVER emu OPTIONS (resource 'images');
SELECT image_id = :'img' AS found FROM ci_images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_upper';
-- a deterministic collation other than the default is still pushed
EXPLAIN (VERBOSE, COSTS OFF) SELECT region_id FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = 'm-x' COLLATE "C";
DROP FOREIGN TABLE ci_images;
DROP COLLATION regress_ci;

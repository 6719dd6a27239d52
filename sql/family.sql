--
-- family: ecs_image_from_family (DescribeImageFromFamily), the newest
-- Available image of a family, or NULL
--
\! python3 test/emulator/emuctl.py reset

-- the emulator's answer for every family of the owner's images, in every
-- region: the newest Available image the owner can use, or none
CREATE TEMP VIEW expected_newest AS
SELECT region_id, family,
       (SELECT doc->>'ImageId' FROM truth t
         WHERE t.doc->>'region' = f.region_id AND t.doc->>'ImageFamily' = f.family
           AND t.doc->>'Status' = 'Available'
         ORDER BY (t.doc->>'CreationTime')::timestamptz DESC, t.doc->>'ImageId' LIMIT 1) AS newest
  FROM (SELECT DISTINCT doc->>'region' AS region_id, doc->>'ImageFamily' AS family
          FROM truth WHERE doc->>'ImageFamily' <> '') f;
SELECT count(*) AS families, count(newest) AS with_an_image,
       count(*) FILTER (WHERE newest IS DISTINCT FROM ecs_image_from_family(region_id, family))
         AS differences
  FROM expected_newest;
-- one that has no Available image is NULL; so is an unknown family
SELECT region_id, family, ecs_image_from_family(region_id, family) IS NULL AS is_null
  FROM expected_newest WHERE newest IS NULL ORDER BY 1, 2 LIMIT 2;
SELECT ecs_image_from_family('cn-hangzhou', 'no-such-family') IS NULL AS unknown_is_null;
-- a system family
SELECT ecs_image_from_family('cn-hangzhou', 'acs:ubuntu_22_04_x64') AS system_newest;
-- one request each; the arguments are checked first
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_image_from_family('cn-hangzhou', 'web-family') IS NULL AS deprecated_only;
\! python3 test/emulator/emuctl.py stats --action DescribeImageFromFamily
SELECT ecs_image_from_family('cn-hangzhou', NULL);
SELECT ecs_image_from_family('cn-hangzhou', '');
SELECT ecs_image_from_family('cn/hangzhou', 'web-family');
SELECT api_error($$SELECT ecs_image_from_family('xx-nowhere-1', 'web-family')$$);
-- a newer member takes over once it is Available
SELECT doc->>'ImageId' AS old_newest FROM truth
 WHERE doc->>'region' = 'cn-beijing' AND doc->>'ImageFamily' = 'web-family'
   AND doc->>'Status' = 'Available'
 ORDER BY (doc->>'CreationTime')::timestamptz DESC LIMIT 1 \gset
SELECT ecs_image_from_family('cn-beijing', 'web-family') = :'old_newest' AS before_copy;
SELECT ecs_copy_image('cn-hangzhou',
         (SELECT doc->>'ImageId' FROM truth WHERE doc->>'region' = 'cn-hangzhou'
             AND doc->>'owner' = '1234567890123456' AND doc->>'Status' = 'Available'
             AND doc->>'ImageFamily' = '' ORDER BY 1 LIMIT 1),
         'cn-beijing', image_name => 'family-newest') AS copy_id \gset
SELECT ecs_modify_image('cn-beijing', :'copy_id', image_family => 'web-family');
SELECT ecs_image_from_family('cn-beijing', 'web-family') = :'old_newest' AS while_creating;
SET client_min_messages = warning;
SELECT ecs_wait_image('cn-beijing', :'copy_id');
RESET client_min_messages;
SELECT ecs_image_from_family('cn-beijing', 'web-family') = :'copy_id' AS after_copy;
\! python3 test/emulator/emuctl.py reset

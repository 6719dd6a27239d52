--
-- importoptions: IMPORT FOREIGN SCHEMA takes only the options it knows
-- (updatable), and writes each column's API field, so renames keep working
--
CREATE SCHEMA imp;
IMPORT FOREIGN SCHEMA ecs FROM SERVER emu INTO imp OPTIONS (foo 'bar');
IMPORT FOREIGN SCHEMA ecs FROM SERVER emu INTO imp OPTIONS (updatable 'maybe');
IMPORT FOREIGN SCHEMA ecs FROM SERVER emu INTO imp OPTIONS (updatable 'yes');
SELECT c.relname, array_to_string(ft.ftoptions, ', ') AS options
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
 WHERE c.relnamespace = 'imp'::regnamespace
   AND c.relname IN ('images', 'image_share_permissions', 'regions') ORDER BY 1;

-- every column says which field it reads
SELECT count(*) > 40 AS many_columns,
       count(*) = count(*) FILTER (WHERE attfdwoptions::text LIKE '{field=%}') AS each_has_field
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'imp'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped;
SELECT attname, attfdwoptions FROM pg_attribute
 WHERE attrelid = 'imp.image_share_permissions'::regclass AND attnum > 0 ORDER BY attnum;

-- a renamed column keeps reading its field
ALTER FOREIGN TABLE imp.images RENAME COLUMN image_name TO name;
ALTER FOREIGN TABLE imp.images RENAME COLUMN os_type TO os;
SELECT count(*) = count(name) AS names_read, count(*) = count(os) AS os_read,
       count(*) = (SELECT count(*) FROM truth WHERE doc->>'region' = 'cn-hangzhou') AS all_rows
  FROM imp.images WHERE region_id = 'cn-hangzhou';
DROP SCHEMA imp CASCADE;

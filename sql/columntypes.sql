--
-- columntypes: any column type reads any API field through its input
-- function; an object or array field in a column that is not jsonb is its
-- JSON text, and a value the type refuses is an error about the column
--
\! python3 test/emulator/emuctl.py faults-clear

-- text columns on object and list fields
CREATE FOREIGN TABLE hx (region_id text, image_id text, tags text,
                         features text, disk_device_mappings text)
  SERVER emu OPTIONS (resource 'images', regions 'cn-hangzhou');
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) AS images,
       count(*) FILTER (WHERE h.tags::jsonb IS NOT DISTINCT FROM i.tags) AS same_tags,
       count(*) FILTER (WHERE h.features::jsonb IS NOT DISTINCT FROM i.features) AS same_features,
       count(*) FILTER (WHERE h.disk_device_mappings::jsonb IS NOT DISTINCT FROM i.disk_device_mappings) AS same_disks
  FROM hx h JOIN ecs.images i USING (region_id, image_id)
 WHERE i.region_id = 'cn-hangzhou';
SELECT count(*) = (SELECT count(*) FROM truth WHERE doc->>'region' = 'cn-hangzhou') AS every_image
  FROM hx;
-- with a field option too
CREATE FOREIGN TABLE hf (image_id text, f text OPTIONS (field 'Features'),
                         d text OPTIONS (field 'DiskDeviceMappings'))
  SERVER emu OPTIONS (resource 'images', regions 'cn-hangzhou');
SELECT count(*) FILTER (WHERE f IS NOT NULL) > 0 AS have_features,
       count(*) FILTER (WHERE d LIKE '[%') > 0 AS disks_are_a_list
  FROM hf;

-- a type that refuses the value: an error about the column, sent once
CREATE FOREIGN TABLE harr (image_id text, tags text[])
  SERVER emu OPTIONS (resource 'images', regions 'cn-hangzhou');
CREATE FOREIGN TABLE hint (image_id text, features int)
  SERVER emu OPTIONS (resource 'images', regions 'cn-hangzhou');
CREATE FUNCTION column_error(query text, OUT state text, OUT context_names_column boolean)
LANGUAGE plpgsql AS $$
DECLARE
  ctx text;
BEGIN
  EXECUTE query;
  state := '00000';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, ctx = PG_EXCEPTION_CONTEXT;
  context_names_column := ctx LIKE '%column "tags" of foreign table "harr"%'
                          OR ctx LIKE '%column "features" of foreign table "hint"%';
END
$$;
\! python3 test/emulator/emuctl.py stats-reset
SELECT * FROM column_error('SELECT * FROM harr WHERE tags IS NOT NULL');
SELECT * FROM column_error('SELECT * FROM hint WHERE features IS NOT NULL');
-- not retried as a broken answer would be (two aliases per query at most)
\set sent `python3 test/emulator/emuctl.py stats`
SELECT :sent <= 4 AS not_retried;
DROP FUNCTION column_error(text);
DROP FOREIGN TABLE hx, hf, harr, hint;

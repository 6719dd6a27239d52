--
-- badinput: every function argument and option, given NULL, empty, too
-- long, multi-line, URL-syntax, quote-laden and non-ASCII values, ends in a
-- clear ERROR before any request, or in a correctly signed and encoded
-- request (the API's own answer); never a crash, never a signature error
--
\getenv emu_url EMU_URL
\getenv emu_ca EMU_CA
\! python3 test/emulator/emuctl.py reset

CREATE TEMP TABLE bad_values (n int, kind text, v text);
INSERT INTO bad_values VALUES
  (1, 'null', NULL), (2, 'empty', ''), (3, 'long', repeat('x', 300)),
  (4, 'newline', E'a\nb'), (5, 'url', 'a&b=c%20d+e/f?g#h'),
  (6, 'quotes', $$it's "q"; DROP TABLE t; --$$), (7, 'unicode', 'Zürich-研发-🚀');

-- matrix(templates): run each template (%s is the value, quoted) with each
-- bad value; one row per template, one SQLSTATE per value: 00000 for no
-- error, and a * where the API refused the request that was sent.  Without
-- a *, the value was refused before any request, except for the waits,
-- whose 42704 means the API found no such image, task or execution.
CREATE FUNCTION matrix(templates text[])
RETURNS TABLE (call text, "null" text, empty text, long text, newline text,
               url text, quotes text, unicode text)
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  r record;
  e record;
  states text[];
BEGIN
  FOREACH t IN ARRAY templates LOOP
    states := '{}';
    FOR r IN SELECT * FROM bad_values ORDER BY n LOOP
      SELECT * INTO e FROM show_error(format(t, quote_nullable(r.v)));
      states := states || (e.state || CASE WHEN e.detail LIKE 'API error %' THEN '*' ELSE '' END);
    END LOOP;
    call := t;
    "null" := states[1]; empty := states[2]; long := states[3]; newline := states[4];
    url := states[5]; quotes := states[6]; unicode := states[7];
    RETURN NEXT;
  END LOOP;
END
$$;

\! python3 test/emulator/emuctl.py stats-reset
SELECT * FROM matrix(ARRAY[
  'SELECT ecs_create_image(%s, instance_id => ''i-x'')',
  'SELECT ecs_create_image(''cn-hangzhou'', instance_id => %s)',
  'SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', image_name => %s)',
  'SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', description => %s)',
  'SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', client_token => %s)',
  'SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', server => %s)',
  'SELECT ecs_import_image(''cn-hangzhou'', %s, ''o'')',
  'SELECT ecs_import_image(''cn-hangzhou'', ''b'', %s)',
  'SELECT ecs_copy_image(''cn-hangzhou'', %s, ''cn-beijing'')',
  'SELECT ecs_copy_image(''cn-hangzhou'', ''m-x'', %s)',
  'SELECT ecs_copy_image(''cn-hangzhou'', ''m-x'', ''cn-beijing'', description => %s)',
  'SELECT ecs_cancel_copy_image(''cn-hangzhou'', %s)',
  'SELECT ecs_share_image(''cn-hangzhou'', ''m-x'', ARRAY[%s])',
  'SELECT ecs_export_image(''cn-hangzhou'', ''m-x'', %s)',
  'SELECT ecs_export_image(''cn-hangzhou'', ''m-x'', ''emu-cn-hangzhou-images'', oss_prefix => %s)',
  'SELECT ecs_modify_image(''cn-hangzhou'', ''m-x'', image_name => %s)',
  'SELECT ecs_delete_image(%s, ''m-x'')',
  'SELECT ecs_delete_image(''cn-hangzhou'', %s)',
  'SELECT ecs_update_image(''cn-hangzhou'', %s, ''ecs.g7.large'', ''echo'')',
  'SELECT ecs_wait_image(''cn-hangzhou'', %s)',
  'SELECT ecs_wait_image(''cn-hangzhou'', ''m-x'', status => %s)',
  'SELECT ecs_wait_task(%s, ''t-x'')',
  'SELECT ecs_wait_execution(''cn-hangzhou'', %s)'
]) ORDER BY call;
-- of the requests that were sent, none failed its signature check
\! python3 test/emulator/emuctl.py stats-json | python3 -c 'import json,sys; s=json.load(sys.stdin); print("requests:", s["total"] > 0, " signature errors:", sum(n for c, n in s["by_code"].items() if "Signature" in c or "Incomplete" in c))'

-- such values arrive exactly: a description and tags with every kind of
-- character, read back from the API
SELECT s->>'SnapshotId' AS snapshot_id
  FROM seed, jsonb_array_elements(doc->'snapshots') s
 WHERE s->>'OwnerId' = '1234567890123456' AND s->>'RegionId' = 'cn-hangzhou'
   AND s->>'SourceDiskType' = 'system' AND s->>'Status' = 'accomplished'
 ORDER BY 1 LIMIT 1 \gset
SELECT ecs_create_image('cn-hangzhou', snapshot_id => :'snapshot_id',
         image_name => 'badinput-roundtrip',
         description => $$a&b=c%20d+e/f?g#h it's "q" ; Zürich 研发 🚀 * ~$$ || E'\nline 2',
         tags => jsonb_build_object('k&=%', 'v "q" 研发', 'space key', '🚀')) AS roundtrip \gset
SELECT description = $$a&b=c%20d+e/f?g#h it's "q" ; Zürich 研发 🚀 * ~$$ || E'\nline 2' AS description_exact,
       tags = jsonb_build_object('k&=%', 'v "q" 研发', 'space key', '🚀') AS tags_exact
  FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = :'roundtrip';

-- jsonb arguments of the wrong shape, and intervals out of range
SELECT * FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', tags => ''"x"'')');
SELECT * FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', tags => ''{"k": {"nested": 1}}'')');
SELECT * FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', tags => ''{"k": null}'')');
SELECT * FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', disk_device_mappings => ''42'')');
SELECT * FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', disk_device_mappings => ''[42]'')');
SELECT * FROM show_error('SELECT ecs_wait_image(''cn-hangzhou'', ''m-x'', timeout => ''1000000 years'')');
SELECT * FROM show_error('SELECT ecs_wait_image(''cn-hangzhou'', ''m-x'', timeout => ''-1 second'')');
SELECT * FROM show_error('SELECT ecs_import_image(''cn-hangzhou'', ''b'', ''o'', disk_image_size => -1)');
SELECT * FROM show_error('SELECT ecs_share_image(''cn-hangzhou'', ''m-x'', ''{{1,2},{3,4}}'')');

-- options: server, table and user mapping, with the same values
CREATE SERVER bi FOREIGN DATA WRAPPER ecs_image_fdw;
CREATE FOREIGN TABLE bi_t (region_id text) SERVER bi;
CREATE USER MAPPING FOR CURRENT_USER SERVER bi
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret 'not-a-real-secret');
CREATE FUNCTION option_states(kind text, object text, names text[])
RETURNS TABLE (option text, "null" text, empty text, long text, newline text,
               url text, quotes text, unicode text, number text, negative text)
LANGUAGE plpgsql AS $$
DECLARE
  name text;
  states text[];
  r record;
  ddl text;
BEGIN
  FOREACH name IN ARRAY names LOOP
    states := '{}';
    FOR r IN SELECT n, v FROM bad_values
             UNION ALL SELECT 8, '1e10' UNION ALL SELECT 9, '-1' ORDER BY 1 LOOP
      ddl := format('ALTER %s %s OPTIONS (%s %I %L)', kind, object,
                    CASE WHEN kind = 'USER MAPPING FOR CURRENT_USER SERVER'
                              AND name IN ('access_key_id', 'access_key_secret')
                         THEN 'SET' ELSE 'ADD' END, name, coalesce(r.v, 'NULL'));
      IF r.v IS NULL THEN
        ddl := replace(ddl, '''NULL''', 'NULL');
      END IF;
      states := states || (SELECT e.state FROM show_error(ddl) e);
      IF states[array_length(states, 1)] = '00000'
         AND NOT (kind = 'USER MAPPING FOR CURRENT_USER SERVER'
                  AND name IN ('access_key_id', 'access_key_secret')) THEN
        EXECUTE format('ALTER %s %s OPTIONS (DROP %I)', kind, object, name);
      END IF;
    END LOOP;
    option := name;
    "null" := states[1]; empty := states[2]; long := states[3]; newline := states[4];
    url := states[5]; quotes := states[6]; unicode := states[7];
    number := states[8]; negative := states[9];
    RETURN NEXT;
  END LOOP;
END
$$;
SET log_min_error_statement = panic;   -- the failures are expected
SELECT * FROM option_states('SERVER', 'bi', ARRAY[
  'endpoint', 'oos_endpoint', 'ca_file', 'regions', 'signature_version',
  'max_concurrency', 'page_size', 'max_retries', 'connect_timeout_ms',
  'request_timeout_ms', 'cache_ttl_s', 'updatable', 'no_such_option'])
ORDER BY option;
SELECT * FROM option_states('FOREIGN TABLE', 'bi_t', ARRAY[
  'resource', 'regions', 'updatable', 'cache_ttl_s', 'no_such_option'])
ORDER BY option;
SELECT * FROM option_states('USER MAPPING FOR CURRENT_USER SERVER', 'bi', ARRAY[
  'access_key_id', 'access_key_secret', 'security_token', 'no_such_option'])
ORDER BY option;
RESET log_min_error_statement;

DROP FUNCTION option_states(text, text, text[]);
DROP SERVER bi CASCADE;
DROP FUNCTION matrix(text[]);
\! python3 test/emulator/emuctl.py reset

--
-- setup: the extension, a server on the emulator, the owner's user mapping,
-- and a helper that shows an error with its request id masked
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET

CREATE EXTENSION ecs_image_fdw;
SELECT e.extname, e.extversion, n.nspname AS schema,
       obj_description(e.oid, 'pg_extension') AS description
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'ecs_image_fdw';

CREATE SERVER emu FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;

-- show_error(sql): the SQLSTATE and texts of the error a statement raises,
-- with the request id, port and timings masked, and libcurl's own text after
-- ours (it changes between libcurl and OpenSSL versions); "secret_shown" is
-- true if any text contains an access key secret or security token of the
-- emulator
CREATE FUNCTION show_error(query text,
    OUT state text, OUT message text, OUT detail text, OUT hint text,
    OUT secret_shown boolean)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE query;
  state := '00000';
  secret_shown := false;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  detail := regexp_replace(detail, 'request ID [0-9A-Fa-f-]+', 'request ID <id>');
  detail := regexp_replace(detail, '127\.0\.0\.1 port [0-9]+', '127.0.0.1 port <port>');
  detail := regexp_replace(detail, '(after|with) [0-9]+ (ms|milliseconds|bytes)', '\1 <n> \2', 'g');
  detail := regexp_replace(detail, '\(libcurl: .*\)\.$', '(libcurl: ...).');
  secret_shown := concat(message, detail, hint) ~ 'emu-[a-z]+-(secret|token)-[0-9]+';
END
$$;

-- explain_analyze(sql): EXPLAIN ANALYZE without what changes between runs
-- or releases: no costs, timing, summary or buffers (on by default from 18),
-- and row counts as the integers they are (18 prints "rows=56.00", 15 to 17
-- "rows=56")
CREATE FUNCTION explain_analyze(query text, verbose_plan boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE format('EXPLAIN (ANALYZE, VERBOSE %s, COSTS OFF, TIMING OFF, '
                             'SUMMARY OFF, BUFFERS OFF) ', verbose_plan::text) || query LOOP
    RETURN NEXT regexp_replace(line, '(rows=[0-9]+)\.00\M', '\1', 'g');
  END LOOP;
END
$$;

-- api_error(sql): the same as one text, "SQLSTATE: message", then DETAIL and
-- HINT lines, request id masked (for statements that name their arguments
-- through format())
CREATE FUNCTION api_error(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  e record;
BEGIN
  SELECT * INTO e FROM show_error(query);
  IF e.state = '00000' THEN
    RETURN 'no error';
  END IF;
  RETURN e.state || ': ' || e.message
         || coalesce(E'\nDETAIL: ' || nullif(e.detail, ''), '')
         || coalesce(E'\nHINT: ' || nullif(e.hint, ''), '');
END
$$;

-- the emulator's truth, one JSON object per image with "region", "owner"
-- and "shared_with" beside the API fields: every image as its owner sees
-- it (truth_all), and the images the owner account can see, as it sees
-- them (truth)
CREATE TABLE truth_all (doc jsonb);
\copy truth_all FROM PROGRAM 'python3 test/emulator/emuctl.py images' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TABLE truth (doc jsonb);
\copy truth FROM PROGRAM 'python3 test/emulator/emuctl.py images --visible-to 1234567890123456' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
-- and the other seeded resources: instances, snapshots, buckets, tasks
CREATE TABLE seed (doc jsonb);
\copy seed FROM PROGRAM 'python3 test/emulator/emuctl.py seed' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT (SELECT count(*) > 0 FROM truth) AS have_truth,
       (SELECT jsonb_array_length(doc->'tasks') > 0 FROM seed) AS have_tasks;

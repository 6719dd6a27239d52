--
-- cancel: statement_timeout and pg_cancel_backend end a statement that is
-- stuck on a stalled request, in a long wait or in a retry backoff, with
-- SQLSTATE 57014, and the next statement in the same backend works.  The
-- bound here is generous (4 s for something that would take a minute or
-- an hour); test/cancel/run.sh measures the real latency.
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

CREATE SERVER slow FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           max_retries '20', request_timeout_ms '120000');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER slow
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE slow_images (region_id text, image_id text, status text)
  SERVER slow OPTIONS (resource 'images');

-- cancelled(q): run q; the SQLSTATE and message it ends with, and whether
-- it ended within 4 s of its start
CREATE FUNCTION cancelled(q text, OUT state text, OUT message text,
                          OUT within_4s boolean)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE q;
  state := '00000';
  within_4s := clock_timestamp() - t0 < interval '4 seconds';
EXCEPTION WHEN query_canceled THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
  within_4s := clock_timestamp() - t0 < interval '4 seconds';
END
$$;

-- a Creating image that never finishes (seeded images do not move)
SELECT doc->>'ImageId' AS creating
  FROM truth WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'Status' = 'Creating'
   AND doc->>'ImageOwnerAlias' = 'self'
 ORDER BY 1 LIMIT 1 \gset

-- a stalled request
\! python3 test/emulator/emuctl.py fault '{"kind": "stall", "ms": 60000, "action": "DescribeImages"}' >/dev/null
SET statement_timeout = '1s';
SELECT * FROM cancelled('SELECT count(*) FROM slow_images');
RESET statement_timeout;
\! (sleep 1; psql -X -d postgres -Atc "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%/* stalled */%' AND pid <> pg_backend_pid()") >/dev/null 2>&1 &
SELECT * FROM cancelled('SELECT count(*) FROM slow_images /* stalled */');
\! python3 test/emulator/emuctl.py faults-clear
SELECT count(*) > 0 AS next_statement_works FROM slow_images;

-- a long wait
SET statement_timeout = '1s';
SELECT * FROM cancelled(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, server => ''slow'')', :'creating'));
RESET statement_timeout;
\! (sleep 1; psql -X -d postgres -Atc "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%/* waiting */%' AND pid <> pg_backend_pid()") >/dev/null 2>&1 &
SELECT * FROM cancelled(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, server => ''slow'') /* waiting */', :'creating'));
SELECT count(*) > 0 AS next_statement_works FROM slow_images;

-- the backoff between retries of a throttled scan, and of a throttled call
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages"}' >/dev/null
SET statement_timeout = '1s';
SELECT * FROM cancelled('SELECT count(*) FROM slow_images');
RESET statement_timeout;
\! (sleep 1; psql -X -d postgres -Atc "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%/* backoff */%' AND pid <> pg_backend_pid()") >/dev/null 2>&1 &
SELECT * FROM cancelled('SELECT count(*) FROM slow_images /* backoff */');
SET statement_timeout = '1s';
SELECT * FROM cancelled(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, server => ''slow'')', :'creating'));
RESET statement_timeout;
\! python3 test/emulator/emuctl.py faults-clear
SELECT count(*) > 0 AS next_statement_works FROM slow_images;

DROP FUNCTION cancelled(text);
DROP SERVER slow CASCADE;

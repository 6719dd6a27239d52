--
-- waitevents: while a backend waits for the API, a second session sees it
-- in pg_stat_activity with wait_event_type 'Extension' (on PostgreSQL 17
-- and later the event is named EcsImageFdwNetwork): during a stalled
-- request of a scan and of a function
--
\! python3 test/emulator/emuctl.py faults-clear

CREATE FOREIGN TABLE waited_images (region_id text, image_id text)
  SERVER emu OPTIONS (resource 'images', regions 'cn-hangzhou');
CREATE TABLE observed (what text, wait_event_type text);

-- observe(what): run in a second session: wait (up to 20 s) for the
-- statement marked /* what */ to be active, note its wait event type ten
-- times, 0.1 s apart, then cancel it
CREATE FUNCTION observe(what text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  target int;
  wet text;
BEGIN
  FOR i IN 1..200 LOOP
    PERFORM pg_stat_clear_snapshot();
    SELECT pid INTO target FROM pg_stat_activity
     WHERE state = 'active' AND query LIKE '%/* ' || what || ' */%'
       AND pid <> pg_backend_pid();
    EXIT WHEN target IS NOT NULL;
    PERFORM pg_sleep(0.1);
  END LOOP;
  FOR i IN 1..10 LOOP
    PERFORM pg_sleep(0.1);
    PERFORM pg_stat_clear_snapshot();
    SELECT wait_event_type INTO wet FROM pg_stat_activity WHERE pid = target;
    INSERT INTO observed VALUES (what, wet);
  END LOOP;
  PERFORM pg_cancel_backend(target);
END
$$;

-- cancelled(q): run q, which the observer cancels
CREATE FUNCTION cancelled(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'not cancelled';
EXCEPTION WHEN query_canceled THEN
  RETURN 'cancelled';
END
$$;

SELECT doc->>'ImageId' AS available
  FROM truth WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'Status' = 'Available'
   AND doc->>'ImageOwnerAlias' = 'self'
 ORDER BY 1 LIMIT 1 \gset

\setenv ECS_DB :DBNAME
\! python3 test/emulator/emuctl.py fault '{"kind": "stall", "ms": 60000, "action": "DescribeImages"}' >/dev/null
SET statement_timeout = '30s';   -- in case the observer never comes
\! psql -X -q -d "$ECS_DB" -c "SELECT observe('stalled scan')" >/dev/null 2>&1 &
SELECT cancelled('SELECT count(*) FROM waited_images /* stalled scan */');
\! psql -X -q -d "$ECS_DB" -c "SELECT observe('stalled wait')" >/dev/null 2>&1 &
SELECT cancelled(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, server => ''emu'') /* stalled wait */', :'available'));
RESET statement_timeout;
\! python3 test/emulator/emuctl.py faults-clear

-- at least one of the ten looks saw the backend waiting on 'Extension'
SELECT what, count(*) AS looks,
       count(*) FILTER (WHERE wait_event_type = 'Extension') > 0 AS extension
  FROM observed GROUP BY what ORDER BY what;

DROP FUNCTION cancelled(text);
DROP FUNCTION observe(text);
DROP TABLE observed;
DROP FOREIGN TABLE waited_images;

--
-- memory: 200 scans in one backend, good ones and failing ones, leave its
-- memory flat: PostgreSQL's memory contexts and the process's resident
-- size (which includes libcurl, OpenSSL and json-c memory, kept out of
-- palloc) grow by less than a small bound after a warm-up
--
\! python3 test/emulator/emuctl.py reset

CREATE FUNCTION backend_memory(OUT contexts bigint, OUT rss_kb bigint)
LANGUAGE sql AS $$
  SELECT (SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts),
         substring(pg_read_file('/proc/self/status') FROM 'VmRSS:\s*(\d+) kB')::bigint
$$;

-- scans(n): n scans of every kind: the whole inventory, a pushed-down
-- lookup, a join, and one that fails
CREATE FUNCTION scans(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  rows bigint := 0;
  c bigint;
BEGIN
  FOR i IN 1..n LOOP
    SELECT count(*) INTO c FROM ecs.images;
    rows := rows + c;
    SELECT count(*) INTO c FROM ecs.images WHERE region_id = 'cn-hangzhou' AND status = 'Available';
    rows := rows + c;
    SELECT count(*) INTO c FROM ecs.images JOIN ecs.image_share_permissions USING (region_id, image_id)
     WHERE region_id = 'cn-beijing';
    rows := rows + c;
    BEGIN
      SELECT count(*) INTO c FROM memory_failing;
    EXCEPTION WHEN OTHERS THEN
      rows := rows + 1;
    END;
  END LOOP;
  RETURN rows;
END
$$;

-- nothing listens on port 1
CREATE SERVER memory_down FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint 'https://127.0.0.1:1', regions 'cn-hangzhou', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER memory_down
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret 'not-a-real-secret');
CREATE FOREIGN TABLE memory_failing (region_id text, image_id text)
  SERVER memory_down OPTIONS (resource 'images');

-- warm up (connection and TLS session caches, catalog caches), then measure
SELECT scans(20) > 0 AS warmed_up;
SELECT contexts AS contexts_before, rss_kb AS rss_before FROM backend_memory() \gset
SELECT scans(200) = 200 * scans(1) AS same_answers;
SELECT contexts - :contexts_before < 64 * 1024 AS contexts_flat,
       rss_kb - :rss_before < 2048 AS rss_flat
  FROM backend_memory();

DROP SERVER memory_down CASCADE;
DROP FUNCTION scans(int);
DROP FUNCTION backend_memory();

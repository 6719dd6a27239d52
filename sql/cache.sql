--
-- cache: with cache_ttl_s, repeating a scan within the TTL sends nothing;
-- the cache can be cleared, expires, and follows option changes
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py faults-clear

CREATE SERVER emu_cached FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', cache_ttl_s '300');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_cached
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE cached_images (region_id text, image_id text, status text)
  SERVER emu_cached OPTIONS (resource 'images');

\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM cached_images;
\! python3 test/emulator/emuctl.py stats
SELECT count(*) FROM cached_images;
SELECT count(*) FROM cached_images WHERE status IS NOT NULL;
\! python3 test/emulator/emuctl.py stats
SELECT * FROM explain_analyze('SELECT count(*) FROM cached_images');

-- a different filter is a different request
SELECT count(*) FROM cached_images WHERE region_id = 'cn-hangzhou' AND status = 'Creating';
\! python3 test/emulator/emuctl.py stats

-- clearing: the next scan asks again
SELECT ecs_image_fdw_cache_clear('emu_cached') > 0 AS cleared;
SELECT count(*) FROM cached_images;
\! python3 test/emulator/emuctl.py stats
SELECT ecs_image_fdw_cache_clear() > 0 AS cleared_all;
SELECT ecs_image_fdw_cache_clear('no_such_server');

-- changing the server drops what was cached
SELECT count(*) FROM cached_images;
ALTER SERVER emu_cached OPTIONS (SET cache_ttl_s '6');
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM cached_images;
\! python3 test/emulator/emuctl.py stats
-- entries expire after the TTL
SELECT count(*) FROM cached_images;
\! python3 test/emulator/emuctl.py stats
SELECT pg_sleep(6.5);
SELECT count(*) FROM cached_images;
\! python3 test/emulator/emuctl.py stats

-- off by default: the regular server never caches
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM ecs.regions;
SELECT count(*) FROM ecs.regions;
\! python3 test/emulator/emuctl.py stats

DROP SERVER emu_cached CASCADE;

--
-- connreuse: a backend keeps its connections to the API open for the next
-- requests, also when the scans of a view over several accounts (one server
-- each) run at the same time: a second run of the view opens no new
-- connection (no new TLS handshake; we allow one for timing)
--
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

CREATE SERVER reuse_a FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
CREATE SERVER reuse_b FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
CREATE SERVER reuse_c FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
CREATE SERVER reuse_d FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER reuse_a
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER reuse_b
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER reuse_c
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER reuse_d
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE SCHEMA reuse_a;
CREATE SCHEMA reuse_b;
CREATE SCHEMA reuse_c;
CREATE SCHEMA reuse_d;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER reuse_a INTO reuse_a;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER reuse_b INTO reuse_b;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER reuse_c INTO reuse_c;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER reuse_d INTO reuse_d;
CREATE VIEW four AS
  SELECT * FROM reuse_a.images UNION ALL SELECT * FROM reuse_b.images
  UNION ALL SELECT * FROM reuse_c.images UNION ALL SELECT * FROM reuse_d.images;
EXPLAIN (COSTS OFF) SELECT count(*) FROM four;

-- every answer 100 ms late, so that the requests of the four scans overlap
\! python3 test/emulator/emuctl.py fault '{"kind": "latency", "ms": 100}' >/dev/null
SELECT count(*) = 4 * (SELECT count(*) FROM truth) AS every_image FROM four;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = 4 * (SELECT count(*) FROM truth) AS every_image FROM four;
-- (one connection is the stats request's own)
\! python3 test/emulator/emuctl.py stats-json | python3 -c "import json, sys; d = json.load(sys.stdin); print('requests:', d['total'] > 0, '- at most one new connection:', d['connections'] - 1 <= 1)"
-- the same, one scan after the other
SET enable_async_append = off;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = 4 * (SELECT count(*) FROM truth) AS every_image FROM four;
\! python3 test/emulator/emuctl.py stats-json | python3 -c "import json, sys; d = json.load(sys.stdin); print('requests:', d['total'] > 0, '- at most one new connection:', d['connections'] - 1 <= 1)"
RESET enable_async_append;
\! python3 test/emulator/emuctl.py faults-clear

DROP VIEW four;
DROP SCHEMA reuse_a, reuse_b, reuse_c, reuse_d CASCADE;
DROP SERVER reuse_a, reuse_b, reuse_c, reuse_d CASCADE;

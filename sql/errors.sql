--
-- errors: each failure is a clear ERROR with a fitting SQLSTATE, the API's
-- code, status and request id in DETAIL, and never a secret; a scan is
-- complete or fails, never partial
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv noperm_secret EMU_NOPERM_SECRET
\getenv owner_secret EMU_OWNER_SECRET
\getenv sts_secret EMU_STS_SECRET
\! python3 test/emulator/emuctl.py faults-clear
\i test/emulator/faults.psql

CREATE SERVER bad FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           max_retries '1');
CREATE FOREIGN TABLE bad_images (region_id text, image_id text)
  SERVER bad OPTIONS (resource 'images');

-- no user mapping: the error names the role and the server
SELECT * FROM show_error('SELECT count(*) FROM bad_images');

-- a wrong secret
CREATE USER MAPPING FOR CURRENT_USER SERVER bad
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret 'wrong-secret');
SELECT * FROM show_error('SELECT count(*) FROM bad_images');

-- an unknown access key
ALTER USER MAPPING FOR CURRENT_USER SERVER bad
  OPTIONS (SET access_key_id 'LTAI5tNoSuchKey000000099');
SELECT * FROM show_error('SELECT count(*) FROM bad_images');

-- an STS key without its token, and with a wrong one
SET log_statement = 'none';   -- keys stay out of the server log
ALTER USER MAPPING FOR CURRENT_USER SERVER bad
  OPTIONS (SET access_key_id 'STS.EmuOwnerTemp000000003',
           SET access_key_secret :'sts_secret');
RESET log_statement;
SELECT * FROM show_error('SELECT count(*) FROM bad_images');
ALTER USER MAPPING FOR CURRENT_USER SERVER bad
  OPTIONS (ADD security_token 'not-the-token');
SELECT * FROM show_error('SELECT count(*) FROM bad_images');
ALTER USER MAPPING FOR CURRENT_USER SERVER bad OPTIONS (DROP security_token);

-- a RAM user without permission
SET log_statement = 'none';   -- keys stay out of the server log
ALTER USER MAPPING FOR CURRENT_USER SERVER bad
  OPTIONS (SET access_key_id 'LTAI5tEmuNoPerm000000005',
           SET access_key_secret :'noperm_secret');
RESET log_statement;
SELECT * FROM show_error('SELECT count(*) FROM bad_images');

-- good keys from here on
SET log_statement = 'none';   -- keys stay out of the server log
ALTER USER MAPPING FOR CURRENT_USER SERVER bad
  OPTIONS (SET access_key_id 'LTAI5tEmuOwner0000000001',
           SET access_key_secret :'owner_secret');
RESET log_statement;
SELECT count(*) > 0 AS works FROM bad_images;

-- an unknown region
ALTER FOREIGN TABLE bad_images OPTIONS (ADD regions 'cn-hangzhou,xx-nowhere-1');
SELECT * FROM show_error('SELECT count(*) FROM bad_images');
ALTER FOREIGN TABLE bad_images OPTIONS (DROP regions);

-- an unreachable endpoint (nothing listens on port 1)
ALTER SERVER bad OPTIONS (DROP connect_to, ADD endpoint 'https://127.0.0.1:1');
SELECT * FROM show_error('SELECT count(*) FROM bad_images');
ALTER SERVER bad OPTIONS (DROP endpoint, ADD connect_to :'emu_connect');

-- TLS verification is always on: the system store does not know the test CA
ALTER SERVER bad OPTIONS (DROP ca_file);
SELECT * FROM show_error('SELECT count(*) FROM bad_images');
ALTER SERVER bad OPTIONS (ADD ca_file :'emu_ca');

-- throttling and 5xx are retried with backoff; the answer is still complete
ALTER SERVER bad OPTIONS (SET max_retries '3');
\! python3 test/emulator/emuctl.py fault '{"kind": "throttle", "action": "DescribeImages", "region": "cn-hangzhou", "count": 2}' >/dev/null
SELECT * FROM explain_analyze('SELECT count(*) FROM bad_images');
\! python3 test/emulator/emuctl.py fault '{"kind": "error", "status": 503, "action": "DescribeImages", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "malformed", "action": "DescribeImages", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "truncated", "action": "DescribeImages", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py fault '{"kind": "reset", "action": "DescribeImages", "count": 1}' >/dev/null
SELECT (SELECT count(*) FROM bad_images) =
       (SELECT count(*) FROM truth WHERE doc->>'region' = 'cn-hangzhou') AS complete;

-- a region that keeps failing fails the whole query, naming the region
ALTER SERVER bad OPTIONS (SET max_retries '1');
ALTER FOREIGN TABLE bad_images OPTIONS (ADD regions 'cn-hangzhou,cn-beijing');
\set fault '{"kind": "error", "status": 503, "action": "DescribeImages", "region": "cn-beijing"}' \\ :arm SELECT * FROM show_error('SELECT count(*) FROM bad_images'); :disarm
\set fault '{"kind": "throttle", "action": "DescribeImages", "region": "cn-beijing"}' \\ :arm SELECT * FROM show_error('SELECT count(*) FROM bad_images'); :disarm
\set fault '{"kind": "malformed", "action": "DescribeImages", "region": "cn-beijing"}' \\ :arm SELECT * FROM show_error('SELECT count(*) FROM bad_images'); :disarm
\set fault '{"kind": "truncated", "action": "DescribeImages", "region": "cn-beijing"}' \\ :arm SELECT * FROM show_error('SELECT count(*) FROM bad_images'); :disarm

-- a stalled answer gives way to statement_timeout, and the backend is fine
\set fault '{"kind": "stall", "action": "DescribeImages", "ms": 60000}' \\ :arm SET statement_timeout = '1s'; SELECT count(*) FROM bad_images; RESET statement_timeout; :disarm
SELECT count(*) > 0 AS works_again FROM bad_images;

-- a request timeout is a transport failure, retried, then an error
ALTER SERVER bad OPTIONS (ADD request_timeout_ms '300', SET max_retries '1');
\set fault '{"kind": "stall", "action": "DescribeImages", "region": "cn-beijing", "ms": 2000}' \\ :arm SELECT * FROM show_error('SELECT count(*) FROM bad_images'); :disarm

DROP SERVER bad CASCADE;

--
-- security: where requests (and so keys and signatures) may be sent, TLS
-- checks, and what other roles can see; that no key reaches a log or an
-- output is checked by the test command over every file (see README)
--
\getenv emu_port EMU_PORT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET

-- plain http:// only to a loopback address or localhost
CREATE SERVER sec FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint 'https://ecs.{region}.aliyuncs.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://ecs.aliyuncs.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://127.example.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://127.0.0.1.example.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://localhost.example.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://[::1].example.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://127.0.0.1@example.com');
ALTER SERVER sec OPTIONS (SET endpoint 'http://2130706433');
ALTER SERVER sec OPTIONS (SET endpoint 'http://10.0.0.1:8080');
ALTER SERVER sec OPTIONS (SET endpoint 'http://127.0.0.1:8080');
ALTER SERVER sec OPTIONS (SET endpoint 'http://127.1.2.3');
ALTER SERVER sec OPTIONS (SET endpoint 'http://[::1]:8080/');
ALTER SERVER sec OPTIONS (SET endpoint 'http://localhost:8080');
-- nothing but a host and a port: no spaces, line breaks, paths or queries
ALTER SERVER sec OPTIONS (SET endpoint E'https://ecs.aliyuncs.com\r\nX-Evil: 1');
ALTER SERVER sec OPTIONS (SET endpoint 'https://ecs aliyuncs.com');
ALTER SERVER sec OPTIONS (SET endpoint 'https://ecs.aliyuncs.com/path');
ALTER SERVER sec OPTIONS (SET endpoint 'https://ecs.aliyuncs.com?x=1');
ALTER SERVER sec OPTIONS (SET endpoint 'ftp://ecs.aliyuncs.com');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'sec';
DROP SERVER sec;

-- TLS: the emulator's certificate names 127.0.0.1 and ::1, not localhost;
-- reaching it as localhost is refused, as is a CA the server does not trust
\set wrong_name https://localhost: :emu_port
CREATE SERVER sec FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint :'wrong_name', ca_file :'emu_ca', regions 'cn-hangzhou',
           max_retries '0');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER sec
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE sec_images (region_id text, image_id text)
  SERVER sec OPTIONS (resource 'images');
\! python3 test/emulator/emuctl.py stats-reset
SELECT state, message, regexp_replace(detail, 'localhost:[0-9]+', 'localhost:<port>') AS detail,
       hint FROM show_error('SELECT count(*) FROM sec_images');
SELECT state, message, hint
  FROM show_error('SELECT ecs_wait_image(''cn-hangzhou'', ''m-x'', server => ''sec'')');
ALTER SERVER sec OPTIONS (SET ca_file '/etc/ssl/certs/ca-certificates.crt');
SELECT state, message, hint FROM show_error('SELECT count(*) FROM sec_images');
-- no request got through to be served
\! python3 test/emulator/emuctl.py stats

-- a role with USAGE on the server and SELECT on the table still needs a
-- user mapping of its own: it never borrows another role's keys
CREATE ROLE regress_ecs_other;
GRANT USAGE ON FOREIGN SERVER emu TO regress_ecs_other;
GRANT USAGE ON SCHEMA ecs TO regress_ecs_other;
GRANT SELECT ON ecs.images TO regress_ecs_other;
SET ROLE regress_ecs_other;
SELECT state, message, hint FROM show_error('SELECT count(*) FROM ecs.images');
-- and it cannot read the keys of the user mapping of another role
SELECT usename, umoptions FROM pg_user_mappings WHERE srvname = 'emu' ORDER BY 1;
SELECT count(*) FROM pg_user_mapping;
RESET ROLE;
REVOKE ALL ON ecs.images FROM regress_ecs_other;
REVOKE ALL ON SCHEMA ecs FROM regress_ecs_other;
REVOKE ALL ON FOREIGN SERVER emu FROM regress_ecs_other;
DROP ROLE regress_ecs_other;

-- plans show where a scan goes, never the keys
CREATE FUNCTION plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  plan text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE) ' || q LOOP
    plan := plan || line || E'\n';
  END LOOP;
  RETURN plan;
END
$$;
SELECT plan_text('SELECT * FROM ecs.images WHERE region_id = ''cn-hangzhou''')
         ~ 'emu-[a-z]+-(secret|token)' AS secret_in_plan,
       plan_text('SELECT * FROM ecs.images WHERE region_id = ''cn-hangzhou''')
         ~ 'ECS Regions' AS plan_has_regions;
DROP FUNCTION plan_text(text);

DROP SERVER sec CASCADE;

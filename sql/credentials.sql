--
-- credentials: where the credentials come from (credential_source
-- access_key, ecs_ram_role through the hardened metadata service, oidc
-- through AssumeRoleWithOIDC), role_arn with AssumeRole on top of any of
-- them, who may use what, temporary credentials refreshed during a long
-- scan, and each failed step as a clear ERROR
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv md_url EMU_METADATA_URL
\getenv token_file EMU_OIDC_TOKEN_FILE
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

-- what each account can see, as it sees it
CREATE TABLE owner_truth (doc jsonb);
\copy owner_truth FROM PROGRAM 'python3 test/emulator/emuctl.py images --visible-to 1234567890123456 --region cn-hangzhou' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE TABLE peer_truth (doc jsonb);
\copy peer_truth FROM PROGRAM 'python3 test/emulator/emuctl.py images --visible-to 2345678901234567 --region cn-hangzhou' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
-- same(table): the images of a foreign table against a truth table
CREATE FUNCTION same(tbl regclass, want regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  got text[];
  exp text[];
BEGIN
  EXECUTE format('SELECT array_agg(image_id || '' '' || image_owner_alias ORDER BY image_id) FROM %s', tbl)
    INTO got;
  EXECUTE format('SELECT array_agg((doc->>''ImageId'') || '' '' || (doc->>''ImageOwnerAlias'') ORDER BY doc->>''ImageId'') FROM %s', want)
    INTO exp;
  RETURN CASE WHEN got = exp THEN format('same %s images', cardinality(got))
              ELSE format('DIFFERENT: %s rows, expected %s', cardinality(got), cardinality(exp)) END;
END
$$;

--
-- options: where they are allowed and what they accept
--
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (metadata_endpoint 'http://10.0.0.1');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (sts_endpoint 'http://sts.aliyuncs.com');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (sts_endpoint 'https://sts.{region}.aliyuncs.com');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (role_arn 'arn:aws:iam::123:role/x');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (duration_s '600');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (role_session_name 'a');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (external_id 'no spaces');
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (credential_source 'oidc');
-- the metadata address itself may be plain http, and so may loopback
CREATE SERVER c_opts FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (metadata_endpoint 'http://100.100.100.200',
           sts_endpoint 'https://sts-vpc.cn-hangzhou.aliyuncs.com',
           role_arn 'acs:ram::2345678901234567:role/image-auditor',
           role_session_name 'audit@db-1', duration_s '900',
           external_id 'emu-audit-2026',
           policy '{"Version": "1", "Statement": []}');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'instance');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'ecs_ram_role', access_key_id 'LTAI5tEmuOwner0000000001');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'oidc', oidc_role_arn 'acs:ram::1234567890123456:role/rrsa-image-reader');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (role_name 'ecs-image-fdw-instance');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'ecs_ram_role', role_name 'bad/role');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'oidc', oidc_role_arn 'acs:ram::1234567890123456:role/rrsa-image-reader',
           oidc_provider_arn 'acs:ram::1234567890123456:role/not-a-provider',
           oidc_token_file '/tmp/token');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'oidc', oidc_role_arn 'acs:ram::1234567890123456:role/rrsa-image-reader',
           oidc_provider_arn 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0emu',
           oidc_token_file 'relative/token');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_opts
  OPTIONS (credential_source 'ecs_ram_role');
DROP SERVER c_opts CASCADE;

--
-- ecs_ram_role: the instance's RAM role (hardened metadata service only)
--
CREATE SERVER c_ram FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           metadata_endpoint :'md_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_ram
  OPTIONS (credential_source 'ecs_ram_role');
CREATE SCHEMA c_ram;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER c_ram INTO c_ram;
\! python3 test/emulator/emuctl.py stats-reset
SELECT same('c_ram.images', 'owner_truth') AS instance_role_scan;
-- one token, one role name, one credentials document: never a token-less request
\! python3 test/emulator/emuctl.py stats --action Metadata:token
\! python3 test/emulator/emuctl.py stats --action Metadata:get
-- a lifecycle call with the instance role
SELECT ecs_modify_image('cn-hangzhou', min(image_id), description => 'set with the instance role',
                        server => 'c_ram')
  FROM c_ram.images WHERE image_owner_alias = 'self';
SELECT description FROM c_ram.images
 WHERE image_id = (SELECT min(image_id) FROM c_ram.images WHERE image_owner_alias = 'self');
-- role_name names the role instead of asking the instance
ALTER USER MAPPING FOR CURRENT_USER SERVER c_ram
  OPTIONS (ADD role_name 'ecs-image-fdw-instance');
SELECT count(*) > 0 AS named_role FROM c_ram.images;
ALTER USER MAPPING FOR CURRENT_USER SERVER c_ram
  OPTIONS (SET role_name 'other-role');
SELECT state, message, detail, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_ram.images');
ALTER USER MAPPING FOR CURRENT_USER SERVER c_ram OPTIONS (DROP role_name);
-- no role attached to the instance
\! python3 test/emulator/emuctl.py sts --no-instance-role
SELECT state, message, detail, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_ram.images');
\! python3 test/emulator/emuctl.py sts --instance-role ecs-image-fdw-instance
-- the metadata service cannot be reached (the detail is the HTTP library's)
ALTER SERVER c_ram OPTIONS (SET metadata_endpoint 'http://127.0.0.1:1');
SELECT state, message, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_ram.images');
ALTER SERVER c_ram OPTIONS (SET metadata_endpoint :'md_url');

--
-- role_arn: AssumeRole on top of the instance role, into a second account
--
CREATE SERVER c_audit FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           metadata_endpoint :'md_url', sts_endpoint :'emu_url', max_retries '0',
           role_arn 'acs:ram::2345678901234567:role/image-auditor',
           external_id 'emu-audit-2026', role_session_name 'auditor');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_audit
  OPTIONS (credential_source 'ecs_ram_role');
CREATE SCHEMA c_audit;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER c_audit INTO c_audit;
\! python3 test/emulator/emuctl.py stats-reset
SELECT same('c_audit.images', 'peer_truth') AS chained_scan_sees_second_account;
\! python3 test/emulator/emuctl.py stats --action AssumeRole
-- the auditor role is read-only: a change is refused by the second account
SELECT state, message, detail, secret_shown
  FROM show_error($$SELECT ecs_modify_image('cn-hangzhou', min(image_id), description => 'x',
                                            server => 'c_audit')
                      FROM c_audit.images WHERE image_owner_alias = 'self'$$);
-- the mapping's role_arn wins over the server's: a role that may change images
ALTER USER MAPPING FOR CURRENT_USER SERVER c_audit
  OPTIONS (ADD role_arn 'acs:ram::2345678901234567:role/image-admin');
SELECT ecs_modify_image('cn-hangzhou', min(image_id), description => 'set by the peer admin role',
                        server => 'c_audit')
  FROM c_audit.images WHERE image_owner_alias = 'self';
SELECT description FROM c_audit.images
 WHERE image_id = (SELECT min(image_id) FROM c_audit.images WHERE image_owner_alias = 'self');
-- AssumeRole denied: no external id, then a role that does not trust us
ALTER USER MAPPING FOR CURRENT_USER SERVER c_audit
  OPTIONS (DROP role_arn);
ALTER SERVER c_audit OPTIONS (DROP external_id);
SELECT state, message, detail, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_audit.images');
ALTER SERVER c_audit OPTIONS (SET role_arn 'acs:ram::2345678901234567:role/no-trust');
SELECT state, message, detail, secret_shown
  FROM show_error('SELECT count(*) FROM c_audit.images');
ALTER SERVER c_audit OPTIONS (SET role_arn 'acs:ram::2345678901234567:role/missing');
SELECT state, message, detail, secret_shown
  FROM show_error('SELECT count(*) FROM c_audit.images');
-- longer than the role allows
ALTER SERVER c_audit OPTIONS (SET role_arn 'acs:ram::2345678901234567:role/image-admin',
                              ADD duration_s '7200');
SELECT state, message, detail, secret_shown
  FROM show_error('SELECT count(*) FROM c_audit.images');

-- role_arn on an access key mapping, set by the mapping's owner
CREATE ROLE regress_creds_user;
CREATE SERVER c_ak FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           sts_endpoint :'emu_url', max_retries '0');
GRANT USAGE ON FOREIGN SERVER c_ak TO regress_creds_user;
GRANT USAGE ON FOREIGN SERVER c_ram TO regress_creds_user;
CREATE SCHEMA c_ak;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER c_ak INTO c_ak;
GRANT USAGE ON SCHEMA c_ak TO regress_creds_user;
GRANT SELECT ON c_ak.images, peer_truth TO regress_creds_user;
SET log_statement = 'none';   -- keys stay out of the server log
SET ROLE regress_creds_user;
CREATE USER MAPPING FOR CURRENT_USER SERVER c_ak
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret',
           role_arn 'acs:ram::2345678901234567:role/image-auditor',
           external_id 'emu-audit-2026');
RESET ROLE;
RESET log_statement;
SET ROLE regress_creds_user;
SELECT same('c_ak.images', 'peer_truth') AS access_key_then_role;
-- but the instance role and the OIDC token are not theirs to use
CREATE USER MAPPING FOR CURRENT_USER SERVER c_ram
  OPTIONS (credential_source 'ecs_ram_role');
ALTER USER MAPPING FOR CURRENT_USER SERVER c_ak
  OPTIONS (DROP access_key_id, DROP access_key_secret, ADD credential_source 'ecs_ram_role');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_ram
  OPTIONS (credential_source 'oidc',
           oidc_role_arn 'acs:ram::1234567890123456:role/rrsa-image-reader',
           oidc_provider_arn 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0emu',
           oidc_token_file '/etc/passwd');
RESET ROLE;
-- nor may they change a mapping of theirs that a superuser made with it
CREATE USER MAPPING FOR regress_creds_user SERVER c_ram
  OPTIONS (credential_source 'ecs_ram_role');
SET ROLE regress_creds_user;
ALTER USER MAPPING FOR CURRENT_USER SERVER c_ram
  OPTIONS (ADD role_arn 'acs:ram::2345678901234567:role/image-admin');
RESET ROLE;

-- and a server they own (and so may alter) cannot choose the role that the
-- instance role assumes
GRANT USAGE ON FOREIGN DATA WRAPPER ecs_image_fdw TO regress_creds_user;
CREATE SERVER c_owned FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           metadata_endpoint :'md_url', sts_endpoint :'emu_url', max_retries '0',
           role_arn 'acs:ram::2345678901234567:role/image-admin');
CREATE USER MAPPING FOR regress_creds_user SERVER c_owned
  OPTIONS (credential_source 'ecs_ram_role');
CREATE FOREIGN TABLE c_ak.owned_images (image_id text) SERVER c_owned;
GRANT SELECT ON c_ak.owned_images TO regress_creds_user;
ALTER SERVER c_owned OWNER TO regress_creds_user;
SET ROLE regress_creds_user;
SELECT state, message, detail, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_ak.owned_images');
RESET ROLE;
ALTER SERVER c_owned OWNER TO CURRENT_USER;
SET ROLE regress_creds_user;
SELECT count(*) > 0 AS superuser_owned_server FROM c_ak.owned_images;
RESET ROLE;
DROP SERVER c_owned CASCADE;
REVOKE USAGE ON FOREIGN DATA WRAPPER ecs_image_fdw FROM regress_creds_user;

--
-- oidc: AssumeRoleWithOIDC with the token file, read again at each refresh
--
\! python3 test/emulator/emuctl.py oidc-token --out "$EMU_OIDC_TOKEN_FILE"
CREATE SERVER c_oidc FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', regions 'cn-hangzhou',
           sts_endpoint :'emu_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER c_oidc
  OPTIONS (credential_source 'oidc',
           oidc_role_arn 'acs:ram::1234567890123456:role/rrsa-image-reader',
           oidc_provider_arn 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0emu',
           oidc_token_file :'token_file', role_session_name 'rrsa-pod');
CREATE SCHEMA c_oidc;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER c_oidc INTO c_oidc;
SELECT same('c_oidc.images', 'owner_truth') AS oidc_scan;
SELECT ecs_modify_image('cn-hangzhou', min(image_id), description => 'set with an OIDC token',
                        server => 'c_oidc')
  FROM c_oidc.images WHERE image_owner_alias = 'self';
SELECT description FROM c_oidc.images
 WHERE image_id = (SELECT min(image_id) FROM c_oidc.images WHERE image_owner_alias = 'self');
-- each failure, from a fresh cache (a changed mapping drops it)
ALTER USER MAPPING FOR CURRENT_USER SERVER c_oidc
  OPTIONS (SET oidc_token_file '/nonexistent/rrsa/token');
SELECT state, message, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_oidc.images');
ALTER USER MAPPING FOR CURRENT_USER SERVER c_oidc
  OPTIONS (SET oidc_token_file :'token_file');
\! python3 test/emulator/emuctl.py oidc-token --out "$EMU_OIDC_TOKEN_FILE" --expires-in -60
SELECT state, message, detail, hint, secret_shown
  FROM show_error('SELECT count(*) FROM c_oidc.images');
\! python3 test/emulator/emuctl.py oidc-token --out "$EMU_OIDC_TOKEN_FILE" --bad-signature
ALTER USER MAPPING FOR CURRENT_USER SERVER c_oidc OPTIONS (SET role_session_name 'rrsa-pod-2');
SELECT state, message, detail, secret_shown
  FROM show_error('SELECT count(*) FROM c_oidc.images');
\! python3 test/emulator/emuctl.py oidc-token --out "$EMU_OIDC_TOKEN_FILE"
ALTER USER MAPPING FOR CURRENT_USER SERVER c_oidc
  OPTIONS (SET oidc_provider_arn 'acs:ram::1234567890123456:oidc-provider/other');
SELECT state, message, detail, secret_shown
  FROM show_error('SELECT count(*) FROM c_oidc.images');
ALTER USER MAPPING FOR CURRENT_USER SERVER c_oidc
  OPTIONS (SET oidc_provider_arn 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0emu');
SELECT count(*) > 0 AS oidc_again FROM c_oidc.images;

--
-- a long scan that outlives its credentials: the emulator's STS and
-- metadata service now issue credentials that expire after 3 seconds, and
-- each of the 7 pages takes 900 ms; a fresh backend starts with an empty
-- cache
--
\c
\! python3 test/emulator/emuctl.py sts --duration-cap 3
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "latency", "ms": 900, "action": "DescribeImages", "count": 100}'
ALTER SERVER c_audit OPTIONS (SET role_arn 'acs:ram::2345678901234567:role/image-auditor',
                              ADD external_id 'emu-audit-2026', SET duration_s '900',
                              ADD page_size '1', ADD max_concurrency '1');
SELECT same('c_audit.images', 'peer_truth') AS long_chained_scan;
\! python3 test/emulator/emuctl.py faults-clear
\set assumed `python3 test/emulator/emuctl.py stats --action AssumeRole`
\set pages `python3 test/emulator/emuctl.py stats --action DescribeImages`
\set metadata `python3 test/emulator/emuctl.py stats --action Metadata:get`
\set expired `python3 test/emulator/emuctl.py stats-json | python3 -c 'import json, sys; print(json.load(sys.stdin)["by_code"].get("InvalidSecurityToken.Expired", 0))'`
SELECT :pages >= 7 AS one_page_each, :assumed >= 3 AS role_refreshed,
       :metadata >= 4 AS instance_role_refreshed, :expired AS expired_answers;
\! python3 test/emulator/emuctl.py sts --duration-cap 0

-- clean up
\! python3 test/emulator/emuctl.py reset
DROP SERVER c_ram, c_audit, c_ak, c_oidc CASCADE;
DROP SCHEMA c_ram, c_audit, c_ak, c_oidc CASCADE;
DROP ROLE regress_creds_user;
DROP TABLE owner_truth, peer_truth;
DROP FUNCTION same(regclass, regclass);

--
-- options: every option is typed, range-checked and allowed only where it
-- belongs; unknown ones get a hint listing the valid ones
--

-- server options
CREATE SERVER o1 FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (regions 'cn-hangzhou, cn-shanghai', signature_version '1',
           max_concurrency '4', page_size '50', connect_timeout_ms '1000',
           request_timeout_ms '2000', max_retries '0', cache_ttl_s '60',
           updatable 'false', endpoint 'https://ecs.{region}.aliyuncs.com',
           oos_endpoint 'https://oos.{region}.aliyuncs.com', ca_file '/nonexistent');
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname = 'o1';
ALTER SERVER o1 OPTIONS (SET regions '*', SET signature_version '3');
ALTER SERVER o1 OPTIONS (nosuch 'x');
ALTER SERVER o1 OPTIONS (access_key_id 'LTAI');
ALTER SERVER o1 OPTIONS (SET max_concurrency '0');
ALTER SERVER o1 OPTIONS (SET max_concurrency '65');
ALTER SERVER o1 OPTIONS (SET max_concurrency 'many');
ALTER SERVER o1 OPTIONS (SET page_size '101');
ALTER SERVER o1 OPTIONS (SET max_retries '-1');
ALTER SERVER o1 OPTIONS (SET signature_version '2');
ALTER SERVER o1 OPTIONS (SET updatable 'maybe');
ALTER SERVER o1 OPTIONS (SET regions 'cn-hangzhou,CN_Beijing');
ALTER SERVER o1 OPTIONS (SET regions 'cn-hangzhou,cn-hangzhou');
ALTER SERVER o1 OPTIONS (SET regions ' , ');
ALTER SERVER o1 OPTIONS (SET endpoint 'ftp://ecs.aliyuncs.com');
ALTER SERVER o1 OPTIONS (SET endpoint 'http://ecs.aliyuncs.com');
ALTER SERVER o1 OPTIONS (SET endpoint 'https://ecs.aliyuncs.com/v1?x=1');
ALTER SERVER o1 OPTIONS (SET endpoint 'https://user@ecs.aliyuncs.com');
ALTER SERVER o1 OPTIONS (SET endpoint 'http://127.0.0.1:8080');
ALTER SERVER o1 OPTIONS (SET endpoint 'http://[::1]:8080/');
ALTER SERVER o1 OPTIONS (SET ca_file '');
ALTER SERVER o1 OPTIONS (ADD page_size '10');

-- user mapping options: both keys are required, nothing else is accepted
CREATE USER MAPPING FOR CURRENT_USER SERVER o1
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001');
CREATE USER MAPPING FOR CURRENT_USER SERVER o1
  OPTIONS (access_key_secret 'not-a-real-secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER o1
  OPTIONS (access_key_id 'a', access_key_secret 'b', regions 'cn-hangzhou');
CREATE USER MAPPING FOR CURRENT_USER SERVER o1
  OPTIONS (access_key_id 'a', access_key_secret 'b', security_token 't');
ALTER USER MAPPING FOR CURRENT_USER SERVER o1 OPTIONS (DROP access_key_secret);
DROP USER MAPPING FOR CURRENT_USER SERVER o1;

-- table and column options
CREATE FOREIGN TABLE t1 (region_id text, image_id text, name text OPTIONS (field 'ImageName'))
  SERVER o1 OPTIONS (resource 'images', regions 'cn-beijing',
                     image_owner_alias 'self,others', updatable 'true');
ALTER FOREIGN TABLE t1 OPTIONS (SET resource 'volumes');
ALTER FOREIGN TABLE t1 OPTIONS (SET image_owner_alias 'mine');
ALTER FOREIGN TABLE t1 OPTIONS (SET image_owner_alias '');
ALTER FOREIGN TABLE t1 OPTIONS (SET image_owner_alias 'all');
ALTER FOREIGN TABLE t1 OPTIONS (page_size '10');
ALTER FOREIGN TABLE t1 OPTIONS (access_key_secret 'x');
ALTER FOREIGN TABLE t1 ALTER COLUMN image_id OPTIONS (column_name 'x');
ALTER FOREIGN TABLE t1 ALTER COLUMN image_id OPTIONS (field '');
DROP FOREIGN TABLE t1;

-- the wrapper itself takes no options
ALTER FOREIGN DATA WRAPPER ecs_image_fdw OPTIONS (regions '*');

-- options that pick files or where keys are sent are for superusers
CREATE ROLE regress_ecs_user;
GRANT USAGE ON FOREIGN DATA WRAPPER ecs_image_fdw TO regress_ecs_user;
SET ROLE regress_ecs_user;
CREATE SERVER o2 FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint 'https://evil.example.com');
CREATE SERVER o2 FOREIGN DATA WRAPPER ecs_image_fdw OPTIONS (ca_file '/etc/passwd');
CREATE SERVER o2 FOREIGN DATA WRAPPER ecs_image_fdw OPTIONS (regions 'cn-hangzhou');
CREATE USER MAPPING FOR CURRENT_USER SERVER o2
  OPTIONS (access_key_id 'LTAI5tEmuPeer00000000002', access_key_secret 'not-a-real-secret');
RESET ROLE;

-- another role cannot read the keys of a user mapping (PostgreSQL's rule)
SET ROLE regress_ecs_user;
SELECT srvname, usename, umoptions IS NOT NULL AS visible
  FROM pg_user_mappings WHERE srvname IN ('emu', 'o2') ORDER BY 1;
RESET ROLE;
SELECT srvname, usename, umoptions IS NOT NULL AS visible
  FROM pg_user_mappings WHERE srvname IN ('emu', 'o2') ORDER BY 1;

DROP SERVER o2 CASCADE;
DROP SERVER o1 CASCADE;
REVOKE USAGE ON FOREIGN DATA WRAPPER ecs_image_fdw FROM regress_ecs_user;
DROP ROLE regress_ecs_user;

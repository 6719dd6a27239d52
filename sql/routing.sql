--
-- routing: each region's own host (issue 13).  The servers of the suite use
-- the official endpoints, connected to the emulator by connect_to while Host
-- and the TLS name stay the real ones; the emulator refuses a request whose
-- Host does not serve its RegionId (IncorrectHost), so every answer below
-- also proves its request went to the right host.
--
\getenv emu_url EMU_URL
\getenv emu_ca EMU_CA
\getenv emu_connect EMU_CONNECT
\getenv owner_secret EMU_OWNER_SECRET

-- every region at its host: the RegionEndpoint DescribeRegions gave (the
-- official map's: cn-hangzhou at ecs-cn-hangzhou, the others at ecs.<region>)
\! python3 test/emulator/emuctl.py stats-reset
SELECT region_id, count(*) > 0 AS has_images FROM ecs.images GROUP BY 1 ORDER BY 1;
\! python3 test/emulator/emuctl.py stats --hosts
-- regions named by the query are routed without DescribeRegions
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS has_images FROM ecs.images WHERE region_id = 'cn-shenzhen';
\! python3 test/emulator/emuctl.py stats --hosts

-- a RegionEndpoint is followed: cn-beijing's answer says cn-shanghai's host,
-- which the emulator refuses for cn-beijing (the cloud would answer with
-- cn-shanghai's images, or none)
CREATE SERVER route FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', max_retries '0');
SET log_statement = 'none';
CREATE USER MAPPING FOR CURRENT_USER SERVER route
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE route_images (region_id text, image_id text)
  SERVER route OPTIONS (resource 'images');
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "action": "DescribeRegions", "count": 1, "set": {"Regions.Region.2.RegionEndpoint": "ecs.cn-shanghai.aliyuncs.com"}}' >/dev/null
SELECT api_error('SELECT count(*) FROM route_images');
-- an endpoint that is not an ECS host under aliyuncs.com is not used: the
-- official map routes the region instead
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "action": "DescribeRegions", "count": 1, "set": {"Regions.Region.2.RegionEndpoint": "ecs.cn-beijing.aliyuncs.com.example.com", "Regions.Region.1.RegionEndpoint": "evil.aliyuncs.com", "Regions.Region.3.RegionEndpoint": "ecs.cn-shenzhen.aliyuncs.com:8443"}}' >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS listed FROM route_images;
\! python3 test/emulator/emuctl.py stats --hosts
-- the central endpoint serves every region
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "action": "DescribeRegions", "count": 1, "set": {"Regions.Region.*.RegionEndpoint": "ecs.aliyuncs.com"}}' >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS listed FROM route_images;
\! python3 test/emulator/emuctl.py stats --hosts

-- a single endpoint for every region is the superuser's choice; a region
-- its host does not serve is refused by the emulator
ALTER SERVER route OPTIONS (ADD endpoint 'https://ecs.cn-shanghai.aliyuncs.com');
SELECT count(*) > 0 AS listed FROM route_images WHERE region_id = 'cn-shanghai';
SELECT api_error('SELECT count(*) FROM route_images WHERE region_id = ''cn-beijing''');
ALTER SERVER route OPTIONS (DROP endpoint);

-- network 'vpc': ecs-vpc.<region> and oos-vpc.<region>
ALTER SERVER route OPTIONS (ADD network 'vpc');
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) > 0 AS listed FROM route_images WHERE region_id IN ('cn-hangzhou', 'cn-beijing');
SELECT api_error('SELECT ecs_wait_execution(''cn-beijing'', ''exec-nosuchexecution'', server => ''route'')');
\! python3 test/emulator/emuctl.py stats --hosts
ALTER SERVER route OPTIONS (SET network 'public');
ALTER SERVER route OPTIONS (SET network 'internal');

-- a region DescribeRegions does not list: no rows from a query (one
-- DescribeRegions, nothing else), an ERROR naming the account's regions from
-- an option or a function, before any request to a host that would not resolve
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM route_images WHERE region_id = 'xx-nowhere-1';
SELECT count(*) FROM route_images WHERE region_id IN ('xx-nowhere-1', 'cn-beijing') AND image_id = 'm-none';
\! python3 test/emulator/emuctl.py stats --hosts
ALTER FOREIGN TABLE route_images OPTIONS (ADD regions 'cn-beijing,xx-nowhere-1');
SELECT api_error('SELECT count(*) FROM route_images');
SELECT api_error('SELECT ecs_create_image(''xx-nowhere-1'', instance_id => ''i-x'', server => ''route'')');
SELECT api_error('SELECT ecs_wait_image(''ap-nowhere-9'', ''m-x'', server => ''route'')');
-- a region of the official map that DescribeRegions does not list: no rows either,
-- and no request to its host
SELECT count(*) FROM route_images WHERE region_id = 'eu-central-1';

-- OOS: with an endpoint and no oos_endpoint, OOS follows the endpoint (ecs
-- becomes oos), or is refused, instead of the public OOS host with the same keys
ALTER SERVER route OPTIONS (ADD endpoint 'https://ecs.{region}.aliyuncs.com');
\! python3 test/emulator/emuctl.py stats-reset
SELECT api_error('SELECT ecs_wait_execution(''cn-beijing'', ''exec-nosuchexecution'', server => ''route'')');
\! python3 test/emulator/emuctl.py stats --hosts
ALTER SERVER route OPTIONS (SET endpoint :'emu_url');
\! python3 test/emulator/emuctl.py stats-reset
SELECT api_error('SELECT ecs_wait_execution(''cn-beijing'', ''exec-nosuchexecution'', server => ''route'')');
\! python3 test/emulator/emuctl.py stats
ALTER SERVER route OPTIONS (ADD oos_endpoint :'emu_url');
SELECT api_error('SELECT ecs_wait_execution(''cn-beijing'', ''exec-nosuchexecution'', server => ''route'')');

-- connect_to: a loopback host:port, set by a superuser only
ALTER SERVER route OPTIONS (SET connect_to 'example.com:443');
ALTER SERVER route OPTIONS (SET connect_to '127.0.0.1');
ALTER SERVER route OPTIONS (SET connect_to '127.0.0.1:99999');
ALTER SERVER route OPTIONS (SET connect_to '[::1]:8443');
CREATE ROLE route_user;
GRANT USAGE ON FOREIGN DATA WRAPPER ecs_image_fdw TO route_user;
SET ROLE route_user;
CREATE SERVER route_mine FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to '127.0.0.1:8443');
RESET ROLE;
DROP SERVER route CASCADE;
REVOKE USAGE ON FOREIGN DATA WRAPPER ecs_image_fdw FROM route_user;
DROP ROLE route_user;

-- Every action ecs_image_fdw calls, run by conformance.test.js against its
-- emulator (which records each request as it arrives), once per signature
-- version; the test then has the official SDK build the same requests.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
\getenv emu_url CONF_EMU_URL
\getenv emu_ca CONF_EMU_CA
\getenv owner_secret CONF_OWNER_SECRET
\getenv sig CONF_SIGNATURE_VERSION
\getenv instance CONF_INSTANCE
CREATE EXTENSION ecs_image_fdw;
CREATE SERVER conf FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint :'emu_url', oos_endpoint :'emu_url', ca_file :'emu_ca',
           signature_version :'sig', page_size '7');
SET log_statement = 'none';
CREATE USER MAPPING FOR CURRENT_USER SERVER conf
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
IMPORT FOREIGN SCHEMA ecs FROM SERVER conf INTO public;

-- DescribeRegions, then DescribeImages per region, alias and page
SELECT count(*) > 0 AS listed FROM images;
-- DescribeImages with a tag (a space, non-ASCII), OSType and a status list
SELECT count(*) >= 0 AS filtered FROM images
 WHERE region_id = 'cn-hangzhou' AND tags @> '{"cost center": "研发中心 Zürich"}'
   AND os_type = 'linux' AND status IN ('Available', 'Deprecated');
-- DescribeImageSharePermission, DescribeTasks
SELECT count(*) >= 0 AS permissions FROM image_share_permissions
 WHERE region_id = 'cn-hangzhou'
   AND image_id = (SELECT min(image_id) FROM images
                    WHERE region_id = 'cn-hangzhou' AND image_owner_alias = 'self');
SELECT count(*) >= 0 AS tasks FROM tasks WHERE region_id = 'cn-hangzhou';

-- CreateImage (and DescribeImages while it waits)
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance',
                        image_name => 'conf-created-' || :'sig',
                        description => 'made (by the *conformance* test): 100%',
                        tags => '{"cost center": "研发 *", "b": "x"}',
                        client_token => 'conf-create-' || :'sig', wait => true,
                        server => 'conf') AS created \gset
-- ImportImage
SELECT ecs_import_image('cn-hangzhou', 'emu-cn-hangzhou-images', 'images/ubuntu-22.04.qcow2',
                        image_name => 'conf-imported-' || :'sig', os_type => 'linux',
                        disk_image_size => 40, client_token => 'conf-import-' || :'sig',
                        server => 'conf') IS NOT NULL AS imported;
-- CopyImage, CancelCopyImage
SELECT ecs_copy_image('cn-hangzhou', :'created', 'cn-beijing',
                      image_name => 'conf-copy-' || :'sig', description => 'a copy',
                      client_token => 'conf-copy-' || :'sig', server => 'conf') AS copy \gset
SELECT ecs_cancel_copy_image('cn-beijing', :'copy', server => 'conf');
-- ModifyImageSharePermission (AddAccount.N, RemoveAccount.N)
SELECT ecs_share_image('cn-hangzhou', :'created', ARRAY['2345678901234567'], server => 'conf');
SELECT ecs_unshare_image('cn-hangzhou', :'created', ARRAY['2345678901234567'], server => 'conf');
-- ModifyImageAttribute
SELECT ecs_modify_image('cn-hangzhou', :'created', description => 'changed: 100% *',
                        image_family => 'conf-family', server => 'conf');
-- ExportImage, DescribeTaskAttribute
SELECT ecs_export_image('cn-hangzhou', :'created', 'emu-cn-hangzhou-images',
                        oss_prefix => 'conf' || :'sig', image_format => 'qcow2',
                        wait => true, server => 'conf') IS NOT NULL AS exported;
-- StartExecution, ListExecutions (OOS)
SELECT ecs_update_image('cn-hangzhou', :'created', 'ecs.g7.large', 'echo "hi" && exit 0',
                        target_image_name => 'conf-updated-' || :'sig',
                        security_group_id => 'sg-conf', vswitch_id => 'vsw-conf',
                        client_token => 'conf-update-' || :'sig',
                        server => 'conf') AS execution \gset
SELECT ecs_wait_execution('cn-hangzhou', :'execution', server => 'conf') IS NOT NULL AS updated;
-- DeleteImage
SELECT ecs_delete_image('cn-hangzhou', :'created', force => true, server => 'conf');

-- STS AssumeRole (RPC v1), then a scan signed with the role session's token
CREATE SERVER conf_role FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (endpoint :'emu_url', ca_file :'emu_ca', sts_endpoint :'emu_url',
           signature_version :'sig', regions 'cn-hangzhou',
           role_arn 'acs:ram::1234567890123456:role/image-admin');
SET log_statement = 'none';
CREATE USER MAPPING FOR CURRENT_USER SERVER conf_role
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE role_images (image_id text) SERVER conf_role OPTIONS (resource 'images');
SELECT count(*) >= 0 AS as_role FROM role_images;

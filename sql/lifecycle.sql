--
-- lifecycle: the image functions end to end with two accounts, their
-- argument checks, the API's rules, idempotency, waits and privileges
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv peer_secret EMU_PEER_SECRET
\! python3 test/emulator/emuctl.py faults-clear
SET client_min_messages = warning;   -- progress NOTICEs depend on timing

-- what the owner has to build images from
SELECT i->>'InstanceId' AS instance_id
  FROM seed, jsonb_array_elements(doc->'instances') i
 WHERE i->>'OwnerId' = '1234567890123456' AND i->>'RegionId' = 'cn-hangzhou'
   AND i->>'Status' = 'Running'
 ORDER BY 1 LIMIT 1 \gset
SELECT s->>'SnapshotId' AS snapshot_id
  FROM seed, jsonb_array_elements(doc->'snapshots') s
 WHERE s->>'OwnerId' = '1234567890123456' AND s->>'RegionId' = 'cn-hangzhou'
   AND s->>'SourceDiskType' = 'system'
 ORDER BY 1 LIMIT 1 \gset

-- arguments are checked before anything is sent
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_create_image('cn-hangzhou');
SELECT ecs_create_image('cn-hangzhou', instance_id => 'i-x', snapshot_id => 's-x');
SELECT ecs_create_image('cn-hangzhou', disk_device_mappings => '{"snapshot_id": "s-x"}');
SELECT ecs_create_image('cn-hangzhou', disk_device_mappings => '[{"snapshot": "s-x"}]');
SELECT ecs_create_image('cn-hangzhou', instance_id => 'i-x', tags => '["a"]');
SELECT ecs_create_image('CN Hangzhou', instance_id => 'i-x');
SELECT ecs_create_image(NULL, instance_id => 'i-x');
SELECT ecs_create_image('cn-hangzhou', instance_id => 'i-x', client_token => repeat('x', 65));
SELECT ecs_share_image('cn-hangzhou', 'm-x', '{}');
SELECT ecs_share_image('cn-hangzhou', 'm-x', ARRAY['12345', NULL]);
SELECT ecs_share_image('cn-hangzhou', 'm-x', ARRAY['not-an-account']);
SELECT ecs_modify_image('cn-hangzhou', 'm-x');
SELECT ecs_copy_image('cn-hangzhou', 'm-x', 'cn-beijing', kms_key_id => 'k');
SELECT ecs_wait_image('cn-hangzhou', 'm-x', timeout => '0 seconds');
SELECT ecs_wait_task('cn-hangzhou', 't-x', timeout => '-1 minute');
SELECT ecs_import_image('cn-hangzhou', 'bucket', 'object', disk_image_size => 0);
SELECT ecs_update_image('cn-hangzhou', 'm-x', 'ecs.g7.large', NULL);
\! python3 test/emulator/emuctl.py stats

-- create from an instance, waiting for it to be Available
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-from-instance',
                        tags => '{"team": "regress", "env": "test"}',
                        wait => true) AS from_instance \gset
SELECT image_name, status, progress, tags, image_owner_alias
  FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance';

-- create from a snapshot, then wait separately
SELECT ecs_create_image('cn-hangzhou', snapshot_id => :'snapshot_id',
                        image_name => 'regress-from-snapshot',
                        architecture => 'x86_64', boot_mode => 'UEFI') AS from_snapshot \gset
SELECT status IN ('Creating', 'Waiting') AS in_progress
  FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = :'from_snapshot';
SELECT ecs_wait_image('cn-hangzhou', :'from_snapshot');

-- waits report progress as NOTICEs (how many depends on timing, so a shell
-- counts them from a second session)
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-notices') AS noticed \gset
\setenv ECS_NOTICED :noticed
\! psql -X -q -d contrib_regression -c "SELECT ecs_wait_image('cn-hangzhou', '$ECS_NOTICED')" 2>&1 | grep -c 'NOTICE:  image "m-[a-z0-9]*" in region "cn-hangzhou" is Creating ([0-9]*%)' | awk '{ print ($1 > 0) ? "progress NOTICEs seen" : "no progress NOTICE" }'

-- the API's rules reach the caller as clear errors
SELECT api_error(format('SELECT ecs_create_image(''cn-hangzhou'', instance_id => %L,
                        image_name => ''regress-from-instance'')', :'instance_id'));
SELECT api_error(format('SELECT ecs_create_image(''cn-hangzhou'', instance_id => %L,
                        image_name => ''http://bad'')', :'instance_id'));
SELECT api_error(format('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-nosuchinstance'')'));
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-emu-fail', wait => true);

-- copy to a second region and wait; a copy goes only from Available images
SELECT ecs_copy_image('cn-hangzhou', :'from_instance', 'cn-beijing',
                      image_name => 'regress-copy', wait => true) AS copy_id \gset
SELECT region_id, image_name, status, is_copied
  FROM ecs.images WHERE region_id = 'cn-beijing' AND image_id = :'copy_id';
SELECT api_error(format('SELECT ecs_copy_image(''cn-hangzhou'', %L, ''cn-hangzhou'')', :'from_instance'));
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-still-creating') AS creating \gset
SELECT api_error(format('SELECT ecs_copy_image(''cn-hangzhou'', %L, ''cn-beijing'')', :'creating'));
SELECT ecs_wait_image('cn-hangzhou', :'creating');
-- a copy in progress can be cancelled, not deleted
SELECT ecs_copy_image('cn-hangzhou', :'from_snapshot', 'cn-shanghai',
                      image_name => 'regress-cancelled') AS cancelled_copy \gset
SELECT api_error(format('SELECT ecs_delete_image(''cn-shanghai'', %L)', :'cancelled_copy'));
SELECT ecs_cancel_copy_image('cn-shanghai', :'cancelled_copy');
SELECT count(*) AS left_over FROM ecs.images
 WHERE region_id = 'cn-shanghai' AND image_id = :'cancelled_copy';

-- share with the second account, which then sees it as "others"
SELECT ecs_share_image('cn-hangzhou', :'from_instance', ARRAY['2345678901234567']);
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance' ORDER BY 1;
CREATE SERVER emu_peer FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_peer
  OPTIONS (access_key_id 'LTAI5tEmuPeer00000000002',
           access_key_secret :'peer_secret');
RESET log_statement;
CREATE FOREIGN TABLE peer_images (region_id text, image_id text, image_name text,
                                  image_owner_alias text, image_owner_id text)
  SERVER emu_peer OPTIONS (resource 'images');
SELECT image_name, image_owner_alias, image_owner_id FROM peer_images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance';

-- only an image's owner may share, copy, export, modify or delete it
SELECT api_error(format('SELECT ecs_share_image(''cn-hangzhou'', %L, ARRAY[''3456789012345678''], server => ''emu_peer'')', :'from_instance'));
SELECT api_error(format('SELECT ecs_copy_image(''cn-hangzhou'', %L, ''cn-beijing'', server => ''emu_peer'')', :'from_instance'));
SELECT api_error(format('SELECT ecs_export_image(''cn-hangzhou'', %L, ''emu-cn-hangzhou-images'', server => ''emu_peer'')', :'from_instance'));
SELECT api_error(format('SELECT ecs_modify_image(''cn-hangzhou'', %L, description => ''mine now'', server => ''emu_peer'')', :'from_instance'));
SELECT api_error(format('SELECT ecs_delete_image(''cn-hangzhou'', %L, server => ''emu_peer'')', :'from_instance'));

-- with two servers, the server must be named
SELECT ecs_wait_image('cn-hangzhou', :'from_instance');
SELECT ecs_wait_image('cn-hangzhou', :'from_instance', server => 'emu');

-- sharing: batches of ten accounts, the per-image limit, no self-sharing
SELECT ecs_share_image('cn-hangzhou', :'from_instance',
                       array(SELECT (9000000000000000 + g)::text FROM generate_series(1, 15) g),
                       server => 'emu');
SELECT count(*) AS accounts FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance';
SELECT api_error(format('SELECT ecs_share_image(''cn-hangzhou'', %L,
                       array(SELECT (9000000000000100 + g)::text FROM generate_series(1, 40) g),
                       server => ''emu'')', :'from_instance'));
SELECT count(*) AS accounts FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance';
SELECT api_error(format('SELECT ecs_share_image(''cn-hangzhou'', %L, ARRAY[''1234567890123456''], server => ''emu'')', :'from_instance'));
SELECT api_error(format('SELECT ecs_share_image(''cn-hangzhou'', %L, ARRAY[''4567890123456789''], server => ''emu'')', :'from_instance'));
SELECT ecs_unshare_image('cn-hangzhou', :'from_instance',
                         array(SELECT account_id FROM ecs.image_share_permissions
                                WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance'
                                  AND account_id <> '2345678901234567'),
                         server => 'emu');
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance' ORDER BY 1;

-- export, and wait for its task
SELECT ecs_export_image('cn-hangzhou', :'from_instance', 'emu-cn-hangzhou-images',
                        oss_prefix => 'regress', wait => true, server => 'emu') AS export_task \gset
SELECT task_action, task_status FROM ecs.tasks
 WHERE region_id = 'cn-hangzhou' AND task_id = :'export_task';
SELECT ecs_wait_task('cn-hangzhou', :'export_task', server => 'emu');
SELECT api_error(format('SELECT ecs_export_image(''cn-hangzhou'', %L, ''no-such-bucket'', server => ''emu'')', :'from_instance'));

-- import from OSS, and wait
SELECT ecs_import_image('cn-hangzhou', 'emu-cn-hangzhou-images', 'images/ubuntu-22.04.qcow2',
                        image_name => 'regress-imported', os_type => 'linux',
                        platform => 'Ubuntu', format => 'QCOW2', wait => true,
                        server => 'emu') AS imported \gset
SELECT image_name, status, os_type FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'imported';
SELECT api_error(format('SELECT ecs_import_image(''cn-hangzhou'', ''emu-cn-hangzhou-images'', ''images/missing.qcow2'', server => ''emu'')'));

-- update through OOS: a new image from the old one with a command run on it
SELECT ecs_update_image('cn-hangzhou', :'from_instance', 'ecs.g7.large',
                        'yum -y update', target_image_name => 'regress-updated',
                        security_group_id => 'sg-regress', vswitch_id => 'vsw-regress',
                        server => 'emu') AS execution \gset
SELECT ecs_wait_execution('cn-hangzhou', :'execution', server => 'emu') AS outputs \gset
SELECT image_name, status FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = (:'outputs'::jsonb)->>'imageId';
SELECT ecs_update_image('cn-hangzhou', :'from_instance', 'ecs.g7.large', 'exit 1',
                        target_image_name => 'regress-update-fails',
                        server => 'emu') AS failing \gset
SELECT ecs_wait_execution('cn-hangzhou', :'failing', server => 'emu');
SELECT ecs_wait_execution('cn-hangzhou', 'exec-nosuchexecution', server => 'emu');

-- modify: NULL leaves a field as it is
SELECT ecs_modify_image('cn-hangzhou', :'from_snapshot', description => 'built by regress',
                        image_family => 'regress-family', server => 'emu');
SELECT image_name, description, image_family FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_snapshot';
SELECT ecs_modify_image('cn-hangzhou', :'from_snapshot', status => 'Deprecated', server => 'emu');
SELECT ecs_wait_image('cn-hangzhou', :'from_snapshot', status => 'Deprecated', server => 'emu');
SELECT api_error(format('SELECT ecs_share_image(''cn-hangzhou'', %L, ARRAY[''2345678901234567''], server => ''emu'')', :'from_snapshot'));

-- unshare, and delete: a shared image cannot be deleted, a used one needs force
SELECT api_error(format('SELECT ecs_delete_image(''cn-hangzhou'', %L, server => ''emu'')', :'from_instance'));
SELECT ecs_unshare_image('cn-hangzhou', :'from_instance', ARRAY['2345678901234567'], server => 'emu');
SELECT count(*) AS peer_sees FROM peer_images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance';
SELECT ecs_delete_image('cn-hangzhou', :'from_instance', server => 'emu');
SELECT count(*) AS gone FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'from_instance';
SELECT doc->>'ImageId' AS used_image FROM truth
 WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'Usage' = 'instance'
   AND doc->>'ImageOwnerAlias' = 'self' AND jsonb_array_length(doc->'shared_with') = 0
 ORDER BY 1 LIMIT 1 \gset
SELECT api_error(format('SELECT ecs_delete_image(''cn-hangzhou'', %L, server => ''emu'')', :'used_image'));
SELECT ecs_delete_image('cn-hangzhou', :'used_image', force => true, server => 'emu');
SELECT api_error(format('SELECT ecs_delete_image(''cn-hangzhou'', ''m-nosuchimage'', server => ''emu'')'));

-- waits end on failure, on timeout and on cancel
SELECT ecs_wait_image('cn-hangzhou', 'm-nosuchimage', server => 'emu');
SELECT ecs_wait_image('cn-hangzhou', :'imported', status => 'Deprecated',
                      timeout => '1.5 seconds', server => 'emu');
SET statement_timeout = '1s';
SELECT ecs_wait_image('cn-hangzhou', :'imported', status => 'Deprecated', server => 'emu');
RESET statement_timeout;
SELECT 1 AS still_fine;

-- idempotency: the same ClientToken and parameters give the same image; a
-- response lost after the change is retried without a second image
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-token', client_token => 'regress-token-1',
                        server => 'emu') AS token_image \gset
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-token', client_token => 'regress-token-1',
                        server => 'emu') = :'token_image' AS same_image;
SELECT api_error(format('SELECT ecs_create_image(''cn-hangzhou'', instance_id => %L,
                        image_name => ''regress-token-other'', client_token => ''regress-token-1'',
                        server => ''emu'')', :'instance_id'));
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "CreateImage", "count": 1}' >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_create_image('cn-hangzhou', instance_id => :'instance_id',
                        image_name => 'regress-lost-answer', server => 'emu') AS lost_answer \gset
\! test "$(python3 test/emulator/emuctl.py stats --action CreateImage)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py images --account 1234567890123456 --region cn-hangzhou | grep -c '"ImageName": "regress-lost-answer"'
SELECT image_name FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_id = :'lost_answer';

-- a change drops the cached listings of its region
ALTER SERVER emu OPTIONS (ADD cache_ttl_s '300');
SELECT count(*) AS before FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_name = 'regress-cached';
SELECT ecs_modify_image('cn-hangzhou', :'lost_answer', image_name => 'regress-cached', server => 'emu');
SELECT count(*) AS after FROM ecs.images WHERE region_id = 'cn-hangzhou' AND image_name = 'regress-cached';
ALTER SERVER emu OPTIONS (DROP cache_ttl_s);

-- privileges: the changing functions are granted by a DBA; the caller needs
-- USAGE on the server and a user mapping
CREATE ROLE regress_ecs_operator;
SET ROLE regress_ecs_operator;
SELECT ecs_delete_image('cn-hangzhou', 'm-x', server => 'emu');
RESET ROLE;
GRANT EXECUTE ON FUNCTION ecs_delete_image(text, text, boolean, name) TO regress_ecs_operator;
SET ROLE regress_ecs_operator;
SELECT ecs_delete_image('cn-hangzhou', 'm-x', server => 'emu');
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER emu TO regress_ecs_operator;
SET ROLE regress_ecs_operator;
SELECT ecs_delete_image('cn-hangzhou', 'm-x', server => 'emu');
SELECT ecs_wait_image('cn-hangzhou', 'm-x', server => 'emu');
RESET ROLE;
REVOKE ALL ON FOREIGN SERVER emu FROM regress_ecs_operator;
REVOKE ALL ON FUNCTION ecs_delete_image(text, text, boolean, name) FROM regress_ecs_operator;
DROP ROLE regress_ecs_operator;

DROP SERVER emu_peer CASCADE;
RESET client_min_messages;
\! python3 test/emulator/emuctl.py reset

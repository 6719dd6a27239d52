--
-- argchecks: arguments with a closed set of values are checked before
-- anything is sent; an empty account list changes nothing
--
\! python3 test/emulator/emuctl.py faults-clear
SELECT doc->>'ImageId' AS img FROM truth
 WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available'
 ORDER BY 1 LIMIT 1 \gset

\! python3 test/emulator/emuctl.py stats-reset
-- ecs_wait_image: only a status an image can have (it used to poll for ever)
SELECT state, message, hint FROM show_error(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, ''available'')', :'img'));
SELECT state, message, hint FROM show_error(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, ''Bogus'')', :'img'));
SELECT state, message FROM show_error(format('SELECT ecs_wait_image(''cn-hangzhou'', %L, NULL)', :'img'));
-- the others
SELECT state, message, hint FROM show_error(format('SELECT ecs_modify_image(''cn-hangzhou'', %L, status => ''Gone'')', :'img'));
SELECT state, message, hint FROM show_error(format('SELECT ecs_modify_image(''cn-hangzhou'', %L, boot_mode => ''uefi'')', :'img'));
SELECT state, message, hint FROM show_error(format('SELECT ecs_export_image(''cn-hangzhou'', %L, ''bucket'', image_format => ''iso'')', :'img'));
SELECT state, message, hint FROM show_error('SELECT ecs_import_image(''cn-hangzhou'', ''bucket'', ''o.qcow2'', format => ''qcow2'')');
SELECT state, message, hint FROM show_error('SELECT ecs_import_image(''cn-hangzhou'', ''bucket'', ''o.qcow2'', os_type => ''Linux'')');
SELECT state, message, hint FROM show_error('SELECT ecs_import_image(''cn-hangzhou'', ''bucket'', ''o.qcow2'', architecture => ''amd64'')');
SELECT state, message, hint FROM show_error('SELECT ecs_import_image(''cn-hangzhou'', ''bucket'', ''o.qcow2'', license_type => ''Free'')');
SELECT state, message, hint FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', architecture => ''x64'')');
SELECT state, message, hint FROM show_error('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', boot_mode => ''Legacy'')');
-- nothing was sent
\! python3 test/emulator/emuctl.py stats

-- a valid target still waits (the image is Available already)
SELECT ecs_wait_image('cn-hangzhou', :'img', 'Available');

-- unsharing with nobody: nothing to do, no request
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_unshare_image('cn-hangzhou', :'img', ARRAY[]::text[]);
SELECT ecs_unshare_image('cn-hangzhou', :'img',
  ARRAY(SELECT account_id FROM ecs.image_share_permissions
         WHERE region_id = 'cn-hangzhou' AND image_id = :'img' AND account_id = '0'));
SELECT ecs_share_image('cn-hangzhou', :'img', '{}');
\! python3 test/emulator/emuctl.py stats --action ModifyImageSharePermission

--
-- lost: for each changing call, the emulator makes the change and then
-- drops the connection before the answer; the function's retry (or
-- libcurl's own resend, which the API refuses as a used nonce) returns the
-- same result and leaves exactly one image, task, share or execution
--
\! python3 test/emulator/emuctl.py reset
SET client_min_messages = warning;   -- progress NOTICEs depend on timing

SELECT s->>'SnapshotId' AS snapshot_id
  FROM seed, jsonb_array_elements(doc->'snapshots') s
 WHERE s->>'OwnerId' = '1234567890123456' AND s->>'RegionId' = 'cn-hangzhou'
   AND s->>'SourceDiskType' = 'system' AND s->>'Status' = 'accomplished'
 ORDER BY 1 LIMIT 1 \gset
-- four seeded images of the owner that nothing uses or shares
SELECT (array_agg(doc->>'ImageId' ORDER BY doc->>'ImageId'))[1] AS img_copy,
       (array_agg(doc->>'ImageId' ORDER BY doc->>'ImageId'))[2] AS img_cancel,
       (array_agg(doc->>'ImageId' ORDER BY doc->>'ImageId'))[3] AS img_share,
       (array_agg(doc->>'ImageId' ORDER BY doc->>'ImageId'))[4] AS img_export,
       count(*) >= 4 AS enough
  FROM truth WHERE doc->>'region' = 'cn-hangzhou' AND doc->>'ImageOwnerAlias' = 'self'
   AND doc->>'Status' = 'Available' AND jsonb_array_length(doc->'shared_with') = 0
   AND doc->>'Usage' = 'none' \gset
SELECT :'enough' AS enough_images;

-- CreateImage from a snapshot: one image, and its id is the one returned
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "CreateImage", "count": 1}' >/dev/null
SELECT ecs_create_image('cn-hangzhou', snapshot_id => :'snapshot_id',
                        image_name => 'lost-create') AS created \gset
\setenv lost_id :created
\! test "$(python3 test/emulator/emuctl.py stats --action CreateImage)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py images --account 1234567890123456 | grep '"ImageName": "lost-create"' | grep -c "\"ImageId\": \"$lost_id\""

-- ImportImage: one image and one import task
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "ImportImage", "count": 1}' >/dev/null
SELECT ecs_import_image('cn-hangzhou', 'emu-cn-hangzhou-images', 'images/ubuntu-22.04.qcow2',
                        image_name => 'lost-import') AS imported \gset
\setenv lost_id :imported
\! test "$(python3 test/emulator/emuctl.py stats --action ImportImage)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py images --account 1234567890123456 | grep '"ImageName": "lost-import"' | grep -c "\"ImageId\": \"$lost_id\""
-- (one task for the image, finished or not: the machine's load decides that)
\! python3 test/emulator/emuctl.py seed | python3 -c 'import json,os,sys; print(sum(1 for t in json.load(sys.stdin)["tasks"] if t["TaskAction"] == "ImportImage" and t["ResourceId"] == os.environ["lost_id"]))'

-- CopyImage: one copy in the destination region
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "CopyImage", "count": 1}' >/dev/null
SELECT ecs_copy_image('cn-hangzhou', :'img_copy', 'cn-beijing',
                      image_name => 'lost-copy') AS copied \gset
\setenv lost_id :copied
\! test "$(python3 test/emulator/emuctl.py stats --action CopyImage)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py images --account 1234567890123456 | grep '"ImageName": "lost-copy"' | grep -c "\"ImageId\": \"$lost_id\""

-- CancelCopyImage: the retry finds the copy gone, which is what was asked
-- (a copy that takes 10 minutes, so it is still running whatever the load)
\! python3 test/emulator/emuctl.py settings --create-seconds 600 >/dev/null
SELECT ecs_copy_image('cn-hangzhou', :'img_cancel', 'cn-shanghai',
                      image_name => 'lost-cancel') AS to_cancel \gset
\! python3 test/emulator/emuctl.py settings --create-seconds 3 >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "CancelCopyImage", "count": 1}' >/dev/null
SELECT ecs_cancel_copy_image('cn-shanghai', :'to_cancel');
\! test "$(python3 test/emulator/emuctl.py stats --action CancelCopyImage)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py images --account 1234567890123456 | grep -c '"ImageName": "lost-cancel"'
-- but a copy that never existed is still an error
SELECT api_error('SELECT ecs_cancel_copy_image(''cn-shanghai'', ''m-nosuchcopy'')');

-- ModifyImageSharePermission: adding and removing are the same once or twice
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "ModifyImageSharePermission", "count": 1}' >/dev/null
SELECT ecs_share_image('cn-hangzhou', :'img_share', ARRAY['9000000000000001', '9000000000000002']);
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_share' ORDER BY 1;
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "ModifyImageSharePermission", "count": 1}' >/dev/null
SELECT ecs_unshare_image('cn-hangzhou', :'img_share', ARRAY['9000000000000001']);
SELECT account_id FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_share' ORDER BY 1;
\! test "$(python3 test/emulator/emuctl.py stats --action ModifyImageSharePermission)" -ge 2 && echo retried

-- ExportImage has no ClientToken: the retry hears that the image is being
-- exported, and the function finds the task its first attempt started
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "ExportImage", "count": 1}' >/dev/null
SET client_min_messages = notice;
SELECT ecs_export_image('cn-hangzhou', :'img_export', 'emu-cn-hangzhou-images',
                        oss_prefix => 'lost') AS export_task \gset
SET client_min_messages = warning;
\setenv lost_id :export_task
\! test "$(python3 test/emulator/emuctl.py stats --action ExportImage)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py seed | python3 -c 'import json,os,sys; t=[t for t in json.load(sys.stdin)["tasks"] if t["TaskAction"] == "ExportImage" and t["TaskStatus"] in ("Waiting", "Processing")]; print(len(t), [x["TaskId"] for x in t] == [os.environ["lost_id"]])'
SELECT ecs_wait_task('cn-hangzhou', :'export_task');
-- a second export of the same image, answered, is the API's error as before
SELECT ecs_export_image('cn-hangzhou', :'img_export', 'emu-cn-hangzhou-images',
                        oss_prefix => 'again') IS NOT NULL AS exported_again;
SELECT api_error(format('SELECT ecs_export_image(''cn-hangzhou'', %L, ''emu-cn-hangzhou-images'')', :'img_export'));

-- ModifyImageAttribute (of the image made above): setting the same values
-- again changes nothing
SELECT ecs_wait_image('cn-hangzhou', :'created');
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "ModifyImageAttribute", "count": 1}' >/dev/null
SELECT ecs_modify_image('cn-hangzhou', :'created', image_name => 'lost-modify',
                        status => 'Deprecated');
\! test "$(python3 test/emulator/emuctl.py stats --action ModifyImageAttribute)" -ge 2 && echo retried
SELECT image_name, status FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'created';

-- DeleteImage (of the source of the cancelled copy): the retry finds the
-- image gone, which is what was asked
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "DeleteImage", "count": 1}' >/dev/null
SELECT ecs_delete_image('cn-hangzhou', :'img_cancel');
\! test "$(python3 test/emulator/emuctl.py stats --action DeleteImage)" -ge 2 && echo retried
SELECT count(*) AS left_over FROM ecs.images
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_cancel';

-- StartExecution (OOS): one execution, the one returned
\! python3 test/emulator/emuctl.py stats-reset
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "StartExecution", "count": 1}' >/dev/null
SELECT ecs_update_image('cn-hangzhou', :'img_copy', 'ecs.g7.large', 'echo ok',
                        target_image_name => 'lost-update') AS execution \gset
\setenv lost_id :execution
\! test "$(python3 test/emulator/emuctl.py stats --action StartExecution)" -ge 2 && echo retried
\! python3 test/emulator/emuctl.py call ListExecutions RegionId=cn-hangzhou | python3 -c 'import json,os,sys; e=json.load(sys.stdin)["Executions"]; print(len(e), [x["ExecutionId"] for x in e] == [os.environ["lost_id"]])'

-- the writable tables use the same calls: DELETE of a share, answer lost
ALTER FOREIGN TABLE ecs.image_share_permissions OPTIONS (ADD updatable 'true');
\! python3 test/emulator/emuctl.py fault '{"kind": "lose_response", "action": "ModifyImageSharePermission", "count": 1}' >/dev/null
DELETE FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_share' RETURNING account_id;
SELECT count(*) AS shares_left FROM ecs.image_share_permissions
 WHERE region_id = 'cn-hangzhou' AND image_id = :'img_share';
ALTER FOREIGN TABLE ecs.image_share_permissions OPTIONS (DROP updatable);

RESET client_min_messages;
\! python3 test/emulator/emuctl.py reset

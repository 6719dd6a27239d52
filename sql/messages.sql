--
-- messages: errors name what the user wrote (the SQL argument names, not
-- the OOS template's parameters), and are checked before anything is sent
--
\! python3 test/emulator/emuctl.py stats-reset
SELECT ecs_update_image('cn-hangzhou', 'm-x', 'ecs.g7.large', 'echo hi',
                        internet_max_bandwidth_out => -1);
SELECT ecs_update_image('cn-hangzhou', 'm-x', 'ecs.g7.large', 'echo hi',
                        command_timeout => -1);
\! python3 test/emulator/emuctl.py stats

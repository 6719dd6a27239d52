--
-- optionchecks: the validator takes booleans as PostgreSQL spells them and
-- refuses ports out of range, "{region}" in another case and integers with
-- spaces or signs
--
CREATE SERVER oc FOREIGN DATA WRAPPER ecs_image_fdw;
ALTER SERVER oc OPTIONS (ADD updatable 'yes');
ALTER SERVER oc OPTIONS (SET updatable 'off');
ALTER SERVER oc OPTIONS (SET updatable 'maybe');
ALTER SERVER oc OPTIONS (ADD endpoint 'https://ecs.{region}.aliyuncs.com:443');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.aliyuncs.com:99999');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.aliyuncs.com:0');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.aliyuncs.com:44a');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.aliyuncs.com:');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.aliyuncs.com:443:443');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.{Region}.aliyuncs.com');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.{regionid}.aliyuncs.com');
ALTER SERVER oc OPTIONS (SET endpoint 'https://ecs.}{.aliyuncs.com');
ALTER SERVER oc OPTIONS (SET endpoint 'http://[::1]:8080');
ALTER SERVER oc OPTIONS (SET endpoint 'http://[::1]:80800');
ALTER SERVER oc OPTIONS (ADD max_concurrency ' 8');
ALTER SERVER oc OPTIONS (ADD max_concurrency '+8');
ALTER SERVER oc OPTIONS (ADD max_concurrency '0x8');
ALTER SERVER oc OPTIONS (ADD max_concurrency '8');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'oc';
DROP SERVER oc;

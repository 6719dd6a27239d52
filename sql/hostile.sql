--
-- hostile: broken and hostile answers (huge, deeply nested, wrong types,
-- missing fields, a TotalCount that lies, invalid UTF-8, HTML error pages,
-- redirects) end in a clear ERROR: no crash, no hang, no endless paging and
-- never a partial or wrong answer
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\! python3 test/emulator/emuctl.py reset

CREATE SERVER hostile FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca',
           regions 'cn-hangzhou', max_retries '1', page_size '5');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER hostile
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001', access_key_secret :'owner_secret');
RESET log_statement;
CREATE FOREIGN TABLE h_images (region_id text, image_id text, image_name text,
                               status text, size int, is_copied boolean,
                               tags jsonb, creation_time timestamptz)
  SERVER hostile OPTIONS (resource 'images');

-- attack(query): how the query ends (the fault is armed before it, from
-- psql, for every matching request)
CREATE FUNCTION attack(query text DEFAULT 'SELECT count(*) FROM h_images',
    OUT state text, OUT message text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
  SELECT e.state, e.message, e.detail, e.hint
    INTO state, message, detail, hint FROM show_error(query) e;
END
$$;

SELECT count(*) AS images_in_hangzhou FROM h_images;

-- a body over the 64 MB cap, with and without Content-Length: not retried
\! python3 test/emulator/emuctl.py fault '{"kind": "huge", "bytes": 70000000, "action": "DescribeImages"}' >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py stats --action DescribeImages
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "huge", "bytes": 70000000, "chunked": true, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear

-- nesting 100,000 levels deep
\! python3 test/emulator/emuctl.py fault '{"kind": "deep", "depth": 100000, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
SELECT * FROM attack('SELECT ecs_wait_image(''cn-hangzhou'', ''m-x'', server => ''hostile'')');
\! python3 test/emulator/emuctl.py faults-clear

-- wrong types
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Images.Image": "not-a-list"}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Images.Image.0.ImageId": 42}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"TotalCount": "many"}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Images.Image.0.Size": {"GiB": 20}}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack('SELECT sum(size) FROM h_images');
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Images.Image.0.IsCopied": "maybe"}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack('SELECT count(*) FROM h_images WHERE is_copied');
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Images.Image.0.CreationTime": "yesterday"}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack('SELECT max(creation_time) FROM h_images');
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "set": {"Images.Image.0.Tags": "x"}, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack('SELECT count(tags) FROM h_images');
\! python3 test/emulator/emuctl.py faults-clear

-- missing fields
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "remove": ["Images.Image.*.ImageId"], "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "remove": ["TotalCount"], "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "patch", "remove": ["Images"], "action": "DescribeImages"}' >/dev/null
SELECT state, message FROM attack();   -- which page fails first varies
\! python3 test/emulator/emuctl.py faults-clear

-- a TotalCount that lies, up or down: no endless paging, no partial answer
\! python3 test/emulator/emuctl.py fault '{"kind": "total_count", "value": 1000000000, "action": "DescribeImages"}' >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
SELECT * FROM attack();
\! test "$(python3 test/emulator/emuctl.py stats --action DescribeImages)" -le 20 && echo few requests
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "total_count", "delta": 7, "action": "DescribeImages"}' >/dev/null
SELECT state, message FROM attack();   -- which page fails first varies
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "total_count", "value": 2, "action": "DescribeImages"}' >/dev/null
SELECT state, message FROM attack();   -- which page fails first varies
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "total_count", "value": -5, "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear

-- invalid UTF-8 in a name
\! python3 test/emulator/emuctl.py fault '{"kind": "bad_utf8", "field": "ImageName", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack('SELECT count(image_name) FROM h_images');
SELECT * FROM attack('SELECT count(*) FROM h_images');
\! python3 test/emulator/emuctl.py faults-clear

-- HTML error pages, empty and non-object bodies
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 502, "headers": {"Content-Type": "text/html"}, "body": "<html><body><h1>502 Bad Gateway</h1></body></html>", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 403, "headers": {"Content-Type": "text/html"}, "body": "<html>Forbidden</html>", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 200, "body": "", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 200, "body": "[1, 2, 3]", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 400, "body": "{\"Code\": 42, \"Message\": [\"x\"]}", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear

-- a redirect to another host is not followed
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 302, "headers": {"Location": "https://attacker.example.com/steal"}, "body": "", "action": "DescribeImages"}' >/dev/null
SELECT * FROM attack();
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 307, "headers": {"Location": "https://attacker.example.com/steal"}, "body": "", "action": "CreateImage"}' >/dev/null
SELECT * FROM attack('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', server => ''hostile'')');
\! python3 test/emulator/emuctl.py faults-clear

-- single-object answers of the functions: a created image without an id
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 200, "body": "{\"RequestId\": \"R\", \"ImageId\": 42.5}", "action": "CopyImage"}' >/dev/null
SELECT * FROM attack('SELECT ecs_copy_image(''cn-hangzhou'', ''m-x'', ''cn-beijing'', server => ''hostile'')');
\! python3 test/emulator/emuctl.py faults-clear
\! python3 test/emulator/emuctl.py fault '{"kind": "respond", "status": 200, "body": "{\"RequestId\": \"R\"}", "action": "ExportImage"}' >/dev/null
SELECT * FROM attack('SELECT ecs_export_image(''cn-hangzhou'', ''m-x'', ''b'', server => ''hostile'')');
\! python3 test/emulator/emuctl.py faults-clear

-- and after all that, the same backend still answers exactly
SELECT count(*) AS images_in_hangzhou FROM h_images;

DROP FUNCTION attack(text);
DROP SERVER hostile CASCADE;

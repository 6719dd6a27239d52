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
\i test/emulator/faults.psql

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

-- attack(query): how the query ends under the fault armed before it (one
-- line a case: see test/emulator/faults.psql)
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
\! python3 test/emulator/emuctl.py stats-reset
\set fault '{"kind": "huge", "bytes": 70000000, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\! python3 test/emulator/emuctl.py stats --action DescribeImages
\set fault '{"kind": "huge", "bytes": 70000000, "chunked": true, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm

-- nesting 100,000 levels deep
\set fault '{"kind": "deep", "depth": 100000, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); SELECT * FROM attack('SELECT ecs_wait_image(''cn-hangzhou'', ''m-x'', server => ''hostile'')'); :disarm

-- wrong types
\set fault '{"kind": "patch", "set": {"Images.Image": "not-a-list"}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "patch", "set": {"Images.Image.0.ImageId": 42}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "patch", "set": {"TotalCount": "many"}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "patch", "set": {"Images.Image.0.Size": {"GiB": 20}}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack('SELECT sum(size) FROM h_images'); :disarm
\set fault '{"kind": "patch", "set": {"Images.Image.0.IsCopied": "maybe"}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack('SELECT count(*) FROM h_images WHERE is_copied'); :disarm
\set fault '{"kind": "patch", "set": {"Images.Image.0.CreationTime": "yesterday"}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack('SELECT max(creation_time) FROM h_images'); :disarm
\set fault '{"kind": "patch", "set": {"Images.Image.0.Tags": "x"}, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack('SELECT count(tags) FROM h_images'); :disarm

-- missing fields
\set fault '{"kind": "patch", "remove": ["Images.Image.*.ImageId"], "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "patch", "remove": ["TotalCount"], "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
-- which page fails first varies
\set fault '{"kind": "patch", "remove": ["Images"], "action": "DescribeImages"}' \\ :arm SELECT state, message FROM attack(); :disarm

-- a TotalCount that lies, up or down: no endless paging, no partial answer
\! python3 test/emulator/emuctl.py stats-reset
\set fault '{"kind": "total_count", "value": 1000000000, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\! test "$(python3 test/emulator/emuctl.py stats --action DescribeImages)" -le 20 && echo few requests
-- which page fails first varies
\set fault '{"kind": "total_count", "delta": 7, "action": "DescribeImages"}' \\ :arm SELECT state, message FROM attack(); :disarm
-- which page fails first varies
\set fault '{"kind": "total_count", "value": 2, "action": "DescribeImages"}' \\ :arm SELECT state, message FROM attack(); :disarm
\set fault '{"kind": "total_count", "value": -5, "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm

-- invalid UTF-8 in a name
\set fault '{"kind": "bad_utf8", "field": "ImageName", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack('SELECT count(image_name) FROM h_images'); SELECT * FROM attack('SELECT count(*) FROM h_images'); :disarm

-- HTML error pages, empty and non-object bodies
\set fault '{"kind": "respond", "status": 502, "headers": {"Content-Type": "text/html"}, "body": "<html><body><h1>502 Bad Gateway</h1></body></html>", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "respond", "status": 403, "headers": {"Content-Type": "text/html"}, "body": "<html>Forbidden</html>", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "respond", "status": 200, "body": "", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "respond", "status": 200, "body": "[1, 2, 3]", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "respond", "status": 400, "body": "{\\"Code\\": 42, \\"Message\\": [\\"x\\"]}", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm

-- a redirect to another host is not followed
\set fault '{"kind": "respond", "status": 302, "headers": {"Location": "https://attacker.example.com/steal"}, "body": "", "action": "DescribeImages"}' \\ :arm SELECT * FROM attack(); :disarm
\set fault '{"kind": "respond", "status": 307, "headers": {"Location": "https://attacker.example.com/steal"}, "body": "", "action": "CreateImage"}' \\ :arm SELECT * FROM attack('SELECT ecs_create_image(''cn-hangzhou'', instance_id => ''i-x'', server => ''hostile'')'); :disarm

-- single-object answers of the functions: a created image without an id
\set fault '{"kind": "respond", "status": 200, "body": "{\\"RequestId\\": \\"R\\", \\"ImageId\\": 42.5}", "action": "CopyImage"}' \\ :arm SELECT * FROM attack('SELECT ecs_copy_image(''cn-hangzhou'', ''m-x'', ''cn-beijing'', server => ''hostile'')'); :disarm
\set fault '{"kind": "respond", "status": 200, "body": "{\\"RequestId\\": \\"R\\"}", "action": "ExportImage"}' \\ :arm SELECT * FROM attack('SELECT ecs_export_image(''cn-hangzhou'', ''m-x'', ''b'', server => ''hostile'')'); :disarm

-- and after all that, the same backend still answers exactly
SELECT count(*) AS images_in_hangzhou FROM h_images;

DROP FUNCTION attack(text);
DROP SERVER hostile CASCADE;

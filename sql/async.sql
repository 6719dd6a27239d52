--
-- async: a UNION ALL over the tables of several servers (one per account)
-- runs their listings at the same time (Async Foreign Scan), returns
-- exactly the union of what each account sees, tells the accounts apart
-- (account_id) and prunes by them, fails as a whole when one child fails,
-- naming its server and region, and can be cancelled
--
\getenv emu_url EMU_URL
\getenv emu_connect EMU_CONNECT
\getenv emu_ca EMU_CA
\getenv owner_secret EMU_OWNER_SECRET
\getenv peer_secret EMU_PEER_SECRET
\! python3 test/emulator/emuctl.py reset
\i test/emulator/faults.psql

-- one server per account; max_concurrency 1, so that requests in flight
-- at once can only come from different children
CREATE SERVER acct_owner FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', max_concurrency '1',
           page_size '5');
CREATE SERVER acct_peer FOREIGN DATA WRAPPER ecs_image_fdw
  OPTIONS (connect_to :'emu_connect', ca_file :'emu_ca', max_concurrency '1',
           page_size '5');
SET log_statement = 'none';   -- keys stay out of the server log
CREATE USER MAPPING FOR CURRENT_USER SERVER acct_owner
  OPTIONS (access_key_id 'LTAI5tEmuOwner0000000001',
           access_key_secret :'owner_secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER acct_peer
  OPTIONS (access_key_id 'LTAI5tEmuPeer00000000002',
           access_key_secret :'peer_secret');
RESET log_statement;
CREATE SCHEMA acct_owner;
CREATE SCHEMA acct_peer;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER acct_owner INTO acct_owner;
IMPORT FOREIGN SCHEMA ecs LIMIT TO (images) FROM SERVER acct_peer INTO acct_peer;
CREATE VIEW all_images AS
  SELECT 'owner' AS acct, * FROM acct_owner.images
  UNION ALL
  SELECT 'peer', * FROM acct_peer.images;

-- the option: server and table, boolean, default on
SELECT api_error($$ALTER SERVER acct_owner OPTIONS (ADD async_capable 'maybe')$$);
SELECT state, message FROM show_error($$CREATE USER MAPPING FOR PUBLIC SERVER acct_owner OPTIONS (async_capable 'true')$$);

-- the plan: each child is an Async Foreign Scan
EXPLAIN (COSTS OFF) SELECT acct, image_id FROM all_images;

-- what each account sees, from the emulator
CREATE TABLE truth_peer (doc jsonb);
\copy truth_peer FROM PROGRAM 'python3 test/emulator/emuctl.py images --visible-to 2345678901234567' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
CREATE VIEW want AS
  SELECT 'owner' AS acct, doc->>'region' AS region_id, doc->>'ImageId' AS image_id,
         doc->>'Status' AS status, doc->>'ImageOwnerAlias' AS alias FROM truth
  UNION ALL
  SELECT 'peer', doc->>'region', doc->>'ImageId', doc->>'Status',
         doc->>'ImageOwnerAlias' FROM truth_peer;

-- exact_union(): the view against the truth, row by row, and how many
-- rows it has
CREATE FUNCTION exact_union(OUT result text, OUT rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
  got text[];
  want text[];
BEGIN
  SELECT array_agg(r ORDER BY r) INTO got
    FROM (SELECT concat_ws(' ', acct, region_id, image_id, status, image_owner_alias) AS r
            FROM all_images) a;
  SELECT array_agg(r ORDER BY r) INTO want
    FROM (SELECT concat_ws(' ', acct, region_id, image_id, status, alias) AS r FROM want) w;
  result := CASE WHEN got = want THEN 'exact'
                 ELSE format('WRONG: %s rows, expected %s', cardinality(got), cardinality(want)) END;
  rows := cardinality(got);
END
$$;

\! python3 test/emulator/emuctl.py fault '{"kind": "latency", "ms": 100}' >/dev/null
\! python3 test/emulator/emuctl.py stats-reset
SELECT result, rows FROM exact_union();
-- two requests at once: one per child, each server allowing only one
\! python3 test/emulator/emuctl.py stats-json | python3 -c "import json, sys; print('at least 2 in flight:', json.load(sys.stdin)['max_in_flight'] >= 2)"

-- the same with async_capable off on one table: plain Foreign Scans, one
-- after the other, and the same rows
ALTER FOREIGN TABLE acct_peer.images OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT acct, image_id FROM all_images;
ALTER SERVER acct_owner OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT acct, image_id FROM all_images;
\! python3 test/emulator/emuctl.py stats-reset
SELECT result, rows FROM exact_union();
\! python3 test/emulator/emuctl.py stats-json | python3 -c "import json, sys; print('max in flight:', json.load(sys.stdin)['max_in_flight'])"
ALTER FOREIGN TABLE acct_peer.images OPTIONS (DROP async_capable);
ALTER SERVER acct_owner OPTIONS (SET async_capable 'true');

-- two children on the same server share its max_concurrency (throttling
-- is per account), though each may have one request in flight: at most
-- 2 + 1 at once (without the sharing, 2 + 2)
ALTER SERVER acct_owner OPTIONS (SET max_concurrency '2');
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = 2 * (SELECT count(*) FROM truth) AS twice_all
  FROM (SELECT image_id FROM acct_owner.images
        UNION ALL SELECT image_id FROM acct_owner.images) u;
\! python3 test/emulator/emuctl.py stats-json | python3 -c "import json, sys; print('at most 3 in flight:', json.load(sys.stdin)['max_in_flight'] <= 3)"
ALTER SERVER acct_owner OPTIONS (SET max_concurrency '1');
\! python3 test/emulator/emuctl.py faults-clear

-- which account: account_id, from STS GetCallerIdentity, asked once per
-- backend and credentials (two servers: two calls, then none)
\! python3 test/emulator/emuctl.py stats-reset
SELECT acct, account_id, count(*) FROM all_images GROUP BY 1, 2 ORDER BY 1, 2;
SELECT (SELECT count(*) FROM truth) AS owner_truth, (SELECT count(*) FROM truth_peer) AS peer_truth;
\! python3 test/emulator/emuctl.py stats --action GetCallerIdentity
SELECT count(DISTINCT account_id) AS accounts FROM all_images;
\! python3 test/emulator/emuctl.py stats --action GetCallerIdentity
-- in share permissions, account_id is the grantee; the server's account is
-- owner_account_id
IMPORT FOREIGN SCHEMA ecs LIMIT TO (image_share_permissions) FROM SERVER acct_peer INTO acct_peer;
SELECT owner_account_id, count(*) > 0 AS some, bool_and(account_id <> owner_account_id) AS grantees
  FROM acct_peer.image_share_permissions GROUP BY 1 ORDER BY 1;

-- a condition on account_id prunes the other servers: not one request to
-- their accounts
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT image_id FROM all_images WHERE account_id = '2345678901234567';
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = (SELECT count(*) FROM truth_peer) AS all_of_peer
  FROM all_images WHERE account_id = '2345678901234567';
\! python3 test/emulator/emuctl.py stats --account 1234567890123456
\! python3 test/emulator/emuctl.py stats --account 2345678901234567 | python3 -c "import sys; print('peer requests > 0:', int(sys.stdin.read()) > 0)"
\! python3 test/emulator/emuctl.py stats-reset
SELECT account_id, count(*) = (SELECT count(*) FROM truth) AS all_of_owner
  FROM all_images WHERE account_id IN ('1234567890123456', '9999999999999999')
 GROUP BY 1 ORDER BY 1;
\! python3 test/emulator/emuctl.py stats --account 2345678901234567
-- no account matches: no request at all, and EXPLAIN ANALYZE says so
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) FROM all_images WHERE account_id = '9999999999999999';
\! python3 test/emulator/emuctl.py stats
SELECT * FROM explain_analyze($$SELECT image_id FROM acct_owner.images
                                 WHERE account_id = '2345678901234567'$$, verbose_plan => true);
-- from another relation (a join): pruned for each outer value
CREATE TABLE wanted (account_id text);
INSERT INTO wanted VALUES ('2345678901234567');
ANALYZE wanted;
\! python3 test/emulator/emuctl.py stats-reset
SELECT count(*) = (SELECT count(*) FROM truth_peer) AS all_of_peer
  FROM wanted w JOIN all_images i USING (account_id);
\! python3 test/emulator/emuctl.py stats --account 1234567890123456
DROP TABLE wanted;

-- local quals and a LIMIT over the async children
SELECT acct, count(*) FROM all_images WHERE status = 'Available' AND size > 0
 GROUP BY acct ORDER BY acct;
SELECT count(*) FROM (SELECT * FROM all_images LIMIT 7) l;

-- a child that fails for good fails the statement, naming its server and
-- region, even when the other child is complete
\set fault '{"kind": "error", "status": 403, "code": "Forbidden.RAM", "message": "User not authorized to operate on the specified resource.", "account": "2345678901234567", "region": "cn-shanghai"}' \\ :arm SELECT state, message, detail FROM show_error('SELECT count(*) FROM all_images'); :disarm
-- retried failures still give the exact union
\set fault '{"kind": "error", "status": 503, "code": "ServiceUnavailable", "message": "The request has failed due to a temporary failure of the server.", "account": "2345678901234567", "count": 3}' \\ :arm SELECT result FROM exact_union(); :disarm

-- cancel: a stalled child ends with the statement timeout, promptly, and
-- the next statement works
CREATE FUNCTION cancelled_view(OUT state text, OUT within_3s boolean)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM count(*) FROM all_images;
  state := '00000';
  within_3s := clock_timestamp() - t0 < interval '3 seconds';
EXCEPTION WHEN query_canceled THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
  within_3s := clock_timestamp() - t0 < interval '3 seconds';
END
$$;
\set fault '{"kind": "stall", "ms": 60000, "action": "DescribeImages", "account": "2345678901234567"}' \\ :arm SET statement_timeout = '1s'; SELECT * FROM cancelled_view(); RESET statement_timeout; :disarm
SELECT result FROM exact_union();

DROP VIEW all_images, want;
DROP FUNCTION exact_union(), cancelled_view();
DROP TABLE truth_peer;
DROP SCHEMA acct_owner, acct_peer CASCADE;
DROP SERVER acct_owner, acct_peer CASCADE;

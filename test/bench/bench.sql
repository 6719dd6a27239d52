-- test/bench/bench.sql: the extension and the measuring functions of the benchmark.
-- Each function returns one tab-separated result line (psql -At) for report.js.
CREATE EXTENSION ecs_image_fdw;

-- CPU time of this backend so far, ms: utime + stime of /proc/self/stat (fields 14
-- and 15, in USER_HZ ticks; run.sh checks that USER_HZ is 100).
CREATE FUNCTION bench_cpu_ms() RETURNS float8 LANGUAGE sql AS $$
  SELECT (f[12]::float8 + f[13]::float8) * 10
    FROM string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f
$$;

-- The emulator's process (run.sh writes its pid after each start) and its CPU
-- time so far, ms, the same way; NULL when the pid is not known.
CREATE TABLE bench_emulator (pid int);
CREATE FUNCTION bench_emu_cpu_ms() RETURNS float8 LANGUAGE sql AS $$
  SELECT (f[12]::float8 + f[13]::float8) * 10
    FROM bench_emulator,
         string_to_array(split_part(pg_read_file('/proc/' || pid || '/stat'), ') ', 2), ' ') AS f
$$;

-- Peak (VmHWM) and current (VmRSS) resident memory of this backend, kB.
CREATE FUNCTION bench_mem(OUT hwm_kb bigint, OUT rss_kb bigint) LANGUAGE sql AS $$
  SELECT substring(s from 'VmHWM:\s*(\d+)')::bigint, substring(s from 'VmRSS:\s*(\d+)')::bigint
    FROM pg_read_file('/proc/self/status') AS s
$$;

-- One timed run of a query under EXPLAIN (ANALYZE, TIMING OFF):
--   scan  variant  run  execution_ms  backend_cpu_ms  rows  requests  retries  emulator_cpu_ms
-- rows, requests and retries are the sums over the foreign scan nodes (one,
-- or one per account under an Append); emulator_cpu_ms is the emulator's CPU
-- time during the run (all of it, whoever else it served meanwhile).
CREATE FUNCTION bench_scan(variant text, run int, query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  cpu0 float8 := bench_cpu_ms();
  emu0 float8 := bench_emu_cpu_ms();
  plan jsonb;
  nrows bigint;
  requests bigint;
  retries bigint;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || query INTO plan;
  SELECT sum((n ->> 'Actual Rows')::bigint), sum((n ->> 'ECS Requests')::bigint),
         sum((n ->> 'ECS Retries')::bigint)
    INTO nrows, requests, retries
    FROM jsonb_path_query(plan, 'strict $.** ? (exists (@."ECS Requests"))') n;
  RETURN concat_ws(E'\t', 'scan', variant, run,
                   round((plan -> 0 ->> 'Execution Time')::numeric, 1),
                   round((bench_cpu_ms() - cpu0)::numeric, 1),
                   nrows, requests, retries,
                   coalesce(round((bench_emu_cpu_ms() - emu0)::numeric, 1)::text, 'NaN'));
END
$$;

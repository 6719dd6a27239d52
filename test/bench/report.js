'use strict';
// Prints the benchmark's figures from what run.sh collected in DIR:
//   node report.js DIR      (environment: RUNS, SLOW_RUNS, CPUS)
// DIR/results.tsv has one line per measurement:
//   scan    VARIANT RUN MS BACKEND_CPU_MS ROWS REQUESTS RETRIES EMULATOR_CPU_MS   (bench.sql's bench_scan)
//   sdk     VARIANT RUN MS ROWS REQUESTS                          (sdk_scan.js)
//   error   VARIANT MESSAGE                                       (a query that failed)
//   count   plain ROWS            lookup NAME ROWS DETAIL
//   mem     ROWS HWM_BEFORE RSS_BEFORE HWM_AFTER RSS_AFTER        (kB)
//   cancel  CASE MS                       (statement_timeout latency past 500 ms)
//   fail    MESSAGE                       (the view's error when one account fails)
//   emulator ARGS
// and DIR/stats.VARIANT.json the emulator's /_emulator/stats after each measurement
// (stats.VARIANT.cold.json: after the cold run of an FDW variant).
// Exits 1 if a variant counted a different number of images or failed.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
const L = 50;                      // --latency-ms of the emulator in parts 1 and 2
const lines = fs.readFileSync(path.join(dir, 'results.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
const stats = (v) => JSON.parse(fs.readFileSync(path.join(dir, `stats.${v}.json`), 'utf8'));
const coldStats = (v) => (fs.existsSync(path.join(dir, `stats.${v}.cold.json`)) ? stats(`${v}.cold`) : null);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '-');
const pad = (s, n) => String(s).padStart(n);
let broken = false;

const runs = {}, errors = {}, lookups = {}, mem = [], emulators = [], cancels = {}, counts = {};
let plainCount, failMessage;
for (const f of lines) {
  const add = (v, r) => (runs[v] = runs[v] || []).push(r);
  if (f[0] === 'scan') add(f[1], { run: +f[2], ms: +f[3], cpu: +f[4], rows: +f[5], requests: +f[6], retries: +f[7], emuCpu: +f[8] });
  else if (f[0] === 'sdk') add(f[1], { run: +f[2], ms: +f[3], cpu: NaN, rows: +f[4], requests: +f[5], retries: NaN });
  else if (f[0] === 'error') errors[f[1]] = f[2];
  else if (f[0] === 'count') { counts[f[1]] = +f[2]; if (f[1] === 'plain') plainCount = +f[2]; }
  else if (f[0] === 'fail') failMessage = f.slice(1).join('\t');
  else if (f[0] === 'lookup') lookups[f[1]] = { rows: +f[2], detail: f[3] };
  else if (f[0] === 'mem') mem.push({ rows: +f[1], hwm0: +f[2], rss0: +f[3], hwm: +f[4], rss: +f[5] });
  else if (f[0] === 'emulator') emulators.push(f[1]);
  else if (f[0] === 'cancel') (cancels[f[1]] = cancels[f[1]] || []).push(+f[2]);
}

// A variant: the median of its warm runs, its cold run, the emulator's view.
function variant(v) {
  if (errors[v] || !runs[v]) return { error: errors[v] || 'no result' };
  const all = runs[v], warm = all.filter((r) => r.run > 0), s = stats(v), c = coldStats(v);
  const use = warm.length ? warm : all;
  // connections the emulator accepted (one TLS handshake each), without the
  // stats requests' own: in the cold run, and per warm run
  const conns = c && s.connections !== undefined
    ? { cold: c.connections - 1, warm: warm.length ? (s.connections - c.connections - 1) / warm.length : NaN } : null;
  return {
    emuCpu: median(use.map((r) => r.emuCpu)), conns,
    ms: median(use.map((r) => r.ms)), cpu: median(use.map((r) => r.cpu)), cold: all.find((r) => r.run === 0),
    rows: all[0].rows, requests: use[0].requests, retries: Math.max(...all.map((r) => r.retries)),
    inFlight: s.max_in_flight, throttled: (s.by_code || {})['Throttling.User'] || 0, n: use.length,
    sameRows: all.every((r) => r.rows === all[0].rows), sameRequests: use.every((r) => r.requests === use[0].requests),
    emuTotal: s.total, ourTotal: all.reduce((a, r) => a + r.requests, 0),
  };
}

// Part 5: 8 accounts behind a UNION ALL view, against one account's table.
// Prints its section; returns its targets as [ok, what, how].
function accountsSection() {
  const one = variant('one'), view = variant('view8'), sync = variant('view8_sync'), pruned = variant('pruned');
  const par = variant('par8'), one300 = variant('one300'), view300 = variant('view300');
  const targets = [];
  console.log('\n== Many accounts: 8 accounts × 6 regions × 300 own images, L = 50 ms, one server per account');
  console.log(`${'variant'.padEnd(58)}${pad('median ms', 10)}${pad('cold ms', 9)}${pad('rows', 8)}${pad('requests', 9)}` +
    `${pad('in flight', 10)}${pad('new conn.', 10)}${pad('FDW CPU', 8)}${pad('emu CPU', 8)}${pad('ratio to one', 13)}`);
  for (const [name, x, base] of [['one account: SELECT count(*) FROM acct1.images', one, one],
    ['8 accounts: SELECT count(*) FROM the view (async)', view, one],
    ['8 accounts, enable_async_append off (one after another)', sync, one],
    ['8 backends at once, one account each (per backend)', par, one],
    ['the view WHERE account_id = \'5000000000000003\'', pruned, one],
    ['one account, every answer 300 ms late', one300, one300],
    ['8 accounts: the view, every answer 300 ms late', view300, one300]]) {
    if (x.error) { console.log(`  ${name}: ERROR ${x.error}`); broken = true; continue; }
    console.log(`${name.padEnd(58)}${pad(fmt(x.ms), 10)}${pad(x.cold ? fmt(x.cold.ms) : '', 9)}${pad(fmt(x.rows), 8)}` +
      `${pad(fmt(x.requests), 9)}${pad(fmt(x.inFlight), 10)}${pad(x.conns ? fmt(x.conns.warm, 1) : '-', 10)}` +
      `${pad(fmt(x.cpu), 8)}${pad(x === par ? '-' : fmt(x.emuCpu), 8)}${pad(base.error ? '-' : fmt(x.ms / base.ms, 2), 13)}`);
  }
  console.log('in flight = the emulator\'s max_in_flight; new conn. = connections (TLS handshakes) the emulator accepted per warm run;');
  console.log('FDW CPU, emu CPU = CPU ms of the backend and of the emulator process per run (medians); "8 backends at once" is what');
  console.log('the emulator and the CPUs allow 8 accounts at a time; the 300 ms rows are against the 300 ms one account');
  if (!view.error && view.conns) {
    const perReq = view.emuCpu / view.requests;
    console.log(`  the view: the emulator used ${fmt(view.emuCpu)} ms of CPU for ${view.requests} requests (${fmt(perReq, 2)} ms each), ` +
      `the backend ${fmt(view.cpu)} ms; the cold run opened ${view.conns.cold} connections`);
    console.log(`  the emulator is one Python process: after the 50 ms, the 96 first pages (8 accounts × 6 regions × self, others) ` +
      `queue for about 96 × ${fmt(perReq, 2)} = ${fmt(96 * perReq)} ms of its CPU, and the 96 next pages again ` +
      `(one account: 12 × ${fmt(perReq, 2)} = ${fmt(12 * perReq)} ms)`);
  }
  if (!view.error && (!view.sameRows || view.rows !== counts.view8)) {
    console.log(`  COUNT MISMATCH in the view: ${view.rows} rows, expected ${counts.view8}`); broken = true;
  }
  for (const [x, want] of [[view300, counts.view8], [one300, counts.view8 / 8]]) {
    if (!x.error && (!x.sameRows || x.rows !== want)) {
      console.log(`  COUNT MISMATCH at 300 ms: ${x.rows} rows, expected ${want}`); broken = true;
    }
  }
  if (!one.error && !view.error) {
    const ratio = view.ms / one.ms;
    targets.push([ratio <= 1.3, '8-account view ≤ 1.3× one account', `${fmt(ratio, 2)}× (${fmt(view.ms)} / ${fmt(one.ms)} ms; ` +
      `one after another: ${sync.error ? '-' : fmt(sync.ms / one.ms, 2) + '×'}; ` +
      `with 300 ms answers: ${view300.error || one300.error ? '-' : fmt(view300.ms / one300.ms, 2) + '×'})`]);
  }
  let others = NaN;
  if (!pruned.error) {
    const cold = stats('pruned_cold').by_account || {}, warm = stats('pruned').by_account || {};
    const show = (o) => Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
    console.log(`  requests by account, first run in a new backend (asks each server's account once): ${show(cold)}`);
    console.log(`  requests by account, the ${process.env.RUNS} warm runs: ${show(warm)}`);
    console.log(`  GetCallerIdentity calls: first run ${stats('pruned_cold').by_action.GetCallerIdentity || 0}, warm runs ${stats('pruned').by_action.GetCallerIdentity || 0}`);
    others = Object.entries(warm).filter(([k]) => k !== '5000000000000003').reduce((a, [, v]) => a + v, 0);
    targets.push([others === 0 && (warm['5000000000000003'] || 0) > 0 && pruned.rows === counts.view8 / 8,
      'WHERE account_id = … sends requests to that account only', `${others} request(s) to other accounts in the warm runs; ${fmt(pruned.rows)} rows`]);
  }
  const xs = cancels.view8 || [];
  if (xs.length === 0) { console.log('  cancel of the view: ERROR no result'); broken = true; }
  else {
    console.log(`  cancel of the view (statement_timeout 500 ms, every answer stalls): latency past it median ${fmt(median(xs))}, max ${fmt(Math.max(...xs))} ms`);
    targets.push([Math.max(...xs) < 1000, 'a cancel stops the whole view within a second', `max ${fmt(Math.max(...xs))} ms past statement_timeout`]);
  }
  console.log(`  one account failing (Forbidden.RAM in cn-beijing): ${failMessage || 'NO ERROR'}`);
  targets.push([/ERROR: .*region "cn-beijing" of server "acct5"/.test(failMessage || ''),
    'a failing account is an ERROR naming its server and region', failMessage ? 'yes' : 'no error']);
  return targets;
}

if (process.env.ONLY_ACCOUNTS) {
  console.log('ecs_image_fdw benchmark, part 5 only (--accounts-only)');
  console.log(`  ${process.env.CPUS} CPUs shared by PostgreSQL, the emulator and Node; medians of ${process.env.RUNS} warm runs ` +
    `(${process.env.SLOW_RUNS} with enable_async_append off)`);
  emulators.forEach((e, i) => console.log(`  emulator ${i + 1}: ${e}`));
  const targets = accountsSection();
  console.log('\n== Targets');
  for (const [ok, what, how] of targets) console.log(`  ${ok ? 'PASS' : 'MISS'}  ${what.padEnd(58)} ${how}`);
  process.exit(broken ? 1 : 0);
}

const V = { a: variant('a'), c1: variant('c1'), c32: variant('c32'), c: variant('c'), d: variant('d') };
const qps = variant('qps'), count = variant('count_l0'), every = variant('all_l0');
const cached = variant('count_cached'), cachedAll = variant('all_cached');

console.log('ecs_image_fdw benchmark');
console.log(`  ${process.env.CPUS} CPUs shared by PostgreSQL, the emulator and Node; medians of ${process.env.RUNS} warm runs ` +
  `(${process.env.SLOW_RUNS} for the serial (b) C = 1 and (c) and the 100,000-row scans), each after one cold run in a new backend / process`);
emulators.forEach((e, i) => console.log(`  emulator ${i + 1}: ${e}`));
console.log(`  images counted: ${fmt(plainCount)} (plain SELECT count(*) FROM ecs.images)`);
for (const [k, x] of Object.entries(V)) {
  if (x.error) { console.log(`  ERROR in ${k}: ${x.error}`); broken = true; continue; }
  if (!x.sameRows || x.rows !== plainCount) { console.log(`  COUNT MISMATCH in ${k}: ${x.rows} rows, expected ${plainCount}`); broken = true; }
  if (!x.sameRequests) console.log(`  note: ${k} made a different number of requests in different runs`);
  if (x.emuTotal !== x.ourTotal) console.log(`  note: ${k}: the emulator counted ${x.emuTotal} requests, the client ${x.ourTotal}`);
}

for (const [k, x, want] of [['count_l0', count, 100000], ['all_l0', every, 100000], ['count_cached', cached, 40000], ['all_cached', cachedAll, 40000]])
  if (!x.error && (!x.sameRows || x.rows !== want)) { console.log(`  COUNT MISMATCH in ${k}: ${x.rows} rows, expected ${want}`); broken = true; }

// decode time of (a)'s rows at the single-core rate of SELECT count(*) from the cache
const cpuRate = cached.error ? NaN : cached.rows / (cached.cpu / 1000);
const decodeMs = (rows) => rows / cpuRate * 1000;
const bound = (x, C) => Math.ceil(x.requests / C) * L;
const DEFAULT_C = 16;   // the FDW's default max_concurrency (src/option.c)

console.log('\n== Scan of every image of the account: SELECT count(*) FROM ecs.images (24 regions, L = 50 ms)');
console.log(`${'variant'.padEnd(58)}${pad('median ms', 10)}${pad('cold ms', 9)}${pad('requests', 9)}${pad('in flight', 10)}${pad('ratio to (a)', 13)}`);
const a = V.a.ms;
const row = (name, x, inFlight) => console.log(`${name.padEnd(58)}${pad(fmt(x.ms), 10)}${pad(x.cold ? fmt(x.cold.ms) : '', 9)}` +
  `${pad(fmt(x.requests), 9)}${pad(inFlight ?? fmt(x.inFlight), 10)}${pad(fmt(x.ms / a, 2), 13)}`);
row(`(a)  FDW, max_concurrency ${DEFAULT_C} (default)`, V.a);
row('(b)  FDW, max_concurrency 1', V.c1);
row('(b)  FDW, max_concurrency 32', V.c32);
row('(c)  official SDK, one request at a time, page 100', V.c);
row('(d)  official SDK, regions parallel, pages serial, page 50', V.d);
row(`(e)  bound ⌈R/C⌉·L, R of (a), C = ${DEFAULT_C}`, { ms: bound(V.a, DEFAULT_C), requests: V.a.requests }, '');
row('(e)  bound ⌈R/C⌉·L, R of (b), C = 32', { ms: bound(V.c32, 32), requests: V.c32.requests }, '');
console.log(`in flight = the emulator's max_in_flight over the variant's runs; ratio > 1 = slower than (a)`);
console.log(`backend CPU time of a warm scan, of its wall time: ` +
  [[`C = ${DEFAULT_C}`, V.a], ['C = 1', V.c1], ['C = 32', V.c32]].map(([n, x]) => `${n} ${fmt(x.cpu)} ms (${fmt(100 * x.cpu / x.ms)}%)`).join(', ') +
  `; decoding ${fmt(plainCount)} rows takes ~${fmt(decodeMs(plainCount))} ms at the rate measured below`);
console.log('\n== Throttled: the emulator with --qps-limit 100, one cold run of (a)');
if (qps.error) { console.log(`  ERROR: ${qps.error}`); broken = true; }
else {
  console.log(`  ${fmt(qps.rows)} images (${qps.rows === plainCount ? 'right' : 'WRONG'}) in ${fmt(qps.ms)} ms ` +
    `(cold (a) without the limit: ${fmt(V.a.cold.ms)} ms); ${qps.requests} requests, ECS Retries ${qps.retries}, ` +
    `Throttling.User answers ${qps.throttled}, max in flight ${qps.inFlight}`);
  if (qps.rows !== plainCount) broken = true;
}

console.log(`\n== Decoding, L = 0: 10 regions × 10,000 own images (table option image_owner_alias 'self'), C = ${DEFAULT_C}, page 100`);
console.log(`${''.padEnd(42)}${pad('rows', 8)}${pad('requests', 9)}${pad('wall ms', 9)}${pad('rows/s', 9)}${pad('backend CPU ms', 15)}${pad('rows/s of CPU', 14)}`);
for (const [name, x] of [['all 100,000 rows, SELECT count(*)', count], ['all 100,000 rows, every column', every],
  ['from the FDW\'s cache, SELECT count(*)', cached], ['from the FDW\'s cache, every column', cachedAll]]) {
  if (x.error) { console.log(`  ${name}: ERROR ${x.error}`); broken = true; continue; }
  console.log(`  ${name.padEnd(40)}${pad(fmt(x.rows), 8)}${pad(fmt(x.requests), 9)}${pad(fmt(x.ms), 9)}${pad(fmt(x.rows / x.ms * 1000), 9)}` +
    `${pad(fmt(x.cpu), 15)}${pad(fmt(x.rows / x.cpu * 1000), 14)}`);
}
console.log('every column = SELECT count(<column>) of each of the 32 columns; the cache holds 64 MB, so 4 regions there (40,000 rows),');
console.log('its warm runs send no request: JSON and tuples only');
console.log('\n== Peak memory of a new backend, every column (VmHWM / VmRSS in kB, from /proc/<pid>/status)');
for (const m of mem)
  console.log(`  ${pad(fmt(m.rows), 7)} rows: before ${fmt(m.hwm0)} / ${fmt(m.rss0)}, after ${fmt(m.hwm)} / ${fmt(m.rss)}; peak grew by ${fmt(m.hwm - m.hwm0)}`);
const [m1k, m100k] = [mem.find((m) => m.rows === 1000), mem.find((m) => m.rows === 100000)];
const memRatio = m100k && m1k ? m100k.hwm / m1k.hwm : NaN;
if (m100k && m1k)
  console.log(`  100,000 : 1,000 rows: peak ${fmt(memRatio, 2)}×, growth of the peak ${fmt((m100k.hwm - m100k.hwm0) / (m1k.hwm - m1k.hwm0), 2)}×`);
else { console.log('  ERROR: a memory run is missing'); broken = true; }

console.log('\n== Requests of small queries (emulator stats, reset before each)');
// requests of the listing; GetCallerIdentity (the account_id column of SELECT *,
// asked once per backend and credentials) is shown apart
const lk = (name, key, want) => {
  const s = stats(key), x = lookups[key], who = (s.by_action || {}).GetCallerIdentity || 0;
  console.log(`  ${name.padEnd(74)} ${x.rows} row(s), ${s.total - who} request(s)` +
    (who ? ` (and ${who} GetCallerIdentity for account_id, once per backend)` : ''));
  return { rows: x.rows, req: s.total - who, want };
};
const look1 = lk(`WHERE region_id = 'cn-shanghai' AND image_id = '${lookups.image_id.detail}'`, 'image_id');
const look2 = lk(`SELECT * FROM ecs.images WHERE region_id = 'cn-shanghai' LIMIT 10`, 'limit10');

console.log('\n== Cancellation: statement_timeout 500 ms, latency past it (ms), 5 runs each');
let cancelMax = NaN;
for (const [name, what] of [['stall', 'every answer stalls'], ['backoff', 'sleeping between throttled answers']]) {
  const xs = cancels[name] || [];
  if (xs.length === 0) { console.log(`  ${what}: ERROR no result`); broken = true; continue; }
  console.log(`  ${what.padEnd(40)} median ${fmt(median(xs))}, max ${fmt(Math.max(...xs))}`);
  cancelMax = Number.isNaN(cancelMax) ? Math.max(...xs) : Math.max(cancelMax, ...xs);
}

const accountTargets = accountsSection();

console.log('\n== Targets');
const target = (ok, what, how) => console.log(`  ${ok ? 'PASS' : 'MISS'}  ${what.padEnd(50)} ${how}`);
const faster = (x, y) => y.ms / x.ms;
target(faster(V.a, V.c) >= 10, '(a) ≥ 10× faster than (c)', `${fmt(faster(V.a, V.c), 1)}×`);
target(faster(V.a, V.d) >= 1.5, '(a) ≥ 1.5× faster than (d)', `${fmt(faster(V.a, V.d), 2)}×`);
target(faster(V.c32, V.d) >= 5, 'C = 32: (a) ≥ 5× faster than (d)', `${fmt(faster(V.c32, V.d), 2)}×`);
for (const [C, x] of [[DEFAULT_C, V.a], [32, V.c32]]) {
  const limit = bound(x, C) + decodeMs(x.rows);
  target(x.ms <= 1.4 * limit, `C = ${C}: (a) within 1.4× of (e) + decode time`,
    `${fmt(x.ms)} ms = ${fmt(x.ms / limit, 2)}× (${fmt(bound(x, C))} + ${fmt(decodeMs(x.rows))} ms)`);
}
target(cancelMax < 1000, 'a cancel stops a scan within a second', `max ${fmt(cancelMax)} ms past statement_timeout`);
target(cpuRate >= 250000, 'decoding ≥ 250,000 rows/s on one core', `${fmt(cpuRate)} rows/s, SELECT count(*) from the cache` +
  (cachedAll.error ? '' : `; every column: ${fmt(cachedAll.rows / cachedAll.cpu * 1000)}`));
target(memRatio <= 2, 'peak memory, 100,000 rows ≤ 2× that of 1,000 rows', `${fmt(memRatio, 2)}×`);
target(look1.req === 1 && look1.rows === 1, 'targeted lookup = 1 request', `${look1.req} request(s), ${look1.rows} row(s)`);
target(look2.req === 1 && look2.rows === 10, 'LIMIT 10 on one region = 1 request', `${look2.req} request(s), ${look2.rows} row(s)`);

for (const [ok, what, how] of accountTargets) target(ok, what, how);

if (broken) { console.log('\nSOME VARIANT FAILED OR COUNTED A DIFFERENT NUMBER OF IMAGES'); process.exit(1); }

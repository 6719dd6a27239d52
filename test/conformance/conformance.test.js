'use strict';
// SDK conformance test for the ECS API emulator (test/emulator/ecs_emulator.py).
//
// The official Alibaba Cloud npm SDKs talk to the emulator over HTTPS with TLS
// verification ON (the CA made by make_test_ca.sh is handed to each SDK), and the
// answers are compared with the emulator's own truth (GET /_emulator/images).
// Then signed requests are captured, tampered with and replayed to check that the
// emulator rejects them with the real API's error codes.
//
// Environment (all optional):
//   ECS_CONF_CA_DIR   a directory already filled by make_test_ca.sh (run.sh sets it);
//                     when unset the test makes its own in a temp directory.
//   ECS_CONF_PYTHON   the Python interpreter (default /usr/bin/python3, else python3).
//   ECS_CONF_EMU_DIR  where ecs_emulator.py and make_test_ca.sh are (default ../emulator).
//
// How a signed request is captured: while capture() runs, https.request is wrapped so
// that a connection meant for the emulator's port goes to a local HTTPS recorder (same
// certificate) instead; the request bytes, Host header included, are exactly what the SDK
// would have sent, and the nonce has not been used yet. replay() sends them (possibly
// changed) to the emulator.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const crypto = require('node:crypto');
const { spawn, execFileSync } = require('node:child_process');

const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');
const RPCClient = require('@alicloud/pop-core');

const REPO = path.resolve(__dirname, '..', '..');
const EMU_DIR = process.env.ECS_CONF_EMU_DIR || path.join(REPO, 'test', 'emulator');

const OWNER = { id: '1234567890123456', key: 'LTAI5tEmuOwner0000000001', secret: 'emu-owner-secret-0001' };
const PEER = { id: '2345678901234567', key: 'LTAI5tEmuPeer00000000002', secret: 'emu-peer-secret-0002' };

// The fixed region list of PRODUCT.md section 7; --regions N takes the first N.
const REGION_LIST = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen', 'cn-qingdao'];
const N_REGIONS = 3;
const IMAGES_PER_REGION = 30;
const SEED = 4242;
const PAGE_SIZE = 7;
const ALL_STATUSES = ['Creating', 'Waiting', 'Available', 'UnAvailable', 'CreateFailed', 'Deprecated'];
const STALE_MS = 25 * 60 * 1000;

let tmpDir;      // our temp directory (CA when not given, port file, emulator log)
let caDir;       // where ca.pem, server.pem, server.key are
let ca;          // PEM text of the CA
let emu;         // emulator child process
let emuPort;
let emuHost;     // "127.0.0.1:PORT"
let recorder;    // HTTPS server that records requests instead of answering them
let recorderPort;
let recorded = [];
let recordFile;  // the emulator's --record file: every API request as it arrived

// ---------------------------------------------------------------- helpers

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

// A raw HTTPS request to the emulator (TLS verified with our CA).
// headers: an array of [name, value] pairs (kept in order) or an object.
function rawRequest({ method = 'GET', urlPath = '/', headers = [], body = null, port = emuPort }) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path: urlPath, ca, agent: false, setHost: false });
    const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
    const names = new Set();
    for (const [k, v] of pairs) {
      const lk = k.toLowerCase();
      if (lk === 'content-length' || lk === 'connection' || lk === 'transfer-encoding') continue;
      names.add(lk);
      req.setHeader(k, v);
    }
    if (!names.has('host')) req.setHeader('host', emuHost);
    const buf = body == null ? Buffer.alloc(0) : Buffer.from(body);
    if (buf.length > 0 || method !== 'GET') req.setHeader('content-length', String(buf.length));
    req.setTimeout(10000, () => req.destroy(new Error(`timeout: ${method} ${urlPath}`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.end(buf);
  });
}

async function emuGet(urlPath) {
  const r = await rawRequest({ method: 'GET', urlPath });
  assert.equal(r.status, 200, `GET ${urlPath}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.ok(r.json, `GET ${urlPath}: not JSON: ${r.text.slice(0, 300)}`);
  return r.json;
}

// ---- the truth, as GET /_emulator/images gives it

function pick(obj, ...names) {
  for (const n of names) if (obj[n] !== undefined && obj[n] !== null) return obj[n];
  return undefined;
}

function truthList(json) {
  if (Array.isArray(json)) return json;
  for (const k of ['images', 'Images', 'image', 'items']) {
    const v = json[k];
    if (Array.isArray(v)) return v;
    if (v && Array.isArray(v.Image)) return v.Image;
  }
  throw new Error(`unexpected /_emulator/images shape: ${JSON.stringify(json).slice(0, 300)}`);
}

function normTruth(img) {
  return {
    id: String(pick(img, 'ImageId', 'image_id', 'imageId', 'id')),
    name: pick(img, 'ImageName', 'image_name', 'imageName', 'name'),
    status: pick(img, 'Status', 'status'),
    region: pick(img, 'RegionId', 'region', 'region_id', 'regionId'),
    owner: String(pick(img, 'owner', 'owner_account', 'owner_id', 'OwnerAccount', 'ownerAccount', 'account', 'ImageOwnerId')),
    alias: pick(img, 'ImageOwnerAlias', 'owner_alias', 'alias', 'imageOwnerAlias'),
    sharedWith: (pick(img, 'shared_with', 'SharedWith', 'sharedWith', 'share_accounts', 'Accounts') || []).map(String),
    raw: img,
  };
}

async function truth(account, region) {
  const json = await emuGet(`/_emulator/images?account=${account}&region=${region}`);
  return truthList(json).map(normTruth);
}

// What DescribeImages with ImageOwnerAlias=self and every status should list.
async function truthSelf(account, region) {
  const all = await truth(account, region);
  for (const t of all) assert.equal(t.region, region, `truth for ${region} holds ${t.id} of ${t.region}`);
  return all.filter((t) => t.owner === account && ALL_STATUSES.includes(t.status));
}

async function stats() { return emuGet('/_emulator/stats'); }

// Signature counters of /_emulator/stats, flattened to {scheme: count}.
function signatureCounts(st) {
  const s = st.signature || st.signatures || st.Signature;
  assert.ok(s && typeof s === 'object', `/_emulator/stats has no "signature" counts: ${JSON.stringify(st).slice(0, 400)}`);
  return s;
}

function countDelta(a, b) {
  const out = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (typeof b[k] === 'number' ? b[k] : 0) - (typeof a[k] === 'number' ? a[k] : 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

function isAcs3Key(k) { return /acs3|v3/i.test(k); }
function isRpcKey(k) { return /rpc|v1|sha1/i.test(k) && !isAcs3Key(k); }

// ---- clients

function newClient(cred, { v2 = false, endpoint = emuHost } = {}) {
  const cfg = new $OpenApiUtil.Config({
    accessKeyId: cred.key,
    accessKeySecret: cred.secret,
    regionId: 'cn-hangzhou',
    endpoint,            // host:port, no scheme
    protocol: 'https',
    ca,                  // TLS verification stays on, against our CA
  });
  if (v2) cfg.signatureAlgorithm = 'v2';
  return new Ecs.default(cfg);
}

function runtime() {
  return new RuntimeOptions({ autoretry: false, maxAttempts: 1, readTimeout: 10000, connectTimeout: 5000 });
}

function newPop(cred, port = emuPort) {
  return new RPCClient({
    accessKeyId: cred.key,
    accessKeySecret: cred.secret,
    endpoint: `https://127.0.0.1:${port}`,
    apiVersion: '2014-05-26',
    opts: { ca, timeout: 10000 },
  });
}

function describeReq(regionId, pageNumber, extra = {}) {
  return new Ecs.DescribeImagesRequest(Object.assign({
    regionId,
    status: ALL_STATUSES.join(','),
    imageOwnerAlias: 'self',
    pageSize: PAGE_SIZE,
    pageNumber,
  }, extra));
}

// Pages through DescribeImages until TotalCount; checks every page's bookkeeping.
// callPage(pageNumber) returns the response body in API (PascalCase) form.
async function pageAll(callPage) {
  let total;
  let page = 1;
  const images = [];
  for (;;) {
    const b = await callPage(page);
    assert.equal(Number(b.PageNumber), page, 'PageNumber echoes the request');
    assert.equal(Number(b.PageSize), PAGE_SIZE, 'PageSize echoes the request');
    assert.ok(typeof b.RequestId === 'string' && b.RequestId.length > 0, 'RequestId is present');
    const t = Number(b.TotalCount);
    if (total === undefined) total = t;
    assert.equal(t, total, 'TotalCount is the same on every page');
    const list = (b.Images && b.Images.Image) || [];
    const expected = Math.max(0, Math.min(PAGE_SIZE, total - (page - 1) * PAGE_SIZE));
    assert.equal(list.length, expected, `page ${page} of ${total} holds ${expected} images`);
    for (const i of list) images.push({ id: i.ImageId, status: i.Status, alias: i.ImageOwnerAlias, name: i.ImageName });
    if (page * PAGE_SIZE >= total) break;
    page += 1;
    assert.ok(page < 1000, 'runaway paging');
  }
  const ids = images.map((i) => i.id);
  assert.equal(new Set(ids).size, ids.length, 'no image is listed twice across pages');
  return { total, pages: page, images };
}

// The new SDK returns camelCase models; toMap() gives the API (PascalCase) names back.
function sdkBodyToApi(body) {
  return body.toMap ? body.toMap() : body;
}

function idStatusMap(list) {
  return Object.fromEntries(list.map((i) => [i.id, i.status]).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

// Captures the next request an SDK sends (to the recorder, which does not answer it
// with data), without it ever reaching the emulator: the nonce stays unused.
async function capture(fn) {
  const origRequest = https.request;
  const before = recorded.length;
  https.request = function patched(options, ...rest) {
    if (options && typeof options === 'object' && !(options instanceof URL) &&
        String(options.port) === String(emuPort)) {
      options = Object.assign({}, options, { port: recorderPort });
    }
    return origRequest.call(this, options, ...rest);
  };
  try {
    await assert.rejects(fn(), (err) => {
      assert.equal(err.code, 'Recorded', `capture: unexpected error ${err && err.message}`);
      return true;
    });
  } finally {
    https.request = origRequest;
  }
  assert.equal(recorded.length, before + 1, 'exactly one request was captured');
  return recorded[recorded.length - 1];
}

// Replays a captured request to the emulator, optionally changed by edit(copy).
async function replay(rec, edit) {
  const r = { method: rec.method, url: rec.url, headers: rec.headers.map(([k, v]) => [k, v]), body: Buffer.from(rec.body) };
  if (edit) edit(r);
  return rawRequest({ method: r.method, urlPath: r.url, headers: r.headers, body: r.body });
}

function header(r, name) {
  const h = r.headers.find(([k]) => k.toLowerCase() === name);
  return h && h[1];
}

function setHeader(r, name, value) {
  const h = r.headers.find(([k]) => k.toLowerCase() === name);
  assert.ok(h, `captured request has header ${name}`);
  h[1] = value;
}

// Flips one byte (XOR 1) of the value of `param` in a query string or form body.
// 'PageSize=7' becomes 'PageSize=6': still a valid request, only the signature is wrong.
function flipParam(str, param) {
  const re = new RegExp(`(^|[?&])${param.replace(/\./g, '\\.')}=([^&]*)`);
  const m = re.exec(str);
  assert.ok(m && m[2].length > 0, `parameter ${param} is in ${str}`);
  const at = m.index + m[1].length + param.length + 1 + m[2].length - 1;
  const flipped = String.fromCharCode(str.charCodeAt(at) ^ 1);
  return str.slice(0, at) + flipped + str.slice(at + 1);
}

function assertApiError(r, code, statuses) {
  const allowed = Array.isArray(statuses) ? statuses : [statuses];
  assert.ok(r.json, `error body is JSON: ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.json.Code, code, `error code (status ${r.status}, body ${r.text.slice(0, 300)})`);
  assert.ok(allowed.includes(r.status), `HTTP status ${r.status} is one of ${allowed}`);
  assert.ok(typeof r.json.Message === 'string' && r.json.Message.length > 0, 'Message is present');
  assert.ok(typeof r.json.RequestId === 'string' && r.json.RequestId.length > 0, 'RequestId is present');
}

// An error thrown by @alicloud/ecs20140526 (openapi-core ClientError).
async function assertSdkError(promise, code, statuses) {
  const allowed = Array.isArray(statuses) ? statuses : [statuses];
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `SDK error code (${err && err.message})`);
    assert.ok(allowed.includes(err.statusCode), `HTTP status ${err.statusCode} is one of ${allowed}`);
    assert.ok(err.data && err.data.Code === code, 'err.data.Code');
    assert.ok(err.data.RequestId, 'err.data.RequestId');
    return true;
  });
}

// An error thrown by @alicloud/pop-core.
async function assertPopError(promise, code, statuses) {
  const allowed = Array.isArray(statuses) ? statuses : [statuses];
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, `pop-core error code (${err && err.message})`);
    assert.ok(err.data && err.data.Code === code, 'err.data.Code');
    const st = err.entry && err.entry.response && err.entry.response.statusCode;
    assert.ok(allowed.includes(st), `HTTP status ${st} is one of ${allowed}`);
    return true;
  });
}

// Runs fn with the process clock moved by offsetMs (new Date(), Date.now()), so that
// the SDKs sign a request with that time. Restored afterwards, also on failure.
async function withClockOffset(offsetMs, fn) {
  const RealDate = Date;
  class FakeDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...args);
    }
    static now() { return RealDate.now() + offsetMs; }
  }
  global.Date = FakeDate;
  try {
    return await fn();
  } finally {
    global.Date = RealDate;
  }
}

// The x-acs-date / Timestamp of a captured request, as ms since the epoch.
function signedTime(rec) {
  const h = header(rec, 'x-acs-date');
  if (h) return Date.parse(h);
  const src = rec.url.includes('Timestamp=') ? rec.url : rec.body.toString();
  const m = /Timestamp=([^&]*)/.exec(src);
  assert.ok(m, 'captured request carries a Timestamp');
  return Date.parse(decodeURIComponent(m[1]));
}

// ---------------------------------------------------------------- setup

function findPython() {
  if (process.env.ECS_CONF_PYTHON) return process.env.ECS_CONF_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

async function startEmulator() {
  const portFile = path.join(tmpDir, 'port');
  recordFile = path.join(tmpDir, 'requests.jsonl');
  const log = fs.openSync(path.join(tmpDir, 'emulator.log'), 'w');
  emu = spawn(findPython(), [
    path.join(EMU_DIR, 'ecs_emulator.py'),
    '--port', '0', '--port-file', portFile,
    '--tls-cert', path.join(caDir, 'server.pem'), '--tls-key', path.join(caDir, 'server.key'),
    '--regions', String(N_REGIONS), '--images-per-region', String(IMAGES_PER_REGION), '--seed', String(SEED),
    '--create-seconds', '1', '--record', recordFile,
  ], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = null;
  emu.on('exit', (code, sig) => { exited = `exit ${code} ${sig || ''}`; });
  const deadline = Date.now() + 20000;
  for (;;) {
    if (exited) throw new Error(`emulator stopped (${exited}): ${fs.readFileSync(path.join(tmpDir, 'emulator.log'), 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) throw new Error('emulator did not write its port file within 20 s');
    let txt = '';
    try { txt = fs.readFileSync(portFile, 'utf8').trim(); } catch (e) { /* not yet */ }
    if (/^\d+$/.test(txt) && Number(txt) > 0) { emuPort = Number(txt); break; }
    await sleep(50);
  }
  emuHost = `127.0.0.1:${emuPort}`;
  for (;;) {
    try {
      const r = await rawRequest({ method: 'GET', urlPath: '/_emulator/stats' });
      if (r.status === 200) break;
    } catch (e) { /* not ready */ }
    if (exited) throw new Error(`emulator stopped (${exited})`);
    if (Date.now() > deadline) throw new Error('emulator did not answer within 20 s');
    await sleep(50);
  }
}

function stopEmulator() {
  if (emu && emu.exitCode === null && emu.signalCode === null) {
    try { emu.kill('SIGTERM'); } catch (e) { /* gone */ }
  }
}

function startRecorder() {
  recorder = https.createServer({
    cert: fs.readFileSync(path.join(caDir, 'server.pem')),
    key: fs.readFileSync(path.join(caDir, 'server.key')),
  }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      recorded.push({ method: req.method, url: req.url, headers, body: Buffer.concat(chunks) });
      const out = JSON.stringify({ RequestId: 'recorded', Code: 'Recorded', Message: 'captured by the conformance test' });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out), connection: 'close' });
      res.end(out);
    });
  });
  return new Promise((resolve, reject) => {
    recorder.on('error', reject);
    recorder.listen(0, '127.0.0.1', () => { recorderPort = recorder.address().port; resolve(); });
  });
}

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecs-conformance-'));
  if (process.env.ECS_CONF_CA_DIR) {
    caDir = process.env.ECS_CONF_CA_DIR;
  } else {
    caDir = path.join(tmpDir, 'ca');
    execFileSync('bash', [path.join(EMU_DIR, 'make_test_ca.sh'), caDir], { stdio: 'ignore' });
  }
  ca = fs.readFileSync(path.join(caDir, 'ca.pem'), 'utf8');
  process.on('exit', stopEmulator);
  await startEmulator();
  await startRecorder();
});

after(async () => {
  stopEmulator();
  if (recorder) await new Promise((r) => recorder.close(() => r()));
  if (emu && emu.exitCode === null && emu.signalCode === null) {
    await Promise.race([new Promise((r) => emu.once('exit', r)), sleep(3000)]);
    if (emu.exitCode === null && emu.signalCode === null) emu.kill('SIGKILL');
  }
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

const REGIONS = REGION_LIST.slice(0, N_REGIONS);

// ---------------------------------------------------------------- 0. TLS

test('TLS verification is on: without our CA both SDKs refuse the emulator\'s certificate', async (t) => {
  assert.notEqual(process.env.NODE_TLS_REJECT_UNAUTHORIZED, '0', 'NODE_TLS_REJECT_UNAUTHORIZED=0 must not be set');
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  const caBody = ca.replace(/-----[^-]+-----|\s/g, '');
  let extraText = '';
  try { extraText = extra ? fs.readFileSync(extra, 'utf8').replace(/\s/g, '') : ''; } catch (e) { /* unreadable */ }
  if (extraText.includes(caBody)) {
    t.skip('NODE_EXTRA_CA_CERTS holds the test CA');
    return;
  }
  const cfg = new $OpenApiUtil.Config({
    accessKeyId: OWNER.key, accessKeySecret: OWNER.secret, regionId: 'cn-hangzhou', endpoint: emuHost, protocol: 'https',
  });
  const certError = (err) => {
    assert.match(`${err.code} ${err.message}`, /CERT|certificate|self[- ]signed|verify/i, `a certificate error: ${err.code} ${err.message}`);
    return true;
  };
  await assert.rejects(new Ecs.default(cfg).describeRegionsWithOptions(new Ecs.DescribeRegionsRequest({}), runtime()), certError);
  const pc = new RPCClient({ accessKeyId: OWNER.key, accessKeySecret: OWNER.secret, endpoint: `https://${emuHost}`, apiVersion: '2014-05-26' });
  await assert.rejects(pc.request('DescribeRegions', {}), certError);
});

// ---------------------------------------------------------------- 1. ACS3 (default)

async function checkRegions(client) {
  const resp = await client.describeRegionsWithOptions(new Ecs.DescribeRegionsRequest({ acceptLanguage: 'en-US' }), runtime());
  assert.equal(resp.statusCode, 200);
  const regions = resp.body.regions.region.map((r) => r.regionId).sort();
  assert.deepEqual(regions, [...REGIONS].sort());
  for (const r of resp.body.regions.region) assert.ok(r.regionEndpoint, `${r.regionId} has a RegionEndpoint`);
}

async function checkPagingSdk(client, cred, region) {
  const want = await truthSelf(cred.id, region);
  assert.ok(want.length > PAGE_SIZE, `seed data gives ${cred.id} more than one page in ${region} (has ${want.length})`);
  const got = await pageAll(async (page) => {
    const resp = await client.describeImagesWithOptions(describeReq(region, page), runtime());
    assert.equal(resp.statusCode, 200);
    return sdkBodyToApi(resp.body);
  });
  assert.ok(got.pages >= 2, 'several pages');
  assert.equal(got.total, want.length, 'TotalCount equals the truth');
  assert.deepEqual(idStatusMap(got.images), idStatusMap(want), 'ids and statuses equal the truth');
  for (const i of got.images) assert.equal(i.alias, 'self');
}

function tagsOf(t) {
  const tags = (t.raw.Tags && t.raw.Tags.Tag) || [];
  return tags.map((x) => [x.TagKey, x.TagValue]);
}

// Filters whose values need percent-encoding: a space, '*' (sent raw, signed as %2A by
// the new SDK), ':' and non-ASCII text. Each must be accepted and applied.
async function checkFilters(client, region) {
  const want = await truthSelf(OWNER.id, region);
  // ImageName: a piece of a real name finds that image, and only the owner's images.
  const target = want.find((t) => typeof t.name === 'string' && t.name.length >= 6);
  assert.ok(target, 'an image with a name');
  const piece = target.name.slice(1, 6);
  const resp = await client.describeImagesWithOptions(describeReq(region, 1, { imageName: piece, pageSize: 100 }), runtime());
  assert.equal(resp.statusCode, 200);
  const found = ((resp.body.images && resp.body.images.image) || []);
  assert.ok(found.some((i) => i.imageId === target.id), `ImageName=${piece} finds ${target.id} (${target.name})`);
  for (const i of found) {
    assert.ok(want.some((t) => t.id === i.imageId), `${i.imageId} is the owner's`);
    assert.ok(i.imageName.toLowerCase().includes(piece.toLowerCase()), `${i.imageName} matches ${piece}`);
  }
  // A name with a space and '*' that no image has: accepted, and nothing matches.
  // Also the characters encodeURIComponent leaves alone but percentEncode does not.
  const odd = "no such image *'()!~";
  const none = await client.describeImagesWithOptions(describeReq(region, 1, { imageName: odd }), runtime());
  assert.equal(none.statusCode, 200);
  assert.equal(Number(none.body.totalCount), 0, `ImageName="${odd}" matches nothing`);
  // Tag.1.Key / Tag.1.Value with a space in the key and non-ASCII text in the value.
  const key = 'cost center';
  const value = '研发中心 Zürich';
  const tagged = want.filter((t) => tagsOf(t).some(([k, v]) => k === key && v === value));
  assert.ok(tagged.length > 0, `seed data tags an image ${key}=${value} in ${region}`);
  const byTag = await client.describeImagesWithOptions(describeReq(region, 1, {
    tag: [new Ecs.DescribeImagesRequestTag({ key, value })], pageSize: 100,
  }), runtime());
  assert.equal(byTag.statusCode, 200);
  assert.deepEqual(((byTag.body.images && byTag.body.images.image) || []).map((i) => i.imageId).sort(),
    tagged.map((t) => t.id).sort(), 'the tag filter finds exactly the tagged images');
  // A tag value with '*' that no image has: accepted, nothing matches.
  const byTag2 = await client.describeImagesWithOptions(describeReq(region, 1, {
    tag: [new Ecs.DescribeImagesRequestTag({ key, value: 'a b*c' })],
  }), runtime());
  assert.equal(byTag2.statusCode, 200);
  assert.equal(Number(byTag2.body.totalCount), 0, 'no image carries the tag value "a b*c"');
}

test('ACS3 (default signing): DescribeRegions lists the configured regions', async () => {
  await checkRegions(newClient(OWNER));
});

test('ACS3: DescribeImages pages (size 7) equal the truth in every region', async () => {
  const client = newClient(OWNER);
  for (const region of REGIONS) await checkPagingSdk(client, OWNER, region);
});

test('ACS3: ImageName and Tag filters (space, "*", non-ASCII) are accepted and applied', async () => {
  await checkFilters(newClient(OWNER), REGIONS[1]);
});

// ---------------------------------------------------------------- the real API's rules (issue 13)

test('SDK: DescribeRegions answers in Chinese unless AcceptLanguage asks for en-US or ja', async () => {
  const client = newClient(OWNER);
  const names = async (acceptLanguage) => {
    const req = new Ecs.DescribeRegionsRequest(acceptLanguage ? { acceptLanguage } : {});
    const resp = await client.describeRegionsWithOptions(req, runtime());
    return Object.fromEntries(resp.body.regions.region.map((r) => [r.regionId, r.localName]));
  };
  assert.equal((await names())['cn-hangzhou'], '华东1（杭州）');
  assert.equal((await names('zh-CN'))['cn-hangzhou'], '华东1（杭州）');
  assert.equal((await names('en-US'))['cn-hangzhou'], 'China (Hangzhou)');
  assert.equal((await names('ja'))['cn-hangzhou'], '中国（杭州）');
  await assertSdkError(names('fr'), 'InvalidAcceptLanguage.NotFound', 404);
});

test('SDK: no ImageOwnerAlias lists system, self and others images, never marketplace', async () => {
  const client = newClient(OWNER);
  const aliases = async (extra) => {
    const resp = await client.describeImagesWithOptions(new Ecs.DescribeImagesRequest(Object.assign({
      regionId: REGIONS[0], status: ALL_STATUSES.join(','), pageSize: 100,
    }, extra)), runtime());
    return new Set(resp.body.images.image.map((i) => i.imageOwnerAlias));
  };
  assert.deepEqual([...await aliases({})].sort(), ['others', 'self', 'system']);
  assert.deepEqual([...await aliases({ imageOwnerAlias: 'marketplace' })], ['marketplace']);
});

test('SDK endpoint map: each emulator region\'s RegionEndpoint is the host the official SDK picks', async () => {
  const script = 'import json, sys; sys.path.insert(0, sys.argv[1]); from ecsemu import regions as e; '
    + 'print(json.dumps({r[0]: [e.region_endpoint(r[0]), sorted(e.served_by(e.region_endpoint(r[0]))[1] or [r[0]])] for r in e.REGIONS}))';
  const emulator = JSON.parse(execFileSync(findPython(), ['-c', script, EMU_DIR], { encoding: 'utf8' }));
  assert.ok(Object.keys(emulator).length >= 30, 'the emulator knows 30 regions or more');
  for (const [region, [endpoint, served]] of Object.entries(emulator)) {
    const sdk = new Ecs.default(new $OpenApiUtil.Config({ accessKeyId: 'k', accessKeySecret: 's', regionId: region }));
    assert.equal(endpoint, sdk._endpoint, `${region}: RegionEndpoint is the SDK's host`);
    assert.ok(served.includes(region), `${region}: the emulator serves it at ${endpoint}`);
  }
});

test('SDK: unknown OSType, Architecture and Usage values are 404 errors', async () => {
  const client = newClient(OWNER);
  for (const [field, code] of [['OSType', 'InvalidOSType'], ['architecture', 'InvalidArchitecture'],
    ['usage', 'InvalidUsage']]) {
    const key = field === 'OSType' ? 'OSType' : field;
    await assertSdkError(client.describeImagesWithOptions(new Ecs.DescribeImagesRequest({
      regionId: REGIONS[0], [key]: 'Linux',
    }), runtime()), code, 404);
  }
});

// ---------------------------------------------------------------- 2. RPC via the new SDK

test('RPC (signatureAlgorithm v2): DescribeRegions lists the configured regions', async () => {
  await checkRegions(newClient(OWNER, { v2: true }));
});

test('RPC (v2): DescribeImages pages (size 7) equal the truth in every region', async () => {
  const client = newClient(OWNER, { v2: true });
  for (const region of REGIONS) await checkPagingSdk(client, OWNER, region);
});

test('RPC (v2): ImageName and Tag filters (space, "*", non-ASCII) are accepted and applied', async () => {
  await checkFilters(newClient(OWNER, { v2: true }), REGIONS[2]);
});

// ---------------------------------------------------------------- 3. pop-core

async function checkPop(method) {
  const pc = newPop(OWNER);
  const region = REGIONS[0];
  const want = await truthSelf(OWNER.id, region);
  const got = await pageAll((page) => pc.request('DescribeImages', {
    RegionId: region, Status: ALL_STATUSES.join(','), ImageOwnerAlias: 'self', PageSize: PAGE_SIZE, PageNumber: page,
  }, method ? { method } : {}));
  assert.equal(got.total, want.length);
  assert.deepEqual(idStatusMap(got.images), idStatusMap(want));
  // Without Status only Available images are listed (the API's default).
  const avail = want.filter((t) => t.status === 'Available');
  assert.ok(avail.length < want.length, 'seed data has images in other states');
  const dflt = await pageAll((page) => pc.request('DescribeImages', {
    RegionId: region, ImageOwnerAlias: 'self', PageSize: PAGE_SIZE, PageNumber: page,
  }, method ? { method } : {}));
  assert.deepEqual(idStatusMap(dflt.images), idStatusMap(avail), 'no Status: Available only');
  const regions = await pc.request('DescribeRegions', {}, method ? { method } : {});
  assert.deepEqual(regions.Regions.Region.map((r) => r.RegionId).sort(), [...REGIONS].sort());
  // A name filter with '*' and a space (pop-core sends %2A and %20 on the wire).
  const f = await pc.request('DescribeImages', {
    RegionId: region, Status: ALL_STATUSES.join(','), ImageOwnerAlias: 'self', ImageName: 'no such image*', PageSize: 10,
  }, method ? { method } : {});
  assert.equal(Number(f.TotalCount), 0);
}

test('pop-core GET (RPC HMAC-SHA1, query string): DescribeImages pages equal the truth', async () => {
  await checkPop(null);
});

test('pop-core POST (RPC HMAC-SHA1, form body): DescribeImages pages equal the truth', async () => {
  await checkPop('POST');
});

// ---------------------------------------------------------------- 4. signature stats

test('stats: each client used the signature scheme it is meant to', async () => {
  const region = REGIONS[0];
  const one = async (fn) => {
    const a = signatureCounts(await stats());
    await fn();
    const b = signatureCounts(await stats());
    return countDelta(a, b);
  };
  const dAcs3 = await one(() => newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime()));
  const dV2 = await one(() => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, 1), runtime()));
  const dGet = await one(() => newPop(OWNER).request('DescribeImages', { RegionId: region }));
  const dPost = await one(() => newPop(OWNER).request('DescribeImages', { RegionId: region }, { method: 'POST' }));
  for (const [name, d, pred] of [['ACS3', dAcs3, isAcs3Key], ['SDK v2', dV2, isRpcKey], ['pop GET', dGet, isRpcKey], ['pop POST', dPost, isRpcKey]]) {
    const keys = Object.keys(d);
    assert.equal(keys.length, 1, `${name}: exactly one signature counter moved: ${JSON.stringify(d)}`);
    assert.ok(pred(keys[0]), `${name}: counter ${keys[0]} is the expected scheme`);
    assert.equal(d[keys[0]], 1, `${name}: counted once`);
  }
  assert.notEqual(Object.keys(dAcs3)[0], Object.keys(dV2)[0], 'ACS3 and RPC are counted apart');
});

// ---------------------------------------------------------------- 5. tampering

test('capture and replay: an untouched captured request is accepted (ACS3, RPC query, RPC form)', async () => {
  const region = REGIONS[0];
  const recs = [
    await capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(region, 1, { imageName: 'a b*' }), runtime())),
    await capture(() => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, 1), runtime())),
    await capture(() => newPop(OWNER).request('DescribeImages', { RegionId: region, PageSize: PAGE_SIZE }, { method: 'POST' })),
  ];
  assert.ok(header(recs[0], 'authorization').startsWith('ACS3-HMAC-SHA256 '), 'the default SDK signs with ACS3');
  assert.ok(recs[0].url.includes('*'), 'the new SDK sends "*" unescaped on the wire');
  assert.ok(/[?&]Signature=/.test(recs[1].url), 'v2 puts Signature in the query');
  assert.ok(/(^|&)Signature=/.test(recs[2].body.toString()), 'pop-core POST puts Signature in the body');
  for (const rec of recs) {
    const r = await replay(rec);
    assert.equal(r.status, 200, `replay accepted: ${r.text.slice(0, 300)}`);
    assert.ok(r.json && r.json.RequestId && r.json.TotalCount !== undefined);
  }
});

test('tamper (a): one changed parameter byte -> SignatureDoesNotMatch (ACS3)', async () => {
  const rec = await capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()));
  const r = await replay(rec, (q) => { q.url = flipParam(q.url, 'PageSize'); });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  // The untouched request still passes: the failure above came from the changed byte.
  assert.equal((await replay(rec)).status, 200);
});

test('tamper (a): one changed parameter byte -> SignatureDoesNotMatch (RPC query, SDK v2)', async () => {
  const rec = await capture(() => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()));
  const r = await replay(rec, (q) => { q.url = flipParam(q.url, 'PageSize'); });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  assert.equal((await replay(rec)).status, 200);
});

test('tamper (a): one changed parameter byte -> SignatureDoesNotMatch (RPC form body, pop-core POST)', async () => {
  const rec = await capture(() => newPop(OWNER).request('DescribeImages', { RegionId: REGIONS[0], PageSize: PAGE_SIZE }, { method: 'POST' }));
  const r = await replay(rec, (q) => { q.body = Buffer.from(flipParam(q.body.toString(), 'PageSize')); });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  assert.equal((await replay(rec)).status, 200);
});

test('tamper (a): one changed parameter byte -> SignatureDoesNotMatch (RPC GET, pop-core)', async () => {
  const rec = await capture(() => newPop(OWNER).request('DescribeImages', { RegionId: REGIONS[0], PageSize: PAGE_SIZE }));
  const r = await replay(rec, (q) => { q.url = flipParam(q.url, 'PageSize'); });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  assert.equal((await replay(rec)).status, 200);
});

test('tamper: ACS3 x-acs-content-sha256 header changed -> rejected', async () => {
  const rec = await capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()));
  const h = header(rec, 'x-acs-content-sha256');
  assert.equal(h, crypto.createHash('sha256').update('').digest('hex'));
  const r = await replay(rec, (q) => { setHeader(q, 'x-acs-content-sha256', crypto.createHash('sha256').update('x').digest('hex')); });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  assert.equal((await replay(rec)).status, 200);
});

// DescribeImages through the generic callApi with an ACS3-signed form body: the body is
// hashed into x-acs-content-sha256 (and content-type is signed), not put in the query.
function acs3FormCall(cred, region) {
  const client = newClient(cred);
  const params = new $OpenApiUtil.Params({
    action: 'DescribeImages', version: '2014-05-26', protocol: 'HTTPS', pathname: '/', method: 'POST',
    authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
  });
  const request = new $OpenApiUtil.OpenApiRequest({
    query: { RegionId: region },
    body: { ImageOwnerAlias: 'self', Status: ALL_STATUSES.join(','), PageSize: String(PAGE_SIZE), PageNumber: '2' },
  });
  return client.callApi(params, request, runtime());
}

test('ACS3 with a form body: accepted, and the body parameters are applied', async () => {
  const region = REGIONS[0];
  const want = await truthSelf(OWNER.id, region);
  const resp = await acs3FormCall(OWNER, region);
  assert.equal(resp.statusCode, 200);
  assert.equal(Number(resp.body.PageNumber), 2, 'PageNumber from the body');
  assert.equal(Number(resp.body.PageSize), PAGE_SIZE, 'PageSize from the body');
  assert.equal(Number(resp.body.TotalCount), want.length, 'Status and ImageOwnerAlias from the body');
  const rec = await capture(() => acs3FormCall(OWNER, region));
  assert.ok(rec.body.length > 0 && rec.url.indexOf('PageSize') < 0, 'the parameters travel in the body');
  assert.equal(header(rec, 'x-acs-content-sha256'), crypto.createHash('sha256').update(rec.body).digest('hex'));
  assert.match(header(rec, 'authorization'), /SignedHeaders=[^,]*content-type/);
  assert.equal((await replay(rec)).status, 200, 'the untouched body passes');
});

test('tamper: ACS3 body changed by one byte (hash header kept) -> SignatureDoesNotMatch', async () => {
  const rec = await capture(() => acs3FormCall(OWNER, REGIONS[0]));
  const r = await replay(rec, (q) => { q.body = Buffer.from(flipParam(q.body.toString(), 'PageSize')); });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  assert.equal((await replay(rec)).status, 200);
});

test('tamper: ACS3 body changed and x-acs-content-sha256 recomputed to match -> SignatureDoesNotMatch', async () => {
  const rec = await capture(() => acs3FormCall(OWNER, REGIONS[0]));
  const r = await replay(rec, (q) => {
    q.body = Buffer.from(flipParam(q.body.toString(), 'PageSize'));
    setHeader(q, 'x-acs-content-sha256', crypto.createHash('sha256').update(q.body).digest('hex'));
  });
  assertApiError(r, 'SignatureDoesNotMatch', 400);
  assert.equal((await replay(rec)).status, 200);
});

test('tamper: a body added to a signed ACS3 request with an empty body -> rejected', async () => {
  const rec = await capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()));
  const r = await replay(rec, (q) => {
    q.body = Buffer.from('PageSize=6');
    q.headers.push(['content-type', 'application/x-www-form-urlencoded']);
  });
  // content-type is not among the signed headers: IncompleteSignature; a server that
  // checks the body hash first would say SignatureDoesNotMatch.
  assert.ok(r.json && ['IncompleteSignature', 'SignatureDoesNotMatch'].includes(r.json.Code),
    `rejected: ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.status, 400);
  assert.equal((await replay(rec)).status, 200);
});

test('tamper (b): wrong secret -> SignatureDoesNotMatch (ACS3, RPC v2, pop-core)', async () => {
  const bad = Object.assign({}, OWNER, { secret: 'emu-owner-secret-0002' });
  await assertSdkError(newClient(bad).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()), 'SignatureDoesNotMatch', 400);
  await assertSdkError(newClient(bad, { v2: true }).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()), 'SignatureDoesNotMatch', 400);
  await assertPopError(newPop(bad).request('DescribeImages', { RegionId: REGIONS[0] }), 'SignatureDoesNotMatch', 400);
  // The peer's secret with the owner's key id is wrong too.
  await assertSdkError(newClient(Object.assign({}, OWNER, { secret: PEER.secret })).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()),
    'SignatureDoesNotMatch', 400);
});

test('tamper (c): unknown AccessKeyId -> InvalidAccessKeyId.NotFound (ACS3, RPC v2, pop-core)', async () => {
  const unknown = { id: '0', key: 'LTAI5tEmuNobody00000009', secret: OWNER.secret };
  // ECS's error table gives 400; other products answer 404 for the same code.
  await assertSdkError(newClient(unknown).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()), 'InvalidAccessKeyId.NotFound', [400, 404]);
  await assertSdkError(newClient(unknown, { v2: true }).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()), 'InvalidAccessKeyId.NotFound', [400, 404]);
  await assertPopError(newPop(unknown).request('DescribeImages', { RegionId: REGIONS[0] }), 'InvalidAccessKeyId.NotFound', [400, 404]);
});

test('tamper (d): a reused nonce -> SignatureNonceUsed (ACS3, RPC query, RPC form)', async () => {
  const region = REGIONS[0];
  const recs = [
    await capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime())),
    await capture(() => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, 1), runtime())),
    await capture(() => newPop(OWNER).request('DescribeImages', { RegionId: region }, { method: 'POST' })),
  ];
  for (const rec of recs) {
    const first = await replay(rec);
    assert.equal(first.status, 200, `first use accepted: ${first.text.slice(0, 300)}`);
    const second = await replay(rec);
    assertApiError(second, 'SignatureNonceUsed', 400);
  }
  // The SDK itself, sending its own request and then the same bytes again.
  const origRequest = https.request;
  let sent = null;
  https.request = function patched(options, ...rest) {
    const req = origRequest.call(this, options, ...rest);
    const origEnd = req.end;
    req.end = function end(body, ...more) {
      sent = { method: options.method, url: options.path, headers: Object.entries(req.getHeaders()), body: Buffer.from(body || '') };
      return origEnd.call(this, body, ...more);
    };
    return req;
  };
  let ok;
  try {
    ok = await newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime());
  } finally {
    https.request = origRequest;
  }
  assert.equal(ok.statusCode, 200);
  assert.ok(sent, 'saw the SDK request');
  assertApiError(await replay(sent), 'SignatureNonceUsed', 400);
});

// Runs fn with both SDKs' nonce generators returning `nonce`, so that two different,
// correctly signed requests carry the same SignatureNonce.
async function withFixedNonce(nonce, fn) {
  const coreUtils = require('@alicloud/openapi-core/dist/utils').default;
  const popKitx = require(require.resolve('kitx', { paths: [path.dirname(require.resolve('@alicloud/pop-core'))] }));
  const origCore = coreUtils.getNonce;
  const origPop = popKitx.makeNonce;
  coreUtils.getNonce = () => nonce;
  popKitx.makeNonce = () => nonce;
  try {
    return await fn();
  } finally {
    coreUtils.getNonce = origCore;
    popKitx.makeNonce = origPop;
  }
}

test('tamper (d): the same nonce in a different, correctly signed request -> SignatureNonceUsed', async () => {
  const region = REGIONS[0];
  const cases = [
    ['ACS3', (page) => newClient(OWNER).describeImagesWithOptions(describeReq(region, page), runtime()), assertSdkError],
    ['RPC v2', (page) => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, page), runtime()), assertSdkError],
    ['pop-core', (page) => newPop(OWNER).request('DescribeImages', { RegionId: region, PageNumber: page }), assertPopError],
  ];
  for (const [name, call, assertErr] of cases) {
    const nonce = crypto.randomBytes(16).toString('hex');
    await withFixedNonce(nonce, async () => {
      await call(1);                       // first use: accepted
      await assertErr(call(2), 'SignatureNonceUsed', 400);
    });
    // A fresh nonce works again.
    await call(2);
    assert.ok(name);
  }
});

test('tamper: other one-place changes are all rejected with SignatureDoesNotMatch', async () => {
  const region = REGIONS[0];
  const acs3 = () => capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime()));
  const rpc = () => capture(() => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, 1), runtime()));
  const popGet = () => capture(() => newPop(OWNER).request('DescribeImages', { RegionId: region, PageSize: PAGE_SIZE }));
  const flipSig = (v) => v.slice(0, 2) + String.fromCharCode(v.charCodeAt(2) ^ 1) + v.slice(3);
  const cases = [
    ['ACS3: a parameter appended to the query', acs3, (q) => { q.url += '&PageNumber=2'; }],
    ['ACS3: a parameter removed from the query', acs3, (q) => { q.url = q.url.replace(/([?&])PageSize=\d+&?/, '$1').replace(/[?&]$/, ''); }],
    ['ACS3: method changed POST -> GET', acs3, (q) => { q.method = q.method === 'POST' ? 'GET' : 'POST'; }],
    ['ACS3: Host header changed', acs3, (q) => { setHeader(q, 'host', `localhost:${emuPort}`); }],
    ['ACS3: x-acs-action changed', acs3, (q) => { setHeader(q, 'x-acs-action', 'DescribeImageS'); }],
    ['ACS3: one byte of the signature', acs3, (q) => {
      setHeader(q, 'authorization', header(q, 'authorization').replace(/Signature=(.*)$/, (m, sig) => `Signature=${flipSig(sig)}`));
    }],
    ['RPC: a parameter appended to the query', rpc, (q) => { q.url += '&PageNumber=2'; }],
    ['RPC: method changed POST -> GET', rpc, (q) => { q.method = q.method === 'POST' ? 'GET' : 'POST'; }],
    ['RPC: one byte of the signature', rpc, (q) => { q.url = q.url.replace(/Signature=([^&]*)/, (m, sig) => `Signature=${flipSig(sig)}`); }],
    ['RPC: the AccessKeyId swapped for the peer\'s', rpc, (q) => { q.url = q.url.replace(OWNER.key, PEER.key); }],
    ['pop-core GET: method changed GET -> POST', popGet, (q) => { q.method = 'POST'; }],
    ['pop-core GET: Timestamp moved one second', popGet, (q) => {
      q.url = q.url.replace(/Timestamp=([^&]*)/, (m, v) => {
        const t = new Date(Date.parse(decodeURIComponent(v)) + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        return `Timestamp=${encodeURIComponent(t)}`;
      });
    }],
  ];
  for (const [name, get, edit] of cases) {
    const rec = await get();
    const r = await replay(rec, edit);
    assert.ok(r.json && r.json.Code === 'SignatureDoesNotMatch' && r.status === 400,
      `${name}: ${r.status} ${r.text.slice(0, 300)}`);
    assert.equal((await replay(rec)).status, 200, `${name}: the untouched request passes`);
  }
});

test('tamper (e): a properly signed 25-minute-old request -> InvalidTimeStamp.Expired', async () => {
  const region = REGIONS[0];
  // ACS3: check that the faked clock really went into x-acs-date.
  const rec = await withClockOffset(-STALE_MS, () => capture(() => newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime())));
  assert.ok(Math.abs(Date.now() - STALE_MS - signedTime(rec)) < 60000, 'x-acs-date is 25 minutes old');
  const recRpc = await withClockOffset(-STALE_MS, () => capture(() => newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, 1), runtime())));
  assert.ok(Math.abs(Date.now() - STALE_MS - signedTime(recRpc)) < 60000, 'Timestamp is 25 minutes old');
  assertApiError(await replay(rec), 'InvalidTimeStamp.Expired', 400);
  assertApiError(await replay(recRpc), 'InvalidTimeStamp.Expired', 400);
  // And straight through the SDKs.
  await withClockOffset(-STALE_MS, async () => {
    await assertSdkError(newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime()), 'InvalidTimeStamp.Expired', 400);
    await assertSdkError(newClient(OWNER, { v2: true }).describeImagesWithOptions(describeReq(region, 1), runtime()), 'InvalidTimeStamp.Expired', 400);
    await assertPopError(newPop(OWNER).request('DescribeImages', { RegionId: region }), 'InvalidTimeStamp.Expired', 400);
  });
  // The clock is back: the same clients work again.
  const back = await newClient(OWNER).describeImagesWithOptions(describeReq(region, 1), runtime());
  assert.equal(back.statusCode, 200);
});

test('tamper (e): a request signed 25 minutes in the future -> InvalidTimeStamp.Expired', async () => {
  await withClockOffset(STALE_MS, async () => {
    await assertSdkError(newClient(OWNER).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime()), 'InvalidTimeStamp.Expired', 400);
    await assertPopError(newPop(OWNER).request('DescribeImages', { RegionId: REGIONS[0] }), 'InvalidTimeStamp.Expired', 400);
  });
});

test('a request signed 5 minutes ago (inside the 15-minute window) is accepted', async () => {
  await withClockOffset(-5 * 60 * 1000, async () => {
    const r = await newClient(OWNER).describeImagesWithOptions(describeReq(REGIONS[0], 1), runtime());
    assert.equal(r.statusCode, 200);
    const p = await newPop(OWNER).request('DescribeImages', { RegionId: REGIONS[0] });
    assert.ok(p.RequestId);
  });
});

// ---------------------------------------------------------------- 6. second account

// `viewer` lists ImageOwnerAlias=others; it must see exactly the images of `sharer` that
// the truth says are shared with it (seed data: only these two accounts share), each
// as "others", and none of the sharer's unshared images.
async function checkOthers(viewer, sharer) {
  const client = newClient(viewer);
  let sharedTotal = 0;
  let hiddenTotal = 0;
  for (const region of REGIONS) {
    const sharerTruth = await truthSelf(sharer.id, region);
    for (const t of sharerTruth) assert.ok(Array.isArray(t.raw.shared_with), `truth of ${t.id} lists shared_with`);
    const visible = sharerTruth.filter((t) => t.sharedWith.includes(viewer.id));
    const hidden = sharerTruth.filter((t) => !t.sharedWith.includes(viewer.id));
    const got = await pageAll(async (page) => {
      const resp = await client.describeImagesWithOptions(describeReq(region, page, { imageOwnerAlias: 'others' }), runtime());
      assert.equal(resp.statusCode, 200);
      return sdkBodyToApi(resp.body);
    });
    for (const i of got.images) assert.equal(i.alias, 'others', `${i.id} is listed as others`);
    const fromSharer = got.images.filter((i) => sharerTruth.some((t) => t.id === i.id));
    assert.deepEqual(idStatusMap(fromSharer), idStatusMap(visible), `${region}: the shared images ${viewer.id} sees equal the truth`);
    for (const h of hidden) assert.ok(!got.images.some((i) => i.id === h.id), `${h.id} is not shared and not listed`);
    const own = await truthSelf(viewer.id, region);
    for (const o of own) assert.ok(!got.images.some((i) => i.id === o.id), `${o.id} (the viewer's own) is not "others"`);
    assert.equal(fromSharer.length, got.images.length, `${region}: only ${sharer.id}'s shared images are listed`);
    // The truth seen from the viewer's side (visible_to) agrees.
    const seen = truthList(await emuGet(`/_emulator/images?region=${region}&visible_to=${viewer.id}`)).map(normTruth)
      .filter((t) => t.owner === sharer.id && ALL_STATUSES.includes(t.status));
    assert.deepEqual(idStatusMap(seen), idStatusMap(visible), `${region}: visible_to truth agrees`);
    sharedTotal += visible.length;
    hiddenTotal += hidden.length;
  }
  assert.ok(sharedTotal > 0, `seed data shares at least one ${sharer.id} image with ${viewer.id}`);
  assert.ok(hiddenTotal > 0, `seed data keeps some ${sharer.id} images unshared`);
}

test('peer account: sees the owner\'s shared images as "others", never the unshared ones', async () => {
  await checkOthers(PEER, OWNER);
});

test('owner account: sees the peer\'s shared images as "others", never the unshared ones', async () => {
  await checkOthers(OWNER, PEER);
});

test('peer account: ImageOwnerAlias=self lists the peer\'s own images only (truth)', async () => {
  const region = REGIONS[0];
  const own = await truthSelf(PEER.id, region);
  const peer = newClient(PEER, { v2: true });
  const got = await pageAll(async (page) => sdkBodyToApi((await peer.describeImagesWithOptions(describeReq(region, page), runtime())).body));
  assert.deepEqual(idStatusMap(got.images), idStatusMap(own));
  const owner = await truthSelf(OWNER.id, region);
  for (const o of owner) assert.ok(!got.images.some((i) => i.id === o.id), `${o.id} (owner's) is not the peer's "self"`);
});

// ---------------------------------------------------------------- 7. ecs_image_fdw sends what the SDKs send
//
// With PostgreSQL at hand (PGHOST set, as test/run_tests.sh sets it, and ecs_image_fdw
// installed), extension_requests.sql makes the extension call every action it uses
// against this emulator, once with ACS3 and once with RPC v1; the emulator records each
// request as it arrived (--record). Then the official client builds the same request
// from the same parameters: @alicloud/ecs20140526 (ACS3; OOS, which has no npm SDK, goes
// through the same openapi-core client with the generated SDKs' parameters), and
// @alicloud/pop-core (RPC v1, POST; also STS AssumeRole, which the extension sends as RPC
// v1 whatever the signature version, and whose session token then signs a scan). Method, target (path and query), body and headers
// must be equal byte for byte, except the nonce, the date and the signature, which are
// fresh in each, and the headers that describe the client and not the request:
// User-Agent, x-sdk-client (pop-core), Accept-Encoding (libcurl's compressed answers),
// Connection, and x-acs-credentials-provider (sent by the SDK's credential chain; the
// SDK client here uses a plain key, as the extension does). The Host header is compared
// by its value only: libcurl always writes it first and as "Host" (the ACS3 SDK writes
// "host" first, pop-core "Host" after content-type; names are case-insensitive in HTTP
// and signed lower-cased).

const EXTENSION_ACTIONS = ['DescribeRegions', 'DescribeImages', 'DescribeImageSharePermission',
  'DescribeTasks', 'DescribeTaskAttribute', 'CreateImage', 'ImportImage', 'CopyImage',
  'CancelCopyImage', 'ModifyImageSharePermission', 'ModifyImageAttribute', 'ExportImage',
  'DeleteImage', 'StartExecution', 'ListExecutions', 'AssumeRole'];
const CLIENT_HEADERS = new Set(['user-agent', 'x-sdk-client', 'accept-encoding', 'connection',
  'x-acs-credentials-provider']);

function psqlScript(db, env) {
  execFileSync('psql', ['-X', '-q', '-d', 'postgres', '-c', `DROP DATABASE IF EXISTS ${db}`,
    '-c', `CREATE DATABASE ${db}`], { stdio: 'ignore' });
  return execFileSync('psql', ['-X', '-q', '-At', '-d', db, '-f', path.join(__dirname, 'extension_requests.sql')],
    { env: Object.assign({}, process.env, env), encoding: 'utf8' });
}

// One recorded request, in a form where only what must be equal is left.
function comparable(rec) {
  const mask = (s) => s.replace(/(Signature=)[^&,\s]*/g, '$1<signature>')
    .replace(/((?:^|&)(?:SignatureNonce|Timestamp)=)[^&]*/g, '$1<fresh>')
    .replace(/((?:^|&)SecurityToken=)[^&]*/g, '$1<token>');
  const headers = rec.headers
    .filter(([k]) => !CLIENT_HEADERS.has(k.toLowerCase()))
    .map(([k, v]) => {
      const lk = k.toLowerCase();
      if (lk === 'x-acs-date' || lk === 'x-acs-signature-nonce') return [k, '<fresh>'];
      if (lk === 'content-length' && rec.body.length > 0) return [k, '<length>'];
      if (lk === 'x-acs-security-token') return [k, '<token>'];
      return [k, mask(v)];
    });
  // libcurl writes the Host header itself: first, and as "Host"
  const host = headers.filter(([k]) => k.toLowerCase() === 'host').map(([, v]) => v);
  return {
    method: rec.method, target: mask(rec.target), host,
    headers: headers.filter(([k]) => k.toLowerCase() !== 'host'), body: mask(rec.body),
  };
}

// "Tag.1.Key" = "k" ... -> { Tag: [ { Key: "k" } ] }
function nest(pairs) {
  const root = {};
  for (const [name, value] of pairs) {
    const parts = name.split('.');
    let cur = root;
    parts.forEach((p, i) => {
      const key = /^\d+$/.test(p) ? Number(p) - 1 : p;
      if (i === parts.length - 1) cur[key] = value;
      else cur = (cur[key] = cur[key] || (/^\d+$/.test(parts[i + 1]) ? [] : {}));
    });
  }
  return root;
}

// A Tea model of class Cls from API-named values, through the model's own name map.
function toModel(Cls, obj) {
  const names = Cls.names();
  const types = Cls.types();
  const fields = {};
  const used = new Set();
  for (const [field, apiName] of Object.entries(names)) {
    if (obj[apiName] === undefined) continue;
    used.add(apiName);
    fields[field] = convert(types[field], obj[apiName]);
  }
  for (const k of Object.keys(obj)) assert.ok(used.has(k), `${Cls.name} has a field for ${k}`);
  return new Cls(fields);
}

function convert(type, v) {
  if (type === 'number') return Number(v);
  if (type === 'boolean') return v === 'true';
  if (type && type.type === 'array') return v.map((x) => convert(type.itemType, x));
  if (typeof type === 'function') return toModel(type, v);
  return v;
}

// An ECS client with a plain key (or an STS key and token): the key id of the request
// compared; the secret does not matter, as signatures are not compared.
function sdkClientPlain(accessKeyId, securityToken) {
  const key = securityToken ? { accessKeyId, accessKeySecret: 'not-compared', securityToken, type: 'sts' }
    : { accessKeyId, accessKeySecret: 'not-compared', type: 'access_key' };
  return new Ecs.default(new $OpenApiUtil.Config({
    credential: { getCredential: async () => key }, regionId: 'cn-hangzhou', endpoint: emuHost, protocol: 'https', ca,
  }));
}

// The official client's request for the action and parameters of an ACS3 one.
async function sdkAcs3Request(client, action, version, pairs) {
  if (version === '2014-05-26') {
    const Req = Ecs[`${action}Request`];
    const method = `${action[0].toLowerCase()}${action.slice(1)}WithOptions`;
    return capture(() => client[method](toModel(Req, nest(pairs)), runtime()));
  }
  // OOS: what the generated oos20190601 client does (its query map is in the model's,
  // alphabetical, order), through the same openapi-core client
  const query = {};
  for (const [k, v] of [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) query[k] = v;
  const params = new $OpenApiUtil.Params({
    action, version, protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK',
    style: 'RPC', reqBodyType: 'formData', bodyType: 'json',
  });
  const { OpenApiUtil } = require('@alicloud/openapi-core');
  return capture(() => client.callApi(params, new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) }), runtime()));
}

const V1_COMMON = new Set(['AccessKeyId', 'Action', 'Format', 'SignatureMethod', 'SignatureNonce',
  'SignatureVersion', 'Timestamp', 'Version', 'Signature', 'SecurityToken']);

test('ecs_image_fdw: every action\'s request equals the official SDK\'s, byte for byte (ACS3 and RPC v1)', async (t) => {
  if (!process.env.PGHOST) {
    t.skip('no PostgreSQL (PGHOST) to run the extension in');
    return;
  }
  const seed = await emuGet('/_emulator/seed');
  const instance = seed.instances.find((i) => i.OwnerId === OWNER.id && i.RegionId === 'cn-hangzhou' && i.Status === 'Running');
  assert.ok(instance, 'a running instance of the owner');
  const readRecords = () => fs.readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const pop = (version, accessKeyId, securityToken) => new RPCClient({
    accessKeyId, accessKeySecret: 'not-compared', securityToken, endpoint: `https://${emuHost}`, apiVersion: version, opts: { ca, timeout: 10000 },
  });
  for (const sig of ['3', '1']) {
    const before = readRecords().length;
    psqlScript(`ecs_conformance_v${sig}`, {
      CONF_EMU_URL: `https://${emuHost}`, CONF_EMU_CA: path.join(caDir, 'ca.pem'), CONF_OWNER_SECRET: OWNER.secret,
      CONF_SIGNATURE_VERSION: sig, CONF_INSTANCE: instance.InstanceId,
    });
    const ours = readRecords().slice(before).filter((r) => r.headers.some(([k, v]) => k.toLowerCase() === 'user-agent' && v.startsWith('ecs_image_fdw/')));
    const seen = new Set();
    for (const rec of ours) {
      const head = (name) => (rec.headers.find(([k]) => k.toLowerCase() === name) || [])[1];
      let sdk;
      let action;
      // STS calls (AssumeRole) are RPC v1 whatever the server's signature_version
      if (/^ACS3/.test(head('authorization') || '')) {
        action = head('x-acs-action');
        const pairs = [...new URLSearchParams(rec.target.split('?')[1] || '')];
        const keyId = /Credential=([^,]*)/.exec(head('authorization'))[1];
        const client = sdkClientPlain(keyId, head('x-acs-security-token') && 'not-compared');
        sdk = await sdkAcs3Request(client, action, head('x-acs-version'), pairs);
      } else {
        const form = [...new URLSearchParams(rec.body)];
        const get = (name) => (form.find(([k]) => k === name) || [])[1];
        action = get('Action');
        const params = Object.fromEntries(form.filter(([k]) => !V1_COMMON.has(k)));
        const client = pop(get('Version'), get('AccessKeyId'), get('SecurityToken') && 'not-compared');
        sdk = await capture(() => client.request(action, params, { method: 'POST', formatParams: false }));
      }
      seen.add(action);
      // the recorder got it on its own port; pop-core's Host header says so
      const headers = sdk.headers.map(([k, v]) => [k, v.replace(`127.0.0.1:${recorderPort}`, emuHost)]);
      const theirs = comparable({ method: sdk.method, target: sdk.url, headers, body: sdk.body.toString('utf8') });
      assert.deepEqual(comparable(rec), theirs, `${action} (signature version ${sig}) as the official client sends it`);
    }
    assert.deepEqual([...seen].sort(), [...EXTENSION_ACTIONS].sort(), `every action was compared (signature version ${sig})`);
  }
});

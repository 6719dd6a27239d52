'use strict';
// Conformance of the emulator's STS (2015-04-01) and instance metadata service
// with the official npm packages: the STS SDK @alicloud/sts20150401 (AssumeRole,
// AssumeRoleWithOIDC, GetCallerIdentity) and the credentials library
// @alicloud/credentials (its RAM-role-ARN, OIDC and ECS-RAM-role providers, which
// are what applications use to get temporary credentials).
//
// The emulator runs over HTTPS (TLS verified against the test CA) and serves the
// metadata service over plain HTTP on a second loopback port; the ECS RAM role
// provider, which always asks http://100.100.100.200, has its request function
// pointed at that port (its "for mock" hook).  No secret or token is ever printed.
//
// Environment: the same as conformance.test.js (ECS_CONF_CA_DIR, ECS_CONF_PYTHON,
// ECS_CONF_EMU_DIR).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const https = require('node:https');
const { spawn, execFileSync } = require('node:child_process');

const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');
const Credentials = require('@alicloud/credentials');

const REPO = path.resolve(__dirname, '..', '..');
const EMU_DIR = process.env.ECS_CONF_EMU_DIR || path.join(REPO, 'test', 'emulator');

const OWNER = { id: '1234567890123456', key: 'LTAI5tEmuOwner0000000001', secret: 'emu-owner-secret-0001' };
const PEER_ID = '2345678901234567';
const AUDITOR = `acs:ram::${PEER_ID}:role/image-auditor`;
const PEER_ADMIN = `acs:ram::${PEER_ID}:role/image-admin`;
const RRSA = `acs:ram::${OWNER.id}:role/rrsa-image-reader`;
const PROVIDER = `acs:ram::${OWNER.id}:oidc-provider/ack-rrsa-c0emu`;

let tmpDir;
let caDir;
let ca;
let emu;
let emuPort;
let emuHost;
let mdPort;

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function findPython() {
  if (process.env.ECS_CONF_PYTHON) return process.env.ECS_CONF_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

// A JSON control request to the emulator (HTTPS, verified).
function control(method, urlPath, doc) {
  return new Promise((resolve, reject) => {
    const body = doc === undefined ? '' : JSON.stringify(doc);
    const req = https.request({
      host: '127.0.0.1', port: emuPort, method, path: urlPath, ca, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${text.slice(0, 200)}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitForFile(file, deadline) {
  for (;;) {
    let txt = '';
    try { txt = fs.readFileSync(file, 'utf8').trim(); } catch (e) { /* not yet */ }
    if (/^\d+$/.test(txt) && Number(txt) > 0) return Number(txt);
    if (emu.exitCode !== null) throw new Error('the emulator stopped');
    if (Date.now() > deadline) throw new Error(`${file} was not written within 20 s`);
    await sleep(50);
  }
}

before(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecs-sts-conformance-'));
  if (process.env.ECS_CONF_CA_DIR) {
    caDir = process.env.ECS_CONF_CA_DIR;
  } else {
    caDir = path.join(tmpDir, 'ca');
    execFileSync('bash', [path.join(EMU_DIR, 'make_test_ca.sh'), caDir], { stdio: 'ignore' });
  }
  ca = fs.readFileSync(path.join(caDir, 'ca.pem'), 'utf8');
  const log = fs.openSync(path.join(tmpDir, 'emulator.log'), 'w');
  emu = spawn(findPython(), [
    path.join(EMU_DIR, 'ecs_emulator.py'), '--port', '0',
    '--port-file', path.join(tmpDir, 'port'), '--metadata-port-file', path.join(tmpDir, 'md-port'),
    '--tls-cert', path.join(caDir, 'server.pem'), '--tls-key', path.join(caDir, 'server.key'),
    '--regions', '2', '--images-per-region', '4',
  ], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  process.on('exit', () => { if (emu.exitCode === null) emu.kill('SIGTERM'); });
  const deadline = Date.now() + 20000;
  mdPort = await waitForFile(path.join(tmpDir, 'md-port'), deadline);
  emuPort = await waitForFile(path.join(tmpDir, 'port'), deadline);
  emuHost = `127.0.0.1:${emuPort}`;
  // The credentials library (through httpx) passes an empty CA list of its own; for
  // its requests to the emulator, trust the test CA instead (TLS stays verified).
  const request = https.request;
  https.request = function (options, ...rest) {
    if (options && typeof options === 'object' && options.host === '127.0.0.1' &&
        Number(options.port) === emuPort && !options.ca) {
      options = Object.assign({}, options, { ca });
    }
    return request.call(this, options, ...rest);
  };
});

after(async () => {
  if (emu && emu.exitCode === null) {
    emu.kill('SIGTERM');
    await Promise.race([new Promise((r) => emu.once('exit', r)), sleep(3000)]);
  }
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

function runtime() {
  return new RuntimeOptions({ autoretry: false, maxAttempts: 1, readTimeout: 10000, connectTimeout: 5000 });
}

// An STS client; cred null makes an anonymous one (for AssumeRoleWithOIDC).
function stsClient(cred) {
  const cfg = new $OpenApiUtil.Config({ endpoint: emuHost, protocol: 'https', ca, regionId: 'cn-hangzhou' });
  if (cred) {
    cfg.accessKeyId = cred.accessKeyId;
    cfg.accessKeySecret = cred.accessKeySecret;
    if (cred.securityToken) cfg.securityToken = cred.securityToken;
    if (cred.securityToken) cfg.type = 'sts';
  }
  return new Sts.default(cfg);
}

const ownerCred = { accessKeyId: OWNER.key, accessKeySecret: OWNER.secret };

async function callerOf(cred) {
  const resp = await stsClient(cred).getCallerIdentityWithOptions(runtime());
  return resp.body;
}

async function apiCode(promise) {
  try {
    await promise;
  } catch (err) {
    return err.code;
  }
  return 'no error';
}

async function oidcTokenFile(spec = {}) {
  const { token } = await control('POST', '/_emulator/oidc-token', spec);
  const file = path.join(tmpDir, `token-${Date.now()}-${Math.random()}`);
  fs.writeFileSync(file, token);
  return file;
}

function fromStsAnswer(c) {
  return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken };
}

// ---------------------------------------------------------------- @alicloud/sts20150401

test('STS SDK: AssumeRole into the second account with its ExternalId; the credentials act there', async () => {
  const resp = await stsClient(ownerCred).assumeRoleWithOptions(new Sts.AssumeRoleRequest({
    roleArn: AUDITOR, roleSessionName: 'conformance', externalId: 'emu-audit-2026', durationSeconds: 900,
  }), runtime());
  assert.equal(resp.statusCode, 200);
  const c = resp.body.credentials;
  assert.ok(c.accessKeyId.startsWith('STS.'));
  assert.ok(Math.abs(Date.parse(c.expiration) - Date.now() - 900 * 1000) < 10000, 'expires in 900 s');
  assert.equal(resp.body.assumedRoleUser.arn, `acs:ram::${PEER_ID}:assumed-role/image-auditor/conformance`);
  const who = await callerOf(fromStsAnswer(c));
  assert.equal(who.accountId, PEER_ID);
  assert.equal(who.identityType, 'AssumedRoleUser');
});

test('STS SDK: AssumeRole failures carry the real codes', async () => {
  const client = stsClient(ownerCred);
  const assume = (req) => client.assumeRoleWithOptions(new Sts.AssumeRoleRequest(
    Object.assign({ roleSessionName: 'conformance' }, req)), runtime());
  assert.equal(await apiCode(assume({ roleArn: AUDITOR })), 'NoPermission');
  assert.equal(await apiCode(assume({ roleArn: AUDITOR, externalId: 'wrong-one' })), 'NoPermission');
  assert.equal(await apiCode(assume({ roleArn: `acs:ram::${PEER_ID}:role/missing` })), 'EntityNotExist.Role');
  assert.equal(await apiCode(assume({ roleArn: PEER_ADMIN, durationSeconds: 7200 })), 'InvalidParameter.DurationSeconds');
  assert.equal(await apiCode(assume({ roleArn: PEER_ADMIN, roleSessionName: 'x' })), 'InvalidParameter.RoleSessionName');
  assert.equal(await apiCode(assume({ roleArn: PEER_ADMIN, policy: '{' })), 'InvalidParameter.PolicyGrammar');
  const wrong = stsClient({ accessKeyId: OWNER.key, accessKeySecret: 'not-the-secret' });
  assert.equal(await apiCode(wrong.getCallerIdentityWithOptions(runtime())), 'SignatureDoesNotMatch');
});

test('STS SDK: GetCallerIdentity of a RAM user', async () => {
  const who = await callerOf(ownerCred);
  assert.equal(who.accountId, OWNER.id);
  assert.equal(who.identityType, 'RAMUser');
});

test('STS SDK: AssumeRoleWithOIDC is anonymous; expired and forged tokens are refused', async () => {
  const anon = stsClient(null);
  const oidc = async (spec) => anon.assumeRoleWithOIDCWithOptions(new Sts.AssumeRoleWithOIDCRequest({
    roleArn: RRSA, OIDCProviderArn: PROVIDER, roleSessionName: 'pod',
    OIDCToken: (await control('POST', '/_emulator/oidc-token', spec)).token,
  }), runtime());
  const resp = await oidc({});
  assert.equal(resp.statusCode, 200);
  assert.equal(resp.body.OIDCTokenInfo.issuer, 'https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c0emu');
  const who = await callerOf(fromStsAnswer(resp.body.credentials));
  assert.equal(who.arn, `acs:ram::${OWNER.id}:assumed-role/rrsa-image-reader/pod`);
  assert.equal(await apiCode(oidc({ expires_in: -10 })), 'AuthenticationFail.OIDCToken.Expired');
  assert.equal(await apiCode(oidc({ bad_signature: true })), 'AuthenticationFail.OIDCToken.InvalidSignature');
  assert.equal(await apiCode(oidc({ audience: 'elsewhere' })), 'AuthenticationFail.OIDCToken.AudienceNotMatch');
});

// ---------------------------------------------------------------- @alicloud/credentials

test('credentials library: RAM role ARN provider (AssumeRole on top of an AccessKey)', async () => {
  const provider = Credentials.RAMRoleARNCredentialsProvider.builder()
    .withCredentialsProvider(Credentials.StaticAKCredentialsProvider.builder()
      .withAccessKeyId(OWNER.key).withAccessKeySecret(OWNER.secret).build())
    .withRoleArn(AUDITOR).withExternalId('emu-audit-2026').withRoleSessionName('lib')
    .withStsEndpoint(emuHost).build();
  const cred = await provider.getCredentials();
  assert.equal((await callerOf(cred)).accountId, PEER_ID);
});

test('credentials library: OIDC provider reads the token file and assumes the role', async () => {
  const provider = Credentials.OIDCRoleArnCredentialsProvider.builder()
    .withRoleArn(RRSA).withOIDCProviderArn(PROVIDER).withOIDCTokenFilePath(await oidcTokenFile())
    .withRoleSessionName('lib-pod').withStsEndpoint(emuHost).build();
  const cred = await provider.getCredentials();
  const who = await callerOf(cred);
  assert.equal(who.accountId, OWNER.id);
  assert.equal(who.arn, `acs:ram::${OWNER.id}:assumed-role/rrsa-image-reader/lib-pod`);
  const expired = Credentials.OIDCRoleArnCredentialsProvider.builder()
    .withRoleArn(RRSA).withOIDCProviderArn(PROVIDER).withOIDCTokenFilePath(await oidcTokenFile({ expires_in: -5 }))
    .withRoleSessionName('lib-pod').withStsEndpoint(emuHost).build();
  await assert.rejects(expired.getCredentials(), /AuthenticationFail\.OIDCToken\.Expired/);
});

// The ECS RAM role provider asks 100.100.100.200 over plain http: send it to our port.
function ecsRoleProvider(disableIMDSv1) {
  const provider = Credentials.ECSRAMRoleCredentialsProvider.builder()
    .withDisableIMDSv1(disableIMDSv1).withReadTimeout(5000).withConnectTimeout(5000).build();
  const original = provider.doRequest;
  provider.requests = [];
  provider.doRequest = (req) => {
    assert.equal(req.host, '100.100.100.200');
    provider.requests.push(`${req.method} ${req.path} ${req.headers['x-aliyun-ecs-metadata-token'] ? 'token' : 'no-token'}`);
    req.host = `127.0.0.1:${mdPort}`;
    return original(req);
  };
  return provider;
}

test('credentials library: ECS RAM role provider in hardened mode gets working credentials', async () => {
  const provider = ecsRoleProvider(true);
  const cred = await provider.getCredentials();
  assert.deepEqual(provider.requests, [
    'PUT /latest/api/token no-token',
    'GET /latest/meta-data/ram/security-credentials/ token',
    'PUT /latest/api/token no-token',
    'GET /latest/meta-data/ram/security-credentials/ecs-image-fdw-instance token',
  ]);
  const who = await callerOf(cred);
  assert.equal(who.accountId, OWNER.id);
  assert.equal(who.arn, `acs:ram::${OWNER.id}:assumed-role/ecs-image-fdw-instance/ecs-instance`);
  provider.close();
});

test('metadata service: hardened mode refuses token-less requests; no role attached is a 404', async () => {
  const get = (p, headers = {}) => new Promise((resolve, reject) => {
    require('node:http').get({ host: '127.0.0.1', port: mdPort, path: p, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
  assert.equal(await get('/latest/meta-data/ram/security-credentials/'), 403);
  await control('POST', '/_emulator/sts', { instance_role: null });
  try {
    const provider = ecsRoleProvider(true);
    await assert.rejects(provider.getCredentials(), /get role name failed: .* 404/);
    provider.close();
  } finally {
    await control('POST', '/_emulator/sts', { instance_role: 'ecs-image-fdw-instance' });
  }
});

test('credentials that really expire: the library refreshes, the old ones are refused', async () => {
  await control('POST', '/_emulator/sts', { duration_cap: 2 });
  try {
    const provider = Credentials.RAMRoleARNCredentialsProvider.builder()
      .withCredentialsProvider(Credentials.StaticAKCredentialsProvider.builder()
        .withAccessKeyId(OWNER.key).withAccessKeySecret(OWNER.secret).build())
      .withRoleArn(PEER_ADMIN).withRoleSessionName('short').withStsEndpoint(emuHost).build();
    const first = await provider.getCredentials();
    assert.equal((await callerOf(first)).accountId, PEER_ID);
    await sleep(2500);
    assert.equal(await apiCode(callerOf(first)), 'InvalidSecurityToken.Expired');
    const second = await provider.getCredentials();
    assert.notEqual(second.accessKeyId, first.accessKeyId, 'new credentials after expiry');
    assert.equal((await callerOf(second)).accountId, PEER_ID);
  } finally {
    await control('POST', '/_emulator/sts', { duration_cap: 0 });
  }
});

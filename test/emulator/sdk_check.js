// Calls the emulator with the official Alibaba Cloud npm SDKs; every call
// must pass (or fail exactly as expected).  Run by test_emulator.py's SdkTest:
//   NODE_PATH=<node_modules> NODE_EXTRA_CA_CERTS=<ca.pem> node sdk_check.js HOST:PORT SNAPSHOT IMAGE
// Needs @alicloud/ecs20140526 and @alicloud/pop-core; the OOS calls also need
// @alicloud/openapi-client and are skipped without it.
'use strict';
const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');
const RPCClient = require('@alicloud/pop-core');

const [endpoint, snapshotId, imageId] = process.argv.slice(2);
const KEY = { id: 'LTAI5tEmuOwner0000000001', secret: 'emu-owner-secret-0001' };
const STS = { id: 'STS.EmuOwnerTemp000000003', secret: 'emu-sts-secret-0003', token: 'emu-sts-token-0003' };
const rt = new RuntimeOptions({ autoretry: false });
let failures = 0;

async function check(name, fn, expectCode) {
  try {
    const detail = await fn();
    if (expectCode) { failures++; console.log(`FAIL ${name}: expected ${expectCode}, got success`); }
    else console.log(`ok ${name}: ${detail}`);
  } catch (e) {
    if (expectCode && e.code === expectCode) console.log(`ok ${name}: ${e.code}`);
    else { failures++; console.log(`FAIL ${name}: ${e.code} ${String(e.message).slice(0, 300)}`); }
  }
}

function ecs(algo, key = KEY) {
  const cfg = new $OpenApiUtil.Config({ accessKeyId: key.id, accessKeySecret: key.secret,
    securityToken: key.token, regionId: 'cn-hangzhou', endpoint, protocol: 'https' });
  if (algo) cfg.signatureAlgorithm = algo;
  return new Ecs.default(cfg);
}

(async () => {
  for (const algo of [null, 'v2']) {
    const tag = algo ? 'rpc' : 'acs3';
    const c = ecs(algo);
    await check(`${tag} DescribeRegions`, async () =>
      (await c.describeRegionsWithOptions(new Ecs.DescribeRegionsRequest({ acceptLanguage: 'en-US' }), rt))
        .body.regions.region.length);
    await check(`${tag} DescribeImages with odd characters`, async () =>
      (await c.describeImagesWithOptions(new Ecs.DescribeImagesRequest({ regionId: 'cn-hangzhou',
        imageName: 'web* ~/é', pageSize: 100, status: 'Available,Creating', imageOwnerAlias: 'self',
        tag: [new Ecs.DescribeImagesRequestTag({ key: 'env', value: 'a b+c' })] }), rt)).body.totalCount);
    await check(`${tag} STS DescribeImages`, async () =>
      (await ecs(algo, STS).describeImagesWithOptions(new Ecs.DescribeImagesRequest({ regionId: 'cn-hangzhou' }), rt))
        .body.totalCount);
    await check(`${tag} CreateImage`, async () =>
      (await c.createImageWithOptions(new Ecs.CreateImageRequest({ regionId: 'cn-hangzhou', snapshotId,
        imageName: `sdk-${tag}-1`, description: 'made by the SDK: ü *~', clientToken: `sdk-${tag}-1`,
        tag: [new Ecs.CreateImageRequestTag({ key: 'env', value: 'sdk test' })] }), rt)).body.imageId);
    await check(`${tag} share and unshare`, async () => {
      await c.modifyImageSharePermissionWithOptions(new Ecs.ModifyImageSharePermissionRequest({
        regionId: 'cn-hangzhou', imageId, addAccount: ['2345678901234567', '9000000000000005'] }), rt);
      const r = await c.describeImageSharePermissionWithOptions(new Ecs.DescribeImageSharePermissionRequest({
        regionId: 'cn-hangzhou', imageId }), rt);
      await c.modifyImageSharePermissionWithOptions(new Ecs.ModifyImageSharePermissionRequest({
        regionId: 'cn-hangzhou', imageId, removeAccount: ['2345678901234567', '9000000000000005'] }), rt);
      return r.body.accounts.account.map(a => a.aliyunId).join(',');
    });
    await check(`${tag} CopyImage and CancelCopyImage`, async () => {
      const r = await c.copyImageWithOptions(new Ecs.CopyImageRequest({ regionId: 'cn-hangzhou', imageId,
        destinationRegionId: 'cn-shanghai', destinationImageName: `sdk-copy-${tag}`, clientToken: `sdk-copy-${tag}` }), rt);
      await c.cancelCopyImageWithOptions(new Ecs.CancelCopyImageRequest({ regionId: 'cn-shanghai', imageId: r.body.imageId }), rt);
      return r.body.imageId;
    });
    await check(`${tag} ModifyImageAttribute`, async () => {
      const text = 'Ünïcode & spaces * ~ / : + = "quotes"';
      await c.modifyImageAttributeWithOptions(new Ecs.ModifyImageAttributeRequest({ regionId: 'cn-hangzhou', imageId, description: text }), rt);
      const r = await c.describeImagesWithOptions(new Ecs.DescribeImagesRequest({ regionId: 'cn-hangzhou', imageId }), rt);
      if (r.body.images.image[0].description !== text) throw new Error('description not stored');
      return 'stored';
    });
    await check(`${tag} DescribeTasks`, async () =>
      (await c.describeTasksWithOptions(new Ecs.DescribeTasksRequest({ regionId: 'cn-hangzhou', taskStatus: 'Finished' }), rt))
        .body.taskSet.task.length);
    await check(`${tag} wrong secret`, async () =>
      ecs(algo, { id: KEY.id, secret: 'wrong' }).describeRegionsWithOptions(new Ecs.DescribeRegionsRequest({}), rt),
      'SignatureDoesNotMatch');
  }

  let OpenApi = null, Util = null;
  try {
    OpenApi = require('@alicloud/openapi-client');
    Util = require('@alicloud/tea-util');
  } catch (e) {
    console.log('skip OOS calls: @alicloud/openapi-client is not installed');
  }
  const oc = OpenApi && new OpenApi.default(new OpenApi.Config({ accessKeyId: KEY.id, accessKeySecret: KEY.secret, endpoint, protocol: 'https' }));
  const rpc = (action) => new OpenApi.Params({ action, version: '2019-06-01', protocol: 'HTTPS', pathname: '/',
    method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
  for (const inBody of OpenApi ? [false, true] : []) {
    const params = { RegionId: 'cn-hangzhou', TemplateName: 'ACS-ECS-UpdateImage', Mode: 'Automatic', SafetyCheck: 'Skip',
      ClientToken: `sdk-oos-${inBody}`, Parameters: JSON.stringify({ sourceImageId: imageId, instanceType: 'ecs.g7.large',
        targetImageName: `sdk-oos-${inBody}`, commandContent: '#!/bin/sh\nset -e\necho "héllo * ~ & = + %"\n' + 'x'.repeat(3000) }) };
    const req = inBody ? new OpenApi.OpenApiRequest({ body: params }) : new OpenApi.OpenApiRequest({ query: params });
    await check(`openapi-client StartExecution body=${inBody}`, async () =>
      (await oc.callApi(rpc('StartExecution'), req, new Util.RuntimeOptions({}))).body.Execution.ExecutionId);
    await check(`openapi-client ListExecutions body=${inBody}`, async () => {
      const p = { RegionId: 'cn-hangzhou', ExecutionId: 'exec-unknown' };
      const r = await oc.callApi(rpc('ListExecutions'), inBody ? new OpenApi.OpenApiRequest({ body: p })
        : new OpenApi.OpenApiRequest({ query: p }), new Util.RuntimeOptions({}));
      return JSON.stringify(r.body.Executions);
    });
  }

  for (const method of ['GET', 'POST']) {
    const pc = new RPCClient({ accessKeyId: KEY.id, accessKeySecret: KEY.secret, endpoint: `https://${endpoint}`, apiVersion: '2014-05-26' });
    await check(`pop-core ${method}`, async () =>
      (await pc.request('DescribeImages', { RegionId: 'cn-hangzhou', ImageName: 'web* ~é', PageSize: 10, 'Tag.1.Key': 'env' },
        { method, timeout: 5000 })).TotalCount);
  }
  console.log(failures ? `${failures} failed` : 'all SDK calls behaved');
  process.exit(failures ? 1 : 0);
})();

'use strict';
// The baselines of the benchmark: the official npm SDK (@alicloud/ecs20140526)
// listing every custom image of the account, as an admin script would.
//
//   node sdk_scan.js serial   PAGE_SIZE RUNS   one request at a time, region after region
//   node sdk_scan.js parallel PAGE_SIZE RUNS   regions in parallel, each region's pages
//                                              one after another (Steampipe's way)
//
// A listing is DescribeRegions, then for each region DescribeImages with every
// Status, ImageOwnerAlias self and then others, page after page until TotalCount.
// Environment: EMU_URL (https://127.0.0.1:PORT) and EMU_CA (the test CA, PEM).
// Prints one line per run, the first one cold (new client, new TLS connections):
//   <run>\t<ms>\t<rows>\t<requests>
const fs = require('node:fs');
const Ecs = require('@alicloud/ecs20140526');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');

const STATUSES = 'Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated';
const [mode, pageSize, runs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (!['serial', 'parallel'].includes(mode) || !(pageSize >= 1) || !(runs >= 1)) {
  console.error('usage: node sdk_scan.js serial|parallel PAGE_SIZE RUNS');
  process.exit(2);
}

const client = new Ecs.default(new $OpenApiUtil.Config({
  accessKeyId: 'LTAI5tEmuOwner0000000001',
  accessKeySecret: 'emu-owner-secret-0001',
  regionId: 'cn-hangzhou',
  endpoint: new URL(process.env.EMU_URL).host,   // every region goes to the emulator
  protocol: 'https',
  ca: fs.readFileSync(process.env.EMU_CA, 'utf8'),
}));
const runtime = new RuntimeOptions({ autoretry: false, readTimeout: 30000, connectTimeout: 5000 });
let requests = 0;

// One region's images of one owner alias, page after page: the number of rows.
async function listImages(regionId, imageOwnerAlias) {
  let rows = 0;
  for (let page = 1; ; page++) {
    requests++;
    const body = (await client.describeImagesWithOptions(new Ecs.DescribeImagesRequest({
      regionId, imageOwnerAlias, status: STATUSES, pageNumber: page, pageSize,
    }), runtime)).body;
    const got = body.images && body.images.image ? body.images.image.length : 0;
    rows += got;
    if (rows >= body.totalCount || got === 0) {
      if (rows !== body.totalCount) throw new Error(`${regionId}/${imageOwnerAlias}: ${rows} rows, TotalCount ${body.totalCount}`);
      return rows;
    }
  }
}

async function listRegion(regionId) {
  return await listImages(regionId, 'self') + await listImages(regionId, 'others');
}

async function scan() {
  requests++;
  const regions = (await client.describeRegionsWithOptions(
    new Ecs.DescribeRegionsRequest({ acceptLanguage: 'en-US' }), runtime)).body.regions.region.map((r) => r.regionId);
  if (mode === 'parallel')
    return (await Promise.all(regions.map(listRegion))).reduce((a, b) => a + b, 0);
  let rows = 0;
  for (const r of regions) rows += await listRegion(r);
  return rows;
}

(async () => {
  for (let run = 0; run <= runs; run++) {
    requests = 0;
    const t0 = process.hrtime.bigint();
    const rows = await scan();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`${run}\t${ms.toFixed(1)}\t${rows}\t${requests}`);
  }
})().catch((e) => { console.error(`sdk_scan.js: ${e.code || ''} ${e.message}`); process.exit(1); });

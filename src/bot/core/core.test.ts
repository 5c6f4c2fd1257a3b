// The 3Bot's pure parts: the YAML subset (values, refusals with line numbers), grid.yaml checks
// pointing at the line, ranking and farm spread, whole-spec planning with capacity taken as it
// goes, the monthly cost from the chain's arithmetic, the workloads built, and the healing rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPricingPolicy, type PricingPolicy } from '../../chain/index.ts';
import { rejectionCode } from '../../base/testing.ts';
import { BotError } from '../errors.ts';
import { parseYaml } from './yaml.ts';
import { parseSpec } from './spec.ts';
import { pickSpread, rank, requirementOf, type Candidate } from './rank.ts';
import { planSpec } from './plan.ts';
import { monthlyCostTftUnits, formatTftUnits } from './cost.ts';
import { buildWorkloads, subnetOf } from './build.ts';
import { decideMoves, type Observation } from './heal.ts';
import { contractTag, orphanContracts, parseContractTag } from './orphans.ts';
import type { DesiredRecord } from './state.ts';

const gib = 2 ** 30;
const mib = 2 ** 20;

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string };
  }
  assert.fail('expected an error');
}

test('the YAML subset reads mappings, sequences, flow collections, quotes and comments', () => {
  const text = ['# a comment', 'a: 1', 'b:', '  c: "x # not a comment"', "  d: 'it''s'", '  e: [1, two, {k: v}]', 'list:', '- x', '- k: 1', '  j: true', 'empty:', 'url: http://h:80/p # comment'].join('\n');
  const parsed = parseYaml(text);
  assert.deepEqual(parsed.value, { a: 1, b: { c: 'x # not a comment', d: "it's", e: [1, 'two', { k: 'v' }] }, list: ['x', { k: 1, j: true }], empty: null, url: 'http://h:80/p' });
  assert.equal(parsed.lineOf(['list', 1, 'j']), 10);
  assert.equal(parsed.lineOf(['b', 'e', 2, 'k']), 6);
  assert.equal(parsed.lineOf(['b', 'missing']), 3);
});

test('the YAML subset refuses what it does not read, naming the line', () => {
  const cases: Array<[string, RegExp]> = [
    ['a: 1\n\tb: 2', /line 2: tabs/], ['a: &x 1', /line 1: "&"/], ['a: |\n  text', /line 1: "\|"/], ['a: 1\na: 2', /line 2: duplicate key "a"/],
    ['a:\n  b: 1\n    c: 2', /line 3: unexpected indentation/], ['a: [1, 2', /line 1: expected/], ['a: 1\n---\nb: 2', /line 2: one document/], ['a: b: c', /line 1: .*mapping inside a value/],
  ];
  for (const [text, message] of cases) {
    const error = thrown(() => parseYaml(text));
    assert.equal(error.code, BotError.SPEC_SYNTAX, text);
    assert.match(error.message, message, text);
  }
});

const web = ['version: 1', 'deployments:', '  web:', '    replicas: 2', '    containers:', '      httpd:', '        image: httpd', '        memory: 128MiB', '        mounts: {data: /data}', '    volumes:', '      data: {size: 1GiB}'].join('\n');

test('grid.yaml parses with defaults and sizes in bytes; JSON is accepted too', () => {
  const spec = parseSpec(web);
  const d = spec.deployments['web']!;
  assert.equal(spec.network.ip_range, '10.240.0.0/16');
  assert.equal(d.containers['httpd']!.memory, 128 * mib);
  assert.equal(d.containers['httpd']!.cpu, 1);
  assert.equal(d.volumes['data']!.size, gib);
  assert.equal(d.placement.spread, 'nodes');
  assert.deepEqual(parseSpec(JSON.stringify({ version: 1, deployments: { kv: { zdbs: { db: { size: '1GB' } } } } })).deployments['kv']!.zdbs['db']!.size, 1e9);
});

test('grid.yaml errors name the file, line and field', () => {
  const cases: Array<[string, RegExp]> = [
    [web.replace('memory: 128MiB', 'memory: lots'), /^BOT_SPEC_INVALID: web.yaml:8: deployments.web.containers.httpd.memory: "lots" is not a size/],
    [web.replace('mounts: {data: /data}', 'mounts: {logs: /logs}'), /web.yaml:9: deployments.web.containers.httpd.mounts.logs: no volume "logs"/],
    [web.replace('replicas: 2', 'replica: 2'), /web.yaml:4: deployments.web: Unrecognized key/],
    [web.replace('image: httpd', 'cpu: 2'), /web.yaml:6: deployments.web.containers.httpd: give exactly one of image/],
    [web.replace('version: 1', 'version: 2'), /web.yaml:1: version/],
    [web.replace('  web:', '  WEB:'), /web.yaml:3: deployments.WEB: a deployment name/],
  ];
  for (const [text, message] of cases) {
    const error = thrown(() => parseSpec(text, 'web.yaml'));
    assert.equal(error.code, BotError.SPEC_INVALID);
    assert.match(error.message, message);
  }
});

const cheap: PricingPolicy = { ...defaultPricingPolicy, id: 2, cuUsdUnitsPerHour: Math.round(defaultPricingPolicy.cuUsdUnitsPerHour / 2), suUsdUnitsPerHour: Math.round(defaultPricingPolicy.suUsdUnitsPerHour / 2) };
const node = (nodeId: number, farmId: number, over: Partial<Candidate> = {}): Candidate => ({
  nodeId, twinId: 100 + nodeId, farmId, country: 'Belgium', city: 'Ghent', certified: false, up: true,
  total: { cru: 8, mru: 16 * gib, sru: 500 * gib, hru: 0 }, free: { cru: 8, mru: 14 * gib, sru: 450 * gib, hru: 0 }, freePublicIps: 0, policy: defaultPricingPolicy, ...over,
});
const price = 100_000; // 0.01 USD per TFT

test('ranking keeps up nodes that fit and meet the placement, cheaper and roomier first', () => {
  const spec = parseSpec(web).deployments['web']!;
  const need = requirementOf(spec);
  assert.deepEqual(need, { resources: { cru: 1, mru: 128 * mib, sru: gib, hru: 0 }, coresMax: 1, publicIps: 0 });
  const nodes = [
    node(1, 1), node(2, 1, { free: { cru: 8, mru: 4 * gib, sru: 450 * gib, hru: 0 } }), node(3, 2, { policy: cheap }), node(4, 2, { up: false }),
    node(5, 3, { free: { cru: 8, mru: 64 * mib, sru: 450 * gib, hru: 0 } }), node(6, 3, { country: 'Egypt' }), node(7, 3, { free: { cru: 8, mru: 8 * gib, sru: 0, hru: 900 * gib } }),
  ];
  const { ranked, rejected } = rank(nodes, need, { ...spec.placement, country: 'belgium' }, price);
  assert.deepEqual(ranked.map((r) => r.candidate.nodeId), [3, 1, 7, 2]);
  assert.deepEqual(rejected, { down: [4], 'not enough free memory': [5], 'another country': [6] });
  const capped = rank(nodes, need, { ...spec.placement, max_price: Number(ranked[0]!.costTftUnits) / 1e7 }, price);
  assert.deepEqual(capped.ranked.map((r) => r.candidate.nodeId), [3]);
  assert.deepEqual(rank(nodes, need, { ...spec.placement, certified: true }, price).ranked, []);
});

test('replicas go to distinct nodes, distinct farms first; spread "farms" makes that a rule', () => {
  const ranked = [node(1, 1), node(2, 1), node(3, 2)].map((candidate) => ({ candidate, costTftUnits: 1n }));
  assert.deepEqual(pickSpread(ranked, 2, 'nodes', { nodes: [], farms: [] }).map((r) => r.candidate.nodeId), [1, 3]);
  assert.deepEqual(pickSpread(ranked, 3, 'nodes', { nodes: [], farms: [] }).map((r) => r.candidate.nodeId), [1, 3, 2]);
  assert.deepEqual(pickSpread(ranked, 3, 'farms', { nodes: [], farms: [] }).map((r) => r.candidate.nodeId), [1, 3]);
  assert.deepEqual(pickSpread(ranked, 1, 'nodes', { nodes: [1], farms: [1] }).map((r) => r.candidate.nodeId), [3]);
});

test('a plan places every replica, takes capacity as it goes and totals the monthly cost', () => {
  const spec = parseSpec(['version: 1', 'deployments:', '  a:', '    containers:', '      c: {flist: /x.fl, memory: 6GiB}', '  b:', '    replicas: 2', '    containers:', '      c: {flist: /x.fl, memory: 6GiB}'].join('\n'));
  const plan = planSpec(spec, [node(1, 1), node(2, 2)], price);
  assert.deepEqual(plan.replicas.map((r) => [r.deployment, r.replica, r.nodeId]), [['a', 0, 1], ['b', 0, 2], ['b', 1, 1]]);
  assert.equal(plan.monthlyTftUnits, plan.replicas.reduce((sum, r) => sum + r.costTftUnits, 0n));
  // A third 6 GiB replica on either node would pass its 14 GiB free: no capacity, with the reasons.
  const over = parseSpec(['version: 1', 'deployments:', '  b:', '    replicas: 3', '    containers:', '      c: {flist: /x.fl, memory: 10GiB}'].join('\n'));
  const error = thrown(() => planSpec(over, [node(1, 1), node(2, 2)], price));
  assert.equal(error.code, BotError.NO_CAPACITY);
  assert.match(error.message, /b: 3 replica\(s\) need 3 node\(s\) on distinct nodes, 2 fit/);
});

test('public IPs: a rule of the ranking, taken from the farm as the plan goes, an ip workload per container', () => {
  const spec = parseSpec(['version: 1', 'deployments:', '  w:', '    replicas: 3', '    containers:', '      web: {flist: /x.fl, public_ip: true}', '      side: {flist: /x.fl}'].join('\n'));
  const need = requirementOf(spec.deployments['w']!);
  assert.equal(need.publicIps, 1);
  const nodes = [node(1, 1, { freePublicIps: 1 }), node(2, 1, { freePublicIps: 1 }), node(3, 2, { freePublicIps: 2 }), node(4, 3)];
  assert.deepEqual(rank(nodes, need, spec.deployments['w']!.placement, price).rejected, { 'no free public IP in its farm': [4] });
  // Farm 1 has one IP for its two nodes: the second replica there would find none left.
  const error = thrown(() => planSpec(spec, nodes, price));
  assert.equal(error.code, BotError.NO_CAPACITY);
  assert.match(error.message, /3 replica\(s\) need 3 node\(s\) on distinct nodes, 2 fit .*no free public IP in its farm: node 4/);
  const two = planSpec({ ...spec, deployments: { w: { ...spec.deployments['w']!, replicas: 2 } } }, nodes, price);
  assert.deepEqual(two.replicas.map((r) => r.nodeId).sort(), [1, 3]);
  const workloads = buildWorkloads(spec.deployments['w']!, { ipRange: '10.1.0.0/16', subnet: '10.1.1.0/24', flists: {} });
  assert.deepEqual(workloads.filter((w) => w.type === 'ip').map((w) => [w.name, w.data]), [['web_pub', { v4: true }]]);
  const net = (name: string) => (workloads.find((w) => w.name === name)!.data as { network: { public_ip: string } }).network.public_ip;
  assert.deepEqual([net('web'), net('side')], ['web_pub', '']);
  assert.match(thrown(() => parseSpec(['version: 1', 'deployments:', '  w:', '    volumes: {web_pub: {size: 16MiB}}', '    containers:', '      web: {flist: /x.fl, public_ip: true}'].join('\n'))).message, /"web_pub" would name the public IP of web/);
});

test('the monthly cost is the chain’s cloud-unit price over 30 days', () => {
  // 1 core + 4 GiB = 1 CU (min of the three bundles); 200 GiB SSD = 1 SU.
  const units = monthlyCostTftUnits({ cru: 1, mru: 4 * gib, sru: 200 * gib, hru: 0 }, defaultPricingPolicy, 10_000_000);
  const usd = (defaultPricingPolicy.cuUsdUnitsPerHour + defaultPricingPolicy.suUsdUnitsPerHour) * 720;
  assert.equal(units, BigInt(usd));
  assert.equal(formatTftUnits(12_500_000n), '1.25 TFT');
});

test('workloads: volumes, zdbs, the network and containers at .2, .3 of the placement’s /24', () => {
  const spec = parseSpec(web).deployments['web']!;
  const subnet = subnetOf('10.77.0.0/16', 3);
  assert.equal(subnet, '10.77.3.0/24');
  assert.equal(subnetOf('10.77.0.0/16', 255), '10.77.1.0/24');
  const workloads = buildWorkloads(spec, { ipRange: '10.77.0.0/16', subnet, flists: { httpd: 'http://hub/flists/x/httpd.fl' } });
  assert.deepEqual(workloads.map((w) => [w.name, w.type]), [['data', 'volume'], ['net', 'network'], ['httpd', 'container']]);
  assert.deepEqual(workloads[2]!.data, { flist: 'http://hub/flists/x/httpd.fl', entrypoint: '', env: {}, compute_capacity: { cpu: 1, memory: 128 * mib }, mounts: [{ volume: 'data', mountpoint: '/data' }], network: { interfaces: [{ network: 'net', ip: '10.77.3.2' }], public_ip: '' } });
});

test('healing moves at once on chain evidence, after a grace on bus evidence, and fills missing replicas', () => {
  const spec = parseSpec(web).deployments['web']!;
  const replica = (index: number, nodeId: number) => ({ index, nodeId, nodeTwin: nodeId + 100, farmId: 1, contractId: 10 + index, subnet: '', ips: {}, sinceMs: 0 });
  const record: DesiredRecord = { v: 1, name: 'web', status: 'active', ipRange: '10.1.0.0/16', spec, replicas: [replica(0, 1), replica(1, 2)], events: [] };
  const ok: Observation = { nodeUp: true, contractLive: true, probe: { kind: 'ok' } };
  const settings = { unreachableGraceMs: 3_000, errorGraceMs: 5_000 };
  const look = (o0: Observation, o1: Observation, suspects = new Map(), now = 1_000, r = record) => decideMoves([r], new Map([['web/0', o0], ['web/1', o1]]), suspects, now, settings);
  assert.deepEqual(look(ok, ok).moves, []);
  assert.match(look({ ...ok, nodeUp: false }, ok).moves[0]!.reason, /node 1 stopped reporting uptime/);
  assert.match(look(ok, { ...ok, contractLive: false }).moves[0]!.reason, /contract 11 is no longer on the chain/);
  // Silent: suspected first, moved once the grace has passed, forgiven if it answers again.
  const silent: Observation = { ...ok, probe: { kind: 'unreachable', message: 'RMB_TIMEOUT' } };
  const first = look(silent, ok);
  assert.deepEqual(first.moves, []);
  assert.equal(first.suspects.get('web/0')?.sinceMs, 1_000);
  assert.deepEqual(look(silent, ok, first.suspects, 3_999).moves, []);
  assert.match(look(silent, ok, first.suspects, 4_000).moves[0]!.reason, /node 1 does not answer on the message bus \(RMB_TIMEOUT\) for 3 s/);
  assert.equal(look(ok, ok, first.suspects, 4_000).suspects.size, 0);
  const failing: Observation = { ...ok, probe: { kind: 'error', message: 'httpd: ZOS_CONTAINER_EXITED' } };
  assert.deepEqual(look(ok, failing, look(ok, failing).suspects, 5_999).moves, []);
  assert.equal(look(ok, failing, look(ok, failing).suspects, 6_000).moves[0]!.index, 1);
  // A replica missing from the record, or left unplaced by a failed move, is placed; a down record is left alone.
  const short = { ...record, replicas: [replica(0, 1)] };
  assert.deepEqual(look(ok, ok, new Map(), 1_000, short).moves.map((m) => [m.index, m.fromNode]), [[1, 0]]);
  assert.deepEqual(look(ok, ok, new Map(), 1_000, { ...record, replicas: [replica(0, 1), replica(1, 0)] }).moves.map((m) => m.index), [1]);
  assert.deepEqual(decideMoves([{ ...record, status: 'down' }], new Map(), new Map(), 0, settings).moves, []);
});

test('rejectionCode helper sees spec errors as coded rejections', async () => {
  assert.equal(await rejectionCode(Promise.resolve().then(() => parseSpec('version: 1'))), BotError.SPEC_INVALID);
});

test('orphans: tagged node contracts no record holds, once older than the grace', () => {
  assert.deepEqual(parseContractTag(contractTag('kv', 2)), { bot: 'kv', replica: 2 });
  for (const data of ['', 'x', '{}', '{"bot":1,"replica":0}', 'null', '[1]']) assert.equal(parseContractTag(data), undefined, data);
  const record = { v: 1, name: 'kv', status: 'down', ipRange: '10.1.0.0/16', spec: {}, events: [], replicas: [{ index: 0, nodeId: 1, nodeTwin: 5, farmId: 1, contractId: 7, subnet: '10.1.1.0/24', ips: {}, sinceMs: 0 }] } as unknown as DesiredRecord;
  const contracts = [
    { id: 7, kind: 'node', createdMs: 0, deploymentData: contractTag('kv', 0) }, // held (even by a record that is down: its cancel failed)
    { id: 8, kind: 'node', createdMs: 0, deploymentData: contractTag('kv', 0) }, // orphan
    { id: 9, kind: 'node', createdMs: 900, deploymentData: contractTag('web', 0) }, // too young: a deploy may still record it
    { id: 10, kind: 'node', createdMs: 0, deploymentData: '' }, // not the bot's
    { id: 11, kind: 'name', createdMs: 0 },
  ];
  assert.deepEqual(orphanContracts(contracts, [record], 1_000, 500), [8]);
  assert.deepEqual(orphanContracts(contracts, [record], 1_400, 500), [8, 9]);
});

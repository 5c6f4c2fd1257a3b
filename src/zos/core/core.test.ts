// The pure core: the README's deployment example (canonical bytes, hash, signature) checked
// against the code, then acceptance, workload checks, install order, update plans, capacity and
// result moves on hand-built facts — no chain, no root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TfgridError } from '../../base/index.ts';
import type { ContractView } from '../../chain/index.ts';
import { Identity, canonicalJson } from '../../crypto/index.ts';
import { ZosError } from '../errors.ts';
import { acceptDeployment, type AcceptanceFacts } from './accept.ts';
import { shortfall, systemReserve } from './capacity.ts';
import { deploymentSchema, type Deployment } from './deployment.ts';
import { deploymentHash, deploymentHashHex, hashedPart, signDeployment } from './hash.ts';
import { parseCommand } from './command.ts';
import { ociSpec, zdbEnv } from './oci.ts';
import { planUpdate } from './plan.ts';
import { canMove, makeResult, moveResult } from './results.ts';
import { checkWorkloads, installOrder } from './workloads.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
function example(name: string): string {
  const at = readme.indexOf(`<!-- example:${name} -->`);
  return /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at))![1]!.trim();
}

const owner = Identity.fromSeed('07'.repeat(32));
const GiB = 2 ** 30;

function code(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (error) {
    assert.ok(error instanceof TfgridError, String(error));
    return error.code;
  }
}

function build(workloads: unknown[], version = 0): Deployment {
  const d = deploymentSchema.parse({ version, twin_id: 7, contract_id: 42, signature_requirement: { requests: [{ twin_id: 7, required: true, weight: 1 }], weight_required: 1 }, workloads });
  return signDeployment(d, owner, 7);
}

function facts(d: Deployment, overrides: Partial<AcceptanceFacts> = {}): AcceptanceFacts {
  const contract = { id: 42, kind: 'node', nodeId: 1, twinId: 7, state: 'Created', deploymentHash: deploymentHashHex(d), publicIps: 0 } as unknown as ContractView;
  return {
    nodeId: 1, hash: deploymentHash(d), hashHex: deploymentHashHex(d), contract, twinKeys: new Map([[7, owner.publicKeyHex]]),
    capacity: { total: { cru: 4, mru: 8 * GiB, sru: 100 * GiB, hru: 0 }, system: { cru: 0, mru: GiB, sru: 10 * GiB, hru: 0 }, used: { cru: 0, mru: 0, sru: 0, hru: 0 } },
    storage: 'sru', subnetsInUse: [], nowSec: 1_700_000_000, ...overrides,
  };
}

const vol = (name = 'vol', size = 16 * 2 ** 20, version = 0) => ({ version, name, type: 'volume', data: { size } });
const net = (name = 'net', subnet = '10.20.1.0/24') => ({ version: 0, name, type: 'network', data: { ip_range: '10.20.0.0/16', subnet } });
const box = (name = 'web', extra: Record<string, unknown> = {}, version = 0) => ({ version, name, type: 'container', data: { flist: '/x.fl', compute_capacity: { cpu: 1, memory: 64 * 2 ** 20 }, ...extra } });

test('the README example: canonical bytes, hash and signature are what the code makes', () => {
  const d = deploymentSchema.parse(JSON.parse(example('deployment')));
  assert.equal(canonicalJson(hashedPart(d)), example('canonical'));
  assert.equal(deploymentHashHex(d), example('hash'));
  assert.deepEqual(signDeployment(d, owner, 7).signature_requirement.signatures, d.signature_requirement.signatures);
  // contract_id, signatures and results are outside the hash; anything else is inside.
  assert.equal(deploymentHashHex({ ...d, contract_id: 1, signature_requirement: { ...d.signature_requirement, signatures: [] } }), example('hash'));
  assert.notEqual(deploymentHashHex({ ...d, description: 'other' }), example('hash'));
});

test('acceptance: contract, hash, signatures, names, references, addresses, capacity', () => {
  const d = build([vol(), net(), box('web', { mounts: [{ volume: 'vol', mountpoint: '/data' }], network: { interfaces: [{ network: 'net', ip: '10.20.1.2' }] } })]);
  assert.deepEqual(acceptDeployment(d, facts(d)).map((w) => w.name), ['vol', 'net', 'web']);
  assert.equal(code(() => acceptDeployment(d, facts(d, { contract: undefined }))), ZosError.CONTRACT_NOT_FOUND);
  assert.equal(code(() => acceptDeployment(d, facts(d, { nodeId: 2 }))), ZosError.CONTRACT_MISMATCH);
  assert.equal(code(() => acceptDeployment(d, facts(d, { contract: { ...facts(d).contract!, state: 'GracePeriod' } }))), ZosError.CONTRACT_NOT_CREATED);
  assert.equal(code(() => acceptDeployment(d, facts(d, { contract: { ...facts(d).contract!, deploymentHash: '00'.repeat(32) } as ContractView }))), ZosError.HASH_MISMATCH);
  assert.equal(code(() => acceptDeployment(d, facts(d, { twinKeys: new Map([[7, Identity.fromSeed('08'.repeat(32)).publicKeyHex]]) }))), ZosError.BAD_SIGNATURE);
  const unsigned = { ...d, signature_requirement: { ...d.signature_requirement, signatures: [] } };
  assert.equal(code(() => acceptDeployment(unsigned, facts(unsigned))), ZosError.BAD_SIGNATURE);
  assert.equal(code(() => acceptDeployment(d, facts(d, { subnetsInUse: ['10.20.0.0/16'] }))), ZosError.NETWORK_CONFLICT);
  const tight = facts(d, { capacity: { ...facts(d).capacity, used: { cru: 0, mru: 7 * GiB - 32 * 2 ** 20, sru: 0, hru: 0 } } });
  assert.equal(code(() => acceptDeployment(d, tight)), ZosError.OVER_CAPACITY);
  // An update gives back what the deployment holds now.
  assert.equal(code(() => acceptDeployment(d, { ...tight, heldNow: { cru: 1, mru: 64 * 2 ** 20, sru: 16 * 2 ** 20, hru: 0 } })), 'none');
  const cores = build([box('web', { compute_capacity: { cpu: 5, memory: 64 * 2 ** 20 } })]);
  assert.equal(code(() => acceptDeployment(cores, facts(cores))), ZosError.OVER_CAPACITY);
});

test('workload checks: names, data, references and addresses each have their code', () => {
  assert.equal(code(() => checkWorkloads(build([vol('bad-name')]))), ZosError.INVALID_NAME);
  assert.equal(code(() => checkWorkloads(build([vol('a'.repeat(37))]))), ZosError.INVALID_NAME);
  assert.equal(code(() => checkWorkloads(build([vol('x'), vol('x')]))), ZosError.INVALID_NAME);
  assert.equal(code(() => checkWorkloads(build([vol('x', 1)]))), ZosError.INVALID);
  assert.equal(code(() => checkWorkloads(build([box('web', { mounts: [{ volume: 'nope', mountpoint: '/d' }] })]))), ZosError.INVALID_REFERENCE);
  assert.equal(code(() => checkWorkloads(build([net('vol'), box('web', { mounts: [{ volume: 'vol', mountpoint: '/d' }] })]))), ZosError.INVALID_REFERENCE);
  assert.equal(code(() => checkWorkloads(build([net(), box('web', { network: { interfaces: [{ network: 'net', ip: '10.20.1.1' }] } })]))), ZosError.NETWORK_CONFLICT);
  assert.equal(code(() => checkWorkloads(build([net(), box('a', { network: { interfaces: [{ network: 'net', ip: '10.20.1.9' }] } }), box('b', { network: { interfaces: [{ network: 'net', ip: '10.20.1.9' }] } })]))), ZosError.NETWORK_CONFLICT);
  assert.equal(code(() => checkWorkloads(build([{ ...net(), data: { ip_range: '10.20.0.0/16', subnet: '10.30.1.0/24' } }]))), ZosError.INVALID);
});

test('install order is volume, zdb, network, container, then as listed', () => {
  const order = installOrder([{ type: 'container', n: 1 }, { type: 'network', n: 2 }, { type: 'zdb', n: 3 }, { type: 'volume', n: 4 }, { type: 'container', n: 5 }] as const);
  assert.deepEqual(order.map((w) => w.n), [4, 3, 2, 1, 5]);
});

test('update plans: only changed workloads move, versions and immutable types are enforced', () => {
  const zdb = (size: number, version = 0) => ({ version, name: 'db', type: 'zdb', data: { size } });
  const current = build([vol(), zdb(100), box('web'), box('old')]);
  const currentTyped = checkWorkloads(current).map((w) => ({ ...w, result: makeResult('ok', { nowSec: 1 }) }));
  const next = build([vol(), zdb(200, 1), box('web', { env: { A: 'b' } }, 1), box('new', {}, 1)], 1);
  const plan = planUpdate(current, currentTyped, next, checkWorkloads(next));
  assert.deepEqual({ remove: plan.remove.map((w) => w.name), install: plan.install.map((w) => w.name), modify: plan.modify.map((w) => w.name), keep: plan.keep.map((w) => w.name) },
    { remove: ['old', 'web'], install: ['web', 'new'], modify: ['db'], keep: ['vol'] });
  assert.equal(code(() => planUpdate(current, currentTyped, current, checkWorkloads(current))), ZosError.INVALID_VERSION);
  const stale = build([vol(), zdb(100), box('web', { env: { A: 'b' } }, 0), box('old')], 1);
  assert.equal(code(() => planUpdate(current, currentTyped, stale, checkWorkloads(stale))), ZosError.INVALID_VERSION);
  const resized = build([vol('vol', 32 * 2 ** 20, 1), zdb(100), box('web'), box('old')], 1);
  assert.equal(code(() => planUpdate(current, currentTyped, resized, checkWorkloads(resized))), ZosError.INVALID);
});

test('capacity: the system share and the first shortfall', () => {
  const total = { cru: 2, mru: 8 * GiB, sru: 100 * GiB, hru: 0 };
  const system = systemReserve(total, 10);
  assert.deepEqual(system, { cru: 0, mru: Math.floor(0.8 * GiB), sru: 10 * GiB, hru: 0 });
  assert.equal(systemReserve({ ...total, mru: GiB }, 10).mru, 256 * 2 ** 20);
  const view = { total, system, used: { cru: 8, mru: 0, sru: 0, hru: 0 } };
  assert.equal(shortfall(view, { cru: 8, mru: GiB, sru: GiB, hru: 0 }, 2), undefined);
  assert.match(shortfall(view, { cru: 0, mru: 8 * GiB, sru: 0, hru: 0 }, 1)!, /^mru/);
  assert.match(shortfall(view, { cru: 0, mru: 0, sru: 0, hru: 1 }, 1)!, /^hru/);
  assert.match(shortfall(view, { cru: 3, mru: 0, sru: 0, hru: 0 }, 3)!, /^cru/);
});

test('results move init → ok|error → deleted, and every move is a history entry', () => {
  assert.equal(canMove(undefined, 'init'), true);
  assert.equal(canMove('deleted', 'ok'), false);
  assert.equal(canMove('error', 'ok'), false);
  const w = { version: 0, name: 'v', type: 'volume' as const, data: {}, metadata: '', description: '' };
  const moved = moveResult(w, makeResult('init', { nowSec: 5 }));
  assert.deepEqual(moved.change, { name: 'v', type: 'volume', version: 0, created: 5, state: 'init', message: '' });
  assert.throws(() => moveResult({ ...w, result: makeResult('deleted', { nowSec: 6 }) }, makeResult('ok', { nowSec: 7 })), /assertion failed/);
});

test('public IPs: no more ip workloads than the contract reserved, each given to one container', () => {
  const pub = (name: string) => ({ version: 0, name, type: 'ip', data: { v4: true } });
  const withIp = (ip: string) => box('web', { network: { interfaces: [{ network: 'net', ip: '10.20.1.2' }], public_ip: ip } });
  const d = build([net(), pub('web_pub'), withIp('web_pub')]);
  const reserved = (n: number) => facts(d, { contract: { ...facts(d).contract!, publicIps: n } as ContractView });
  assert.deepEqual(acceptDeployment(d, reserved(1)).map((w) => w.name), ['net', 'web_pub', 'web']);
  assert.equal(code(() => acceptDeployment(d, reserved(0))), ZosError.CONTRACT_MISMATCH);
  assert.equal(code(() => checkWorkloads(build([net(), withIp('net')]))), ZosError.INVALID_REFERENCE);
  const twice = build([net(), pub('p'), withIp('p'), box('other', { network: { interfaces: [{ network: 'net', ip: '10.20.1.3' }], public_ip: 'p' } })]);
  assert.equal(code(() => checkWorkloads(twice)), ZosError.NETWORK_CONFLICT);
});

test('the OCI spec carries the limits, mounts and network namespace', () => {
  const [web] = checkWorkloads(build([box('web', { compute_capacity: { cpu: 2, memory: 128 * 2 ** 20 }, env: { A: '1' } })]));
  assert.ok(web?.type === 'container');
  const spec = ociSpec({ hostname: 'web', args: ['/bin/sh'], data: web.data, binds: [{ source: '/v', target: '/data' }], netnsPath: '/var/run/netns/x', cgroupsPath: '/x' }) as {
    process: { env: string[] }; mounts: Array<{ destination: string; source: string }>; linux: { resources: { memory: { limit: number }; cpu: { quota: number; period: number } }; namespaces: Array<{ type: string; path?: string }> };
  };
  assert.deepEqual(spec.linux.resources.cpu, { quota: 200_000, period: 100_000 });
  assert.equal(spec.linux.resources.memory.limit, 128 * 2 ** 20);
  assert.ok(spec.process.env.includes('A=1'));
  assert.deepEqual(spec.mounts.at(-1), { destination: '/data', type: 'bind', source: '/v', options: ['rbind', 'rw', 'nosuid', 'nodev'] });
  assert.deepEqual(spec.linux.namespaces.find((n) => n.type === 'network'), { type: 'network', path: '/var/run/netns/x' });
});

test('sibling zdbs reach the container as ZDB_<NAME>_* variables; its own env wins', () => {
  const env = zdbEnv([{ name: 'store', namespace: '7-12-store' }], '10.1.2.1', 9900);
  assert.deepEqual(env, { ZDB_STORE_HOST: '10.1.2.1', ZDB_STORE_PORT: '9900', ZDB_STORE_NAMESPACE: '7-12-store' });
  const [web] = checkWorkloads(build([box('web', { env: { ZDB_STORE_PORT: '1' } })]));
  assert.ok(web?.type === 'container');
  const spec = ociSpec({ hostname: 'web', args: ['/bin/sh'], data: web.data, binds: [], netnsPath: undefined, cgroupsPath: '/x', nodeEnv: env }) as { process: { env: string[] } };
  assert.ok(spec.process.env.includes('ZDB_STORE_HOST=10.1.2.1'));
  assert.ok(spec.process.env.includes('ZDB_STORE_PORT=1') && !spec.process.env.includes('ZDB_STORE_PORT=9900'));
});

test('an entrypoint splits into words as a shell would, without expansion', () => {
  const words = (line: string): string[] | string => {
    const parsed = parseCommand(line);
    return 'error' in parsed ? parsed.error : parsed.args;
  };
  assert.deepEqual(words('  /bin/httpd   -f -p 80 '), ['/bin/httpd', '-f', '-p', '80']);
  assert.deepEqual(words(`/bin/sh -c 'echo "a  b" $HOME; sleep 1'`), ['/bin/sh', '-c', 'echo "a  b" $HOME; sleep 1']);
  assert.deepEqual(words(String.raw`echo "say \"hi\" \$x \n" a\ b '' x''y`), ['echo', String.raw`say "hi" $x \n`, 'a b', '', 'xy']);
  assert.deepEqual(words(''), []);
  assert.equal(words(`sh -c 'oops`), "unclosed ' at character 7");
  assert.equal(words('a "b'), 'unclosed " at character 3');
  assert.equal(words('a \\'), 'a trailing backslash');
  assert.equal(code(() => checkWorkloads(build([box('web', { entrypoint: "sh -c 'x" })]))), ZosError.INVALID);
});

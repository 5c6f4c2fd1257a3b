import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Identity } from '../../../crypto/index.ts';
import { ChainError } from '../../errors.ts';
import { Harness, admin, identity, makeFarmAndNode, makeTwin, sampleNode, tft, testGenesis } from '../testing.ts';
import { tableNames } from '../state/state.ts';

const farmer = identity(1);
const nodeKey = identity(2);
const user = identity(3);
const other = identity(4);

/** Every table root but the clock's, and the signer's balance: what a refused tx must not change. */
function fingerprint(h: Harness, who: Identity): string {
  const state = h.machine.state;
  const roots = tableNames.filter((name) => name !== 'meta' && name !== 'accounts').map((name) => Buffer.from(state.table(name).root()).toString('hex'));
  return JSON.stringify({ roots, balance: h.machine.query.account(who.publicKeyHex)?.balance, accounts: state.accounts.size });
}

/** Runs a tx that must be refused with `code`, and checks that only the signer's nonce moved. */
function refused(h: Harness, who: Identity, type: string, payload: unknown, code: string): void {
  const before = fingerprint(h, who);
  const nonce = h.machine.query.nextNonce(who.publicKeyHex);
  const result = h.run(who, type, payload);
  assert.equal(result.ok, false, `${type} should be refused with ${code}`);
  if (!result.ok) assert.equal(result.code, code, result.message);
  assert.equal(fingerprint(h, who), before, `${type} refused with ${code} left state changed`);
  assert.equal(h.machine.query.nextNonce(who.publicKeyHex), nonce + 1, 'an included tx uses its nonce');
}

test('transfer moves units, creates the target account, refuses overdraft and bad amounts', () => {
  // Goal: the ledger's one transaction. Method: transfer from the genesis-funded admin, then try each refusal.
  const h = new Harness();
  const block = h.ok(admin, 'transfer', { to: user.publicKeyHex, amount: (5n * tft).toString() });
  assert.deepEqual(block.events, [{ type: 'Transfer', from: admin.publicKeyHex, to: user.publicKeyHex, amount: '50000000' }]);
  assert.equal(h.machine.query.balance(user.publicKeyHex), 5n * tft);
  assert.equal(h.machine.query.balance(admin.publicKeyHex), 995n * tft);
  refused(h, user, 'transfer', { to: other.publicKeyHex, amount: (6n * tft).toString() }, ChainError.INSUFFICIENT_FUNDS);
  refused(h, user, 'transfer', { to: other.publicKeyHex, amount: '0' }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'transfer', { to: other.publicKeyHex, amount: 5 }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'transfer', { to: 'zz', amount: '1' }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'transfer', { to: other.publicKeyHex, amount: '1', extra: true }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'no.such.type', {}, ChainError.UNKNOWN_TX_TYPE);
});

test('nonces: replays, gaps and unknown accounts are refused without using a nonce', () => {
  // Goal: per-account strictly increasing nonces. Method: apply signed txs with wrong nonces directly.
  const h = new Harness();
  const first = h.tx(admin, 'transfer', { to: user.publicKeyHex, amount: '1' });
  assert.equal(h.block([first]).results[0]!.ok, true);
  const replay = h.block([first]).results[0]!;
  assert.equal(!replay.ok && replay.code, ChainError.BAD_NONCE);
  const skip = { ...h.tx(admin, 'transfer', { to: user.publicKeyHex, amount: '1' }) };
  h.nonces.clear();
  const gap = h.machine.apply({ height: h.machine.height + 1, timestampMs: h.nowMs + 1, transactions: [{ ...skip, nonce: 5 }] }).results[0]!;
  assert.equal(!gap.ok && gap.code, ChainError.BAD_NONCE);
  h.nowMs += 1;
  assert.equal(h.machine.query.nextNonce(admin.publicKeyHex), 2);
  const stranger = h.run(other, 'transfer', { to: user.publicKeyHex, amount: '1' });
  assert.equal(!stranger.ok && stranger.code, ChainError.UNKNOWN_ACCOUNT);
  // precheck counts pending transactions of the same signer.
  const next = h.tx(admin, 'transfer', { to: user.publicKeyHex, amount: '1' });
  assert.equal(h.machine.precheck(next, 0), undefined);
  assert.equal(h.machine.precheck(next, 1)?.code, ChainError.BAD_NONCE);
  assert.equal(h.machine.precheck({ ...next, nonce: 3 }, 1), undefined);
});

test('a bad signature is refused when the machine checks signatures', () => {
  // Goal: CHAIN_BAD_SIGNATURE in apply. Method: change the payload after signing.
  const h = new Harness();
  const tx = h.tx(admin, 'transfer', { to: user.publicKeyHex, amount: '1' });
  const result = h.block([{ ...tx, payload: { to: user.publicKeyHex, amount: '2' } }]).results[0]!;
  assert.equal(!result.ok && result.code, ChainError.BAD_SIGNATURE);
  assert.equal(h.machine.query.nextNonce(admin.publicKeyHex), 1, 'a forged tx does not use the nonce');
});

test('twin create and update: one per account, sequential ids, relays and key validated', () => {
  // Goal: the phonebook rules. Method: create, update, then each refusal.
  const h = new Harness();
  assert.equal(makeTwin(h, user), 1);
  assert.equal(makeTwin(h, other), 2);
  refused(h, user, 'twin.create', { encryptionKey: user.encryptionPublicKeyHex }, ChainError.ALREADY_EXISTS);
  h.ok(user, 'twin.update', { relays: ['r1.grid.tf', 'r2.grid.tf:8080'] });
  assert.deepEqual(h.machine.query.twin(1)!.relays, ['r1.grid.tf', 'r2.grid.tf:8080']);
  refused(h, user, 'twin.update', { relays: ['bad host!'] }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'twin.update', { encryptionKey: 'AB'.repeat(32) }, ChainError.INVALID_PAYLOAD);
  h.ok(admin, 'transfer', { to: farmer.publicKeyHex, amount: '10' });
  refused(h, farmer, 'twin.update', { relays: [] }, ChainError.UNKNOWN_TWIN);
});

test('farms: unique names, owner-only updates, public IPs added, reserved and removed', () => {
  // Goal: farm rules. Method: build a farm, then try every refusal and an IP held by a contract.
  const h = new Harness();
  const { farmId, nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  makeTwin(h, user);
  refused(h, user, 'farm.create', { name: 'farm1' }, ChainError.DUPLICATE_NAME);
  refused(h, user, 'farm.create', { name: 'bad name' }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'farm.create', { name: 'x', pricingPolicyId: 9 }, ChainError.UNKNOWN_PRICING_POLICY);
  refused(h, user, 'farm.update', { farmId, name: 'mine' }, ChainError.NOT_OWNER);
  refused(h, user, 'farm.update', { farmId: 99, name: 'mine' }, ChainError.UNKNOWN_FARM);
  h.ok(farmer, 'farm.update', { farmId, name: 'renamed' });
  assert.equal(h.machine.query.farmByName('renamed')?.id, farmId);
  assert.equal(h.machine.query.farmByName('farm1'), undefined);
  h.ok(farmer, 'farm.ip.add', { farmId, ip: '185.206.122.33/24', gateway: '185.206.122.1' });
  refused(h, farmer, 'farm.ip.add', { farmId, ip: '185.206.122.33/24', gateway: '185.206.122.1' }, ChainError.DUPLICATE_NAME);
  refused(h, farmer, 'farm.ip.add', { farmId, ip: '185.206.122.34', gateway: '185.206.122.1' }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'farm.ip.add', { farmId, ip: '185.206.122.34/24', gateway: '185.206.122.1' }, ChainError.NOT_OWNER);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'aa'.repeat(32), publicIps: 1 });
  assert.deepEqual(h.machine.query.farm(farmId)!.publicIps, [{ ip: '185.206.122.33/24', gateway: '185.206.122.1', contractId: 1 }]);
  refused(h, user, 'contract.node.create', { nodeId, deploymentHash: 'bb'.repeat(32), publicIps: 1 }, ChainError.NO_FREE_IP);
  refused(h, farmer, 'farm.ip.remove', { farmId, ip: '185.206.122.33/24' }, ChainError.IP_IN_USE);
  refused(h, farmer, 'farm.ip.remove', { farmId, ip: '10.0.0.1/24' }, ChainError.UNKNOWN_IP);
  h.ok(user, 'contract.cancel', { contractId: 1 });
  assert.equal(h.machine.query.farm(farmId)!.publicIps[0]!.contractId, 0, 'canceling frees the IP');
  h.ok(farmer, 'farm.ip.remove', { farmId, ip: '185.206.122.33/24' });
  assert.equal(h.machine.query.farm(farmId)!.publicIps.length, 0);
});

test('nodes: created and updated by their own twin, one per twin; power and uptime', () => {
  // Goal: proof-of-capacity rules. Method: register a node, update, report, change power; each refusal.
  const h = new Harness();
  const { farmId, nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  refused(h, nodeKey, 'node.create', { farmId, ...sampleNode }, ChainError.ALREADY_EXISTS);
  makeTwin(h, user);
  refused(h, user, 'node.create', { farmId: 42, ...sampleNode }, ChainError.UNKNOWN_FARM);
  refused(h, user, 'node.create', { farmId, ...sampleNode, resources: { cru: -1, mru: 0, sru: 0, hru: 0 } }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'node.create', { farmId, ...sampleNode, location: { ...sampleNode.location, latitude: 91 } }, ChainError.INVALID_PAYLOAD);
  refused(h, user, 'node.update', { farmId, ...sampleNode }, ChainError.UNKNOWN_NODE);
  refused(h, user, 'node.uptime', { uptimeSec: 5 }, ChainError.UNKNOWN_NODE);
  h.ok(nodeKey, 'node.update', { farmId, ...sampleNode, serial: 'SN-1', interfaces: [{ name: 'zos', mac: '00:11:22:33:44:55', ips: ['10.0.0.2'] }] });
  assert.equal(h.machine.query.node(nodeId)!.serial, 'SN-1');
  const uptime = h.ok(nodeKey, 'node.uptime', { uptimeSec: 3600 });
  assert.equal(uptime.events[0]!.type, 'NodeUptimeReported');
  assert.equal(h.machine.query.node(nodeId)!.uptimeSec, 3600);
  refused(h, user, 'node.power.target', { nodeId, target: 'Down' }, ChainError.NOT_OWNER);
  h.ok(farmer, 'node.power.target', { nodeId, target: 'Down' });
  h.ok(nodeKey, 'node.power.state', { state: 'Down' });
  assert.equal(h.machine.query.node(nodeId)!.powerTarget, 'Down');
  assert.equal(h.machine.query.node(nodeId)!.powerState, 'Down');
});

test('node status: down after two uptime intervals without a report, up again on the next report', () => {
  // Goal: status from the last report vs the interval param. Method: advance block time past 2 intervals.
  const h = new Harness(testGenesis({ uptimeIntervalMs: 60_000 }));
  const { nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  const last = h.machine.query.node(nodeId)!.lastUptimeMs;
  assert.equal(h.block([], last + 120_000).events.length, 0, 'exactly 2 intervals old is still up');
  const down = h.block([], last + 120_001);
  assert.deepEqual(down.events, [{ type: 'NodeStatusChanged', nodeId, status: 'down', lastUptimeMs: last }]);
  assert.equal(h.machine.query.node(nodeId)!.status, 'down');
  const back = h.ok(nodeKey, 'node.uptime', { uptimeSec: 10 });
  assert.deepEqual(back.events.map((e) => e.type), ['NodeUptimeReported', 'NodeStatusChanged']);
  assert.equal(h.machine.query.node(nodeId)!.status, 'up');
});

test('node contracts: (node, hash) unique, ≤ 512 B of data, owner-only update and cancel', () => {
  // Goal: node contract rules. Method: create, update, cancel, and each refusal.
  const h = new Harness();
  const { nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  makeTwin(h, user);
  makeTwin(h, other);
  const hash = 'ab'.repeat(32);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: hash, deploymentData: 'é'.repeat(256) });
  refused(h, other, 'contract.node.create', { nodeId, deploymentHash: hash }, ChainError.DUPLICATE_DEPLOYMENT);
  refused(h, other, 'contract.node.create', { nodeId, deploymentHash: 'cd'.repeat(32), deploymentData: 'é'.repeat(257) }, ChainError.INVALID_PAYLOAD);
  refused(h, other, 'contract.node.create', { nodeId: 77, deploymentHash: 'cd'.repeat(32) }, ChainError.UNKNOWN_NODE);
  refused(h, other, 'contract.node.create', { nodeId, deploymentHash: 'AB'.repeat(32) }, ChainError.INVALID_PAYLOAD);
  assert.equal(h.machine.query.contractByNodeHash(nodeId, hash)?.id, 1);
  h.ok(other, 'contract.node.create', { nodeId, deploymentHash: 'cd'.repeat(32) });
  refused(h, user, 'contract.node.update', { contractId: 1, deploymentHash: 'cd'.repeat(32) }, ChainError.DUPLICATE_DEPLOYMENT);
  refused(h, other, 'contract.node.update', { contractId: 1, deploymentHash: 'ef'.repeat(32) }, ChainError.NOT_OWNER);
  h.ok(user, 'contract.node.update', { contractId: 1, deploymentHash: 'ef'.repeat(32) });
  assert.equal(h.machine.query.contractByNodeHash(nodeId, hash), undefined);
  assert.equal(h.machine.query.contractByNodeHash(nodeId, 'ef'.repeat(32))?.id, 1);
  refused(h, other, 'contract.cancel', { contractId: 1 }, ChainError.NOT_OWNER);
  refused(h, user, 'contract.cancel', { contractId: 9 }, ChainError.UNKNOWN_CONTRACT);
  const cancel = h.ok(user, 'contract.cancel', { contractId: 1 });
  assert.deepEqual(cancel.events.at(-1), { type: 'ContractDeleted', contractId: 1, twinId: 3, kind: 'node', nodeId, reason: 'CanceledByUser' });
  assert.equal(h.machine.query.contract(1), undefined);
});

test('node resource reports: only the node, only its own node contracts', () => {
  // Goal: the node reports used resources for billing. Method: report as the node, as another twin, for a foreign contract.
  const h = new Harness();
  const { nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  makeTwin(h, user);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32) });
  h.ok(user, 'contract.name.create', { name: 'myname' });
  const used = { cru: 1, mru: 2 ** 30, sru: 0, hru: 0 };
  h.ok(nodeKey, 'node.report', { reports: [{ contractId: 1, resources: used }] });
  const contract = h.machine.query.contract(1)!;
  assert.deepEqual(contract.kind === 'node' && contract.resources, used);
  refused(h, user, 'node.report', { reports: [{ contractId: 1, resources: used }] }, ChainError.UNKNOWN_NODE);
  refused(h, nodeKey, 'node.report', { reports: [{ contractId: 1, resources: used }, { contractId: 2, resources: used }] }, ChainError.NOT_OWNER);
  refused(h, nodeKey, 'node.report', { reports: [] }, ChainError.INVALID_PAYLOAD);
});

test('name contracts: 3–64 of [a-z0-9-_], unique', () => {
  // Goal: name contract rules. Method: create, duplicate, malformed names, then free the name by canceling.
  const h = new Harness();
  makeTwin(h, user);
  makeTwin(h, other);
  h.ok(user, 'contract.name.create', { name: 'my-site_1' });
  refused(h, other, 'contract.name.create', { name: 'my-site_1' }, ChainError.DUPLICATE_NAME);
  for (const name of ['ab', 'Upper', 'a'.repeat(65), 'dot.name']) refused(h, other, 'contract.name.create', { name }, ChainError.INVALID_PAYLOAD);
  h.ok(user, 'contract.cancel', { contractId: 1 });
  h.ok(other, 'contract.name.create', { name: 'my-site_1' });
  assert.equal(h.machine.query.contractByName('my-site_1')?.twinId, 2);
});

test('rent contracts: whole node for one twin; only the renter deploys; cancel needs an empty node', () => {
  // Goal: rented node rules. Method: rent, deploy as renter and as another twin, rent twice, cancel in both orders.
  const h = new Harness();
  const { nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  makeTwin(h, user);
  makeTwin(h, other);
  h.ok(other, 'contract.node.create', { nodeId, deploymentHash: '01'.repeat(32) });
  refused(h, user, 'contract.rent.create', { nodeId }, ChainError.NODE_HAS_CONTRACTS);
  h.ok(other, 'contract.cancel', { contractId: 1 });
  h.ok(user, 'contract.rent.create', { nodeId });
  const rentId = h.machine.query.rentContractOfNode(nodeId)!.id;
  refused(h, other, 'contract.rent.create', { nodeId }, ChainError.NODE_RENTED);
  refused(h, other, 'contract.node.create', { nodeId, deploymentHash: '02'.repeat(32) }, ChainError.NODE_RENTED);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: '02'.repeat(32) });
  refused(h, user, 'contract.cancel', { contractId: rentId }, ChainError.NODE_HAS_CONTRACTS);
  h.ok(user, 'contract.cancel', { contractId: rentId + 1 });
  h.ok(user, 'contract.cancel', { contractId: rentId });
  assert.equal(h.machine.query.rentContractOfNode(nodeId), undefined);
});

test('admin transactions: pricing policies, parameters and certification are the admin’s alone', () => {
  // Goal: genesis/admin-only state. Method: try as a user, then as the admin.
  const h = new Harness();
  const { farmId, nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  const policy = { id: 2, name: 'cheap', cuUsdUnitsPerHour: 1, suUsdUnitsPerHour: 1, ipuUsdUnitsPerHour: 1, uniqueNameUsdUnitsPerHour: 1, dedicatedDiscountPercent: 0 };
  refused(h, farmer, 'pricing.set', policy, ChainError.NOT_ADMIN);
  h.ok(admin, 'pricing.set', policy);
  assert.deepEqual(h.machine.query.pricingPolicy(2), policy);
  refused(h, farmer, 'params.set', { tftPriceUsdUnits: 1 }, ChainError.NOT_ADMIN);
  refused(h, admin, 'params.set', { defaultPricingPolicyId: 3 }, ChainError.UNKNOWN_PRICING_POLICY);
  h.ok(admin, 'params.set', { tftPriceUsdUnits: 1_000_000 });
  assert.equal(h.machine.query.params().tftPriceUsdUnits, 1_000_000);
  refused(h, farmer, 'admin.certify', { kind: 'farm', id: farmId, certification: 'Gold' }, ChainError.NOT_ADMIN);
  refused(h, admin, 'admin.certify', { kind: 'node', id: 99, certification: 'Certified' }, ChainError.UNKNOWN_NODE);
  h.ok(admin, 'admin.certify', { kind: 'farm', id: farmId, certification: 'Gold' });
  h.ok(admin, 'admin.certify', { kind: 'node', id: nodeId, certification: 'Certified' });
  assert.equal(h.machine.query.farm(farmId)!.certification, 'Gold');
  assert.equal(h.machine.query.node(nodeId)!.certification, 'Certified');
});

test('precheck agrees with apply and changes nothing', () => {
  // Goal: the sequencer's admission check is a dry run. Method: precheck good and bad txs, compare roots.
  const h = new Harness();
  makeTwin(h, user, 2n * tft);
  const root = h.machine.stateRoot();
  const good = h.tx(user, 'contract.name.create', { name: 'abc' });
  assert.equal(h.machine.precheck(good, 0), undefined);
  h.nonces.clear();
  const poor = h.tx(user, 'transfer', { to: other.publicKeyHex, amount: (3n * tft).toString() });
  assert.equal(h.machine.precheck(poor, 0)?.code, ChainError.INSUFFICIENT_FUNDS);
  assert.equal(h.machine.precheck({ ...poor, type: 'nope' }, 0)?.code, ChainError.UNKNOWN_TX_TYPE);
  assert.equal(h.machine.precheck({ ...poor, signer: 'xyz' }, 0)?.code, ChainError.INVALID_TX);
  assert.equal(h.machine.stateRoot(), root);
  assert.equal(h.machine.query.contractByName('abc'), undefined);
});

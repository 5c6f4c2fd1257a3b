import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPricingPolicy } from '../genesis.ts';
import { Harness, identity, makeFarmAndNode, makeTwin, tft, testGenesis, treasury } from '../testing.ts';
import { billDueContracts } from './lifecycle.ts';
import { cloudUnits, computeUnits, nameCostUsdUnits, rentCostUsdUnits, resourcesCostUsdUnits, storageUnits, usdToTftUnits } from './cost.ts';

const gb = 2 ** 30;
const hourMs = 3_600_000;
const farmer = identity(1);
const nodeKey = identity(2);
const user = identity(3);
const policy = defaultPricingPolicy; // CU 0.01 USD/h, SU 0.005, IP 0.004, name 0.00025

test('cloud units follow tfchain’s formulas', () => {
  // Goal: CU = min of three (mru, cru) bundles, SU = hru/1200 + sru/200. Method: hand-computed cases.
  assert.equal(computeUnits(2, 4), 1); // min(max(1,1), max(0.5,2), max(2,0.5))
  assert.equal(computeUnits(1, 2), 0.5); // min(max(0.5,0.5), max(0.25,1), max(1,0.25))
  assert.equal(computeUnits(4, 16), 4); // min(max(4,2), max(2,4), max(8,1))
  assert.equal(computeUnits(8, 32), 8);
  assert.equal(storageUnits(1200, 200), 2);
  assert.deepEqual(cloudUnits({ cru: 2, mru: 4 * gb, sru: 50 * gb, hru: 0 }), { cu: 1, su: 0.25 });
});

test('costs in USD units and their TFT conversion', () => {
  // Goal: price × hours × units for CU, SU and IPs, then USD → TFT at the TFT price. Method: hand-computed cases.
  const small = { cru: 2, mru: 4 * gb, sru: 50 * gb, hru: 0 };
  assert.equal(resourcesCostUsdUnits(small, 0, hourMs, policy, true), 112_500); // 1 CU × 100000 + 0.25 SU × 50000
  assert.equal(resourcesCostUsdUnits(small, 1, hourMs, policy, true), 152_500); // + 1 IP × 40000
  assert.equal(resourcesCostUsdUnits(small, 1, hourMs / 2, policy, true), 76_250);
  assert.equal(resourcesCostUsdUnits(small, 1, hourMs, policy, false), 40_000, 'on a rented node only the IP');
  assert.equal(resourcesCostUsdUnits(small, 1, 0, policy, true), 0);
  // 0.05 USD per TFT: 152500 USD units = 0.01525 USD = 0.305 TFT = 3,050,000 units.
  assert.equal(usdToTftUnits(152_500, 500_000), 3_050_000n);
  assert.equal(usdToTftUnits(1, 3), 3_333_333n);
  // A rented node: CU 8, SU 4000/1200 + 1000/200 = 8.333…; 8 × 100000 + 8.333… × 50000 = 1216666.67 → 1216667; 50 % off → 608334.
  const node = { cru: 8, mru: 32 * gb, sru: 1000 * gb, hru: 4000 * gb };
  assert.equal(rentCostUsdUnits(node, hourMs, policy), 608_334);
  assert.equal(nameCostUsdUnits(hourMs, policy), 2_500);
  assert.equal(nameCostUsdUnits(90 * 60_000, policy), 3_750);
});

function setup(balance: bigint, options: Parameters<typeof testGenesis>[0] = {}): { h: Harness; nodeId: number; farmerBalance: () => bigint; userBalance: () => bigint } {
  const h = new Harness(testGenesis(options));
  const { nodeId } = makeFarmAndNode(h, farmer, nodeKey);
  makeTwin(h, user, balance);
  return { h, nodeId, farmerBalance: () => h.machine.query.balance(farmer.publicKeyHex), userBalance: () => h.machine.query.balance(user.publicKeyHex) };
}

const small = { cru: 2, mru: 4 * gb, sru: 50 * gb, hru: 0 }; // 2,250,000 TFT units per hour at 0.05 USD/TFT

/** The contract events of a block (the node goes down meanwhile: it sends no uptime here). */
function contractEvents(block: { events: ReadonlyArray<{ type: string; [field: string]: unknown }> }): Array<{ type: string; [field: string]: unknown }> {
  return block.events.filter((e) => e.type.startsWith('Contract'));
}

test('a node contract is billed each period from its last bill; the farmer is paid', () => {
  // Goal: billing on the due time, farmer credited. Method: blocks just before and at the due time.
  const { h, nodeId, farmerBalance, userBalance } = setup(10n * tft);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32), resources: small });
  const created = h.nowMs;
  const [farmer0, user0] = [farmerBalance(), userBalance()];
  assert.equal(h.block([], created + hourMs - 1).events.length, 0, 'not due yet');
  const billed = h.block([], created + hourMs);
  assert.deepEqual(billed.events, [{ type: 'ContractBilled', contractId: 1, twinId: 3, amount: '2250000', periodMs: hourMs }]);
  assert.equal(userBalance(), user0 - 2_250_000n);
  assert.equal(farmerBalance(), farmer0 + 2_250_000n);
  // A late block bills the whole elapsed time: 1.5 h.
  const late = h.block([], created + 2.5 * hourMs);
  assert.equal(contractEvents(late)[0]!.amount, '3375000');
});

test('resource reports change what the next bill charges', () => {
  // Goal: node contracts are billed from the node's report. Method: report double resources, bill one hour.
  const { h, nodeId } = setup(10n * tft);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32) });
  const created = h.nowMs;
  h.ok(nodeKey, 'node.report', { reports: [{ contractId: 1, resources: { cru: 4, mru: 16 * gb, sru: 0, hru: 0 } }] });
  const billed = h.block([], created + hourMs);
  // 4 CU × 100000 = 400000 USD units = 8,000,000 TFT units.
  assert.equal(billed.events[0]!.amount, '8000000');
});

test('a name contract pays the treasury', () => {
  // Goal: flat name fee. Method: one hour of a name contract.
  const { h } = setup(10n * tft);
  h.ok(user, 'contract.name.create', { name: 'site' });
  const created = h.nowMs;
  h.block([], created + hourMs);
  assert.equal(h.machine.query.balance(treasury.publicKeyHex), 50_000n); // 2500 USD units at 0.05
});

test('grace period: entered when the twin cannot pay, left with the debt paid after a top-up', () => {
  // Goal: Created → GracePeriod → Created. Method: fund for one bill, let the second fail, top up.
  const { h, nodeId, farmerBalance } = setup(3_000_000n);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32), resources: small });
  const t0 = h.nowMs;
  h.block([], t0 + hourMs);
  assert.equal(h.machine.query.balance(user.publicKeyHex), 750_000n);
  const grace = h.block([], t0 + 2 * hourMs);
  assert.deepEqual(contractEvents(grace), [{ type: 'ContractGracePeriodStarted', contractId: 1, twinId: 3, nodeId, debt: '2250000' }]);
  assert.equal(h.machine.query.contract(1)!.state, 'GracePeriod');
  h.block([], t0 + 3 * hourMs);
  assert.equal(h.machine.query.contract(1)!.debt, '4500000', 'the debt grows while in grace');
  const farmerBefore = farmerBalance();
  h.ok(farmer, 'transfer', { to: user.publicKeyHex, amount: (1n * tft).toString() });
  assert.equal(h.machine.query.contract(1)!.state, 'GracePeriod', 'restored at the next bill, not at the top-up');
  const back = h.block([], t0 + 4 * hourMs);
  assert.deepEqual(contractEvents(back).map((e) => e.type), ['ContractBilled', 'ContractGracePeriodEnded']);
  assert.equal(contractEvents(back)[0]!.amount, '6750000');
  assert.equal(h.machine.query.contract(1)!.state, 'Created');
  assert.equal(h.machine.query.contract(1)!.debt, '0');
  assert.equal(farmerBalance(), farmerBefore - 1n * tft + 6_750_000n);
});

test('grace period: the contract is deleted for lack of funds when it ends, and its IP freed', () => {
  // Goal: GracePeriod → Deleted(OutOfFunds). Method: a 2-hour grace period and no top-up.
  const { h, nodeId } = setup(0n + 1n, { gracePeriodMs: 2 * hourMs });
  const farmId = h.machine.query.node(nodeId)!.farmId;
  h.ok(farmer, 'farm.ip.add', { farmId, ip: '185.206.122.33/24', gateway: '185.206.122.1' });
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32), resources: small, publicIps: 1 });
  const t0 = h.nowMs;
  h.block([], t0 + hourMs);
  assert.equal(h.machine.query.contract(1)!.state, 'GracePeriod');
  h.block([], t0 + 2 * hourMs);
  assert.equal(h.machine.query.contract(1)!.state, 'GracePeriod');
  const end = h.block([], t0 + 3 * hourMs);
  assert.deepEqual(contractEvents(end), [{ type: 'ContractDeleted', contractId: 1, twinId: 3, kind: 'node', nodeId, reason: 'OutOfFunds' }]);
  assert.equal(h.machine.query.contract(1), undefined);
  assert.equal(h.machine.query.farm(farmId)!.publicIps[0]!.contractId, 0);
  assert.equal(h.machine.query.contractByNodeHash(nodeId, 'ab'.repeat(32)), undefined);
});

test('rent contracts: the renter pays the whole node at the dedicated discount; node contracts on it pay only IPs', () => {
  // Goal: rent billing. Method: rent, deploy with one IP, bill one hour.
  const { h, nodeId, farmerBalance } = setup(100n * tft);
  const farmId = h.machine.query.node(nodeId)!.farmId;
  h.ok(farmer, 'farm.ip.add', { farmId, ip: '185.206.122.33/24', gateway: '185.206.122.1' });
  h.ok(user, 'contract.rent.create', { nodeId });
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32), resources: small, publicIps: 1 });
  const t0 = h.nowMs;
  const before = farmerBalance();
  const billed = h.block([], t0 + hourMs);
  // Rent, created 1 s before the node contract, is billed for 1 h 1 s: 1216666.67 × 3601/3600 =
  // 1217004.63 → 1217005 USD units, 50 % off → 608503 (half rounds up) → × 20 = 12,170,060 TFT units.
  // The node contract pays its IP only: 40000 USD units → 800,000 TFT units.
  assert.deepEqual(contractEvents(billed).map((e) => [e.contractId, e.amount]), [[1, '12170060'], [2, '800000']]);
  assert.equal(farmerBalance(), before + 12_170_060n + 800_000n);
});

test('rent contracts: grace spreads to the node contracts, deletion takes them along', () => {
  // Goal: a rented node's contracts follow its rent. Method: an unfunded renter through grace to deletion.
  const { h, nodeId } = setup(1n, { gracePeriodMs: hourMs });
  h.ok(user, 'contract.rent.create', { nodeId });
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32) });
  const t0 = h.nowMs;
  const grace = h.block([], t0 + hourMs);
  assert.deepEqual(contractEvents(grace).map((e) => [e.type, e.contractId]), [['ContractGracePeriodStarted', 1], ['ContractGracePeriodStarted', 2]]);
  const end = h.block([], t0 + 2 * hourMs + 1000);
  assert.deepEqual(contractEvents(end).map((e) => [e.type, e.contractId, e.reason]), [['ContractDeleted', 2, 'OutOfFunds'], ['ContractDeleted', 1, 'OutOfFunds']]);
  assert.equal(h.machine.query.rentContractOfNode(nodeId), undefined);
});

test('a canceled contract pays for its time up to the cancel', () => {
  // Goal: the final bill at cancel. Method: cancel after half an hour.
  const { h, nodeId, userBalance } = setup(10n * tft);
  h.ok(user, 'contract.node.create', { nodeId, deploymentHash: 'ab'.repeat(32), resources: small });
  const before = userBalance();
  h.stepMs = hourMs / 2;
  const cancel = h.ok(user, 'contract.cancel', { contractId: 1 });
  assert.deepEqual(contractEvents(cancel).map((e) => e.type), ['ContractBilled', 'ContractDeleted']);
  assert.equal(userBalance(), before - 1_125_000n);
});

test('bills per block are capped: contracts falling due together are billed over the next blocks, in id order', () => {
  // Goal: bounded block size. Method: five contracts due at once, a cap of two, three passes.
  const { h, nodeId } = setup(10n * tft);
  for (let i = 0; i < 5; i++) h.ok(user, 'contract.node.create', { nodeId, deploymentHash: String(i).padStart(2, '0').repeat(32), resources: small });
  const due = Math.max(...[1, 2, 3, 4, 5].map((id) => h.machine.state.contracts.get(id)!.nextBillMs));
  const billedIds = (): number[] => {
    const events: Array<{ type: string; contractId?: unknown }> = [];
    billDueContracts(h.machine.state, due, (event) => events.push(event), 2);
    return events.filter((e) => e.type === 'ContractBilled').map((e) => Number(e.contractId));
  };
  assert.deepEqual(billedIds(), [1, 2]);
  assert.deepEqual(billedIds(), [3, 4]);
  assert.deepEqual(billedIds(), [5]);
  assert.deepEqual(billedIds(), []);
});

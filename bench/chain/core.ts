// Micro-benchmark of the chain's pure core (no log, no RPC; the shell's bench measures end to end):
//   1. apply throughput of signed transfers, signature checks excluded (the sequencer does them
//      in worker threads), state root computed per block as in production;
//   2. one billing cycle over a generated state of 100k nodes, 1M twins and 1M node contracts,
//      all due in the same block (the worst case), with the state root after it; then the
//      snapshot at once, its restore, and the snapshot in 1 MiB slices as the node takes it.
// Usage: npm run bench:chain-core [-- --contracts 1000000 --nodes 100000 --transfers 50000 --no-snapshot]
import { parseArgs } from 'node:util';
import { Identity } from '../../src/crypto/index.ts';
import { ChainMachine, buildTx, defaultPricingPolicy, type ChainEvent, type Contract, type Genesis, type SignedTx } from '../../src/chain/index.ts';
import { billDueContracts } from '../../src/chain/core/billing/lifecycle.ts';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    contracts: { type: 'string', default: '1000000' },
    nodes: { type: 'string', default: '100000' },
    transfers: { type: 'string', default: '50000' },
    block: { type: 'string', default: '5000' },
    snapshot: { type: 'boolean', default: true },
  },
});
const contractCount = Number(values.contracts);
const nodeCount = Number(values.nodes);
const transferCount = Number(values.transfers);
const blockTxs = Number(values.block);
const gb = 2 ** 30;
const hourMs = 3_600_000;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function memory(): string {
  const m = process.memoryUsage();
  return `rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB`;
}

function genesis(accounts: readonly string[]): Genesis {
  const admin = Identity.fromSeed('c8'.repeat(32)).publicKeyHex;
  return {
    version: 1,
    chainId: 'bench',
    sequencer: admin,
    timestampMs: 1_000_000,
    params: { billingPeriodMs: hourMs, gracePeriodMs: 14 * 24 * hourMs, uptimeIntervalMs: 40 * 60_000, tftPriceUsdUnits: 500_000, defaultPricingPolicyId: 1, admin, treasury: admin },
    pricingPolicies: [defaultPricingPolicy],
    accounts: accounts.map((address) => ({ address, balance: '1000000000000' })),
  };
}

function benchTransfers(): void {
  const senders = Array.from({ length: 1000 }, (_, i) => Identity.fromSeed((i + 1).toString(16).padStart(64, '0')));
  const machine = ChainMachine.fromGenesis(genesis(senders.map((s) => s.publicKeyHex)));
  const signStart = performance.now();
  const txs: SignedTx[] = [];
  const nonces = new Map<Identity, number>();
  for (let i = 0; i < transferCount; i++) {
    const from = senders[i % senders.length]!;
    const nonce = (nonces.get(from) ?? 0) + 1;
    nonces.set(from, nonce);
    txs.push(buildTx(from, 'transfer', { to: senders[(i * 7 + 3) % senders.length]!.publicKeyHex, amount: '1000' }, nonce));
  }
  const signMs = performance.now() - signStart;
  const start = performance.now();
  let ok = 0;
  for (let i = 0; i < txs.length; i += blockTxs) {
    const applied = machine.apply({ height: machine.height + 1, timestampMs: 1_000_000 + machine.height * 500, transactions: txs.slice(i, i + blockTxs) });
    ok += applied.results.filter((r) => r.ok).length;
  }
  const ms = performance.now() - start;
  console.log(`transfers: ${ok}/${txs.length} applied in ${ms.toFixed(0)} ms = ${((ok / ms) * 1000).toFixed(0)} tx/s (blocks of ${blockTxs}, root per block; signing them took ${signMs.toFixed(0)} ms)`);
}

function benchBilling(): void {
  const twinCount = contractCount;
  const start = performance.now();
  const machine = ChainMachine.fromGenesis(genesis([]));
  const state = machine.state;
  const t0 = 1_000_000;
  const farmCount = Math.max(1, Math.floor(nodeCount / 100));
  // Twins and their accounts: twin i's account is its id in hex (not a real key: nothing is signed here).
  for (let id = 1; id <= twinCount; id++) {
    const account = id.toString(16).padStart(64, '0');
    state.accounts.set(account, { address: account, balance: 1_000_000_000n, nonce: 0 });
    state.twins.set(id, { id, account, encryptionKey: account, relays: ['relay.grid.tf'], createdMs: t0 });
  }
  for (let id = 1; id <= farmCount; id++) state.farms.set(id, { id, name: `farm-${id}`, twinId: id, pricingPolicyId: 1, certification: 'NotCertified', publicIps: [], createdMs: t0 });
  const resources = { cru: 32, mru: 256 * gb, sru: 4000 * gb, hru: 16000 * gb };
  const location = { country: 'Belgium', city: 'Ghent', latitude: 51, longitude: 3.7 };
  for (let id = 1; id <= nodeCount; id++) {
    state.nodes.set(id, { id, farmId: 1 + (id % farmCount), twinId: id, resources, location, publicConfig: null, interfaces: [], certification: 'Diy', secureBoot: false, virtualized: false, serial: '', createdMs: t0, updatedMs: t0, uptimeSec: 0, lastUptimeMs: t0 + 10 * hourMs, status: 'up', powerTarget: 'Up', powerState: 'Up', powerChangedMs: t0 });
  }
  const used = { cru: 2, mru: 4 * gb, sru: 50 * gb, hru: 0 };
  for (let id = 1; id <= contractCount; id++) {
    const contract: Contract = { id, twinId: id, state: 'Created', createdMs: t0, lastBilledMs: t0, nextBillMs: t0 + hourMs, graceStartMs: 0, debt: 0n, kind: 'node', nodeId: 1 + (id % nodeCount), deploymentHash: id.toString(16).padStart(64, '0'), deploymentData: '', publicIps: 0, publicIpList: [], resources: used };
    state.contracts.set(id, contract);
  }
  state.updateMeta({ nextTwinId: twinCount + 1, nextFarmId: farmCount + 1, nextNodeId: nodeCount + 1, nextContractId: contractCount + 1 });
  const built = performance.now();
  machine.stateRoot();
  const rooted = performance.now();
  console.log(`state: ${twinCount} twins+accounts, ${farmCount} farms, ${nodeCount} nodes, ${contractCount} contracts built in ${(built - start).toFixed(0)} ms, first root ${(rooted - built).toFixed(0)} ms; ${memory()}`);
  // The cycle as apply runs it, split in its two parts: billing (state writes, events) and the root.
  const cycleStart = performance.now();
  state.updateMeta({ height: 1, timestampMs: t0 + hourMs });
  const events: ChainEvent[] = [];
  const billed = billDueContracts(state, t0 + hourMs, (event) => void events.push(event));
  const billedMs = performance.now() - cycleStart;
  machine.stateRoot();
  const cycleMs = performance.now() - cycleStart;
  console.log(`billing cycle: ${billed} contracts billed in ${billedMs.toFixed(0)} ms + state root ${(cycleMs - billedMs).toFixed(0)} ms = ${cycleMs.toFixed(0)} ms; ${events.length} events; ${memory()}`);
  const rootStart = performance.now();
  machine.apply({ height: 2, timestampMs: t0 + hourMs + 500, transactions: [] }); // an ordinary block after it
  console.log(`next empty block: ${(performance.now() - rootStart).toFixed(1)} ms`);
  if (!values.snapshot) return;
  // As the node takes it: 1 MiB slices (snapshotSliceBytes), the longest one is what the event
  // loop waits (a major GC lands in some slice). First, while the heap holds one state only.
  const sliceStart = performance.now();
  const slices = machine.beginSnapshot();
  const sliceMs: number[] = [];
  let sliceCount = 0;
  for (let done = false; !done; sliceCount++) {
    const stepStart = performance.now();
    done = slices.step(1 << 20);
    sliceMs.push(performance.now() - stepStart);
  }
  console.log(`sliced snapshot: ${sliceCount} slices of 1 MiB in ${(performance.now() - sliceStart).toFixed(0)} ms, slice p50 ${quantile(sliceMs, 0.5).toFixed(1)} ms, p99 ${quantile(sliceMs, 0.99).toFixed(1)} ms, longest ${quantile(sliceMs, 1).toFixed(1)} ms; ${memory()}`);
  const snapStart = performance.now();
  const snapshot = machine.snapshot();
  const snapMs = performance.now() - snapStart;
  const restoreStart = performance.now();
  const restored = ChainMachine.restore(snapshot);
  console.log(`snapshot: ${(snapshot.length / 2 ** 20).toFixed(0)} MiB in ${snapMs.toFixed(0)} ms; restore ${(performance.now() - restoreStart).toFixed(0)} ms (root equal: ${restored.stateRoot() === machine.stateRoot()}); ${memory()}`);
}

benchTransfers();
benchBilling();

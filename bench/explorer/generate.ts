// Writes the benchmark's chain: a block log made by the chain's own state machine and sealed by
// its own signBlock, then a snapshot of the final state so `tfgrid chain` starts without a
// replay. Twins for every farmer, node and user; farms; nodes in 40 countries with varied sizes;
// node contracts spread over the nodes. Transactions are applied in blocks of 4,096 (the
// sequencer's maximum), one second of chain time apart, ending 5 minutes ago; the billing
// period is a day, so no bill falls due while the benchmark runs.
// Transaction signatures are zeros: neither a chain replay nor the indexer checks them (the
// sequencer did before inclusion, and its block signature covers the tx root), so real ones
// would only measure this generator (~20k signs/s per core). Accounts are ids in hex, as in
// bench/chain/core.ts. The result is cached by size in the given directory.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChainMachine} from '../../src/chain/index.ts';
import { chainCore, defaultPricingPolicy, openFileLog, productionParams, type Genesis, type SignedTx } from '../../src/chain/index.ts';
import { writeSnapshot } from '../../src/chain/shell/snapshot.ts';
import { Identity } from '../../src/crypto/index.ts';

const gib = 2 ** 30;
export const blockTxs = 4096;
const countries = Array.from({ length: 40 }, (_, i) => `Country-${String.fromCharCode(65 + (i % 26))}${i}`);

export interface Dataset { readonly dataDir: string; readonly transactions: number; readonly blocks: number; readonly countries: readonly string[] }

const account = (role: number, index: number) => (role * 2 ** 40 + index + 1).toString(16).padStart(64, '0');
const zeros = '0'.repeat(128);
const cacheAgeMsMax = 45 * 60_000;

/** Every transaction, in order, per account nonces counted here. */
function* transactions(sizes: { nodes: number; contracts: number; farms: number; users: number }): Generator<SignedTx> {
  const nonces = new Map<string, number>();
  const tx = (signer: string, type: string, payload: unknown): SignedTx => {
    const nonce = (nonces.get(signer) ?? 0) + 1;
    nonces.set(signer, nonce);
    return { type, signer, nonce, payload, signature: zeros };
  };
  const encryptionKey = 'ab'.repeat(32);
  for (let i = 0; i < sizes.farms; i++) yield tx(account(1, i), 'twin.create', { encryptionKey, relays: [] });
  for (let i = 0; i < sizes.nodes; i++) yield tx(account(2, i), 'twin.create', { encryptionKey, relays: [] });
  for (let i = 0; i < sizes.users; i++) yield tx(account(3, i), 'twin.create', { encryptionKey, relays: [] });
  for (let i = 0; i < sizes.farms; i++) yield tx(account(1, i), 'farm.create', { name: `farm-${i}` });
  for (let i = 0; i < sizes.nodes; i++) {
    const size = 1 + (i % 8);
    const location = { country: countries[i % countries.length]!, city: `city-${i % 500}`, latitude: ((i * 37) % 140) - 60, longitude: ((i * 71) % 360) - 180 };
    const publicConfig = i % 10 === 0 ? { ip4: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/24`, gw: '10.0.0.1' }, ip6: null, domain: null } : null;
    yield tx(account(2, i), 'node.create', { farmId: 1 + (i % sizes.farms), resources: { cru: 4 * size, mru: 16 * size * gib, sru: 500 * size * gib, hru: (i % 3) * 4000 * gib }, location, publicConfig });
  }
  for (let i = 0; i < sizes.contracts; i++) {
    const nodeId = 1 + ((i * 7919) % sizes.nodes);
    yield tx(account(3, i % sizes.users), 'contract.node.create', { nodeId, deploymentHash: (i + 1).toString(16).padStart(64, '0'), resources: { cru: 1 + (i % 2), mru: (1 + (i % 4)) * gib, sru: 25 * gib, hru: 0 } });
  }
}

export async function generate(dir: string, sizes: { nodes: number; contracts: number }, note: (text: string) => void): Promise<Dataset> {
  const dataDir = join(dir, `chain-${sizes.nodes}-${sizes.contracts}`);
  const farms = Math.max(1, Math.floor(sizes.nodes / 100));
  const users = Math.max(1, Math.floor(sizes.contracts / 100));
  const total = 2 * farms + 2 * sizes.nodes + users + sizes.contracts;
  const dataset = { dataDir, transactions: total, blocks: Math.ceil(total / blockTxs), countries };
  // Reused while its nodes still count as up (reported within 80 min of the chain's time).
  if (existsSync(join(dataDir, 'complete')) && Date.now() - statSync(join(dataDir, 'complete')).mtimeMs < cacheAgeMsMax) return dataset;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const sequencer = Identity.fromSeed('5e'.repeat(32));
  const accounts = [...Array.from({ length: farms }, (_, i) => account(1, i)), ...Array.from({ length: sizes.nodes }, (_, i) => account(2, i)), ...Array.from({ length: users }, (_, i) => account(3, i))];
  const t0 = Date.now() - 10 * 60_000;
  const genesis: Genesis = {
    version: 1, chainId: 'bench-explorer', sequencer: sequencer.publicKeyHex, timestampMs: t0,
    // A day's billing period: 1M contracts due in one block would be one block of 1M bills
    // (above the log's 64 MiB record limit), and bills are not what this measures.
    params: { ...productionParams, billingPeriodMs: 24 * 3_600_000, tftPriceUsdUnits: 500_000, defaultPricingPolicyId: 1, admin: sequencer.publicKeyHex, treasury: sequencer.publicKeyHex },
    pricingPolicies: [defaultPricingPolicy],
    accounts: accounts.map((address) => ({ address, balance: '100000000000000' })),
  };
  writeFileSync(join(dataDir, 'genesis.json'), JSON.stringify(genesis));
  writeFileSync(join(dataDir, 'sequencer-seed'), sequencer.seedHex + '\n', { mode: 0o600 });
  const core = chainCore({ genesis, sequencer });
  const log = await openFileLog({ path: join(dataDir, 'blocks.log'), genesisHash: core.genesisHash, check: core.check, fsync: false });
  const machine = core.genesis() as ChainMachine;
  const started = performance.now();
  let batch: SignedTx[] = [];
  let refused = 0;
  const seal = async () => {
    const input = { height: machine.height + 1, timestampMs: t0 + (machine.height + 1) * 1000, transactions: batch };
    const applied = machine.apply(input);
    refused += applied.results.filter((r) => !r.ok).length;
    await log.append(core.seal(input, applied, log.lastHash));
    batch = [];
    if (machine.height % 50 === 0) note(`generated ${machine.height} of ${dataset.blocks} blocks (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  };
  for (const tx of transactions({ ...sizes, farms, users })) {
    batch.push(tx);
    if (batch.length === blockTxs) await seal();
  }
  if (batch.length > 0) await seal();
  if (refused > 0) throw new Error(`${refused} generated transactions were refused: the generator is wrong`);
  const last = (await log.readFrom(log.height, 1))[0]!;
  await writeSnapshot(dataDir, { height: last.height, blockHash: last.hash, stateRoot: last.stateRoot }, [machine.snapshot()]);
  await log.close();
  writeFileSync(join(dataDir, 'complete'), `${total}\n`);
  note(`generated ${total} transactions in ${log.height} blocks in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return dataset;
}

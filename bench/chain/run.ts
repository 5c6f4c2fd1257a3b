// Chain benchmark: committed transactions per second (signed transfers, node-contract creations)
// and submit-to-inclusion latency p50/p99, against a real `tfgrid chain` process on this machine.
// Transactions are signed before the clock starts; submitters own disjoint signers and send
// batches (POST /v1/txs) in nonce order; inclusion is observed on the WebSocket block feed.
// Usage: node bench/chain/run.ts [--txs 40000] [--block-interval 500] [--rate 2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Identity } from '../../src/crypto/index.ts';
import { ChainClient } from '../../src/chain/client.ts';
import { buildTx } from '../../src/chain/core/tx/envelope.ts';
import type { Block, SignedTx } from '../../src/chain/core/seam.ts';
import { startChainProcess } from '../../src/chain/shell/process-testing.ts';
import { printTable } from '../lib/measure.ts';

const { values } = parseArgs({ options: { txs: { type: 'string', default: '40000' }, 'block-interval': { type: 'string', default: '500' }, rate: { type: 'string', default: '2000' }, signers: { type: 'string', default: '200' } } });
const txsTotal = Number(values.txs);
const blockIntervalMs = Number(values['block-interval']);
const latencyRatePerSec = Number(values.rate);
const signersCount = Number(values.signers);
const submitters = 8;
const batchTxs = 250;

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-bench-chain-'));
const signers = Array.from({ length: signersCount }, (_, i) => Identity.fromSeed((BigInt(i + 1) * 0x1234567n).toString(16).padStart(64, '0')));
const farmer = Identity.fromSeed('f1'.repeat(32));
const nodeKey = Identity.fromSeed('f2'.repeat(32));
const fund = [...signers, farmer, nodeKey].flatMap((id) => ['--fund', id.publicKeyHex]);
const chain = await startChainProcess({ home: join(dir, 'home'), dataDir: join(dir, 'data'), args: ['--block-interval', String(blockIntervalMs), '--snapshot-interval', '0', '--mempool-max', '200000', ...fund], timeoutMs: 60_000 });
const reader = new ChainClient({ url: chain.url });

// Inclusion times by signer:nonce, from the block feed.
const includedAtMs = new Map<string, number>();
const blockTimes: Array<{ atMs: number; txs: number }> = [];
const feed = reader.subscribe((block: Block) => {
  const now = performance.now();
  blockTimes.push({ atMs: now, txs: block.transactions.length });
  for (const tx of block.transactions) includedAtMs.set(`${tx.signer}:${tx.nonce}`, now);
});

async function setup(): Promise<number> {
  const wait = { wait: true, timeoutMs: 60_000 } as const;
  const clients = [...signers, farmer, nodeKey].map((identity) => new ChainClient({ url: chain.url, identity }));
  await Promise.all(clients.map((c) => c.createTwin({ encryptionKey: c.identity!.encryptionPublicKeyHex, relays: [] }, wait)));
  const bob = clients.at(-2)!;
  const zos = clients.at(-1)!;
  await bob.createFarm({ name: 'bench-farm' }, wait);
  const farm = (await reader.farmByName('bench-farm'))!;
  await zos.createNode({ farmId: farm.id, resources: { cru: 64, mru: 2 ** 40, sru: 2 ** 44, hru: 2 ** 46 }, location: { country: 'BE', city: 'Ghent', latitude: 51, longitude: 3.7 } }, wait);
  return (await reader.nodeByTwin((await reader.twinByAccount(nodeKey.publicKeyHex))!.id))!.id;
}

/** Pre-signed transactions, per signer in nonce order. */
async function presign(kind: 'transfer' | 'contract', perSigner: number, nodeId: number, run: number): Promise<SignedTx[][]> {
  return Promise.all(signers.map(async (signer, s) => {
    let nonce = await reader.nextNonce(signer.publicKeyHex);
    return Array.from({ length: perSigner }, (_, i) => kind === 'transfer'
      ? buildTx(signer, 'transfer', { to: signers[(s + 1) % signers.length]!.publicKeyHex, amount: '1' }, nonce++)
      : buildTx(signer, 'contract.node.create', { nodeId, deploymentHash: (BigInt(run) * 10n ** 12n + BigInt(s) * 10n ** 6n + BigInt(i)).toString(16).padStart(64, '0') }, nonce++));
  }));
}

/** Sends every signer's txs; submitter k owns signers k, k+submitters, …; batches interleave them. */
async function submitAll(perSigner: SignedTx[][], ratePerSec: number | undefined, sentAtMs: Map<string, number>): Promise<void> {
  const startMs = performance.now();
  let sentTotal = 0;
  await Promise.all(Array.from({ length: submitters }, async (_, k) => {
    const owned = perSigner.filter((_, s) => s % submitters === k);
    const flat: SignedTx[] = [];
    for (let i = 0; i < (owned[0]?.length ?? 0); i++) for (const list of owned) flat.push(list[i]!);
    for (let start = 0; start < flat.length;) {
      if (ratePerSec !== undefined) {
        const dueMs = startMs + (sentTotal / ratePerSec) * 1000;
        if (dueMs > performance.now()) await new Promise((r) => setTimeout(r, dueMs - performance.now()));
      }
      const batch = flat.slice(start, start + batchTxs);
      const now = performance.now();
      for (const tx of batch) sentAtMs.set(`${tx.signer}:${tx.nonce}`, now);
      const results = await reader.submitBatch(batch);
      const firstRefused = results.findIndex((r) => r.error !== undefined);
      if (firstRefused >= 0 && results[firstRefused]!.error!.code !== 'CHAIN_MEMPOOL_FULL' && results[firstRefused]!.error!.code !== 'CHAIN_SIGNER_PENDING_FULL') throw new Error(JSON.stringify(results[firstRefused]));
      const accepted = firstRefused < 0 ? batch.length : firstRefused;
      start += accepted;
      sentTotal += accepted;
      if (firstRefused >= 0) await new Promise((r) => setTimeout(r, 20)); // full: back off, resend from the first refused
    }
  }));
}

async function untilIncluded(keys: Iterable<string>): Promise<void> {
  for (const key of keys) while (!includedAtMs.has(key)) await new Promise((r) => setTimeout(r, 5));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function measure(kind: 'transfer' | 'contract', nodeId: number, run: number, total = txsTotal): Promise<string[]> {
  // Throughput: everything offered at once; committed = included transactions / time to include them.
  const perSigner = Math.ceil(total / signers.length);
  const heavy = await presign(kind, perSigner, nodeId, run);
  const sent = new Map<string, number>();
  const blocksBefore = blockTimes.length;
  const start = performance.now();
  await submitAll(heavy, undefined, sent);
  await untilIncluded(sent.keys());
  const seconds = (Math.max(...[...sent.keys()].map((k) => includedAtMs.get(k)!)) - start) / 1000;
  const committedPerSec = sent.size / seconds;
  const blocks = blockTimes.slice(blocksBefore);
  const txsPerBlockMax = Math.max(...blocks.map((b) => b.txs));
  // Latency: a steady offered rate below capacity; submit → block seen on the feed.
  const light = await presign(kind, Math.ceil((latencyRatePerSec * 10) / signers.length), nodeId, run + 1);
  const lightSent = new Map<string, number>();
  await submitAll(light, latencyRatePerSec, lightSent);
  await untilIncluded(lightSent.keys());
  const latencies = [...lightSent].map(([key, at]) => includedAtMs.get(key)! - at).sort((a, b) => a - b);
  return [kind === 'transfer' ? 'signed transfers' : 'node contract creations', String(sent.size), Math.round(committedPerSec).toLocaleString('en-US'), String(txsPerBlockMax), `${latencyRatePerSec}/s`, `${Math.round(percentile(latencies, 0.5))} ms`, `${Math.round(percentile(latencies, 0.99))} ms`];
}

try {
  const nodeId = await setup();
  await measure('transfer', nodeId, 9, 10_000); // warm-up (JIT, connections), not reported
  const rows = [await measure('transfer', nodeId, 1), await measure('contract', nodeId, 3)];
  console.log(`\nchain bench — ${new Date().toISOString().slice(0, 10)}, ${cpus().length}× ${cpus()[0]?.model ?? '?'}, Node ${process.version}, block interval ${blockIntervalMs} ms (tfchain: 6000 ms), ${signers.length} signers, ${submitters} submitters × batches of ${batchTxs}, fsync on\n`);
  printTable(['workload', 'txs', 'committed tx/s', 'largest block', 'latency load', 'p50 submit→inclusion', 'p99'], rows);
} finally {
  feed.close();
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTfgridError } from '../../base/index.ts';
import type { Identity } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import { ChainMachine } from './machine.ts';
import type { BlockInput, SignedTx } from './seam.ts';
import { admin, identity, prng, sampleNode, testGenesis, testSeed } from './testing.ts';
import { buildTx, verifyTxSignature } from './tx/envelope.ts';

const gb = 2 ** 30;

/** Random but valid-looking (often refused) transactions over a small world, so rules collide. */
class Workload {
  readonly random: () => number;
  readonly actors: Identity[];
  readonly nonces = new Map<string, number>();
  nowMs: number;

  constructor(seed: number, actorCount: number, startMs: number) {
    this.random = prng(seed);
    this.actors = Array.from({ length: actorCount }, (_, i) => identity(i + 1));
    this.nowMs = startMs;
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  payload(): [Identity, string, unknown] {
    const who = this.pick(this.actors);
    const id = (): number => 1 + this.int(6);
    const hash = (): string => this.pick(['aa', 'bb', 'cc', 'dd']).repeat(32);
    const resources = { cru: this.int(8), mru: this.int(16) * gb, sru: this.int(500) * gb, hru: this.int(4000) * gb };
    const choices: Array<() => [Identity, string, unknown]> = [
      () => [admin, 'transfer', { to: this.pick(this.actors).publicKeyHex, amount: String(1 + this.int(20_000_000)) }],
      () => [who, 'transfer', { to: this.pick(this.actors).publicKeyHex, amount: String(1 + this.int(5_000_000)) }],
      () => [who, 'twin.create', { encryptionKey: who.encryptionPublicKeyHex, relays: ['relay.grid.tf'] }],
      () => [who, 'farm.create', { name: this.pick(['alpha', 'beta', 'gamma']) }],
      () => [who, 'farm.ip.add', { farmId: id(), ip: `10.0.0.${this.int(4)}/24`, gateway: '10.0.0.254' }],
      () => [who, 'node.create', { farmId: id(), ...sampleNode }],
      () => [who, 'node.uptime', { uptimeSec: this.int(100_000) }],
      () => [who, 'contract.node.create', { nodeId: id(), deploymentHash: hash(), publicIps: this.int(2), resources }],
      () => [who, 'contract.name.create', { name: this.pick(['one', 'two', 'three']) }],
      () => [who, 'contract.rent.create', { nodeId: id() }],
      () => [who, 'contract.cancel', { contractId: 1 + this.int(30) }],
      () => [who, 'node.report', { reports: [{ contractId: 1 + this.int(30), resources }] }],
      () => [who, 'node.power.state', { state: this.pick(['Up', 'Down']) }],
      () => [admin, 'params.set', { uptimeIntervalMs: 10_000 + this.int(50_000) }],
    ];
    return this.pick(choices)();
  }

  block(machine: ChainMachine): BlockInput {
    this.nonces.clear();
    const transactions: SignedTx[] = [];
    const count = this.int(12);
    for (let i = 0; i < count; i++) {
      const [who, type, payload] = this.payload();
      const next = (this.nonces.get(who.publicKeyHex) ?? machine.query.nextNonce(who.publicKeyHex)) + (this.random() < 0.03 ? 1 : 0);
      this.nonces.set(who.publicKeyHex, next + 1);
      transactions.push(buildTx(who, type, payload, next));
    }
    this.nowMs += this.random() < 0.2 ? this.int(600_000) : this.int(5_000);
    return { height: machine.height + 1, timestampMs: this.nowMs, transactions };
  }
}

test('determinism: replicas applying the same random blocks agree at every height, and a snapshot restored mid-way keeps agreeing', () => {
  // Goal: a pure state machine and a complete snapshot. Method: seeded random blocks into two fresh machines; at height 100 restore a third from a snapshot; compare roots, results and events. SEED= replays.
  const seed = testSeed();
  const genesis = testGenesis({ funded: [identity(1), identity(2)], billingPeriodMs: 60_000, gracePeriodMs: 300_000, uptimeIntervalMs: 30_000, balance: 50_000_000n });
  const a = ChainMachine.fromGenesis(genesis);
  const b = ChainMachine.fromGenesis(genesis);
  let c: ChainMachine | undefined;
  const workload = new Workload(seed, 8, genesis.timestampMs);
  const counts = { ok: 0, refused: 0, events: 0 };
  try {
    for (let height = 1; height <= 250; height++) {
      const block = workload.block(a);
      const applied = a.apply(block);
      assert.deepEqual(b.apply(block), applied, `replica b differs at height ${height}`);
      if (c !== undefined) assert.deepEqual(c.apply(block), applied, `restored replica differs at height ${height}`);
      if (height === 100) {
        c = ChainMachine.restore(a.snapshot());
        assert.equal(c.stateRoot(), a.stateRoot());
      }
      for (const result of applied.results) counts[result.ok ? 'ok' : 'refused']++;
      counts.events += applied.events.length;
    }
  } catch (error) {
    console.error(`determinism test failed with SEED=${seed}`);
    throw error;
  }
  assert.ok(counts.ok > 100 && counts.refused > 100 && counts.events > 200, `the workload exercised little: ${JSON.stringify(counts)}`);
  const final = ChainMachine.restore(a.snapshot());
  assert.equal(final.stateRoot(), a.stateRoot());
  assert.deepEqual(final.query.list('contracts', { limit: 1000 }), a.query.list('contracts', { limit: 1000 }));
});

/** A random JSON-ish value, some of it outside JSON (NaN, undefined, bigint, lone surrogates, deep nesting). */
function randomValue(random: () => number, depth = 0): unknown {
  const r = random();
  if (depth > 3 || r < 0.35) {
    const scalars: unknown[] = [0, -1, 1.5, 2 ** 53, NaN, Infinity, '', 'x'.repeat(100), '\ud800', 'aa'.repeat(32), true, null, undefined, 10n, 'transfer', '185.206.122.33/24'];
    return scalars[Math.floor(random() * scalars.length)];
  }
  if (r < 0.5) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1));
  if (r < 0.55) {
    let deep: unknown = 1;
    for (let i = 0; i < 80; i++) deep = [deep];
    return deep;
  }
  const keys = ['to', 'amount', 'name', 'nodeId', 'farmId', 'contractId', 'resources', 'reports', 'deploymentHash', 'cru', 'x'];
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(random() * 4); i > 0; i--) object[keys[Math.floor(random() * keys.length)]!] = randomValue(random, depth + 1);
  return object;
}

test('fuzz: random and mutated transactions never throw and are refused with a CHAIN_ code', () => {
  // Goal: the decoder and prechecks are total. Method: mutate valid txs field by field with random values (seeded; SEED= replays) through precheck and apply.
  const seed = testSeed();
  const random = prng(seed);
  const machine = ChainMachine.fromGenesis(testGenesis({ funded: [identity(1)] }), { verifySignatures: true });
  const valid = buildTx(admin, 'transfer', { to: identity(2).publicKeyHex, amount: '5' }, 1);
  const fields = ['type', 'signer', 'nonce', 'payload', 'signature', 'extra'];
  try {
    for (let i = 0; i < 3000; i++) {
      let tx: unknown;
      if (random() < 0.2) tx = randomValue(random);
      else {
        const mutated: Record<string, unknown> = { ...valid };
        const field = fields[Math.floor(random() * fields.length)]!;
        mutated[field] = random() < 0.5 ? randomValue(random) : field === 'payload' ? { ...(valid.payload as object), ...(randomValue(random) as object) } : randomValue(random);
        if (random() < 0.3) mutated.type = ['transfer', 'twin.create', 'node.report', 'contract.node.create', 'params.set'][Math.floor(random() * 5)];
        tx = mutated;
      }
      const checked = machine.precheck(tx as SignedTx, Math.floor(random() * 3));
      if (checked !== undefined) assert.ok(isTfgridError(checked) && checked.code.startsWith('CHAIN_'), String(checked));
      const result = machine.apply({ height: machine.height + 1, timestampMs: machine.timestampMs + 1, transactions: [tx as SignedTx] }).results[0]!;
      if (!result.ok) assert.ok(result.code.startsWith('CHAIN_') && result.message.startsWith(result.code), result.message);
      else assert.ok(verifyTxSignature(tx as SignedTx), 'only a correctly signed transaction is accepted');
    }
  } catch (error) {
    console.error(`fuzz test failed with SEED=${seed}`);
    throw error;
  }
});

test('blocks must follow: next height, time never going back', () => {
  // Goal: apply refuses a block out of place with CHAIN_BAD_BLOCK. Method: wrong height, earlier time.
  const machine = ChainMachine.fromGenesis(testGenesis());
  assert.throws(() => machine.apply({ height: 2, timestampMs: 2_000_000, transactions: [] }), { code: ChainError.BAD_BLOCK });
  assert.throws(() => machine.apply({ height: 1, timestampMs: 999_999, transactions: [] }), { code: ChainError.BAD_BLOCK });
  machine.apply({ height: 1, timestampMs: 1_000_000, transactions: [] });
  assert.equal(machine.height, 1);
});

test('a snapshot encoded in slices while blocks are applied is the state of the moment it began', () => {
  // Goal: the copy-on-write snapshot view (Table.freeze) is consistent under in-place billing and
  // ordinary writes. Method: seeded random blocks; at height 60 begin a sliced snapshot; apply
  // blocks 61… with a few hundred bytes encoded between each; restore it, replay the same blocks
  // and compare with the live machine at every height. SEED= replays.
  const seed = testSeed();
  const genesis = testGenesis({ funded: [identity(1), identity(2)], billingPeriodMs: 20_000, gracePeriodMs: 100_000, uptimeIntervalMs: 30_000, balance: 20_000_000n });
  const live = ChainMachine.fromGenesis(genesis);
  const workload = new Workload(seed, 8, genesis.timestampMs);
  const later: Array<{ block: BlockInput; stateRoot: string }> = [];
  try {
    for (let height = 1; height <= 60; height++) live.apply(workload.block(live));
    const rootAtStart = live.stateRoot();
    const whole = live.snapshot();
    const slices = live.beginSnapshot();
    assert.equal(slices.stateRoot, rootAtStart);
    let steps = 0;
    while (!slices.step(300)) {
      const block = workload.block(live);
      later.push({ block, stateRoot: live.apply(block).stateRoot });
      steps++;
    }
    assert.ok(steps > 10 && live.stateRoot() !== rootAtStart, `blocks were applied during the snapshot (${steps} steps)`);
    const bytes = Buffer.concat(slices.parts());
    assert.equal(bytes.length, whole.length, 'the same bytes as a snapshot at once, up to record order');
    const restored = ChainMachine.restore(bytes);
    assert.equal(restored.stateRoot(), rootAtStart);
    for (const { block, stateRoot } of later) assert.equal(restored.apply(block).stateRoot, stateRoot, `replayed block ${block.height} agrees`);
    // The view closed itself when done: a new one can begin.
    live.beginSnapshot().close();
  } catch (error) {
    console.error(`sliced snapshot test failed with SEED=${seed}`);
    throw error;
  }
});

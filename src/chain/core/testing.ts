// Test helpers for the chain core: deterministic identities, a genesis, and a harness that signs
// transactions with the right nonces and applies one block per call. Not exported by index.ts.
import { Identity } from '../../crypto/index.ts';
import type { Genesis } from './genesis.ts';
import { defaultPricingPolicy } from './genesis.ts';
import { ChainMachine } from './machine.ts';
import type { AppliedBlock, SignedTx, TxResult } from './seam.ts';
import { buildTx } from './tx/envelope.ts';

export const tft = 10_000_000n;

/** Identity number `n` (1..255): the same keys in every run. */
export function identity(n: number): Identity {
  return Identity.fromSeed(n.toString(16).padStart(2, '0').repeat(32));
}

export const admin = identity(200);
export const treasury = identity(201);
/** The sequencer the test genesis names. */
export const sequencer = identity(202);

export interface GenesisOptions {
  readonly funded?: ReadonlyArray<Identity>;
  readonly balance?: bigint;
  readonly billingPeriodMs?: number;
  readonly gracePeriodMs?: number;
  readonly uptimeIntervalMs?: number;
  readonly tftPriceUsdUnits?: number;
}

export function testGenesis(options: GenesisOptions = {}): Genesis {
  const balance = options.balance ?? 1000n * tft;
  return {
    version: 1,
    chainId: 'test',
    sequencer: sequencer.publicKeyHex,
    timestampMs: 1_000_000,
    params: {
      billingPeriodMs: options.billingPeriodMs ?? 3_600_000,
      gracePeriodMs: options.gracePeriodMs ?? 14 * 24 * 3_600_000,
      uptimeIntervalMs: options.uptimeIntervalMs ?? 40 * 60_000,
      tftPriceUsdUnits: options.tftPriceUsdUnits ?? 500_000, // 0.05 USD per TFT
      defaultPricingPolicyId: 1,
      admin: admin.publicKeyHex,
      treasury: treasury.publicKeyHex,
    },
    pricingPolicies: [defaultPricingPolicy],
    accounts: [admin, ...(options.funded ?? [])].map((who) => ({ address: who.publicKeyHex, balance: balance.toString() })),
  };
}

export class Harness {
  readonly machine: ChainMachine;
  readonly nonces = new Map<string, number>();
  nowMs: number;
  stepMs = 1000;

  constructor(genesis: Genesis = testGenesis()) {
    this.machine = ChainMachine.fromGenesis(genesis, { verifySignatures: true });
    this.nowMs = genesis.timestampMs;
  }

  /** A transaction with the signer's next nonce (counting those built and not yet applied). */
  tx(who: Identity, type: string, payload: unknown): SignedTx {
    const nonce = (this.nonces.get(who.publicKeyHex) ?? this.machine.query.nextNonce(who.publicKeyHex) - 1) + 1;
    this.nonces.set(who.publicKeyHex, nonce);
    return buildTx(who, type, payload, nonce);
  }

  /** Applies a block of `txs` at now + stepMs (or at `atMs`). */
  block(txs: readonly SignedTx[] = [], atMs?: number): AppliedBlock {
    this.nowMs = atMs ?? this.nowMs + this.stepMs;
    this.nonces.clear();
    return this.machine.apply({ height: this.machine.height + 1, timestampMs: this.nowMs, transactions: txs });
  }

  /** Applies one transaction in its own block; returns its result. */
  run(who: Identity, type: string, payload: unknown): TxResult {
    return this.block([this.tx(who, type, payload)]).results[0]!;
  }

  /** Like `run` but throws when the transaction is refused. */
  ok(who: Identity, type: string, payload: unknown): AppliedBlock {
    const block = this.block([this.tx(who, type, payload)]);
    const result = block.results[0]!;
    if (!result.ok) throw new Error(`${type} refused: ${result.code}: ${result.message}`);
    return block;
  }
}

export const sampleNode = {
  resources: { cru: 8, mru: 32 * 2 ** 30, sru: 1000 * 2 ** 30, hru: 4000 * 2 ** 30 },
  location: { country: 'Belgium', city: 'Ghent', latitude: 51.05, longitude: 3.72 },
};

/** Funds `who`, makes its twin; returns the twin id. */
export function makeTwin(h: Harness, who: Identity, balance = 100n * tft): number {
  if (h.machine.query.account(who.publicKeyHex) === undefined) h.ok(admin, 'transfer', { to: who.publicKeyHex, amount: balance.toString() });
  h.ok(who, 'twin.create', { encryptionKey: who.encryptionPublicKeyHex, relays: ['relay.dev.grid.tf'] });
  return h.machine.query.twinByAccount(who.publicKeyHex)!.id;
}

/** A farmer with a farm and a node (its own twin); returns their ids. */
export function makeFarmAndNode(h: Harness, farmer: Identity, nodeIdentity: Identity, farmName = 'farm1'): { farmId: number; nodeId: number } {
  makeTwin(h, farmer);
  h.ok(farmer, 'farm.create', { name: farmName });
  const farmId = h.machine.query.farmByName(farmName)!.id;
  makeTwin(h, nodeIdentity, 1n * tft);
  h.ok(nodeIdentity, 'node.create', { farmId, ...sampleNode });
  const twinId = h.machine.query.twinByAccount(nodeIdentity.publicKeyHex)!.id;
  return { farmId, nodeId: h.machine.query.nodeByTwin(twinId)!.id };
}

export { prng, seedFromEnv as testSeed } from '../../base/testing.ts';

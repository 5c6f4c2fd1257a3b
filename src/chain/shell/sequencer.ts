// The embedded sequencer: admits signed transactions (signature in a worker, precheck against
// state + pending), orders them first come first served, and every `blockIntervalMs` (or as soon
// as a block's worth is waiting) applies a block, makes it durable in the BlockStore, and only
// then resolves the waiters and notifies subscribers. One block is in flight at a time.
import { TfgridError, assert, type Logger } from '../../base/index.ts';
import { ChainError } from '../errors.ts';
import type { AppliedBlock, Block, BlockInput, SignedTx, StateMachine, TxResult } from '../core/seam.ts';
import type { BlockStore } from './block-store.ts';
import { ChainShellError } from './errors.ts';
import { Mempool, type PendingTx } from './mempool.ts';
import type { VerifyPool } from './verify-pool.ts';

export const blockIntervalMsDefault = 500;
export const txsPerBlockMaxDefault = 4_096;
/** With nothing to include, a block still comes this often so time-driven work (billing) runs. */
export const idleBlockIntervalMsDefault = 6_000;
/** Inclusions remembered for late `waitForInclusion` calls. */
export const inclusionsKeptMax = 200_000;
export const waitersMax = 100_000;

export interface Inclusion {
  readonly hash: string;
  readonly height: number;
  readonly index: number;
  readonly result: TxResult;
}

export type Admission = { readonly hash: string; readonly error?: undefined } | { readonly hash: string | undefined; readonly error: TfgridError };

export interface SequencerOptions {
  machine: StateMachine;
  store: BlockStore;
  pool: VerifyPool;
  /** Hashes and signs a block (the core's signBlock with the sequencer key). */
  seal: (input: BlockInput, applied: AppliedBlock, previousHash: string) => Block;
  blockIntervalMs?: number;
  idleBlockIntervalMs?: number;
  txsPerBlockMax?: number;
  mempoolTxsMax?: number;
  signerTxsMax?: number;
  /** Called after each durable block (snapshots hook in here). */
  afterBlock?: (block: Block) => Promise<void>;
  clock?: () => number;
  log?: Logger;
}

export class Sequencer {
  readonly mempool: Mempool;
  readonly #o: SequencerOptions;
  readonly #clock: () => number;
  readonly #blockIntervalMs: number;
  readonly #idleBlockIntervalMs: number;
  readonly #txsPerBlockMax: number;
  readonly #inclusions = new Map<string, Inclusion>();
  readonly #waiters = new Map<string, Array<(inclusion: Inclusion) => void>>();
  #waiterCount = 0;
  #admission: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #producing: Promise<void> | undefined;
  #lastBlockMs = 0;
  #lastTimestampMs = 0;
  #stopping = false;

  constructor(options: SequencerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
    this.#blockIntervalMs = options.blockIntervalMs ?? blockIntervalMsDefault;
    this.#idleBlockIntervalMs = options.idleBlockIntervalMs ?? idleBlockIntervalMsDefault;
    this.#txsPerBlockMax = options.txsPerBlockMax ?? txsPerBlockMaxDefault;
    this.mempool = new Mempool({ txsMax: options.mempoolTxsMax, signerTxsMax: options.signerTxsMax });
    assert(this.#blockIntervalMs >= 1 && this.#txsPerBlockMax >= 1, 'positive block limits');
  }

  get height(): number {
    return this.#o.store.height;
  }

  start(): void {
    this.#lastBlockMs = this.#clock();
    this.#timer = setInterval(() => this.#tick(false), this.#blockIntervalMs);
  }

  /** Stops taking transactions, finishes the block in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#timer);
    await this.#producing;
  }

  /**
   * Admits `txs` in order: each gets its hash or a coded error (bad signature, failed precheck,
   * duplicate, mempool full). Calls are admitted in call order even though signatures are checked
   * concurrently, so one client's consecutive nonces stay consecutive.
   */
  submit(txs: readonly SignedTx[]): Promise<Admission[]> {
    if (this.#stopping) return Promise.resolve(txs.map(() => ({ hash: undefined, error: new TfgridError(ChainShellError.STOPPING, 'the chain is stopping') })));
    const verified = this.#o.pool.verify(txs);
    const admitted = this.#admission.then(async () => {
      const checks = await verified;
      return txs.map((tx, i) => this.#admit(tx, checks[i]!.hash, checks[i]!.valid));
    });
    this.#admission = admitted;
    return admitted;
  }

  #admit(tx: SignedTx, hash: string, valid: boolean): Admission {
    if (!valid) return { hash, error: new TfgridError(ChainError.BAD_SIGNATURE, `signature of ${hash} does not verify with signer ${tx.signer}`) };
    if (this.mempool.has(hash) || this.#inclusions.has(hash)) return { hash, error: new TfgridError(ChainShellError.DUPLICATE_TX, `transaction ${hash} is already ${this.mempool.has(hash) ? 'pending' : 'included'}`) };
    if (this.mempool.full) return { hash, error: new TfgridError(ChainShellError.MEMPOOL_FULL, `the mempool holds its maximum of ${this.mempool.txsMax} transactions; retry after the next block`) };
    const pendingCount = this.mempool.pendingCount(tx.signer);
    if (pendingCount >= this.mempool.signerTxsMax) return { hash, error: new TfgridError(ChainShellError.SIGNER_PENDING_FULL, `signer ${tx.signer} has ${pendingCount} transactions waiting (maximum ${this.mempool.signerTxsMax})`) };
    const refused = this.#o.machine.precheck(tx, pendingCount);
    if (refused !== undefined) return { hash, error: refused };
    const pushed = this.mempool.tryPush({ tx, hash, receivedMs: this.#clock() });
    assert(pushed, 'room was checked above');
    if (this.mempool.size >= this.#txsPerBlockMax) setImmediate(() => this.#tick(true));
    return { hash };
  }

  /** Resolves when `hash` is in a durable block; rejects with CHAIN_WAIT_TIMEOUT after `timeoutMs`. */
  waitForInclusion(hash: string, timeoutMs: number): Promise<Inclusion> {
    const known = this.#inclusions.get(hash);
    if (known !== undefined) return Promise.resolve(known);
    if (this.#waiterCount >= waitersMax) return Promise.reject(new TfgridError(ChainShellError.MEMPOOL_FULL, `too many waiters (maximum ${waitersMax})`));
    const { promise, resolve, reject } = Promise.withResolvers<Inclusion>();
    const list = this.#waiters.get(hash) ?? [];
    const timer = setTimeout(() => {
      const index = list.indexOf(done);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.#waiters.delete(hash);
      this.#waiterCount--;
      reject(new TfgridError(ChainShellError.WAIT_TIMEOUT, `transaction ${hash} not included within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (inclusion: Inclusion): void => {
      clearTimeout(timer);
      resolve(inclusion);
    };
    list.push(done);
    this.#waiters.set(hash, list);
    this.#waiterCount++;
    return promise;
  }

  inclusion(hash: string): Inclusion | undefined {
    return this.#inclusions.get(hash);
  }

  #tick(full: boolean): void {
    if (this.#producing !== undefined) return;
    if (full && this.mempool.size < this.#txsPerBlockMax) return;
    if (this.mempool.size === 0 && this.#clock() - this.#lastBlockMs < this.#idleBlockIntervalMs) return;
    this.#producing = this.#produce().finally(() => {
      this.#producing = undefined;
      if (!this.#stopping && this.mempool.size >= this.#txsPerBlockMax) setImmediate(() => this.#tick(true));
    });
  }

  /** Builds, applies, logs (fsync) and announces one block. */
  async #produce(): Promise<void> {
    const taken = this.mempool.take(this.#txsPerBlockMax);
    const now = this.#clock();
    const timestampMs = Math.max(now, this.#lastTimestampMs + 1);
    const input: BlockInput = { height: this.#o.machine.height + 1, timestampMs, transactions: taken.map((p) => p.tx) };
    assert(input.height === this.#o.store.height + 1, 'machine and log agree on the height');
    const applied = this.#o.machine.apply(input);
    assert(applied.results.length === taken.length, 'one result per transaction');
    const block = this.#o.seal(input, applied, this.#o.store.lastHash);
    await this.#o.store.append(block); // durable before anyone hears of it
    this.#lastBlockMs = now;
    this.#lastTimestampMs = timestampMs;
    this.#announce(block, taken);
    this.#o.log?.debug('block', { height: block.height, txs: taken.length, mempool: this.mempool.size });
    await this.#o.afterBlock?.(block);
  }

  #announce(block: Block, taken: readonly PendingTx[]): void {
    taken.forEach((pending, index) => {
      const inclusion: Inclusion = { hash: pending.hash, height: block.height, index, result: block.results[index]! };
      this.#inclusions.set(pending.hash, inclusion);
      const waiters = this.#waiters.get(pending.hash);
      if (waiters !== undefined) {
        this.#waiters.delete(pending.hash);
        this.#waiterCount -= waiters.length;
        for (const waiter of waiters) waiter(inclusion);
      }
    });
    while (this.#inclusions.size > inclusionsKeptMax) this.#inclusions.delete(this.#inclusions.keys().next().value as string);
  }

  /** Restart: the last block's timestamp, so the next one does not go back in time. */
  resumeAfter(block: Block | undefined): void {
    if (block !== undefined) this.#lastTimestampMs = block.timestampMs;
  }
}

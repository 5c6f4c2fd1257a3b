// The bounded queue of admitted transactions waiting for a block, in arrival order. Two named
// maxima: the whole pool (`txsMax`) and one signer's share (`signerTxsMax`), so one busy account
// cannot fill the pool. tryPush() answers false when full; take() hands out the oldest.
import { assert } from '../../base/index.ts';
import type { SignedTx } from '../core/seam.ts';

export const mempoolTxsMaxDefault = 50_000;
export const signerTxsMaxDefault = 1_024;

export interface PendingTx {
  readonly tx: SignedTx;
  readonly hash: string;
  readonly receivedMs: number;
}

export class Mempool {
  readonly txsMax: number;
  readonly signerTxsMax: number;
  #queue: PendingTx[] = [];
  #head = 0;
  readonly #bySigner = new Map<string, number>();
  readonly #hashes = new Set<string>();

  constructor(options: { txsMax?: number; signerTxsMax?: number } = {}) {
    this.txsMax = options.txsMax ?? mempoolTxsMaxDefault;
    this.signerTxsMax = options.signerTxsMax ?? signerTxsMaxDefault;
    assert(this.signerTxsMax <= this.txsMax, 'a signer share fits in the pool');
  }

  get size(): number {
    return this.#queue.length - this.#head;
  }

  get full(): boolean {
    return this.size >= this.txsMax;
  }

  pendingCount(signer: string): number {
    return this.#bySigner.get(signer) ?? 0;
  }

  has(hash: string): boolean {
    return this.#hashes.has(hash);
  }

  /** Adds `pending` unless the pool or the signer's share is full (false) — checks first. */
  tryPush(pending: PendingTx): boolean {
    if (this.full || this.pendingCount(pending.tx.signer) >= this.signerTxsMax) return false;
    assert(!this.#hashes.has(pending.hash), 'no duplicate in the mempool');
    this.#queue.push(pending);
    this.#hashes.add(pending.hash);
    this.#bySigner.set(pending.tx.signer, this.pendingCount(pending.tx.signer) + 1);
    return true;
  }

  /** Removes and returns the oldest `countMax` transactions. */
  take(countMax: number): PendingTx[] {
    const end = Math.min(this.#queue.length, this.#head + countMax);
    const taken = this.#queue.slice(this.#head, end);
    this.#head = end;
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    for (const { tx, hash } of taken) {
      this.#hashes.delete(hash);
      const count = this.pendingCount(tx.signer) - 1;
      assert(count >= 0, 'signer count stays non-negative');
      if (count === 0) this.#bySigner.delete(tx.signer);
      else this.#bySigner.set(tx.signer, count);
    }
    return taken;
  }
}

// Signature checks spread over worker threads. Calls made in the same event-loop turn are
// coalesced and cut into batches of at most `batchTxsMax`, each sent to the least-loaded worker:
// one postMessage per batch instead of per transaction. With `workers: 0` it checks inline
// (tests, tiny devnets).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { assert } from '../../base/index.ts';
import type { SignedTx } from '../core/seam.ts';
import { verifyBatch, type VerifyReply, type VerifyRequest } from './verify-worker.ts';

export const batchTxsMaxDefault = 256;

export interface Verified {
  readonly hash: string;
  readonly valid: boolean;
}

interface Waiting {
  readonly txs: readonly SignedTx[];
  readonly resolve: (verified: Verified[]) => void;
}

interface Slot {
  readonly worker: Worker;
  inflightTxs: number;
}

/** Default: one worker per core, leaving the main thread to share them (2 cores here → 2). */
export function workersDefault(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export class VerifyPool {
  readonly #slots: Slot[] = [];
  readonly #batchTxsMax: number;
  readonly #replies = new Map<number, { slot: Slot; count: number; resolve: (reply: VerifyReply) => void }>();
  #queue: Waiting[] = [];
  #flushScheduled = false;
  #nextId = 1;

  constructor(options: { workers?: number; batchTxsMax?: number } = {}) {
    this.#batchTxsMax = options.batchTxsMax ?? batchTxsMaxDefault;
    const count = options.workers ?? workersDefault();
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./verify-worker.ts', import.meta.url));
      worker.unref();
      const slot: Slot = { worker, inflightTxs: 0 };
      worker.on('message', (reply: VerifyReply) => {
        const pending = this.#replies.get(reply.id);
        assert(pending !== undefined, 'reply to a known batch');
        this.#replies.delete(reply.id);
        pending.slot.inflightTxs -= pending.count;
        pending.resolve(reply);
      });
      worker.on('error', (error) => {
        throw error; // a crashed verifier is a bug: crash rather than accept unchecked transactions
      });
      this.#slots.push(slot);
    }
  }

  get workers(): number {
    return this.#slots.length;
  }

  /** Hashes and signature validity of `txs`, in order. */
  verify(txs: readonly SignedTx[]): Promise<Verified[]> {
    if (txs.length === 0) return Promise.resolve([]);
    const { promise, resolve } = Promise.withResolvers<Verified[]>();
    this.#queue.push({ txs, resolve });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    return promise;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    const all = queue.flatMap((w) => w.txs);
    const batches: Promise<VerifyReply>[] = [];
    for (let start = 0; start < all.length; start += this.#batchTxsMax) batches.push(this.#send(all.slice(start, start + this.#batchTxsMax)));
    void Promise.all(batches).then((replies) => {
      const flat: Verified[] = [];
      for (const reply of replies) reply.hashes.forEach((hash, i) => flat.push({ hash, valid: reply.valid[i] === 1 }));
      let offset = 0;
      for (const waiting of queue) {
        waiting.resolve(flat.slice(offset, offset + waiting.txs.length));
        offset += waiting.txs.length;
      }
    });
  }

  #send(txs: SignedTx[]): Promise<VerifyReply> {
    const id = this.#nextId++;
    if (this.#slots.length === 0) return Promise.resolve(verifyBatch({ id, txs }));
    const slot = this.#slots.reduce((a, b) => (b.inflightTxs < a.inflightTxs ? b : a));
    slot.inflightTxs += txs.length;
    const { promise, resolve } = Promise.withResolvers<VerifyReply>();
    this.#replies.set(id, { slot, count: txs.length, resolve });
    slot.worker.postMessage({ id, txs } satisfies VerifyRequest);
    return promise;
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots.length = 0;
  }
}

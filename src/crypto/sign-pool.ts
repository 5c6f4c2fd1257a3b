// Ed25519 signing on another thread: messages asked for in one event-loop turn go to the worker
// as one batch (postMessage costs more than a signature otherwise), and come back in order.
// The worker holds the identity's seed; it never leaves this process.
import { Worker } from 'node:worker_threads';
import { TfgridError } from '../base/index.ts';
import { CryptoError } from './errors.ts';
import type { Identity } from './identity.ts';
import type { SignReply, SignRequest } from './sign-worker.ts';

export class SignPool {
  readonly #worker: Worker;
  readonly #replies = new Map<number, Array<{ resolve: (signature: Uint8Array) => void; reject: (error: Error) => void }>>();
  #batch: Uint8Array[] = [];
  #waiters: Array<{ resolve: (signature: Uint8Array) => void; reject: (error: Error) => void }> = [];
  #nextId = 1;
  #failed: Error | undefined;

  constructor(identity: Identity) {
    this.#worker = new Worker(new URL('./sign-worker.ts', import.meta.url), { workerData: { seedHex: identity.seedHex } });
    this.#worker.unref();
    this.#worker.on('message', (reply: SignReply) => {
      const waiters = this.#replies.get(reply.id)!;
      this.#replies.delete(reply.id);
      if (this.#replies.size === 0) this.#worker.unref(); // idle: do not hold the process open
      waiters.forEach((waiter, i) => waiter.resolve(reply.signatures.subarray(i * 64, (i + 1) * 64)));
    });
    this.#worker.on('error', (error: Error) => this.#fail(new TfgridError(CryptoError.SIGNER_UNAVAILABLE, `signing thread failed: ${error.message}`, { cause: error })));
    this.#worker.on('exit', (code) => this.#fail(new TfgridError(CryptoError.SIGNER_UNAVAILABLE, `signing thread exited with ${code}`)));
  }

  /** Ed25519 signature of `message` (the same bytes Identity.sign gives). */
  sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      if (this.#batch.length === 0) setImmediate(() => this.#flush());
      this.#batch.push(message);
      this.#waiters.push({ resolve, reject });
    });
  }

  async close(): Promise<void> {
    this.#failed ??= new TfgridError(CryptoError.SIGNER_UNAVAILABLE, 'the signing pool is closed');
    await this.#worker.terminate();
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    const id = this.#nextId++;
    this.#replies.set(id, this.#waiters);
    this.#worker.ref(); // answers are awaited: keep the event loop alive until they come
    const lengths = Uint32Array.from(this.#batch, (message) => message.length);
    const data = new Uint8Array(lengths.reduce((sum, length) => sum + length, 0));
    let at = 0;
    for (const message of this.#batch) {
      data.set(message, at);
      at += message.length;
    }
    this.#worker.postMessage({ id, data, lengths } satisfies SignRequest, [data.buffer, lengths.buffer]);
    this.#batch = [];
    this.#waiters = [];
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const waiters of [...this.#replies.values(), this.#waiters]) for (const waiter of waiters) waiter.reject(this.#failed);
    this.#replies.clear();
    this.#waiters = [];
    this.#batch = [];
  }
}

// The whole-file BLAKE2b-512 of files larger than one segment, on another thread. It is a serial
// pass over every plaintext byte, ~1 ms per MiB here: the largest single cost of a store or a
// retrieve, and it does not need to wait for anything else. So the pipeline's thread copies the
// bytes into shared slots (~0.04 ms per MiB) and goes on sealing and sending while the worker
// hashes them in order. With every slot full, update() waits: the pipeline runs no further ahead
// of the hash than the slots hold. A file of one segment is hashed inline (no worker to wake for
// it). One worker per Zstor serves all its streams, and does not hold the process open when idle.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';
import type { HashReply, HashRequest } from './hash-worker.ts';

/** BLAKE2b-512 of a stream of bytes. */
export interface FileHash {
  /** Await it before the bytes are changed or reused: they are copied when a slot is free. */
  update(bytes: Uint8Array): Promise<void>;
  digest(): Promise<Buffer>;
  /** Forgets the stream (after a failure): digest() is never called. */
  abort(): void;
}

export function inlineHash(): FileHash {
  const hash = createHash('blake2b512');
  return {
    update: (bytes) => {
      hash.update(bytes);
      return Promise.resolve();
    },
    digest: () => Promise.resolve(hash.digest()),
    abort: () => undefined,
  };
}

const slotCount = 4;
const slotBytes = 4 * 2 ** 20;

interface Waiter {
  resolve: (value: Buffer) => void;
  reject: (error: Error) => void;
}

export class HashThread {
  #worker: Worker | null = null;
  readonly #slots: Uint8Array[] = [];
  readonly #free: number[] = [];
  /** Updates waiting for a free slot, in order. */
  readonly #slotWaiters: Array<{ resolve: (slot: number) => void; reject: (error: Error) => void }> = [];
  readonly #digests = new Map<number, Waiter>();
  #open = 0;
  #nextStream = 1;
  #failed: Error | undefined;

  /** A hash for a file of `bytes` (Infinity: not known yet, maybe more than a segment): inline up to one segment, on the thread beyond. */
  forFile(bytes: number, segmentBytes: number): FileHash {
    return bytes <= segmentBytes || this.#failed !== undefined ? inlineHash() : this.stream();
  }

  stream(): FileHash {
    const worker = this.#start();
    const stream = this.#nextStream++;
    this.#opened();
    let ended = false;
    const end = () => {
      if (!ended) {
        ended = true;
        this.#closed();
      }
    };
    // Updates are chained: each takes its slot after the one before, so bytes reach the worker in order.
    let tail: Promise<void> = Promise.resolve();
    return {
      update: (bytes) => {
        if (ended) return Promise.reject(new TfgridError(ZstorError.INVALID_ARGUMENT, 'update() after digest() or abort()'));
        tail = tail.then(() => this.#send(worker, stream, bytes));
        return tail;
      },
      digest: async () => {
        try {
          await tail;
          return await new Promise<Buffer>((resolve, reject) => {
            if (this.#failed !== undefined) return reject(this.#failed);
            this.#digests.set(stream, { resolve, reject });
            worker.postMessage({ kind: 'digest', stream } satisfies HashRequest);
          });
        } finally {
          end();
        }
      },
      abort: () => {
        if (ended) return;
        void tail.then(() => worker.postMessage({ kind: 'drop', stream } satisfies HashRequest), () => undefined);
        end();
      },
    };
  }

  close(): void {
    this.#fail(new TfgridError(ZstorError.CLOSED, 'this Zstor was closed'));
    void this.#worker?.terminate();
  }

  async #send(worker: Worker, stream: number, bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += slotBytes) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + slotBytes));
      const slot = await this.#takeSlot();
      this.#slots[slot]!.set(piece);
      worker.postMessage({ kind: 'update', stream, slot, length: piece.length } satisfies HashRequest);
    }
  }

  #takeSlot(): Promise<number> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const slot = this.#free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.#slotWaiters.push({ resolve, reject }));
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const buffers = Array.from({ length: slotCount }, () => new SharedArrayBuffer(slotBytes));
    for (const [i, buffer] of buffers.entries()) {
      this.#slots.push(new Uint8Array(buffer));
      this.#free.push(i);
    }
    const worker = new Worker(new URL('./hash-worker.ts', import.meta.url), { workerData: { slots: buffers } });
    worker.unref();
    worker.on('message', (reply: HashReply) => {
      if (reply.kind === 'free') {
        const waiter = this.#slotWaiters.shift();
        if (waiter === undefined) this.#free.push(reply.slot);
        else waiter.resolve(reply.slot);
        return;
      }
      const waiter = this.#digests.get(reply.stream);
      this.#digests.delete(reply.stream);
      waiter?.resolve(Buffer.from(reply.digest.buffer, reply.digest.byteOffset, reply.digest.byteLength));
    });
    worker.on('error', (error: Error) => this.#fail(new TfgridError(ZstorError.IO_FAILED, `the hashing thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.#fail(new TfgridError(ZstorError.IO_FAILED, `the hashing thread exited with ${code}`)));
    this.#worker = worker;
    return worker;
  }

  /** Streams in progress keep the process alive (their digests are awaited); an idle worker does not. */
  #opened(): void {
    if (this.#open++ === 0) this.#worker?.ref();
  }

  #closed(): void {
    if (--this.#open === 0) this.#worker?.unref();
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const waiter of this.#slotWaiters.splice(0)) waiter.reject(this.#failed);
    for (const waiter of this.#digests.values()) waiter.reject(this.#failed);
    this.#digests.clear();
  }
}

// The relay's offline queue: envelopes for twins with no connected session, held until the twin
// connects or the envelope expires, within per-twin and total bounds (OfflineQueues). With a
// directory it is also journaled to a queue file, so a restarted relay (even after kill -9)
// still delivers them; without one it lives in memory only.
//
// Guarantee (no acknowledgement is sent to the sender either way): an envelope is durable once
// the group commit that holds it has been fsynced, normally within one disk flush of being queued;
// a crash before that loses it, and the sender learns nothing but its request's timeout. Delivery
// is at most once from the relay's side: an envelope handed to a connected session's socket is
// journaled as done, and lost if that connection dies before the peer reads it (the sender's retry,
// with the same uid, covers that). After a damaged `done` record an envelope may be delivered
// twice; peers drop the duplicate uid.
import { mkdirSync } from 'node:fs';
import { acquireDirLock, createLogger, type DirLock, type Logger } from '../../base/index.ts';
import { RmbError } from '../errors.ts';
import { decodeEnvelope, expiresAtMs, type Envelope } from '../envelope.ts';
import { OfflineQueues, type Queued, type QueueLimits } from './limits.ts';
import { QueueFile, entryFileBytes, loadQueueFile, type QueueEntry } from './queue-file.ts';

export interface RelayQueueOptions extends QueueLimits {
  /** Directory of the queue file; none: memory only. */
  readonly dir?: string;
  /** false only in tests and benchmarks that measure without durability. Default true. */
  readonly fsync?: boolean;
  readonly compactBytesMin?: number;
  readonly log?: Logger;
}

interface Item extends Queued {
  readonly seq: number;
}

export class RelayQueue {
  readonly #queues: OfflineQueues<Item>;
  #file: QueueFile | undefined;
  #lock: DirLock | undefined;
  #nextSeq = 1;
  /** After close: envelopes still being routed while the relay stops are refused, not journaled. */
  #closed = false;

  /** Memory only without `dir`; else loads the queue file (skipping expired envelopes) first. */
  static async open(options: RelayQueueOptions, nowMs: number): Promise<RelayQueue> {
    const queue = new RelayQueue(options);
    if (options.dir === undefined) return queue;
    // One relay per queue directory: a second one would interleave records in the same file.
    mkdirSync(options.dir, { recursive: true });
    queue.#lock = acquireDirLock(options.dir, options.log ?? createLogger({ component: 'relay' }), { locked: RmbError.QUEUE_LOCKED, io: RmbError.QUEUE_STORAGE });
    let loaded: Awaited<ReturnType<typeof loadQueueFile>>;
    try {
      loaded = await loadQueueFile(options.dir, options.log);
    } catch (error) {
      queue.#lock.release();
      throw error;
    }
    const outcomes = { queued: 0, expired: 0, refused: 0 };
    for (const entry of loaded.entries) outcomes[queue.#restore(entry, nowMs)]++;
    options.log?.info('relay queue loaded', { dir: options.dir, ...outcomes, skippedBytes: loaded.skippedBytes });
    await queue.#attach({ ...options, dir: options.dir });
    return queue;
  }

  private constructor(limits: QueueLimits) {
    this.#queues = new OfflineQueues<Item>(limits);
  }

  get count(): number { return this.#queues.count; }
  get bytes(): number { return this.#queues.bytes; }
  /** False when a queue file write failed (or there is no file). */
  get durable(): boolean { return this.#file?.durable ?? false; }

  /** Queues `envelope` for its destination twin; false when a bound refuses it. */
  tryPush(envelope: Envelope): boolean {
    if (this.#closed) return false;
    const item = this.#item(this.#nextSeq, envelope.bytes, envelope);
    if (!this.#queues.tryPush(envelope.destination.twin, item)) return false;
    this.#nextSeq++;
    this.#file?.put({ seq: item.seq, envelope: item.bytes });
    return true;
  }

  /** Removes and returns the frames `session` of `twin` may take; journals them as done. */
  take(twin: number, session: string, nowMs: number): Uint8Array[] {
    if (this.#closed) return [];
    const taken = this.#queues.take(twin, session, nowMs);
    this.#file?.done(taken.map((item) => item.seq));
    return taken.map((item) => item.bytes);
  }

  /** Drops expired envelopes (no record: a reload skips them by their expiration); returns how many. */
  sweep(nowMs: number): number {
    return this.#queues.sweep(nowMs);
  }

  /** Resolves once every queued and delivered envelope so far is on disk. */
  sync(): Promise<void> {
    return this.#file?.sync() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#file?.close();
    this.#lock?.release();
  }

  /** Loading: re-queues an entry of the file under its own sequence number. */
  #restore(entry: QueueEntry, nowMs: number): 'queued' | 'expired' | 'refused' {
    this.#nextSeq = Math.max(this.#nextSeq, entry.seq + 1);
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(entry.envelope);
    } catch {
      return 'refused'; // CRC-checked, so only a file from a build with other bounds
    }
    if (expiresAtMs(envelope) < nowMs) return 'expired';
    return this.#queues.tryPush(envelope.destination.twin, this.#item(entry.seq, entry.envelope, envelope)) ? 'queued' : 'refused';
  }

  /** Loading: rewrites the file with what was restored and journals from now on. */
  async #attach(options: RelayQueueOptions & { dir: string }): Promise<void> {
    this.#file = await QueueFile.open({
      dir: options.dir, fsync: options.fsync, compactBytesMin: options.compactBytesMin, log: options.log,
      snapshot: () => this.#entries(),
      liveBytes: () => this.#queues.count * entryFileBytes(0) + this.#queues.bytes,
    });
  }

  *#entries(): IterableIterator<QueueEntry> {
    for (const item of this.#queues.items()) yield { seq: item.seq, envelope: item.bytes };
  }

  #item(seq: number, bytes: Uint8Array, envelope: Envelope): Item {
    return { seq, bytes, expiresAtMs: expiresAtMs(envelope), session: envelope.destination.session };
  }
}

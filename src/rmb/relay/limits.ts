// Bounded structures of the relay: the per-twin queue for offline twins and the token bucket.
// Every maximum is named; a full queue refuses (tryPush → false), it never grows.
import { assert } from '../../base/index.ts';

export interface Queued {
  readonly bytes: Uint8Array;
  readonly expiresAtMs: number;
  /** '' → any session of the twin. */
  readonly session: string;
}

export interface QueueLimits {
  /** Envelopes held for one offline twin. */
  readonly queuedPerTwinMax: number;
  /** Envelopes held for all offline twins together. */
  readonly queuedTotalMax: number;
  /** Bytes held for all offline twins together. */
  readonly queuedBytesMax: number;
}

/** `Item` may carry more than Queued (the durable queue adds its sequence number). */
export class OfflineQueues<Item extends Queued = Queued> {
  readonly #limits: QueueLimits;
  readonly #byTwin = new Map<number, Item[]>();
  #count = 0;
  #bytes = 0;

  constructor(limits: QueueLimits) {
    this.#limits = limits;
  }

  get count(): number { return this.#count; }
  get bytes(): number { return this.#bytes; }

  tryPush(twin: number, item: Item): boolean {
    const queue = this.#byTwin.get(twin) ?? [];
    if (queue.length >= this.#limits.queuedPerTwinMax || this.#count >= this.#limits.queuedTotalMax || this.#bytes + item.bytes.length > this.#limits.queuedBytesMax) return false;
    queue.push(item);
    this.#byTwin.set(twin, queue);
    this.#count++;
    this.#bytes += item.bytes.length;
    return true;
  }

  /** Removes and returns the unexpired envelopes for `twin` that `session` may take. */
  take(twin: number, session: string, nowMs: number): Item[] {
    const queue = this.#byTwin.get(twin);
    if (queue === undefined) return [];
    const taken: Item[] = [];
    const kept: Item[] = [];
    for (const item of queue) {
      if (item.expiresAtMs < nowMs) this.#forget(item);
      else if (item.session === '' || item.session === session) {
        taken.push(item);
        this.#forget(item);
      } else kept.push(item);
    }
    if (kept.length === 0) this.#byTwin.delete(twin);
    else this.#byTwin.set(twin, kept);
    return taken;
  }

  /** Drops expired envelopes; returns how many. */
  sweep(nowMs: number): number {
    let dropped = 0;
    for (const [twin, queue] of this.#byTwin) {
      const kept = queue.filter((item) => item.expiresAtMs >= nowMs);
      for (const item of queue) if (item.expiresAtMs < nowMs) this.#forget(item);
      dropped += queue.length - kept.length;
      if (kept.length === 0) this.#byTwin.delete(twin);
      else this.#byTwin.set(twin, kept);
    }
    return dropped;
  }

  /** Every queued envelope, twin by twin, each twin's in queueing order. */
  *items(): IterableIterator<Item> {
    for (const queue of this.#byTwin.values()) yield* queue;
  }

  #forget(item: Item): void {
    this.#count--;
    this.#bytes -= item.bytes.length;
    assert(this.#count >= 0 && this.#bytes >= 0, 'queue accounting went negative');
  }
}

/** Token bucket per twin: `ratePerSec` refill, `burst` capacity. */
export class RateLimiter {
  readonly #ratePerSec: number;
  readonly #burst: number;
  readonly #buckets = new Map<number, { tokens: number; atMs: number }>();
  static readonly twinsMax = 100_000;

  constructor(ratePerSec: number, burst: number) {
    assert(ratePerSec > 0 && burst >= 1, 'rate limits must be positive');
    this.#ratePerSec = ratePerSec;
    this.#burst = burst;
  }

  tryTake(twin: number, nowMs: number): boolean {
    let bucket = this.#buckets.get(twin);
    if (bucket === undefined) {
      if (this.#buckets.size >= RateLimiter.twinsMax) this.#buckets.delete(this.#buckets.keys().next().value as number);
      bucket = { tokens: this.#burst, atMs: nowMs };
      this.#buckets.set(twin, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((nowMs - bucket.atMs) * this.#ratePerSec) / 1000);
    bucket.atMs = nowMs;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

// The phonebook: twin id → signing key, encryption key, relays, read from the chain and cached.
// TwinCreated/TwinUpdated events from the chain's block feed drop the cached entry, so a key or
// relay change is seen at the next lookup; entries also expire after cacheTtlMs in case the feed
// lags. Lookups of one id in flight are shared.
import { fromHex } from '../crypto/index.ts';
import type { ChainClient, Subscription } from '../chain/index.ts';

export interface TwinEntry {
  readonly id: number;
  /** Ed25519 public key (32 bytes): verifies the twin's envelopes and tokens. */
  readonly signingKey: Uint8Array;
  /** X25519 public key (32 bytes): payloads to the twin are boxed to it. */
  readonly encryptionKey: Uint8Array;
  /** host[:port] of the relays that reach the twin, in order of preference. */
  readonly relays: readonly string[];
}

export interface Phonebook {
  lookup(twin: number): Promise<TwinEntry | undefined>;
  close(): void;
}

export const phonebookEntriesMax = 100_000;
export const phonebookCacheTtlMsDefault = 60_000;

export class ChainPhonebook implements Phonebook {
  readonly #chain: ChainClient;
  readonly #cache = new Map<number, { entry: TwinEntry | undefined; atMs: number }>();
  readonly #inflight = new Map<number, Promise<TwinEntry | undefined>>();
  readonly #ttlMs: number;
  readonly #feed: Subscription | undefined;

  constructor(chain: ChainClient, options: { cacheTtlMs?: number; subscribe?: boolean } = {}) {
    this.#chain = chain;
    this.#ttlMs = options.cacheTtlMs ?? phonebookCacheTtlMsDefault;
    if (options.subscribe !== false) {
      this.#feed = chain.subscribe((block) => {
        for (const event of block.events) {
          if ((event.type === 'TwinUpdated' || event.type === 'TwinCreated') && typeof event['twinId'] === 'number') this.invalidate(event['twinId']);
        }
      }, { onError: () => undefined });
    }
  }

  invalidate(twin: number): void {
    this.#cache.delete(twin);
  }

  lookup(twin: number): Promise<TwinEntry | undefined> {
    const hit = this.#cache.get(twin);
    if (hit !== undefined && Date.now() - hit.atMs < this.#ttlMs) return Promise.resolve(hit.entry);
    const pending = this.#inflight.get(twin);
    if (pending !== undefined) return pending;
    const fetched = this.#fetch(twin).finally(() => this.#inflight.delete(twin));
    this.#inflight.set(twin, fetched);
    return fetched;
  }

  async #fetch(twin: number): Promise<TwinEntry | undefined> {
    const found = await this.#chain.twin(twin);
    const entry = found === undefined ? undefined : { id: found.id, signingKey: fromHex(found.account, 32, 'account'), encryptionKey: fromHex(found.encryptionKey, 32, 'encryption key'), relays: found.relays };
    if (this.#cache.size >= phonebookEntriesMax) this.#cache.delete(this.#cache.keys().next().value as number);
    this.#cache.set(twin, { entry, atMs: Date.now() });
    return entry;
  }

  close(): void {
    this.#feed?.close();
  }
}

/** A fixed phonebook for tests and tools. */
export class StaticPhonebook implements Phonebook {
  readonly entries = new Map<number, TwinEntry>();
  lookup(twin: number): Promise<TwinEntry | undefined> { return Promise.resolve(this.entries.get(twin)); }
  close(): void {}
}

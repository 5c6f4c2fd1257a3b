// Follows the chain over its WebSocket feed and keeps the index. Every block is checked with the
// chain's own checkBlock, pinned to the sequencer key (the operator's --sequencer, else the one
// the chain names when first indexed, kept in the index), and must extend the stored head
// (height + 1, previousHash = stored hash; block 1 extends the genesis hash). On start, the
// stored head is compared with the chain's block at that height; a chain with another genesis,
// sequencer or hash there is another chain (a devnet restarted, a replaced data directory): the
// index is reset and rebuilt from block 1. Many blocks share one SQLite transaction, committed
// at most commitIntervalMs after its first block, so catch-up is not bound by commits.
import { createLogger, TfgridError, type Logger } from '../../base/index.ts';
import { ChainClient, ChainError, type Block, type PricingPolicy, type Subscription } from '../../chain/index.ts';
import { ExplorerError } from '../errors.ts';
import { blockFacts } from '../core/facts.ts';
import { IndexWriter } from './apply.ts';
import type { ChainIdentity, Head, IndexStore } from './store.ts';

export const indexerDefaults = {
  commitIntervalMs: 100,
  /** Transactions in one SQLite transaction at most (bounds the WAL between commits). */
  transactionTxsMax: 100_000,
  retryDelayMs: 1_000,
} as const;

export interface IndexerOptions {
  readonly chainUrl: string;
  readonly store: IndexStore;
  /** The chain's sequencer key, if the operator pins it; else trusted from the chain on first use. */
  readonly sequencer?: string;
  readonly log?: Logger;
  readonly commitIntervalMs?: number;
}

export interface IndexerStatus {
  readonly following: boolean;
  readonly head: Head;
  /** The highest height the chain is known to have. */
  readonly chainHeight: number;
  readonly reindexes: number;
  readonly error: { code: string; message: string } | null;
}

export class Indexer {
  readonly #options: IndexerOptions;
  readonly #store: IndexStore;
  readonly #writer: IndexWriter;
  readonly #log: Logger;
  #head: Head;
  #chainHeight = 0;
  #reindexes = 0;
  #error: TfgridError | null = null;
  #feed: Subscription | undefined;
  #commitTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #txsInTransaction = 0;
  #closed = false;
  #generation = 0;
  readonly #waiters = new Set<{ height: number; resolve: () => void }>();
  readonly #following = Promise.withResolvers<void>();

  constructor(options: IndexerOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#writer = new IndexWriter(options.store);
    this.#log = options.log ?? createLogger({ component: 'explorer' });
    this.#head = this.#store.head();
  }

  /** Starts following in the background; answers at once (the API serves the stored index meanwhile). */
  start(): void {
    void this.#connect();
  }

  status(): IndexerStatus {
    return {
      following: this.#feed !== undefined,
      head: this.#store.head(),
      chainHeight: Math.max(this.#chainHeight, this.#head.height),
      reindexes: this.#reindexes,
      error: this.#error === null ? null : { code: this.#error.code, message: this.#error.message },
    };
  }

  /** Resolves once the indexer has checked the index against the chain and follows its feed. */
  ready(): Promise<void> {
    return this.#following.promise;
  }

  /** Resolves once a block at `height` or above is committed. */
  waitForHeight(height: number): Promise<void> {
    if (this.#store.head().height >= height) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ height, resolve }));
  }

  close(): void {
    this.#closed = true;
    this.#feed?.close();
    clearTimeout(this.#retryTimer);
    this.#commit();
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const client = new ChainClient({ url: this.#options.chainUrl });
      const [params, health] = await Promise.all([client.params(), client.health()]);
      if (this.#closed || generation !== this.#generation) return;
      this.#chainHeight = health.height;
      const chain = this.#chainIdentity(params);
      const pinned = new ChainClient({ url: this.#options.chainUrl, sequencer: chain.sequencer });
      const why = await this.#mismatch(chain, pinned);
      if (this.#closed || generation !== this.#generation) return;
      if (why !== undefined) await this.#reset(chain, params.uptimeIntervalMs, client, why);
      this.#error = null;
      this.#head = this.#store.head();
      this.#log.info('following the chain', { url: this.#options.chainUrl, fromHeight: this.#head.height + 1, chainHeight: health.height });
      this.#feed = pinned.subscribe((block) => this.#onBlock(block, generation), { fromHeight: this.#head.height + 1, onError: (error) => this.#onFeedError(error, generation) });
      this.#following.resolve();
    } catch (error) {
      this.#fail(error, generation);
    }
  }

  #chainIdentity(params: { chainId: string; sequencer?: string; genesisHash?: string }): ChainIdentity {
    const sequencer = this.#options.sequencer ?? params.sequencer;
    if (sequencer === undefined || params.genesisHash === undefined) throw new TfgridError(ExplorerError.CHAIN_MISMATCH, 'the chain names no sequencer key or genesis hash (an older chain): give --sequencer');
    if (params.sequencer !== undefined && params.sequencer !== sequencer) {
      throw new TfgridError(ExplorerError.CHAIN_MISMATCH, `the chain at ${this.#options.chainUrl} is sequenced by ${params.sequencer}, not by the pinned key ${sequencer}`);
    }
    return { chainId: params.chainId, genesisHash: params.genesisHash, sequencer };
  }

  /** Why the stored index is not a prefix of this chain, or undefined when it is. */
  async #mismatch(chain: ChainIdentity, pinned: ChainClient): Promise<string | undefined> {
    const stored = this.#store.chain();
    if (stored === undefined) return 'a new index';
    if (stored.genesisHash !== chain.genesisHash || stored.sequencer !== chain.sequencer) return `another chain (genesis ${chain.genesisHash}, was ${stored.genesisHash})`;
    const head = this.#store.head();
    if (head.height === 0) return undefined;
    const block = await pinned.block(head.height);
    if (block === undefined) return `the chain has no block ${head.height} (the index's head)`;
    if (block.hash !== head.hash) return `the chain's block ${head.height} is ${block.hash}, the index has ${head.hash}`;
    return undefined;
  }

  async #reset(chain: ChainIdentity, uptimeIntervalMs: number, client: ChainClient, why: string): Promise<void> {
    const policies = await this.#pricingPolicies(client);
    if (this.#store.chain() !== undefined) {
      this.#reindexes++;
      this.#log.warn('re-indexing from block 1', { why });
    }
    this.#store.reset(chain, uptimeIntervalMs);
    this.#store.begin();
    for (const policy of policies) this.#writer.setPricing(policy);
    this.#store.commit();
    this.#writer.reloadPricing(); // forget the old chain's policies
    this.#head = this.#store.head();
  }

  /** The genesis's pricing policies are in no block: read them from the chain's state. */
  async #pricingPolicies(client: ChainClient): Promise<PricingPolicy[]> {
    const policies: PricingPolicy[] = [];
    for (let afterId = 0; ;) {
      const page = await client.list('pricingPolicies', { afterId, limit: 1000 });
      policies.push(...(page.items as PricingPolicy[]));
      if (page.nextAfterId === undefined) return policies;
      afterId = page.nextAfterId;
    }
  }

  #onBlock(block: Block, generation: number): void {
    if (generation !== this.#generation || this.#closed) return;
    if (block.height !== this.#head.height + 1 || block.previousHash !== this.#head.hash) {
      this.#restart(`block ${block.height} (previous ${block.previousHash}) does not extend the index's head ${this.#head.height} (${this.#head.hash})`);
      return;
    }
    // This runs in the feed's message listener, where a throw would end the process: a block
    // that cannot be read or written (SQLite, an invariant) goes to the rollback-and-retry path.
    try {
      const facts = blockFacts(block);
      if (!this.#store.inTransaction) {
        this.#store.begin();
        this.#commitTimer = setTimeout(() => this.#commit(), this.#options.commitIntervalMs ?? indexerDefaults.commitIntervalMs);
      }
      this.#writer.applyBlock(facts);
      this.#head = { height: block.height, hash: block.hash, timestampMs: block.timestampMs };
      this.#chainHeight = Math.max(this.#chainHeight, block.height);
      this.#txsInTransaction += block.transactions.length;
      if (this.#txsInTransaction >= indexerDefaults.transactionTxsMax) this.#commit();
    } catch (error) {
      this.#fail(error, generation);
    }
  }

  #commit(): void {
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    if (!this.#store.inTransaction) return;
    this.#store.commit();
    this.#txsInTransaction = 0;
    const height = this.#head.height;
    for (const waiter of this.#waiters) {
      if (waiter.height > height) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }

  #onFeedError(error: unknown, generation: number): void {
    // Socket errors are retried by the client; a block that fails checkBlock closes the feed.
    if (error instanceof TfgridError && (error.code === ChainError.WRONG_SEQUENCER || error.code === ChainError.BAD_BLOCK)) this.#fail(error, generation);
  }

  /** Something does not match: keep what is committed, look at the chain again from the start. */
  #restart(why: string): void {
    this.#log.warn('the chain does not extend the index', { why });
    this.#commit();
    this.#feed?.close();
    this.#feed = undefined;
    void this.#connect();
  }

  #fail(error: unknown, generation: number): void {
    if (generation !== this.#generation || this.#closed) return;
    this.#feed?.close();
    this.#feed = undefined;
    this.#store.rollback();
    clearTimeout(this.#commitTimer);
    this.#txsInTransaction = 0;
    this.#writer.reloadPricing(); // policies of rolled-back blocks are gone from the tables too
    this.#head = this.#store.head();
    this.#error = error instanceof TfgridError ? error : new TfgridError(ExplorerError.INDEX_FAILED, String(error), { cause: error });
    this.#log.warn('indexing stopped; retrying', { code: this.#error.code, message: this.#error.message, retryMs: indexerDefaults.retryDelayMs });
    this.#retryTimer = setTimeout(() => void this.#connect(), indexerDefaults.retryDelayMs);
  }
}

// Where blocks live: a 0-db namespace, a plain directory, or a hub over HTTP (read-only), chosen
// per block by the first byte of its id through the flist's routes. Routes that overlap
// replicate: a block is written to every store whose range holds it, and read from the first
// that has it intact.
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { TfgridError, createLogger, type Logger } from '../base/index.ts';
import { ZdbClient } from '../zdb/index.ts';
import { blockMatches } from './blocks.ts';
import { FlistError } from './errors.ts';
import type { Route } from './format.ts';

export interface BlockStore {
  readonly url: string;
  readonly writable: boolean;
  has(id: Buffer): Promise<boolean>;
  get(id: Buffer): Promise<Buffer | null>;
  put(id: Buffer, cipher: Buffer): Promise<void>;
  /** Makes what put() wrote durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** `[start-end=]url`: a route from the command line (hex bytes, inclusive; the whole range when absent). */
export function parseRoute(spec: string): Route {
  const match = /^([0-9a-f]{2})-([0-9a-f]{2})=(.+)$/i.exec(spec);
  const route = match === null ? { start: 0, end: 255, url: spec } : { start: parseInt(match[1]!, 16), end: parseInt(match[2]!, 16), url: match[3]! };
  if (route.start > route.end) throw new TfgridError(FlistError.INVALID, `route ${spec}: start is after end`);
  storeKind(route.url);
  return route;
}

function storeKind(url: string): 'zdb' | 'dir' | 'http' {
  if (url.startsWith('zdb://')) return 'zdb';
  if (url.startsWith('http://') || url.startsWith('https://')) return 'http';
  if (url.startsWith('dir://') || url.startsWith('/') || url.startsWith('.')) return 'dir';
  throw new TfgridError(FlistError.INVALID, `store '${url}': expected zdb://[:password@]host:port/namespace, dir:///path or http(s)://host/…`);
}

export async function openStore(url: string, options: { logger?: Logger; timeoutMs?: number } = {}): Promise<BlockStore> {
  switch (storeKind(url)) {
    case 'zdb': return ZdbStore.open(url, options.timeoutMs ?? 15_000);
    case 'http': return new HttpStore(url, options.timeoutMs ?? 15_000);
    default: return new DirStore(url);
  }
}

/** Blocks as files `<dir>/<first byte hex>/<id hex>`, written to a temp name and renamed. */
export class DirStore implements BlockStore {
  readonly url: string;
  readonly writable = true;
  readonly #dir: string;

  constructor(url: string) {
    this.url = url;
    this.#dir = resolve(url.startsWith('dir://') ? url.slice('dir://'.length) : url);
  }

  async has(id: Buffer): Promise<boolean> {
    try {
      await access(this.#path(id));
      return true;
    } catch {
      return false;
    }
  }

  async get(id: Buffer): Promise<Buffer | null> {
    try {
      return await readFile(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new TfgridError(FlistError.STORE, `${this.url}: ${(error as Error).message}`, { cause: error });
    }
  }

  async put(id: Buffer, cipher: Buffer): Promise<void> {
    const path = this.#path(id);
    try {
      await mkdir(join(this.#dir, id.subarray(0, 1).toString('hex')), { recursive: true });
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, cipher);
      await rename(temp, path);
    } catch (error) {
      throw new TfgridError(FlistError.STORE, `${this.url}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** One sync(1) of the store's file system: cheaper than an fsync per block. */
  flush(): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      execFile('sync', ['-f', this.#dir], (error) => (error === null ? resolvePromise() : reject(new TfgridError(FlistError.STORE, `${this.url}: sync failed: ${error.message}`))));
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #path(id: Buffer): string {
    const hex = id.toString('hex');
    return join(this.#dir, hex.slice(0, 2), hex);
  }
}

/** A 0-db namespace in user mode, keys = block ids; EXISTS before SET so a shared block is sent once. */
export class ZdbStore implements BlockStore {
  readonly url: string;
  readonly writable = true;
  readonly #client: ZdbClient;

  private constructor(url: string, client: ZdbClient) {
    this.url = url;
    this.#client = client;
  }

  static async open(url: string, timeoutMs: number): Promise<ZdbStore> {
    const match = /^zdb:\/\/(?:(?:[^:@/]*):([^@/]*)@)?([^:/]+|\[[^\]]+\]):(\d{1,5})\/([A-Za-z0-9._-]+)$/.exec(url);
    if (match === null) throw new TfgridError(FlistError.INVALID, `store '${url}': expected zdb://[:password@]host:port/namespace`);
    const [, password, host, port, namespace] = match;
    try {
      const client = await ZdbClient.connect({ host: host!.replace(/^\[|\]$/g, ''), port: Number(port) }, {
        timeoutMs, reconnect: true, namespace: namespace!, ...(password === undefined || password === '' ? {} : { password: decodeURIComponent(password) }),
      });
      return new ZdbStore(url.replace(/\/\/[^@/]*@/, '//'), client);
    } catch (error) {
      throw new TfgridError(FlistError.STORE, `${redact(url)}: ${(error as Error).message}`, { cause: error });
    }
  }

  async has(id: Buffer): Promise<boolean> {
    return this.#call(() => this.#client.exists(id));
  }

  async get(id: Buffer): Promise<Buffer | null> {
    return this.#call(() => this.#client.get(id));
  }

  async put(id: Buffer, cipher: Buffer): Promise<void> {
    await this.#call(() => this.#client.set(id, cipher));
  }

  flush(): Promise<void> {
    return Promise.resolve(); // 0-db acknowledges a SET once written (and synced with --sync)
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new TfgridError(FlistError.STORE, `${this.url}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A hub's blocks over HTTP: GET <url>/blocks/<id hex>. Read-only (uploads go through the hub client). */
export class HttpStore implements BlockStore {
  readonly url: string;
  readonly writable = false;
  readonly #timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    this.url = url.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
  }

  async has(id: Buffer): Promise<boolean> {
    const response = await this.#fetch(id, 'HEAD');
    return response.ok;
  }

  async get(id: Buffer): Promise<Buffer | null> {
    const response = await this.#fetch(id, 'GET');
    if (response.status === 404) return null;
    if (!response.ok) throw new TfgridError(FlistError.STORE, `${this.url}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  put(): Promise<void> {
    return Promise.reject(new TfgridError(FlistError.STORE, `${this.url}: an HTTP store is read-only (upload with tfgrid hub push)`));
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #fetch(id: Buffer, method: string): Promise<Response> {
    try {
      return await fetch(`${this.url}/blocks/${id.toString('hex')}`, { method, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw new TfgridError(FlistError.STORE, `${this.url}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** The routes of one flist over opened stores: put to every matching store, get from the first intact copy. */
export class BlockRouter {
  readonly routes: readonly Route[];
  readonly #stores: ReadonlyMap<string, BlockStore>;
  readonly #logger: Logger;

  private constructor(routes: readonly Route[], stores: ReadonlyMap<string, BlockStore>, logger: Logger) {
    this.routes = routes;
    this.#stores = stores;
    this.#logger = logger;
  }

  /** Opens every store the routes name; a store that cannot be opened is left out (reads fall back to replicas). */
  static async open(routes: readonly Route[], options: { logger?: Logger; required?: boolean } = {}): Promise<BlockRouter> {
    const logger = options.logger ?? createLogger({ component: 'flist' });
    const stores = new Map<string, BlockStore>();
    for (const url of new Set(routes.map((route) => route.url))) {
      try {
        stores.set(url, await openStore(url, { logger }));
      } catch (error) {
        if (options.required === true) throw error;
        logger.warn('store unreachable: reading from the other routes', { store: redact(url), error: (error as Error).message });
      }
    }
    return new BlockRouter(routes, stores, logger);
  }

  #storesFor(id: Buffer): BlockStore[] {
    const first = id[0]!;
    return this.routes.filter((route) => route.start <= first && first <= route.end).flatMap((route) => this.#stores.get(route.url) ?? []);
  }

  /** Writes `cipher` to every store whose route holds `id` (skipping those that have it). */
  async put(id: Buffer, cipher: Buffer): Promise<void> {
    const stores = this.#storesFor(id);
    if (stores.length === 0) throw new TfgridError(FlistError.INVALID, `no route covers block ${id.toString('hex')} (byte ${id[0]})`);
    await Promise.all(stores.map(async (store) => {
      if (!(await store.has(id))) await store.put(id, cipher);
    }));
  }

  /** The block from the first store holding an intact copy; a damaged copy is logged and skipped. */
  async get(id: Buffer): Promise<Buffer> {
    const hex = id.toString('hex');
    let damaged = false;
    for (const store of this.#storesFor(id)) {
      let cipher: Buffer | null;
      try {
        cipher = await store.get(id);
      } catch (error) {
        this.#logger.warn('store failed: trying the next route', { store: store.url, block: hex, error: (error as Error).message });
        continue;
      }
      if (cipher === null) continue;
      if (blockMatches(id, cipher)) return cipher;
      damaged = true;
      this.#logger.error('block does not match its id: trying the next route', { store: store.url, block: hex });
    }
    throw new TfgridError(damaged ? FlistError.BLOCK_CORRUPT : FlistError.BLOCK_MISSING, `block ${hex} is ${damaged ? 'damaged' : 'missing'} in every store its routes name`);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((store) => store.flush()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stores.values()].map((store) => store.close()));
  }
}

/** A store URL without its password, for logs and flists. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

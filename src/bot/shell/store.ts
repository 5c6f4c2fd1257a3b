// The desired state in the twin's BCDB. BCDB lets one process hold a database at a time (the
// index is locked), and both `tfgrid deploy` and the long-running `tfgrid bot` write it, so each
// use opens the database, does its reads and writes, and closes it; a holder found busy is
// waited for (BCDB_LOCKED, retried for `lockWaitMs`).
import { isTfgridError, type Logger } from '../../base/index.ts';
import { Bcdb, BcdbError, type Json } from '../../bcdb/index.ts';
import type { Identity } from '../../crypto/index.ts';
import { ZdbClient } from '../../zdb/index.ts';
import { deploymentsCollection, metaCollection, parseRecord, type DesiredRecord } from '../core/state.ts';

export interface StoreOptions {
  readonly zdb: { readonly host: string; readonly port: number };
  readonly namespace: string;
  readonly password?: string | undefined;
  readonly adminPassword?: string | undefined;
  /** Index and signed head directory (one per namespace). */
  readonly dir: string;
  readonly identity: Identity;
  readonly twinId: number;
  readonly lockWaitMs?: number;
  readonly log?: Logger;
}

/** What one opening of the database can do. */
export interface DesiredState {
  list(): Promise<DesiredRecord[]>;
  get(name: string): Promise<DesiredRecord | undefined>;
  put(record: DesiredRecord): Promise<void>;
  /** Reserves `count` subnet numbers, never handed out before (until the counter wraps at 254). */
  reserveSubnets(count: number): Promise<number[]>;
}

export class DesiredStore {
  readonly #options: StoreOptions;
  constructor(options: StoreOptions) {
    this.#options = options;
  }

  async use<T>(fn: (state: DesiredState) => Promise<T>): Promise<T> {
    const o = this.#options;
    const zdb = await ZdbClient.connect(o.zdb, { timeoutMs: 10_000, reconnect: false, ...(o.adminPassword === undefined ? {} : { adminPassword: o.adminPassword }) });
    try {
      const db = await this.#open(zdb);
      try {
        for (const collection of [deploymentsCollection, metaCollection]) {
          if (db.collection(collection) === undefined) await db.createCollection(collection, { indexes: { status: 'string' } });
        }
        return await fn(stateOf(db));
      } finally {
        await db.close();
      }
    } finally {
      zdb.destroy();
    }
  }

  async #open(zdb: ZdbClient): Promise<Bcdb> {
    const o = this.#options;
    const deadline = Date.now() + (o.lockWaitMs ?? 20_000);
    for (;;) {
      try {
        return await Bcdb.open({ zdb, namespace: o.namespace, dir: o.dir, identity: o.identity, twinId: o.twinId, ...(o.log === undefined ? {} : { logger: o.log }), ...(o.password === undefined ? {} : { password: o.password }) });
      } catch (error) {
        if (!isTfgridError(error, BcdbError.LOCKED) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
      }
    }
  }
}

function stateOf(db: Bcdb): DesiredState {
  const get = async (name: string): Promise<DesiredRecord | undefined> => {
    try {
      const found = await db.get(deploymentsCollection, name);
      return found.body === null ? undefined : parseRecord(found.body);
    } catch (error) {
      if (isTfgridError(error, BcdbError.NOT_FOUND)) return undefined;
      throw error;
    }
  };
  return {
    get,
    async list() {
      const records: DesiredRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await db.find(deploymentsCollection, { limit: 100, ...(cursor === undefined ? {} : { cursor }) });
        for (const item of page.items) if (item.body !== null) records.push(parseRecord(item.body));
        cursor = page.cursor ?? undefined;
      } while (cursor !== undefined);
      return records;
    },
    async put(record) {
      const body = JSON.parse(JSON.stringify(record)) as Json;
      try {
        await db.update(deploymentsCollection, record.name, body);
      } catch (error) {
        if (!isTfgridError(error, BcdbError.NOT_FOUND)) throw error;
        await db.set(deploymentsCollection, body, { id: record.name });
      }
    },
    async reserveSubnets(count) {
      let next = 1;
      try {
        const found = await db.get(metaCollection, 'network');
        next = typeof found.body === 'object' && found.body !== null && 'next' in found.body && typeof found.body['next'] === 'number' ? found.body['next'] : 1;
        await db.update(metaCollection, 'network', { next: next + count, status: 'meta' });
      } catch (error) {
        if (!isTfgridError(error, BcdbError.NOT_FOUND)) throw error;
        await db.set(metaCollection, { next: next + count, status: 'meta' }, { id: 'network' });
      }
      return Array.from({ length: count }, (_, i) => ((next + i - 1) % 254) + 1);
    },
  };
}

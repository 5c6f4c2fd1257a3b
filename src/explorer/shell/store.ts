// The index file: opening (schema version, pragmas), the chain it belongs to (meta), the head,
// transactions that group many blocks, and the reset that a chain mismatch triggers. What a
// block's facts change is apply.ts; what the API reads is read/*.ts.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { assert, TfgridError } from '../../base/index.ts';
import { ExplorerError } from '../errors.ts';
import { indexSchemaSql, indexSchemaVersion, indexTables } from './schema.ts';

/** What the index knows about the chain it follows. */
export interface ChainIdentity {
  readonly chainId: string;
  readonly genesisHash: string;
  readonly sequencer: string;
}

export interface Head {
  readonly height: number;
  readonly hash: string;
  readonly timestampMs: number;
}

export const metaKeys = ['chainId', 'genesisHash', 'sequencer', 'height', 'hash', 'timestampMs', 'uptimeIntervalMs'] as const;
type MetaKey = (typeof metaKeys)[number];

export class IndexStore {
  readonly db: DatabaseSync;
  readonly path: string;
  #inTransaction = false;

  /** The schema version the file had when an older one was rebuilt on open (empty, to re-index). */
  readonly rebuiltFromVersion: number | undefined;

  private constructor(db: DatabaseSync, path: string, rebuiltFromVersion: number | undefined) {
    this.db = db;
    this.path = path;
    this.rebuiltFromVersion = rebuiltFromVersion;
  }

  /** Opens (or creates) the index at `path` (':memory:' for tests). An index of an older schema
   *  version is emptied and recreated (it is derived: the indexer re-indexes from block 1); one of
   *  a newer version is refused, so an older explorer never destroys it. */
  static open(path: string): IndexStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    // WAL: readers (the API) are not blocked by the indexer's write transaction. NORMAL sync: a
    // power loss may lose the last commits, which the indexer simply fetches again.
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -131072; PRAGMA mmap_size = 1073741824;');
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > indexSchemaVersion) {
      db.close();
      throw new TfgridError(ExplorerError.INDEX_UNSUPPORTED_VERSION, `${path} has index schema version ${version}, this explorer reads ${indexSchemaVersion} (a newer explorer's index): use that explorer or remove the file to re-index`);
    }
    if (version === 0) {
      db.exec(`BEGIN; ${indexSchemaSql} PRAGMA user_version = ${indexSchemaVersion}; COMMIT;`);
    } else if (version < indexSchemaVersion) {
      const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((row) => row.name);
      if (!['meta', 'blocks', 'nodes'].every((table) => tables.includes(table))) {
        db.close();
        throw new TfgridError(ExplorerError.INDEX_UNSUPPORTED_VERSION, `${path} has schema version ${version} but is not an explorer index (no meta, blocks and nodes tables): left as it is`);
      }
      db.exec(`BEGIN; ${tables.map((table) => `DROP TABLE "${table}";`).join(' ')} ${indexSchemaSql} PRAGMA user_version = ${indexSchemaVersion}; COMMIT;`);
      db.exec('VACUUM');
    }
    return new IndexStore(db, path, version > 0 && version < indexSchemaVersion ? version : undefined);
  }

  meta(key: MetaKey): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: MetaKey, value: string | number): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, String(value));
  }

  chain(): ChainIdentity | undefined {
    const [chainId, genesisHash, sequencer] = [this.meta('chainId'), this.meta('genesisHash'), this.meta('sequencer')];
    return chainId === undefined || genesisHash === undefined || sequencer === undefined ? undefined : { chainId, genesisHash, sequencer };
  }

  head(): Head {
    return { height: Number(this.meta('height') ?? 0), hash: this.meta('hash') ?? '', timestampMs: Number(this.meta('timestampMs') ?? 0) };
  }

  uptimeIntervalMs(): number {
    return Number(this.meta('uptimeIntervalMs') ?? 0);
  }

  /** The stored hash of block `height`, if indexed. */
  blockHash(height: number): string | undefined {
    return (this.db.prepare('SELECT hash FROM blocks WHERE height = ?').get(height) as { hash: string } | undefined)?.hash;
  }

  begin(): void {
    assert(!this.#inTransaction, 'one write transaction at a time');
    this.db.exec('BEGIN');
    this.#inTransaction = true;
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  commit(): void {
    assert(this.#inTransaction, 'commit without begin');
    this.db.exec('COMMIT');
    this.#inTransaction = false;
  }

  rollback(): void {
    if (!this.#inTransaction) return;
    this.db.exec('ROLLBACK');
    this.#inTransaction = false;
  }

  /** Forgets everything (another chain, or this one no longer matches): the next block indexed is 1. */
  reset(chain: ChainIdentity, uptimeIntervalMs: number): void {
    this.rollback();
    this.db.exec(`BEGIN; ${indexTables.map((table) => `DELETE FROM ${table};`).join(' ')}`);
    this.setMeta('chainId', chain.chainId);
    this.setMeta('genesisHash', chain.genesisHash);
    this.setMeta('sequencer', chain.sequencer);
    this.setMeta('uptimeIntervalMs', uptimeIntervalMs);
    this.setMeta('height', 0);
    this.setMeta('hash', chain.genesisHash);
    this.setMeta('timestampMs', 0);
    this.db.exec('COMMIT');
  }

  close(): void {
    this.rollback();
    this.db.close();
  }
}

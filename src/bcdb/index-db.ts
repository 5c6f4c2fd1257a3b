// The query index of a BCDB: SQLite tables derived from the 0-db log and nothing else, so it can
// be deleted at any time and rebuilt by replaying the log. One process holds it (exclusive lock).
// WAL with synchronous=NORMAL: a power cut may lose the last transactions, never consistency,
// and whatever is lost is replayed from the log at the next open.
import { DatabaseSync, type StatementSync, type SQLInputValue } from 'node:sqlite';
import { TfgridError } from '../base/index.ts';
import { BcdbError } from './errors.ts';
import { aclSchema, entityKey, type Acl, type CollectionHeader, type Header } from './record.ts';
import type { Head } from './rules.ts';

export const indexFormat = '1';
const cacheKiB = 128 * 1024;
const mmapBytes = 1024 ** 3;

const schemaSql = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leaves (pos INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS versions (entity TEXT NOT NULL, version INTEGER NOT NULL, pos INTEGER NOT NULL, hash TEXT NOT NULL,
  deleted INTEGER NOT NULL, author INTEGER NOT NULL, time_ms INTEGER NOT NULL, PRIMARY KEY (entity, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (collection TEXT NOT NULL, id TEXT NOT NULL, owner INTEGER NOT NULL, version INTEGER NOT NULL,
  pos INTEGER NOT NULL, hash TEXT NOT NULL, deleted INTEGER NOT NULL, tags TEXT NOT NULL, fields TEXT NOT NULL, PRIMARY KEY (collection, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (collection TEXT NOT NULL, tag TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (collection, tag, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fields (collection TEXT NOT NULL, field TEXT NOT NULL, value NOT NULL, id TEXT NOT NULL, PRIMARY KEY (collection, field, value, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY, header TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS acls (entity TEXT PRIMARY KEY, acl TEXT NOT NULL) WITHOUT ROWID;
`;

export interface ObjectRow extends Head {
  readonly id: string;
  readonly pos: number;
}

/** A find() match; `sort` is the ordering field's value when the query orders by one. */
export interface FoundRow extends ObjectRow {
  readonly sort: string | number | undefined;
}

export interface VersionRow {
  readonly version: number;
  readonly pos: number;
  readonly hash: string;
  readonly deleted: boolean;
  readonly author: number;
  readonly timeMs: number;
}

export type Condition = { eq: string | number } | { prefix: string } | { gt?: string | number; gte?: string | number; lt?: string | number; lte?: string | number };

export interface IndexQuery {
  readonly collection: string;
  readonly tags: readonly string[];
  readonly where: ReadonlyArray<{ field: string; condition: Condition }>;
  /** Position after which to continue: the sort value (when ordered by a field) and the id. */
  readonly after: { value?: string | number; id: string } | undefined;
  readonly limit: number;
}

/** What an object version puts in the index (null for other records and deletions). */
export interface Indexed {
  readonly tags: readonly string[];
  readonly fields: ReadonlyArray<{ field: string; value: string | number }>;
}

export class BcdbIndex {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #inTransaction = false;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  static open(path: string): BcdbIndex {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { timeout: 0 });
      // A page cache and a memory map large enough that a million objects' B-trees mostly stay in
      // memory: inserts touch random pages of the objects, tags and fields trees.
      db.exec(`PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
        PRAGMA cache_size=-${cacheKiB}; PRAGMA mmap_size=${mmapBytes}; PRAGMA temp_store=MEMORY;`);
      db.exec('BEGIN IMMEDIATE; COMMIT;'); // takes the exclusive lock now rather than at the first write
      db.exec(schemaSql);
    } catch (error) {
      db?.close();
      if ((error as { errcode?: number }).errcode === 5) throw new TfgridError(BcdbError.LOCKED, `${path} is open in another process`);
      throw new TfgridError(BcdbError.STORAGE, `cannot open the index ${path}: ${(error as Error).message} (delete it: it is rebuilt from the log)`, { cause: error });
    }
    const index = new BcdbIndex(db);
    const format = index.meta('format');
    if (format === undefined) index.setMeta('format', indexFormat);
    else if (format !== indexFormat) throw new TfgridError(BcdbError.STORAGE, `index ${path} has format ${format}, not ${indexFormat}: delete it to rebuild`);
    return index;
  }

  close(): void {
    this.commit();
    this.#db.close();
  }

  meta(key: string): string | undefined {
    return (this.#get('SELECT v FROM meta WHERE k = ?', key) as { v: string } | undefined)?.v;
  }

  setMeta(key: string, value: string): void {
    this.#run('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v', key, value);
  }

  /** Opens a transaction if none is open; commit() ends it. Writes are grouped this way. */
  begin(): void {
    if (this.#inTransaction) return;
    this.#db.exec('BEGIN');
    this.#inTransaction = true;
  }

  commit(): void {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    this.#db.exec('COMMIT');
  }

  leafCount(): number {
    return (this.#get('SELECT COUNT(*) AS n FROM leaves') as { n: number }).n;
  }

  *leafHashes(): Generator<Uint8Array> {
    for (const row of this.#statement('SELECT hash FROM leaves ORDER BY pos').iterate()) yield (row as { hash: Uint8Array }).hash;
  }

  /** Records the version at `pos` (the next leaf). Call inside begin()/commit(). */
  apply(pos: number, leaf: Uint8Array, hash: string, header: Header, indexed: Indexed | null): void {
    const entity = entityKey(header);
    this.#run('INSERT INTO leaves (pos, hash) VALUES (?, ?)', pos, leaf);
    this.#run('INSERT INTO versions (entity, version, pos, hash, deleted, author, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
      entity, header.version, pos, hash, header.kind === 'object' && header.deleted ? 1 : 0, header.author, header.timeMs);
    if (header.kind === 'collection') {
      this.#run('INSERT INTO collections (name, header) VALUES (?, ?)', header.collection, JSON.stringify(header));
    } else if (header.kind === 'acl') {
      this.#run('INSERT INTO acls (entity, acl) VALUES (?, ?) ON CONFLICT (entity) DO UPDATE SET acl = excluded.acl', entity, JSON.stringify(header.acl));
    } else {
      this.#applyObject(pos, hash, header, indexed);
    }
  }

  collections(): CollectionHeader[] {
    return this.#all('SELECT header FROM collections ORDER BY name').map((row) => JSON.parse((row as { header: string }).header) as CollectionHeader);
  }

  /** Every ACL chain that has a version (few: kept in memory by the database). */
  aclEntities(): string[] {
    return this.#all('SELECT entity FROM acls').map((row) => (row as { entity: string }).entity);
  }

  acl(entity: string): Acl | undefined {
    const row = this.#get('SELECT acl FROM acls WHERE entity = ?', entity) as { acl: string } | undefined;
    return row === undefined ? undefined : aclSchema.parse(JSON.parse(row.acl));
  }

  object(collection: string, id: string): ObjectRow | undefined {
    const row = this.#get('SELECT id, owner, version, pos, hash, deleted FROM objects WHERE collection = ? AND id = ?', collection, id);
    return row === undefined ? undefined : objectRow(row);
  }

  objectTags(collection: string, id: string): string[] {
    const row = this.#get('SELECT tags FROM objects WHERE collection = ? AND id = ?', collection, id) as { tags: string } | undefined;
    return row === undefined ? [] : (JSON.parse(row.tags) as string[]);
  }

  /** The latest version of a chain (any kind); owner is only meaningful for objects. */
  chainHead(entity: string): Head | undefined {
    const row = this.#get('SELECT version, hash, deleted, author FROM versions WHERE entity = ? ORDER BY version DESC LIMIT 1', entity) as
      { version: number; hash: string; deleted: number; author: number } | undefined;
    return row === undefined ? undefined : { version: row.version, hash: row.hash, deleted: row.deleted === 1, owner: row.author };
  }

  version(entity: string, version: number): VersionRow | undefined {
    const row = this.#get('SELECT version, pos, hash, deleted, author, time_ms FROM versions WHERE entity = ? AND version = ?', entity, version);
    return row === undefined ? undefined : versionRow(row);
  }

  /** Versions of a chain, newest first, below `beforeVersion` when given. */
  versions(entity: string, beforeVersion: number | undefined, limit: number): VersionRow[] {
    return this.#all('SELECT version, pos, hash, deleted, author, time_ms FROM versions WHERE entity = ? AND version < ? ORDER BY version DESC LIMIT ?',
      entity, beforeVersion ?? Number.MAX_SAFE_INTEGER, limit).map(versionRow);
  }

  /**
   * Live objects matching every tag and condition, ordered by the first field with a range or
   * prefix condition (then id), else by id. The first condition (or tag) drives the scan through
   * its primary key; the others are lookups, so the cost follows the driving condition's matches.
   */
  find(query: IndexQuery): FoundRow[] {
    const params: SQLInputValue[] = [];
    const filterParams: SQLInputValue[] = [];
    const ordered = query.where.find((item) => !('eq' in item.condition)) ?? query.where[0];
    const others = query.where.filter((item) => item !== ordered);
    let sql: string;
    let orderBy: string;
    let idColumn: string;
    if (ordered !== undefined) {
      sql = 'SELECT o.id, o.owner, o.version, o.pos, o.hash, o.deleted, d.value AS sort FROM fields d CROSS JOIN objects o ON o.collection = d.collection AND o.id = d.id';
      orderBy = ' ORDER BY d.value, d.id';
      idColumn = 'd.id';
    } else if (query.tags.length > 0) {
      sql = 'SELECT o.id, o.owner, o.version, o.pos, o.hash, o.deleted FROM tags d CROSS JOIN objects o ON o.collection = d.collection AND o.id = d.id';
      orderBy = ' ORDER BY d.id';
      idColumn = 'd.id';
    } else {
      sql = 'SELECT o.id, o.owner, o.version, o.pos, o.hash, o.deleted FROM objects o';
      orderBy = ' ORDER BY o.id';
      idColumn = 'o.id';
    }
    const tags = ordered === undefined ? query.tags.slice(1) : query.tags;
    tags.forEach((tag, i) => {
      sql += ` CROSS JOIN tags t${i} ON t${i}.collection = o.collection AND t${i}.tag = ? AND t${i}.id = o.id`;
      params.push(tag);
    });
    // Equality on another field is a primary-key lookup; a range on another field is checked on
    // the object's own list of indexed values (a scan of the field's range per row would not scale).
    const filters: string[] = [];
    others.forEach((item, i) => {
      if ('eq' in item.condition) {
        sql += ` CROSS JOIN fields f${i} ON f${i}.collection = o.collection AND f${i}.field = ? AND f${i}.value = ? AND f${i}.id = o.id`;
        params.push(item.field, item.condition.eq);
      } else {
        const rangeParams: SQLInputValue[] = [item.field];
        filters.push(`EXISTS (SELECT 1 FROM json_each(o.fields) j WHERE j.value ->> '$.field' = ?${conditionSql("j.value ->> '$.value'", item.condition, rangeParams)})`);
        filterParams.push(...rangeParams);
      }
    });
    const where: string[] = [];
    params.push(...filterParams);
    where.push(...filters);
    if (ordered !== undefined) {
      where.push('d.collection = ?', 'd.field = ?');
      params.push(query.collection, ordered.field);
      const bounds = conditionSql('d.value', ordered.condition, params);
      if (bounds !== '') where.push(bounds.slice(' AND '.length));
    } else if (query.tags.length > 0) {
      where.push('d.collection = ?', 'd.tag = ?');
      params.push(query.collection, query.tags[0]!);
    } else {
      where.push('o.collection = ?');
      params.push(query.collection);
    }
    where.push('o.deleted = 0');
    if (query.after !== undefined) {
      if (ordered !== undefined && query.after.value !== undefined) {
        where.push(`(d.value > ? OR (d.value = ? AND ${idColumn} > ?))`);
        params.push(query.after.value, query.after.value, query.after.id);
      } else {
        where.push(`${idColumn} > ?`);
        params.push(query.after.id);
      }
    }
    sql += ` WHERE ${where.join(' AND ')}${orderBy} LIMIT ?`;
    params.push(query.limit);
    return this.#all(sql, ...params).map((row) => ({ ...objectRow(row), sort: (row as { sort?: string | number }).sort }));
  }

  #applyObject(pos: number, hash: string, header: Header & { kind: 'object' }, indexed: Indexed | null): void {
    // A first version has nothing before it: no lookup.
    const before = header.version === 1 ? undefined : this.#get('SELECT owner, tags, fields FROM objects WHERE collection = ? AND id = ?', header.collection, header.id) as
      { owner: number; tags: string; fields: string } | undefined;
    const next: Indexed = indexed ?? { tags: [], fields: [] };
    const oldTags = before === undefined ? [] : (JSON.parse(before.tags) as string[]);
    const oldFields = before === undefined ? [] : (JSON.parse(before.fields) as Array<{ field: string; value: string | number }>);
    for (const tag of oldTags) if (!next.tags.includes(tag)) this.#run('DELETE FROM tags WHERE collection = ? AND tag = ? AND id = ?', header.collection, tag, header.id);
    for (const tag of next.tags) if (!oldTags.includes(tag)) this.#run('INSERT INTO tags (collection, tag, id) VALUES (?, ?, ?)', header.collection, tag, header.id);
    const same = (a: { field: string; value: string | number }, b: { field: string; value: string | number }): boolean => a.field === b.field && a.value === b.value;
    for (const old of oldFields) {
      if (!next.fields.some((item) => same(item, old))) this.#run('DELETE FROM fields WHERE collection = ? AND field = ? AND value = ? AND id = ?', header.collection, old.field, old.value, header.id);
    }
    for (const item of next.fields) {
      if (!oldFields.some((old) => same(item, old))) this.#run('INSERT INTO fields (collection, field, value, id) VALUES (?, ?, ?, ?)', header.collection, item.field, item.value, header.id);
    }
    this.#run(`INSERT INTO objects (collection, id, owner, version, pos, hash, deleted, tags, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, pos = excluded.pos, hash = excluded.hash, deleted = excluded.deleted,
      tags = excluded.tags, fields = excluded.fields`,
    header.collection, header.id, before?.owner ?? header.author, header.version, pos, hash, header.deleted ? 1 : 0, JSON.stringify(next.tags), JSON.stringify(next.fields));
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, ...params: SQLInputValue[]): void {
    this.#statement(sql).run(...params);
  }

  #get(sql: string, ...params: SQLInputValue[]): unknown {
    return this.#statement(sql).get(...params);
  }

  #all(sql: string, ...params: SQLInputValue[]): unknown[] {
    return this.#statement(sql).all(...params);
  }
}

function conditionSql(column: string, condition: Condition, params: SQLInputValue[]): string {
  if ('eq' in condition) {
    params.push(condition.eq);
    return ` AND ${column} = ?`;
  }
  if ('prefix' in condition) {
    // Every string that starts with the prefix sorts in [prefix, prefix + U+10FFFF) by UTF-8 bytes.
    params.push(condition.prefix, `${condition.prefix}\u{10FFFF}`);
    return ` AND ${column} >= ? AND ${column} < ?`;
  }
  let sql = '';
  for (const [op, symbol] of [['gt', '>'], ['gte', '>='], ['lt', '<'], ['lte', '<=']] as const) {
    const value = condition[op];
    if (value === undefined) continue;
    params.push(value);
    sql += ` AND ${column} ${symbol} ?`;
  }
  return sql;
}

function objectRow(row: unknown): ObjectRow {
  const r = row as { id: string; owner: number; version: number; pos: number; hash: string; deleted: number };
  return { id: r.id, owner: r.owner, version: r.version, pos: r.pos, hash: r.hash, deleted: r.deleted === 1 };
}

function versionRow(row: unknown): VersionRow {
  const r = row as { version: number; pos: number; hash: string; deleted: number; author: number; time_ms: number };
  return { version: r.version, pos: r.pos, hash: r.hash, deleted: r.deleted === 1, author: r.author, timeMs: r.time_ms };
}

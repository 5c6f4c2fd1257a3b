// BCDB: an immutable, versioned, indexed database on 0-db with verifiable history.
//
// Write path: a record is checked against the rules (facts from the index plus the writes in
// flight), signed, appended to the 0-db log (pipelined: many appends in flight, in order), and
// once 0-db acknowledges it, applied to the SQLite index and the Merkle tree in log order. A
// failed append stops the line: the writer waits for every append in flight, replays what
// really reached the log, and answers each caller from that, so no caller is told "written"
// for a record that is not in the log, and nothing in the log is left out of the index.
import { join } from 'node:path';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { TfgridError, isTfgridError, assert, createLogger, writeFileAtomic, type Logger } from '../base/index.ts';
import { SignPool, box, canonicalJson, fromHex, randomBytesPooled, toHex, unbox, type Identity } from '../crypto/index.ts';
import type { ZdbClient } from '../zdb/index.ts';
import { BcdbError } from './errors.ts';
import { BcdbIndex, type Indexed, type ObjectRow } from './index-db.ts';
import { ZdbLog } from './log.ts';
import { MerkleTree, leafHash } from './merkle.ts';
import {
  aclSchema, bodyBytesMaxDefault, checkRecord, collectionNameSchema, decodeRecord, emptyAcl, encodeRecord, entityKey, fieldPathSchema, indexTypeSchema,
  objectIdSchema, recordVersion, rightSchema, signHeader, tagSchema, twinIdSchema, unsignedObject, type ObjectDraft,
  type Acl, type AclHeader, type CollectionHeader, type EncodedParts, type Header, type Json, type Right, type StoredRecord,
} from './record.ts';
import { checkBody, checkSuccession, compileCollection, hasRight, indexedValues, type CollectionDef, type Facts, type Head } from './rules.ts';
import { signTreeHead, verifyTreeHead, type TreeHead, type InclusionProof, type ConsistencyProof } from './proof.ts';

export interface BcdbOptions {
  /** A connected client; the database selects `namespace` on it (creating it needs admin). */
  readonly zdb: ZdbClient;
  readonly namespace?: string;
  readonly password?: string;
  /** Where the index (index.sqlite) and the last signed tree head (head.json) live. */
  readonly dir: string;
  /** The owner's identity: signs its own records and the tree heads, decrypts bodies at rest. */
  readonly identity: Identity;
  readonly twinId: number;
  readonly logger?: Logger;
  /** How far a record's timestamp may be from this clock. Default 5 minutes. */
  readonly clockSkewMs?: number;
  readonly bodyBytesMax?: number;
  /** How often the signed tree head is written to head.json while writes go on. Default 1 s. */
  readonly headIntervalMs?: number;
  /** Sign new objects on a thread of their own (default true): a quarter of an insert's CPU. The thread starts at the first set(), so an open that only reads costs none (~70–100 ms to start one). */
  readonly signingThread?: boolean;
}

export const namespaceDefault = 'bcdb';
export const pageLimitMax = 1000;
const clockSkewMsDefault = 5 * 60_000;
const catchUpCommitEvery = 5000;
const aclCacheMax = 10_000;
const commitIntervalMs = 100;

/** What a version is, without its body. */
export interface VersionInfo {
  readonly collection: string;
  readonly id: string;
  readonly version: number;
  /** The version's leaf hash (hex): what the next version names as prev, and what proofs prove. */
  readonly hash: string;
  readonly position: number;
  readonly author: number;
  readonly timeMs: number;
  readonly deleted: boolean;
}

export interface ObjectVersion extends VersionInfo {
  readonly tags: readonly string[];
  /** Null for a deletion. */
  readonly body: Json | null;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back to get the next page; null at the end. */
  readonly cursor: string | null;
}

export interface CollectionOptions {
  /** A JSON Schema every document must match. */
  readonly schema?: Record<string, unknown> | null;
  /** Fields (dotted paths) that find() can query, with their type. */
  readonly indexes?: Record<string, 'string' | 'number'>;
  /** Encrypt bodies at rest with the owner's key. */
  readonly encrypted?: boolean;
  readonly acl?: Acl;
}

export const conditionSchema = z.union([
  z.strictObject({ eq: z.union([z.string(), z.number()]) }),
  z.strictObject({ prefix: z.string().min(1) }),
  z.strictObject({ gt: z.union([z.string(), z.number()]).optional(), gte: z.union([z.string(), z.number()]).optional(), lt: z.union([z.string(), z.number()]).optional(), lte: z.union([z.string(), z.number()]).optional() })
    .refine((value) => Object.keys(value).length > 0, 'a range needs at least one of gt, gte, lt, lte'),
]);

export const findQuerySchema = z.strictObject({
  tags: z.array(tagSchema).max(16).optional(),
  where: z.record(fieldPathSchema, conditionSchema).optional(),
  limit: z.number().int().min(1).max(pageLimitMax).optional(),
  cursor: z.string().max(2048).optional(),
});
export type FindQuery = z.infer<typeof findQuerySchema>;

/** Who asks: undefined is the owner (the embedding 3Bot); a twin id is checked against the ACLs. */
export interface Caller {
  readonly reader?: number;
}

interface Pending {
  readonly pos: number;
  /** Known once the record is signed (at once, or when the signing thread answers). */
  leaf: Buffer | undefined;
  hash: string | undefined;
  readonly header: Header;
  readonly indexed: Indexed | null;
  readonly collection: CollectionDef | undefined;
  readonly settled: Promise<unknown>;
  acked: boolean;
  resolve(info: VersionInfo): void;
  reject(error: unknown): void;
}

interface Built extends EncodedParts {
  readonly header: Header;
  /** A signature, or one the signing thread is making. */
  readonly sig: string | Promise<string>;
  readonly body: Json | undefined;
}

interface Overlay {
  readonly pos: number;
  /** Its hash is '' until the record is signed; `ready` settles then. */
  readonly head: Head;
  readonly ready?: Promise<unknown>;
  readonly acl?: Acl;
  readonly tags?: readonly string[];
  readonly collection?: CollectionDef;
}

export class Bcdb {
  readonly #log: ZdbLog;
  readonly #index: BcdbIndex;
  readonly #tree = new MerkleTree();
  readonly #identity: Identity;
  readonly #twin: number;
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #clockSkewMs: number;
  readonly #bodyBytesMax: number;
  readonly #headIntervalMs: number;
  readonly #collections = new Map<string, CollectionDef>();
  readonly #overlay = new Map<string, Overlay>();
  /** ACL chains with a version in the index, and the latest ACL of some of them. */
  readonly #aclKeys = new Set<string>();
  readonly #aclCache = new Map<string, Acl>();
  readonly #inflight: Pending[] = [];
  #nextPos = 0;
  #resync: Promise<void> | null = null;
  /** Appends are issued in position order through this chain (a signature may come later). */
  #appendTail: Promise<unknown> = Promise.resolve();
  /** Set when a record could not be signed: later ones are not appended (positions would shift). */
  #appendBroken: Error | undefined;
  readonly #signingThread: boolean;
  #signer: SignPool | undefined;
  #checkpoint: TreeHead | null = null;
  #headTimer: NodeJS.Timeout | null = null;
  #commitTimer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(log: ZdbLog, index: BcdbIndex, options: BcdbOptions) {
    this.#log = log;
    this.#index = index;
    this.#identity = options.identity;
    this.#twin = twinIdSchema.parse(options.twinId);
    this.#dir = options.dir;
    this.#logger = options.logger ?? createLogger({ component: 'bcdb' });
    this.#clockSkewMs = options.clockSkewMs ?? clockSkewMsDefault;
    this.#bodyBytesMax = options.bodyBytesMax ?? bodyBytesMaxDefault;
    this.#headIntervalMs = options.headIntervalMs ?? 1000;
    this.#signingThread = options.signingThread !== false;
  }

  /**
   * Opens (or creates) the database: loads the index, replays whatever the log holds beyond it,
   * and checks the log against the last tree head this owner signed. Fails with TAMPERED when the
   * log was changed, reordered or cut, and with LOCKED when another process has the index.
   */
  static async open(options: BcdbOptions): Promise<Bcdb> {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const log = await ZdbLog.prepare(options.zdb, options.namespace ?? namespaceDefault, options.password === undefined ? {} : { password: options.password });
    const index = BcdbIndex.open(join(options.dir, 'index.sqlite'));
    const db = new Bcdb(log, index, options);
    try {
      await db.#load();
    } catch (error) {
      index.close();
      // An index built from a log that fails its signed head holds records nobody vouches for.
      if (isTfgridError(error, BcdbError.TAMPERED)) removeIndex(options.dir);
      throw error;
    }
    return db;
  }

  /** The owner twin of this database. */
  get owner(): number {
    return this.#twin;
  }

  /** Records in the log (and leaves in the tree). */
  get size(): number {
    return this.#tree.size;
  }

  collection(name: string): CollectionHeader | undefined {
    return this.#collectionDef(name)?.header;
  }

  collections(): CollectionHeader[] {
    return [...this.#collections.values()].map((def) => def.header).sort((a, b) => (a.collection < b.collection ? -1 : 1));
  }

  async createCollection(name: string, options: CollectionOptions = {}): Promise<VersionInfo> {
    const header: CollectionHeader = {
      ...this.#common(parse(collectionNameSchema, name, 'collection'), '', 1, null),
      kind: 'collection', id: '',
      schema: (options.schema ?? null) as CollectionHeader['schema'],
      indexes: Object.fromEntries(Object.entries(options.indexes ?? {}).map(([field, type]) => [parse(fieldPathSchema, field, 'indexed field'), parse(indexTypeSchema, type, 'index type')])),
      encrypted: options.encrypted ?? false,
    };
    // Both records are checked and appended in this one step: the ACL's rules see the collection in flight.
    const created = this.#submit(header, signHeader(this.#identity, header), undefined);
    const acl = options.acl === undefined ? undefined : this.setAcl(name, undefined, options.acl);
    acl?.catch(() => undefined);
    const info = await created;
    await acl;
    return info;
  }

  /** Creates an object (id: given, or a random one); fails with EXISTS if the id is taken. */
  async set(collection: string, body: Json, options: { id?: string; tags?: readonly string[] } = {}): Promise<VersionInfo> {
    const id = options.id === undefined ? toHex(randomBytesPooled(16)) : parse(objectIdSchema, options.id, 'id');
    return this.#submitBuilt(() => this.#signObject({ collection, id, version: 1, prev: null, deleted: false, tags: options.tags ?? [], body }, this.#signingPool()));
  }

  /**
   * A new version of an object. `expected` (a version number or hash) is the version this
   * update replaces: if another writer got there first, CONFLICT. Without it, the latest.
   * Tags are kept unless given.
   */
  async update(collection: string, id: string, body: Json, options: { expected?: number | string; tags?: readonly string[] } = {}): Promise<VersionInfo> {
    await this.#signed(collection, id);
    return this.#submitBuilt(() => {
      const latest = this.#latestForWrite(collection, id, options.expected);
      return this.#signObject({ collection, id, version: latest.version + 1, prev: latest.hash, deleted: false, tags: options.tags ?? latest.tags, body });
    });
  }

  /** Marks an object deleted with a new version; its history stays readable. */
  async delete(collection: string, id: string, options: { expected?: number | string } = {}): Promise<VersionInfo> {
    await this.#signed(collection, id);
    return this.#submitBuilt(() => {
      const latest = this.#latestForWrite(collection, id, options.expected);
      return this.#signObject({ collection, id, version: latest.version + 1, prev: latest.hash, deleted: true, tags: [], body: null });
    });
  }

  /** Appends a version signed by another twin (see service.ts): checked exactly as local writes are. */
  async appendSigned(record: { header: Header; sig: string; body?: Json }): Promise<VersionInfo> {
    if (Math.abs(record.header.timeMs - Date.now()) > this.#clockSkewMs) {
      throw new TfgridError(BcdbError.STALE, `record time ${new Date(record.header.timeMs).toISOString()} is more than ${this.#clockSkewMs} ms from now`);
    }
    checkRecord({ header: record.header, sig: record.sig, ...(record.body === undefined ? {} : { body: record.body }) }, BcdbError.BAD_SIGNATURE);
    return this.#submit(record.header, record.sig, record.body);
  }

  /** The latest version of an object (or `version`), with its body. */
  async get(collection: string, id: string, options: { version?: number } & Caller = {}): Promise<ObjectVersion> {
    this.#requireCollection(collection);
    const row = options.version === undefined ? this.#index.object(collection, id) : this.#index.version(entityKey({ kind: 'object', collection, id }), options.version);
    if (row === undefined) throw new TfgridError(BcdbError.NOT_FOUND, options.version === undefined ? `no object ${collection}/${id}` : `no version ${options.version} of ${collection}/${id}`);
    this.#checkRead(options.reader, collection, id);
    const [bytes] = await this.#log.readMany([row.pos]);
    return this.#objectVersion(row.pos, bytes ?? null);
  }

  /** Versions of an object, newest first (no bodies: get() a version for its body). */
  history(collection: string, id: string, options: { limit?: number; cursor?: string } & Caller = {}): Page<VersionInfo> {
    this.#requireCollection(collection);
    const limit = parse(z.number().int().min(1).max(pageLimitMax), options.limit ?? 100, 'limit');
    const before = options.cursor === undefined ? undefined : parse(z.coerce.number().int().min(1), options.cursor, 'cursor');
    if (this.#index.object(collection, id) === undefined) throw new TfgridError(BcdbError.NOT_FOUND, `no object ${collection}/${id}`);
    this.#checkRead(options.reader, collection, id);
    const rows = this.#index.versions(entityKey({ kind: 'object', collection, id }), before, limit);
    const items = rows.map((row) => ({ collection, id, version: row.version, hash: row.hash, position: row.pos, author: row.author, timeMs: row.timeMs, deleted: row.deleted }));
    return { items, cursor: rows.length === limit && rows.at(-1)!.version > 1 ? String(rows.at(-1)!.version) : null };
  }

  /**
   * Live objects of a collection that carry every tag and meet every condition on declared
   * indexed fields, ordered by the first range/prefix field (then id), else by id.
   */
  async find(collection: string, query: FindQuery = {}, caller: Caller = {}): Promise<Page<ObjectVersion>> {
    const def = this.#requireCollection(collection);
    const q = parse(findQuerySchema, query, 'query');
    const where = Object.entries(q.where ?? {}).map(([field, condition]) => {
      const type = def.header.indexes[field];
      if (type === undefined) throw new TfgridError(BcdbError.INVALID, `field '${field}' is not indexed in ${collection} (indexed: ${Object.keys(def.header.indexes).join(', ') || 'none'})`);
      for (const value of Object.values(condition)) {
        if (typeof value !== type) throw new TfgridError(BcdbError.INVALID, `field '${field}' holds ${type}s, not ${typeof value}s`);
      }
      return { field, condition };
    });
    const limit = q.limit ?? 100;
    const tags = [...(q.tags ?? [])].sort();
    const visible: ObjectRow[] = [];
    let last = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    let exhausted = false;
    // Rows the caller may not read are skipped; scan on (a few rounds) so a page is full when it can be.
    for (let round = 0; round < 8 && visible.length < limit && !exhausted; round++) {
      const want = limit - visible.length;
      const rows = this.#index.find({ collection, tags, where, after: last, limit: want });
      for (const row of rows) {
        last = row.sort === undefined ? { id: row.id } : { value: row.sort, id: row.id };
        if (caller.reader === undefined || this.#canRead(caller.reader, collection, row.id, row.owner)) visible.push(row);
      }
      exhausted = rows.length < want;
    }
    const bodies = await this.#log.readMany(visible.map((row) => row.pos));
    const items = visible.map((row, i) => this.#objectVersion(row.pos, bodies[i] ?? null));
    const more = !exhausted && last !== undefined && this.#index.find({ collection, tags, where, after: last, limit: 1 }).length > 0;
    return { items, cursor: more ? encodeCursor(last!) : null };
  }

  /**
   * The ACL of a collection (id undefined) or object, with its version and hash (null and 0 when
   * none was ever set: the empty ACL). A reader sees an object's ACL when it may read the object,
   * a collection's when it is on the collection's read list.
   */
  acl(collection: string, id?: string, caller: Caller = {}): { acl: Acl; version: number; hash: string | null } {
    this.#requireCollection(collection);
    if (id !== undefined) {
      if (this.#index.object(collection, id) === undefined) throw new TfgridError(BcdbError.NOT_FOUND, `no object ${collection}/${id}`);
      this.#checkRead(caller.reader, collection, id);
    } else if (caller.reader !== undefined && !hasRight(caller.reader, 'read', this.#twin, undefined, this.#aclOf(entityKey({ kind: 'acl', collection, id: '' })))) {
      throw new TfgridError(BcdbError.DENIED, `twin ${caller.reader} may not read the ACL of ${collection}`);
    }
    const key = entityKey({ kind: 'acl', collection, id: id ?? '' });
    const head = this.#overlay.get(key)?.head ?? this.#index.chainHead(key);
    return { acl: this.#aclOf(key) ?? emptyAcl, version: head?.version ?? 0, hash: head?.hash ?? null };
  }

  /** Replaces an ACL with a new version (the database owner, or the object's owner, may). */
  async setAcl(collection: string, id: string | undefined, acl: Acl, author: { identity: Identity; twinId: number } = { identity: this.#identity, twinId: this.#twin }): Promise<VersionInfo> {
    return this.#submitBuilt(() => this.#signAcl(collection, id, () => parse(aclSchema, acl, 'acl'), author));
  }

  /** Adds `twin` to the lists of `rights` (a new ACL version; none when nothing changes). */
  async grant(collection: string, id: string | undefined, twin: number, rights: readonly Right[]): Promise<VersionInfo | null> {
    return this.#changeAcl(collection, id, twin, rights, true);
  }

  async revoke(collection: string, id: string | undefined, twin: number, rights: readonly Right[]): Promise<VersionInfo | null> {
    return this.#changeAcl(collection, id, twin, rights, false);
  }

  /** A tree head over the whole log, signed by the owner. */
  head(): TreeHead {
    const size = this.#tree.size;
    if (this.#checkpoint?.size === size) return this.#checkpoint;
    return signTreeHead(this.#identity, this.#twin, size, this.#tree.root(size));
  }

  /** The audit path of the record at `position` in the tree of `size` records (default: all). */
  proveInclusion(position: number, size = this.#tree.size): InclusionProof {
    return { position, size, leaf: toHex(this.#tree.leaf(position)), path: this.#tree.inclusionProof(position, size).map(toHex) };
  }

  proveConsistency(first: number, second = this.#tree.size): ConsistencyProof {
    return { first, second, path: this.#tree.consistencyProof(first, second).map(toHex) };
  }

  /** The stored bytes of the record at `position`, checked against the tree. */
  async record(position: number): Promise<Buffer> {
    const [bytes] = await this.#log.readMany([position]);
    return this.#checked(position, bytes ?? null);
  }

  /**
   * Audits the whole log: every record's bytes against the tree, its signature, its place in
   * its chain, and the tree against the last signed head. Reports problems rather than throwing.
   */
  async verify(onProgress?: (done: number, total: number) => void): Promise<VerifyReport> {
    await this.#settle();
    const problems: Array<{ position: number; code: string; message: string }> = [];
    const total = this.#tree.size;
    let records = 0;
    for await (const { pos, bytes } of this.#log.from(0)) {
      records++;
      if (pos >= total) {
        problems.push({ position: pos, code: BcdbError.TAMPERED, message: 'record beyond the indexed log (written by another process?)' });
        continue;
      }
      try {
        const record = decodeRecord(this.#checked(pos, bytes));
        checkRecord(record);
        const header = record.header;
        if (header.version > 1) {
          const prev = this.#index.version(entityKey(header), header.version - 1);
          if (prev?.hash !== header.prev) throw new TfgridError(BcdbError.TAMPERED, `${entityKey(header)} v${header.version} does not follow v${header.version - 1}`);
        }
      } catch (error) {
        problems.push({ position: pos, code: (error as TfgridError).code ?? BcdbError.TAMPERED, message: (error as Error).message });
        if (problems.length >= 100) break;
      }
      if (onProgress !== undefined && records % 10_000 === 0) onProgress(records, total);
    }
    if (records < total) problems.push({ position: records, code: BcdbError.TAMPERED, message: `the log holds ${records} records, the index ${total}` });
    const head = this.#checkpoint;
    if (head !== null && (head.size > total || toHex(this.#tree.root(head.size)) !== head.root)) {
      problems.push({ position: head.size, code: BcdbError.TAMPERED, message: `the tree does not extend the signed head of ${head.size} records` });
    }
    return { records, size: total, root: toHex(this.#tree.root()), signedHead: head, problems };
  }

  /** Waits for writes in flight, commits the index, writes the signed head and closes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#settle();
    this.#closed = true;
    if (this.#headTimer !== null) clearTimeout(this.#headTimer);
    if (this.#commitTimer !== null) clearTimeout(this.#commitTimer);
    await this.#writeHead();
    this.#index.close();
    await this.#signer?.close();
  }

  // --- writes -------------------------------------------------------------------------------

  /**
   * An object version by the owner, signed here or — with `signer` — on the signing thread. Only
   * first versions go to the thread: nothing can name them as prev before they exist, while an
   * update names the version before it, whose hash needs its signature.
   */
  #signingPool(): SignPool | undefined {
    if (this.#signingThread) this.#signer ??= new SignPool(this.#identity);
    return this.#signer;
  }

  #signObject(draft: ObjectDraft, signer?: SignPool): Built {
    const { digest, ...unsigned } = unsignedObject(this.#identity.publicKey, this.#twin, {
      ...draft,
      collection: parse(collectionNameSchema, draft.collection, 'collection'),
      tags: draft.tags.map((tag) => parse(tagSchema, tag, 'tag')),
    });
    return { ...unsigned, sig: signer === undefined ? toHex(this.#identity.sign(digest)) : signer.sign(digest).then(toHex) };
  }

  /** Waits until the object's latest version in flight (a first version on the signing thread) has its hash. */
  async #signed(collection: string, id: string): Promise<void> {
    for (;;) {
      const pending = this.#overlay.get(entityKey({ kind: 'object', collection, id }));
      if (pending === undefined || pending.head.hash !== '' || pending.ready === undefined) return;
      await pending.ready;
    }
  }

  /** The version an update replaces: the latest (in flight or indexed), checked against `expected`. */
  #latestForWrite(collection: string, id: string, expected: number | string | undefined): { version: number; hash: string; tags: readonly string[] } {
    this.#requireCollection(collection);
    const pending = this.#overlay.get(entityKey({ kind: 'object', collection, id }));
    const head = pending?.head ?? this.#index.object(collection, id);
    if (head === undefined) throw new TfgridError(BcdbError.NOT_FOUND, `no object ${collection}/${id}`);
    if (head.hash === '') throw new TfgridError(BcdbError.CONFLICT, `${collection}/${id} is being written: retry`);
    const matches = expected === undefined || (typeof expected === 'number' ? expected === head.version : expected === head.hash);
    if (!matches) {
      throw new TfgridError(BcdbError.CONFLICT, `${collection}/${id} is at version ${head.version}, not ${String(expected)}`, { details: { latest: head.version, latestHash: head.hash } });
    }
    return { version: head.version, hash: head.hash, tags: pending?.tags ?? this.#index.objectTags(collection, id) };
  }

  #changeAcl(collection: string, id: string | undefined, twin: number, rights: readonly Right[], add: boolean): Promise<VersionInfo | null> {
    parse(twinIdSchema, twin, 'twin');
    const wanted = rights.map((r) => parse(rightSchema, r, 'right'));
    return this.#submitMaybe(() => {
      const current = this.acl(collection, id).acl;
      const next = { ...current };
      for (const right of wanted) {
        const set = new Set(current[right]);
        if (add) set.add(twin);
        else set.delete(twin);
        next[right] = [...set].sort((a, b) => a - b);
      }
      return rightSchema.options.every((right) => next[right].length === current[right].length) ? null : this.#signAcl(collection, id, () => next);
    });
  }

  /** The next version of an ACL chain, made from the current ACL by `change`. */
  #signAcl(collection: string, id: string | undefined, change: (current: Acl) => Acl, author = { identity: this.#identity, twinId: this.#twin }): { header: AclHeader; sig: string; body: undefined } {
    const key = entityKey({ kind: 'acl', collection, id: id ?? '' });
    const head = this.#overlay.get(key)?.head ?? this.#index.chainHead(key);
    const header: AclHeader = {
      ...this.#common(collection, id ?? '', (head?.version ?? 0) + 1, head?.hash ?? null, author),
      kind: 'acl', acl: change(this.#aclOf(key) ?? emptyAcl),
    };
    return { header, sig: signHeader(author.identity, header), body: undefined };
  }

  #common(collection: string, id: string, version: number, prev: string | null, author = { identity: this.#identity, twinId: this.#twin }): Pick<Header, 'v' | 'collection' | 'version' | 'prev' | 'author' | 'authorKey' | 'timeMs'> & { id: string } {
    return { v: recordVersion, collection, id, version, prev, author: author.twinId, authorKey: toHex(author.identity.publicKey), timeMs: Date.now() };
  }

  #submit(header: Header, sig: string, body: Json | undefined): Promise<VersionInfo> {
    return this.#submitBuilt(() => ({ header, sig, body }));
  }

  /**
   * Builds the record from the current state and appends it, with no await in between: reads of
   * the latest version and the append are one step, so pipelined writers see each other.
   */
  async #submitBuilt(build: () => Built): Promise<VersionInfo> {
    const written = await this.#submitMaybe(build);
    assert(written !== null, 'the builder always builds');
    return written;
  }

  /** As #submitBuilt; a builder that returns null (nothing would change) writes nothing. */
  async #submitMaybe(build: () => Built | null): Promise<VersionInfo | null> {
    if (this.#closed) throw new TfgridError(BcdbError.CLOSED, 'the database is closed');
    while (this.#resync !== null) await this.#resync;
    const built = build();
    if (built === null) return null;
    const { header, sig, body } = built;
    let bodyJson = built.bodyJson;
    const facts = this.#facts(header);
    checkSuccession(header, facts);
    let collection: CollectionDef | undefined;
    let indexed: Indexed | null = null;
    let stored: Omit<StoredRecord, 'sig'>;
    if (header.kind === 'collection') {
      collection = compileCollection(header);
      stored = { header };
    } else if (header.kind === 'object' && !header.deleted) {
      if (body === undefined) throw new TfgridError(BcdbError.INVALID, 'an object version needs a body');
      bodyJson ??= canonicalJson(body);
      const bodyBytes = Buffer.from(bodyJson, 'utf8');
      if (bodyBytes.length > this.#bodyBytesMax) throw new TfgridError(BcdbError.INVALID, `a document is at most ${this.#bodyBytesMax} bytes, this one ${bodyBytes.length}`);
      checkBody(facts.collection!, body);
      indexed = { tags: header.tags, fields: indexedValues(facts.collection!.header, body) };
      stored = facts.collection!.header.encrypted
        ? { header, sealed: Buffer.from(box(this.#identity, this.#identity.encryptionPublicKey, bodyBytes, fromHex(header.bodyHash!, 32))).toString('base64') }
        : { header, body };
    } else {
      if (body !== undefined) throw new TfgridError(BcdbError.INVALID, `a ${header.kind === 'object' ? 'deletion' : `${header.kind} record`} has no body`);
      stored = { header };
    }
    const pos = this.#nextPos++;
    const key = entityKey(header);
    const owner = header.kind === 'object' ? (facts.head?.owner ?? header.author) : header.author;
    const head = { version: header.version, hash: '', deleted: header.kind === 'object' && header.deleted, owner };
    const encode = (signature: string): Buffer => encodeRecord({ ...stored, sig: signature }, { headerJson: built.headerJson, bodyJson });
    // Signed now, or when the signing thread answers; either way appends go out in position order.
    // A record signed now has its hash now: the next update in this turn can name it.
    const signedNow = typeof sig === 'string' ? encode(sig) : undefined;
    if (signedNow !== undefined) head.hash = toHex(leafHash(signedNow));
    const bytes = signedNow !== undefined ? Promise.resolve(signedNow) : (sig as Promise<string>).then(encode);
    let resolve!: (info: VersionInfo) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<VersionInfo>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    let appended!: Promise<number>;
    const issued = Promise.all([this.#appendTail, bytes]).then(([, record]) => {
      const leaf = leafHash(record);
      pending.leaf = leaf;
      pending.hash = head.hash = toHex(leaf);
      if (this.#appendBroken !== undefined) throw this.#appendBroken;
      appended = this.#log.append(record);
      appended.then((at) => this.#acked(pending, at), (error: unknown) => this.#failed(error));
    });
    const pending: Pending = {
      pos, leaf: undefined, hash: undefined, header, indexed, collection, acked: false, resolve, reject,
      settled: issued.then(() => appended.catch(() => undefined), (error: unknown) => {
        this.#appendBroken ??= error instanceof Error ? error : new Error(String(error));
        this.#failed(error);
      }),
    };
    this.#appendTail = issued.catch(() => undefined);
    this.#overlay.set(key, {
      pos, head, ready: issued.catch(() => undefined),
      ...(header.kind === 'acl' ? { acl: header.acl } : {}),
      ...(header.kind === 'object' ? { tags: header.tags } : {}),
      ...(collection === undefined ? {} : { collection }),
    });
    this.#inflight.push(pending);
    return done;
  }

  #acked(pending: Pending, at: number): void {
    if (this.#resync !== null) return; // the resync answers it
    if (at !== pending.pos) {
      this.#failed(new TfgridError(BcdbError.STORAGE, `0-db put record at ${at}, expected ${pending.pos}: another writer on this namespace?`));
      return;
    }
    pending.acked = true;
    while (this.#inflight[0]?.acked === true) this.#apply(this.#inflight.shift()!);
  }

  #apply(pending: Pending): void {
    const { header, leaf, hash } = pending;
    assert(leaf !== undefined && hash !== undefined, 'an acknowledged record was signed');
    this.#index.begin();
    this.#index.apply(pending.pos, leaf, hash, header, pending.indexed);
    this.#noteAcl(header);
    this.#tree.append(leaf);
    if (pending.collection !== undefined) this.#collections.set(header.collection, pending.collection);
    const key = entityKey(header);
    if (this.#overlay.get(key)?.pos === pending.pos) this.#overlay.delete(key);
    this.#scheduleCommit();
    pending.resolve(versionInfo(pending.pos, hash, header));
  }

  /** A failed append: wait for the rest, replay what reached the log, answer every caller from it. */
  #failed(error: unknown): void {
    if (this.#resync !== null) return;
    this.#logger.warn('append failed: replaying the log', { error: (error as Error).message });
    this.#resync = (async () => {
      const waiting = this.#inflight.splice(0);
      await Promise.all(waiting.map((p) => p.settled));
      this.#overlay.clear();
      const landed = new Map<string, VersionInfo>();
      try {
        await this.#catchUp((info) => landed.set(info.hash, info));
      } catch (replayError) {
        this.#logger.error('replay after a failed append failed', { error: (replayError as Error).message });
      }
      for (const p of waiting) {
        const info = p.hash === undefined ? undefined : landed.get(p.hash);
        if (info !== undefined) p.resolve(info);
        else p.reject(error instanceof TfgridError ? error : new TfgridError(BcdbError.STORAGE, `append to 0-db failed: ${(error as Error).message}`, { cause: error }));
      }
      this.#nextPos = this.#tree.size;
      this.#appendBroken = undefined;
      this.#appendTail = Promise.resolve();
      this.#resync = null;
    })();
  }

  /**
   * Index transactions span up to commitIntervalMs of writes: a commit writes every B-tree page
   * the transaction dirtied, so fewer, larger ones cost less per record. Nothing depends on the
   * commit for durability (the log is the truth; a crash replays it), and reads on this connection
   * see uncommitted rows.
   */
  #scheduleCommit(): void {
    if (this.#commitTimer !== null) return;
    this.#commitTimer = setTimeout(() => {
      this.#commitTimer = null;
      if (!this.#closed) this.#index.commit();
      this.#scheduleHead();
    }, commitIntervalMs);
  }

  #scheduleHead(): void {
    if (this.#headTimer !== null || this.#closed) return;
    this.#headTimer = setTimeout(() => {
      this.#headTimer = null;
      this.#writeHead().catch((error: unknown) => this.#logger.error('cannot write the signed head', { error: (error as Error).message }));
    }, this.#headIntervalMs);
    this.#headTimer.unref();
  }

  async #writeHead(): Promise<void> {
    if (this.#checkpoint?.size === this.#tree.size) return;
    const head = this.head();
    await writeFileAtomic(join(this.#dir, 'head.json'), JSON.stringify(head) + '\n');
    this.#checkpoint = head;
  }

  async #settle(): Promise<void> {
    while (this.#inflight.length > 0 || this.#resync !== null) {
      await Promise.all(this.#inflight.map((p) => p.settled));
      await this.#resync;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#index.commit();
  }

  // --- facts and reads --------------------------------------------------------------------------

  #facts(header: Header): Facts {
    const objectKey = entityKey({ kind: 'object', collection: header.collection, id: header.id });
    const objectHead = header.id === '' ? undefined : (this.#overlay.get(objectKey)?.head ?? this.#index.object(header.collection, header.id));
    const key = entityKey(header);
    return {
      owner: this.#twin,
      collection: this.#collectionDef(header.collection),
      collectionAcl: this.#aclOf(entityKey({ kind: 'acl', collection: header.collection, id: '' })),
      head: header.kind === 'object' ? objectHead : (this.#overlay.get(key)?.head ?? this.#index.chainHead(key)),
      object: objectHead,
      objectAcl: header.id === '' ? undefined : this.#aclOf(entityKey({ kind: 'acl', collection: header.collection, id: header.id })),
    };
  }

  #aclOf(key: string): Acl | undefined {
    const pending = this.#overlay.get(key)?.acl;
    if (pending !== undefined) return pending;
    // Most objects have no ACL of their own: a set of the chains that exist saves a query per write.
    if (!this.#aclKeys.has(key)) return undefined;
    let acl = this.#aclCache.get(key);
    if (acl === undefined) {
      acl = this.#index.acl(key);
      if (acl !== undefined && this.#aclCache.size < aclCacheMax) this.#aclCache.set(key, acl);
    }
    return acl;
  }

  #noteAcl(header: Header): void {
    if (header.kind !== 'acl') return;
    const key = entityKey(header);
    this.#aclKeys.add(key);
    if (this.#aclCache.size < aclCacheMax || this.#aclCache.has(key)) this.#aclCache.set(key, header.acl);
  }

  #collectionDef(name: string): CollectionDef | undefined {
    return this.#collections.get(name) ?? this.#overlay.get(entityKey({ kind: 'collection', collection: name, id: '' }))?.collection;
  }

  #requireCollection(name: string): CollectionDef {
    const def = this.#collections.get(name);
    if (def === undefined) throw new TfgridError(BcdbError.UNKNOWN_COLLECTION, `no collection '${name}'`);
    return def;
  }

  #canRead(reader: number, collection: string, id: string, owner: number): boolean {
    const acl = this.#aclOf(entityKey({ kind: 'acl', collection, id })) ?? this.#aclOf(entityKey({ kind: 'acl', collection, id: '' }));
    return hasRight(reader, 'read', this.#twin, owner, acl);
  }

  #checkRead(reader: number | undefined, collection: string, id: string): void {
    if (reader === undefined) return;
    const owner = this.#index.object(collection, id)?.owner;
    if (!this.#canRead(reader, collection, id, owner ?? -1)) throw new TfgridError(BcdbError.DENIED, `twin ${reader} may not read ${collection}/${id}`);
  }

  /** The bytes at `pos` if they are the record the tree holds there; TAMPERED otherwise. */
  #checked(pos: number, bytes: Buffer | null): Buffer {
    if (bytes === null) throw new TfgridError(BcdbError.TAMPERED, `record ${pos} is missing from the 0-db log`);
    if (!leafHash(bytes).equals(this.#tree.leaf(pos))) throw new TfgridError(BcdbError.TAMPERED, `record ${pos} in the 0-db log is not the one written there`);
    return bytes;
  }

  #objectVersion(pos: number, bytes: Buffer | null): ObjectVersion {
    const record = decodeRecord(this.#checked(pos, bytes));
    const header = record.header;
    assert(header.kind === 'object', `record ${pos} is an object version`);
    return { ...versionInfo(pos, toHex(this.#tree.leaf(pos)), header), tags: header.tags, body: header.deleted ? null : this.#plainBody(record) ?? null };
  }

  #plainBody(record: StoredRecord): Json | undefined {
    if (record.sealed === undefined) return record.body;
    const header = record.header as Header & { kind: 'object' };
    try {
      return JSON.parse(Buffer.from(unbox(this.#identity, this.#identity.encryptionPublicKey, Buffer.from(record.sealed, 'base64'), fromHex(header.bodyHash!, 32))).toString('utf8')) as Json;
    } catch (error) {
      throw new TfgridError(BcdbError.ENCRYPTED, `body of ${entityKey(header)} v${header.version} does not open with this database's key`, { cause: error });
    }
  }

  // --- open and replay --------------------------------------------------------------------------

  async #load(): Promise<void> {
    for (const leaf of this.#index.leafHashes()) this.#tree.append(leaf);
    for (const header of this.#index.collections()) this.#collections.set(header.collection, compileCollection(header));
    for (const key of this.#index.aclEntities()) this.#aclKeys.add(key);
    this.#checkpoint = this.#readCheckpoint();
    const checkpoint = this.#checkpoint;
    if (checkpoint !== null && checkpoint.size <= this.#tree.size && toHex(this.#tree.root(checkpoint.size)) !== checkpoint.root) {
      throw new TfgridError(BcdbError.TAMPERED, `the index does not match the signed head of ${checkpoint.size} records: delete ${join(this.#dir, 'index.sqlite')} to rebuild it from the log`);
    }
    const started = this.#tree.size;
    await this.#catchUp();
    if (this.#tree.size > started) this.#logger.info('replayed the log into the index', { from: started, to: this.#tree.size });
    if (checkpoint !== null && checkpoint.size > this.#tree.size) {
      throw new TfgridError(BcdbError.TAMPERED, `the 0-db log holds ${this.#tree.size} records but this database signed a head of ${checkpoint.size}: records were removed`);
    }
    this.#nextPos = this.#tree.size;
  }

  #readCheckpoint(): TreeHead | null {
    let text: string;
    try {
      text = readFileSync(join(this.#dir, 'head.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const head = verifyTreeHead(text, this.#identity.publicKey);
    if (head.owner !== this.#twin) throw new TfgridError(BcdbError.INVALID_PROOF, `head.json belongs to twin ${head.owner}, not ${this.#twin}`);
    return head;
  }

  /**
   * Applies every record beyond the tree. Records under the signed head skip their signature
   * check: the root comparison at the head's size covers them all at once (and fails the open).
   */
  async #catchUp(onRecord?: (info: VersionInfo) => void): Promise<void> {
    const checkpoint = this.#checkpoint;
    let sinceCommit = 0;
    try {
      for await (const { pos, bytes } of this.#log.from(this.#tree.size)) {
        assert(pos === this.#tree.size, 'the log is read in order');
        const record = decodeRecord(bytes);
        const trusted = checkpoint !== null && pos < checkpoint.size;
        if (!trusted) checkRecord(record);
        const header = record.header;
        const facts = this.#facts(header);
        try {
          checkSuccession(header, facts);
        } catch (error) {
          throw new TfgridError(BcdbError.TAMPERED, `record ${pos} breaks the rules: ${(error as Error).message}`, { cause: error });
        }
        let indexed: Indexed | null = null;
        if (header.kind === 'object' && !header.deleted) {
          const body = this.#plainBody(record);
          indexed = { tags: header.tags, fields: body === undefined ? [] : indexedValues(facts.collection!.header, body) };
        }
        const leaf = leafHash(bytes);
        const hash = toHex(leaf);
        this.#index.begin();
        this.#index.apply(pos, leaf, hash, header, indexed);
        this.#noteAcl(header);
        this.#tree.append(leaf);
        if (header.kind === 'collection') this.#collections.set(header.collection, compileCollection(header));
        onRecord?.(versionInfo(pos, hash, header));
        if (++sinceCommit >= catchUpCommitEvery) {
          this.#index.commit();
          sinceCommit = 0;
        }
        if (checkpoint !== null && this.#tree.size === checkpoint.size && toHex(this.#tree.root()) !== checkpoint.root) {
          throw new TfgridError(BcdbError.TAMPERED, `the 0-db log's first ${checkpoint.size} records are not the ones this database signed`);
        }
      }
    } finally {
      this.#index.commit();
    }
  }
}

export interface VerifyReport {
  readonly records: number;
  readonly size: number;
  readonly root: string;
  readonly signedHead: TreeHead | null;
  readonly problems: ReadonlyArray<{ position: number; code: string; message: string }>;
}

function removeIndex(dir: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `index.sqlite${suffix}`), { force: true });
}

function versionInfo(pos: number, hash: string, header: Header): VersionInfo {
  return { collection: header.collection, id: header.id, version: header.version, hash, position: pos, author: header.author, timeMs: header.timeMs, deleted: header.kind === 'object' && header.deleted };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new TfgridError(BcdbError.INVALID, `${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

function encodeCursor(after: { value?: string | number; id: string }): string {
  return Buffer.from(JSON.stringify(after)).toString('base64url');
}

const cursorSchema = z.strictObject({ value: z.union([z.string(), z.number()]).optional(), id: z.string().max(128) });

function decodeCursor(cursor: string): { value?: string | number; id: string } {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new TfgridError(BcdbError.INVALID, 'cursor is not one this database returned');
  }
}

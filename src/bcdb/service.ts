// BCDB over the message bus: the owner's 3Bot answers other twins (`bcdb.*` commands), checking
// every request against the ACLs as the calling twin — the envelope's authenticated source, never
// a field of the payload. Writers sign their own records (BcdbRemote does it), so a version in
// the log always carries its real author's signature; the service checks that the author is the
// caller and that the key is the caller's key in the chain's phonebook.
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { toHex, type Identity } from '../crypto/index.ts';
import type { Peer, Phonebook } from '../rmb/index.ts';
import { requestJson } from '../rmb/index.ts';
import { findQuerySchema, type Bcdb, type FindQuery, type ObjectVersion, type Page, type VersionInfo } from './bcdb.ts';
import { BcdbError } from './errors.ts';
import { aclSchema, bodyHash, collectionNameSchema, headerSchema, objectIdSchema, recordVersion, rightSchema, signHeader, signObject, type Acl, type AclHeader, type Header, type Json, type Right } from './record.ts';
import { verifyHeadConsistency, verifyRecordProof, type ConsistencyProof, type InclusionProof, type TreeHead } from './proof.ts';

const target = { collection: collectionNameSchema, id: objectIdSchema };
const requests = {
  'bcdb.get': z.strictObject({ ...target, version: z.number().int().min(1).optional() }),
  'bcdb.find': z.strictObject({ collection: collectionNameSchema, query: findQuerySchema }),
  'bcdb.history': z.strictObject({ ...target, limit: z.number().int().min(1).max(1000).optional(), cursor: z.string().max(32).optional() }),
  'bcdb.append': z.strictObject({ header: headerSchema, sig: z.string(), body: z.json().optional() }),
  'bcdb.acl': z.strictObject({ collection: collectionNameSchema, id: objectIdSchema.optional() }),
  'bcdb.head': z.strictObject({}),
  'bcdb.prove': z.strictObject({ ...target, version: z.number().int().min(1).optional(), since: z.number().int().min(0).optional() }),
} as const;
type Command = keyof typeof requests;

export interface VersionProof {
  /** The record's stored bytes, base64. */
  readonly record: string;
  readonly proof: InclusionProof;
  readonly head: TreeHead;
  /** With `since`: the proof that this head extends the log at that size. */
  readonly consistency?: ConsistencyProof;
}

/** Registers the `bcdb.*` handlers on `peer`, serving `db` to other twins. */
export function serveBcdb(peer: Peer, db: Bcdb, phonebook: Pick<Phonebook, 'lookup'>): void {
  const on = <C extends Command>(command: C, fn: (request: z.infer<(typeof requests)[C]>, caller: number) => unknown): void => {
    const schema: z.ZodType = requests[command];
    peer.handle(command, async (payload, context) => {
      const request = parseRequest(schema, payload, command) as z.infer<(typeof requests)[C]>;
      return Buffer.from(JSON.stringify(await fn(request, context.source.twin)));
    });
  };
  on('bcdb.get', (r, caller) => db.get(r.collection, r.id, { ...(r.version === undefined ? {} : { version: r.version }), reader: caller }));
  on('bcdb.find', (r, caller) => db.find(r.collection, r.query, { reader: caller }));
  on('bcdb.history', (r, caller) => db.history(r.collection, r.id, { ...(r.limit === undefined ? {} : { limit: r.limit }), ...(r.cursor === undefined ? {} : { cursor: r.cursor }), reader: caller }));
  on('bcdb.acl', (r, caller) => db.acl(r.collection, r.id, { reader: caller }));
  on('bcdb.head', () => db.head());
  on('bcdb.append', async (r, caller) => {
    if (r.header.author !== caller) throw new TfgridError(BcdbError.DENIED, `twin ${caller} may not append a record authored by twin ${r.header.author}`);
    const entry = await phonebook.lookup(caller);
    if (entry === undefined || toHex(entry.signingKey) !== r.header.authorKey) throw new TfgridError(BcdbError.BAD_SIGNATURE, `the record's author key is not twin ${caller}'s key in the phonebook`);
    return db.appendSigned({ header: r.header, sig: r.sig, ...(r.body === undefined ? {} : { body: r.body }) });
  });
  on('bcdb.prove', async (r, caller): Promise<VersionProof> => {
    const version = await db.get(r.collection, r.id, { ...(r.version === undefined ? {} : { version: r.version }), reader: caller });
    const head = db.head();
    const record = await db.record(version.position);
    return {
      record: record.toString('base64'), proof: db.proveInclusion(version.position, head.size), head,
      ...(r.since === undefined ? {} : { consistency: db.proveConsistency(Math.min(r.since, head.size), head.size) }),
    };
  });
}

/**
 * Another twin's view of a BCDB served over the bus: reads, and writes it signs itself.
 * Errors come back with the server's codes (BCDB_DENIED, BCDB_CONFLICT...).
 */
export class BcdbRemote {
  readonly #peer: Peer;
  readonly #db: number;
  readonly #identity: Identity;
  readonly #timeoutMs: number;

  constructor(peer: Peer, options: { db: number; timeoutMs?: number }) {
    this.#peer = peer;
    this.#db = options.db;
    this.#identity = peer.identity;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  get(collection: string, id: string, options: { version?: number } = {}): Promise<ObjectVersion> {
    return this.#call('bcdb.get', { collection, id, ...options });
  }

  find(collection: string, query: FindQuery = {}): Promise<Page<ObjectVersion>> {
    return this.#call('bcdb.find', { collection, query });
  }

  history(collection: string, id: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<VersionInfo>> {
    return this.#call('bcdb.history', { collection, id, ...options });
  }

  head(): Promise<TreeHead> {
    return this.#call('bcdb.head', {});
  }

  acl(collection: string, id?: string): Promise<{ acl: Acl; version: number; hash: string | null }> {
    return this.#call('bcdb.acl', { collection, ...(id === undefined ? {} : { id }) });
  }

  /**
   * A version with the proof that it is in the log the owner signed, checked here with the
   * owner's key alone; with `since` (a head seen before) also that the log only grew since.
   */
  async getVerified(collection: string, id: string, ownerKey: Uint8Array, options: { version?: number; since?: TreeHead } = {}): Promise<{ version: ObjectVersion; head: TreeHead }> {
    const answer = await this.#call<VersionProof>('bcdb.prove', { collection, id, ...(options.version === undefined ? {} : { version: options.version }), ...(options.since === undefined ? {} : { since: options.since.size }) });
    const record = verifyRecordProof(Buffer.from(answer.record, 'base64'), answer.proof, answer.head, ownerKey);
    if (options.since !== undefined) verifyHeadConsistency(options.since, answer.head, answer.consistency, ownerKey);
    const header = record.header;
    if (header.kind !== 'object' || header.collection !== collection || header.id !== id) throw new TfgridError(BcdbError.INVALID_PROOF, `the proven record is not a version of ${collection}/${id}`);
    let body: Json | null = header.deleted ? null : (record.body ?? null);
    if (!header.deleted && record.body === undefined) {
      // Encrypted at rest: the plaintext comes separately and must be the body the author signed.
      body = (await this.get(collection, id, { version: header.version })).body;
      if (body === null || bodyHash(header.nonce, body) !== header.bodyHash) throw new TfgridError(BcdbError.INVALID_PROOF, 'the body served is not the one the author signed');
    }
    const version: ObjectVersion = {
      collection, id, version: header.version, hash: answer.proof.leaf, position: answer.proof.position, author: header.author,
      timeMs: header.timeMs, deleted: header.deleted, tags: header.tags, body,
    };
    return { version, head: answer.head };
  }

  async set(collection: string, body: Json, options: { id: string; tags?: readonly string[] }): Promise<VersionInfo> {
    return this.#append(signObject(this.#identity, this.#peer.address.twin, { collection, id: options.id, version: 1, prev: null, deleted: false, tags: options.tags ?? [], body }));
  }

  /** A new version after `expected` (the version this writer read): CONFLICT if another came first. */
  async update(collection: string, id: string, body: Json, expected: VersionInfo & { tags?: readonly string[] }, options: { tags?: readonly string[] } = {}): Promise<VersionInfo> {
    return this.#append(signObject(this.#identity, this.#peer.address.twin, { collection, id, version: expected.version + 1, prev: expected.hash, deleted: false, tags: options.tags ?? expected.tags ?? [], body }));
  }

  async delete(collection: string, id: string, expected: VersionInfo): Promise<VersionInfo> {
    return this.#append(signObject(this.#identity, this.#peer.address.twin, { collection, id, version: expected.version + 1, prev: expected.hash, deleted: true, tags: [], body: null }));
  }

  /** Gives `twin` rights on an object this twin owns (a new ACL version, signed here). */
  async grant(collection: string, id: string, twin: number, rights: readonly Right[], add = true): Promise<VersionInfo> {
    const current = await this.acl(collection, id);
    const acl = { ...current.acl };
    for (const right of rights.map((r) => rightSchema.parse(r))) {
      const set = new Set(acl[right]);
      if (add) set.add(twin);
      else set.delete(twin);
      acl[right] = [...set].sort((a, b) => a - b);
    }
    const header: AclHeader = {
      v: recordVersion, kind: 'acl', collection, id, version: current.version + 1, prev: current.hash, author: this.#peer.address.twin,
      authorKey: toHex(this.#identity.publicKey), timeMs: Date.now(), acl: aclSchema.parse(acl),
    };
    return this.#append({ header, sig: signHeader(this.#identity, header) });
  }

  revoke(collection: string, id: string, twin: number, rights: readonly Right[]): Promise<VersionInfo> {
    return this.grant(collection, id, twin, rights, false);
  }

  #append(record: { header: Header; sig: string; body?: Json | undefined }): Promise<VersionInfo> {
    return this.#call('bcdb.append', { header: record.header, sig: record.sig, ...(record.body === undefined ? {} : { body: record.body }) });
  }

  #call<T>(command: Command, request: unknown): Promise<T> {
    return requestJson<T>(this.#peer, this.#db, command, request, { timeoutMs: this.#timeoutMs });
  }

}

function parseRequest<T>(schema: z.ZodType<T>, payload: Uint8Array, command: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new TfgridError(BcdbError.INVALID, `${command}: the request is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new TfgridError(BcdbError.INVALID, `${command}: ${z.prettifyError(result.error)}`);
  return result.data;
}

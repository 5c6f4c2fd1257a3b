// A BCDB record: one version of a collection definition, an object or an ACL, as stored in the
// 0-db log. The header is what the author signs; the body travels beside it, bound by a salted
// hash, so the body can be encrypted at rest (or withheld) without touching the signature.
//
// Stored bytes: UTF-8 RFC 8785 JSON of { header, sig, body? | sealed? } (see README.md).
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { canonicalJson, fromHex, randomBytesPooled, sha256, toHex, verifyValue, type Identity } from '../crypto/index.ts';
import { BcdbError } from './errors.ts';

export const recordDomain = 'tfgrid/bcdb/record/v1';
export const bodyDomain = 'tfgrid/bcdb/body/v1';
export const recordVersion = 1;
export const recordBytesMax = 4 * 1024 * 1024;
export const bodyBytesMaxDefault = 1024 * 1024;
export const tagsMax = 64;
export const aclTwinsMax = 1000;

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lowercase hex');
const hex16 = z.string().regex(/^[0-9a-f]{32}$/, 'expected 16 bytes as lowercase hex');
export const collectionNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a collection name is 1–64 of [a-z0-9._-], starting with a letter or digit');
export const objectIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'an object id is 1–128 of [A-Za-z0-9._:-], starting with a letter or digit');
export const twinIdSchema = z.number().int().min(1).max(2 ** 32 - 1);
export const tagSchema = z.string().min(1).max(128).refine((tag) => !hasControlCharacters(tag), 'a tag has no control characters');
export const fieldPathSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$/, 'an indexed field is a dotted path of identifiers');
export const indexTypeSchema = z.enum(['string', 'number']);
export const rightSchema = z.enum(['read', 'write', 'delete']);
export type Right = z.infer<typeof rightSchema>;

const twinList = z.array(twinIdSchema).max(aclTwinsMax).refine((list) => isSortedUnique(list), 'twins sorted ascending, without repeats');
export const aclSchema = z.strictObject({ read: twinList, write: twinList, delete: twinList });
export type Acl = z.infer<typeof aclSchema>;
export const emptyAcl: Acl = { read: [], write: [], delete: [] };

const common = {
  v: z.literal(recordVersion),
  collection: collectionNameSchema,
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  prev: hex32.nullable(),
  author: twinIdSchema,
  authorKey: hex32,
  timeMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
};

const collectionHeader = z.strictObject({
  ...common,
  kind: z.literal('collection'),
  id: z.literal(''),
  /** A JSON Schema (draft 2020-12 subset that zod's fromJSONSchema reads) or null: no validation. */
  schema: z.record(z.string(), z.json()).nullable(),
  indexes: z.record(fieldPathSchema, indexTypeSchema).refine((value) => Object.keys(value).length <= 16, 'at most 16 indexed fields'),
  encrypted: z.boolean(),
});

const objectHeader = z.strictObject({
  ...common,
  kind: z.literal('object'),
  id: objectIdSchema,
  deleted: z.boolean(),
  tags: z.array(tagSchema).max(tagsMax).refine((list) => isSortedUnique(list), 'tags sorted, without repeats'),
  /** sha256(bodyDomain, 0, nonce, canonical body); null for a deletion. */
  bodyHash: hex32.nullable(),
  nonce: hex16,
});

const aclHeader = z.strictObject({
  ...common,
  kind: z.literal('acl'),
  /** '' for the collection's ACL, else the object's id. */
  id: z.union([z.literal(''), objectIdSchema]),
  acl: aclSchema,
});

export const headerSchema = z.discriminatedUnion('kind', [collectionHeader, objectHeader, aclHeader]);
export type Header = z.infer<typeof headerSchema>;
export type CollectionHeader = z.infer<typeof collectionHeader>;
export type ObjectHeader = z.infer<typeof objectHeader>;
export type AclHeader = z.infer<typeof aclHeader>;
export type Json = z.infer<ReturnType<typeof z.json>>;

const storedSchema = z.strictObject({
  header: headerSchema,
  sig: z.string().regex(/^[0-9a-f]{128}$/, 'expected a 64-byte signature as hex'),
  body: z.json().optional(),
  sealed: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/).optional(),
});

export interface StoredRecord {
  readonly header: Header;
  readonly sig: string;
  /** The plain body (object versions of unencrypted collections). */
  readonly body?: Json;
  /** The body encrypted at rest, base64 (object versions of encrypted collections). */
  readonly sealed?: string;
}

/** A chain of versions: one per collection definition, object and ACL target. */
export function entityKey(header: Pick<Header, 'kind' | 'collection' | 'id'>): string {
  return header.kind === 'collection' ? `c/${header.collection}` : `${header.kind === 'object' ? 'o' : 'a'}/${header.collection}/${header.id}`;
}

export function signHeader(identity: Identity, header: Header, headerJson = canonicalJson(header)): string {
  return toHex(identity.sign(canonicalDigest(recordDomain, headerJson)));
}

/** True when `sig` is the header author's signature by the key the header names. */
export function verifyHeader(header: Header, sig: string): boolean {
  return verifyValue(fromHex(header.authorKey, 32), recordDomain, header, fromHex(sig, 64));
}

export function newNonce(): string {
  return toHex(randomBytesPooled(16));
}

export function bodyHash(nonce: string, body: Json, bodyJson = canonicalJson(body)): string {
  // The RFC 8785 form of { nonce, body }, assembled from the body's canonical JSON.
  return toHex(canonicalDigest(bodyDomain, `{"body":${bodyJson},"nonce":"${nonce}"}`));
}

/** The canonical JSON of the parts, when the caller has them already (see signObject): saves encoding twice. */
export interface EncodedParts {
  readonly headerJson?: string | undefined;
  readonly bodyJson?: string | undefined;
}

export function encodeRecord(record: StoredRecord, parts: EncodedParts = {}): Buffer {
  // RFC 8785 sorts the keys: body, header, sealed, sig; each value is its own canonical JSON.
  const fields: string[] = [];
  if (record.body !== undefined) fields.push(`"body":${parts.bodyJson ?? canonicalJson(record.body)}`);
  fields.push(`"header":${parts.headerJson ?? canonicalJson(record.header)}`);
  if (record.sealed !== undefined) fields.push(`"sealed":${JSON.stringify(record.sealed)}`);
  fields.push(`"sig":"${record.sig}"`);
  const bytes = Buffer.from(`{${fields.join(',')}}`, 'utf8');
  if (bytes.length > recordBytesMax) throw new TfgridError(BcdbError.INVALID, `a record is at most ${recordBytesMax} bytes, this one ${bytes.length}`);
  return bytes;
}

/** Parses stored bytes; a record that does not parse is reported as `code` (TAMPERED when read from the log). */
export function decodeRecord(bytes: Uint8Array, code: string = BcdbError.TAMPERED): StoredRecord {
  if (bytes.length > recordBytesMax) throw new TfgridError(code, `record of ${bytes.length} bytes is over ${recordBytesMax}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new TfgridError(code, 'record is not JSON', { cause: error });
  }
  const parsed = storedSchema.safeParse(json);
  if (!parsed.success) throw new TfgridError(code, `record does not match the format: ${z.prettifyError(parsed.error)}`);
  const record = parsed.data as StoredRecord;
  if (record.header.kind === 'object' && !record.header.deleted && (record.body === undefined) === (record.sealed === undefined)) {
    throw new TfgridError(code, 'an object version has exactly one of body and sealed');
  }
  return record;
}

/** Checks the signature and, when the body is plain, that it is the one the header names. */
export function checkRecord(record: StoredRecord, code: string = BcdbError.TAMPERED): void {
  if (!verifyHeader(record.header, record.sig)) throw new TfgridError(code === BcdbError.TAMPERED ? code : BcdbError.BAD_SIGNATURE, `signature of ${entityKey(record.header)} v${record.header.version} does not verify with its author key`);
  const header = record.header;
  if (header.kind === 'object' && record.body !== undefined && header.bodyHash !== bodyHash(header.nonce, record.body)) {
    throw new TfgridError(code, `body of ${entityKey(header)} v${header.version} is not the one its header names`);
  }
}

function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

function isSortedUnique<T extends string | number>(list: readonly T[]): boolean {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1]! < list[i]!)) return false;
  return true;
}

/** The unsigned fields of an object version; record() signs them. */
export interface ObjectDraft {
  readonly collection: string;
  readonly id: string;
  readonly version: number;
  readonly prev: string | null;
  readonly deleted: boolean;
  readonly tags: readonly string[];
  readonly body: Json | null;
}

/** An object version ready to be signed: its header, their canonical JSON, and the digest to sign. */
export function unsignedObject(authorKey: Uint8Array, author: number, draft: ObjectDraft, timeMs = Date.now()): { header: ObjectHeader; digest: Uint8Array; body: Json | undefined } & EncodedParts {
  const nonce = newNonce();
  const bodyJson = draft.body === null ? undefined : canonicalJson(draft.body);
  const header: ObjectHeader = {
    v: recordVersion, kind: 'object', collection: draft.collection, id: draft.id, version: draft.version, prev: draft.prev,
    author, authorKey: toHex(authorKey), timeMs, deleted: draft.deleted, tags: [...new Set(draft.tags)].sort(),
    bodyHash: draft.body === null ? null : bodyHash(nonce, draft.body, bodyJson), nonce,
  };
  const headerJson = canonicalJson(header);
  return { header, digest: canonicalDigest(recordDomain, headerJson), body: draft.body ?? undefined, headerJson, bodyJson };
}

/** Builds and signs an object version by `identity` (twin `author`): the same for local and remote writers. */
export function signObject(identity: Identity, author: number, draft: ObjectDraft, timeMs = Date.now()): { header: ObjectHeader; sig: string; body: Json | undefined } & EncodedParts {
  const { digest, ...unsigned } = unsignedObject(identity.publicKey, author, draft, timeMs);
  return { ...unsigned, sig: toHex(identity.sign(digest)) };
}

/** SHA-256 over domain, a zero byte and canonical JSON already encoded: digestOf() without encoding again. */
function canonicalDigest(domain: string, json: string): Uint8Array {
  return sha256(Buffer.from(domain, 'utf8'), zeroByte, Buffer.from(json, 'utf8'));
}

const zeroByte = new Uint8Array([0]);

// Which record may follow which: the pure rules that every version passes before it is written,
// and again when the log is replayed into a new index. Facts come from the index (and from the
// writes in flight); nothing here does I/O.
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { BcdbError } from './errors.ts';
import { entityKey, type Acl, type CollectionHeader, type Header, type Json, type Right } from './record.ts';

/** The latest version of a chain. */
export interface Head {
  readonly version: number;
  readonly hash: string;
  readonly deleted: boolean;
  /** Author of version 1: the owner of the object. */
  readonly owner: number;
}

export interface Facts {
  /** The database owner: creates collections and holds every right. */
  readonly owner: number;
  readonly collection: CollectionDef | undefined;
  readonly collectionAcl: Acl | undefined;
  /** The latest version of the chain the record extends. */
  readonly head: Head | undefined;
  /** For object and object-ACL records: the object's latest version. */
  readonly object: Head | undefined;
  readonly objectAcl: Acl | undefined;
}

export interface CollectionDef {
  readonly header: CollectionHeader;
  /** Null when the collection declares no schema. */
  readonly validator: z.ZodType | null;
}

export function compileCollection(header: CollectionHeader): CollectionDef {
  if (header.schema === null) return { header, validator: null };
  try {
    return { header, validator: z.fromJSONSchema(header.schema) };
  } catch (error) {
    throw new TfgridError(BcdbError.INVALID, `collection ${header.collection}: schema is not a usable JSON Schema: ${(error as Error).message}`);
  }
}

/** Throws the typed reason why `header` may not extend the database described by `facts`. */
export function checkSuccession(header: Header, facts: Facts): void {
  const key = entityKey(header);
  checkChain(header, facts.head, key);
  if (header.kind === 'collection') {
    if (header.version !== 1) throw new TfgridError(BcdbError.INVALID, `${key}: a collection is defined once (its ACL changes through acl records)`);
    if (header.author !== facts.owner) throw denied(header.author, 'create collections', key);
    return;
  }
  if (facts.collection === undefined) throw new TfgridError(BcdbError.UNKNOWN_COLLECTION, `no collection '${header.collection}'`);
  if (header.kind === 'acl') {
    if (header.id === '') {
      if (header.author !== facts.owner) throw denied(header.author, 'change the ACL of', key);
    } else {
      if (facts.object === undefined) throw new TfgridError(BcdbError.NOT_FOUND, `no object ${header.collection}/${header.id}`);
      if (header.author !== facts.owner && header.author !== facts.object.owner) throw denied(header.author, 'change the ACL of', key);
    }
    return;
  }
  if (header.version === 1) {
    if (header.deleted) throw new TfgridError(BcdbError.INVALID, `${key}: the first version cannot be a deletion`);
    if (!hasRight(header.author, 'write', facts.owner, undefined, facts.collectionAcl)) throw denied(header.author, 'create objects in', `collection ${header.collection}`);
    return;
  }
  const object = facts.head!;
  if (!hasRight(header.author, header.deleted ? 'delete' : 'write', facts.owner, object.owner, facts.objectAcl ?? facts.collectionAcl)) {
    throw denied(header.author, header.deleted ? 'delete' : 'write', key);
  }
}

/** Throws unless `body` is a document the collection accepts. */
export function checkBody(collection: CollectionDef, body: Json): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TfgridError(BcdbError.SCHEMA_VIOLATION, 'a document is a JSON object');
  if (collection.validator === null) return;
  const result = collection.validator.safeParse(body);
  if (!result.success) throw new TfgridError(BcdbError.SCHEMA_VIOLATION, `document does not match the schema of ${collection.header.collection}: ${z.prettifyError(result.error)}`);
}

/** The owner of the database and the object's owner hold every right; others need the ACL. */
export function hasRight(twin: number, right: Right, dbOwner: number, objectOwner: number | undefined, acl: Acl | undefined): boolean {
  return twin === dbOwner || twin === objectOwner || (acl !== undefined && acl[right].includes(twin));
}

/** The values of the declared indexed fields in a document (missing or mistyped fields are not indexed). */
export function indexedValues(collection: CollectionHeader, body: Json): Array<{ field: string; value: string | number }> {
  const out: Array<{ field: string; value: string | number }> = [];
  for (const [field, type] of Object.entries(collection.indexes)) {
    let value: Json | undefined = body;
    for (const part of field.split('.')) {
      value = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, Json>)[part] : undefined;
    }
    if (typeof value === type) out.push({ field, value: value as string | number });
  }
  return out;
}

function checkChain(header: Header, head: Head | undefined, key: string): void {
  if (head === undefined) {
    if (header.version !== 1 || header.prev !== null) {
      throw new TfgridError(header.kind === 'object' ? BcdbError.NOT_FOUND : BcdbError.CONFLICT, `${key} has no version yet: the first is version 1 with no prev`);
    }
    return;
  }
  if (header.version === 1) {
    throw new TfgridError(header.kind === 'collection' ? BcdbError.COLLECTION_EXISTS : header.kind === 'object' ? BcdbError.EXISTS : BcdbError.CONFLICT, `${key} exists (version ${head.version})`);
  }
  if (header.kind === 'object' && head.deleted) throw new TfgridError(BcdbError.DELETED, `${key} is deleted (version ${head.version})`);
  if (header.version !== head.version + 1 || header.prev !== head.hash) {
    throw new TfgridError(BcdbError.CONFLICT, `${key} is at version ${head.version} (${head.hash.slice(0, 12)}…), not version ${header.version - 1}${header.prev === null ? '' : ` (${header.prev.slice(0, 12)}…)`}`, {
      details: { latest: head.version, latestHash: head.hash },
    });
  }
}

function denied(twin: number, what: string, target: string): TfgridError {
  return new TfgridError(BcdbError.DENIED, `twin ${twin} may not ${what} ${target}`);
}

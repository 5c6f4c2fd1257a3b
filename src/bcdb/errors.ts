// Error codes of BCDB. Append only: clients over the message bus, the CLI and tests compare these.
export const BcdbError = {
  /** A request, record or option does not match its schema (field, id, size). */
  INVALID: 'BCDB_INVALID',
  /** No collection of that name. */
  UNKNOWN_COLLECTION: 'BCDB_UNKNOWN_COLLECTION',
  /** A collection of that name exists already. */
  COLLECTION_EXISTS: 'BCDB_COLLECTION_EXISTS',
  /** No object (or no such version of it). */
  NOT_FOUND: 'BCDB_NOT_FOUND',
  /** An object with that id exists already (set creates; use update). */
  EXISTS: 'BCDB_EXISTS',
  /** The object's latest version is not the expected one: another writer was first. */
  CONFLICT: 'BCDB_CONFLICT',
  /** The object is deleted: its history stays readable, it takes no new version. */
  DELETED: 'BCDB_DELETED',
  /** The document does not match the collection's schema. */
  SCHEMA_VIOLATION: 'BCDB_SCHEMA_VIOLATION',
  /** The twin lacks the right (read, write, delete, grant) on the collection or object. */
  DENIED: 'BCDB_DENIED',
  /** A record's signature does not verify, or its author key is not the twin's key. */
  BAD_SIGNATURE: 'BCDB_BAD_SIGNATURE',
  /** A record's timestamp is too far from the database's clock. */
  STALE: 'BCDB_STALE',
  /** A proof or tree head is malformed or does not verify. */
  INVALID_PROOF: 'BCDB_INVALID_PROOF',
  /** The 0-db log does not match what this database wrote and signed: changed, reordered or cut. */
  TAMPERED: 'BCDB_TAMPERED',
  /** Another process has this database's index open. */
  LOCKED: 'BCDB_LOCKED',
  /** The 0-db namespace cannot be used as a log (mode, worm) or a write to it failed. */
  STORAGE: 'BCDB_STORAGE',
  /** The body is encrypted at rest and this database holds no key for it. */
  ENCRYPTED: 'BCDB_ENCRYPTED',
  /** The database is closed. */
  CLOSED: 'BCDB_CLOSED',
} as const;

export type BcdbErrorCode = (typeof BcdbError)[keyof typeof BcdbError];

// Public face of src/bcdb: the database, its record format, proofs and the message-bus service.
export { BcdbError, type BcdbErrorCode } from './errors.ts';
export { Bcdb, namespaceDefault, pageLimitMax, findQuerySchema, type BcdbOptions, type VersionInfo, type ObjectVersion, type Page, type CollectionOptions, type FindQuery, type Caller, type VerifyReport } from './bcdb.ts';
export { decodeRecord, encodeRecord, signObject, entityKey, type Acl, type Right, type Header, type Json, type StoredRecord, type ObjectDraft } from './record.ts';
export { MerkleTree, leafHash, nodeHash, verifyInclusion, verifyConsistency, emptyRoot } from './merkle.ts';
export { signTreeHead, verifyTreeHead, verifyRecordProof, verifyHeadConsistency, treeHeadDomain, type TreeHead, type InclusionProof, type ConsistencyProof } from './proof.ts';
export { serveBcdb, BcdbRemote, type VersionProof } from './service.ts';

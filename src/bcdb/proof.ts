// What a BCDB client needs to trust an answer with public keys alone: tree heads signed by the
// database owner, inclusion proofs (this version is in the log the head commits to) and
// consistency proofs (the log at a later head extends the log at an earlier one: nothing was
// rewritten). Modelled on Certificate Transparency (RFC 9162) and immudb's verified reads.
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { fromHex, toHex, verifyValue, type Identity } from '../crypto/index.ts';
import { BcdbError } from './errors.ts';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle.ts';
import { checkRecord, decodeRecord, type StoredRecord } from './record.ts';

export const treeHeadDomain = 'tfgrid/bcdb/head/v1';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const treeHeadSchema = z.strictObject({
  v: z.literal(1),
  owner: z.number().int().min(1),
  ownerKey: hex32,
  size,
  root: hex32,
  timeMs: size,
  sig: z.string().regex(/^[0-9a-f]{128}$/),
});
export type TreeHead = z.infer<typeof treeHeadSchema>;

const inclusionSchema = z.strictObject({ position: size, size, leaf: hex32, path: z.array(hex32).max(64) });
export type InclusionProof = z.infer<typeof inclusionSchema>;

const consistencySchema = z.strictObject({ first: size, second: size, path: z.array(hex32).max(128) });
export type ConsistencyProof = z.infer<typeof consistencySchema>;

export function signTreeHead(identity: Identity, owner: number, treeSize: number, root: Uint8Array, timeMs = Date.now()): TreeHead {
  const unsigned = { v: 1 as const, owner, ownerKey: toHex(identity.publicKey), size: treeSize, root: toHex(root), timeMs };
  return { ...unsigned, sig: toHex(identity.signValue(treeHeadDomain, unsigned)) };
}

/** Parses a tree head (object or JSON text) and checks it is signed by `ownerKey`. */
export function verifyTreeHead(value: unknown, ownerKey: Uint8Array): TreeHead {
  const head = parseProof(treeHeadSchema, typeof value === 'string' ? parseJson(value) : value, 'tree head');
  const { sig, ...unsigned } = head;
  if (head.ownerKey !== toHex(ownerKey) || !verifyValue(ownerKey, treeHeadDomain, unsigned, fromHex(sig, 64))) {
    throw new TfgridError(BcdbError.INVALID_PROOF, `tree head of ${head.size} records is not signed by ${toHex(ownerKey).slice(0, 16)}…`);
  }
  return head;
}

/**
 * Checks that `record` (stored bytes) is in the log that `head` commits to, and that its
 * author signed it. Returns the record. Needs only the owner's public key; the author's key is
 * in the record (bind it to the twin through the chain's phonebook when that matters).
 */
export function verifyRecordProof(record: Uint8Array, proofValue: unknown, headValue: unknown, ownerKey: Uint8Array): StoredRecord {
  const head = verifyTreeHead(headValue, ownerKey);
  const proof = parseProof(inclusionSchema, proofValue, 'inclusion proof');
  if (proof.size !== head.size) throw new TfgridError(BcdbError.INVALID_PROOF, `proof is for a tree of ${proof.size}, the head of ${head.size}`);
  if (toHex(leafHash(record)) !== proof.leaf) throw new TfgridError(BcdbError.INVALID_PROOF, 'the record is not the leaf the proof is about');
  if (!verifyInclusion(fromHex(proof.leaf, 32), proof.position, proof.size, proof.path.map((p) => fromHex(p, 32)), fromHex(head.root, 32))) {
    throw new TfgridError(BcdbError.INVALID_PROOF, `record ${proof.position} is not in the tree of ${head.size} with root ${head.root.slice(0, 16)}…`);
  }
  const stored = decodeRecord(record, BcdbError.INVALID_PROOF);
  checkRecord(stored, BcdbError.INVALID_PROOF);
  return stored;
}

/** Checks that the log at `newer` extends the log at `older` (both signed by `ownerKey`). */
export function verifyHeadConsistency(olderValue: unknown, newerValue: unknown, proofValue: unknown, ownerKey: Uint8Array): void {
  const older = verifyTreeHead(olderValue, ownerKey);
  const newer = verifyTreeHead(newerValue, ownerKey);
  const proof = parseProof(consistencySchema, proofValue, 'consistency proof');
  if (proof.first !== older.size || proof.second !== newer.size) {
    throw new TfgridError(BcdbError.INVALID_PROOF, `proof is for sizes ${proof.first}→${proof.second}, the heads are ${older.size}→${newer.size}`);
  }
  if (!verifyConsistency(older.size, newer.size, fromHex(older.root, 32), fromHex(newer.root, 32), proof.path.map((p) => fromHex(p, 32)))) {
    throw new TfgridError(BcdbError.INVALID_PROOF, `the log at ${newer.size} records does not extend the log at ${older.size}: history was rewritten`);
  }
}

function parseProof<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new TfgridError(BcdbError.INVALID_PROOF, `malformed ${what}: ${z.prettifyError(result.error)}`);
  return result.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TfgridError(BcdbError.INVALID_PROOF, 'tree head is not JSON', { cause: error });
  }
}

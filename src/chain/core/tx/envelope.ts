// The signed transaction envelope: building, hashing, checking its shape and signature.
// Signature: Ed25519 over digestOf(txDomain, { type, signer, nonce, payload }) (src/crypto).
// Hash: hex digestOf(txHashDomain, the whole SignedTx including its signature).
import { z } from 'zod';
import { TfgridError } from '../../../base/index.ts';
import { canonicalJson, digestOf, fromHex, toHex, verifyValue, type Identity } from '../../../crypto/index.ts';
import { ChainError } from '../../errors.ts';
import { txDomain, type SignedTx } from '../seam.ts';
import { address, hex } from './fields.ts';

export const txHashDomain = 'tfgrid/chain/txhash/v1';
/** Canonical JSON of a payload, at most. */
export const txPayloadBytesMax = 16 * 1024;

const envelopeSchema = z.strictObject({
  type: z.string().regex(/^[a-z][a-z.]{0,63}$/, 'a transaction type'),
  signer: address,
  nonce: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  payload: z.unknown(),
  signature: hex(128),
});

/** The signed part of a transaction. */
function signedBody(tx: Pick<SignedTx, 'type' | 'signer' | 'nonce' | 'payload'>): object {
  return { type: tx.type, signer: tx.signer, nonce: tx.nonce, payload: tx.payload };
}

export function buildTx(identity: Identity, type: string, payload: unknown, nonce: number): SignedTx {
  const body = { type, signer: identity.publicKeyHex, nonce, payload };
  return { ...body, signature: toHex(identity.signValue(txDomain, body)) };
}

/** Does the signature verify? Never throws (a malformed tx is simply false). */
export function verifyTxSignature(tx: SignedTx): boolean {
  try {
    return verifyValue(fromHex(tx.signer, 32, 'signer'), txDomain, signedBody(tx), fromHex(tx.signature, 64, 'signature'));
  } catch {
    return false;
  }
}

export function txHash(tx: SignedTx): string {
  return toHex(digestOf(txHashDomain, { type: tx.type, signer: tx.signer, nonce: tx.nonce, payload: tx.payload, signature: tx.signature }));
}

/** Checks the envelope's shape and the payload's size; returns the coded error or undefined. */
export function checkEnvelope(tx: unknown): TfgridError | undefined {
  const parsed = envelopeSchema.safeParse(tx);
  if (!parsed.success) return new TfgridError(ChainError.INVALID_TX, z.prettifyError(parsed.error));
  let bytes: number;
  try {
    bytes = canonicalJson(parsed.data.payload ?? null).length;
  } catch (error) {
    return new TfgridError(ChainError.INVALID_TX, `payload has no canonical form: ${(error as Error).message}`);
  }
  if (bytes > txPayloadBytesMax) return new TfgridError(ChainError.INVALID_TX, `payload is ${bytes} bytes, at most ${txPayloadBytesMax}`);
  return undefined;
}

// The transaction functions the shell needs from the core, in one place so that the worker
// threads and the sequencer agree. STAND-IN until src/chain/core exports txHash and
// verifyTxSignature: then this file re-exports those and nothing else changes.
import { digestOf, fromHex, toHex, verifyValue } from '../../crypto/index.ts';
import { txDomain, type SignedTx } from '../core/seam.ts';

const txHashDomain = 'tfgrid/chain/txhash/v1';

/** Hex SHA-256 of the whole signed transaction (what clients wait on). */
export function txHash(tx: SignedTx): string {
  return toHex(digestOf(txHashDomain, tx));
}

export function verifyTxSignature(tx: SignedTx): boolean {
  try {
    return verifyValue(fromHex(tx.signer, 32, 'signer'), txDomain, { type: tx.type, signer: tx.signer, nonce: tx.nonce, payload: tx.payload }, fromHex(tx.signature, 64, 'signature'));
  } catch {
    return false;
  }
}

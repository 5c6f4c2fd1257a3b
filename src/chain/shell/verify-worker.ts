// A signature-checking thread: receives batches of transactions, answers with their hashes and
// whether each signature verifies. Batches amortize postMessage; see verify-pool.ts.
import { parentPort } from 'node:worker_threads';
import type { SignedTx } from '../core/seam.ts';
import { txHash, verifyTxSignature } from './tx-functions.ts';

export interface VerifyRequest {
  readonly id: number;
  readonly txs: readonly SignedTx[];
}

export interface VerifyReply {
  readonly id: number;
  readonly hashes: readonly string[];
  /** 1 = valid signature, 0 = not. */
  readonly valid: Uint8Array;
}

export function verifyBatch(request: VerifyRequest): VerifyReply {
  const hashes: string[] = [];
  const valid = new Uint8Array(request.txs.length);
  request.txs.forEach((tx, i) => {
    hashes.push(txHash(tx));
    valid[i] = verifyTxSignature(tx) ? 1 : 0;
  });
  return { id: request.id, hashes, valid };
}

parentPort?.on('message', (request: VerifyRequest) => {
  parentPort!.postMessage(verifyBatch(request));
});

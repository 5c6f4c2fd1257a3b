// A signing thread: holds one identity's Ed25519 key (from its seed) and signs batches of
// messages, so a busy writer (BCDB) can spend its own core on everything else. See sign-pool.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { Identity } from './identity.ts';

/** Messages packed in one transferred buffer: cloning many small arrays costs more than signing. */
export interface SignRequest {
  readonly id: number;
  readonly data: Uint8Array;
  readonly lengths: Uint32Array;
}

/** 64-byte signatures back to back, in request order. */
export interface SignReply {
  readonly id: number;
  readonly signatures: Uint8Array;
}

const identity = Identity.fromSeed((workerData as { seedHex: string }).seedHex);

parentPort?.on('message', (request: SignRequest) => {
  const signatures = new Uint8Array(request.lengths.length * 64);
  let at = 0;
  request.lengths.forEach((length, i) => {
    signatures.set(identity.sign(request.data.subarray(at, at + length)), i * 64);
    at += length;
  });
  parentPort!.postMessage({ id: request.id, signatures } satisfies SignReply, [signatures.buffer]);
});

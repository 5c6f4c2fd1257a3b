// The hashing thread of hash-thread.ts: BLAKE2b-512 per stream, over bytes the pipeline's thread
// copied into shared slots. Messages arrive in order, so each stream's bytes are hashed in order.
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

export type HashRequest =
  | { readonly kind: 'update'; readonly stream: number; readonly slot: number; readonly length: number }
  | { readonly kind: 'digest'; readonly stream: number }
  | { readonly kind: 'drop'; readonly stream: number };

export type HashReply =
  | { readonly kind: 'free'; readonly slot: number }
  | { readonly kind: 'digest'; readonly stream: number; readonly digest: Uint8Array };

const slots = (workerData as { slots: SharedArrayBuffer[] }).slots.map((buffer) => new Uint8Array(buffer));
const hashes = new Map<number, Hash>();
const hashOf = (stream: number): Hash => {
  let hash = hashes.get(stream);
  if (hash === undefined) {
    hash = createHash('blake2b512');
    hashes.set(stream, hash);
  }
  return hash;
};

parentPort?.on('message', (request: HashRequest) => {
  if (request.kind === 'update') {
    hashOf(request.stream).update(slots[request.slot]!.subarray(0, request.length));
    parentPort!.postMessage({ kind: 'free', slot: request.slot } satisfies HashReply);
  } else if (request.kind === 'digest') {
    const digest = new Uint8Array(hashOf(request.stream).digest());
    hashes.delete(request.stream);
    parentPort!.postMessage({ kind: 'digest', stream: request.stream, digest } satisfies HashReply, [digest.buffer]);
  } else {
    hashes.delete(request.stream);
  }
});

// Small random values (uids, nonces) from a pool refilled 4 KiB at a time: one CSPRNG call per a
// few hundred values instead of one per value (~6% of a message-bus peer's CPU). Bytes are used once.
import { randomFillSync } from 'node:crypto';

const randomPool = Buffer.allocUnsafe(4096);
let randomPoolOffset = randomPool.length;

export function randomBytesPooled(count: number): Uint8Array {
  if (count > randomPool.length) return new Uint8Array(randomFillSync(Buffer.allocUnsafe(count)));
  if (randomPoolOffset + count > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const bytes = new Uint8Array(count);
  bytes.set(randomPool.subarray(randomPoolOffset, (randomPoolOffset += count)));
  return bytes;
}

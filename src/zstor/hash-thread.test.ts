// The hashing thread gives node:crypto's BLAKE2b-512 for any split of the bytes, with streams
// interleaved; an aborted stream does not disturb the others; a closed thread refuses typed; and an
// idle thread does not keep a process alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../base/testing.ts';
import { HashThread, inlineHash, type FileHash } from './hash-thread.ts';

const blake2b = (bytes: Uint8Array) => createHash('blake2b512').update(bytes).digest();

test('hash thread: digests equal BLAKE2b-512 for interleaved streams, pieces across slot boundaries', async () => {
  const thread = new HashThread();
  try {
    const mib = 2 ** 20;
    const files = [0, 1, 4 * mib - 1, 4 * mib, 4 * mib + 1, 13 * mib + 7].map((n) => randomBytes(n));
    const streams = files.map(() => thread.stream());
    // Feed every file in pieces of varied sizes, one piece per stream in turn, without awaiting
    // (the slots run out: updates must queue in order).
    const offsets = files.map(() => 0);
    const updates: Promise<void>[] = [];
    for (let round = 0; offsets.some((at, i) => at < files[i]!.length); round++) {
      files.forEach((file, i) => {
        const size = [1, 1000, 3 * mib, 5 * mib][(round + i) % 4]!;
        if (offsets[i]! >= file.length) return;
        updates.push(streams[i]!.update(file.subarray(offsets[i], offsets[i]! + size)));
        offsets[i]! += size;
      });
    }
    await Promise.all(updates);
    const digests = await Promise.all(streams.map((s) => s.digest()));
    digests.forEach((digest, i) => assert.deepEqual(digest, blake2b(files[i]!), `file of ${files[i]!.length} bytes`));
  } finally {
    thread.close();
  }
});

test('hash thread: an aborted stream leaves the others intact; a file of one segment is inline; close() refuses typed', async () => {
  const thread = new HashThread();
  try {
    const a = randomBytes(9 * 2 ** 20);
    const aborted = thread.stream();
    const kept = thread.stream();
    await Promise.all([aborted.update(a), kept.update(a)]);
    aborted.abort();
    await assert.rejects(aborted.update(a), { code: 'ZSTOR_INVALID_ARGUMENT' });
    await kept.update(a);
    assert.deepEqual(await kept.digest(), blake2b(Buffer.concat([a, a])));
    const small: FileHash = thread.forFile(10, 4 * 2 ** 20);
    await small.update(a.subarray(0, 10));
    assert.deepEqual(await small.digest(), blake2b(a.subarray(0, 10)));
    const open = thread.stream();
    thread.close();
    await assert.rejects(open.digest(), { code: 'ZSTOR_CLOSED' });
    const after = thread.forFile(Infinity, 4 * 2 ** 20);
    await after.update(a.subarray(0, 3));
    assert.deepEqual(await after.digest(), blake2b(a.subarray(0, 3)), 'a closed thread hashes inline');
    assert.deepEqual(await inlineHash().digest(), blake2b(new Uint8Array(0)));
  } finally {
    thread.close();
  }
});

test('hash thread: an idle worker does not hold the process open', () => {
  const script = `
    import { HashThread } from ${JSON.stringify(new URL('./hash-thread.ts', import.meta.url).href)};
    const thread = new HashThread();
    const hash = thread.stream();
    await hash.update(new Uint8Array(5 * 2 ** 20));
    console.log((await hash.digest()).length);
  `;
  const dir = tempDir('tfgrid-hash-thread-');
  try {
    writeFileSync(join(dir, 'idle.mjs'), script);
    const output = execFileSync(process.execPath, [join(dir, 'idle.mjs')], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(output.trim(), '64');
  } finally {
    removeDir(dir);
  }
});

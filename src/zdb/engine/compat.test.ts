// Directories written by tfgrid open in the real 0-db v2.0.7 and the other way round: each side
// writes (with rotations, updates, deletes, both modes), the other reads everything back over
// RESP. Skipped when the reference binary is absent (ZDB_REFERENCE_BIN, default /work/ref/bin/zdb).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { freePort } from '../../base/testing.ts';
import { join } from 'node:path';
import { openTestZdb, plain, prng, tempDir } from './testing.ts';

const referenceBin = process.env['ZDB_REFERENCE_BIN'] ?? '/work/ref/bin/zdb';
const skip = existsSync(referenceBin) ? false : `reference 0-db binary not found at ${referenceBin} (set ZDB_REFERENCE_BIN)`;

interface Reference {
  call(...args: (string | Buffer)[]): Promise<unknown>;
  stop(): Promise<void>;
}


async function startReference(dir: string, extra: string[] = []): Promise<Reference> {
  const port = await freePort();
  const child: ChildProcess = spawn(referenceBin, ['--data', join(dir, 'data'), '--index', join(dir, 'index'), '--listen', '127.0.0.1', '--port', String(port), ...extra], { stdio: 'ignore' });
  let socket: Socket | undefined;
  for (let attempt = 0; attempt < 100 && !socket; attempt++) {
    socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.on('error', () => resolve(undefined));
    });
    if (!socket) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(socket, 'reference 0-db accepts connections');
  const connection = socket;
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  connection.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  });
  const parse = (at: number): [unknown, number] | null => {
    const eol = buffered.indexOf('\r\n', at);
    if (eol < 0) return null;
    const line = buffered.toString('latin1', at + 1, eol);
    const kind = String.fromCharCode(buffered[at]!);
    if (kind === '+') return [`+${line}`, eol + 2];
    if (kind === '-') return [`-${line}`, eol + 2];
    if (kind === ':') return [Number(line), eol + 2];
    const count = Number(line);
    if (kind === '$') {
      if (count < 0) return [null, eol + 2];
      return buffered.length < eol + 2 + count + 2 ? null : [buffered.toString('latin1', eol + 2, eol + 2 + count), eol + 4 + count];
    }
    const items: unknown[] = [];
    let next = eol + 2;
    for (let i = 0; i < count; i++) {
      const item = parse(next);
      if (!item) return null;
      items.push(item[0]);
      next = item[1];
    }
    return [items, next];
  };
  return {
    async call(...args) {
      const parts = args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg) : arg));
      connection.write(Buffer.concat([Buffer.from(`*${parts.length}\r\n`), ...parts.flatMap((p) => [Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n')])]));
      for (;;) {
        const parsed = parse(0);
        if (parsed) {
          buffered = buffered.subarray(parsed[1]);
          return parsed[0];
        }
        await new Promise<void>((resolve) => (waiting = resolve));
      }
    },
    async stop() {
      connection.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const id = (n: number): Buffer => {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(n, 0);
  return out;
};

test('a directory written by tfgrid (rotations, updates, deletes, seq) is read by 0-db v2.0.7, and back', { skip }, async () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const { dir, cleanup } = tempDir();
  try {
    const ours = await openTestZdb(dir, { datasizeBytes: 32 * 1024 });
    const model = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const key = `key-${Math.floor(random() * 60)}`;
      if (random() < 0.1 && model.has(key)) {
        await ours.run('DEL', key);
        model.delete(key);
      } else {
        const value = `${i}:`.repeat(1 + Math.floor(random() * 400));
        await ours.run('SET', key, value);
        model.set(key, value);
      }
    }
    await ours.run('NSNEW', 'seq');
    await ours.run('NSSET', 'seq', 'mode', 'seq');
    await ours.run('SELECT', 'seq');
    for (const value of ['a', 'b', 'c']) await ours.run('SET', '', value);
    await ours.run('SET', id(1), 'B');
    await ours.run('DEL', id(2));
    await ours.close();

    const reference = await startReference(dir);
    for (const [key, value] of model) assert.equal(await reference.call('GET', key), value, `GET ${key}, seed ${seed}`);
    assert.equal(await reference.call('DBSIZE'), model.size);
    await reference.call('SELECT', 'seq');
    assert.deepEqual([await reference.call('GET', id(0)), await reference.call('GET', id(1)), await reference.call('GET', id(2)), await reference.call('GET', id(3))], ['a', 'B', null, null]);
    assert.equal(await reference.call('SET', '', 'd'), id(4).toString('latin1'), 'the reference continues the id sequence');
    assert.deepEqual(((await reference.call('HISTORY', id(1))) as unknown[])[2], 'B');
    await reference.call('SELECT', 'default');
    assert.equal(await reference.call('SET', 'from-reference', 'hello'), 'from-reference');
    await reference.stop();

    const again = await openTestZdb(dir, { datasizeBytes: 32 * 1024 });
    assert.equal(plain(await again.run('GET', 'from-reference')), 'hello');
    for (const [key, value] of model) assert.equal(plain(await again.run('GET', key)), value, `seed ${seed}`);
    await again.run('SELECT', 'seq');
    assert.equal(plain(await again.run('GET', id(4))), 'd');
    await again.close();
  } finally {
    cleanup();
  }
});

test('a directory written by 0-db v2.0.7 with several data files opens in tfgrid with the same answers', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const reference = await startReference(dir, ['--datasize', '524288']);
    const values = new Map<string, string>();
    for (let i = 0; i < 12; i++) {
      const value = String.fromCharCode(97 + i).repeat(150_000);
      values.set(`k${i % 7}`, value);
      assert.equal(await reference.call('SET', `k${i % 7}`, value), `k${i % 7}`);
    }
    assert.equal(await reference.call('DEL', 'k3'), '+OK');
    values.delete('k3');
    const history = await reference.call('HISTORY', 'k1');
    await reference.call('NSNEW', 's');
    await reference.call('NSSET', 's', 'mode', 'seq');
    await reference.call('SELECT', 's');
    for (let i = 0; i < 6; i++) await reference.call('SET', '', 'x'.repeat(200_000 + i));
    await reference.call('SET', id(0), 'updated');
    await reference.stop();

    const ours = await openTestZdb(dir);
    for (const [key, value] of values) assert.equal(plain(await ours.run('GET', key)), value, key);
    assert.equal(plain(await ours.run('GET', 'k3')), null);
    assert.equal(plain(await ours.run('DBSIZE')), values.size);
    assert.ok(JSON.stringify(plain(await ours.run('HISTORY', 'k1'))) === JSON.stringify(history), 'HISTORY answers as the reference does');
    await ours.run('SELECT', 's');
    assert.equal(plain(await ours.run('GET', id(0))), 'updated');
    assert.equal(plain(await ours.run('GET', id(5))), 'x'.repeat(200_005));
    assert.equal(plain(await ours.run('SET', '', 'next')), id(7).toString('latin1'), 'id 6 was burned by the update');
    await ours.close();
  } finally {
    cleanup();
  }
});

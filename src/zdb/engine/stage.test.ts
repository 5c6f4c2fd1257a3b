// Staged appends (engine/stage.ts, NamespaceFiles, Zdb.flushWrites): SETs reach the files in one
// write per batch, nothing else ever sees bytes that are not written yet, and a failed batch
// write is never acknowledged. Method: a Zdb driven directly, with fs.writeSync made to fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { cpSync } from 'node:fs';
import { join } from 'node:path';
import { AppendStage } from './stage.ts';
import { openTestZdb, plain, tempDir } from './testing.ts';

test('AppendStage copies, writes at the end of what is written, and keeps its bytes on failure', () => {
  const { dir, cleanup } = tempDir();
  try {
    const fd = fs.openSync(join(dir, 'f'), 'w+');
    const stage = new AppendStage({ initialBytes: 4, bytesMax: 64 });
    stage.reset(0);
    assert.equal(stage.push([Buffer.from('ab'), Buffer.from('cde')], 5), 0);
    assert.equal(stage.push([Buffer.from('fgh')], 3), 5, 'offsets follow the staged bytes');
    assert.equal(stage.size, 8);
    assert.equal(stage.full(57), true);
    stage.writeTo(fd, 'f');
    assert.equal(fs.readFileSync(join(dir, 'f'), 'utf8'), 'abcdefgh');
    stage.push([Buffer.from('ij')], 2);
    const original = fs.writeSync;
    fs.writeSync = () => {
      throw new Error('EIO (test)');
    };
    try {
      assert.throws(() => stage.writeTo(fd, 'f'), /write failed/);
    } finally {
      fs.writeSync = original;
    }
    assert.equal(stage.bytes, 2, 'a failed write keeps the bytes staged');
    stage.writeTo(fd, 'f');
    assert.equal(fs.readFileSync(join(dir, 'f'), 'utf8'), 'abcdefghij');
    fs.closeSync(fd);
  } finally {
    cleanup();
  }
});

test('staged SETs reach the files at flushWrites; other commands write them first', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    const data = join(dir, 'data', 'default', 'd0');
    const sizeBefore = fs.statSync(data).size;
    await z.run('SET', 'a', 'alpha');
    await z.run('SET', 'b', 'bravo');
    assert.equal(fs.statSync(data).size, sizeBefore, 'two SETs staged, nothing written yet');
    assert.equal(plain(await z.run('DBSIZE')), 2);
    assert.ok(fs.statSync(data).size > sizeBefore, 'DBSIZE may observe them: written before it ran');
    await z.run('SET', 'c', 'charlie');
    z.zdb.flushWrites();
    const other = z.zdb.newSession({ unixSocket: false });
    assert.equal(plain(await z.zdb.execute(other, [Buffer.from('GET'), Buffer.from('c')])), 'charlie');
    await z.close();
    const restarted = await z.restart();
    assert.equal(plain(await restarted.run('GET', 'a')), 'alpha');
    assert.equal(plain(await restarted.run('GET', 'c')), 'charlie');
    await restarted.close();
  } finally {
    cleanup();
  }
});

test('a failed staged write is never acknowledged: its writers are cut off and the namespace reloaded', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    const writer = z.session;
    const reader = z.zdb.newSession({ unixSocket: false });
    const run = (session: typeof writer, ...args: string[]) => z.zdb.execute(session, args.map((arg) => Buffer.from(arg)));
    await run(writer, 'SET', 'kept', 'v1');
    z.zdb.flushWrites();
    assert.equal(writer.abortRequested, false);
    await run(writer, 'SET', 'lost', 'v2');
    const original = fs.writeSync;
    fs.writeSync = () => {
      throw Object.assign(new Error('ENOSPC (test)'), { code: 'ENOSPC' });
    };
    try {
      z.zdb.flushWrites();
    } finally {
      fs.writeSync = original;
    }
    assert.equal(writer.abortRequested, true, 'the session whose SET was dropped must be closed unanswered');
    assert.equal(reader.abortRequested, false, 'sessions that staged nothing carry on');
    assert.equal(plain(await run(reader, 'GET', 'lost')), null, 'the dropped SET never happened');
    assert.equal(plain(await run(reader, 'GET', 'kept')), 'v1');
    assert.equal(plain(await run(reader, 'SET', 'after', 'v3')), 'after', 'writes go on (unstaged from now on)');
    assert.equal(plain(await run(reader, 'DBSIZE')), 2);
    await z.close();
    const restarted = await z.restart();
    assert.deepEqual([plain(await restarted.run('GET', 'lost')), plain(await restarted.run('GET', 'after'))], [null, 'v3']);
    await restarted.close();
  } finally {
    cleanup();
  }
});

test('an update flags the old item only after its new data entry is written, even in an older index file', async () => {
  // Regression: a staged SET whose old item lay in an older index file flagged that item before
  // its own data reached the file, so a kill -9 then left the key with neither value. Method:
  // copy the directories mid-turn (what a kill -9 leaves) and open the copy.
  const { dir, cleanup } = tempDir();
  try {
    const z = await openTestZdb(dir);
    await z.run('SET', 'k', 'old value');
    await z.run('NSJUMP');
    await z.run('SET', 'k', 'new value');
    const copy = join(dir, 'crashed');
    // Without the .lockfile of this live process (a kill -9 leaves it stale, and it is replaced).
    const noLock = (path: string): boolean => !path.endsWith('.lockfile');
    cpSync(join(dir, 'data'), join(copy, 'data'), { recursive: true, filter: noLock });
    cpSync(join(dir, 'index'), join(copy, 'index'), { recursive: true, filter: noLock });
    const crashed = await openTestZdb(copy);
    assert.equal(plain(await crashed.run('GET', 'k')), 'new value');
    await crashed.close();
    await z.close();
  } finally {
    cleanup();
  }
});

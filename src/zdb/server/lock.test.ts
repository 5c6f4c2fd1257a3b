// The `.lockfile` of the data and index directories (src/zdb/engine/lockfile.ts): a second server
// on the same directories is refused while the first runs, a kill -9 leaves a stale lock that the
// next start replaces, a clean stop removes it, and racing starters on a stale lock get one winner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../base/index.ts';
import { acquireDirLock } from '../../base/index.ts';
import { ZdbError } from '../errors.ts';

const codes = { locked: ZdbError.LOCKED, io: ZdbError.IO_FAILED };
import { RespProbe, decodeReply, removeDir, startOurZdb, tempDir, type ZdbProcess } from './testing.ts';

const lockModule = pathToFileURL(join(import.meta.dirname, '..', '..', 'base', 'dirlock.ts')).href;

/** A pid that surely is not running any more (a process that already exited). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a second server on the same directories fails with ZDB_LOCKED; after kill -9 a new one starts; a clean stop removes the lock', async () => {
  const dir = tempDir('tfgrid-zdb-lock-');
  let first: ZdbProcess | undefined;
  let third: ZdbProcess | undefined;
  try {
    first = await startOurZdb({ dir });
    const lockFiles = [join(first.indexDir, '.lockfile'), join(first.dataDir, '.lockfile')];
    for (const path of lockFiles) assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, first.process.pid, path);

    const refused = await startOurZdb({ dir }).then(
      async (second) => {
        await second.stop();
        return 'started';
      },
      (error: unknown) => (error as Error).message,
    );
    assert.match(refused, /ZDB_LOCKED/, refused);
    assert.match(refused, new RegExp(`in use by pid ${first.process.pid} `));
    // The first server is untouched and still serves.
    const probe = await RespProbe.connect({ port: first.port });
    assert.deepEqual(decodeReply(await probe.command('SET', 'k', 'v')), Buffer.from('k'));
    probe.close();

    await first.kill();
    for (const path of lockFiles) assert.ok(existsSync(path), `kill -9 leaves ${path}`);
    third = await startOurZdb({ dir });
    assert.match(third.stderr(), /replaced a stale lock file/);
    for (const path of lockFiles) assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, third.process.pid, path);
    const again = await RespProbe.connect({ port: third.port });
    assert.deepEqual(decodeReply(await again.command('GET', 'k')), Buffer.from('v'));
    again.close();

    assert.equal(await third.stop(), 0);
    third = undefined;
    for (const path of lockFiles) assert.ok(!existsSync(path), `a clean stop removes ${path}`);
  } finally {
    await first?.kill();
    await third?.kill();
    removeDir(dir);
  }
});

test('a lock naming a dead pid or holding garbage is replaced; a live holder refuses', () => {
  const dir = tempDir('tfgrid-zdb-lock-');
  try {
    const log = createLogger({ component: 'zdb', level: 'silent' });
    const path = join(dir, '.lockfile');
    for (const content of [JSON.stringify({ pid: deadPid(), startedMs: 1, hostname: hostname(), token: 'x' }), '{"pid":', '']) {
      writeFileSync(path, content);
      const lock = acquireDirLock(dir, log, codes);
      assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid);
      lock.release();
      assert.ok(!existsSync(path));
    }
    const held = acquireDirLock(dir, log, codes);
    assert.throws(() => acquireDirLock(dir, log, codes), { code: 'ZDB_LOCKED' });
    held.release();
  } finally {
    removeDir(dir);
  }
});

test('starters racing for the same stale lock: exactly one wins', async () => {
  const dir = tempDir('tfgrid-zdb-lock-');
  try {
    for (let round = 0; round < 3; round++) {
      const lockDir = join(dir, String(round));
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, '.lockfile'), JSON.stringify({ pid: deadPid(), startedMs: 1, hostname: hostname(), token: 'stale' }));
      const script = `
        const { acquireDirLock } = await import(${JSON.stringify(lockModule)});
        const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } };
        try { acquireDirLock(${JSON.stringify(lockDir)}, log, { locked: 'ZDB_LOCKED', io: 'ZDB_IO_FAILED' }); process.stdout.write('won'); setTimeout(() => {}, 3000); }
        catch (error) { process.stdout.write(String(error.code)); }`;
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (text: string) => (out += text));
        child.once('exit', () => resolve(out));
      })));
      assert.equal(outcomes.filter((o) => o === 'won').length, 1, outcomes.join(','));
      assert.equal(outcomes.filter((o) => o === 'ZDB_LOCKED').length, 5, outcomes.join(','));
    }
  } finally {
    removeDir(dir);
  }
});

// The shared conventions: coded errors, structured log lines with levels, atomic file writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TfgridError, isTfgridError, assert as invariant, createLogger, parseLogLevel, writeFileAtomic } from './index.ts';

test('TfgridError carries a stable code, a CODE: message, details and cause', () => {
  const cause = new Error('disk on fire');
  const error = new TfgridError('ZDB_FULL', 'namespace is full', { cause, details: { namespace: 'x' } });
  assert.equal(error.code, 'ZDB_FULL');
  assert.equal(error.message, 'ZDB_FULL: namespace is full');
  assert.equal(error.detail, 'namespace is full');
  assert.equal(error.cause, cause);
  assert.deepEqual(error.toJSON(), { code: 'ZDB_FULL', message: 'ZDB_FULL: namespace is full', details: { namespace: 'x' } });
  assert.ok(isTfgridError(error, 'ZDB_FULL'));
  assert.ok(!isTfgridError(error, 'ZDB_OTHER'));
  assert.ok(!isTfgridError(cause));
  assert.throws(() => invariant(1 > 2, 'math works'), /assertion failed: math works/);
});

test('the logger writes one JSON object per line, filtered by level, with bound fields', () => {
  const lines: string[] = [];
  const log = createLogger({ component: 'zdb', level: 'info', sink: (l) => lines.push(l), now: () => new Date(0) });
  log.debug('hidden');
  log.info('listening', { port: 9900 });
  log.child({ namespace: 'ns1' }).warn('almost full', { usedBytes: 10n, error: new TfgridError('ZDB_X', 'y') });
  assert.equal(lines.length, 2);
  assert.deepEqual(JSON.parse(lines[0]!), { ts: '1970-01-01T00:00:00.000Z', level: 'info', component: 'zdb', msg: 'listening', port: 9900 });
  assert.deepEqual(JSON.parse(lines[1]!), {
    ts: '1970-01-01T00:00:00.000Z', level: 'warn', component: 'zdb', msg: 'almost full', namespace: 'ns1', usedBytes: '10', error: { code: 'ZDB_X', message: 'ZDB_X: y' },
  });
  assert.equal(parseLogLevel(undefined), 'info');
  assert.equal(parseLogLevel('debug'), 'debug');
  assert.throws(() => parseLogLevel('loud'), /unknown log level/);
});

test('writeFileAtomic replaces a file whole, with the asked mode, and leaves no temp files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tfgrid-base-'));
  try {
    const path = join(dir, 'sub', 'file.txt');
    await writeFileAtomic(path, 'one', { mode: 0o600 });
    await writeFileAtomic(path, 'two', { mode: 0o600 });
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(join(dir, 'sub')), ['file.txt']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

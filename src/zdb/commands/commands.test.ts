// The command layer called directly with Buffers: replies and 0-db's exact error texts for every
// command, arity and type errors, unknown commands, and permissions (admin, password, public).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { openTestZdb, plain, tempDir, type TestZdb } from '../engine/testing.ts';
import type { ZdbOptions } from './zdb.ts';

async function withZdb(body: (z: TestZdb) => Promise<void>, options: Partial<ZdbOptions> = {}): Promise<void> {
  const { dir, cleanup } = tempDir();
  const z = await openTestZdb(dir, options);
  try {
    await body(z);
  } finally {
    await z.close();
    cleanup();
  }
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

test('system commands, unknown commands and exact (non-prefix) matching', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('PING')), '+PONG');
    assert.equal(plain(await z.run('ping', 'extra')), '+PONG');
    assert.deepEqual(plain(await z.run('TIME')), ['1700000000', '0']);
    assert.equal(plain(await z.run('P')), '-Command not supported', 'no prefix matching');
    assert.equal(plain(await z.run('HELLO', '3')), '-NOPROTO sorry, this protocol version is not supported');
    assert.deepEqual((plain(await z.run('HELLO', '2')) as unknown[]).slice(0, 6), ['server', '0-db', 'version', '2.0.7', 'proto', 2]);
    assert.equal(plain(await z.run('*')), '-This is not a valid command');
    assert.match(plain(await z.run('INFO')) as string, /^# server\nserver_name: 0-db \(zdb\)\n/);
    assert.equal(plain(await z.run('STOP')), '+Stopping');
    assert.equal(z.zdb.stopRequested, true);
  });
});

test('dataset commands: arity, empty and oversized arguments, replies', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('SET', 'a')), '-Unexpected arguments');
    assert.equal(plain(await z.run('SET', '', 'x')), '-Invalid argument, key needed');
    assert.equal(plain(await z.run('SET', 'k'.repeat(256), 'x')), '-Key too large');
    assert.equal(plain(await z.run('SET', 'k', '')), 'k', 'empty values are allowed');
    assert.equal(plain(await z.run('GET', '')), '-Invalid argument');
    assert.equal(plain(await z.run('GET', 'k'.repeat(256))), '-Invalid key');
    assert.equal(plain(await z.run('GET', 'k')), '');
    assert.equal(plain(await z.run('SET', 'ts', 'v', '12345')), 'ts');
    assert.equal(plain(await z.run('KEYTIME', 'ts')), 12345);
    assert.equal(plain(await z.run('LENGTH', 'ts')), 1);
    assert.equal(plain(await z.run('LENGTH', 'nope')), null);
    assert.equal(plain(await z.run('EXISTS', 'ts')), 1);
    assert.equal(plain(await z.run('EXISTS', 'nope')), 0);
    assert.equal(plain(await z.run('CHECK', 'nope')), null);
    assert.equal(plain(await z.run('CHECK', 'ts')), 1);
    assert.deepEqual(plain(await z.run('MGET', 'ts', 'nope', 'ts')), ['v', null, 'v']);
    assert.equal(plain(await z.run('MGET')), '-Invalid arguments');
    assert.equal(plain(await z.run('DEL', 'nope')), '-Key not found');
    assert.equal(plain(await z.run('KEYCUR', 'nope')), '-Key not found');
    assert.equal((plain(await z.run('KEYCUR', 'ts')) as string).length, 17);
    assert.equal(plain(await z.run('SCAN', 'abc')), '-Invalid key format');
    assert.equal(plain(await z.run('HISTORY')), '-Invalid arguments');
    assert.equal(plain(await z.run('HISTORY', 'ts', Buffer.alloc(8))), '-No more history');
    assert.equal(plain(await z.run('HISTORY', 'ts', 'short')), '-Invalid arguments');
    assert.equal(plain(await z.run('SETX', 'x', 'y')), 'x');
  });
});

test('admin password: AUTH plain and SECURE, permission denied before it', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('NSNEW', 'x')), '-Permission denied');
    assert.equal(plain(await z.run('SET', 'a', 'b', '1')), '-Permission denied', 'explicit timestamps need admin');
    assert.equal(plain(await z.run('AUTH', 'wrong')), '-Access denied');
    assert.equal(plain(await z.run('AUTH', 'SECURE', 'abc')), '-No CHALLENGE requested, secure authentication not available');
    const nonce = plain(await z.run('AUTH', 'SECURE', 'CHALLENGE')) as string;
    assert.match(nonce, /^\+[0-9a-f]{16}$/);
    assert.equal(plain(await z.run('AUTH', 'SECURE', 'abc')), '-Invalid hash length');
    assert.equal(plain(await z.run('AUTH', 'SECURE', sha1(`${nonce.slice(1)}:hunter2`))), '+OK');
    assert.equal(plain(await z.run('AUTH', 'SECURE', sha1(`${nonce.slice(1)}:hunter2`))), '-No CHALLENGE requested, secure authentication not available', 'nonce is one-time');
    assert.equal(plain(await z.run('AUTH', 'FOO', 'CHALLENGE')), '-Only SECURE extra method supported');
    assert.equal(plain(await z.run('NSNEW', 'x')), '+OK');
    const other = z.zdb.newSession({ unixSocket: true });
    assert.equal(plain(await z.zdb.execute(other, [Buffer.from('AUTH'), Buffer.from('hunter2')])), '+OK');
  }, { adminPassword: 'hunter2' });
});

test('--protect: the default namespace is read-only until SELECT default <admin password>', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('SET', 'a', 'b')), '-Namespace is in read-only mode');
    assert.equal(plain(await z.run('SELECT', 'default', 'hunter2')), '+OK');
    assert.equal(plain(await z.run('SET', 'a', 'b')), 'a');
    assert.equal(plain(await z.run('FLUSH')), '-Flushing public namespace denied');
  }, { adminPassword: 'hunter2', protect: true });
});

test('namespaces: create, list, info, password/public, SELECT SECURE, flush, delete', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('NSNEW', 'default')), '-This name is not allowed');
    assert.equal(plain(await z.run('NSNEW', 'p')), '+OK');
    assert.equal(plain(await z.run('NSNEW', 'p')), '-This namespace is not available');
    assert.deepEqual(plain(await z.run('NSLIST')), ['default', 'p']);
    assert.equal(plain(await z.run('NSSET', 'p', 'password', 'secret')), '+OK');
    assert.equal(plain(await z.run('NSSET', 'p', 'public', '0')), '+OK');
    assert.equal(plain(await z.run('NSSET', 'p', 'colour', 'red')), '-Invalid property');
    assert.equal(plain(await z.run('NSSET', 'default', 'maxsize', '1')), '-Cannot update default namespace');
    assert.equal(plain(await z.run('SELECT', 'nope')), '-Namespace not found');
    assert.equal(plain(await z.run('SELECT', 'p')), '-Namespace protected and private');
    assert.equal(plain(await z.run('SELECT', 'p', 'wrong')), '-Access denied');
    const nonce = (plain(await z.run('AUTH', 'SECURE', 'CHALLENGE')) as string).slice(1);
    assert.equal(plain(await z.run('SELECT', 'p', 'SECURE', sha1(`${nonce}:secret`))), '+OK');
    await z.run('SET', 'k', 'v');
    const info = plain(await z.run('NSINFO', 'p')) as string;
    assert.match(info, /^# namespace\nname: p\nentries: 1\npublic: no\nworm: no\nlocked: no\npassword: yes\ndata_size_bytes: 1\n/);
    assert.match(info, /next_internal_id: 0x100000000000000\nmode: userkey\n/);
    assert.equal(plain(await z.run('DBSIZE')), 1);
    assert.equal(plain(await z.run('FLUSH')), '+OK');
    assert.equal(plain(await z.run('DBSIZE')), 0);
    assert.equal(plain(await z.run('GET', 'k')), null);
    assert.equal(plain(await z.run('NSDEL', 'p')), "-Cannot remove namespace you're currently using.");
    const other = z.zdb.newSession({ unixSocket: false });
    assert.equal(plain(await z.zdb.execute(other, [Buffer.from('NSDEL'), Buffer.from('p')])), '+OK');
    assert.equal(plain(await z.run('PING')), '-Your active namespace is not available anymore (probably removed).');
    assert.equal(z.session.closeRequested, true);
  });
});

test('NSSET mode only on fresh namespaces; INDEX DIRTY; NSJUMP; RELOAD', async () => {
  await withZdb(async (z) => {
    await z.run('NSNEW', 'm');
    await z.run('SELECT', 'm');
    assert.equal(plain(await z.run('NSSET', 'm', 'mode', 'bogus')), '-Invalid property value (expected: user, seq)');
    await z.run('SET', 'a', '1');
    assert.equal(plain(await z.run('NSSET', 'm', 'mode', 'seq')), '-Cannot change mode of used namespace');
    assert.deepEqual(plain(await z.run('INDEX', 'DIRTY')), []);
    assert.equal(plain(await z.run('NSJUMP')), '+OK');
    await z.run('SET', 'a', '2');
    assert.deepEqual(plain(await z.run('INDEX', 'DIRTY')), [0], 'the old item in i0 was flagged in place');
    assert.equal(plain(await z.run('INDEX', 'DIRTY', 'RESET')), '+OK');
    assert.deepEqual(plain(await z.run('INDEX', 'DIRTY')), []);
    assert.equal(plain(await z.run('INDEX', 'CLEAN')), '-Unknown INDEX subcommand');
    assert.equal(plain(await z.run('RELOAD', 'm')), '+OK');
    assert.equal(plain(await z.run('GET', 'a')), '2');
    assert.deepEqual(plain(await z.run('HISTORY', 'a')), ['\x00\x00\x00\x00\x1d\x00\x00\x00', '1700000000', '2']);
  });
});

test('a single --mode refuses NSSET mode', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('NSSET', 'default', 'mode', 'user')), '-This server instance is configured to use a single runtime mode');
    assert.equal(plain(await z.run('SET', '', 'x')), '\x00'.repeat(8));
  }, { mode: 'seq' });
});

test('WAIT resolves when another session runs the command on the same namespace, or times out', async () => {
  await withZdb(async (z) => {
    assert.equal(plain(await z.run('WAIT', 'NOPE')), '-Unknown command to watch');
    assert.equal(plain(await z.run('WAIT', 'SET', '5')), '-Invalid timeout');
    const waiting = z.run('WAIT', 'SET', '10000');
    const other = z.zdb.newSession({ unixSocket: false });
    await z.zdb.execute(other, [Buffer.from('GET'), Buffer.from('a')]);
    await z.zdb.execute(other, [Buffer.from('SET'), Buffer.from('a'), Buffer.from('b')]);
    assert.equal(plain(await waiting), '+SET');
    assert.equal(plain(await z.run('WAIT', '*', '100')), '-Timeout');
  });
});

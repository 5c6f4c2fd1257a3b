// Conformance of a `tfgrid zdb` process with 0-db v2.0.7's command semantics (/work/ref/ZDB_SPEC.md,
// src/zdb/README.md), driven through ioredis, a widely used Redis client, over a real socket:
// every command, both modes, namespaces, permissions and 0-db's exact error texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync, readFileSync, chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { zdbCrc32c } from '../index.ts';
import { ask, askBuffer, ioredisOptions, removeDir, startOurZdb, tempDir, type ZdbProcess } from './testing.ts';

interface Harness {
  server: ZdbProcess;
  connect: () => Promise<Redis>;
}

/** Starts a server with `args`, hands out connected ioredis clients, and cleans everything up. */
async function withServer(args: string[], body: (h: Harness) => Promise<void>): Promise<void> {
  const server = await startOurZdb({ args });
  const clients: Redis[] = [];
  try {
    await body({
      server,
      connect: async () => {
        const redis = new Redis(ioredisOptions({ port: server.port }));
        clients.push(redis);
        await redis.connect();
        return redis;
      },
    });
  } finally {
    for (const redis of clients) redis.disconnect();
    await server.stop();
    removeDir(server.dir);
  }
}

const id = (n: number): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(n));
  return bytes;
};
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** KEYCUR/SCAN cursor fields (17 bytes, see the README's "Cursors"). */
function decodeCursor(cursor: Buffer): { idLength: number; fileId: number; length: number; offset: number; crc: number } {
  assert.equal(cursor.length, 17, 'cursors are 17 bytes');
  return { idLength: cursor[0]!, fileId: cursor.readUInt32LE(1), length: cursor.readUInt32LE(5), offset: cursor.readUInt32LE(9), crc: cursor.readUInt32LE(13) };
}

/** Pages through SCAN/SCANX/RSCAN until `-No more data`; returns every [key, length, timestamp]. */
async function scanAll(redis: Redis, command: 'SCAN' | 'SCANX' | 'RSCAN'): Promise<[string, number, number][]> {
  const items: [string, number, number][] = [];
  let cursor: Buffer | undefined;
  for (let page = 0; page < 10_000; page++) {
    const reply = (await askBuffer(redis, command, ...(cursor ? [cursor] : []))) as [Buffer, [Buffer, number, number][]] | string;
    if (reply === '-No more data') return items;
    assert.ok(Array.isArray(reply), `${command} page: ${String(reply)}`);
    cursor = reply[0];
    assert.equal(cursor.length, 17);
    for (const [key, length, timestamp] of reply[1]) items.push([key.toString('latin1'), length, timestamp]);
  }
  assert.fail('SCAN never ended');
}

test('PING, TIME, INFO and the user-mode data commands answer as 0-db does', async () => {
  // Goal: the basic and key/value commands give 0-db's replies and exact errors; method: one ioredis client runs each command, including every arity and size error, against a fresh server.
  await withServer([], async ({ connect }) => {
    const r = await connect();
    assert.equal(await ask(r, 'PING'), 'PONG');
    assert.equal(await ask(r, 'ping', 'ignored', 'args'), 'PONG');
    const [sec, usec] = (await ask(r, 'TIME')) as [string, string];
    assert.ok(Math.abs(Number(sec) - nowSec()) <= 2 && /^\d+$/.test(usec) && Number(usec) < 1e6, `TIME ${sec} ${usec}`);
    const info = (await ask(r, 'INFO')) as string;
    assert.match(info, /^# server\nserver_name: 0-db \(zdb\)\nserver_revision: v2\.0\.7\nengine_revision: v2\.0\.7\ninstance_id: \d+\nboot_time: \d+\nuptime: \d+\n\n# clients\nclients_lifetime: \d+\n\n# internals\nsequential_key_size: 8\ndata_version: 3\nindex_version: 4\n\n# stats\ncommands_executed: \d+\n/);
    assert.match(info, /\nnetwork_tx_mb: \d+\.\d\d\n$/);

    assert.equal(await ask(r, 'SET', 'foo', 'bar'), 'foo');
    assert.equal(await ask(r, 'GET', 'foo'), 'bar');
    assert.equal(await ask(r, 'SET', 'foo', 'bar'), null, 'an unchanged value writes nothing: $-1');
    assert.equal(await ask(r, 'SETX', 'foo', 'baz'), 'foo');
    assert.equal(await ask(r, 'GET', 'foo'), 'baz');
    assert.equal(await ask(r, 'GET', 'nope'), null);
    assert.deepEqual(await ask(r, 'MGET', 'foo', 'nope', 'foo'), ['baz', null, 'baz']);
    assert.deepEqual(await ask(r, 'MGET', ''), [null]);
    assert.equal(await ask(r, 'EXISTS', 'foo'), 1);
    assert.equal(await ask(r, 'EXISTS', 'nope'), 0);
    assert.equal(await ask(r, 'CHECK', 'foo'), 1);
    assert.equal(await ask(r, 'CHECK', 'nope'), null);
    assert.equal(await ask(r, 'LENGTH', 'foo'), 3);
    assert.equal(await ask(r, 'LENGTH', 'nope'), null);
    assert.ok(Math.abs((await ask(r, 'KEYTIME', 'foo')) as number - nowSec()) <= 2);
    assert.equal(await ask(r, 'KEYTIME', 'nope'), null);
    assert.equal(await ask(r, 'SET', 'ts', 'v', '12345'), 'ts', 'admin (everyone without --admin) may set the timestamp');
    assert.equal(await ask(r, 'KEYTIME', 'ts'), 12345);
    assert.equal(await ask(r, 'SET', 'empty', ''), 'empty');
    assert.equal(await ask(r, 'GET', 'empty'), '');
    assert.equal(await ask(r, 'LENGTH', 'empty'), 0);
    assert.equal(await ask(r, 'DEL', 'foo'), 'OK');
    assert.equal(await ask(r, 'DEL', 'foo'), '-Key not found');
    assert.equal(await ask(r, 'GET', 'foo'), null);
    assert.equal(await ask(r, 'EXISTS', 'foo'), 0);
    assert.equal(await ask(r, 'DBSIZE'), 2);

    const longKey = 'k'.repeat(255);
    assert.equal(await ask(r, 'SET', longKey, 'v'), longKey, '255-byte keys are the maximum');
    assert.equal(await ask(r, 'GET', longKey), 'v');
    const errors: [unknown[], string][] = [
      [['SET', '', 'x'], 'Invalid argument, key needed'], [['GET', ''], 'Invalid argument'], [['SET', 'a', 'b', 'c', 'd'], 'Unexpected arguments'],
      [['SET', 'a'], 'Unexpected arguments'], [['GET'], 'Unexpected arguments'], [['GET', 'a', 'b'], 'Unexpected arguments'],
      [['SET', 'k'.repeat(256), 'v'], 'Key too large'], [['GET', 'k'.repeat(256)], 'Invalid key'], [['EXISTS', 'k'.repeat(256)], 'Invalid key'],
      [['DEL', 'k'.repeat(256)], 'Invalid key'], [['MGET', 'a', 'k'.repeat(256)], 'Invalid key'], [['MGET'], 'Invalid arguments'],
      [['DEL'], 'Unexpected arguments'], [['DEL', ''], 'Invalid argument'], [['EXISTS'], 'Unexpected arguments'], [['CHECK', ''], 'Invalid argument'],
      [['LENGTH', 'a', 'b'], 'Unexpected arguments'], [['KEYTIME'], 'Unexpected arguments'], [['KEYCUR', 'nope'], 'Key not found'],
      [['KEYCUR'], 'Unexpected arguments'], [['HISTORY'], 'Invalid arguments'], [['HISTORY', 'nope'], 'Key not found'],
      [['HISTORY', 'ts', 'abc'], 'Invalid arguments'], [['HISTORY', 'ts', Buffer.alloc(8)], 'No more history'], [['HISTORY', 'a', 'b', 'c'], 'Invalid arguments'],
      [['SCAN', 'abc'], 'Invalid key format'], [['RSCAN', 'x'.repeat(17)], 'Invalid key format'], [['HELLO', '3'], 'NOPROTO sorry, this protocol version is not supported'],
      [['COMMAND'], 'Command not supported'], [['CONFIG', 'GET', 'save'], 'Command not supported'], [['G', 'ts'], 'Command not supported'],
      [['PINGX'], 'Command not supported'], [['*'], 'This is not a valid command'], [['AUTH', 'x'], 'Authentication disabled'],
      [['FLUSH'], 'Flushing public namespace denied'], [['NSINFO', 'nope'], 'Namespace not found'], [['SELECT', 'nope'], 'Namespace not found'],
      [['SELECT', '0'], 'Namespace not found'], [['SELECT'], 'Invalid argument'],
    ];
    for (const [args, message] of errors) assert.equal(await ask(r, ...(args as string[])), `-${message}`, `${args.join(' ').slice(0, 40)}`);
    assert.equal(await ask(r, 'get', 'ts'), 'v', 'command names are case-insensitive');
  });
});

test('KEYCUR, SCAN/SCANX/RSCAN paging and HISTORY walk what was written', async () => {
  // Goal: cursors and history are consistent with what was written; method: 300 writes with explicit timestamps and some deletes, then full SCAN/SCANX/RSCAN walks and a HISTORY walk are compared with the model.
  await withServer([], async ({ connect }) => {
    const r = await connect();
    const live = new Map<string, { value: string; ts: number }>();
    for (let i = 0; i < 300; i++) {
      const key = `key-${i % 120}`;
      const value = `value-${i}-`.repeat(1 + (i % 7));
      await ask(r, 'SET', key, value, String(1_700_000_000 + i));
      live.set(key, { value, ts: 1_700_000_000 + i });
    }
    for (let i = 0; i < 120; i += 9) {
      assert.equal(await ask(r, 'DEL', `key-${i}`), 'OK');
      live.delete(`key-${i}`);
    }
    const cursor = decodeCursor((await askBuffer(r, 'KEYCUR', 'key-5')) as Buffer);
    const value = live.get('key-5')!.value;
    assert.deepEqual({ idLength: cursor.idLength, fileId: cursor.fileId, length: cursor.length, crc: cursor.crc }, { idLength: 5, fileId: 0, length: value.length, crc: zdbCrc32c(Buffer.from(value)) });

    const expected = [...live].map(([key, entry]) => [key, entry.value.length, entry.ts]).sort((a, b) => (a[2]! as number) - (b[2]! as number));
    const scanned = await scanAll(r, 'SCAN');
    assert.deepEqual(scanned, expected, 'SCAN lists live keys once, in the order of their last write');
    assert.deepEqual(await scanAll(r, 'SCANX'), expected);
    assert.deepEqual(await scanAll(r, 'RSCAN'), [...expected].reverse(), 'RSCAN walks backwards');
    const page = (await askBuffer(r, 'SCAN', await askBuffer(r, 'KEYCUR', 'key-5') as Buffer)) as [Buffer, [Buffer, number, number][]];
    assert.equal(page[1][0]![0].toString(), scanned[scanned.findIndex(([key]) => key === 'key-5') + 1]![0], 'a KEYCUR cursor resumes after its key');
    assert.equal(await ask(r, 'DBSIZE'), live.size);

    // key-7 was written at i = 7, 127 and 247: HISTORY walks newest to oldest through parent cursors.
    const versions: [string, string][] = [];
    let reply = (await askBuffer(r, 'HISTORY', 'key-7')) as [Buffer | null, Buffer, Buffer];
    for (;;) {
      versions.push([reply[1].toString(), reply[2].toString()]);
      if (reply[0] === null) break;
      assert.equal(reply[0].length, 8, 'history cursors are 8 bytes');
      reply = (await askBuffer(r, 'HISTORY', 'key-7', reply[0])) as [Buffer | null, Buffer, Buffer];
    }
    assert.deepEqual(versions, [247, 127, 7].map((i) => [String(1_700_000_000 + i), `value-${i}-`.repeat(1 + (i % 7))]));
    const otherKey = (await askBuffer(r, 'HISTORY', 'key-8')) as [Buffer, Buffer, Buffer];
    assert.equal(await ask(r, 'HISTORY', 'key-7', otherKey[0]), '-Invalid arguments (invalid key)');
    assert.equal(await ask(r, 'HISTORY', 'key-7', Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0])), '-Invalid arguments (index query)');
  });
});

test('--mode seq: server-assigned 8-byte ids, updates burn an id, deletes, scans, and ids continue after a restart', async () => {
  // Goal: seq mode follows 0-db's id rules and keeps them across a restart; method: replay the spec's seq transcript through ioredis, restart, and continue.
  const server = await startOurZdb({ args: ['--mode', 'seq'] });
  let current = server;
  try {
    let r = new Redis(ioredisOptions({ port: server.port }));
    await r.connect();
    for (const [n, value] of ['first', 'second', 'third'].entries()) assert.deepEqual(await askBuffer(r, 'SET', '', value), id(n));
    assert.deepEqual(await askBuffer(r, 'GET', id(1)), Buffer.from('second'));
    assert.equal(await askBuffer(r, 'GET', id(5)), null);
    assert.equal(await askBuffer(r, 'GET', 'abc'), null);
    assert.equal(await askBuffer(r, 'SET', id(0), 'first'), null, 'unchanged');
    assert.deepEqual(await askBuffer(r, 'SET', id(0), 'FIRST'), id(0), 'an update answers the id');
    assert.deepEqual(await askBuffer(r, 'SET', '', 'fourth'), id(4), 'id 3 was burned by the update');
    assert.equal(await askBuffer(r, 'GET', id(3)), null);
    assert.equal(await ask(r, 'SET', id(9), 'x'), '-Invalid key, only update authorized');
    assert.equal(await ask(r, 'SET', 'abc', 'x'), '-Invalid key, only update authorized');
    assert.equal(await ask(r, 'DEL', id(1)), 'OK');
    assert.equal(await ask(r, 'SET', id(1), 'x'), '-Invalid key, only update authorized', 'a deleted id is never reused');
    assert.equal(await ask(r, 'EXISTS', id(1)), 0);
    assert.equal(await ask(r, 'DBSIZE'), 3);
    const history = (await askBuffer(r, 'HISTORY', id(0))) as [Buffer, Buffer, Buffer];
    assert.deepEqual(history[2], Buffer.from('FIRST'));
    assert.deepEqual(((await askBuffer(r, 'HISTORY', id(0), history[0])) as Buffer[])[2], Buffer.from('first'));
    assert.deepEqual((await scanAll(r, 'SCAN')).map(([key]) => key), [id(0), id(2), id(4)].map((key) => key.toString('latin1')), 'SCAN in id order');
    assert.equal(decodeCursor((await askBuffer(r, 'KEYCUR', id(4))) as Buffer).idLength, 8);
    assert.equal(await ask(r, 'NSSET', 'default', 'mode', 'user'), '-This server instance is configured to use a single runtime mode');
    assert.equal(await ask(r, 'NSNEW', 'other'), 'OK');
    assert.equal(await ask(r, 'SELECT', 'other'), 'OK');
    assert.deepEqual(await askBuffer(r, 'SET', '', 'x'), id(0), 'new namespaces take the server mode');
    assert.match((await ask(r, 'NSINFO', 'other')) as string, /\nmode: sequential\n/);
    r.disconnect();
    await server.stop();
    current = await startOurZdb({ dir: server.dir, args: ['--mode', 'seq'] });
    r = new Redis(ioredisOptions({ port: current.port }));
    await r.connect();
    assert.deepEqual(await askBuffer(r, 'GET', id(0)), Buffer.from('FIRST'));
    assert.deepEqual(await askBuffer(r, 'GET', id(4)), Buffer.from('fourth'));
    assert.deepEqual(await askBuffer(r, 'SET', '', 'fifth'), id(5), 'ids continue after a restart');
    r.disconnect();
  } finally {
    await current.stop();
    removeDir(server.dir);
  }
});

test('mixed mode: each namespace has its own mode, fixed once used, kept across restarts', async () => {
  // Goal: in mixed mode the mode is per namespace and fixed once used; method: make one namespace seq, write to both, restart, and check both modes again.
  const server = await startOurZdb();
  let current = server;
  try {
    let r = new Redis(ioredisOptions({ port: server.port }));
    await r.connect();
    assert.equal(await ask(r, 'NSNEW', 'sq'), 'OK');
    assert.equal(await ask(r, 'NSSET', 'sq', 'mode', 'bogus'), '-Invalid property value (expected: user, seq)');
    assert.equal(await ask(r, 'NSSET', 'sq', 'mode', 'seq'), 'OK');
    assert.equal(await ask(r, 'SELECT', 'sq'), 'OK');
    assert.deepEqual(await askBuffer(r, 'SET', '', 'a'), id(0));
    assert.equal(await ask(r, 'NSSET', 'sq', 'mode', 'user'), '-Cannot change mode of used namespace');
    assert.equal(await ask(r, 'SELECT', 'default'), 'OK');
    assert.equal(await ask(r, 'SET', 'k', 'v'), 'k', 'default stays in user mode');
    assert.equal(await ask(r, 'NSSET', 'default', 'mode', 'seq'), '-Cannot change mode of used namespace');
    r.disconnect();
    await server.stop();
    current = await startOurZdb({ dir: server.dir });
    r = new Redis(ioredisOptions({ port: current.port }));
    await r.connect();
    assert.equal(await ask(r, 'SELECT', 'sq'), 'OK');
    assert.deepEqual(await askBuffer(r, 'SET', '', 'b'), id(1), 'still seq after a restart');
    assert.deepEqual(await ask(r, 'NSLIST'), ['default', 'sq']);
    r.disconnect();
  } finally {
    await current.stop();
    removeDir(server.dir);
  }
});

test('--maxsize limits the default namespace in memory', async () => {
  // Goal: --maxsize caps the default namespace; method: fill it to the limit, one byte over, then read NSINFO.
  await withServer(['--maxsize', '100'], async ({ connect }) => {
    const r = await connect();
    assert.equal(await ask(r, 'SET', 'a', 'x'.repeat(60)), 'a');
    assert.equal(await ask(r, 'SET', 'b', 'x'.repeat(41)), '-No space left on this namespace');
    assert.equal(await ask(r, 'SET', 'b', 'x'.repeat(40)), 'b');
    assert.match((await ask(r, 'NSINFO', 'default')) as string, /\ndata_limits_bytes: 100\n[^]*\nspace_available: 0\n/);
  });
});

test('--admin and --protect: admin-only commands, AUTH plain and SECURE, read-only default namespace', async () => {
  // Goal: without AUTH nothing admin-only runs and the protected default namespace is read-only; method: try each admin command, then every AUTH and AUTH SECURE path with the spec's errors.
  await withServer(['--admin', 'hunter2', '--protect'], async ({ connect }) => {
    const r = await connect();
    assert.equal(await ask(r, 'SET', 'a', 'b'), '-Namespace is in read-only mode');
    assert.equal(await ask(r, 'GET', 'a'), null, 'everyone may read the protected default namespace');
    for (const args of [['NSNEW', 'x'], ['NSDEL', 'x'], ['NSSET', 'x', 'public', '1'], ['NSJUMP'], ['RELOAD', 'default'], ['HOOKS'], ['INDEX', 'DIRTY'], ['DATA', 'RAW', '0', '28'], ['STOP'], ['SET', 'a', 'b', '1'], ['DEL', 'a', '1']]) {
      assert.equal(await ask(r, ...args), '-Permission denied', args.join(' '));
    }
    assert.equal(await ask(r, 'AUTH', 'wrong'), '-Access denied');
    assert.equal(await ask(r, 'AUTH', 'x'.repeat(129)), '-Password too long');
    assert.equal(await ask(r, 'AUTH', 'SECURE', 'x'.repeat(40)), '-No CHALLENGE requested, secure authentication not available');
    assert.equal(await ask(r, 'AUTH', 'FOO', 'CHALLENGE'), '-Only SECURE extra method supported');
    assert.equal(await ask(r, 'AUTH', 'a', 'b', 'c'), '-Unexpected arguments');
    const nonce = (await ask(r, 'AUTH', 'SECURE', 'CHALLENGE')) as string;
    assert.match(nonce, /^[0-9a-f]{16}$/);
    assert.equal(await ask(r, 'AUTH', 'SECURE', 'abc'), '-Invalid hash length', 'a bad length keeps the nonce');
    assert.equal(await ask(r, 'AUTH', 'SECURE', sha1(`${nonce}:hunter2`).toUpperCase()), '-Access denied', 'hex must be lowercase; the nonce is consumed');
    assert.equal(await ask(r, 'AUTH', 'SECURE', sha1(`${nonce}:hunter2`)), '-No CHALLENGE requested, secure authentication not available');
    const nonce2 = (await ask(r, 'AUTH', 'sec', 'chal')) as string;
    assert.equal(await ask(r, 'AUTH', 'SECURE', sha1(`${nonce2}:hunter2`)), 'OK');
    assert.equal(await ask(r, 'NSNEW', 'x'), 'OK', 'admin now');
    assert.equal(await ask(r, 'SET', 'a', 'b'), '-Namespace is in read-only mode', 'admin does not bypass the namespace password');
    assert.equal(await ask(r, 'SELECT', 'default', 'hunter2'), 'OK');
    assert.equal(await ask(r, 'SET', 'a', 'b', '42'), 'a');
    assert.equal(await ask(r, 'KEYTIME', 'a'), 42);
    assert.equal(await ask(r, 'FLUSH'), '-Flushing public namespace denied');
    const plain = await connect();
    assert.equal(await ask(plain, 'AUTH', 'hunter2'), 'OK');
    assert.equal(await ask(plain, 'NSDEL', 'x'), 'OK');
  });
});

test('namespaces: NSNEW, NSLIST, NSINFO, every NSSET property, SELECT with passwords and SECURE, NSDEL', async () => {
  // Goal: namespace management and access control match 0-db; method: an admin client sets each NSSET property while other clients SELECT (plain, public read-only, private, SECURE) and observe its effect.
  await withServer(['--admin', 'pw'], async ({ connect, server }) => {
    const admin = await connect();
    const user = await connect();
    assert.equal(await ask(admin, 'AUTH', 'pw'), 'OK');
    assert.equal(await ask(admin, 'NSNEW', 'ns1'), 'OK');
    for (const [args, message] of [[['NSNEW', 'ns1'], 'This namespace is not available'], [['NSNEW', 'default'], 'This name is not allowed'], [['NSNEW', 'a/b'], 'This name is not allowed'],
      [['NSNEW', 'n'.repeat(129)], 'Namespace too long'], [['NSNEW'], 'Unexpected arguments'], [['NSSET', 'ns1', 'bogus', '1'], 'Invalid property'],
      [['NSSET', 'default', 'maxsize', '1'], 'Cannot update default namespace'], [['NSSET', 'nope', 'maxsize', '1'], 'Namespace not found'],
      [['NSSET', 'ns1', 'maxsize', 'x'.repeat(64)], 'Argument too long'], [['NSSET', 'ns1', 'maxsize'], 'Unexpected arguments'],
      [['NSDEL', 'default'], 'Cannot remove default namespace'], [['NSDEL', 'nope'], "This namespace doesn't exists"]] as const) {
      assert.equal(await ask(admin, ...args), `-${message}`, args.join(' '));
    }
    assert.deepEqual(await ask(user, 'NSLIST'), ['default', 'ns1']);
    const info = (await ask(user, 'NSINFO', 'ns1')) as string;
    assert.match(info, /^# namespace\nname: ns1\nentries: 0\npublic: yes\nworm: no\nlocked: no\npassword: no\ndata_size_bytes: 0\n/);
    assert.doesNotMatch(info, /data_path/, 'paths are for admins only');
    assert.match((await ask(admin, 'NSINFO', 'ns1')) as string, new RegExp(`\ndata_path: ${server.dataDir}/ns1\n`));

    // maxsize
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'maxsize', '10'), 'OK');
    assert.equal(await ask(user, 'SELECT', 'ns1'), 'OK');
    assert.equal(await ask(user, 'SET', 'a', '12345'), 'a');
    assert.equal(await ask(user, 'SET', 'b', '123456'), '-No space left on this namespace');
    assert.equal(await ask(user, 'SET', 'a', '1234567890'), 'a', 'the replaced value is counted as freed');
    assert.match((await ask(user, 'NSINFO', 'ns1')) as string, /\ndata_limits_bytes: 10\n[^]*\nspace_available: 0\n/);
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'maxsize', '0'), 'OK');
    // password, public
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'password', 'secret'), 'OK');
    const reader = await connect();
    assert.equal(await ask(reader, 'SELECT', 'ns1'), 'OK', 'public: read-only without the password');
    assert.equal(await ask(reader, 'GET', 'a'), '1234567890');
    assert.equal(await ask(reader, 'SET', 'a', 'x'), '-Namespace is in read-only mode');
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'public', '0'), 'OK');
    const other = await connect();
    assert.equal(await ask(other, 'SELECT', 'ns1'), '-Namespace protected and private');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'wrong'), '-Access denied');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'x'.repeat(256)), '-Password too long');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'a', 'b', 'c'), '-Too many arguments');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'FOO', 'x'), '-Only SECURE extra method supported');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'SECURE', 'x'.repeat(40)), '-No CHALLENGE requested, secure authentication not available');
    const nonce = (await ask(other, 'AUTH', 'SECURE', 'CHALLENGE')) as string;
    assert.equal(await ask(other, 'SELECT', 'ns1', 'SECURE', 'abc'), '-Invalid hash length');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'SECURE', sha1(`${nonce}:wrong`)), '-Access denied');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'SECURE', sha1(`${nonce}:secret`)), 'OK');
    assert.equal(await ask(other, 'SELECT', 'ns1', 'SECURE', sha1(`${nonce}:secret`)), 'OK', 'SELECT does not consume the nonce');
    assert.equal(await ask(other, 'SET', 'c', 'written'), 'c');
    assert.equal(await ask(user, 'SELECT', 'ns1', 'secret'), 'OK');
    // worm
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'worm', '1'), 'OK');
    assert.equal(await ask(user, 'SET', 'a', 'new'), '-Namespace is protected by worm mode');
    assert.equal(await ask(user, 'DEL', 'a'), '-Cannot delete a key when namespace is in worm mode');
    assert.equal(await ask(user, 'DEL', 'nope'), '-Key not found');
    assert.equal(await ask(user, 'SET', 'd', 'new key'), 'd', 'worm allows new keys');
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'worm', '0'), 'OK');
    // lock and freeze (one tri-state)
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'lock', '1'), 'OK');
    assert.equal(await ask(user, 'SET', 'a', 'x'), '-Namespace is temporarily locked (read-only)');
    assert.equal(await ask(user, 'DEL', 'a'), '-Namespace is temporarily locked (read-only)');
    assert.equal(await ask(user, 'GET', 'a'), '1234567890');
    assert.match((await ask(user, 'NSINFO', 'ns1')) as string, /\nlocked: yes\n/);
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'freeze', '1'), 'OK');
    for (const args of [['GET', 'a'], ['MGET', 'a'], ['EXISTS', 'a'], ['CHECK', 'a'], ['LENGTH', 'a'], ['KEYTIME', 'a'], ['KEYCUR', 'a'], ['SCAN'], ['RSCAN'], ['HISTORY', 'a'], ['SET', 'a', 'x'], ['DEL', 'a']]) {
      assert.equal(await ask(user, ...args), '-Namespace is temporarily frozen (read-write disabled)', args.join(' '));
    }
    assert.equal(await ask(user, 'DBSIZE'), 3, 'DBSIZE works while frozen');
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'lock', '0'), 'OK', 'unlock clears the freeze too');
    assert.equal(await ask(user, 'GET', 'a'), '1234567890');
    // mode of a used namespace; NSSET on the default namespace
    assert.equal(await ask(admin, 'NSSET', 'ns1', 'mode', 'seq'), '-Cannot change mode of used namespace');
    assert.equal(await ask(admin, 'NSSET', 'default', 'lock', '1'), 'OK');
    assert.equal(await ask(admin, 'SET', 'x', 'y'), '-Namespace is temporarily locked (read-only)');
    assert.equal(await ask(admin, 'NSSET', 'default', 'lock', '0'), 'OK');
    // NSDEL: not the caller's namespace; other users of it are told and disconnected
    assert.equal(await ask(admin, 'SELECT', 'ns1', 'secret'), 'OK');
    assert.equal(await ask(admin, 'NSDEL', 'ns1'), "-Cannot remove namespace you're currently using.");
    assert.equal(await ask(admin, 'SELECT', 'default'), 'OK');
    assert.equal(await ask(admin, 'NSDEL', 'ns1'), 'OK');
    assert.equal(await ask(user, 'GET', 'a'), '-Your active namespace is not available anymore (probably removed).');
    assert.deepEqual(await ask(admin, 'NSLIST'), ['default']);
    assert.equal(existsSync(join(server.dataDir, 'ns1')), false, 'its directories are removed');
  });
});

test('NSJUMP, RELOAD, FLUSH, INDEX DIRTY, HOOKS with a hook script, WAIT, and STOP', async () => {
  // Goal: the remaining admin and session commands work end to end; method: a server with a hook script runs INDEX DIRTY, NSJUMP, RELOAD, WAIT, FLUSH, HOOKS, then STOP, checking files and the hook's log.
  const hookDir = tempDir('tfgrid-zdb-hook-');
  const hookLog = join(hookDir, 'hook.log');
  const hook = join(hookDir, 'hook.sh');
  writeFileSync(hook, `#!/bin/sh\necho "$@" >> ${hookLog}\n`);
  chmodSync(hook, 0o755);
  const server = await startOurZdb({ args: ['--admin', 'pw', '--hook', hook] });
  try {
    const r = new Redis(ioredisOptions({ port: server.port }));
    const waiter = new Redis(ioredisOptions({ port: server.port }));
    await r.connect();
    await waiter.connect();
    assert.equal(await ask(r, 'AUTH', 'pw'), 'OK');
    assert.equal(await ask(r, 'NSNEW', 'f'), 'OK');
    assert.equal(await ask(r, 'NSSET', 'f', 'password', 'pw2'), 'OK');
    assert.equal(await ask(r, 'NSSET', 'f', 'public', '0'), 'OK');
    assert.equal(await ask(r, 'SELECT', 'f', 'pw2'), 'OK');
    assert.equal(await ask(r, 'SET', 'k', 'v1'), 'k');
    assert.equal(await ask(r, 'SET', 'k', 'v2'), 'k');
    assert.deepEqual(await ask(r, 'INDEX', 'DIRTY'), [0], 'the update flagged an item of i0 in place');
    assert.equal(await ask(r, 'INDEX', 'DIRTY', 'RESET'), 'OK');
    assert.deepEqual(await ask(r, 'INDEX', 'DIRTY'), []);
    assert.equal(await ask(r, 'INDEX', 'FOO'), '-Unknown INDEX subcommand');
    assert.equal(await ask(r, 'INDEX', 'DIRTY', 'FOO'), '-Unknown INDEX DIRTY subcommand');
    assert.equal(await ask(r, 'INDEX'), '-Missing arguments');
    assert.equal(await ask(r, 'NSJUMP'), 'OK');
    assert.match((await ask(r, 'NSINFO', 'f')) as string, /\ndata_current_id: 1\n/);
    assert.equal(await ask(r, 'SET', 'k2', 'v'), 'k2');
    assert.ok(existsSync(join(server.dataDir, 'f', 'd1')) && existsSync(join(server.indexDir, 'f', 'i1')));
    assert.equal(await ask(r, 'RELOAD', 'f'), 'OK');
    assert.equal(await ask(r, 'RELOAD', 'nope'), '-Namespace not found');
    assert.equal(await ask(r, 'GET', 'k'), 'v2', 'RELOAD reads the namespace back from disk');
    assert.deepEqual(await ask(r, 'MGET', 'k', 'k2'), ['v2', 'v']);

    // WAIT: a waiter on the same namespace is woken by another connection's command.
    assert.equal(await ask(waiter, 'SELECT', 'f', 'pw2'), 'OK');
    assert.equal(await ask(waiter, 'WAIT', 'SET', '99'), '-Invalid timeout');
    assert.equal(await ask(waiter, 'WAIT', 'NOPE'), '-Unknown command to watch');
    assert.equal(await ask(waiter, 'WAIT'), '-Invalid arguments');
    const woken = ask(waiter, 'WAIT', 'SET', '5000');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await ask(r, 'SET', 'k3', 'v'), 'k3');
    assert.equal(await woken, 'SET');
    assert.equal(await ask(waiter, 'WAIT', 'GET', '100'), '-Timeout');

    assert.equal(await ask(r, 'FLUSH'), 'OK');
    assert.equal(await ask(r, 'DBSIZE'), 0, 'FLUSH deletes everything (0-db v2.0.7 deletes nothing)');
    assert.equal(await ask(r, 'GET', 'k'), null);
    assert.equal(await ask(r, 'SET', 'after', 'flush'), 'after');
    assert.equal(await ask(r, 'GET', 'after'), 'flush');

    const hooks = (await ask(r, 'HOOKS')) as [string, string[], number, number, number, number][];
    assert.ok(hooks.length >= 2, 'namespace hooks are listed');
    assert.deepEqual(hooks[0]!.slice(0, 2), ['ready', []], 'the ready hook ran before the server served');
    assert.ok(hooks.some((h) => h[0] === 'namespace-created' && h[1][0] === 'f'));
    assert.ok(hooks.every((h) => typeof h[2] === 'number' && typeof h[3] === 'number'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const logged = readFileSync(hookLog, 'utf8');
    assert.match(logged, /^namespace-created tcp:\/\/127\.0\.0\.1:\d+ f$/m);
    assert.match(logged, /^namespace-updated \S+ f$/m);
    assert.match(logged, /^namespace-reloaded \S+ f$/m);

    assert.equal(await ask(r, 'STOP'), 'Stopping');
    for (let i = 0; i < 100 && server.process.exitCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.process.exitCode, 0, 'STOP by an admin stops the server cleanly');
    assert.match(readFileSync(hookLog, 'utf8'), /^ready tcp:\/\/127\.0\.0\.1:\d+\n/, 'ready is the first hook');
    assert.match(readFileSync(hookLog, 'utf8'), /^close \S+$/m, 'close ran at shutdown');
    r.disconnect();
    waiter.disconnect();
    assert.deepEqual(readdirSync(join(server.indexDir, 'f')).sort(), ['i0', 'zdb-namespace'], 'FLUSH left only the descriptor and a fresh i0');
  } finally {
    await server.stop();
    removeDir(server.dir);
    removeDir(hookDir);
  }
});

test('a ready hook that fails stops the start with ZDB_HOOK_FAILED', async () => {
  // Goal: 0-db's blocking `ready` hook can veto a start; method: a hook that exits 3 on "ready", then the server must exit non-zero.
  const hookDir = tempDir('tfgrid-zdb-hook-');
  const hook = join(hookDir, 'hook.sh');
  writeFileSync(hook, '#!/bin/sh\n[ "$1" = ready ] && exit 3\nexit 0\n');
  chmodSync(hook, 0o755);
  try {
    await assert.rejects(startOurZdb({ args: ['--hook', hook] }), /ZDB_HOOK_FAILED.*exited with 3/);
  } finally {
    removeDir(hookDir);
  }
});

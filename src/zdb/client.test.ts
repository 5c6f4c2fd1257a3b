// ZdbClient: pure helpers, then the connection machinery against real servers: redis-server
// (Debian package `redis-server`) for the generic parts, the reference 0-db binary for the 0-db
// commands. Each group skips with a message when its server binary is absent.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, isTfgridError, type TfgridError } from '../base/index.ts';
import { freePort, waitForPort } from '../base/testing.ts';
import { ZdbError } from './errors.ts';
import { ZdbClient, numberToSeqId, seqIdToNumber, seqIdToBigInt, secureResponse, parseInfoText, type ZdbClientOptions, type ZdbEndpoint } from './client.ts';
import { parseNamespaceInfo } from './client-replies.ts';

// ZDB_TEST_LOG=1 shows the client's connection log.
const quiet = createLogger({ component: 'zdb.client.test', level: process.env['ZDB_TEST_LOG'] === '1' ? 'debug' : 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fast = { delayMinMs: 20, delayMaxMs: 200 };

function options(overrides: Partial<ZdbClientOptions> = {}): ZdbClientOptions {
  return { timeoutMs: 5_000, reconnect: fast, logger: quiet, ...overrides };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<TfgridError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTfgridError(error), `expected a TfgridError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but it resolved`);
}



interface ServerProcess {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `command` (a server listening on `port`) and waits until it accepts connections. */
async function startProcess(command: string, args: readonly string[], port: number): Promise<ServerProcess> {
  const child: ChildProcess = spawn(command, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, 5_000);
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A TCP server that runs `onSocket` per connection (for silent and misbehaving peers). */
async function fakeServer(onSocket: (socket: Socket) => void): Promise<{ endpoint: ZdbEndpoint; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: { host: '127.0.0.1', port },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('seq ids are 8-byte little-endian unsigned integers', () => {
  // Goal: ids decode as 0-db encodes them. Method: golden bytes, both directions, bounds.
  assert.deepEqual(numberToSeqId(1), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(numberToSeqId(0x0102030405n), Buffer.from([5, 4, 3, 2, 1, 0, 0, 0]));
  assert.equal(seqIdToNumber(Buffer.from([0x22, 0x01, 0, 0, 0, 0, 0, 0])), 0x122);
  assert.equal(seqIdToBigInt(Buffer.alloc(8, 0xff)), 0xffff_ffff_ffff_ffffn);
  assert.equal(seqIdToNumber(numberToSeqId(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.throws(() => seqIdToNumber(Buffer.alloc(8, 0xff)), (error) => isTfgridError(error, ZdbError.INVALID_ARGUMENT));
  assert.throws(() => seqIdToNumber(Buffer.alloc(7)), (error) => isTfgridError(error, ZdbError.INVALID_ARGUMENT));
  for (const bad of [-1, 1.5, 2 ** 64, -1n, 2n ** 64n]) {
    assert.throws(() => numberToSeqId(bad), (error) => isTfgridError(error, ZdbError.INVALID_ARGUMENT), String(bad));
  }
});

test('the SECURE challenge response is sha1hex("challenge:password")', () => {
  // Goal: match 0-db's formula (libzdb/security.c). Method: the worked example in 0-db's README.
  assert.equal(secureResponse('708f109fbef4d656', 'helloworld'), '5af26c9c8bf4db0b342c42fc47e3bdae58da4578');
});

test('NSINFO text parses into typed fields and keeps every raw field', () => {
  // Goal: decode 0-db v2.0.7's NSINFO. Method: a reply captured from the reference binary.
  const text =
    '# namespace\nname: q\nentries: 3\npublic: yes\nworm: yes\nlocked: no\npassword: no\ndata_size_bytes: 3\n' +
    'data_size_mb: 0.00\ndata_limits_bytes: 10\nindex_size_bytes: 216\nindex_size_kb: 0.21\nnext_internal_id: 0x400000000000000\n' +
    'mode: sequential\nstats_index_io_errors: 0\ndata_path: /tmp/zprobe/d/q\n';
  const info = parseNamespaceInfo(text);
  assert.deepEqual({ ...info, fields: undefined }, {
    name: 'q', entries: 3, public: true, password: false, worm: true, locked: false, mode: 'sequential',
    dataSizeBytes: 3, dataLimitsBytes: 10, indexSizeBytes: 216, fields: undefined,
  });
  assert.equal(info.fields['data_path'], '/tmp/zprobe/d/q');
  assert.deepEqual(parseInfoText('# server\nuptime: 5\n\nserver_name: 0-db (zdb)\n'), { uptime: '5', server_name: '0-db (zdb)' });
  assert.throws(() => parseNamespaceInfo('name: x\n'), (error) => isTfgridError(error, ZdbError.UNEXPECTED_REPLY));
});

test('a peer that never answers: calls time out, the stuck socket is replaced', async () => {
  // Goal: ZDB_TIMEOUT per call, and no call waits forever behind a dead pipeline. Method: a TCP
  // server that accepts and stays silent.
  const accepted: Socket[] = [];
  const silent = await fakeServer((socket) => accepted.push(socket));
  const client = await ZdbClient.connect(silent.endpoint, options({ timeoutMs: 100 }));
  try {
    const started = Date.now();
    const first = client.ping();
    const second = client.get('k');
    await rejectsWith(first, ZdbError.TIMEOUT);
    assert.ok(Date.now() - started >= 90);
    const error = await second.then(() => assert.fail('resolved'), (reason: unknown) => reason);
    assert.ok(isTfgridError(error, ZdbError.TIMEOUT) || isTfgridError(error, ZdbError.CONNECTION_LOST), String(error));
    const deadline = Date.now() + 2_000;
    while (accepted.length < 2 && Date.now() < deadline) await sleep(10);
    assert.ok(accepted.length >= 2, 'the client opened a new socket');
  } finally {
    client.destroy();
    await silent.close();
  }
  const setupNeverEnds = await fakeServer(() => undefined);
  const failure = await rejectsWith(ZdbClient.connect(setupNeverEnds.endpoint, options({ namespace: 'ns', connectTimeoutMs: 100 })), ZdbError.CONNECT_FAILED);
  assert.ok(isTfgridError(failure.cause, ZdbError.TIMEOUT));
  await setupNeverEnds.close();
});

test('a short timeout behind a slow call does not reset the socket; a stall past every answered call does', async () => {
  // Goal: resets only when the pipeline is really stuck. Method: a server that answers the first
  // command late and then nothing; a long call, a short one behind it, then a third.
  const accepted: Socket[] = [];
  const slow = await fakeServer((socket) => {
    accepted.push(socket);
    socket.once('data', () => setTimeout(() => socket.write('+LATE\r\n'), 200));
  });
  const client = await ZdbClient.connect(slow.endpoint, options());
  try {
    const first = client.commandWith({ timeoutMs: 2_000 }, ['PING']);
    const second = rejectsWith(client.commandWith({ timeoutMs: 100 }, ['PING']), ZdbError.TIMEOUT);
    const third = rejectsWith(client.commandWith({ timeoutMs: 400 }, ['PING']), ZdbError.TIMEOUT);
    await second;
    assert.equal(accepted.length, 1, 'the first call may still be answered: keep the socket');
    assert.equal(await first, 'LATE');
    await third;
    const deadline = Date.now() + 2_000;
    while (accepted.length < 2 && Date.now() < deadline) await sleep(10);
    assert.equal(accepted.length, 2, 'nothing answered since: the socket was replaced');
  } finally {
    client.destroy();
    await slow.close();
  }
});

test('a peer that sends garbage fails the call with ZDB_PROTOCOL_ERROR', async () => {
  // Goal: a broken byte stream is named as such. Method: a server answering '?' to everything.
  const garbage = await fakeServer((socket) => socket.on('data', () => socket.write('?garbage\r\n')));
  const client = await ZdbClient.connect(garbage.endpoint, options({ reconnect: false }));
  await rejectsWith(client.ping(), ZdbError.PROTOCOL_ERROR);
  assert.equal(client.state, 'closed', 'reconnect: false closes after a loss');
  await rejectsWith(client.ping(), ZdbError.CLOSED);
  await garbage.close();
});

test('connecting to a port where nothing listens fails with ZDB_CONNECT_FAILED', async () => {
  // Goal: the first connection fails fast. Method: a port just freed.
  const port = await freePort();
  await rejectsWith(ZdbClient.connect({ host: '127.0.0.1', port }, options()), ZdbError.CONNECT_FAILED);
});

const redisMissing = spawnSync('redis-server', ['--version']).error !== undefined;

async function startRedis(port: number, extra: readonly string[] = []): Promise<ServerProcess> {
  return startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], port);
}

describe('against redis-server', { skip: redisMissing ? 'redis-server not installed (apt-get install redis-server)' : false }, () => {
  let redis: ServerProcess;
  let client: ZdbClient;
  before(async () => {
    redis = await startRedis(await freePort());
    client = await ZdbClient.connect({ host: '127.0.0.1', port: redis.port }, options());
  });
  after(async () => {
    await client.close();
    await redis.stop();
  });

  test('binary keys and values round-trip, including CRLF and every byte value', async () => {
    // Goal: the client is binary-safe end to end. Method: all 256 byte values, a 4 MiB value.
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.equal(await client.ping(), 'PONG');
    assert.deepEqual(await client.set(all, all), all);
    assert.deepEqual(await client.get(all), all);
    const big = Buffer.alloc(4 * 1024 * 1024, 'x\r\n');
    await client.set('big', big);
    assert.ok((await client.get('big'))?.equals(big));
    assert.deepEqual(await client.mget(['big', 'missing', all]), [big, null, all]);
    assert.equal(await client.exists(all), true);
    assert.equal(await client.del(all), true);
    assert.equal(await client.del(all), false);
    assert.equal(await client.get(all), null);
    assert.deepEqual(await client.command('ECHO', 'é'), Buffer.from('é'));
    assert.ok((await client.dbsize()) >= 1);
    const time = await client.time();
    assert.ok(Math.abs(time.seconds - Date.now() / 1000) < 60 && time.microseconds < 1e6);
  });

  test('an error reply rejects with ZDB_SERVER_ERROR carrying the server text', async () => {
    // Goal: server errors are coded and keep their text. Method: an unknown command.
    const error = await rejectsWith(client.command('NOPE'), ZdbError.SERVER_ERROR);
    assert.match(error.detail, /^ERR unknown command 'NOPE'/);
    assert.equal(await client.ping(), 'PONG', 'the connection is still in step');
  });

  test('10k concurrent calls share one connection and each gets its own reply', async () => {
    // Goal: pipelining matches replies to calls in order. Method: 10k SETs then 10k GETs at once.
    const count = 10_000;
    const sets = await Promise.all(Array.from({ length: count }, (_, i) => client.set(`k${i}`, `value ${i}`)));
    sets.forEach((key, i) => assert.equal(key?.toString(), `k${i}`));
    const values = await Promise.all(Array.from({ length: count }, (_, i) => client.get(`k${i}`)));
    values.forEach((value, i) => assert.equal(value?.toString(), `value ${i}`));
    const clients = (await client.command('CLIENT', 'LIST')) as Buffer;
    assert.equal(clients.toString().trim().split('\n').length, 1, 'one connection');
  });

  test('pending calls are bounded: beyond the limit calls fail with ZDB_QUEUE_FULL', async () => {
    // Goal: a flood cannot grow memory without bound. Method: 150 calls against a limit of 100.
    const small = await ZdbClient.connect({ host: '127.0.0.1', port: redis.port }, options({ pendingCallsMax: 100 }));
    const results = await Promise.allSettled(Array.from({ length: 150 }, () => small.ping()));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 100);
    assert.ok(results.filter((r) => r.status === 'rejected').every((r) => isTfgridError(r.reason, ZdbError.QUEUE_FULL)));
    await small.close();
    await rejectsWith(small.ping(), ZdbError.CLOSED);
  });

  test('reconnect: in-flight calls fail, waiting calls run after AUTH and SELECT are redone', async () => {
    // Goal: a server restart costs only the calls in flight. Method: Redis with a password, a
    // client on database 1 (SELECT 1), a blocking BLPOP in flight; kill, call, restart, check.
    const port = await freePort();
    const auth = ['--requirepass', 'pw'];
    let server = await startRedis(port, auth);
    const states: string[] = [];
    const endpoint = { host: '127.0.0.1', port };
    const zdb = await ZdbClient.connect(endpoint, options({ adminPassword: 'pw', secure: false, namespace: '1', onStateChange: (s) => states.push(s) }));
    try {
      // Outcomes are awaited later, so attach their handlers now (no unhandled rejection).
      const blocked = rejectsWith(zdb.commandWith({ timeoutMs: 10_000 }, ['BLPOP', 'nothing', '0']), ZdbError.CONNECTION_LOST);
      await sleep(100);
      await server.stop();
      await blocked;
      assert.equal(zdb.state, 'reconnecting');
      const queued = zdb.set('after', 'restart');
      queued.catch(() => undefined);
      await rejectsWith(zdb.commandWith({ timeoutMs: 50 }, ['PING']), ZdbError.TIMEOUT);
      await sleep(100);
      server = await startRedis(port, auth);
      assert.equal((await queued)?.toString(), 'after');
      assert.equal(zdb.state, 'ready');
      assert.deepEqual(states, ['ready', 'reconnecting', 'ready']);
      const db0 = await ZdbClient.connect(endpoint, options({ adminPassword: 'pw', secure: false }));
      assert.equal(await db0.get('after'), null, 'database 0 does not have it');
      await db0.select('1');
      assert.equal((await db0.get('after'))?.toString(), 'restart', 'database 1 does: SELECT was redone');
      await db0.close();
    } finally {
      zdb.destroy();
      await server.stop();
    }
  });

  test('while the server stays down, waiting calls time out and reconnection gives up after attemptsMax', async () => {
    // Goal: no call waits forever and the client closes after its retry budget. Method: kill the server.
    const port = await freePort();
    const server = await startRedis(port);
    const zdb = await ZdbClient.connect({ host: '127.0.0.1', port }, options({ timeoutMs: 50, reconnect: { delayMinMs: 100, delayMaxMs: 100, attemptsMax: 3 } }));
    await server.stop();
    while (zdb.state === 'ready') await sleep(5); // until the client has seen the socket close
    await rejectsWith(zdb.ping(), ZdbError.TIMEOUT);
    const waiting = zdb.commandWith({ timeoutMs: 5_000 }, ['PING']);
    await rejectsWith(waiting, ZdbError.CONNECTION_LOST); // failed when the client gave up
    assert.equal(zdb.state, 'closed');
    await rejectsWith(zdb.ping(), ZdbError.CLOSED);
  });

  test('a unix socket endpoint works', async () => {
    // Goal: {path} endpoints connect. Method: Redis listening on a socket file.
    const dir = await mkdtemp(join(tmpdir(), 'zdb-client-'));
    const path = join(dir, 'redis.sock');
    const port = await freePort(); // Redis needs a TCP port too; readiness is checked on it
    const server = await startRedis(port, ['--unixsocket', path]);
    try {
      const zdb = await ZdbClient.connect({ path }, options());
      assert.equal(await zdb.ping(), 'PONG');
      await zdb.close();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const zdbBinary = process.env['ZDB_REFERENCE_BIN'] ?? '/work/ref/bin/zdb';
const zdbMissing = !existsSync(zdbBinary);

describe('against the reference 0-db binary', { skip: zdbMissing ? `no 0-db binary at ${zdbBinary} (set ZDB_REFERENCE_BIN)` : false }, () => {
  let dir: string;
  let port: number;
  let server: ServerProcess;
  let admin: ZdbClient;
  const start = () => startProcess(zdbBinary, ['--listen', '127.0.0.1', '--port', String(port), '--data', join(dir, 'data'), '--index', join(dir, 'index'), '--admin', 'adminpw'], port);
  const endpoint = () => ({ host: '127.0.0.1', port });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zdb-ref-'));
    port = await freePort();
    server = await start();
    admin = await ZdbClient.connect(endpoint(), options({ adminPassword: 'adminpw' }));
  });
  after(async () => {
    admin.destroy();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('namespaces: NSNEW, NSSET, NSLIST, NSINFO, secure and plain SELECT', async () => {
    // Goal: admin and namespace commands decode. Method: create a protected namespace, select it both ways.
    await admin.nsnew('users');
    await admin.nsset('users', 'password', 'secret');
    await admin.nsset('users', 'public', false);
    assert.deepEqual((await admin.nslist()).sort(), ['default', 'users']);
    const info = await admin.nsinfo('users');
    assert.equal(info.name, 'users');
    assert.equal(info.password, true);
    assert.equal(info.public, false);
    assert.equal(info.mode, 'userkey');
    await rejectsWith(ZdbClient.connect(endpoint(), options({ namespace: 'users', password: 'wrong' })), ZdbError.CONNECT_FAILED);
    const plain = await ZdbClient.connect(endpoint(), options({ namespace: 'users', password: 'secret', secure: false }));
    assert.deepEqual(await plain.set('k', 'v'), Buffer.from('k'));
    await plain.close();
    const other = await ZdbClient.connect(endpoint(), options());
    await rejectsWith(other.select('users'), ZdbError.SERVER_ERROR);
    await other.select('users', { password: 'secret' });
    assert.equal((await other.get('k'))?.toString(), 'v');
    await rejectsWith(other.nsnew('nope'), ZdbError.SERVER_ERROR);
    await other.auth('adminpw', { secure: false });
    await other.nsnew('other');
    await other.nsdel('other');
    await other.close();
  });

  test('user-key commands: SET, GET, MGET, DEL, EXISTS, CHECK, LENGTH, KEYTIME, KEYCUR, SCAN, RSCAN, HISTORY', async () => {
    // Goal: every data command decodes against real 0-db. Method: one namespace, known contents.
    await admin.nsnew('data');
    const zdb = await ZdbClient.connect(endpoint(), options({ namespace: 'data' }));
    assert.deepEqual(await zdb.set('a', 'one'), Buffer.from('a'));
    assert.equal(await zdb.set('a', 'one'), null, 'unchanged value: not written again');
    await zdb.set('a', 'two');
    await zdb.set(Buffer.from([0, 13, 10]), 'binary');
    await zdb.set('c', 'three');
    assert.deepEqual(await zdb.mget(['a', 'zz', 'c']), [Buffer.from('two'), null, Buffer.from('three')]);
    assert.equal(await zdb.exists('a'), true);
    assert.equal(await zdb.exists('zz'), false);
    assert.equal(await zdb.check('a'), true);
    assert.equal(await zdb.check('zz'), null);
    assert.equal(await zdb.length('a'), 3);
    assert.equal(await zdb.length('zz'), null);
    assert.ok(Math.abs((await zdb.keyTime('a'))! - Date.now() / 1000) < 60);
    assert.equal(await zdb.keyTime('zz'), null);
    assert.equal(await zdb.dbsize(), 3);
    const forward = [];
    for await (const entry of zdb.keys()) forward.push(entry.key.toString('latin1'));
    assert.deepEqual(forward, ['a', '\x00\r\n', 'c']);
    const backward = [];
    for await (const entry of zdb.keys({ reverse: true })) backward.push(entry.key.toString('latin1'));
    assert.deepEqual(backward, ['c', '\x00\r\n', 'a']);
    const page = await zdb.scan();
    assert.ok(page !== null && page.entries[0]!.sizeBytes === 3);
    assert.equal((await zdb.scanx())?.entries[0]?.key.toString(), 'a');
    const cursor = await zdb.keyCur('c');
    assert.ok(cursor !== null);
    assert.equal(await zdb.keyCur('zz'), null);
    assert.equal(await zdb.scan(cursor), null, 'nothing after the last key');
    const latest = await zdb.history('a');
    assert.equal(latest?.value?.toString(), 'two');
    assert.ok(latest !== null && latest.cursor !== null);
    const previous = await zdb.history('a', latest.cursor);
    assert.equal(previous?.value?.toString(), 'one');
    assert.equal(await zdb.del('a'), true);
    assert.equal(await zdb.del('a'), false);
    assert.equal(await zdb.get('a'), null);
    assert.match(await zdb.info(), /server_name: 0-db/);
    await zdb.close();
  });

  test('sequential mode: SET with no key returns 8-byte little-endian ids', async () => {
    // Goal: seq ids decode. Method: a seq namespace, three SETs, then GET by id.
    await admin.nsnew('seq');
    await admin.nsset('seq', 'mode', 'seq');
    const zdb = await ZdbClient.connect(endpoint(), options({ namespace: 'seq' }));
    const ids = [await zdb.set(null, 'first'), await zdb.set(null, 'second'), await zdb.set(null, 'third')];
    assert.deepEqual(ids.map((id) => seqIdToNumber(id!)), [0, 1, 2]);
    assert.equal((await zdb.get(numberToSeqId(1)))?.toString(), 'second');
    assert.equal((await zdb.nsinfo('seq')).mode, 'sequential');
    await zdb.close();
  });

  test('WAIT returns the command another client ran, or null after its timeout', async () => {
    // Goal: the blocking command decodes both ways. Method: two clients on one namespace.
    await admin.nsnew('events');
    const waiter = await ZdbClient.connect(endpoint(), options({ namespace: 'events' }));
    const writer = await ZdbClient.connect(endpoint(), options({ namespace: 'events' }));
    assert.equal(await waiter.wait('SET', 100), null);
    const woken = waiter.wait('SET', 5_000);
    await sleep(50);
    await writer.set('k', 'v');
    assert.equal(await woken, 'SET');
    await waiter.close();
    await writer.close();
  });

  test('FLUSH is accepted on a private protected namespace only', async () => {
    // Goal: FLUSH decodes both ways. Method: 0-db refuses it on public namespaces. (v2.0.7 answers
    // +OK but its running process still serves the old keys, so contents are not checked here.)
    await admin.nsnew('flushable');
    await admin.nsset('flushable', 'password', 'pw');
    const zdb = await ZdbClient.connect(endpoint(), options({ namespace: 'flushable', password: 'pw' }));
    const refused = await rejectsWith(zdb.flush(), ZdbError.SERVER_ERROR);
    assert.equal(refused.detail, 'Flushing public namespace denied');
    await admin.nsset('flushable', 'public', false);
    await zdb.flush();
    await zdb.close();
  });

  test('after a 0-db restart the client re-authenticates and re-selects with SECURE', async () => {
    // Goal: the session survives a restart. Method: a protected namespace on disk, kill and
    // restart 0-db on the same directories, then read through the same client.
    await admin.nsnew('durable');
    await admin.nsset('durable', 'password', 'pw');
    await admin.nsset('durable', 'public', false);
    const zdb = await ZdbClient.connect(endpoint(), options({ namespace: 'durable', password: 'pw', adminPassword: 'adminpw' }));
    await zdb.set('kept', 'across restarts');
    await server.stop();
    server = await start();
    assert.equal((await zdb.get('kept'))?.toString(), 'across restarts');
    await zdb.nsnew('made-after-restart'); // admin again
    await zdb.close();
  });
});

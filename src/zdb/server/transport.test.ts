// The server as clients meet it: binary-safe keys and values, ioredis pipelines of thousands of
// commands, many concurrent clients (with group commit), unix sockets, redis-cli, data that
// survives restarts through many file rotations, clean shutdown, and the protocol-level errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, type Socket } from 'node:net';
import { createLogger } from '../../base/index.ts';
import { openTestZdb, tempDir as newEngineDir } from '../engine/testing.ts';
import { startZdbServer } from './server.ts';
import { Redis } from 'ioredis';
import { prng } from '../engine/testing.ts';
import { RespProbe, ask, askBuffer, ioredisOptions, removeDir, startOurZdb, tempDir, testSeed, withSeed, type ProbeTarget, type ZdbProcess } from './testing.ts';

const run = promisify(execFile);

async function connected(target: ProbeTarget): Promise<Redis> {
  const redis = new Redis(ioredisOptions(target));
  await redis.connect();
  return redis;
}

function randomBytes(random: () => number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

test('binary keys and values (NUL, CR LF, every byte) round-trip exactly, alone and through MGET', async () => {
  // Goal: keys and values are binary-safe; method: 200 seeded random keys and values (with NUL, CR, LF, up to 70 KB) are written and read back via ioredis Buffers.
  const { seed, label } = testSeed();
  const random = prng(seed);
  const server = await startOurZdb();
  const r = await connected({ port: server.port });
  try {
    await withSeed(label, async () => {
      const model = new Map<string, Buffer>();
      for (let i = 0; i < 200; i++) {
        const key = Buffer.concat([Buffer.from([i & 0xff, 13, 10, 0]), randomBytes(random, Math.floor(random() * 251))]);
        const length = random() < 0.1 ? 60_000 + Math.floor(random() * 10_000) : Math.floor(random() * 300);
        const value = randomBytes(random, length);
        assert.deepEqual(await askBuffer(r, 'SET', key, value), key);
        model.set(key.toString('latin1'), value);
      }
      for (const [key, value] of model) assert.deepEqual(await askBuffer(r, 'GET', Buffer.from(key, 'latin1')), value);
      const keys = [...model.keys()].slice(0, 50).map((key) => Buffer.from(key, 'latin1'));
      assert.deepEqual(await askBuffer(r, 'MGET', ...keys), keys.map((key) => model.get(key.toString('latin1'))));
      assert.equal(await ask(r, 'DBSIZE'), model.size);
    });
  } finally {
    r.disconnect();
    await server.stop();
    removeDir(server.dir);
  }
});

test('an ioredis pipeline of 10,000 commands is answered in order', async () => {
  // Goal: pipelined commands are answered in order; method: one ioredis pipeline of 10,000 SET/GET/EXISTS, then a raw 2,000-command pipeline mixing errors.
  const server = await startOurZdb();
  const r = await connected({ port: server.port });
  try {
    const pipeline = r.pipeline();
    for (let i = 0; i < 5000; i++) pipeline.call('SET', `key-${i}`, `value-${i}`.repeat(1 + (i % 5)));
    for (let i = 0; i < 5000; i++) pipeline.call(i % 2 === 0 ? 'GET' : 'EXISTS', `key-${i}`);
    const results = (await pipeline.exec())!;
    assert.equal(results.length, 10_000);
    results.forEach(([error, value], i) => {
      assert.equal(error, null);
      if (i < 5000) assert.equal(value, `key-${i}`);
      else assert.equal(value, i % 2 === 0 ? `value-${i - 5000}`.repeat(1 + ((i - 5000) % 5)) : 1, `reply ${i}`);
    });
    // raw pipelining too: one write with 2,000 commands, errors interleaved
    const probe = await RespProbe.connect({ port: server.port });
    const commands = Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? ['GET', `key-${i}`] : i % 3 === 1 ? ['NOPE'] : ['DEL', `missing-${i}`]));
    const replies = await probe.pipeline(commands);
    replies.forEach((reply, i) => {
      const expected = i % 3 === 0 ? `$${`value-${i}`.repeat(1 + (i % 5)).length}\r\n${`value-${i}`.repeat(1 + (i % 5))}\r\n` : i % 3 === 1 ? '-Command not supported\r\n' : '-Key not found\r\n';
      assert.equal(reply.toString(), expected, `reply ${i}`);
    });
    probe.close();
  } finally {
    r.disconnect();
    await server.stop();
    removeDir(server.dir);
  }
});

test('60 concurrent clients with --sync (group commit) each read back their own writes', async () => {
  // Goal: group commit never mixes up replies between clients; method: 60 ioredis clients write, delete and read their own seeded keys at once under --sync.
  const { seed, label } = testSeed();
  const server = await startOurZdb({ args: ['--sync'] });
  const clients = await Promise.all(Array.from({ length: 60 }, () => connected({ port: server.port })));
  try {
    await withSeed(label, async () => {
      await Promise.all(clients.map(async (r, c) => {
        const random = prng(seed + c);
        const model = new Map<string, string>();
        for (let i = 0; i < 60; i++) {
          const key = `c${c}-k${Math.floor(random() * 20)}`;
          if (random() < 0.2 && model.has(key)) {
            assert.equal(await ask(r, 'DEL', key), 'OK');
            model.delete(key);
          } else {
            const value = `c${c}-${i}-`.repeat(1 + Math.floor(random() * 50));
            assert.equal(await ask(r, 'SET', key, value), key);
            model.set(key, value);
          }
          if (i % 10 === 0) assert.equal(await ask(r, 'GET', key), model.get(key) ?? null);
        }
        for (const [key, value] of model) assert.equal(await ask(r, 'GET', key), value);
        const pipeline = r.pipeline();
        for (const key of model.keys()) pipeline.call('GET', key);
        assert.deepEqual((await pipeline.exec())!.map(([, value]) => value), [...model.values()]);
      }));
      assert.match((await ask(clients[0]!, 'INFO')) as string, /\nclients_lifetime: 60\n/);
    });
  } finally {
    for (const r of clients) r.disconnect();
    await server.stop();
    removeDir(server.dir);
  }
});

test('--socket serves a unix socket only; --dualnet serves it and TCP; redis-cli works on both', async (t) => {
  // Goal: unix sockets work alone and with --dualnet, and redis-cli is a working client; method: write over one transport, restart, read over the others.
  const dir = tempDir('tfgrid-zdb-sock-');
  const path = join(dir, 'zdb.sock');
  const server = await startOurZdb({ args: ['--socket', path] });
  let dual: ZdbProcess | undefined;
  try {
    assert.equal(server.port, 0, 'no TCP listener without --dualnet');
    const r = await connected({ path });
    assert.equal(await ask(r, 'SET', 'over', 'unix'), 'over');
    assert.equal(await ask(r, 'GET', 'over'), 'unix');
    r.disconnect();
    await server.stop();
    dual = await startOurZdb({ dir: server.dir, args: ['--socket', path, '--dualnet'] });
    assert.ok(dual.port > 0);
    const viaTcp = await connected({ port: dual.port });
    const viaUnix = await connected({ path });
    assert.equal(await ask(viaTcp, 'GET', 'over'), 'unix', 'data survived the restart');
    assert.equal(await ask(viaUnix, 'SET', 'both', 'ways'), 'both');
    assert.equal(await ask(viaTcp, 'GET', 'both'), 'ways');
    viaTcp.disconnect();
    viaUnix.disconnect();
    const cli = await run('redis-cli', ['-v']).catch(() => null);
    if (cli === null) {
      t.diagnostic('redis-cli not installed (Debian redis-tools): its checks are skipped');
      return;
    }
    const tcp = ['-h', '127.0.0.1', '-p', String(dual.port)];
    assert.equal((await run('redis-cli', [...tcp, 'PING'])).stdout, 'PONG\n');
    assert.equal((await run('redis-cli', [...tcp, 'SET', 'cli', 'hello world'])).stdout, 'cli\n');
    assert.equal((await run('redis-cli', ['-s', path, 'GET', 'cli'])).stdout, 'hello world\n');
    assert.match((await run('redis-cli', [...tcp, 'DEL', 'nope'])).stdout, /^(\(error\) )?Key not found\n/);
    assert.equal((await run('redis-cli', [...tcp, '--no-raw', 'MGET', 'cli', 'nope'])).stdout, '1) "hello world"\n2) (nil)\n');
  } finally {
    await server.stop();
    await dual?.stop();
    removeDir(server.dir);
    removeDir(dir);
  }
});

test('--datasize 524288 with ~100 KB values: many rotations, every key and its history survive SIGTERM and SIGKILL restarts', async () => {
  // Goal: data and history survive restarts across many file rotations; method: 240 seeded writes of 50-150 KB values (user and seq) at --datasize 524288, read back after SIGTERM and after SIGKILL.
  const { seed, label } = testSeed();
  const random = prng(seed);
  const args = ['--datasize', '524288'];
  let server = await startOurZdb({ args });
  const dir = server.dir;
  try {
    await withSeed(label, async () => {
      let r = await connected({ port: server.port });
      assert.equal(await ask(r, 'NSNEW', 'sq'), 'OK');
      assert.equal(await ask(r, 'NSSET', 'sq', 'mode', 'seq'), 'OK');
      const model = new Map<string, Buffer>();
      const previous = new Map<string, Buffer>();
      const seqValues: Buffer[] = [];
      for (let i = 0; i < 240; i++) {
        const key = `key-${Math.floor(random() * 70)}`;
        if (random() < 0.1 && model.has(key)) {
          assert.equal(await ask(r, 'DEL', key), 'OK');
          model.delete(key);
          previous.delete(key);
          continue;
        }
        const value = randomBytes(random, 50_000 + Math.floor(random() * 100_000));
        assert.equal(await ask(r, 'SET', key, value), key);
        if (model.has(key)) previous.set(key, model.get(key)!);
        model.set(key, value);
        if (i % 8 === 0) {
          await ask(r, 'SELECT', 'sq');
          const seqValue = randomBytes(random, 80_000 + Math.floor(random() * 40_000));
          assert.deepEqual(await askBuffer(r, 'SET', '', seqValue), idBytes(seqValues.length));
          seqValues.push(seqValue);
          await ask(r, 'SELECT', 'default');
        }
      }
      const files = readdirSync(join(server.dataDir, 'default')).filter((name) => /^d\d+$/.test(name)).length;
      assert.ok(files >= 30, `many rotations (${files} data files)`);
      const verify = async (when: string): Promise<void> => {
        for (const [key, value] of model) assert.deepEqual(await askBuffer(r, 'GET', key), value, `${key} ${when}`);
        for (const [key, value] of previous) {
          const history = (await askBuffer(r, 'HISTORY', key)) as [Buffer, Buffer, Buffer];
          assert.deepEqual(history[2], model.get(key), `HISTORY ${key} ${when}`);
          assert.deepEqual(((await askBuffer(r, 'HISTORY', key, history[0])) as Buffer[])[2], value, `HISTORY ${key} parent ${when}`);
        }
        assert.equal(await ask(r, 'DBSIZE'), model.size, when);
        assert.match((await ask(r, 'NSINFO', 'default')) as string, new RegExp(`\\ndata_current_id: ${files - 1}\\n`));
        await ask(r, 'SELECT', 'sq');
        for (const [n, value] of seqValues.entries()) assert.deepEqual(await askBuffer(r, 'GET', idBytes(n)), value, `seq id ${n} ${when}`);
        await ask(r, 'SELECT', 'default');
      };
      await verify('before restart');
      r.disconnect();
      assert.equal(await server.stop(), 0, 'SIGTERM: clean exit');
      server = await startOurZdb({ dir, args });
      r = await connected({ port: server.port });
      await verify('after SIGTERM and restart');
      r.disconnect();
      await server.kill();
      server = await startOurZdb({ dir, args });
      r = await connected({ port: server.port });
      await verify('after SIGKILL and restart');
      r.disconnect();
      // The kill -9 left the .lockfile of a dead pid: replacing it is the one expected warning.
      const stderr = server.stderr().replace(/^.*"msg":"replaced a stale lock file.*\n/gm, '');
      assert.doesNotMatch(stderr, /"level":"(warn|error)"/, 'a clean directory loads without warnings');
    });
  } finally {
    await server.stop();
    removeDir(dir);
  }
});

function idBytes(n: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(n));
  return bytes;
}

test('SIGINT and SIGTERM shut down cleanly: exit code 0, "stopped" logged, acknowledged writes kept', async () => {
  // Goal: SIGINT and SIGTERM stop the server cleanly without losing acknowledged writes; method: signal it with writes in flight, check the exit code and log, restart and read.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const server = await startOurZdb({ args: ['--sync'] });
    let restarted: ZdbProcess | undefined;
    try {
      const probe = await RespProbe.connect({ port: server.port });
      const acknowledged = await probe.pipeline(Array.from({ length: 200 }, (_, i) => ['SET', `k${i}`, `v${i}`]));
      assert.ok(acknowledged.every((reply, i) => reply.toString() === `$${`k${i}`.length}\r\nk${i}\r\n`));
      const inFlight = probe.pipeline(Array.from({ length: 200 }, (_, i) => ['SET', `late${i}`, 'v'])).then((all) => all.length, () => -1);
      const exited = new Promise<number | null>((resolve) => server.process.once('exit', resolve));
      server.process.kill(signal);
      assert.equal(await exited, 0, `${signal}: exit code`);
      assert.ok([200, -1].includes(await inFlight), 'in-flight commands are answered or the connection is closed');
      assert.match(server.stderr(), /"msg":"stopped"/);
      restarted = await startOurZdb({ dir: server.dir });
      const check = await RespProbe.connect({ port: restarted.port });
      const values = await check.pipeline(Array.from({ length: 200 }, (_, i) => ['GET', `k${i}`]));
      assert.ok(values.every((reply, i) => reply.toString() === `$${`v${i}`.length}\r\nv${i}\r\n`), `${signal}: acknowledged writes survive`);
      check.close();
    } finally {
      await restarted?.stop();
      removeDir(server.dir);
    }
  }
});

test('ioredis 6 with its defaults (HELLO 3 first) connects and falls back to RESP2', async () => {
  // Goal: a stock ioredis 6 client connects; method: connect with its defaults (RESP3 handshake first) and PING.
  const server = await startOurZdb();
  const redis = new Redis({ host: '127.0.0.1', port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
  } finally {
    redis.disconnect();
    await server.stop();
    removeDir(server.dir);
  }
});

test('protocol errors answer 0-db v2.0.7\'s texts where 0-db has one; inline commands and *0 are served as Redis does', async () => {
  // Goal: protocol-level replies follow 0-db (ZDB_SPEC 2.1) except the documented differences; method: send each frame on its own connection.
  const server = await startOurZdb();
  try {
    const cases: [string, string][] = [
      ['*2000\r\n', '-Too many arguments\r\n'], ['*1\r\n:4\r\n', '-Malformed query string\r\n'], ['*1\r\n$9000000\r\n', '-Payload too big\r\n'],
      // Deliberate differences (src/zdb/README.md): inline commands work (telnet, redis-benchmark PING_INLINE); *0 is skipped.
      ['PING\r\n', '+PONG\r\n'], ['*0\r\n*1\r\n$4\r\nPING\r\n', '+PONG\r\n'], ['*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', '-NOPROTO sorry, this protocol version is not supported\r\n'],
    ];
    const actual: string[] = [];
    for (const [bytes] of cases) {
      const probe = await RespProbe.connect({ port: server.port });
      await probe.send(bytes);
      actual.push(await probe.reply(1000).then((reply) => reply.toString(), (error: Error) => error.message));
      probe.close();
    }
    assert.deepEqual(actual, cases.map(([, reply]) => reply));
  } finally {
    await server.stop();
    removeDir(server.dir);
  }
});

test('close() ends while a refused client (over the connection limit) and a client that reads nothing stay connected', async () => {
  const { dir, cleanup } = newEngineDir();
  const z = await openTestZdb(dir);
  const server = await startZdbServer({ executor: z.zdb, tcp: { host: '127.0.0.1', port: 0 }, sync: false, log: createLogger({ component: 'zdb', level: 'silent' }), connectionsMax: 1 });
  const port = server.tcpAddress!.port;
  const open = (): Promise<Socket> => new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket)).on('error', reject);
  });
  const first = await open();
  first.pause(); // reads nothing
  first.write(Buffer.from('*1\r\n$4\r\nPING\r\n'.repeat(50_000)));
  const refused = await open();
  const refusal = await new Promise<string>((resolve) => refused.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  assert.equal(refusal, '-Too many connections\r\n');
  try {
    const started = performance.now();
    await server.close();
    assert.ok(performance.now() - started < 20_000);
  } finally {
    first.destroy();
    refused.destroy();
    await z.close();
    cleanup();
  }
});

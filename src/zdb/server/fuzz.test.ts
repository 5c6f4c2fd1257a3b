// Fuzzing a `tfgrid zdb` process over real sockets: random bytes, mutated RESP frames, oversized
// bulk lengths and array counts, inline garbage, and well-formed commands with wrong arity, wrong
// types, unknown names and very long keys, from many connections at once for a few seconds.
// Afterwards the process must be alive, answer PING and still serve a known key; every reply must
// have been valid RESP, and no command may have failed inside the server (an error log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { prng } from '../engine/testing.ts';
import { RespProbe, decodeReply, encodeCommand, removeDir, replyEnd, startOurZdb, testSeed, withSeed, type ZdbProcess } from './testing.ts';

type Random = () => number;
const int = (random: Random, below: number): number => Math.floor(random() * below);
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, items.length)]!;

const FUZZ_MS = 3000;
const MIB = 1024 * 1024;

const commandNames = [
  'PING', 'TIME', 'AUTH', 'SET', 'SETX', 'GET', 'MGET', 'DEL', 'EXISTS', 'CHECK', 'SCAN', 'SCANX', 'RSCAN', 'HISTORY', 'KEYCUR', 'LENGTH', 'KEYTIME',
  'INFO', 'DBSIZE', 'NSNEW', 'NSDEL', 'NSLIST', 'NSINFO', 'NSSET', 'NSJUMP', 'SELECT', 'RELOAD', 'FLUSH', 'HOOKS', 'INDEX', 'DATA', '*',
  'STOP', // refused: fuzzing connections are not admin, or (admin connections) never pick it
];

function randomBytes(random: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = int(random, 256);
  return bytes;
}

/** Arguments that reach deep into the handlers: names, properties, numbers, cursors, oversized keys. */
function randomArg(random: Random): Buffer {
  const words = ['', 'x', 'k1', 'k2', 'default', 'fz', 'fz2', 'SECURE', 'secure', 'CHALLENGE', 'DIRTY', 'RESET', 'RAW', '0', '1', '-1', '28', '100',
    '4294967296', '99999999999999999999', 'user', 'seq', 'maxsize', 'password', 'public', 'worm', 'mode', 'lock', 'freeze', '*', 'pw', 'a'.repeat(40)];
  switch (int(random, 8)) {
    case 0: return randomBytes(random, int(random, 20));
    case 1: return randomBytes(random, 17);
    case 2: return random() < 0.5 ? Buffer.alloc(8) : randomBytes(random, 8);
    case 3: return Buffer.alloc(256 + int(random, 2000), 0x6b); // over the 255-byte key limit
    case 4: return random() < 0.1 ? randomBytes(random, 100_000) : randomBytes(random, 300);
    default: return Buffer.from(pick(random, words));
  }
}

function randomCommand(random: Random, admin: boolean): Buffer[] {
  let name = pick(random, commandNames);
  if (admin && name === 'STOP') name = 'PING';
  if (random() < 0.1) name = name.toLowerCase();
  if (random() < 0.05) name = `${name}${pick(random, ['X', '_', ' ', '\0'])}`; // unknown
  return [Buffer.from(name), ...Array.from({ length: int(random, 6) }, () => randomArg(random))];
}

/** Garbage: random bytes, mutated valid frames, oversized lengths and counts, inline lines. */
function garbage(random: Random): { bytes: Buffer; kind: string } {
  switch (int(random, 7)) {
    case 0: return { bytes: randomBytes(random, 1 + int(random, 300)), kind: 'random bytes' };
    case 1: {
      const frame = encodeCommand(randomCommand(random, false));
      for (let n = 1 + int(random, 4); n > 0; n--) {
        const at = int(random, frame.length);
        if (random() < 0.5) frame[at] = int(random, 256);
        else frame[at] = pick(random, [0x2a, 0x24, 0x0d, 0x0a, 0x2d, 0x30, 0x39, 0x3a]); // * $ CR LF - 0 9 :
      }
      return { bytes: random() < 0.3 ? frame.subarray(0, int(random, frame.length)) : frame, kind: 'mutated frame' };
    }
    case 2: {
      const length = pick(random, [8 * MIB + 64 * 1024 + 1, 9 * MIB, 2 ** 31, 2 ** 32 + 5, 2 ** 53, 1e30, -2]);
      return { bytes: Buffer.from(`*2\r\n$3\r\nSET\r\n$${length}\r\nxxxx`), kind: 'oversized bulk' };
    }
    case 3: return { bytes: Buffer.from(`*${pick(random, [1025, 1024 * 1024 + 1, 2 ** 31, 1e20])}\r\n$4\r\nPING\r\n`), kind: 'huge array count' };
    case 4: {
      const line = Array.from({ length: 1 + int(random, 6) }, () => pick(random, ['PING', 'SET', 'GET', '"unbalanced', "'q", 'k\\x4', '\t', 'a b c'])).join(' ');
      return { bytes: Buffer.from(`${line}\r\n`), kind: 'inline' };
    }
    case 5: return { bytes: Buffer.concat([Buffer.from('GET '), Buffer.alloc(70 * 1024, 0x61)]), kind: 'long inline line' };
    default: return { bytes: Buffer.from(`*${pick(random, ['1', '-7', '0', 'x'])}\r\n${pick(random, [':4', '+OK', '-ERR', '*1', '$abc', '$-1', '$99999999999999999999'])}\r\n`), kind: 'bad element' };
  }
}

/** Every byte the server sent must be a sequence of whole RESP2 replies. */
function assertValidReplies(bytes: Buffer, context: string): void {
  for (let at = 0; at < bytes.length; ) {
    let end: number;
    try {
      end = replyEnd(bytes, at);
    } catch (error) {
      assert.fail(`${context}: the server sent bytes that are not RESP2: ${(error as Error).message}`);
    }
    assert.ok(end > at, `${context}: the server sent a partial reply: ${JSON.stringify(bytes.toString('latin1', at, at + 60))}`);
    at = end;
  }
}

/** Sends garbage on a fresh connection, half-closes it, and collects what the server answers until it closes. */
async function sendGarbage(server: ZdbProcess, bytes: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server kept a half-closed connection open for 5 s'));
    }, 5000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after the server closed is fine
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.end(bytes);
  });
}

async function garbageWorker(server: ZdbProcess, random: Random, deadline: number, counts: Map<string, number>): Promise<void> {
  while (Date.now() < deadline) {
    const { bytes, kind } = garbage(random);
    const answer = await sendGarbage(server, bytes);
    assertValidReplies(answer, `${kind} ${JSON.stringify(bytes.toString('latin1', 0, 60))}`);
    if (kind === 'oversized bulk' || kind === 'huge array count' || kind === 'long inline line') {
      assert.match(answer.toString('latin1'), /^-[^\r\n]+\r\n$/, `${kind}: one error reply, then the server closes`);
    }
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
}

/** Well-formed commands in pipelined batches on a long-lived connection: every one is answered, the connection survives. */
async function commandWorker(server: ZdbProcess, random: Random, deadline: number, admin: boolean, counts: Map<string, number>): Promise<void> {
  let probe = await RespProbe.connect({ port: server.port });
  if (admin) assert.equal(await probe.call('AUTH', 'fuzz-admin'), 'OK');
  while (Date.now() < deadline) {
    const batch = Array.from({ length: 1 + int(random, 40) }, () => randomCommand(random, admin));
    const replies = await probe.pipeline(batch).catch((error: Error) => {
      // NSDEL of the namespace this connection uses closes it, as in 0-db; anything else is a failure.
      assert.ok(probe.isClosed, `pipeline failed without a close: ${error.message}`);
      return null;
    });
    if (replies === null) {
      probe = await RespProbe.connect({ port: server.port });
      if (admin) assert.equal(await probe.call('AUTH', 'fuzz-admin'), 'OK');
      counts.set('reconnects', (counts.get('reconnects') ?? 0) + 1);
      continue;
    }
    replies.forEach((reply, i) => {
      const name = batch[i]![0]!.toString('latin1');
      const value = decodeReply(reply);
      if (!commandNames.includes(name.toUpperCase())) assert.equal(reply.toString(), '-Command not supported\r\n', `unknown command ${JSON.stringify(name)}`);
      const key = batch[i]![1];
      if (['GET', 'EXISTS', 'LENGTH', 'KEYTIME', 'CHECK'].includes(name.toUpperCase()) && batch[i]!.length === 2 && key !== undefined && key.length > 255) {
        assert.match(reply.toString(), /^-(Invalid key|Namespace is temporarily frozen \(read-write disabled\))\r\n$/, `${name} with a ${key.length}-byte key`);
      }
      assert.ok(value !== undefined);
    });
    counts.set(admin ? 'admin commands' : 'commands', (counts.get(admin ? 'admin commands' : 'commands') ?? 0) + batch.length);
  }
  probe.close();
}

test('fuzzing over sockets for 3 s: garbage and malformed frames get an error and a close, commands an answer; the server survives', async () => {
  // Goal: no input crashes or wedges the server; method: 8 garbage senders and 6 command senders (2 of them admin) run for 3 s with seeded random frames, then the server must still answer correctly and have logged no failure.
  const { seed, label } = testSeed();
  const server = await startOurZdb({ args: ['--admin', 'fuzz-admin'] });
  const counts = new Map<string, number>();
  try {
    await withSeed(label, async () => {
      const setup = await RespProbe.connect({ port: server.port });
      assert.deepEqual(await setup.call('SET', 'known', 'survivor'), Buffer.from('known'));
      setup.close();
      const deadline = Date.now() + FUZZ_MS;
      await Promise.all([
        ...Array.from({ length: 8 }, (_, w) => garbageWorker(server, prng(seed + w), deadline, counts)),
        ...Array.from({ length: 4 }, (_, w) => commandWorker(server, prng(seed + 100 + w), deadline, false, counts)),
        ...Array.from({ length: 2 }, (_, w) => commandWorker(server, prng(seed + 200 + w), deadline, true, counts)),
      ]);
      assert.equal(server.process.exitCode, null, 'the server process is alive');
      const after = await RespProbe.connect({ port: server.port });
      assert.equal((await after.command('PING')).toString(), '+PONG\r\n');
      assert.equal(await after.call('AUTH', 'fuzz-admin'), 'OK');
      assert.equal(await after.call('NSSET', 'default', 'lock', '0'), 'OK', 'undo a lock or freeze the fuzzer may have set');
      assert.deepEqual(await after.call('GET', 'known'), Buffer.from('survivor'));
      after.close();
      const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
      assert.ok(total > 2000, `thousands of frames were sent (${JSON.stringify(Object.fromEntries(counts))})`);
      const failures = server.stderr().split('\n').filter((line) => line.includes('"level":"error"'));
      assert.deepEqual(failures, [], 'no command failed inside the server');
    });
  } finally {
    if (process.env['FUZZ_STATS']) console.log(JSON.stringify(Object.fromEntries(counts)));
    await server.stop();
    removeDir(server.dir);
  }
});

test('frames just over the limits: an 8 MiB + 1 value is refused with "Payload too big", exactly 8 MiB is stored', async () => {
  // Goal: the 8 MiB value limit holds at its edge; method: SET exactly 8 MiB, then 8 MiB + 1, then some malformed WAITs.
  const server = await startOurZdb();
  try {
    const probe = await RespProbe.connect({ port: server.port });
    const exact = Buffer.alloc(8 * MIB, 0x61);
    assert.equal((await probe.command('SET', 'eight', exact)).toString(), '$5\r\neight\r\n');
    assert.equal((await probe.command('LENGTH', 'eight')).toString(), `:${8 * MIB}\r\n`);
    const over = Buffer.alloc(8 * MIB + 1, 0x62);
    assert.equal((await probe.command('SET', 'over', over).catch(() => Buffer.from('(closed)'))).toString(), '-Payload too big\r\n');
    const again = await RespProbe.connect({ port: server.port });
    assert.equal((await again.command('EXISTS', 'over')).toString(), ':0\r\n');
    assert.equal((await again.command('WAIT', 'NOPE')).toString(), '-Unknown command to watch\r\n');
    assert.equal((await again.command('WAIT', 'SET', '1'.repeat(17))).toString(), '-Invalid timeout\r\n');
    assert.equal((await again.command('WAIT', 'SET', '5', 'x')).toString(), '-Invalid arguments\r\n');
    probe.close();
    again.close();
  } finally {
    await server.stop();
    removeDir(server.dir);
  }
});

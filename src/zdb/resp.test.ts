// RESP2 codec: golden bytes, every split of the input, limits, and seeded fuzzing.
// Replay a fuzz failure with the printed seed: SEED=<n> node --test src/zdb/resp.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RequestParser,
  ReplyParser,
  RespWriter,
  RespError,
  RespFault,
  encodeCommand,
  encodeReply,
  splitInlineArgs,
  type RequestParserOptions,
  type ReplyParserOptions,
  type RespReply,
  type RespValue,
} from './resp.ts';
import { prng, seedFromEnv } from '../base/testing.ts';

const seedBase = seedFromEnv();

/** Runs `body` with a seeded PRNG and names the seed if it fails. */
function withSeed(name: string, body: (random: () => number) => void): void {
  const seed = (seedBase + [...name].reduce((sum, ch) => sum + ch.charCodeAt(0), 0)) >>> 0;
  try {
    body(prng(seed));
  } catch (error) {
    const replay = `replay with SEED=${seedBase} (stream seed ${seed})`;
    if (error instanceof Error) error.message = `${error.message}\n${replay}`;
    throw error;
  }
}

const bytes = (text: string) => Buffer.from(text, 'latin1');

interface RequestOutcome {
  commands: string[][];
  fault: string | null;
}

/** Feeds `chunks` one at a time, draining after each; checks the parser stays dead after a fault.
 *  Does it twice, with owned chunks (feed) and with one reused read buffer (feedBorrowed, as the
 *  server does), scribbled over after every settle(): both must give the same outcome. */
function parseRequests(chunks: readonly Uint8Array[], options?: RequestParserOptions): RequestOutcome {
  const owned = parseRequestsAs('owned', chunks, options);
  assert.deepEqual(parseRequestsAs('borrowed', chunks, options), owned, 'borrowed input parses as owned input');
  return owned;
}

function parseRequestsAs(input: 'owned' | 'borrowed', chunks: readonly Uint8Array[], options?: RequestParserOptions): RequestOutcome {
  const parser = new RequestParser(options);
  const commands: string[][] = [];
  let fault: string | null = null;
  const totalBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const readBuffer = Buffer.alloc(Math.max(1, ...chunks.map((chunk) => chunk.length)));
  let frames = 0;
  for (const chunk of chunks) {
    if (input === 'owned') parser.feed(chunk);
    else {
      readBuffer.set(chunk);
      parser.feedBorrowed(readBuffer.subarray(0, chunk.length));
    }
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      assert.ok(++frames <= totalBytes, 'every frame consumes input');
      assert.equal(fault, null, 'nothing after a protocol error');
      if (frame.type === 'error') {
        assert.ok(Object.values(RespFault).includes(frame.fault));
        assert.match(frame.message, /^Protocol error: /);
        fault = frame.fault;
      } else {
        assert.ok(frame.args.length > 0 && frame.args.every((arg) => Buffer.isBuffer(arg)));
        commands.push(frame.args.map((arg) => arg.toString('latin1')));
      }
    }
    if (input === 'borrowed') {
      parser.settle();
      readBuffer.fill(0x2a); // the next read overwrites it: nothing may still point into it
    }
  }
  return { commands, fault };
}

function splitEvery(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += size) chunks.push(data.subarray(offset, offset + size));
  return chunks;
}

/** Asserts the outcome is the same whole, split at every offset, split at every pair of offsets
 *  (short inputs), and fed one byte at a time. Returns the outcome. */
function parseAnySplit(data: Buffer, options?: RequestParserOptions): RequestOutcome {
  const whole = parseRequests([data], options);
  for (let i = 1; i < data.length; i++) {
    assert.deepEqual(parseRequests([data.subarray(0, i), data.subarray(i)], options), whole, `split at ${i}`);
  }
  if (data.length <= 80) {
    for (let i = 1; i < data.length; i++) {
      for (let j = i + 1; j < data.length; j++) {
        assert.deepEqual(parseRequests([data.subarray(0, i), data.subarray(i, j), data.subarray(j)], options), whole, `split at ${i},${j}`);
      }
    }
  }
  assert.deepEqual(parseRequests(splitEvery(data, 1), options), whole, 'one byte at a time');
  return whole;
}

test('multibulk commands: binary-safe arguments, empty arguments, pipelining in one chunk', () => {
  // Goal: valid frames decode exactly. Method: golden inputs, every split, compared to the args.
  const data = bytes('*3\r\n$3\r\nSET\r\n$4\r\nk\r\nx\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$3\r\n\x00\xff\n\r\n');
  assert.deepEqual(parseAnySplit(data), {
    commands: [['SET', 'k\r\nx', ''], ['PING'], ['GET', '\x00\xff\n']],
    fault: null,
  });
});

test('empty and null multibulks are skipped, as Redis does', () => {
  // Goal: `*0` and `*-1` produce no command and do not desynchronise. Method: parse a mix.
  assert.deepEqual(parseAnySplit(bytes('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')), { commands: [['PING']], fault: null });
});

test('a parsed argument is a view into the fed chunk when it did not span chunks', () => {
  // Goal: the common case copies nothing. Method: compare the args' backing store with the chunk's.
  const chunk = encodeCommand(['SET', 'key', 'value']);
  const parser = new RequestParser();
  parser.feed(chunk);
  const frame = parser.next();
  assert.ok(frame !== null && frame.type === 'command');
  for (const arg of frame.args) assert.equal(arg.buffer, chunk.buffer);
  assert.equal(parser.next(), null);
  assert.equal(parser.bufferedBytes, 0);
});

test('inline commands: blanks, CRLF or LF, quotes and escapes as redis-cli sends them', () => {
  // Goal: telnet-style input works like Redis's sdssplitargs. Method: golden lines, every split.
  const data = bytes('PING\r\n\r\n  set  a\tb \n"x\\x41\\n\\"y" \'it\\\'s\' ab"c d"\r\n');
  assert.deepEqual(parseAnySplit(data), { commands: [['PING'], ['set', 'a', 'b'], ['xA\n"y', "it's", 'abc d']], fault: null });
  assert.deepEqual(splitInlineArgs(bytes('"\\xZZ" "\\q"'), 0, 11), [bytes('xZZ'), bytes('q')]);
  assert.deepEqual(splitInlineArgs(bytes('a\x00b'), 0, 3), [bytes('a')], 'NUL ends the line as in Redis');
  for (const bad of ['"abc', '"abc"d', "'abc", "'a'b", '"\\']) {
    assert.equal(splitInlineArgs(bytes(bad), 0, bad.length), null, bad);
  }
  assert.deepEqual(parseAnySplit(bytes('GET "a\r\n')), { commands: [], fault: RespFault.UNBALANCED_QUOTES });
});

test('inline lines longer than the limit are rejected however they arrive', () => {
  // Goal: a line without LF cannot grow without bound. Method: lines at and above the limit.
  const options = { inlineBytesMax: 16 };
  // The limit counts the bytes before the LF, CR included.
  assert.deepEqual(parseAnySplit(bytes(`ECHO ${'a'.repeat(10)}\r\n`), options), { commands: [['ECHO', 'a'.repeat(10)]], fault: null });
  assert.deepEqual(parseAnySplit(bytes(`ECHO ${'a'.repeat(11)}\r\n`), options).fault, RespFault.INLINE_TOO_LONG);
  const unterminated = parseRequests([bytes('x'.repeat(17))], options);
  assert.equal(unterminated.fault, RespFault.INLINE_TOO_LONG);
  assert.equal(parseRequests([bytes('x'.repeat(16))], options).fault, null, 'at the limit: wait for more');
  assert.equal(parseRequests([bytes('PING\r\n')], { inlineAllowed: false }).fault, RespFault.INLINE_DISABLED);
});

test('protocol errors carry Redis wording and a stable fault', () => {
  // Goal: each malformed header is named. Method: one bad input per fault, every split.
  const cases: [string, string, string][] = [
    ['*x\r\n', RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
    ['*\r\n', RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
    ['*1a\r\n', RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
    ['*01\r\n', RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
    ['*-0\r\n', RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
    ['*1\rx', RespFault.INVALID_MULTIBULK_LENGTH, 'Protocol error: invalid multibulk length'],
    ['*2000000\r\n', RespFault.ARRAY_TOO_LONG, 'Protocol error: invalid multibulk length'],
    ['*1\r\nx3\r\n', RespFault.EXPECTED_BULK, "Protocol error: expected '$', got 'x'"],
    ['*1\r\n\r\n', RespFault.EXPECTED_BULK, "Protocol error: expected '$', got '\\x0d'"],
    ['*1\r\n$-1\r\n', RespFault.INVALID_BULK_LENGTH, 'Protocol error: invalid bulk length'],
    ['*1\r\n$abc\r\n', RespFault.INVALID_BULK_LENGTH, 'Protocol error: invalid bulk length'],
    ['*1\r\n$1 \r\n', RespFault.INVALID_BULK_LENGTH, 'Protocol error: invalid bulk length'],
    ['*1\r\n$99999999999999999999\r\n', RespFault.BULK_TOO_LARGE, 'Protocol error: invalid bulk length'],
    ['*1\r\n$1\r\nabc', RespFault.MISSING_CRLF, 'Protocol error: expected CRLF after bulk data'],
  ];
  for (const [input, fault, message] of cases) {
    assert.equal(parseAnySplit(bytes(input)).fault, fault, input);
    const parser = new RequestParser();
    parser.feed(bytes(input));
    assert.deepEqual(parser.next(), { type: 'error', fault, message }, input);
    parser.feed(bytes('*1\r\n$4\r\nPING\r\n'));
    assert.equal(parser.next(), null, 'a parser is dead after an error');
    assert.equal(parser.bufferedBytes, 0, 'and holds no input');
  }
});

test('huge declared lengths are rejected before their data arrives', () => {
  // Goal: a peer cannot make us wait for or buffer an oversized element. Method: headers only.
  const options = { bulkBytesMax: 1024, arrayLengthMax: 8, requestBytesMax: 1500 };
  assert.equal(parseRequests([bytes('*1\r\n$1025\r\n')], options).fault, RespFault.BULK_TOO_LARGE);
  assert.equal(parseRequests([bytes('*1\r\n$10250')], options).fault, RespFault.BULK_TOO_LARGE, 'even before the CRLF');
  assert.equal(parseRequests([bytes('*1\r\n$1024\r\n')], options).fault, null, 'at the limit: wait');
  assert.equal(parseRequests([bytes('*9\r\n')], options).fault, RespFault.ARRAY_TOO_LONG);
  assert.equal(parseRequests([bytes('*8\r\n')], options).fault, null);
  const twoBulks = Buffer.concat([bytes('*2\r\n$1000\r\n'), Buffer.alloc(1000), bytes('\r\n$600\r\n')]);
  assert.equal(parseRequests([twoBulks], options).fault, RespFault.REQUEST_TOO_LARGE);
});

test('a large bulk fed in small chunks is assembled once and stays correct', () => {
  // Goal: big values across many chunks parse in linear time. Method: 8 MiB in 1 KiB chunks, timed loosely.
  const value = Buffer.alloc(8 * 1024 * 1024, 7);
  value.write('\r\n', 1000);
  const data = encodeCommand(['SET', 'big', value, 'tail']);
  const parser = new RequestParser();
  const started = Date.now();
  let frame = null;
  for (const chunk of splitEvery(data, 1024)) {
    parser.feed(chunk);
    frame = parser.next() ?? frame;
  }
  assert.ok(Date.now() - started < 5000, 'linear, not quadratic');
  assert.ok(frame !== null && frame.type === 'command');
  assert.equal(frame.args.length, 4);
  assert.ok(frame.args[2]!.equals(value));
  assert.equal(frame.args[3]!.toString(), 'tail');

  // The same through one reused 1 KiB read buffer: the value is carried, then parsed whole.
  const borrowing = new RequestParser();
  const readBuffer = Buffer.alloc(1024);
  let complete = false;
  for (const chunk of splitEvery(data, 1024)) {
    readBuffer.set(chunk);
    borrowing.feedBorrowed(readBuffer.subarray(0, chunk.length));
    const next = borrowing.next();
    if (next !== null) {
      assert.ok(next.type === 'command' && next.args[2]!.equals(value) && next.args[3]!.toString() === 'tail');
      complete = true;
    }
    borrowing.settle();
    readBuffer.fill(0x2a);
  }
  assert.ok(complete, 'the command completed');
  assert.equal(borrowing.bufferedBytes, 0);
});

test('borrowed input: a command parsed part-way from the carry survives the next read', () => {
  // Goal: when parsing resumes from the carry without a read (after a WAIT reply), a command it
  // stops in does not keep views of bytes that the next read moves. Method: force a carry
  // compaction between the two halves of a SET.
  const value = Buffer.alloc(40_000, 0x61);
  const data = Buffer.concat([encodeCommand(['SET', 'key', value]), encodeCommand(['GET', 'key'])]);
  const parser = new RequestParser();
  const readBuffer = Buffer.alloc(data.length);
  const feed = (chunk: Buffer) => {
    readBuffer.set(chunk);
    parser.feedBorrowed(readBuffer.subarray(0, chunk.length));
  };
  feed(data.subarray(0, 30_000));
  assert.equal(parser.next(), null);
  parser.settle(); // the first 30,000 bytes are now carried
  readBuffer.fill(0x2a);
  assert.equal(parser.next(), null, 'parsing again from the carry stops inside the value');
  feed(data.subarray(30_000)); // no settle() before: the carry grows and its bytes move
  const set = parser.next();
  assert.ok(set !== null && set.type === 'command');
  assert.deepEqual(set.args.map((arg) => arg.length), [3, 3, value.length]);
  assert.equal(set.args[1]!.toString(), 'key');
  assert.ok(set.args[2]!.equals(value));
  const get = parser.next();
  assert.ok(get !== null && get.type === 'command' && get.args[0]!.toString() === 'GET');
  parser.settle();
});

test('RespWriter: golden bytes for every reply type', () => {
  // Goal: the encoder emits exactly RESP2. Method: compare with hand-written bytes.
  const writer = new RespWriter();
  writer.simple('OK').error('ERR bad\r\nthing').integer(0).integer(-42).integer(12345678901234567890n / 10n);
  writer.bulk('héllo').bulk(Buffer.from([0, 13, 10])).bulk(null).bulk('');
  writer.arrayHeader(2).integer(1).array([bytes('a'), [null, 'x']]).nullArray().array([]);
  const expected =
    '+OK\r\n-ERR bad  thing\r\n:0\r\n:-42\r\n:1234567890123456789\r\n' +
    '$6\r\nh\xc3\xa9llo\r\n$3\r\n\x00\r\n\r\n$-1\r\n$0\r\n\r\n' +
    '*2\r\n:1\r\n*2\r\n$1\r\na\r\n*2\r\n$-1\r\n+x\r\n*-1\r\n*0\r\n';
  assert.equal(writer.byteLength, expected.length);
  assert.equal(writer.takeBuffer().toString('latin1'), expected);
  assert.equal(writer.byteLength, 0);
  assert.equal(encodeReply(new RespError('WRONGTYPE x')).toString(), '-WRONGTYPE x\r\n');
  assert.equal(encodeCommand(['GET', bytes('k')]).toString(), '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
});

test('RespWriter: taken chunks are never overwritten and large bulks are not copied', () => {
  // Goal: taken bytes can sit in a socket queue safely. Method: take, write much more, re-check.
  const writer = new RespWriter({ slabBytes: 64, referenceBytesMin: 100 });
  writer.simple('first');
  const first = writer.take();
  for (let i = 0; i < 100; i++) writer.bulk(`value ${i}`);
  const big = Buffer.alloc(200, 1);
  writer.bulk(big).simple('after');
  const rest = writer.take();
  assert.equal(Buffer.concat(first).toString(), '+first\r\n');
  assert.ok(rest.includes(big), 'the large bulk is its own chunk');
  const parser = new ReplyParser();
  for (const chunk of rest) parser.feed(chunk);
  for (let i = 0; i < 100; i++) assert.deepEqual(parser.next(), { type: 'reply', value: bytes(`value ${i}`) });
  assert.deepEqual(parser.next(), { type: 'reply', value: big });
  assert.deepEqual(parser.next(), { type: 'reply', value: 'after' });
  const written: Buffer[] = [];
  let corked = 0;
  const sink = { write: (chunk: Buffer) => (written.push(chunk), true), cork: () => corked++, uncork: () => corked-- };
  writer.simple('a').bulk(big).simple('b');
  assert.equal(writer.flushTo(sink), true);
  assert.equal(Buffer.concat(written).toString('latin1'), `+a\r\n$200\r\n${big.toString('latin1')}\r\n+b\r\n`);
  assert.equal(corked, 0);
  assert.equal(writer.flushTo(sink), true, 'nothing pending is fine');
});

interface ReplyOutcome {
  replies: RespReply[];
  fault: string | null;
}

function parseReplies(chunks: readonly Uint8Array[], options?: ReplyParserOptions): ReplyOutcome {
  const parser = new ReplyParser(options);
  const replies: RespReply[] = [];
  let fault: string | null = null;
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      assert.equal(fault, null, 'nothing after a protocol error');
      if (frame.type === 'error') fault = frame.fault;
      else replies.push(frame.value);
    }
  }
  return { replies, fault };
}

function parseRepliesAnySplit(data: Buffer, options?: ReplyParserOptions): ReplyOutcome {
  const whole = parseReplies([data], options);
  for (let i = 1; i < data.length; i++) {
    assert.deepEqual(parseReplies([data.subarray(0, i), data.subarray(i)], options), whole, `split at ${i}`);
  }
  assert.deepEqual(parseReplies(splitEvery(data, 1), options), whole, 'one byte at a time');
  return whole;
}

test('ReplyParser: every reply type, nulls, nested arrays, 64-bit integers, every split', () => {
  // Goal: client-side decoding is exact and split-independent. Method: golden stream, every split.
  const data = bytes(
    '+OK\r\n-ERR no\r\n:0\r\n:-7\r\n:9223372036854775807\r\n:-9007199254740991\r\n$3\r\na\r\n\r\n$0\r\n\r\n$-1\r\n' +
      '*-1\r\n*0\r\n*2\r\n*3\r\n$1\r\nk\r\n:5\r\n:1700000000\r\n*0\r\n+\r\n',
  );
  assert.deepEqual(parseRepliesAnySplit(data), {
    replies: [
      'OK',
      new RespError('ERR no'),
      0,
      -7,
      9223372036854775807n,
      -9007199254740991,
      bytes('a\r\n'),
      bytes(''),
      null,
      null,
      [],
      [[bytes('k'), 5, 1700000000], []],
      '',
    ],
    fault: null,
  });
});

test('ReplyParser: malformed and oversized replies are faults', () => {
  // Goal: a broken or hostile server cannot crash or flood the client. Method: one input per fault.
  const options = { bulkBytesMax: 100, arrayLengthMax: 10, depthMax: 3, lineBytesMax: 20 };
  const cases: [string, string][] = [
    ['?x\r\n', RespFault.INVALID_REPLY_TYPE],
    [':12a\r\n', RespFault.INVALID_INTEGER],
    [':\r\n', RespFault.INVALID_INTEGER],
    [':99999999999999999999\r\n', RespFault.INVALID_INTEGER],
    [':9223372036854775808\r\n', RespFault.INVALID_INTEGER],
    ['$-2\r\n', RespFault.INVALID_BULK_LENGTH],
    ['$101\r\n', RespFault.BULK_TOO_LARGE],
    ['$1\r\nab\r\n', RespFault.MISSING_CRLF],
    ['*11\r\n', RespFault.ARRAY_TOO_LONG],
    ['*-2\r\n', RespFault.INVALID_MULTIBULK_LENGTH],
    ['*1\r\n*1\r\n*1\r\n*1\r\n', RespFault.NESTING_TOO_DEEP],
    [`+${'a'.repeat(21)}\r\n`, RespFault.LINE_TOO_LONG],
    ['+OK\n', RespFault.MISSING_CRLF],
  ];
  for (const [input, fault] of cases) assert.equal(parseRepliesAnySplit(bytes(input), options).fault, fault, input);
  assert.deepEqual(parseRepliesAnySplit(bytes('*1\r\n*1\r\n*1\r\n:1\r\n'), options).replies, [[[[1]]]], 'depth 3 is allowed');
});

test('ReplyParser: small bulks can be copied out of the socket chunk', () => {
  // Goal: a kept small value does not pin its chunk. Method: compare backing stores.
  const text = '$2\r\nab\r\n$5\r\nabcde\r\n';
  const chunk = Buffer.alloc(text.length, text); // not from the shared pool, unlike the copy
  const parser = new ReplyParser({ copyBulkBytesMax: 4 });
  parser.feed(chunk);
  const small = parser.next();
  const large = parser.next();
  assert.ok(small?.type === 'reply' && Buffer.isBuffer(small.value) && small.value.buffer !== chunk.buffer);
  assert.ok(large?.type === 'reply' && Buffer.isBuffer(large.value) && large.value.buffer === chunk.buffer);
});

function randomBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  // Bias towards protocol bytes so the fuzz reaches deep states.
  const alphabet = bytes('\r\n*$+-:0123456789 "\'\\x');
  for (let i = 0; i < length; i++) out[i] = random() < 0.5 ? alphabet[Math.floor(random() * alphabet.length)]! : Math.floor(random() * 256);
  return out;
}

function randomCommand(random: () => number): Buffer[] {
  const count = 1 + Math.floor(random() * 5);
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) args.push(randomBytes(random, Math.floor(random() ** 3 * 300)));
  return args;
}

function randomSplit(random: () => number, data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; ) {
    const size = 1 + Math.floor(random() ** 2 * 64);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function mutate(random: () => number, data: Buffer): Buffer {
  const out = Buffer.from(data);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = Math.floor(random() * out.length);
    const kind = random();
    if (kind < 0.5) out[at] = randomBytes(random, 1)[0]!;
    else if (kind < 0.75) return Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    else return Buffer.concat([out.subarray(0, at), randomBytes(random, 1 + Math.floor(random() * 8)), out.subarray(at)]);
  }
  return out;
}

test('fuzz: valid pipelines round-trip exactly under random splits', () => {
  // Goal: no garbage for valid frames. Method: seeded random commands, encoded, split at random.
  withSeed('valid-requests', (random) => {
    for (let round = 0; round < 1500; round++) {
      const commands = Array.from({ length: 1 + Math.floor(random() * 6) }, () => randomCommand(random));
      const writer = new RespWriter({ slabBytes: 128 });
      for (const command of commands) writer.command(command);
      const data = writer.takeBuffer();
      const outcome = parseRequests(randomSplit(random, data));
      assert.deepEqual(outcome, { commands: commands.map((args) => args.map((arg) => arg.toString('latin1'))), fault: null });
    }
  });
});

test('fuzz: random and mutated requests never throw and give the same outcome however split', () => {
  // Goal: hostile input yields commands or one coded fault, deterministically. Method: seeded
  // random bytes and mutated valid frames, parsed whole and under a random split.
  withSeed('hostile-requests', (random) => {
    const options = { bulkBytesMax: 4096, inlineBytesMax: 256, arrayLengthMax: 64 };
    for (let round = 0; round < 4000; round++) {
      const valid = Buffer.concat(Array.from({ length: 1 + Math.floor(random() * 3) }, () => encodeCommand(randomCommand(random))));
      const data = round % 3 === 0 ? randomBytes(random, Math.floor(random() * 200)) : mutate(random, valid);
      const whole = parseRequests([data], options);
      assert.deepEqual(parseRequests(randomSplit(random, data), options), whole, `input ${data.toString('hex')}`);
    }
  });
});

function randomReply(random: () => number, depth: number): RespValue {
  const kind = Math.floor(random() * (depth > 3 ? 6 : 7));
  switch (kind) {
    case 0:
      return randomBytes(random, Math.floor(random() * 20)).toString('latin1').replace(/[\r\n]/g, '') + 'é';
    case 1:
      return new RespError(`ERR ${Math.floor(random() * 1000)}`);
    case 2:
      return Math.floor((random() - 0.5) * 2 ** 53);
    case 3:
      return (BigInt(Math.floor(random() * 2 ** 30)) * 2n ** 32n + 2n ** 62n) * (random() < 0.5 ? -1n : 1n);
    case 4:
      return null;
    case 5:
      return randomBytes(random, Math.floor(random() ** 3 * 500));
    default:
      return Array.from({ length: Math.floor(random() * 5) }, () => randomReply(random, depth + 1));
  }
}

test('fuzz: reply trees round-trip through RespWriter and ReplyParser under random splits', () => {
  // Goal: encoder and client parser agree on every shape. Method: seeded random trees.
  withSeed('replies', (random) => {
    for (let round = 0; round < 2000; round++) {
      const values = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomReply(random, 0));
      const writer = new RespWriter({ slabBytes: 128, referenceBytesMin: 64 });
      for (const value of values) writer.value(value);
      const outcome = parseReplies(randomSplit(random, writer.takeBuffer()));
      assert.deepEqual(outcome, { replies: values, fault: null });
    }
  });
});

test('fuzz: random and mutated replies never throw and give the same outcome however split', () => {
  // Goal: a hostile server yields replies or one coded fault, deterministically. Method: as for requests.
  withSeed('hostile-replies', (random) => {
    const options = { bulkBytesMax: 4096, lineBytesMax: 256, arrayLengthMax: 64, depthMax: 4 };
    for (let round = 0; round < 4000; round++) {
      const valid = encodeReply(Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomReply(random, 0)));
      const data = round % 3 === 0 ? randomBytes(random, Math.floor(random() * 200)) : mutate(random, valid);
      const whole = parseReplies([data], options);
      assert.deepEqual(parseReplies(randomSplit(random, data), options), whole, `input ${data.toString('hex')}`);
    }
  });
});

test('borrowed input: a declared 8 MiB value reserves memory only as its bytes arrive', () => {
  // A header alone must not make each connection hold the value's size (10,000 connections).
  const value = Buffer.alloc(8 * 2 ** 20, 0x62);
  const data = encodeCommand(['SET', 'key', value]);
  const parser = new RequestParser();
  const readBuffer = Buffer.alloc(64 * 1024);
  let held = 0;
  for (let at = 0; at < data.length; at += readBuffer.length) {
    const chunk = data.subarray(at, at + readBuffer.length);
    readBuffer.set(chunk);
    parser.feedBorrowed(readBuffer.subarray(0, chunk.length));
    const next = parser.next();
    if (at === 0) assert.ok(parser.heldBytes === 0 && next === null);
    parser.settle();
    if (at === 0) assert.ok(parser.heldBytes <= 4 * readBuffer.length, `after one read of the value, ${parser.heldBytes} bytes held`);
    held = Math.max(held, parser.heldBytes);
    if (next !== null) assert.ok(next.type === 'command' && next.args[2]!.equals(value));
  }
  assert.ok(held <= 4 * data.length, `at most ${held} bytes held for ${data.length}`);
});

// RFC 8785 (JCS) conformance: the RFC's own examples, then tfgrid's extensions and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from './canonical.ts';
import { CryptoError } from './errors.ts';
import { prng, seedFromEnv } from '../base/testing.ts';

test('RFC 8785 §3.2.2 example: literals, numbers and string escapes', () => {
  const input = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
      ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
  ) as unknown;
  assert.equal(
    canonicalJson(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

test('RFC 8785 §3.2.3 example: keys sorted by UTF-16 code units', () => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  // Checked on the text: Object.keys would list the integer-like key "1" first whatever the order.
  const values = [...canonicalJson(input).matchAll(/:"([^"]*)"/g)].map((match) => match[1]);
  assert.deepEqual(values, ['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
});

test('RFC 8785 appendix B: IEEE 754 numbers serialize as ECMAScript does', () => {
  const cases: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  for (const [bits, expected] of cases) {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    assert.equal(canonicalJson(value), expected, `bits ${bits}`);
  }
});

test('nested structures, bigints as decimal strings, undefined members absent', () => {
  const value = { b: [1, { y: 2n ** 70n, x: undefined }], a: 'z' };
  assert.equal(canonicalJson(value), '{"a":"z","b":[1,{"y":"1180591620717411303424"}]}');
});

test('values JSON cannot say exactly are refused with CRYPTO_NOT_CANONICAL', () => {
  const refused: unknown[] = [NaN, Infinity, { a: -Infinity }, [undefined], () => 1, Symbol('s'), new Date(0), new Uint8Array(1), new Map(), '\ud800', { '\udc00': 1 }];
  for (const value of refused) {
    assert.throws(() => canonicalJson(value), (error: unknown) => (error as { code?: string }).code === CryptoError.NOT_CANONICAL, String(value));
  }
  let deep: unknown = 1;
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => canonicalJson(deep), /nesting deeper/);
});

test('objects with a null prototype are plain', () => {
  const value = Object.assign(Object.create(null) as object, { b: 1, a: 2 });
  assert.equal(canonicalJson(value), '{"a":2,"b":1}');
});

test('random documents: canonical text parses back to the same value and matches JSON.stringify of the key-sorted value', () => {
  const seed = seedFromEnv();
  const random = prng(seed);
  const randomString = () => Array.from({ length: Math.floor(random() * 6) }, () => String.fromCharCode(Math.floor(random() * 0x2000))).join('');
  const randomValue = (depth: number): unknown => {
    const kind = Math.floor(random() * (depth > 3 ? 4 : 6));
    if (kind === 0) return randomString();
    if (kind === 1) return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    if (kind === 2) return random() < 0.5;
    if (kind === 3) return null;
    if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [randomString(), randomValue(depth + 1)]));
  };
  const sortKeys = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(sortKeys)
      : value !== null && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]))
      : value;
  for (let i = 0; i < 500; i++) {
    const value = randomValue(0);
    const text = canonicalJson(value);
    assert.deepEqual(JSON.parse(text), value, `SEED=${seed}`);
    // Integer-like keys reorder in JS objects, so only compare texts when there are none.
    if (!/"\d+":/.test(text)) assert.equal(text, JSON.stringify(sortKeys(value)), `SEED=${seed}`);
  }
});

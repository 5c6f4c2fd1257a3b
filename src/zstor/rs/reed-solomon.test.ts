// Reed–Solomon against the Rust `reed-solomon-erasure` crate's own test vectors (GF tables,
// matrix inversion, 5+5 and 2+2 encodings), then both kernels against each other and every
// loss pattern of small codes. Random inputs are seeded: a failure prints SEED=… to replay it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng, rejectionCode, seedFromEnv } from '../../base/testing.ts';
import { gfExp, gfMul } from './gf256.ts';
import { fromRows, invert, multiply, toRows } from './matrix.ts';
import { tsKernel, type RsKernel } from './kernel.ts';
import { createWasmKernel } from './wasm-kernel.ts';
import { ReedSolomon } from './reed-solomon.ts';

const wasm = createWasmKernel();
const wasmPlain = createWasmKernel({ relaxed: false });
const kernels: RsKernel[] = [tsKernel, ...(wasm === null ? [] : [wasm]), ...(wasmPlain === null ? [] : [wasmPlain])];
const seed = seedFromEnv();
const label = `SEED=${seed}`;

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

test('GF(2^8): the crate\'s test_galois vectors', () => {
  assert.equal(gfMul(3, 4), 12);
  assert.equal(gfMul(7, 7), 21);
  assert.equal(gfMul(23, 45), 41);
  assert.equal(gfExp(2, 2), 4);
  assert.equal(gfExp(5, 20), 235);
  assert.equal(gfExp(13, 7), 43);
  const input = [0, 1, 2, 3, 4, 5, 6, 10, 50, 100, 150, 174, 201, 255, 99, 32, 67, 85, 200, 199, 198, 197, 196, 195, 194, 193, 192, 191, 190, 189, 188, 187, 186, 185];
  const times25 = [0x0, 0x19, 0x32, 0x2b, 0x64, 0x7d, 0x56, 0xfa, 0xb8, 0x6d, 0xc7, 0x85, 0xc3, 0x1f, 0x22, 0x7, 0x25, 0xfe, 0xda, 0x5d, 0x44, 0x6f, 0x76, 0x39, 0x20, 0xb, 0x12, 0x11, 0x8, 0x23, 0x3a, 0x75, 0x6c, 0x47];
  const times177 = [0x0, 0xb1, 0x7f, 0xce, 0xfe, 0x4f, 0x81, 0x9e, 0x3, 0x6, 0xe8, 0x75, 0xbd, 0x40, 0x36, 0xa3, 0x95, 0xcb, 0xc, 0xdd, 0x6c, 0xa2, 0x13, 0x23, 0x92, 0x5c, 0xed, 0x1b, 0xaa, 0x64, 0xd5, 0xe5, 0x54, 0x9a];
  // mul_slice_xor(52, input, out) after mul_slice(25, input, out): out = 25·x ^ 52·x.
  const xor52 = [0x0, 0x2d, 0x5a, 0x77, 0xb4, 0x99, 0xee, 0x2f, 0x79, 0xf2, 0x7, 0x51, 0xd4, 0x19, 0x31, 0xc9, 0xf8, 0xfc, 0xf9, 0x4f, 0x62, 0x15, 0x38, 0xfb, 0xd6, 0xa1, 0x8c, 0x96, 0xbb, 0xcc, 0xe1, 0x22, 0xf, 0x78];
  for (const kernel of kernels) {
    const out = [new Uint8Array(input.length), new Uint8Array(input.length), new Uint8Array(input.length)];
    kernel.code(Uint8Array.from([25, 177, 25 ^ 52]), [Uint8Array.from(input)], out, input.length);
    assert.deepEqual([...out[0]!], times25, kernel.name);
    assert.deepEqual([...out[1]!], times177, kernel.name);
    assert.deepEqual([...out[2]!], xor52, kernel.name);
  }
});

test('matrices: the crate\'s multiply and inverse vectors', () => {
  assert.deepEqual(toRows(multiply(fromRows([[1, 2], [3, 4]]), fromRows([[5, 6], [7, 8]]))), [[11, 22], [19, 42]]);
  assert.deepEqual(toRows(invert(fromRows([[56, 23, 98], [3, 100, 200], [45, 201, 123]]))!), [[175, 133, 33], [130, 13, 245], [112, 35, 126]]);
  const m = fromRows([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1], [7, 7, 6, 6, 1]]);
  assert.deepEqual(toRows(invert(m)!), [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [123, 123, 1, 122, 122], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]);
  assert.equal(invert(fromRows([[4, 2], [12, 6]])), null, 'singular');
});

test('encode: the crate\'s test_one_encode (5+5) and test_reconstruct (2+2) parity', () => {
  for (const kernel of kernels) {
    const rs = new ReedSolomon(5, 5, kernel);
    const parity = rs.encode([[0, 1], [4, 5], [2, 3], [6, 7], [8, 9]].map((s) => Uint8Array.from(s)));
    assert.deepEqual(parity.map((p) => [...p]), [[12, 13], [10, 11], [14, 15], [90, 91], [94, 95]], kernel.name);
    const small = new ReedSolomon(2, 2, kernel);
    assert.deepEqual(small.encode([Uint8Array.from([0, 1, 2]), Uint8Array.from([3, 4, 5])]).map((p) => [...p]), [[6, 11, 12], [5, 14, 11]], kernel.name);
    const rebuilt = small.reconstruct([null, Uint8Array.from([3, 4, 5]), null, Uint8Array.from([5, 14, 11])]);
    assert.deepEqual(rebuilt.map((s) => [...s]), [[0, 1, 2], [3, 4, 5], [6, 11, 12], [5, 14, 11]], kernel.name);
  }
});

test('kernels agree on random coefficients, shapes and lengths (incl. non-multiples of 32)', () => {
  const random = prng(seed);
  for (let round = 0; round < 30; round++) {
    const n = 1 + Math.floor(random() * 20);
    const outputs = 1 + Math.floor(random() * 9);
    const length = Math.floor(random() * 3000);
    const inputs = Array.from({ length: n }, () => randomBytes(random, length));
    const coefficients = randomBytes(random, n * outputs);
    const results = kernels.map((kernel) => {
      const out = Array.from({ length: outputs }, () => new Uint8Array(length).fill(0xaa));
      kernel.code(coefficients, inputs, out, length);
      return out.map((o) => Buffer.from(o).toString('hex'));
    });
    for (const result of results.slice(1)) assert.deepEqual(result, results[0], `${label} round ${round}`);
  }
});

test('every loss of up to m shards is rebuilt byte for byte (all patterns, 2+1 … 4+3)', () => {
  const random = prng(seed + 1);
  for (const [k, m] of [[2, 1], [2, 2], [3, 2], [4, 2], [4, 3]] as const) {
    const rs = new ReedSolomon(k, m);
    const data = Array.from({ length: k }, () => randomBytes(random, 97));
    const all = [...data, ...rs.encode(data)];
    assert.ok(rs.verify(all));
    for (let mask = 0; mask < 1 << (k + m); mask++) {
      const lost = Array.from({ length: k + m }, (_, i) => (mask >> i) & 1).reduce((a, b) => a + b, 0);
      if (lost > m) continue;
      const rebuilt = rs.reconstruct(all.map((s, i) => ((mask >> i) & 1 ? null : s)));
      assert.deepEqual(rebuilt.map((s) => Buffer.from(s).toString('hex')), all.map((s) => Buffer.from(s).toString('hex')), `${label} ${k}+${m} mask ${mask}`);
    }
  }
});

test('too few shards and bad shapes are typed errors', async () => {
  const rs = new ReedSolomon(3, 2);
  const one = new Uint8Array(4);
  const attempt = (fn: () => unknown) => rejectionCode(Promise.resolve().then(fn));
  assert.equal(await attempt(() => rs.reconstruct([one, null, null, one, null])), 'ZSTOR_SHARDS_LOST');
  assert.equal(await attempt(() => rs.encode([one, one, new Uint8Array(5)])), 'ZSTOR_INVALID_ARGUMENT');
  assert.equal(await attempt(() => new ReedSolomon(200, 57)), 'ZSTOR_INVALID_ARGUMENT');
  assert.equal(await attempt(() => new ReedSolomon(0, 2)), 'ZSTOR_INVALID_ARGUMENT');
});

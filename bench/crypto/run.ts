// bench/crypto: throughput of src/crypto's operations on one core, each beside the raw
// node:crypto call it wraps (the native reference), so the wrapper's overhead is visible.
import { createHash, createPublicKey, sign as nodeSign, verify as nodeVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { Identity, verifyEd25519, seal, open, box, unbox, sha256, canonicalJson, digestOf } from '../../src/crypto/index.ts';
import { rate, formatNumber, formatBytesPerSec, printTable, machineLine, type Rate } from '../lib/measure.ts';

const durationMs = Number(process.env['BENCH_MS'] ?? 1000);
const alice = Identity.generate();
const bob = Identity.generate();
const small = randomBytes(256);
const mib = randomBytes(1 << 20);
const signature = alice.sign(small);
const sealedSmall = seal(bob.encryptionPublicKey, small);
const sealedMib = seal(bob.encryptionPublicKey, mib);
const boxedSmall = box(alice, bob.encryptionPublicKey, small);
const deployment = {
  version: 1, twin_id: 42, metadata: 'web', description: 'a web site',
  workloads: Array.from({ length: 4 }, (_, i) => ({ version: 1, name: `w${i}`, type: 'container', data: { flist: 'https://hub/x.fl', cpu: 2, memory: 2 ** 30, env: { A: 'b' } } })),
};

// Raw references: node:crypto with a DER-imported key per call (what naive code does) and with a
// reused KeyObject (the floor).
const raw = generateKeyPairSync('ed25519');
const rawDer = raw.publicKey.export({ format: 'der', type: 'spki' });
const rawSig = nodeSign(null, small, raw.privateKey);

const pairs: Array<[Rate, Rate | undefined]> = [
  [rate('sign 256 B', () => alice.sign(small), { durationMs }), rate('', () => nodeSign(null, small, raw.privateKey), { durationMs })],
  [rate('verify 256 B', () => verifyEd25519(alice.publicKey, small, signature), { durationMs }), rate('', () => nodeVerify(null, small, raw.publicKey, rawSig), { durationMs })],
  [rate('verify, key imported per call', () => nodeVerify(null, small, createPublicKey({ key: rawDer, format: 'der', type: 'spki' }), rawSig), { durationMs }), undefined],
  [rate('sign canonical deployment', () => alice.signValue('tfgrid/bench/v1', deployment), { durationMs }), undefined],
  [rate('canonical JSON of deployment', () => canonicalJson(deployment), { durationMs }), rate('', () => JSON.stringify(deployment), { durationMs })],
  [rate('digest of deployment', () => digestOf('tfgrid/bench/v1', deployment), { durationMs }), undefined],
  [rate('seal 256 B', () => seal(bob.encryptionPublicKey, small), { durationMs }), undefined],
  [rate('open 256 B', () => open(bob, sealedSmall), { durationMs }), undefined],
  [rate('box 256 B (cached key)', () => box(alice, bob.encryptionPublicKey, small), { durationMs }), undefined],
  [rate('unbox 256 B (cached key)', () => unbox(bob, alice.encryptionPublicKey, boxedSmall), { durationMs }), undefined],
  [rate('seal 1 MiB', () => seal(bob.encryptionPublicKey, mib), { durationMs, bytesPerOp: mib.length }), undefined],
  [rate('open 1 MiB', () => open(bob, sealedMib), { durationMs, bytesPerOp: mib.length }), undefined],
  [rate('sha256 1 MiB', () => sha256(mib), { durationMs, bytesPerOp: mib.length }), rate('', () => createHash('sha256').update(mib).digest(), { durationMs, bytesPerOp: mib.length })],
];

console.log(`bench/crypto — ${machineLine()}`);
printTable(
  ['operation', 'ops/s', 'throughput', 'raw node:crypto ops/s', 'ratio to raw'],
  pairs.map(([ours, reference]) => [
    ours.name,
    formatNumber(ours.opsPerSec),
    ours.bytesPerSec === undefined ? '' : formatBytesPerSec(ours.bytesPerSec),
    reference === undefined ? '' : formatNumber(reference.opsPerSec),
    reference === undefined ? '' : (ours.opsPerSec / reference.opsPerSec).toFixed(2),
  ]),
);

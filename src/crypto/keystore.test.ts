// Keystore files: round trip, permissions, wrong passphrase, and every kind of damaged file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, stat, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from './identity.ts';
import { writeKeystore, readKeystore, readKeystorePublic, type ScryptParams } from './keystore.ts';
import { CryptoError } from './errors.ts';
import { createLogger } from '../base/index.ts';

// Cheap KDF parameters keep the suite fast; the defaults are exercised by the CLI tests.
const fast: ScryptParams = { N: 2 ** 12, r: 8, p: 1 };
const hasCode = (code: string) => (error: unknown) => (error as { code?: string }).code === code;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tfgrid-keystore-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('write then read gives back the same identity; file is 0600 in a 0700 dir; no secret in clear', () =>
  withDir(async (dir) => {
    const id = Identity.generate();
    const path = join(dir, 'keys', 'default.json');
    await writeKeystore(path, id, 'correct horse', { params: fast });
    const back = await readKeystore(path, 'correct horse');
    assert.equal(back.publicKeyHex, id.publicKeyHex);
    assert.equal(back.mnemonic, id.mnemonic);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'keys'))).mode & 0o777, 0o700);
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(id.mnemonic!));
    assert.ok(!text.includes(id.seedHex));
    assert.deepEqual(await readKeystorePublic(path), { publicKey: id.publicKeyHex, encryptionPublicKey: id.encryptionPublicKeyHex });
  }));

test('a wrong passphrase is CRYPTO_BAD_PASSPHRASE; a missing file is CRYPTO_KEYSTORE_NOT_FOUND', () =>
  withDir(async (dir) => {
    const path = join(dir, 'k.json');
    await writeKeystore(path, Identity.generate(), 'right', { params: fast });
    await assert.rejects(readKeystore(path, 'wrong'), hasCode(CryptoError.BAD_PASSPHRASE));
    await assert.rejects(readKeystore(join(dir, 'nope.json'), 'x'), hasCode(CryptoError.KEYSTORE_NOT_FOUND));
  }));

test('damaged files are refused: truncated, not JSON, bad fields, swapped public key, weakened KDF', () =>
  withDir(async (dir) => {
    const path = join(dir, 'k.json');
    await writeKeystore(path, Identity.generate(), 'pw', { params: fast });
    const original = await readFile(path, 'utf8');
    const json = JSON.parse(original) as Record<string, unknown> & { kdf: Record<string, unknown> };

    await writeFile(path, original.slice(0, original.length / 2));
    await assert.rejects(readKeystore(path, 'pw'), hasCode(CryptoError.KEYSTORE_CORRUPT));

    await writeFile(path, JSON.stringify({ ...json, version: 2 }));
    await assert.rejects(readKeystore(path, 'pw'), hasCode(CryptoError.KEYSTORE_CORRUPT));

    await writeFile(path, JSON.stringify({ ...json, publicKey: Identity.generate().publicKeyHex }));
    await assert.rejects(readKeystore(path, 'pw'), hasCode(CryptoError.BAD_PASSPHRASE));

    await writeFile(path, JSON.stringify({ ...json, kdf: { ...json.kdf, N: 2 ** 10 } }));
    await assert.rejects(readKeystore(path, 'pw'), hasCode(CryptoError.BAD_PASSPHRASE));

    await writeFile(path, JSON.stringify({ ...json, kdf: { ...json.kdf, N: 1000 } }));
    await assert.rejects(readKeystore(path, 'pw'), hasCode(CryptoError.KEYSTORE_CORRUPT));
  }));

test('identities imported from a raw seed are stored as a seed', () =>
  withDir(async (dir) => {
    const id = Identity.fromSeed('11'.repeat(32));
    await writeKeystore(join(dir, 'k.json'), id, 'pw', { params: fast });
    const back = await readKeystore(join(dir, 'k.json'), 'pw');
    assert.equal(back.publicKeyHex, id.publicKeyHex);
    assert.equal(back.mnemonic, undefined);
  }));

test('keystore events are logged as structured lines without secrets', () =>
  withDir(async (dir) => {
    const lines: string[] = [];
    const log = createLogger({ component: 'crypto', level: 'debug', sink: (line) => lines.push(line) });
    const id = Identity.generate();
    const path = join(dir, 'k.json');
    await writeKeystore(path, id, 'pw', { params: fast, log });
    await readKeystore(path, 'pw', { log });
    await assert.rejects(readKeystore(path, 'bad', { log }));
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ['keystore written', 'keystore opened', 'keystore did not open']);
    assert.ok(lines.every((l) => !l.includes(id.seedHex) && !l.includes(id.mnemonic!) && !l.includes('"pw"')));
  }));

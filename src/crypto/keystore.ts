// The keystore: a twin's secret (its mnemonic, or its raw seed when it was imported as one)
// encrypted with a passphrase, one JSON file per identity,
// mode 0600 in a 0700 directory. Public keys are kept in clear so that `show` needs no secret.
//
// { "version": 1, "publicKey": hex, "encryptionPublicKey": hex, "secret": "mnemonic" | "seed",
//   "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": hex(16) },
//   "cipher": { "name": "chacha20-poly1305", "nonce": hex(12) },
//   "ciphertext": hex(encrypted secret ‖ tag) }
// The AEAD's associated data is the canonical JSON of every field but `ciphertext`, so a
// changed public key or weakened KDF parameter fails to open instead of misleading.
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TfgridError, writeFileAtomic, type Logger } from '../base/index.ts';
import { canonicalBytes } from './canonical.ts';
import { CryptoError } from './errors.ts';
import { fromHex, toHex } from './hex.ts';
import { Identity } from './identity.ts';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** About 0.3 s and 128 MiB per unlock: slow for a guesser, bearable for a person. */
export const defaultScryptParams: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const KeystoreFile = z.object({
  version: z.literal(1),
  publicKey: hex(32),
  encryptionPublicKey: hex(32),
  secret: z.enum(['mnemonic', 'seed']),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z.number().int().min(2 ** 10).max(2 ** 22).refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: hex(16),
  }),
  cipher: z.object({ name: z.literal('chacha20-poly1305'), nonce: hex(12) }),
  ciphertext: z.string().regex(/^(?:[0-9a-f]{2})+$/),
});
export type KeystoreFile = z.infer<typeof KeystoreFile>;
export interface KeystorePublic {
  publicKey: string;
  encryptionPublicKey: string;
}

export interface KeystoreOptions {
  /** KDF cost; defaults to `defaultScryptParams`. */
  params?: ScryptParams;
  /** Where to note keystore events (never secrets). */
  log?: Logger;
}

export async function writeKeystore(path: string, identity: Identity, passphrase: string, options: KeystoreOptions = {}): Promise<void> {
  const params = options.params ?? defaultScryptParams;
  const secret = identity.mnemonic ?? identity.seedHex;
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header = {
    version: 1 as const,
    publicKey: identity.publicKeyHex,
    encryptionPublicKey: identity.encryptionPublicKeyHex,
    secret: identity.mnemonic === undefined ? ('seed' as const) : ('mnemonic' as const),
    kdf: { name: 'scrypt' as const, ...params, salt: toHex(salt) },
    cipher: { name: 'chacha20-poly1305' as const, nonce: toHex(nonce) },
  };
  const key = await deriveKey(passphrase, salt, params);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(canonicalBytes(header), { plaintextLength: Buffer.byteLength(secret) });
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const file: KeystoreFile = { ...header, ciphertext: body.toString('hex') };
  await writeFileAtomic(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, dirMode: 0o700 });
  options.log?.info('keystore written', { path, publicKey: identity.publicKeyHex, secret: header.secret, kdfN: params.N });
}

export async function readKeystorePublic(path: string): Promise<KeystorePublic> {
  const file = await loadKeystore(path);
  return { publicKey: file.publicKey, encryptionPublicKey: file.encryptionPublicKey };
}

/** Decrypts the keystore; CRYPTO_BAD_PASSPHRASE when the passphrase is wrong. */
export async function readKeystore(path: string, passphrase: string, options: Pick<KeystoreOptions, 'log'> = {}): Promise<Identity> {
  const file = await loadKeystore(path);
  const { ciphertext, ...header } = file;
  const key = await deriveKey(passphrase, fromHex(file.kdf.salt), file.kdf);
  const body = fromHex(ciphertext);
  if (body.length <= 16) throw new TfgridError(CryptoError.KEYSTORE_CORRUPT, `${path}: ciphertext too short`);
  const decipher = createDecipheriv('chacha20-poly1305', key, fromHex(file.cipher.nonce), { authTagLength: 16 });
  decipher.setAAD(canonicalBytes(header), { plaintextLength: body.length - 16 });
  decipher.setAuthTag(body.subarray(body.length - 16));
  const plain = decipher.update(body.subarray(0, body.length - 16));
  try {
    decipher.final();
  } catch {
    options.log?.warn('keystore did not open', { path, code: CryptoError.BAD_PASSPHRASE });
    throw new TfgridError(CryptoError.BAD_PASSPHRASE, `${path}: wrong passphrase (or the file was altered)`);
  }
  const identity = file.secret === 'mnemonic' ? Identity.fromMnemonic(plain.toString('utf8')) : Identity.fromSeed(plain.toString('utf8'));
  if (identity.publicKeyHex !== file.publicKey) {
    throw new TfgridError(CryptoError.KEYSTORE_CORRUPT, `${path}: the stored secret does not match the stored public key`);
  }
  options.log?.debug('keystore opened', { path, publicKey: file.publicKey });
  return identity;
}

async function loadKeystore(path: string): Promise<KeystoreFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TfgridError(CryptoError.KEYSTORE_NOT_FOUND, `no keystore at ${path}`, { cause });
    }
    throw cause;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TfgridError(CryptoError.KEYSTORE_CORRUPT, `${path}: not JSON`, { cause });
  }
  const parsed = KeystoreFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TfgridError(CryptoError.KEYSTORE_CORRUPT, `${path}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim());
  }
  return parsed.data;
}

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(passphrase.normalize('NFKC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

// `tfgrid identity`: a twin's keys — create, import, show, list, sign, verify, seal, open.
import { readdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import {
  CryptoError, Identity, readKeystore, readKeystorePublic, writeKeystore, fromHex, toHex, verifyEd25519,
  verifyValue, seal, open, publicKeyLengthBytes, signatureLengthBytes, canonicalJson,
} from '../crypto/index.ts';
import { action, type Context } from './command.ts';
import { CliError, ExitCode } from './errors.ts';
import { readData, readPassphrase } from './input.ts';

const Name = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'a name is 1–64 letters, digits, "_", "." or "-"');
const named = { name: Name, passphraseFile: z.string().optional() };
const dataInput = { message: z.string().optional(), file: z.string().optional() };
const canonicalInput = { canonical: z.boolean().optional(), domain: z.string().optional() };

function keystorePath(ctx: Context, name: string): string {
  return join(ctx.home, 'identities', `${name}.json`);
}

/** Loads and unlocks a named identity. */
export async function unlockIdentity(ctx: Context, name: string, passphraseFile?: string): Promise<Identity> {
  const path = keystorePath(ctx, name);
  await readKeystorePublic(path); // a missing or damaged file fails before asking for a passphrase
  return readKeystore(path, await readPassphrase({ passphraseFile }), { log: ctx.log });
}

const nameOption = () => new Option('-n, --name <name>', 'identity name').default('default').env('TFGRID_IDENTITY');
const passphraseOption = () => new Option('--passphrase-file <path>', 'read the keystore passphrase from a file (else $TFGRID_PASSPHRASE or a prompt)');
const messageOption = () => new Option('-m, --message <text>', 'the data, as text');
const fileOption = () => new Option('-f, --file <path>', 'read the data from a file ("-" for standard input)');

export function identityCommand(): Command {
  const identity = new Command('identity').description("a twin's keys: Ed25519 to sign, X25519 to receive encrypted data");
  identity.addCommand(newCommand()).addCommand(importCommand()).addCommand(showCommand()).addCommand(listCommand());
  identity.addCommand(signCommand()).addCommand(verifyCommand()).addCommand(sealCommand()).addCommand(openCommand());
  return identity;
}

function describeNew(result: { name: string; publicKey: string; encryptionPublicKey: string; keystore: string; mnemonic?: string | undefined }): string {
  const lines = [
    `identity "${result.name}" created`,
    `  public key (Ed25519):     ${result.publicKey}`,
    `  encryption key (X25519):  ${result.encryptionPublicKey}`,
    `  keystore:                 ${result.keystore}`,
  ];
  if (result.mnemonic !== undefined) {
    lines.push('', 'Your 24-word mnemonic — write it down and keep it offline. Anyone who has it controls this twin;', 'without it (or the keystore and its passphrase) the twin cannot be recovered:', '', `  ${result.mnemonic}`);
  }
  lines.push('', 'Next: `tfgrid identity show` to see the keys again; `tfgrid identity sign --message hello` to sign.');
  return lines.join('\n');
}

async function createKeystore(ctx: Context, name: string, id: Identity, options: { force?: boolean | undefined; passphraseFile?: string | undefined }): Promise<string> {
  const path = keystorePath(ctx, name);
  const exists = await access(path).then(() => true, () => false);
  if (exists && options.force !== true) {
    throw new TfgridError(CryptoError.KEYSTORE_EXISTS, `identity "${name}" exists at ${path}; pick another --name, or --force to replace it`);
  }
  await writeKeystore(path, id, await readPassphrase({ passphraseFile: options.passphraseFile, confirm: true }), { log: ctx.log });
  return path;
}

function newCommand(): Command {
  const command = new Command('new')
    .description('create a new identity from a fresh 24-word mnemonic and store it encrypted')
    .addOption(nameOption()).addOption(passphraseOption())
    .option('--force', 'replace an existing identity of that name')
    .option('--no-mnemonic', 'do not print the mnemonic (it stays in the keystore)');
  return action(command, z.object({ ...named, force: z.boolean().optional(), mnemonic: z.boolean() }), async (ctx, o) => {
    const id = Identity.generate();
    const path = await createKeystore(ctx, o.name, id, o);
    ctx.output.result({ name: o.name, ...id.toJSON(), keystore: path, mnemonic: o.mnemonic ? id.mnemonic : undefined }, describeNew);
  });
}

function importCommand(): Command {
  const command = new Command('import')
    .description('store an existing twin: a mnemonic, or a 32-byte seed as hex, read from a file or standard input')
    .addOption(nameOption()).addOption(passphraseOption()).addOption(fileOption())
    .option('--force', 'replace an existing identity of that name');
  return action(command, z.object({ ...named, file: z.string().optional(), force: z.boolean().optional() }), async (ctx, o) => {
    const secret = Buffer.from(await readData({ file: o.file ?? '-' })).toString('utf8').trim();
    const id = /^(0x)?[0-9a-fA-F]{64}$/.test(secret) ? Identity.fromSeed(secret) : Identity.fromMnemonic(secret);
    const path = await createKeystore(ctx, o.name, id, o);
    ctx.output.result({ name: o.name, ...id.toJSON(), keystore: path }, (r) => `identity "${r.name}" imported\n  public key: ${r.publicKey}\n  keystore:   ${r.keystore}`);
  });
}

function showCommand(): Command {
  const command = new Command('show')
    .description('print the public keys of an identity (secrets only when asked)')
    .addOption(nameOption()).addOption(passphraseOption())
    .option('--mnemonic', 'also print the mnemonic (needs the passphrase)')
    .option('--seed', 'also print the 32-byte seed as hex (needs the passphrase)');
  const schema = z.object({ ...named, mnemonic: z.boolean().optional(), seed: z.boolean().optional() });
  return action(command, schema, async (ctx, o) => {
    const path = keystorePath(ctx, o.name);
    const keys = await readKeystorePublic(path);
    const secrets: { mnemonic?: string | undefined; seed?: string } = {};
    if (o.mnemonic === true || o.seed === true) {
      const id = await readKeystore(path, await readPassphrase({ passphraseFile: o.passphraseFile }), { log: ctx.log });
      if (o.mnemonic === true) secrets.mnemonic = id.mnemonic ?? '(imported from a seed: no mnemonic)';
      if (o.seed === true) secrets.seed = id.seedHex;
    }
    const result = { name: o.name, ...keys, keystore: path, ...secrets };
    ctx.output.result(result, (r) =>
      [`identity "${r.name}"`, `  public key (Ed25519):     ${r.publicKey}`, `  encryption key (X25519):  ${r.encryptionPublicKey}`, `  keystore:                 ${r.keystore}`]
        .concat(r.mnemonic === undefined ? [] : [`  mnemonic:                 ${r.mnemonic}`])
        .concat(r.seed === undefined ? [] : [`  seed:                     ${r.seed}`])
        .join('\n'),
    );
  });
}

function listCommand(): Command {
  return action(new Command('list').description('list the identities in the home directory'), z.object({}), async (ctx) => {
    const dir = join(ctx.home, 'identities');
    const files = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
    const identities = [];
    for (const file of files.filter((f) => f.endsWith('.json')).sort()) {
      identities.push({ name: file.slice(0, -5), ...(await readKeystorePublic(join(dir, file))) });
    }
    ctx.output.result(identities, (list) =>
      list.length === 0 ? 'no identities yet: `tfgrid identity new` creates one' : list.map((i) => `${i.name.padEnd(16)} ${i.publicKey}`).join('\n'),
    );
  });
}

/** Bytes to sign or verify: raw data, or with --canonical the domain-separated digest of a JSON document. */
async function signable(o: { message?: string | undefined; file?: string | undefined; canonical?: boolean | undefined; domain?: string | undefined }): Promise<{ data: Uint8Array; value?: unknown }> {
  const data = await readData(o);
  if (o.canonical !== true) return { data };
  if (o.domain === undefined) throw new TfgridError(CliError.USAGE, '--canonical needs --domain <name>, e.g. tfgrid/chain/tx/v1');
  try {
    return { data, value: JSON.parse(Buffer.from(data).toString('utf8')) as unknown };
  } catch (cause) {
    throw new TfgridError(CliError.USAGE, `--canonical input is not JSON: ${(cause as Error).message}`);
  }
}

function signCommand(): Command {
  const command = new Command('sign')
    .description('sign data with the Ed25519 key; prints the 64-byte signature as hex')
    .addOption(nameOption()).addOption(passphraseOption()).addOption(messageOption()).addOption(fileOption())
    .option('--canonical', 'the data is JSON: sign the digest of its RFC 8785 encoding')
    .option('--domain <name>', 'domain of a --canonical signature');
  return action(command, z.object({ ...named, ...dataInput, ...canonicalInput }), async (ctx, o) => {
    const { data, value } = await signable(o);
    const id = await unlockIdentity(ctx, o.name, o.passphraseFile);
    const signature = value === undefined ? id.sign(data) : id.signValue(o.domain!, value);
    const result = { publicKey: id.publicKeyHex, signature: toHex(signature), ...(value === undefined ? {} : { domain: o.domain, canonical: canonicalJson(value) }) };
    ctx.output.result(result, (r) => r.signature);
  });
}

function verifyCommand(): Command {
  const command = new Command('verify')
    .description('check an Ed25519 signature; exit code 0 when valid, 1 when not')
    .requiredOption('-k, --public-key <hex>', 'the signer\'s Ed25519 public key (32 bytes hex)')
    .requiredOption('-s, --signature <hex>', 'the signature (64 bytes hex)')
    .addOption(messageOption()).addOption(fileOption())
    .option('--canonical', 'the data is JSON: verify against the digest of its RFC 8785 encoding')
    .option('--domain <name>', 'domain of a --canonical signature');
  const schema = z.object({ publicKey: z.string(), signature: z.string(), ...dataInput, ...canonicalInput });
  return action(command, schema, async (ctx, o) => {
    const publicKey = fromHex(o.publicKey, publicKeyLengthBytes, '--public-key');
    const signature = fromHex(o.signature, signatureLengthBytes, '--signature');
    const { data, value } = await signable(o);
    const valid = value === undefined ? verifyEd25519(publicKey, data, signature) : verifyValue(publicKey, o.domain!, value, signature);
    ctx.output.result({ valid, publicKey: o.publicKey }, (r) => (r.valid ? 'valid signature' : 'INVALID signature'));
    if (!valid) process.exitCode = ExitCode.failure;
  });
}

function sealCommand(): Command {
  const command = new Command('seal')
    .description("encrypt data to a twin's X25519 key (anonymous sealed box); prints base64 unless --out")
    .requiredOption('-t, --to <hex>', "the recipient's encryption public key (X25519, 32 bytes hex)")
    .addOption(messageOption()).addOption(fileOption())
    .option('-o, --out <path>', 'write the binary sealed box to a file');
  return action(command, z.object({ to: z.string(), ...dataInput, out: z.string().optional() }), async (ctx, o) => {
    const sealed = seal(fromHex(o.to, publicKeyLengthBytes, '--to'), await readData(o));
    if (o.out !== undefined) {
      await writeFile(o.out, sealed);
      ctx.output.result({ out: o.out, bytes: sealed.length }, (r) => `sealed ${r.bytes} bytes to ${r.out}`);
    } else {
      ctx.output.result({ sealed: Buffer.from(sealed).toString('base64') }, (r) => r.sealed);
    }
  });
}

function openCommand(): Command {
  const command = new Command('open')
    .description('decrypt a sealed box addressed to this identity (binary or base64 input)')
    .addOption(nameOption()).addOption(passphraseOption()).addOption(fileOption())
    .option('-o, --out <path>', 'write the plaintext to a file instead of standard output');
  return action(command, z.object({ ...named, file: z.string().optional(), out: z.string().optional() }), async (ctx, o) => {
    const input = await readData({ file: o.file });
    const text = Buffer.from(input).toString('latin1').trim();
    const frame = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : input;
    const id = await unlockIdentity(ctx, o.name, o.passphraseFile);
    const plaintext = open(id, frame);
    if (o.out !== undefined) {
      await writeFile(o.out, plaintext);
      ctx.output.result({ out: o.out, bytes: plaintext.length }, (r) => `opened ${r.bytes} bytes into ${r.out}`);
    } else if (ctx.json) {
      ctx.output.result({ plaintext: Buffer.from(plaintext).toString('base64') }, (r) => r.plaintext);
    } else {
      process.stdout.write(plaintext);
    }
  });
}

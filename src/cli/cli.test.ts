// The `tfgrid` command as a user runs it: real processes, a temporary home, exit codes and
// output checked for identity new/show/import/sign/verify/seal/open, config precedence and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMain as main, tfgrid, json, type Run } from './testing.ts';

const home = mkdtempSync(join(tmpdir(), 'tfgrid-cli-'));
test.after(() => rmSync(home, { recursive: true, force: true }));

test('identity new prints the public key and the mnemonic with a warning; show prints no secret', () => {
  const created = tfgrid(home, ['identity', 'new']);
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /public key \(Ed25519\): +[0-9a-f]{64}/);
  assert.match(created.stdout, /write it down/);
  const words = /\n {2}((?:[a-z]+ ){23}[a-z]+)\n/.exec(created.stdout)?.[1];
  assert.ok(words, 'mnemonic printed');
  const shown = json<{ publicKey: string; mnemonic?: string }>(tfgrid(home, ['identity', 'show', '--json']));
  assert.equal(shown.mnemonic, undefined);
  assert.ok(!readFileSync(join(home, 'identities', 'default.json'), 'utf8').includes(words));
  const withSecret = json<{ mnemonic: string }>(tfgrid(home, ['identity', 'show', '--mnemonic', '--json']));
  assert.equal(withSecret.mnemonic, words);
  // Importing the printed words elsewhere restores the same twin.
  const imported = json<{ publicKey: string }>(tfgrid(home, ['identity', 'import', '--name', 'copy', '--json'], { input: words }));
  assert.equal(imported.publicKey, shown.publicKey);
});

test('sign and verify round-trip from the shell; a changed message fails with exit 1', () => {
  const { publicKey } = json<{ publicKey: string }>(tfgrid(home, ['identity', 'show', '--json']));
  const signature = tfgrid(home, ['identity', 'sign', '--message', 'hello grid']).stdout.trim();
  assert.match(signature, /^[0-9a-f]{128}$/);
  const ok = tfgrid(home, ['identity', 'verify', '-k', publicKey, '-s', signature, '-m', 'hello grid']);
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout.trim(), 'valid signature');
  const bad = tfgrid(home, ['identity', 'verify', '-k', publicKey, '-s', signature, '-m', 'hello grit']);
  assert.equal(bad.status, 1);
  // Data from standard input signs the same bytes as --message.
  assert.equal(tfgrid(home, ['identity', 'sign'], { input: 'hello grid' }).stdout.trim(), signature);
});

test('canonical signatures do not depend on key order or whitespace', () => {
  const { publicKey } = json<{ publicKey: string }>(tfgrid(home, ['identity', 'show', '--json']));
  const sig = tfgrid(home, ['identity', 'sign', '--canonical', '--domain', 'tfgrid/test/v1', '-m', '{"b":1,"a":[true]}']).stdout.trim();
  const ok = tfgrid(home, ['identity', 'verify', '--canonical', '--domain', 'tfgrid/test/v1', '-k', publicKey, '-s', sig, '-m', '{ "a": [ true ], "b": 1 }']);
  assert.equal(ok.status, 0, ok.stderr);
  const otherDomain = tfgrid(home, ['identity', 'verify', '--canonical', '--domain', 'tfgrid/other/v1', '-k', publicKey, '-s', sig, '-m', '{"a":[true],"b":1}']);
  assert.equal(otherDomain.status, 1);
});

test('seal to a twin and open with its keystore; another identity cannot open it', () => {
  const { encryptionPublicKey } = json<{ encryptionPublicKey: string }>(tfgrid(home, ['identity', 'show', '--json']));
  const sealed = tfgrid(home, ['identity', 'seal', '--to', encryptionPublicKey, '-m', 'the secret plan']);
  assert.equal(sealed.status, 0, sealed.stderr);
  const opened = tfgrid(home, ['identity', 'open'], { input: sealed.stdout });
  assert.equal(opened.status, 0, opened.stderr);
  assert.equal(opened.stdout, 'the secret plan');
  tfgrid(home, ['identity', 'new', '--name', 'other']);
  const wrong = tfgrid(home, ['identity', 'open', '--name', 'other', '--json'], { input: sealed.stdout });
  assert.equal(wrong.status, 1);
  assert.equal((JSON.parse(wrong.stderr) as { error: { code: string } }).error.code, 'CRYPTO_WRONG_KEY');
});

test('usage errors exit 2 with a message; help exits 0', () => {
  assert.equal(tfgrid(home, ['identity', 'nope']).status, 2);
  assert.equal(tfgrid(home, ['identity', 'verify', '-k', 'xyz', '-s', 'ab', '-m', 'x']).status, 2);
  assert.equal(tfgrid(home, ['identity', 'show', '--name', '../../etc']).status, 2);
  const help = tfgrid(home, ['identity', 'sign', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--message/);
  const exists = tfgrid(home, ['identity', 'new']);
  assert.equal(exists.status, 1);
  assert.match(exists.stderr, /CRYPTO_KEYSTORE_EXISTS/);
  const wrongPass = tfgrid(home, ['identity', 'sign', '-m', 'x'], { env: { TFGRID_PASSPHRASE: 'nope' } });
  assert.equal(wrongPass.status, 1);
  assert.match(wrongPass.stderr, /CRYPTO_BAD_PASSPHRASE/);
});

test('settings: a flag beats the environment, which beats the config file', () => {
  tfgrid(home, ['identity', 'new', '--name', 'fromfile']);
  tfgrid(home, ['identity', 'new', '--name', 'fromenv']);
  writeFileSync(join(home, 'config.json'), JSON.stringify({ identity: { name: 'fromfile' } }));
  const nameOf = (run: Run) => json<{ name: string }>(run).name;
  assert.equal(nameOf(tfgrid(home, ['identity', 'show', '--json'])), 'fromfile');
  assert.equal(nameOf(tfgrid(home, ['identity', 'show', '--json'], { env: { TFGRID_IDENTITY: 'fromenv' } })), 'fromenv');
  assert.equal(nameOf(tfgrid(home, ['identity', 'show', '--json', '--name', 'default'], { env: { TFGRID_IDENTITY: 'fromenv' } })), 'default');
  writeFileSync(join(home, 'config.json'), JSON.stringify({ 'identity show': { colour: 'red' } }));
  const bad = tfgrid(home, ['identity', 'show']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /CLI_CONFIG_INVALID.*no option --colour/);
  writeFileSync(join(home, 'config.json'), '{not json');
  assert.equal(tfgrid(home, ['identity', 'show']).status, 2);
  rmSync(join(home, 'config.json'));
});

test('without a passphrase source and no terminal, the error says how to give one', () => {
  const run = spawnSync(process.execPath, [main, 'identity', 'sign', '-m', 'x'], { env: { TFGRID_HOME: home }, encoding: 'utf8', input: '' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /TFGRID_PASSPHRASE/);
});

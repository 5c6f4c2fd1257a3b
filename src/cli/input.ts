// Reading what a command acts on: a --message, a --file, or standard input; and passphrases,
// which come from --passphrase-file, $TFGRID_PASSPHRASE, or a hidden prompt on a terminal.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { TfgridError } from '../base/index.ts';
import { CliError } from './errors.ts';

export interface DataSource {
  message?: string | undefined;
  file?: string | undefined;
}

export async function readData(source: DataSource, stdin: NodeJS.ReadStream = process.stdin): Promise<Uint8Array> {
  if (source.message !== undefined && source.file !== undefined) {
    throw new TfgridError(CliError.USAGE, 'give either --message or --file, not both');
  }
  if (source.message !== undefined) return new Uint8Array(Buffer.from(source.message, 'utf8'));
  if (source.file !== undefined && source.file !== '-') return new Uint8Array(await readFile(source.file));
  if (stdin.isTTY && source.file !== '-') {
    throw new TfgridError(CliError.NO_INPUT, 'no input: give --message <text>, --file <path>, or pipe the data on standard input');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export interface PassphraseSource {
  passphraseFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Ask twice on a terminal (for a new keystore). */
  confirm?: boolean;
}

export async function readPassphrase(source: PassphraseSource): Promise<string> {
  if (source.passphraseFile !== undefined) return (await readFile(source.passphraseFile, 'utf8')).replace(/\r?\n$/, '');
  const fromEnv = (source.env ?? process.env)['TFGRID_PASSPHRASE'];
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new TfgridError(CliError.PASSPHRASE_REQUIRED, 'the keystore needs a passphrase: set TFGRID_PASSPHRASE or give --passphrase-file <path>');
  }
  const first = await promptHidden('Keystore passphrase: ');
  if (source.confirm === true && (await promptHidden('Repeat passphrase: ')) !== first) {
    throw new TfgridError(CliError.USAGE, 'the two passphrases differ');
  }
  return first;
}

async function promptHidden(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (text: string) => void };
  process.stderr.write(question);
  output._writeToOutput = () => undefined; // echo nothing while the passphrase is typed
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

// `tfgrid chain`: run the grid chain on this machine (sequencer, block log, RPC). On first run
// without --genesis it writes a devnet genesis into the data directory that funds the local
// default identity, a generated faucet and any --fund address, and pins the sequencer key this
// run signs with; later runs must sign with that key (CHAIN_WRONG_SEQUENCER otherwise).
import { readFile, writeFile, access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError, createLogger, writeFileAtomic } from '../base/index.ts';
import { Identity, readKeystorePublic } from '../crypto/index.ts';
import { ChainError } from '../chain/errors.ts';
import { chainCore, devnetGenesis, startChainNode } from '../chain/shell/index.ts';
import { action, type Context } from './command.ts';
import { unlockIdentity } from './identity.ts';
import { parseIntegerInRange, parsePort } from './parse.ts';

export const chainPortDefault = 8700;

const Options = z.object({
  data: z.string(),
  genesis: z.string().optional(),
  fund: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'an account address is 64 hex digits')).optional(),
  listen: z.string(),
  port: z.number(),
  blockInterval: z.number(),
  txsPerBlock: z.number().optional(),
  mempoolMax: z.number().optional(),
  snapshotInterval: z.number().optional(),
  verifyWorkers: z.number().optional(),
  identity: z.string().optional(),
  passphraseFile: z.string().optional(),
});

export function chainCommand(): Command {
  const command = new Command('chain')
    .description('run the grid chain: sequencer, append-only block log and RPC (HTTP + WebSocket)')
    .addOption(new Option('--data <dir>', 'data directory (block log, snapshots, genesis; default <home>/chain)').env('TFGRID_CHAIN_DATA'))
    .addOption(new Option('--genesis <file>', 'genesis file (default: <data>/genesis.json, a devnet genesis created on first run)'))
    .addOption(new Option('--fund <address...>', 'with a generated genesis: also fund these accounts'))
    .addOption(new Option('--listen <address>', 'address to listen on').default('127.0.0.1').env('TFGRID_CHAIN_LISTEN'))
    .addOption(new Option('--port <port>', 'TCP port (0: any free port)').default(chainPortDefault).argParser(parsePort).env('TFGRID_CHAIN_PORT'))
    .addOption(new Option('--block-interval <ms>', 'make a block this often when transactions wait').default(500).argParser(parseIntegerInRange(1, 600_000)))
    .addOption(new Option('--txs-per-block <n>', 'block size limit: a full block is made at once').argParser(parseIntegerInRange(1, 100_000)))
    .addOption(new Option('--mempool-max <n>', 'transactions waiting at most (then 503 CHAIN_MEMPOOL_FULL)').argParser(parseIntegerInRange(1, 10_000_000)))
    .addOption(new Option('--snapshot-interval <blocks>', 'write a state snapshot every this many blocks (0: never)').argParser(parseIntegerInRange(0, 10_000_000)))
    .addOption(new Option('--verify-workers <n>', 'signature-checking threads (0: on the main thread)').argParser(parseIntegerInRange(0, 64)))
    .addOption(new Option('--identity <name>', 'sign blocks with this keystore identity (default: a key kept in <data>/sequencer-seed)'))
    .addOption(new Option('--passphrase-file <path>', 'passphrase of --identity (else $TFGRID_PASSPHRASE or a prompt)'));
  command.addHelpText('after', '\nExample: tfgrid chain --port 8700 --block-interval 500\nThen: tfgrid twin create --chain http://127.0.0.1:8700');
  return action(command, Options, async (ctx, o) => {
    const dataDir = resolve(o.data ?? join(ctx.home, 'chain'));
    await mkdir(dataDir, { recursive: true });
    const sequencer = o.identity === undefined ? await localKey(join(dataDir, 'sequencer-seed')) : await unlockIdentity(ctx, o.identity, o.passphraseFile);
    const { genesis, faucet, path } = await loadGenesis(ctx, dataDir, o, sequencer.publicKeyHex);
    checkSequencer(genesis, path, sequencer.publicKeyHex, o.identity === undefined ? `the key in ${join(dataDir, 'sequencer-seed')}` : `identity ${o.identity}`);
    const log = createLogger({ component: 'chain' });
    const node = await startChainNode({
      dataDir, core: chainCore({ genesis, sequencer }), host: o.listen, port: o.port, blockIntervalMs: o.blockInterval,
      txsPerBlockMax: o.txsPerBlock, mempoolTxsMax: o.mempoolMax, snapshotIntervalBlocks: o.snapshotInterval, verifyWorkers: o.verifyWorkers, log,
    });
    const ready = { url: node.rpc.url, height: node.opened.store.height, stateRoot: node.opened.machine.stateRoot(), dataDir, sequencer: sequencer.publicKeyHex, faucet };
    ctx.output.result(ready, (r) => [
      `chain ready at ${r.url} (height ${r.height}, data ${r.dataDir})`,
      `  sequencer key: ${r.sequencer}`,
      ...(r.faucet === undefined ? [] : [`  faucet account: ${r.faucet.publicKey} (seed in ${r.faucet.seedFile})`]),
      `Next: export TFGRID_CHAIN=${r.url}; tfgrid balance; tfgrid twin create. Stop with Ctrl-C.`,
    ].join('\n'));
    const stopped = Promise.withResolvers<void>();
    const shutdown = (signal: string): void => {
      log.info('shutting down', { signal });
      void node.close().then(stopped.resolve, stopped.reject);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    await stopped.promise;
  });
}

/** A key kept as a 0600 file of hex seed: the devnet's sequencer and faucet. */
async function localKey(path: string): Promise<Identity> {
  try {
    return Identity.fromSeed((await readFile(path, 'utf8')).trim());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const identity = Identity.fromSeed(randomBytes(32).toString('hex'));
    await writeFileAtomic(path, identity.seedHex + '\n', { mode: 0o600 });
    return identity;
  }
}

/**
 * The genesis pins the sequencer key: refuse to start with another one (its blocks would be
 * refused by every reader) with a message that says which keys and what to do.
 */
function checkSequencer(genesis: unknown, path: string, key: string, source: string): void {
  const pinned = (genesis as { sequencer?: unknown }).sequencer;
  if (pinned === undefined) {
    throw new TfgridError(ChainError.INVALID_GENESIS, `${path} names no "sequencer" key (it predates key pinning): add "sequencer": "${key}" to sign with ${source}, or start with a new --data directory`);
  }
  if (pinned !== key) {
    throw new TfgridError(ChainError.WRONG_SEQUENCER, `${path} names sequencer key ${JSON.stringify(pinned)}, but ${source} has key ${key}: start with the identity the genesis names (--identity <name>, or without it for <data>/sequencer-seed)`);
  }
}

async function loadGenesis(ctx: Context, dataDir: string, o: z.infer<typeof Options>, sequencer: string): Promise<{ genesis: unknown; path: string; faucet?: { publicKey: string; seedFile: string } }> {
  const path = o.genesis === undefined ? join(dataDir, 'genesis.json') : resolve(o.genesis);
  const exists = await access(path).then(() => true, () => false);
  if (!exists && o.genesis !== undefined) throw new TfgridError(ChainError.INVALID_GENESIS, `no genesis file at ${path}`);
  const faucetFile = join(dataDir, 'faucet-seed');
  if (exists) {
    const faucet = await access(faucetFile).then(async () => ({ publicKey: (await localKey(faucetFile)).publicKeyHex, seedFile: faucetFile }), () => undefined);
    try {
      return { genesis: JSON.parse(await readFile(path, 'utf8')) as unknown, path, faucet };
    } catch (cause) {
      throw new TfgridError(ChainError.INVALID_GENESIS, `${path} is not JSON`, { cause });
    }
  }
  const faucet = await localKey(faucetFile);
  const local = await readKeystorePublic(join(ctx.home, 'identities', 'default.json')).then((k) => [k.publicKey], () => []);
  const genesis = devnetGenesis({ admin: faucet.publicKeyHex, sequencer, funded: [...local, ...(o.fund ?? [])], timestampMs: Date.now() });
  await writeFile(path, JSON.stringify(genesis, null, 2) + '\n');
  ctx.output.note(`wrote a devnet genesis to ${path}: 1,000,000 TFT each for the faucet${local.length > 0 ? ', your default identity' : ''}${o.fund?.length ? ` and ${o.fund.length} more account(s)` : ''}`);
  return { genesis, path, faucet: { publicKey: faucet.publicKeyHex, seedFile: faucetFile } };
}

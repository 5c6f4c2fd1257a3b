// `tfgrid relay`: run a message-bus relay. Its identity must own a twin on the chain (the relay
// signs error envelopes and authenticates to other relays with it); twins list the relay's
// host:port (`--name`) in their phonebook entry to be reached through it. Envelopes queued for
// offline twins are journaled under <home>/relay by default, so a restart does not lose them.
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError, createLogger } from '../base/index.ts';
import { ChainClient } from '../chain/index.ts';
import { ChainPhonebook, RmbError, relayDefaults, startRelay } from '../rmb/index.ts';
import { action } from './command.ts';
import { CliError } from './errors.ts';
import { unlockIdentity } from './identity.ts';
import { parseIntegerInRange, parsePort } from './parse.ts';

const Options = z.object({
  chain: z.string().url(),
  name: z.string(),
  passphraseFile: z.string().optional(),
  listen: z.string(),
  port: z.number(),
  advertise: z.array(z.string()).optional(),
  failFast: z.boolean().optional(),
  queuePerTwin: z.number().int().positive(),
  queueDir: z.string().min(1).optional(),
  memoryQueue: z.boolean().optional(),
  rate: z.number().int().positive(),
});

export function relayCommand(): Command {
  const command = new Command('relay')
    .description('run a message-bus relay: routes signed, end-to-end encrypted envelopes between twins (see src/rmb/README.md)')
    .addOption(new Option('--chain <url>', 'chain RPC URL (the phonebook)').default('http://127.0.0.1:8700').env('TFGRID_CHAIN'))
    .addOption(new Option('-n, --name <name>', 'keystore identity of the relay (must own a twin)').default('default').env('TFGRID_IDENTITY'))
    .addOption(new Option('--passphrase-file <path>', 'passphrase of the identity (else $TFGRID_PASSPHRASE or a prompt)'))
    .addOption(new Option('--listen <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'TCP port (WebSocket, /health, /metrics)').default(8800).argParser(parsePort))
    .addOption(new Option('--advertise <host:port...>', 'names twins use for this relay in their phonebook entry (default <listen>:<port>)'))
    .option('--fail-fast', 'refuse envelopes for offline twins instead of queueing them')
    .addOption(new Option('--queue-dir <dir>', 'directory of the durable offline queue (default <home>/relay)').env('TFGRID_RELAY_QUEUE_DIR'))
    .option('--memory-queue', 'keep the offline queue in memory only: queued envelopes are lost when the relay stops')
    .addOption(new Option('--queue-per-twin <n>', 'envelopes queued per offline twin').default(relayDefaults.queuedPerTwinMax).argParser(parseIntegerInRange(1, 1_000_000)))
    .addOption(new Option('--rate <n>', 'envelopes per second per twin (token bucket, burst 2×)').default(relayDefaults.ratePerSec).argParser(parseIntegerInRange(1, 10_000_000)));
  return action(command, Options, async (ctx, o) => {
    const identity = await unlockIdentity(ctx, o.name, o.passphraseFile);
    const chain = new ChainClient({ url: o.chain });
    const twin = await chain.twinByAccount(identity.publicKeyHex);
    if (twin === undefined) throw new TfgridError(RmbError.UNKNOWN_TWIN, `identity ${o.name} owns no twin on ${o.chain}: run tfgrid twin create first`);
    if (o.memoryQueue === true && o.queueDir !== undefined) throw new TfgridError(CliError.USAGE, '--queue-dir and --memory-queue exclude each other');
    const queueDir = o.memoryQueue === true ? undefined : o.queueDir ?? join(ctx.home, 'relay');
    const phonebook = new ChainPhonebook(chain);
    const relay = await startRelay({
      identity, twinId: twin.id, phonebook, host: o.listen, port: o.port, names: o.advertise, failFast: o.failFast,
      queuedPerTwinMax: o.queuePerTwin, queueDir, ratePerSec: o.rate, rateBurst: 2 * o.rate, log: createLogger({ component: 'rmb-relay' }),
    });
    ctx.output.result({ url: relay.url, twin: twin.id, names: relay.names, queueDir: queueDir ?? null }, (r) => `relay ready at ${r.url} (twin ${r.twin}; twins list it as ${r.names.join(', ')}; queue ${r.queueDir ?? 'in memory'}). Stop with Ctrl-C.`);
    const stopped = Promise.withResolvers<void>();
    const shutdown = (): void => void relay.close().then(() => { phonebook.close(); stopped.resolve(); }, stopped.reject);
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await stopped.promise;
  });
}

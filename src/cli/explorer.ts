// `tfgrid explorer`: index a chain and serve the query API and the web UI on one port. The index
// (SQLite) survives restarts; a chain that no longer matches it is re-indexed. With --relay (and
// an identity that owns a twin) /nodes/:id also asks the node for live statistics over the bus.
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { createLogger, TfgridError } from '../base/index.ts';
import { ChainClient } from '../chain/index.ts';
import { busStatistics, ensureWebBuilt, startExplorer, type StatisticsSource } from '../explorer/index.ts';
import { connect, RmbError, type Peer } from '../rmb/index.ts';
import { action, type Context } from './command.ts';
import { unlockIdentity } from './identity.ts';
import { parsePort } from './parse.ts';
import { chainPortDefault } from './chain.ts';

export const explorerPortDefault = 8800;

const Options = z.object({
  chain: z.string().url(),
  db: z.string().optional(),
  listen: z.string(),
  port: z.number(),
  sequencer: z.string().regex(/^[0-9a-f]{64}$/, 'the sequencer key is 64 hex digits').optional(),
  web: z.boolean(),
  webDir: z.string().optional(),
  relay: z.array(z.string().regex(/^wss?:\/\//, 'a relay is a ws:// or wss:// URL')).optional(),
  name: z.string(),
  passphraseFile: z.string().optional(),
});
type Options = z.infer<typeof Options>;

async function statisticsPeer(ctx: Context, o: Options, chain: ChainClient): Promise<Peer> {
  const identity = await unlockIdentity(ctx, o.name, o.passphraseFile);
  const twin = await chain.twinByAccount(identity.publicKeyHex);
  if (twin === undefined) throw new TfgridError(RmbError.UNKNOWN_TWIN, `identity ${o.name} owns no twin on ${o.chain}: run tfgrid twin create --relay <relay> first`);
  return connect(identity, { twinId: twin.id, relays: o.relay ?? [], chain, log: createLogger({ component: 'explorer-rmb' }) });
}

export function explorerCommand(): Command {
  const command = new Command('explorer')
    .description('index the chain (farms, nodes, twins, contracts, bills, uptime) and serve the query API and web UI')
    .addOption(new Option('--chain <url>', 'chain RPC to follow').default(`http://127.0.0.1:${chainPortDefault}`).env('TFGRID_CHAIN'))
    .addOption(new Option('--db <file>', 'SQLite index file (default <home>/explorer/index.sqlite)').env('TFGRID_EXPLORER_DB'))
    .addOption(new Option('--listen <address>', 'address to listen on').default('127.0.0.1').env('TFGRID_EXPLORER_LISTEN'))
    .addOption(new Option('--port <port>', 'TCP port (0: any free port)').default(explorerPortDefault).argParser(parsePort).env('TFGRID_EXPLORER_PORT'))
    .addOption(new Option('--sequencer <key>', "pin the chain's sequencer key (default: the key the chain names when first indexed)"))
    .addOption(new Option('--no-web', 'serve the API only (no web UI, no build)'))
    .addOption(new Option('--web-dir <dir>', 'built web UI to serve (default web/dist, built when missing)'))
    .addOption(new Option('--relay <url...>', "message-bus relay(s) of the explorer's twin: enables live node statistics"))
    .addOption(new Option('-n, --name <name>', 'identity for the message bus (must own a twin)').default('default').env('TFGRID_IDENTITY'))
    .addOption(new Option('--passphrase-file <path>', 'keystore passphrase file (else $TFGRID_PASSPHRASE or a prompt)'));
  command.addHelpText('after', '\nExample: tfgrid explorer --chain http://127.0.0.1:8700 --port 8800\nThen open http://127.0.0.1:8800/ or curl \'127.0.0.1:8800/nodes?status=up&free_mru=8589934592\'');
  return action(command, Options, async (ctx, o) => {
    const log = createLogger({ component: 'explorer' });
    const webDir = o.web ? ensureWebBuilt({ ...(o.webDir === undefined ? {} : { dist: resolve(o.webDir) }), log }) : undefined;
    const peer = o.relay === undefined ? undefined : await statisticsPeer(ctx, o, new ChainClient({ url: o.chain }));
    const statistics: StatisticsSource | undefined = peer === undefined ? undefined : busStatistics(peer);
    const dbPath = resolve(o.db ?? join(ctx.home, 'explorer', 'index.sqlite'));
    const explorer = await startExplorer({
      chainUrl: o.chain, dbPath, host: o.listen, port: o.port, log,
      ...(o.sequencer === undefined ? {} : { sequencer: o.sequencer }), ...(webDir === undefined ? {} : { webDir }), ...(statistics === undefined ? {} : { statistics }),
    });
    const head = explorer.store.head();
    ctx.output.result({ url: explorer.url, db: dbPath, height: head.height, chain: o.chain, web: webDir ?? null, liveStatistics: peer !== undefined }, (r) =>
      `explorer ready at ${r.url} (index ${r.db} at height ${r.height}, following ${r.chain})${r.web === null ? ', API only' : ''}\nNext: open ${r.url}/ or curl ${r.url}/stats. Stop with Ctrl-C.`);
    const stopped = Promise.withResolvers<void>();
    const shutdown = (signal: string): void => {
      log.info('shutting down', { signal });
      peer?.close();
      void explorer.close().then(stopped.resolve, stopped.reject);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    await stopped.promise;
  });
}

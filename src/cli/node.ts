// `tfgrid node`: run a Zero-OS node agent on this machine (as root): it registers its twin and
// node on the chain with the capacity it measured, reports uptime and deploys what signed
// deployments matching node contracts ask (src/zos/README.md). Its identity comes from a
// mnemonic (prefer $TFGRID_MNEMONIC: a flag shows in `ps`) or a keystore identity.
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError, createLogger } from '../base/index.ts';
import { Identity } from '../crypto/index.ts';
import { startNode } from '../zos/index.ts';
import { action } from './command.ts';
import { CliError } from './errors.ts';
import { unlockIdentity } from './identity.ts';
import { parseIntegerInRange, parsePort } from './parse.ts';

const Options = z.object({
  farm: z.number().int().positive(),
  mnemonic: z.string().optional(),
  name: z.string().optional(),
  passphraseFile: z.string().optional(),
  chain: z.string().url(),
  relay: z.array(z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL')).min(1),
  data: z.string().optional(),
  reservePercent: z.number().int().min(0).max(90),
  prefix: z.string().regex(/^[a-z][a-z0-9]{0,3}$/, '1–4 of [a-z0-9], starting with a letter'),
  zdbListen: z.string(),
  zdbPort: z.number(),
  zdbAdvertise: z.array(z.string()).optional(),
  country: z.string().max(64),
  city: z.string().max(64),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  noForwarding: z.boolean().optional(),
  storageOnly: z.boolean().optional(),
  publicBridge: z.string().regex(/^[a-zA-Z0-9_.-]{1,15}$/, 'a Linux interface name (1–15 of [a-zA-Z0-9_.-])').optional(),
});

const parseNumber = (text: string): number => Number(text);

export function nodeCommand(): Command {
  const command = new Command('node')
    .description('run a Zero-OS node: register capacity on the chain, report uptime, deploy signed workloads (root; see src/zos/README.md)')
    .addOption(new Option('--farm <id>', 'farm this node belongs to').argParser(parseIntegerInRange(1, 2 ** 32 - 1)).makeOptionMandatory())
    .addOption(new Option('--mnemonic <words>', "the node's identity (better: $TFGRID_MNEMONIC)").env('TFGRID_MNEMONIC'))
    .addOption(new Option('-n, --name <identity>', 'keystore identity to use instead of a mnemonic'))
    .addOption(new Option('--passphrase-file <path>', 'passphrase of --name (else $TFGRID_PASSPHRASE or a prompt)'))
    .addOption(new Option('--chain <url>', 'chain RPC URL').default('http://127.0.0.1:8700').env('TFGRID_CHAIN'))
    .addOption(new Option('--relay <url...>', 'relay WebSocket URLs').default(['ws://127.0.0.1:8800']).env('TFGRID_RELAY'))
    .addOption(new Option('--data <dir>', 'data directory (deployments, volumes, containers, 0-db, caches; default <home>/node)'))
    .addOption(new Option('--reserve-percent <n>', 'percent of RAM and disk kept for the system').default(10).argParser(parseIntegerInRange(0, 90)))
    .addOption(new Option('--prefix <p>', 'prefix of every bridge, veth, namespace and container the node makes').default('zos'))
    .addOption(new Option('--zdb-listen <address>', "the node's 0-db server address").default('0.0.0.0'))
    .addOption(new Option('--zdb-port <port>', "the node's 0-db server port").default(9900).argParser(parsePort))
    .addOption(new Option('--zdb-advertise <ip...>', 'addresses given in zdb results (default 127.0.0.1)'))
    .addOption(new Option('--country <name>', 'location').default('Unknown'))
    .addOption(new Option('--city <name>', 'location').default('Unknown'))
    .addOption(new Option('--latitude <deg>', 'location').default(0).argParser(parseNumber))
    .addOption(new Option('--longitude <deg>', 'location').default(0).argParser(parseNumber))
    .option('--no-forwarding', 'leave net.ipv4.ip_forward alone (containers get no outbound NAT)')
    .option('--storage-only', 'run without root: zdb workloads only (no volumes, networks or containers)')
    .option('--public-bridge <bridge>', "an existing bridge on the farm's public network: containers get the farm's public IPs on it");
  command.addHelpText('after', '\nExample: TFGRID_MNEMONIC="…" tfgrid node --farm 1 --chain http://127.0.0.1:8700 --relay ws://127.0.0.1:8800');
  return action(command, Options, async (ctx, o) => {
    if ((o.mnemonic === undefined) === (o.name === undefined)) throw new TfgridError(CliError.USAGE, 'give the node identity as --mnemonic ($TFGRID_MNEMONIC) or --name, one of them');
    const identity = o.mnemonic !== undefined ? Identity.fromMnemonic(o.mnemonic) : await unlockIdentity(ctx, o.name!, o.passphraseFile);
    const log = createLogger({ component: 'zos' });
    const node = await startNode({
      identity, farmId: o.farm, chainUrl: o.chain, relays: o.relay, dataDir: resolve(o.data ?? join(ctx.home, 'node')),
      reservePercent: o.reservePercent, prefix: o.prefix, forwarding: o.noForwarding !== true, storageOnly: o.storageOnly === true,
      ...(o.publicBridge === undefined ? {} : { publicBridge: o.publicBridge }),
      zdb: { host: o.zdbListen, port: o.zdbPort, ...(o.zdbAdvertise === undefined ? {} : { advertise: o.zdbAdvertise }) },
      location: { country: o.country, city: o.city, latitude: o.latitude, longitude: o.longitude }, log,
    });
    ctx.output.result({ twin: node.twinId, node: node.nodeId, farm: o.farm, zdbPort: node.zdbPort, capacity: node.capacity() }, (r) => `node ${r.node} (twin ${r.twin}, farm ${r.farm}) ready: ${r.capacity.total.cru} cores, ${r.capacity.total.mru} B RAM; 0-db on port ${r.zdbPort}. Stop with Ctrl-C.`);
    const stopped = Promise.withResolvers<void>();
    const shutdown = (): void => void node.close().then(stopped.resolve, stopped.reject);
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await stopped.promise;
  });
}

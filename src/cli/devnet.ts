// `tfgrid devnet up|down|status|logs`: a whole grid on this machine, each component its own
// process (see src/devnet). `npm start` runs `devnet up`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { DevnetError, devnetDown, devnetStatus, devnetUp, readState } from '../devnet/index.ts';
import { action, type Context } from './command.ts';
import { parsePort } from './parse.ts';

const dirOption = () => new Option('--dir <dir>', 'devnet directory (default <home>/devnet)').env('TFGRID_DEVNET_DIR');
const dirOf = (ctx: Context, dir: string | undefined) => dir ?? join(ctx.home, 'devnet');

export function devnetCommand(): Command {
  const devnet = new Command('devnet').description('a whole grid on this machine: chain, relay, hub with images, explorer, a 0-db and Zero-OS nodes');

  const up = new Command('up').description('start the local grid (each component in the background; logs in <dir>/logs)')
    .addOption(dirOption())
    .addOption(new Option('--base-port <port>', 'first port: chain, then relay, hub…').default(8700).argParser(parsePort).env('TFGRID_DEVNET_PORT'))
    .addOption(new Option('--nodes <n>', 'Zero-OS nodes in the devnet farm (root only)').default(3).argParser(Number).env('TFGRID_DEVNET_NODES'));
  devnet.addCommand(action(up, z.object({ dir: z.string().optional(), basePort: z.number(), nodes: z.number().int().min(0).max(9) }), async (ctx, o) => {
    const state = await devnetUp({ dir: dirOf(ctx, o.dir), basePort: o.basePort, nodes: o.nodes, userHome: ctx.home, logger: ctx.log, onStep: (text) => ctx.output.note(`devnet: ${text}…`) });
    ctx.output.result(state, (s) => [
      'devnet is up:',
      ...s.components.map((c) => `  ${c.name.padEnd(8)} ${c.url}  (pid ${c.pid}, log ${c.log})`),
      `  images   ${s.images.map((i) => `${i.name}: ${i.url}`).join('\n           ')}`,
      `  twins    ${Object.entries(s.twins).map(([name, id]) => `${name} ${id}`).join(', ')}`,
      ...(s.note === undefined ? [] : [`  note     ${s.note}`]),
      ...(s.publicNet === undefined ? [] : [`  public   farm IPs in ${s.publicNet.subnet} on bridge ${s.publicNet.bridge} (reachable from this machine)`]),
      '',
      'Next:',
      ...(s.explorer === undefined ? [] : [`  open ${s.explorer}/                 the explorer (grid statistics, node finder)`]),
      `  export TFGRID_CHAIN=${s.chain} TFGRID_HUB=${s.hub} TFGRID_RELAY=${s.relay}${s.explorer === undefined ? '' : ` TFGRID_EXPLORER=${s.explorer}`}${s.zdb === undefined ? '' : ` TFGRID_BCDB_ZDB=${s.zdb}`}`,
      '  tfgrid balance                      your default identity is funded (tfgrid identity new if you have none: then devnet down/up)',
      `  tfgrid twin create --relay ${s.relay.replace(/^ws:\/\//, '')}`,
      '  tfgrid deploy examples/web.yaml     then: tfgrid ps (its public IP), tfgrid bot (self-healing), tfgrid down',
      '  tfgrid deploy examples/kv.yaml      a container using its zdb: tfgrid logs kv client',
      '  tfgrid devnet status | logs <component> | down',
    ].join('\n'));
  }));

  const down = new Command('down').description('stop the local grid').addOption(dirOption());
  devnet.addCommand(action(down, z.object({ dir: z.string().optional() }), async (ctx, o) => {
    const stopped = await devnetDown(dirOf(ctx, o.dir));
    ctx.output.result({ stopped: stopped.map((c) => c.name) }, (r) => (r.stopped.length === 0 ? 'no devnet was running' : `stopped ${r.stopped.join(', ')}`));
  }));

  const status = new Command('status').description('which components run and answer').addOption(dirOption());
  devnet.addCommand(action(status, z.object({ dir: z.string().optional() }), async (ctx, o) => {
    const { state, components } = await devnetStatus(dirOf(ctx, o.dir));
    ctx.output.result({ running: state !== null, components }, () => state === null
      ? 'no devnet here: tfgrid devnet up'
      : components.map((c) => `${c.name.padEnd(8)} ${c.running ? (c.healthy ? 'up' : 'running, not answering') : 'stopped'}  ${c.url}`).join('\n'));
    if (components.some((c) => !c.running || !c.healthy)) process.exitCode = 1;
  }));

  const logs = new Command('logs').argument('<component>', 'chain, relay, hub…').description('print a component\'s log').addOption(dirOption())
    .option('--tail <lines>', 'only the last lines', Number);
  devnet.addCommand(action(logs, z.object({ dir: z.string().optional(), tail: z.number().int().positive().optional() }), async (ctx, o, [name]: string[]) => {
    const state = readState(dirOf(ctx, o.dir));
    const component = state?.components.find((c) => c.name === name);
    if (component === undefined) throw new TfgridError(DevnetError.NOT_RUNNING, `no component '${name}' in this devnet (${state?.components.map((c) => c.name).join(', ') ?? 'none'})`);
    const lines = readFileSync(component.log, 'utf8').split('\n');
    process.stdout.write((o.tail === undefined ? lines : lines.slice(-o.tail - 1)).join('\n'));
    await Promise.resolve();
  }));
  return devnet;
}

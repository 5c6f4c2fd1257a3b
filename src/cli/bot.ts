// The 3Bot's commands: `tfgrid deploy grid.yaml`, `ps`, `logs`, `down`, `contracts` and `bot`
// (the self-healing reconciler). They sign as the keystore identity (`-n`), reach nodes over
// the message bus and keep the desired state in the twin's BCDB on a 0-db (`--bcdb-zdb`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { BotSession, DesiredStore, contracts, deployWithRetries, down, formatTftUnits, logs, parseSpec, planDeploy, Reconciler, orphanGraceMsDefault, statefulWarning, status, type DesiredRecord, type Plan, type Replica } from '../bot/index.ts';
import { action, type Context } from './command.ts';
import { CliError } from './errors.ts';
import { unlockIdentity } from './identity.ts';
import { chainPortDefault } from './chain.ts';

const common = {
  chain: z.string().url(), relay: z.string().url().optional(), explorer: z.string().url().optional(), hub: z.string().url().optional(),
  bcdbZdb: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port'), bcdbNamespace: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), bcdbPassword: z.string().optional(), zdbAdmin: z.string().optional(),
  name: z.string(), passphraseFile: z.string().optional(),
};
type Common = z.infer<z.ZodObject<typeof common>>;

function withCommon(command: Command): Command {
  return command
    .addOption(new Option('--chain <url>', 'chain RPC address').default(`http://127.0.0.1:${chainPortDefault}`).env('TFGRID_CHAIN'))
    .addOption(new Option('--relay <url>', 'relay (ws://host:port); default: your twin\'s relays').env('TFGRID_RELAY'))
    .addOption(new Option('--explorer <url>', 'explorer for capacity search (default: ask the chain)').env('TFGRID_EXPLORER'))
    .addOption(new Option('--hub <url>', 'hub where image names are looked up').env('TFGRID_HUB'))
    .addOption(new Option('--bcdb-zdb <host:port>', '0-db holding the desired state (your BCDB)').default('127.0.0.1:9900').env('TFGRID_BCDB_ZDB'))
    .addOption(new Option('--bcdb-namespace <name>', '0-db namespace of the desired state').default('bot').env('TFGRID_BOT_NAMESPACE'))
    .addOption(new Option('--bcdb-password <password>', 'namespace password').env('TFGRID_BCDB_ZDB_PASSWORD'))
    .addOption(new Option('--zdb-admin <password>', '0-db admin password (to create the namespace)').env('TFGRID_ZDB_ADMIN'))
    .addOption(new Option('-n, --name <name>', 'identity that signs').default('default').env('TFGRID_IDENTITY'))
    .addOption(new Option('--passphrase-file <path>', 'keystore passphrase file (else $TFGRID_PASSPHRASE or a prompt)'));
}

async function withBot<T>(ctx: Context, o: Common, fn: (session: BotSession, store: DesiredStore) => Promise<T>): Promise<T> {
  const identity = await unlockIdentity(ctx, o.name, o.passphraseFile);
  const session = await BotSession.open({ chainUrl: o.chain, identity, relayUrl: o.relay, explorerUrl: o.explorer, hubUrl: o.hub });
  const [host, port] = [o.bcdbZdb.slice(0, o.bcdbZdb.lastIndexOf(':')), Number(o.bcdbZdb.slice(o.bcdbZdb.lastIndexOf(':') + 1))];
  const store = new DesiredStore({ zdb: { host, port }, namespace: o.bcdbNamespace, password: o.bcdbPassword, adminPassword: o.zdbAdmin, dir: join(ctx.home, 'bot', o.bcdbNamespace), identity, twinId: session.twinId, log: ctx.log });
  try {
    return await fn(session, store);
  } finally {
    await session.close();
  }
}

/** `httpd=10.240.1.2 (public 198.51.100.10)` for each container of a replica. */
const replicaIps = (x: Replica): string => Object.entries(x.ips).map(([c, ip]) => `${c}=${ip}${x.publicIps?.[c] === undefined ? '' : ` (public ${x.publicIps[c]})`}`).join(' ');
const addresses = (r: DesiredRecord): string => r.replicas.map((x) => `[${x.index}] node ${x.nodeId} contract ${x.contractId} ${replicaIps(x)}`).join('\n    ');

function deployCommand(): Command {
  const command = withCommon(new Command('deploy').description('deploy grid.yaml: plan, contract, sign, send, wait; roll back on failure').argument('<file>', 'grid.yaml (or JSON)'))
    .option('--dry-run', 'plan only: print nodes and monthly cost');
  return action(command, z.object({ ...common, dryRun: z.boolean().optional() }), async (ctx, o, [file]: string[]) => {
    const text = await readFile(file!, 'utf8').catch((error: unknown) => {
      throw new TfgridError(CliError.USAGE, `${file}: ${(error as Error).message}`);
    });
    const spec = parseSpec(text, file);
    await withBot(ctx, o, async (session, store) => {
      const started = Date.now();
      const showPlan = (plan: Plan): void => ctx.output.note(['plan:', ...plan.replicas.map((r) => `  ${r.deployment}[${r.replica}] → node ${r.nodeId} (farm ${r.farmId})  ${formatTftUnits(r.costTftUnits)}/month`), `  total ${formatTftUnits(plan.monthlyTftUnits)}/month`].join('\n'));
      if (o.dryRun === true) {
        const { plan } = await planDeploy(session, spec);
        showPlan(plan);
        ctx.output.result({ plan: plan.replicas.map((r) => ({ ...r, costTftUnits: r.costTftUnits.toString() })), monthlyTftUnits: plan.monthlyTftUnits.toString() }, () => 'dry run: nothing deployed');
        return;
      }
      const { records, plan } = await deployWithRetries(session, store, spec, { onPlan: showPlan, onProgress: (text) => ctx.output.note(`  ${text}`) });
      const stateful = records.filter((r) => Object.keys(r.spec.volumes).length + Object.keys(r.spec.zdbs).length > 0).map((r) => r.name);
      ctx.output.result({ deployments: records, monthlyTftUnits: plan.monthlyTftUnits.toString(), elapsedMs: Date.now() - started }, (r) => [
        ...r.deployments.map((d) => `${d.name}: ok\n    ${addresses(d)}`),
        `deployed in ${((Date.now() - started) / 1000).toFixed(1)} s; ${formatTftUnits(plan.monthlyTftUnits)}/month`,
        ...(stateful.length === 0 ? [] : [`note (${stateful.join(', ')}): if a node fails, tfgrid bot moves the replica but ${statefulWarning}`]),
        'Next: tfgrid ps, tfgrid bot (self-healing), tfgrid down',
      ].join('\n'));
    });
  });
}

function psCommand(): Command {
  const command = withCommon(new Command('ps').description('your deployments: where each replica runs and what its node says'));
  return action(command, z.object(common), async (ctx, o) => {
    const found = await withBot(ctx, o, (session, store) => status(session, store));
    ctx.output.result(found, (f) => f.records.length === 0 ? 'no deployments: tfgrid deploy grid.yaml' : f.records.map((r) => {
      const rows = f.replicas.filter((x) => x.name === r.name).map((x) => `  [${x.replica.index}] node ${x.replica.nodeId} contract ${x.replica.contractId} ${replicaIps(x.replica)}  ${Object.entries(x.workloads).map(([w, s]) => `${w}:${s}`).join(' ')}${x.problem === undefined ? '' : `  PROBLEM ${x.problem}`}`);
      const last = r.events.at(-1);
      return [`${r.name}  ${r.status}  ${r.spec.replicas} replica(s)${last === undefined ? '' : `  last: ${last.kind} ${new Date(last.atMs).toISOString()} ${last.reason}`}`, ...rows].join('\n');
    }).join('\n'));
  });
}

function logsCommand(): Command {
  const command = withCommon(new Command('logs').description("a container's output").argument('<deployment>').argument('<container>'))
    .option('--replica <n>', 'which replica', Number).option('--bytes <n>', 'at most this many bytes from the end', Number);
  return action(command, z.object({ ...common, replica: z.number().int().min(0).optional(), bytes: z.number().int().min(1).optional() }), async (ctx, o, [name, container]: string[]) => {
    const text = await withBot(ctx, o, (session, store) => logs(session, store, name!, container!, { ...(o.replica === undefined ? {} : { replica: o.replica }), ...(o.bytes === undefined ? {} : { bytes: o.bytes }) }));
    ctx.output.result({ logs: text }, (r) => r.logs);
  });
}

function downCommand(): Command {
  const command = withCommon(new Command('down').description('cancel the contracts of a deployment (default: all of yours)').argument('[name]'));
  return action(command, z.object(common), async (ctx, o, [name]: string[]) => {
    const results = await withBot(ctx, o, (session, store) => down(session, store, name));
    ctx.output.result(results, (rs) => rs.length === 0 ? 'nothing deployed' : rs.map((r) => `${r.name}: cancelled contract(s) ${r.cancelled.join(', ') || '-'}${r.failed.length === 0 ? '' : `; FAILED ${r.failed.map((f) => `${f.id} (${f.error})`).join(', ')}`}`).join('\n'));
    if (results.some((r) => r.failed.length > 0)) process.exitCode = 1;
  });
}

function contractsCommand(): Command {
  const command = withCommon(new Command('contracts').description('your contracts on the chain and the deployment holding each'));
  return action(command, z.object(common), async (ctx, o) => {
    const rows = await withBot(ctx, o, (session, store) => contracts(session, store));
    ctx.output.result(rows, (rs) => rs.length === 0 ? 'no contracts' : rs.map((c) => `${String(c.id).padStart(6)}  ${c.kind.padEnd(5)} ${c.state.padEnd(12)}${c.nodeId === undefined ? '' : ` node ${c.nodeId}`}  ${c.deployment ?? (c.orphan ? '(orphan: no deployment records it — a deploy still running, or one that stopped; tfgrid bot cancels it after --orphan-grace)' : c.kind === 'node' ? '(not made by tfgrid deploy)' : '')}`).join('\n'));
  });
}

function botCommand(): Command {
  const command = withCommon(new Command('bot').description('the self-healing reconciler: moves replicas off nodes that fail, until stopped'))
    .option('--tick <ms>', 'time between looks', Number).option('--unreachable-grace <ms>', 'a silent node is given this long', Number).option('--error-grace <ms>', 'a workload in error is given this long', Number)
    .option('--orphan-grace <ms>', `a contract no deployment holds (a deploy killed before recording it) is cancelled when this old (default ${orphanGraceMsDefault})`, Number);
  return action(command, z.object({ ...common, tick: z.number().int().min(100).optional(), unreachableGrace: z.number().int().min(0).optional(), errorGrace: z.number().int().min(0).optional(), orphanGrace: z.number().int().min(0).optional() }), async (ctx, o) => {
    await withBot(ctx, o, async (session, store) => {
      const reconciler = new Reconciler(session, store, {
        log: ctx.log, tickMs: o.tick ?? 1_000,
        heal: { unreachableGraceMs: o.unreachableGrace ?? 3_000, errorGraceMs: o.errorGrace ?? 5_000 },
        orphanGraceMs: o.orphanGrace ?? orphanGraceMsDefault,
        onOrphan: (r) => ctx.output.result(r, (x) => `${new Date().toISOString()} contract ${x.contractId} (${x.tag}): no deployment holds it (a deploy stopped before recording it) → ${x.error === undefined ? 'cancelled' : `cancel FAILED: ${x.error}`}`),
        onMove: (m) => ctx.output.result(m, (r) => `${new Date().toISOString()} ${r.name}[${r.index}]: ${r.reason} → ${r.error === undefined ? `moved to node ${r.toNode}` : `move FAILED: ${r.error}`}${r.stateful && r.error === undefined ? ` (${statefulWarning})` : ''}`),
      });
      ctx.output.result({ ready: true, twin: session.twinId }, () => `tfgrid bot: watching the deployments of twin ${session.twinId} (Ctrl-C stops)`);
      reconciler.start();
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await reconciler.stop();
    });
  });
}

export function botCommands(): Command[] {
  return [deployCommand(), psCommand(), logsCommand(), downCommand(), contractsCommand(), botCommand()];
}

// `tfgrid zstor`: Zero-Stor from the shell, after 0-stor v2's commands (store, retrieve, check,
// rebuild, status) plus scrub, list and a service mode. Files are named by their absolute path
// (relative to `root` when the config sets one), as in 0-stor.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, relative, resolve, dirname, basename, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { createLogger, TfgridError } from '../base/index.ts';
import { loadConfig, runService, servicePass, Zstor, ZstorError, type FileInfo, type ScrubReport, type ZstorConfig } from '../zstor/index.ts';
import { action, type Context } from './command.ts';
import { humanRecord } from './output.ts';

const common = { zstorConfig: z.string().optional() };
type Common = { zstorConfig?: string | undefined };

function withConfig(command: Command): Command {
  return command.addOption(new Option('-c, --zstor-config <file>', 'zstor.toml (default: <home>/zstor.toml)').env('TFGRID_ZSTOR_CONFIG'));
}

async function withZstor<T>(ctx: Context, o: Common, fn: (zstor: Zstor, config: ZstorConfig) => Promise<T>): Promise<T> {
  const config = await loadConfig(o.zstorConfig ?? join(ctx.home, 'zstor.toml'));
  const zstor = Zstor.open(config, { log: ctx.log.child({ component: 'zstor' }) });
  try {
    return await fn(zstor, config);
  } finally {
    zstor.close();
  }
}

/** The stored name of a file path: absolute, and relative to the virtual root when one is set. */
export function nameOf(path: string, root: string | undefined): string {
  const absolute = resolve(path);
  if (root === undefined) return absolute;
  const inside = relative(resolve(root), absolute);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new TfgridError(ZstorError.INVALID_ARGUMENT, `${path} is outside the virtual root ${root}`);
  return `/${inside}`;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function showInfo(info: FileInfo): string {
  return humanRecord({ name: info.name, size: `${info.sizeBytes} bytes`, checksum: info.checksum, segments: info.segments, shards: `${info.dataShards}+${info.parityShards}`, compression: info.compression, createdMs: info.createdMs });
}

function showReports(reports: readonly ScrubReport[]): string {
  if (reports.length === 0) return 'no files';
  return reports.map((r) => `${r.name}: ${r.shardsChecked} shards checked, ${r.shardsBad} bad, ${r.shardsRepaired} repaired${r.segmentsLost > 0 ? `, ${r.segmentsLost} segment(s) LOST` : ''}${r.problems.map((p) => `\n  ${p}`).join('')}`).join('\n');
}

export function zstorCommand(): Command {
  const zstor = new Command('zstor').description('encrypted, erasure-coded storage dispersed over 0-db backends (after 0-stor v2)');
  zstor.addHelpText('after', '\nExample:\n  tfgrid zstor store -c zstor.toml ./backup.tar\n  tfgrid zstor retrieve -c zstor.toml ./backup.tar -o restored.tar\n  tfgrid zstor service -c zstor.toml --interval 600\nConfig format and guarantees: src/zstor/README.md');

  const store = withConfig(new Command('store').argument('<path>', 'file to store (- for standard input, with --name)').description('store a file'))
    .option('--name <name>', 'store under this name instead of the path');
  zstor.addCommand(action(store, z.object({ ...common, name: z.string().optional() }), async (ctx, o, [path]: string[]) => {
    const info = await withZstor(ctx, o, async (z, config) => {
      if (path === '-' && o.name === undefined) throw new TfgridError(ZstorError.INVALID_ARGUMENT, 'standard input needs --name');
      const name = o.name ?? nameOf(path!, config.root);
      const source = path === '-' ? process.stdin : createReadStream(path!, { highWaterMark: 1024 * 1024 });
      let lastNote = 0;
      return z.store(name, source, {
        onProgress: (p) => {
          if (Date.now() - lastNote < 1000) return;
          lastNote = Date.now();
          ctx.output.note(`stored ${mib(p.bytes)} (${p.segments} segments)`);
        },
      });
    });
    ctx.output.result(info, showInfo);
  }));

  const retrieve = withConfig(new Command('retrieve').argument('<path>', 'the stored path (or --name)').description('retrieve a file (written atomically: a failure leaves no partial file)'))
    .option('--name <name>', 'the stored name, if not the path')
    .option('-o, --output <file>', 'where to write it (- for standard output; default: the path)');
  zstor.addCommand(action(retrieve, z.object({ ...common, name: z.string().optional(), output: z.string().optional() }), async (ctx, o, [path]: string[]) => {
    const info = await withZstor(ctx, o, async (z, config) => {
      const name = o.name ?? nameOf(path!, config.root);
      const target = o.output ?? path!;
      const stream = await z.retrieve(name);
      if (target === '-') {
        await pipeline(stream, process.stdout);
      } else {
        const temp = join(dirname(resolve(target)), `.${basename(target)}.zstor-${process.pid}.tmp`);
        try {
          await pipeline(stream, createWriteStream(temp));
          await rename(temp, target);
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
      }
      return z.check(name);
    });
    if (o.output !== '-') ctx.output.result(info, (i) => `retrieved ${i.name} (${i.sizeBytes} bytes, checksum verified)`);
  }));

  const check = withConfig(new Command('check').argument('<path>').description('size and BLAKE2b-512 checksum from the metadata (no data read)')).option('--name <name>');
  zstor.addCommand(action(check, z.object({ ...common, name: z.string().optional() }), async (ctx, o, [path]: string[]) => {
    ctx.output.result(await withZstor(ctx, o, (z, config) => z.check(o.name ?? nameOf(path!, config.root))), showInfo);
  }));

  const rebuild = withConfig(new Command('rebuild').argument('<path>').description('re-read a file and rebuild its missing, corrupt or moved shards on healthy backends')).option('--name <name>');
  zstor.addCommand(action(rebuild, z.object({ ...common, name: z.string().optional() }), async (ctx, o, [path]: string[]) => {
    const report = await withZstor(ctx, o, (z, config) => z.rebuild(o.name ?? nameOf(path!, config.root)));
    ctx.output.result(report, (r) => showReports([r]));
    if (report.segmentsLost > 0) process.exitCode = 1;
  }));

  const scrub = withConfig(new Command('scrub').argument('[path]', 'one file (default: every file)').description('re-read every shard, verify checksums, repair what is bad'))
    .option('--name <name>').option('--dry-run', 'report only, repair nothing');
  zstor.addCommand(action(scrub, z.object({ ...common, name: z.string().optional(), dryRun: z.boolean().optional() }), async (ctx, o, [path]: string[]) => {
    const reports = await withZstor(ctx, o, (z, config) => z.scrub(o.name ?? (path === undefined ? undefined : nameOf(path, config.root)), { repair: o.dryRun !== true }));
    ctx.output.result(reports, showReports);
    if (reports.some((r) => r.segmentsLost > 0 || (o.dryRun === true && r.shardsBad > 0))) process.exitCode = 1;
  }));

  const list = withConfig(new Command('list').description('the stored files'));
  zstor.addCommand(action(list, z.object(common), async (ctx, o) => {
    ctx.output.result(await withZstor(ctx, o, (z) => z.list()), (files) => (files.length === 0 ? 'no files' : files.map((f) => `${f.name}  ${f.sizeBytes} bytes  ${f.dataShards}+${f.parityShards}`).join('\n')));
  }));

  const status = withConfig(new Command('status').description('backends: reachable, mode, used and free space'));
  zstor.addCommand(action(status, z.object(common), async (ctx, o) => {
    const result = await withZstor(ctx, o, (z) => z.status());
    const line = (b: { id: string; reachable: boolean; entries: number; usedBytes: number; freeBytes: number; error?: string }) =>
      `${b.id}  ${b.reachable ? `up  ${b.entries} entries  ${mib(b.usedBytes)} used  ${Number.isFinite(b.freeBytes) ? `${mib(b.freeBytes)} free` : 'no limit'}` : `DOWN  ${b.error ?? ''}`}`;
    ctx.output.result({ ...result, data: result.data.map((b) => ({ ...b, freeBytes: Number.isFinite(b.freeBytes) ? b.freeBytes : null })), meta: result.meta.map((b) => ({ ...b, freeBytes: Number.isFinite(b.freeBytes) ? b.freeBytes : null })) },
      () => [...result.data.map((b) => `group ${b.group}  ${line(b)}`), ...result.meta.map((b) => `meta     ${line(b)}`)].join('\n'));
    if ([...result.data, ...result.meta].some((b) => !b.reachable)) process.exitCode = 1;
  }));

  const service = withConfig(new Command('service').description('run health checks, scrub and repair every --interval seconds until stopped'))
    .addOption(new Option('--interval <seconds>', 'seconds between passes').default(3600).argParser(Number))
    .option('--once', 'one pass, then exit');
  zstor.addCommand(action(service, z.object({ ...common, interval: z.number().int().min(1), once: z.boolean().optional() }), async (ctx, o) => {
    const log = createLogger({ component: 'zstor' });
    await withZstor(ctx, o, async (z) => {
      if (o.once === true) {
        const summary = await servicePass(z, { log });
        ctx.output.result(summary, (s) => humanRecord(s));
        return;
      }
      const stop = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
      log.info('service started', { intervalSec: o.interval });
      await runService(z, { intervalMs: o.interval * 1000, signal: stop.signal, log });
    });
  }));
  return zstor;
}

// `tfgrid flist` (pack, unpack, inspect, verify, images) and `tfgrid hub` (serve, push, list):
// filesystem images as flists, and the service that publishes them. See src/flist/README.md.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { ChainClient } from '../chain/index.ts';
import {
  BlockCache, FlistError, buildReadyImages, isImageLayout, downloadFlist, inspectFlist, listFlists, packArchive, packDirectory, parseRoute, pushFlist, startHub, unpack, verifyFlist,
  type PackStats,
} from '../flist/index.ts';
import { action, type Context } from './command.ts';
import { unlockIdentity } from './identity.ts';
import { formatBytes, humanRecord, throttledProgress } from './output.ts';
import { parsePort } from './parse.ts';

const storeHelp = 'block store: zdb://[:password@]host:port/namespace, dir:///path or a path; prefix 00-7f= to route a range of block ids (repeat to replicate or split)';

function parseTags(tags: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((tag) => {
    const at = tag.indexOf('=');
    if (at <= 0) throw new TfgridError(FlistError.INVALID, `tag '${tag}': expected key=value`);
    return [tag.slice(0, at), tag.slice(at + 1)];
  }));
}

function cacheDir(ctx: Context, given: string | undefined): string {
  return given ?? join(ctx.home, 'cache', 'blocks');
}

function packSummary(stats: PackStats, output: string): string {
  const dedup = stats.blocks === 0 ? '' : `, ${stats.blocks - stats.uniqueBlocks} deduplicated`;
  return `${output}: ${stats.files} files, ${stats.directories} directories, ${stats.symlinks} symlinks${stats.hardLinks > 0 ? `, ${stats.hardLinks} hard links` : ''}${stats.special > 0 ? `, ${stats.special} special` : ''}; ${formatBytes(stats.bytes)} in ${stats.uniqueBlocks} blocks${dedup}\nNext: tfgrid flist inspect ${output}, or tfgrid hub push ${output}`;
}

export function flistCommand(): Command {
  const flist = new Command('flist').description('filesystem images: a small metadata file plus encrypted, deduplicated blocks in stores');

  const pack = new Command('pack').argument('<source>', 'a directory, an image (docker save or OCI layout: tarball or directory), or a rootfs tarball').description('pack a directory or an image into an flist')
    .requiredOption('-o, --output <file>', 'the flist to write')
    .addOption(new Option('--store <url...>', storeHelp).env('TFGRID_FLIST_STORE').makeOptionMandatory())
    .option('--no-compress', 'store blocks without zstd')
    .option('--tag <key=value...>', 'tags stored in the flist (e.g. entrypoint=/bin/sh)');
  flist.addCommand(action(pack, z.object({ output: z.string(), store: z.union([z.array(z.string()), z.string().transform((s) => s.split(','))]), compress: z.boolean(), tag: z.array(z.string()).optional() }), async (ctx, o, [source]: string[]) => {
    const info = await stat(source!).catch(() => {
      throw new TfgridError(FlistError.SOURCE, `no such file or directory: ${source}`);
    });
    const options = {
      routes: o.store.map(parseRoute), compress: o.compress, tags: parseTags(o.tag), logger: ctx.log,
      onProgress: throttledProgress(ctx.output, (done, total) => `packed ${formatBytes(done)}${total === undefined ? '' : ` of ${formatBytes(total)}`}`),
    };
    const stats = info.isDirectory() && !isImageLayout(source!) ? await packDirectory(resolve(source!), o.output, options) : await packArchive(source!, o.output, options);
    ctx.output.result({ output: o.output, ...stats }, () => packSummary(stats, o.output));
  }));

  const unpackCommand = new Command('unpack').argument('<flist>', 'an flist file or its hub URL').argument('<dir>', 'target directory (new or empty)').description('materialize an flist into a directory')
    .option('--cache <dir>', 'block cache shared across flists (default <home>/cache/blocks)')
    .option('--no-cache', 'fetch every block from the stores')
    .option('--store <url...>', 'use these routes instead of the flist\'s (e.g. with a password)')
    .option('--skip-devices', 'leave out device files (needed to unpack them without root)');
  flist.addCommand(action(unpackCommand, z.object({ cache: z.union([z.string(), z.boolean()]).optional(), store: z.array(z.string()).optional(), skipDevices: z.boolean().optional() }), async (ctx, o, [source, target]: string[]) => {
    const temp = /^https?:\/\//.test(source!) ? await mkdtemp(join(tmpdir(), 'tfgrid-flist-')) : undefined;
    try {
      const path = temp === undefined ? source! : join(temp, 'image.fl');
      if (temp !== undefined) await downloadFlist(source!, path);
      const result = await unpack(path, target!, {
        ...(o.cache === false ? {} : { cache: new BlockCache(cacheDir(ctx, typeof o.cache === 'string' ? o.cache : undefined)) }),
        ...(o.store === undefined ? {} : { routes: o.store.map(parseRoute) }),
        ...(o.skipDevices === true ? { devices: 'skip' as const } : {}),
        logger: ctx.log,
        onProgress: throttledProgress(ctx.output, (done, total) => `unpacked ${formatBytes(done)} of ${formatBytes(total ?? 0)}`),
      });
      ctx.output.result(result, (r) => `${target}: ${r.files} files, ${r.directories} directories, ${r.symlinks} symlinks, ${formatBytes(r.bytes)}; blocks: ${r.blocksFromCache} from the cache, ${r.blocksFetched} fetched; owners ${r.ownership}`);
    } finally {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true });
    }
  }));

  const inspect = new Command('inspect').argument('<flist>').description('what an flist holds: counts, sizes, dedup ratio, tags, routes').option('--tree', 'list every entry');
  flist.addCommand(action(inspect, z.object({ tree: z.boolean().optional() }), async (ctx, o, [path]: string[]) => {
    const summary = inspectFlist(path!, { tree: o.tree === true });
    ctx.output.result(summary, (s) => {
      const head = humanRecord({
        format: s.format, created: s.created, files: s.counts.file, directories: s.counts.directory, symlinks: s.counts.symlink, 'hard links': s.hardLinks,
        special: s.counts.char + s.counts.block + s.counts.fifo + s.counts.socket, content: formatBytes(s.bytes), blocks: `${s.blocks} (${s.uniqueBlocks} distinct, dedup ×${s.dedupRatio.toFixed(2)})`,
        tags: Object.entries(s.tags).map(([k, v]) => `${k}=${v}`).join(' ') || '-', routes: s.routes.map((r) => `${r.start.toString(16).padStart(2, '0')}-${r.end.toString(16).padStart(2, '0')}=${r.url}`).join(' '),
      });
      const tree = (s.entries ?? []).map((e) => `${e.mode} ${String(e.uid).padStart(5)} ${String(e.gid).padStart(5)} ${String(e.size).padStart(10)} ${e.path}${e.target === undefined ? '' : ` -> ${e.target}`}`);
      return [head, ...tree].join('\n');
    });
    await Promise.resolve();
  }));

  const verify = new Command('verify').argument('<flist>').description('fetch every block from its routes and check it').option('--store <url...>', 'check these routes instead of the flist\'s');
  flist.addCommand(action(verify, z.object({ store: z.array(z.string()).optional() }), async (ctx, o, [path]: string[]) => {
    const result = await verifyFlist(path!, {
      ...(o.store === undefined ? {} : { routes: o.store.map(parseRoute) }), logger: ctx.log,
      onProgress: throttledProgress(ctx.output, (done, total) => `checked ${done} of ${total ?? 0} blocks`),
    });
    ctx.output.result(result, (r) => (r.problems.length === 0 ? `ok: ${r.blocks} blocks fetched and checked` : `${r.problems.length} of ${r.blocks} blocks failed:\n${r.problems.slice(0, 20).map((p) => `  ${p.block.slice(0, 16)}… ${p.code}: ${p.message}`).join('\n')}`));
    if (result.problems.length > 0) process.exitCode = 1;
  }));

  const images = new Command('images').description('build the ready images (busybox, httpd) from this machine\'s busybox-static')
    .requiredOption('--out <dir>', 'where to write busybox.fl and httpd.fl')
    .addOption(new Option('--store <url...>', storeHelp).env('TFGRID_FLIST_STORE').makeOptionMandatory());
  flist.addCommand(action(images, z.object({ out: z.string(), store: z.union([z.array(z.string()), z.string().transform((s) => s.split(','))]) }), async (ctx, o) => {
    const built = await buildReadyImages(o.out, o.store.map(parseRoute), { logger: ctx.log });
    ctx.output.result(built, (list) => list.map((image) => `${image.path}: ${image.name}, entrypoint '${image.entrypoint}', ${formatBytes(image.stats.bytes)}`).join('\n'));
  }));
  return flist;
}

export function hubCommand(): Command {
  const hub = new Command('hub').description('the flist hub: twins publish flists and blocks (signed), anyone downloads them');
  const serveCommand = new Command('serve').description('run the hub (the default)')
    .addOption(new Option('--data <dir>', 'where blocks, flists and the index live (default <home>/hub)').env('TFGRID_HUB_DATA'))
    .addOption(new Option('--listen <address>', 'address to listen on').default('127.0.0.1').env('TFGRID_HUB_LISTEN'))
    .addOption(new Option('--port <port>', 'HTTP port').default(8600).argParser(parsePort).env('TFGRID_HUB_PORT'))
    .addOption(new Option('--chain <url>', 'only accept publishers that are twins on this chain').env('TFGRID_HUB_CHAIN'));
  hub.addCommand(action(serveCommand, z.object({ data: z.string().optional(), listen: z.string(), port: z.number(), chain: z.string().url().optional() }), async (ctx, o) => {
    const chain = o.chain === undefined ? undefined : new ChainClient({ url: o.chain });
    const server = await startHub({
      dataDir: o.data ?? join(ctx.home, 'hub'), port: o.port, host: o.listen, logger: ctx.log,
      ...(chain === undefined ? {} : { twinOf: async (key: string) => (await chain.twinByAccount(key))?.id }),
    });
    ctx.output.note(`hub on ${server.url}; publish with: tfgrid hub push <app.fl> --hub ${server.url}. Ctrl-C to stop`);
    await new Promise<void>((resolvePromise) => {
      process.once('SIGINT', resolvePromise);
      process.once('SIGTERM', resolvePromise);
    });
    await server.close();
  }), { isDefault: true });

  const hubOption = () => new Option('--hub <url>', 'hub URL').default('http://127.0.0.1:8600').env('TFGRID_HUB');
  const push = new Command('push').argument('<flist>').description('publish an flist: upload the blocks the hub lacks, then the flist')
    .addOption(hubOption())
    .option('--as <name>', 'name on the hub (default: the file name)')
    .option('--tag <key=value...>', 'tags to list it by')
    .addOption(new Option('-n, --name <identity>', 'identity that signs').default('default').env('TFGRID_IDENTITY'))
    .option('--passphrase-file <path>', 'keystore passphrase file');
  hub.addCommand(action(push, z.object({ hub: z.string().url(), as: z.string().optional(), tag: z.array(z.string()).optional(), name: z.string(), passphraseFile: z.string().optional() }), async (ctx, o, [path]: string[]) => {
    const identity = await unlockIdentity(ctx, o.name, o.passphraseFile);
    const name = o.as ?? path!.replace(/^.*\//, '').replace(/\.fl$/, '');
    const entry = await pushFlist(path!, o.hub, identity, {
      name, tags: parseTags(o.tag), logger: ctx.log, onProgress: throttledProgress(ctx.output, (done, total) => `uploaded ${done} of ${total ?? 0} blocks`),
    });
    ctx.output.result(entry, (e) => `published ${e.name} (${formatBytes(e.size)}, ${e.blocksUploaded} blocks uploaded)\nunpack anywhere: tfgrid flist unpack ${e.url} <dir>`);
  }));

  const list = new Command('list').description('flists on the hub').addOption(hubOption()).option('--owner <key>', 'publisher key (hex)').option('--tag <key=value...>', 'only flists with these tags');
  hub.addCommand(action(list, z.object({ hub: z.string().url(), owner: z.string().optional(), tag: z.array(z.string()).optional() }), async (ctx, o) => {
    const flists = await listFlists(o.hub, { ...(o.owner === undefined ? {} : { owner: o.owner }), tags: parseTags(o.tag) });
    ctx.output.result(flists, (all) => (all.length === 0 ? 'no flists' : all.map((f) => `${f.name}  ${formatBytes(f.size)}  ${f.owner.slice(0, 16)}…${f.twin === null ? '' : ` (twin ${f.twin})`}  ${Object.entries(f.tags).map(([k, v]) => `${k}=${v}`).join(' ')}\n  ${f.url}`).join('\n')));
  }));
  return hub;
}

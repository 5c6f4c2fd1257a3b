// `tfgrid zdb`: run a 0-db server. Flags follow the real 0-db v2.0.7 (`zdb --help`).
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { TfgridError, createLogger } from '../base/index.ts';
import { openZdb, readCacheBytesDefault, startZdbServer, ZdbError } from '../zdb/index.ts';
import { action } from './command.ts';
import { parsePort, parseSize, parseIntegerInRange } from './parse.ts';

const datasizeBytesMin = 512 * 1024;
const datasizeBytesMax = 0xffff_ffff - 1; // data offsets are 32-bit in the 0-db format

const readCacheBytesMax = 16 * 2 ** 30;

const Options = z.object({
  data: z.string(),
  index: z.string(),
  mode: z.enum(['user', 'seq']).optional(),
  listen: z.string(),
  port: z.number(),
  socket: z.string().optional(),
  dualnet: z.boolean().optional(),
  datasize: z.number().int().min(datasizeBytesMin, `--datasize must be at least ${datasizeBytesMin} bytes`).max(datasizeBytesMax, '--datasize must be below 4 GiB'),
  admin: z.string().optional(),
  protect: z.boolean().optional(),
  maxsize: z.number().int().nonnegative().optional(),
  sync: z.boolean().optional(),
  synctime: z.number().int().nonnegative().optional(),
  readCache: z.number().int().nonnegative().max(readCacheBytesMax, '--read-cache must be at most 16G').optional(),
  hook: z.string().optional(),
  verbose: z.boolean().optional(),
});

export function zdbCommand(): Command {
  const command = new Command('zdb')
    .description('run a 0-db server: an append-only key-value store speaking the Redis protocol, compatible with 0-db v2')
    .addOption(new Option('--data <dir>', 'data files directory').default('./zdb-data').env('TFGRID_ZDB_DATA'))
    .addOption(new Option('--index <dir>', 'index files directory').default('./zdb-index').env('TFGRID_ZDB_INDEX'))
    .addOption(new Option('--mode <mode>', 'user (client keys) or seq (server-assigned ids); per-namespace when absent').choices(['user', 'seq']).env('TFGRID_ZDB_MODE'))
    .addOption(new Option('--listen <address>', 'TCP address to listen on').default('::').env('TFGRID_ZDB_LISTEN'))
    .addOption(new Option('--port <port>', 'TCP port').default(9900).argParser(parsePort).env('TFGRID_ZDB_PORT'))
    .addOption(new Option('--socket <path>', 'listen on a unix socket instead of TCP').env('TFGRID_ZDB_SOCKET'))
    .option('--dualnet', 'with --socket, listen on TCP too')
    .addOption(new Option('--datasize <size>', 'rotate data files at this size (k, M, G suffixes)').default(256 * 2 ** 20, '256M').argParser(parseSize).env('TFGRID_ZDB_DATASIZE'))
    .addOption(new Option('--admin <password>', 'admin password (without it every client is admin); prefer the environment variable').env('TFGRID_ZDB_ADMIN'))
    .option('--protect', 'the default namespace needs the admin password to write (requires --admin)')
    .addOption(new Option('--maxsize <size>', 'maximum size of the default namespace').argParser(parseSize).env('TFGRID_ZDB_MAXSIZE'))
    .option('--sync', 'fsync before acknowledging every write (group commit across clients)')
    .addOption(new Option('--synctime <seconds>', 'without --sync: fsync written files at most this long after a write (0: leave it to the OS)').argParser(parseIntegerInRange(0, 86_400)))
    .addOption(new Option('--read-cache <size>', 'keep up to this many bytes of recently read values in memory for GET/MGET (k, M, G suffixes; 0: off, as in 0-db)').default(readCacheBytesDefault, '32M').argParser(parseSize).env('TFGRID_ZDB_READ_CACHE'))
    .addOption(new Option('--hook <file>', 'executable called on events: <file> <event> <zdb id> <args…>').env('TFGRID_ZDB_HOOK'))
    .option('-v, --verbose', 'debug logs');
  command.addHelpText('after', '\nExample: tfgrid zdb --data /srv/zdb/data --index /srv/zdb/index --port 9900 --sync\nThen: redis-cli -p 9900 PING');
  return action(command, Options, async (ctx, o) => {
    if (o.protect === true && o.admin === undefined) {
      throw new TfgridError(ZdbError.INVALID_ARGUMENT, 'protected mode only works with an admin password (--admin or TFGRID_ZDB_ADMIN)');
    }
    const log = createLogger({ component: 'zdb', level: o.verbose === true ? 'debug' : undefined });
    const listenTcp = o.socket === undefined || o.dualnet === true;
    const zdbId = o.socket === undefined ? `tcp://${o.listen}:${o.port}` : `unix://${o.socket}`;
    const zdb = await openZdb({
      dataDir: resolve(o.data),
      indexDir: resolve(o.index),
      mode: o.mode ?? 'mixed',
      datasizeBytes: o.datasize,
      adminPassword: o.admin,
      maxsizeBytes: o.maxsize,
      protect: o.protect === true,
      sync: o.sync === true,
      synctimeSec: o.synctime,
      readCacheBytes: o.readCache,
      hook: o.hook,
      zdbId,
      log,
    });
    const stopped = Promise.withResolvers<void>();
    let closing = false;
    const shutdown = (reason: string): void => {
      if (closing) return;
      closing = true;
      log.info('shutting down', { reason });
      void server.close().then(() => zdb.runHook('close')).then(() => zdb.close()).then(() => log.info('stopped')).then(stopped.resolve, stopped.reject);
    };
    const server = await startZdbServer({
      executor: zdb,
      tcp: listenTcp ? { host: o.listen, port: o.port, dualnet: o.dualnet } : undefined,
      socketPath: o.socket,
      sync: o.sync === true,
      log,
      onStop: () => shutdown('STOP command'),
    });
    // 0-db's `ready` hook is blocking: a non-zero exit aborts the start.
    const readyStatus = await zdb.runHook('ready');
    if (readyStatus !== 0) {
      await server.close();
      await zdb.close();
      throw new TfgridError(ZdbError.HOOK_FAILED, `the ready hook ${o.hook ?? ''} exited with ${readyStatus}: not starting`);
    }
    const where = [server.tcpAddress === undefined ? undefined : `tcp ${server.tcpAddress.address} port ${server.tcpAddress.port}`, server.socketPath === undefined ? undefined : `unix ${server.socketPath}`]
      .filter((x) => x !== undefined)
      .join(', ');
    log.info('listening', { tcp: server.tcpAddress, socket: server.socketPath, data: resolve(o.data), index: resolve(o.index), sync: o.sync === true });
    ctx.output.note(`0-db ready on ${where} (data ${resolve(o.data)}, index ${resolve(o.index)}). Stop with Ctrl-C.`);
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    await stopped.promise;
  });
}

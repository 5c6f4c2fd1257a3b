// Test and benchmark support (not public API): a grid with three Zero-OS nodes in one farm
// (each its own data dir, 0-db, prefix and twin), a 0-db for the user's BCDB, the user's
// keystore in a tfgrid home, and `tfgrid` run as a real process without blocking this one (the
// nodes live in this process: a synchronous spawn would freeze them).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createLogger } from '../base/index.ts';
import { waitFor } from '../base/testing.ts';
import { ChainClient } from '../chain/index.ts';
import { Identity, writeKeystore } from '../crypto/index.ts';
import { startOurZdb, type ZdbProcess } from '../zdb/server/testing.ts';
import { startNode, type ZosNode } from '../zos/index.ts';
import { startZosGrid, sweep, type ZosGrid } from '../zos/testing.ts';
import { cliMain } from '../cli/testing.ts';
import { BotSession } from './shell/session.ts';
import { DesiredStore } from './shell/store.ts';

export const passphrase = 'test-pass';

export interface BotGrid {
  readonly zg: ZosGrid;
  readonly zdb: ZdbProcess;
  readonly home: string;
  /** Node slots: undefined while a node is stopped. */
  readonly nodes: Array<ZosNode | undefined>;
  readonly octet: number;
  /** `--chain … --relay … --bcdb-zdb … -n user`. */
  readonly args: string[];
  startNode(i: number): Promise<ZosNode>;
  session(): Promise<BotSession>;
  store(session: BotSession): DesiredStore;
  stop(): Promise<void>;
}

export async function startBotGrid(seed: string, nodeCount = 3, options: { storageOnly?: readonly number[] } = {}): Promise<BotGrid> {
  const zg = await startZosGrid(seed);
  const prefix = `b${randomBytes(2).toString('hex').slice(0, 2)}`;
  const octet = 100 + Math.floor(Math.random() * 150);
  const ids = [zg.ids.node, ...Array.from({ length: nodeCount - 1 }, (_, i) => Identity.fromSeed(`${seed}${5 + i}`.padEnd(64, '0')))];
  const farmer = new ChainClient({ url: zg.grid.url, identity: zg.ids.farmer });
  for (const id of ids.slice(1)) await farmer.transfer(id.publicKeyHex, 1_000n * 10_000_000n, { wait: true });
  const zdb = await startOurZdb();
  const home = join(zg.dir, 'home');
  await writeKeystore(join(home, 'identities', 'user.json'), zg.ids.user, passphrase, { params: { N: 2 ** 10, r: 8, p: 1 } });
  const nodes: Array<ZosNode | undefined> = ids.map(() => undefined);
  const quiet = createLogger({ component: 'zos', level: 'warn' });
  const start = async (i: number): Promise<ZosNode> => {
    const node = await startNode({ identity: ids[i]!, farmId: zg.farmId, chainUrl: zg.grid.url, relays: [zg.relayUrl], dataDir: join(zg.dir, `node${i}`), prefix: `${prefix}${i}`, zdb: { host: '127.0.0.1' }, forwarding: false, log: quiet, storageOnly: options.storageOnly?.includes(i) === true });
    nodes[i] = node;
    return node;
  };
  try {
    for (let i = 0; i < ids.length; i++) await start(i);
  } catch (error) {
    for (const node of nodes) await node?.close();
    for (let i = 0; i < ids.length; i++) await sweep(`${prefix}${i}`, join(zg.dir, `node${i}`));
    await zdb.stop();
    await zg.stop();
    throw error;
  }
  return {
    zg, zdb, home, nodes, octet,
    args: ['--chain', zg.grid.url, '--relay', zg.relayUrl, '--bcdb-zdb', `127.0.0.1:${zdb.port}`, '-n', 'user'],
    startNode: start,
    session: () => BotSession.open({ chainUrl: zg.grid.url, identity: zg.ids.user, relayUrl: zg.relayUrl }),
    store: (session) => new DesiredStore({ zdb: { host: '127.0.0.1', port: zdb.port }, namespace: 'bot', dir: join(home, 'bot', 'bot'), identity: zg.ids.user, twinId: session.twinId, log: createLogger({ component: 'bot', level: 'warn' }) }),
    stop: async () => {
      for (let i = 0; i < nodes.length; i++) {
        await nodes[i]?.close();
        nodes[i] = undefined;
      }
      for (let i = 0; i < ids.length; i++) await sweep(`${prefix}${i}`, join(zg.dir, `node${i}`));
      await zdb.stop();
      await zg.stop();
    },
  };
}

/** `tfgrid <args>` as a process, awaited without blocking the event loop. */
export function tfgridAsync(home: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home, TFGRID_PASSPHRASE: passphrase, TFGRID_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The web example for this grid: busybox httpd from the grid's ready image. */
export function webSpec(grid: BotGrid): string {
  return ['version: 1', 'network:', `  ip_range: 10.${grid.octet}.0.0/16`, 'deployments:', '  web:', '    containers:', '      httpd:', `        flist: ${grid.zg.images.httpd}`, '        cpu: 1', '        memory: 64MiB', ''].join('\n');
}

export async function page(ip: string): Promise<string | undefined> {
  const response = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
  return response?.ok === true ? await response.text() : undefined;
}

export function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, fn, { timeoutMs });
}

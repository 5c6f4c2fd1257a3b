// The devnet: a whole grid on one machine, each component its own `tfgrid` process (as in a real
// deployment), started in dependency order and checked healthy before the next. Its state —
// processes, ports, URLs — lives in `<dir>/state.json`; logs in `<dir>/logs/<component>.log`.
// Keys of the devnet's own twins (relay, farmer, nodes, demo user) live in `<dir>/home` under a
// fixed passphrase: a development grid, never a production one.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { z } from 'zod';
import { TfgridError, createLogger, writeFileAtomic, type Logger } from '../base/index.ts';
import { ChainClient } from '../chain/index.ts';
import { Identity, readKeystore, readKeystorePublic, writeKeystore } from '../crypto/index.ts';
import { buildReadyImages, pushFlist } from '../flist/index.ts';
import { DevnetError } from './errors.ts';
import { setUpPublicNet, tearDownPublicNet, type PublicNet } from './public-net.ts';

export const devnetPassphrase = 'devnet';
const cliMain = join(import.meta.dirname, '..', 'cli', 'main.ts');

export interface DevnetOptions {
  readonly dir: string;
  /** Zero-OS nodes to start in the devnet's farm (they need root, runc, ip, iptables). Default 3. */
  readonly nodes?: number;
  /** Prefix of node i's system names (bridges, veths, namespaces): `<prefix><i>`. Default 'dv'. */
  readonly nodePrefix?: string;
  /** First port; components take the next ones (chain, relay, hub, explorer, zdbs). */
  readonly basePort: number;
  /** The user's tfgrid home: its default identity gets funded. */
  readonly userHome: string;
  /** As root: the farm's public IPs (a /24 of RFC 5737's documentation ranges). Default 198.51.100.0/24. */
  readonly publicSubnet?: string;
  readonly logger?: Logger;
  readonly onStep?: (text: string) => void;
}

const componentSchema = z.object({ name: z.string(), pid: z.number().int(), url: z.string(), health: z.string().optional(), log: z.string() });
const stateSchema = z.object({
  startedMs: z.number(), dir: z.string(),
  chain: z.string(), relay: z.string(), hub: z.string(), explorer: z.string().optional(), zdb: z.string().optional(), note: z.string().optional(),
  publicNet: z.object({ bridge: z.string(), subnet: z.string() }).optional(),
  twins: z.record(z.string(), z.number()),
  images: z.array(z.object({ name: z.string(), url: z.string() })),
  components: z.array(componentSchema),
});
export type DevnetState = z.infer<typeof stateSchema>;
export type DevnetComponent = z.infer<typeof componentSchema>;

/** The devnet's own identities: deterministic per devnet directory (a seed file each). */
async function identity(options: DevnetOptions, name: string): Promise<Identity> {
  const home = join(options.dir, 'home');
  const path = join(home, 'identities', `${name}.json`);
  if (existsSync(path)) return readKeystore(path, devnetPassphrase);
  const created = Identity.generate();
  mkdirSync(join(home, 'identities'), { recursive: true, mode: 0o700 });
  await writeKeystore(path, created, devnetPassphrase, { params: { N: 2 ** 14, r: 8, p: 1 } });
  return created;
}

/** Starts the devnet and returns its state once every component answers its health check. */
export async function devnetUp(options: DevnetOptions): Promise<DevnetState> {
  const logger = options.logger ?? createLogger({ component: 'devnet' });
  const existing = readState(options.dir);
  if (existing !== null && existing.components.some((c) => alive(c.pid))) {
    throw new TfgridError(DevnetError.RUNNING, `a devnet is already running from ${options.dir} (tfgrid devnet status; tfgrid devnet down to stop it)`);
  }
  const port = (offset: number) => options.basePort + offset;
  // A component's health check would pass against whatever already listens on its port (a
  // chain that is not ours answers /v1/health too), so every port must be free before we start.
  const nodeCount = options.nodes ?? 3;
  const needed = [0, 1, 2, 3, 4, ...Array.from({ length: nodeCount }, (_, i) => 11 + i)].map(port);
  const taken = (await Promise.all(needed.map(async (p) => ((await listening(p)) ? p : undefined)))).filter((p) => p !== undefined);
  if (taken.length > 0) {
    throw new TfgridError(DevnetError.PORT_IN_USE, `port${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already in use: stop what listens there or pick another --base-port (this devnet needs ports ${needed.join(', ')})`);
  }
  mkdirSync(join(options.dir, 'logs'), { recursive: true });
  const step = options.onStep ?? ((text: string) => logger.info(text));
  const components: DevnetComponent[] = [];
  // state.json is rewritten as each component comes up, so `down` stops a half-started devnet too.
  let progress: Partial<DevnetState> = {};
  const saveProgress = async (extra: Partial<DevnetState> = {}): Promise<void> => {
    progress = { ...progress, ...extra };
    await writeFileAtomic(join(options.dir, 'state.json'), JSON.stringify({ startedMs: Date.now(), dir: options.dir, chain: '', relay: '', hub: '', twins: {}, images: [], components, ...progress }, null, 2));
  };
  const launch = async (...args: Parameters<typeof start>): Promise<void> => {
    components.push(await start(...args));
    await saveProgress();
  };
  const ids = {
    relay: await identity(options, 'relay'), farmer: await identity(options, 'farmer'), demo: await identity(options, 'demo'),
  };
  const nodeIds: Identity[] = [];
  for (let i = 1; i <= nodeCount; i++) nodeIds.push(await identity(options, `node${i}`));
  const fund = [ids.relay, ids.farmer, ids.demo, ...nodeIds].map((i) => i.publicKeyHex);
  const userKey = await readKeystorePublic(join(options.userHome, 'identities', 'default.json')).then((k) => k.publicKey, () => undefined);
  if (userKey !== undefined) fund.push(userKey);
  let publicNet: PublicNet | undefined;
  try {
    step('starting the chain');
    const chainUrl = `http://127.0.0.1:${port(0)}`;
    await launch(options, 'chain', ['chain', '--data', join(options.dir, 'chain'), '--port', String(port(0)), '--block-interval', '300', '--fund', ...fund], chainUrl, `${chainUrl}/v1/health`);
    const chain = new ChainClient({ url: chainUrl });
    const twins: Record<string, number> = {};
    const relayName = `127.0.0.1:${port(1)}`;
    for (const [name, id] of Object.entries(ids)) {
      const client = new ChainClient({ url: chainUrl, identity: id });
      let twin = await client.twinByAccount(id.publicKeyHex);
      if (twin === undefined) {
        await client.createTwin({ encryptionKey: id.encryptionPublicKeyHex, relays: name === 'relay' ? [] : [relayName] }, { wait: true, timeoutMs: 15_000 });
        twin = await client.twinByAccount(id.publicKeyHex);
      }
      twins[name] = twin!.id;
    }
    const farmer = new ChainClient({ url: chainUrl, identity: ids.farmer });
    if ((await chain.farmByName('devnet-farm')) === undefined) await farmer.createFarm({ name: 'devnet-farm' }, { wait: true, timeoutMs: 15_000 });
    const farmId = (await chain.farmByName('devnet-farm'))!.id;
    step('starting the relay');
    await launch(options, 'relay', ['relay', '--chain', chainUrl, '--name', 'relay', '--port', String(port(1)), '--queue-dir', join(options.dir, 'relay-queue')], `ws://${relayName}`, `http://${relayName}/health`);
    await saveProgress({ chain: chainUrl });
    step('starting the hub and publishing the ready images');
    const hubUrl = `http://127.0.0.1:${port(2)}`;
    await launch(options, 'hub', ['hub', '--port', String(port(2)), '--data', join(options.dir, 'hub')], hubUrl, `${hubUrl}/health`);
    const built = await buildReadyImages(join(options.dir, 'images'), [{ start: 0, end: 255, url: `dir://${join(options.dir, 'images', 'blocks')}` }], { logger });
    const images = [];
    for (const image of built) {
      const published = await pushFlist(image.path, hubUrl, ids.demo, { name: image.name, tags: { entrypoint: image.entrypoint }, logger });
      images.push({ name: image.name, url: published.url });
    }
    step('starting the explorer (the first start builds its web UI)');
    const explorerUrl = `http://127.0.0.1:${port(3)}`;
    await launch(options, 'explorer', ['explorer', '--chain', chainUrl, '--port', String(port(3)), '--db', join(options.dir, 'explorer', 'index.sqlite')], explorerUrl, `${explorerUrl}/health`, 180_000);
    step('starting a 0-db for your 3Bot\'s desired state (BCDB)');
    const zdbPort = port(4);
    await launch(options, 'zdb', ['zdb', '--listen', '127.0.0.1', '--port', String(zdbPort), '--data', join(options.dir, 'zdb', 'data'), '--index', join(options.dir, 'zdb', 'index')], `127.0.0.1:${zdbPort}`, () => listening(zdbPort));
    // Without root the nodes run storage-only: zdb workloads on their own 0-db, no containers.
    const storageOnly = process.getuid?.() !== 0;
    const nodesNote = nodeCount > 0 && storageOnly ? 'nodes run storage-only (zdb workloads): containers, networks and volumes need root (sudo npm start)' : undefined;
    if (nodesNote !== undefined) step(nodesNote);
    // As root the nodes' 0-dbs listen on every address, as a real node's do: containers reach the
    // zdbs of their deployment at their gateway (ZDB_<NAME>_HOST). Storage-only: loopback is enough.
    const zdbListen = storageOnly ? '127.0.0.1' : '0.0.0.0';
    publicNet = storageOnly || nodeCount === 0 ? undefined : { bridge: `${options.nodePrefix ?? 'dv'}pub`, subnet: options.publicSubnet ?? '198.51.100.0/24' };
    if (publicNet !== undefined) {
      step(`making the farm's public network: bridge ${publicNet.bridge}, public IPs in ${publicNet.subnet}`);
      await saveProgress({ chain: chainUrl, publicNet });
      await setUpPublicNet(publicNet, farmer, farmId);
    }
    for (let i = 1; i <= nodeCount; i++) {
      step(`starting node ${i} of ${nodeCount}`);
      const id = nodeIds[i - 1]!;
      const nodeClient = new ChainClient({ url: chainUrl, identity: id });
      const ready = async (): Promise<boolean> => {
        const twin = await nodeClient.twinByAccount(id.publicKeyHex).catch(() => undefined);
        return twin !== undefined && (await nodeClient.nodeByTwin(twin.id).catch(() => undefined)) !== undefined;
      };
      await launch(options, `node${i}`, [
        'node', '--farm', String(farmId), '--name', `node${i}`, '--chain', chainUrl, '--relay', `ws://${relayName}`,
        '--data', join(options.dir, 'nodes', `node${i}`), '--prefix', `${options.nodePrefix ?? 'dv'}${i}`, '--zdb-port', String(port(10 + i)), '--zdb-listen', zdbListen,
        '--country', ['Belgium', 'Egypt', 'Tanzania'][(i - 1) % 3]!, '--city', ['Ghent', 'Cairo', 'Zanzibar'][(i - 1) % 3]!,
        ...(storageOnly ? ['--storage-only'] : []), ...(publicNet === undefined ? [] : ['--public-bridge', publicNet.bridge]),
      ], `node ${i}`, ready, 60_000);
    }
    const state: DevnetState = { startedMs: Date.now(), dir: options.dir, chain: chainUrl, relay: `ws://${relayName}`, hub: hubUrl, explorer: explorerUrl, zdb: `127.0.0.1:${zdbPort}`, twins, images, components, ...(nodesNote === undefined ? {} : { note: nodesNote }), ...(publicNet === undefined ? {} : { publicNet }) };
    await writeFileAtomic(join(options.dir, 'state.json'), JSON.stringify(state, null, 2));
    return state;
  } catch (error) {
    await stopComponents(components);
    if (publicNet !== undefined) tearDownPublicNet(publicNet);
    throw error instanceof TfgridError ? error : new TfgridError(DevnetError.START_FAILED, `${(error as Error).message} (logs in ${join(options.dir, 'logs')})`, { cause: error });
  }
}

/** Stops every component (SIGTERM, then SIGKILL after 10 s). */
export async function devnetDown(dir: string): Promise<DevnetComponent[]> {
  const state = readState(dir);
  if (state === null) return [];
  await stopComponents(state.components);
  if (state.publicNet !== undefined) tearDownPublicNet(state.publicNet);
  return state.components;
}

export interface ComponentStatus extends DevnetComponent {
  readonly running: boolean;
  readonly healthy: boolean;
}

export async function devnetStatus(dir: string): Promise<{ state: DevnetState | null; components: ComponentStatus[] }> {
  const state = readState(dir);
  if (state === null) return { state: null, components: [] };
  const components = await Promise.all(state.components.map(async (c) => ({ ...c, running: alive(c.pid), healthy: c.health === undefined ? alive(c.pid) : await healthy(c.health) })));
  return { state, components };
}

export function readState(dir: string): DevnetState | null {
  let text: string;
  try {
    text = readFileSync(join(dir, 'state.json'), 'utf8');
  } catch {
    return null;
  }
  const parsed = stateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new TfgridError(DevnetError.STATE, `${join(dir, 'state.json')} is damaged: delete it after stopping any devnet process`);
  return parsed.data;
}

/** Starts a component and waits until `health` (a URL answering 2xx, or a check) says it is ready. */
async function start(options: DevnetOptions, name: string, args: string[], url: string, health: string | (() => Promise<boolean>), startMs = 30_000): Promise<DevnetComponent> {
  const log = join(options.dir, 'logs', `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [cliMain, ...args], {
    detached: true, stdio: ['ignore', fd, fd],
    env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: join(options.dir, 'home'), TFGRID_PASSPHRASE: devnetPassphrase, TFGRID_LOG_LEVEL: 'info' },
  });
  closeSync(fd);
  child.unref();
  const component = { name, pid: child.pid ?? -1, url, ...(typeof health === 'string' ? { health } : {}), log };
  const check = typeof health === 'string' ? () => healthy(health) : health;
  const deadline = Date.now() + startMs;
  while (!(await check())) {
    if (!alive(component.pid)) throw new TfgridError(DevnetError.START_FAILED, `${name} exited at start: see ${log}`);
    if (Date.now() > deadline) throw new TfgridError(DevnetError.START_FAILED, `${name} was not ready within ${startMs / 1000} s: see ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return component;
}

async function stopComponents(components: readonly DevnetComponent[]): Promise<void> {
  for (const c of [...components].reverse()) if (alive(c.pid)) process.kill(c.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (components.some((c) => alive(c.pid)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const c of components) if (alive(c.pid)) process.kill(c.pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

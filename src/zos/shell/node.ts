// A Zero-OS node: measures its capacity, registers on the chain, runs its own 0-db server,
// re-applies its stored deployments, answers twins on the message bus, watches the chain for
// its contracts' deletion, and reports uptime and used resources. `startNode` wires it; the
// methods are what the bus commands (api.ts) call.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TfgridError, createLogger, writeFileAtomic, type Logger } from '../../base/index.ts';
import { ChainClient, type Location, type Resources } from '../../chain/index.ts';
import type { Identity } from '../../crypto/index.ts';
import { BlockCache } from '../../flist/index.ts';
import { connect, type Peer } from '../../rmb/index.ts';
import { ZdbClient, openZdb, startZdbServer, type Zdb, type ZdbServer } from '../../zdb/index.ts';
import { acceptDeployment } from '../core/accept.ts';
import { sumResources, systemReserve, type CapacityView } from '../core/capacity.ts';
import { deploymentSchema, type Deployment } from '../core/deployment.ts';
import { deploymentHash, deploymentHashHex } from '../core/hash.ts';
import { planUpdate } from '../core/plan.ts';
import type { Change } from '../core/results.ts';
import { ZosError } from '../errors.ts';
import { serveZos } from './api.ts';
import { Engine } from './engine.ts';
import { containerManager, type ContainerManager } from './managers/container.ts';
import { networkManager } from './managers/network.ts';
import { volumeManager } from './managers/volume.ts';
import { zdbManager } from './managers/zdb.ts';
import { ipManager, type PublicIp } from './managers/ip.ts';
import { measureCapacity, type Measured } from './measure.ts';
import { prefixPattern } from './names.ts';
import { register, reportUptime, type Registration } from './registrar.ts';
import { DeploymentStore } from './store.ts';
import { missingSystem } from './system.ts';

export const zosVersion = '3.0.0-tfgrid.1';

export interface NodeOptions {
  readonly identity: Identity;
  readonly farmId: number;
  readonly chainUrl: string;
  /** ws:// URLs of the node's relays. */
  readonly relays: readonly string[];
  readonly dataDir: string;
  readonly location?: Location;
  /** Percent of memory and disk kept for the system (default 10). */
  readonly reservePercent?: number;
  /** Marks every system resource of this node (1–4 of [a-z0-9], default "zos"). */
  readonly prefix?: string;
  /** The node's 0-db server: where it listens and the addresses put in zdb results. */
  readonly zdb?: { readonly host?: string; readonly port?: number; readonly advertise?: readonly string[] };
  readonly forwarding?: boolean;
  /**
   * Run without root: only `zdb` workloads (on the node's own 0-db, which needs no privilege);
   * deployments with volumes, networks or containers are refused with ZOS_UNSUPPORTED.
   */
  readonly storageOnly?: boolean;
  /**
   * A Linux bridge on the farm's public network (the farmer makes it): containers given a public
   * IP get a veth into it. Without one, deployments with `ip` workloads are ZOS_UNSUPPORTED.
   */
  readonly publicBridge?: string;
  readonly startGraceMs?: number;
  /** Shared flist block cache (default <data>/cache/blocks). */
  readonly cacheDir?: string;
  readonly log?: Logger;
}

const defaultLocation: Location = { country: 'Unknown', city: 'Unknown', latitude: 0, longitude: 0 };

async function adminPassword(path: string): Promise<string> {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const password = randomBytes(16).toString('hex');
  await writeFileAtomic(path, password + '\n', { mode: 0o600 });
  return password;
}

/** The contract's reserved public IPs with their farm's gateway, as the chain has them now. */
async function reservedIps(chain: ChainClient, contractId: number): Promise<PublicIp[]> {
  const contract = await chain.contract(contractId);
  if (contract?.kind !== 'node') return [];
  const node = await chain.node(contract.nodeId);
  const farm = node === undefined ? undefined : await chain.farm(node.farmId);
  return contract.publicIpList.map((ip) => ({ ip, gateway: farm?.publicIps.find((f) => f.ip === ip)?.gateway ?? '' }));
}

function relayHost(url: string): string {
  return new URL(url).host;
}

export async function startNode(options: NodeOptions): Promise<ZosNode> {
  const missing = options.storageOnly === true ? undefined : missingSystem();
  if (missing !== undefined) throw new TfgridError(ZosError.MISSING_SYSTEM, `${missing} (or run with --storage-only: zdb workloads only)`);
  const prefix = options.prefix ?? 'zos';
  if (!prefixPattern.test(prefix)) throw new TfgridError(ZosError.INVALID, `prefix ${prefix}: 1–4 of [a-z0-9], starting with a letter`);
  const log = options.log ?? createLogger({ component: 'zos' });
  const dataDir = options.dataDir;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const measured = measureCapacity(dataDir);
  const chain = new ChainClient({ url: options.chainUrl, identity: options.identity });
  const registration = await register({ chain, farmId: options.farmId, relays: options.relays.map(relayHost), resources: measured.total, location: options.location ?? defaultLocation, log });
  log.info('registered', { twin: registration.twinId, node: registration.nodeId });

  const zdbDir = join(dataDir, 'zdb');
  const password = await adminPassword(join(dataDir, 'zdb-admin'));
  const zdb = await openZdb({ dataDir: join(zdbDir, 'data'), indexDir: join(zdbDir, 'index'), mode: 'mixed', datasizeBytes: 256 * 2 ** 20, adminPassword: password, sync: false, log: log.child({ part: 'zdb' }) });
  const zdbServer = await startZdbServer({ executor: zdb, tcp: { host: options.zdb?.host ?? '0.0.0.0', port: options.zdb?.port ?? 0 }, sync: false, log: log.child({ part: 'zdb' }) });
  const zdbPort = zdbServer.tcpAddress!.port;
  const admin = await ZdbClient.connect({ host: '127.0.0.1', port: zdbPort }, { timeoutMs: 10_000, reconnect: true, adminPassword: password });
  const node = new ZosNode({ options, prefix, log, measured, chain, registration, zdb, zdbServer, admin, zdbPort });
  try {
    await node.open();
  } catch (error) {
    await node.close();
    throw error;
  }
  return node;
}

interface Parts {
  readonly options: NodeOptions;
  readonly prefix: string;
  readonly log: Logger;
  readonly measured: Measured;
  readonly chain: ChainClient;
  readonly registration: Registration;
  readonly zdb: Zdb;
  readonly zdbServer: ZdbServer;
  readonly admin: ZdbClient;
  readonly zdbPort: number;
}

export class ZosNode {
  readonly twinId: number;
  readonly nodeId: number;
  readonly farmTwinId: number;
  readonly zdbPort: number;
  readonly #parts: Parts;
  readonly #engine: Engine;
  readonly #containers: ContainerManager;
  readonly #system: Resources;
  readonly #stoppers: Array<() => void> = [];
  #peer: Peer | undefined;

  constructor(parts: Parts) {
    this.#parts = parts;
    this.twinId = parts.registration.twinId;
    this.nodeId = parts.registration.nodeId;
    this.farmTwinId = parts.registration.farmTwinId;
    this.zdbPort = parts.zdbPort;
    this.#system = systemReserve(parts.measured.total, parts.options.reservePercent ?? 10);
    const { options, prefix, log } = parts;
    const dataDir = options.dataDir;
    const volumeDir = join(dataDir, 'volumes');
    this.#containers = containerManager({
      prefix, dir: join(dataDir, 'containers'), volumeDir, runcRoot: join('/run/tfgrid', `runc-${prefix}`), log,
      cache: new BlockCache(options.cacheDir ?? join(dataDir, 'cache', 'blocks')), flistDir: join(dataDir, 'cache', 'flists'),
      ...(options.startGraceMs === undefined ? {} : { startGraceMs: options.startGraceMs }),
      ...(options.publicBridge === undefined ? {} : { publicBridge: options.publicBridge }),
      // Containers reach the node's 0-db at their gateway only when it listens there too.
      ...(['0.0.0.0', '::'].includes(options.zdb?.host ?? '0.0.0.0') ? { zdbPort: parts.zdbPort } : {}),
    });
    this.#engine = new Engine({
      store: new DeploymentStore(join(dataDir, 'deployments')), storage: parts.measured.storage, log,
      managers: {
        zdb: zdbManager({ admin: parts.admin, ips: options.zdb?.advertise ?? ['127.0.0.1'], port: parts.zdbPort }),
        volume: volumeManager({ dir: volumeDir, prefix }),
        network: networkManager({ prefix, forwarding: options.forwarding ?? true }),
        ip: ipManager({ reserved: (contractId) => reservedIps(parts.chain, contractId) }),
        container: this.#containers,
      },
      onChanged: (contractId) => this.#reportUsed(contractId),
    });
  }

  /** Re-applies stored deployments, then serves the bus and follows the chain. */
  async open(): Promise<void> {
    const { chain, log, options, registration } = this.#parts;
    const { height } = await chain.params();
    await this.#engine.restore(async (contractId) => {
      const contract = await chain.contract(contractId);
      return contract?.kind === 'node' && contract.nodeId === this.nodeId;
    });
    const subscription = chain.subscribe((block) => {
      for (const event of block.events) {
        if (event.type === 'ContractDeleted' && event['nodeId'] === this.nodeId && typeof event['contractId'] === 'number') {
          const contractId = event['contractId'];
          void this.#engine.serialize(contractId, () => this.#engine.teardown(contractId, `contract deleted (${String(event['reason'])})`));
        }
      }
    }, { fromHeight: height + 1, onError: (error) => log.debug('chain feed error', { error: String(error) }) });
    this.#stoppers.push(() => subscription.close());
    this.#stoppers.push(reportUptime(chain, registration.uptimeIntervalMs, Date.now(), log));
    this.#peer = await connect(options.identity, { twinId: this.twinId, relays: options.relays, chain, log: log.child({ part: 'rmb' }) });
    serveZos(this.#peer, this);
  }

  #reportUsed(contractId: number): void {
    const resources = this.#engine.capacityOf(contractId);
    if (resources === undefined) return;
    this.#parts.chain.reportResources({ reports: [{ contractId, resources }] }).catch((error: unknown) => this.#parts.log.warn('resource report failed', { contractId, error }));
  }

  capacity(): CapacityView {
    return { total: this.#parts.measured.total, system: this.#system, used: sumResources(this.#engine.active().map((e) => this.#engine.capacityOf(e.deployment.contract_id)!)) };
  }

  #parse(raw: unknown): Deployment {
    const parsed = deploymentSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TfgridError(ZosError.INVALID, `deployment: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  async #accept(caller: number, deployment: Deployment, heldNow?: Resources) {
    if (caller !== deployment.twin_id) throw new TfgridError(ZosError.UNAUTHORIZED, `twin ${caller} may not deploy for twin ${deployment.twin_id}`);
    if (this.#parts.options.storageOnly === true) {
      const others = [...new Set(deployment.workloads.map((w) => w.type).filter((type) => type !== 'zdb'))];
      if (others.length > 0) throw new TfgridError(ZosError.UNSUPPORTED, `this node runs without root (storage only): it takes zdb workloads, not ${others.join(', ')}`);
    }
    if (this.#parts.options.publicBridge === undefined && deployment.workloads.some((w) => w.type === 'ip')) {
      throw new TfgridError(ZosError.UNSUPPORTED, 'this node has no public network (--public-bridge): it cannot attach public IPs');
    }
    const chain = this.#parts.chain;
    const twinIds = [...new Set(deployment.signature_requirement.requests.map((r) => r.twin_id))];
    const twins = await Promise.all(twinIds.map((id) => chain.twin(id)));
    const twinKeys = new Map(twins.filter((t) => t !== undefined).map((t) => [t.id, t.account]));
    const contract = await chain.contract(deployment.contract_id);
    const subnetsInUse = this.#engine.active().filter((e) => e.deployment.contract_id !== deployment.contract_id)
      .flatMap((e) => e.typed.flatMap((w) => (w.type === 'network' && w.result?.state !== 'deleted' ? [w.data.subnet] : [])));
    const hash = deploymentHash(deployment);
    return acceptDeployment(deployment, {
      nodeId: this.nodeId, hash, hashHex: deploymentHashHex(deployment), contract, twinKeys, capacity: this.capacity(),
      storage: this.#parts.measured.storage, subnetsInUse, nowSec: Math.floor(Date.now() / 1000), ...(heldNow === undefined ? {} : { heldNow }),
    });
  }

  /** Accepts (or refuses with a coded error) and starts installing; the results follow in `get`. */
  async deploy(caller: number, raw: unknown): Promise<{ contract_id: number; hash: string }> {
    const deployment = this.#parse(raw);
    const existing = this.#engine.get(deployment.contract_id);
    if (existing !== undefined && !existing.deleted) throw new TfgridError(ZosError.EXISTS, `contract ${deployment.contract_id} has a deployment here already: update it`);
    const typed = await this.#accept(caller, deployment);
    if (this.#engine.get(deployment.contract_id)?.deleted === false) throw new TfgridError(ZosError.EXISTS, `contract ${deployment.contract_id} has a deployment here already`);
    const clean = { ...deployment, workloads: deployment.workloads.map(({ result: _result, ...w }) => w) };
    void this.#engine.deploy(clean, typed.map(({ result: _result, ...w }) => w)).catch((error: unknown) => this.#parts.log.error('deploy failed', { error }));
    return { contract_id: deployment.contract_id, hash: deploymentHashHex(deployment) };
  }

  async update(caller: number, raw: unknown): Promise<{ contract_id: number; hash: string }> {
    const next = this.#parse(raw);
    const current = this.#owned(caller, next.contract_id);
    const typed = await this.#accept(caller, next, this.#engine.capacityOf(next.contract_id));
    const clean = typed.map(({ result: _result, ...w }) => w);
    planUpdate(current.deployment, current.typed, next, clean); // answers the caller: versions, immutable types
    // Planned again in the contract's queue: an install or update queued before this one may still
    // be running, and the plan must start from what it left (kept workloads keep their results).
    void this.#engine.serialize(next.contract_id, async () => {
      const settled = this.#engine.get(next.contract_id);
      if (settled === undefined || settled.deleted) return;
      await this.#engine.update({ ...next, workloads: next.workloads.map(({ result: _result, ...w }) => w) }, planUpdate(settled.deployment, settled.typed, next, clean));
    }).catch((error: unknown) => this.#parts.log.error('update failed', { contractId: next.contract_id, error }));
    return { contract_id: next.contract_id, hash: deploymentHashHex(next) };
  }

  #owned(caller: number, contractId: number) {
    const entry = this.#engine.get(contractId);
    if (entry === undefined || entry.deleted) throw new TfgridError(ZosError.NOT_FOUND, `no deployment of contract ${contractId} on node ${this.nodeId}`);
    if (entry.deployment.twin_id !== caller && caller !== this.farmTwinId) throw new TfgridError(ZosError.UNAUTHORIZED, `contract ${contractId} is not twin ${caller}'s`);
    return entry;
  }

  deployment(caller: number, contractId: number): Deployment {
    return this.#owned(caller, contractId).deployment;
  }

  /** A twin's deployments (undefined: everyone's, for the farmer). */
  deployments(caller: number | undefined): Deployment[] {
    return this.#engine.active().filter((e) => caller === undefined || e.deployment.twin_id === caller).map((e) => e.deployment);
  }

  changes(caller: number, contractId: number): readonly Change[] {
    return this.#owned(caller, contractId).history;
  }

  logs(caller: number, contractId: number, name: string, bytes: number): { logs: string } {
    const entry = this.#owned(caller, contractId);
    if (!entry.typed.some((w) => w.name === name && w.type === 'container')) throw new TfgridError(ZosError.NOT_FOUND, `no container ${name} in contract ${contractId}`);
    return { logs: this.#containers.logs({ contractId }, name, bytes) };
  }

  statistics(): CapacityView & { users: Array<{ twin: number; used: Resources; deployments: number }> } {
    const users = new Map<number, Resources[]>();
    for (const e of this.#engine.active()) users.set(e.deployment.twin_id, [...(users.get(e.deployment.twin_id) ?? []), this.#engine.capacityOf(e.deployment.contract_id)!]);
    return { ...this.capacity(), users: [...users].map(([twin, list]) => ({ twin, used: sumResources(list), deployments: list.length })) };
  }

  version(): { zos: string } {
    return { zos: zosVersion };
  }

  /** Host interfaces and addresses; without `all`, our bridges and veths are left out. */
  interfaces(all: boolean): Record<string, string[]> {
    const result: Record<string, string[]> = {};
    for (const [name, addresses] of Object.entries(networkInterfaces())) {
      if (!all && (name === 'lo' || name.startsWith(this.#parts.prefix))) continue;
      result[name] = (addresses ?? []).map((a) => `${a.address}/${a.netmask}`);
    }
    return result;
  }

  pools(): Array<{ name: string; type: 'ssd' | 'hdd'; size: number; system: number; used: number }> {
    const { total, system, used } = this.capacity();
    const unit = this.#parts.measured.storage;
    return [{ name: 'data', type: unit === 'sru' ? 'ssd' : 'hdd', size: total[unit], system: system[unit], used: used[unit] }];
  }

  /** Stops serving, stops running containers (deployments stay recorded), closes the 0-db server. */
  async close(): Promise<void> {
    for (const stop of this.#stoppers.splice(0)) stop();
    this.#peer?.close();
    await this.#engine.stop();
    await this.#parts.admin.close();
    await this.#parts.zdbServer.close();
    await this.#parts.zdb.close();
  }
}

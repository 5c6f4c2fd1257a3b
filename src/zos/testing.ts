// Test and benchmark support (not public API): a grid with a relay, a farm and a funded node
// identity; a user who builds, signs, contracts and sends deployments; and a sweep that removes
// every system resource carrying a node's prefix (containers, netns, links, iptables rules,
// mounts), run in `after` so a failed test leaves nothing behind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../base/testing.ts';
import { ChainClient } from '../chain/index.ts';
import { Identity } from '../crypto/index.ts';
import { buildReadyImages } from '../flist/index.ts';
import { ChainPhonebook, connect, startRelay, type Peer, type Relay } from '../rmb/index.ts';
import { startGrid, type Grid } from '../rmb/testing.ts';
import { deploymentHashHex, signDeployment } from './core/hash.ts';
import type { Deployment, DeploymentInput } from './core/deployment.ts';
import { deploymentSchema } from './core/deployment.ts';
import { run, runQuietly } from './shell/exec.ts';
import { ZosClient } from './shell/client.ts';
import type { ZosCommand } from './shell/api.ts';

export interface ZosGrid {
  readonly grid: Grid;
  readonly relay: Relay;
  readonly relayUrl: string;
  readonly phonebook: ChainPhonebook;
  readonly farmId: number;
  readonly farmerTwin: number;
  readonly userTwin: number;
  readonly ids: { node: Identity; user: Identity; farmer: Identity; relay: Identity };
  readonly dir: string;
  /** httpd.fl, busybox.fl: ready images whose blocks are in a dir store under `dir`. */
  readonly images: { httpd: string; busybox: string };
  stop(): Promise<void>;
}

export async function startZosGrid(seed: string): Promise<ZosGrid> {
  const dir = mkdtempSync(join(tmpdir(), 'tfgrid-zos-'));
  const ids = { relay: Identity.fromSeed(`${seed}1`.padEnd(64, '0')), farmer: Identity.fromSeed(`${seed}2`.padEnd(64, '0')), user: Identity.fromSeed(`${seed}3`.padEnd(64, '0')), node: Identity.fromSeed(`${seed}4`.padEnd(64, '0')) };
  const port = await freePort();
  const relayUrl = `ws://127.0.0.1:${port}`;
  const host = `127.0.0.1:${port}`;
  const grid = await startGrid([{ identity: ids.relay, relays: [] }, { identity: ids.farmer, relays: [host] }, { identity: ids.user, relays: [host] }]);
  const [relayTwin, farmerTwin, userTwin] = grid.twinIds as [number, number, number];
  const phonebook = new ChainPhonebook(new ChainClient({ url: grid.url }));
  const relay = await startRelay({ identity: ids.relay, twinId: relayTwin, phonebook, port });
  const farmer = new ChainClient({ url: grid.url, identity: ids.farmer });
  await farmer.createFarm({ name: `farm_${seed}` }, { wait: true });
  await farmer.transfer(ids.node.publicKeyHex, 1_000n * 10_000_000n, { wait: true });
  const farmId = (await farmer.farmByName(`farm_${seed}`))!.id;
  const images = await buildReadyImages(join(dir, 'images'), [{ start: 0, end: 255, url: `dir://${join(dir, 'blocks')}` }]);
  return {
    grid, relay, relayUrl, phonebook, farmId, farmerTwin, userTwin, ids, dir,
    images: { httpd: images.find((i) => i.name === 'httpd')!.path, busybox: images.find((i) => i.name === 'busybox')!.path },
    stop: async () => {
      await relay.close();
      phonebook.close();
      await grid.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A twin that contracts and deploys on a node over the bus. */
export class ZosUser {
  readonly chain: ChainClient;
  readonly peer: Peer;
  readonly twinId: number;
  readonly identity: Identity;
  readonly nodeTwin: number;

  private constructor(chain: ChainClient, peer: Peer, twinId: number, identity: Identity, nodeTwin: number) {
    this.chain = chain;
    this.peer = peer;
    this.twinId = twinId;
    this.identity = identity;
    this.nodeTwin = nodeTwin;
  }

  static async connect(grid: ZosGrid, identity: Identity, twinId: number, nodeTwin: number): Promise<ZosUser> {
    const chain = new ChainClient({ url: grid.grid.url, identity });
    const peer = await connect(identity, { twinId, relays: [grid.relayUrl], chain: grid.phonebook });
    return new ZosUser(chain, peer, twinId, identity, nodeTwin);
  }

  call<T>(command: ZosCommand, payload: unknown): Promise<T> {
    return new ZosClient(this.peer, this.nodeTwin).call<T>(command, payload);
  }

  /** A deployment of this twin (signed by it) from its workloads. */
  build(input: Omit<DeploymentInput, 'twin_id' | 'contract_id' | 'signature_requirement'> & { contract_id?: number }): Deployment {
    const deployment = deploymentSchema.parse({
      contract_id: 0, ...input, twin_id: this.twinId,
      signature_requirement: { requests: [{ twin_id: this.twinId, required: true, weight: 1 }], weight_required: 1 },
    });
    return signDeployment(deployment, this.identity, this.twinId);
  }

  /** Creates the node contract holding the deployment's hash; returns the deployment with its id. */
  async contract(nodeId: number, deployment: Deployment): Promise<Deployment> {
    const hash = deploymentHashHex(deployment);
    await this.chain.createNodeContract({ nodeId, deploymentHash: hash }, { wait: true });
    const contract = await this.chain.contractByNodeHash(nodeId, hash);
    return { ...deployment, contract_id: contract!.id };
  }

  /** Polls `zos.deployment.get` until no workload is at init. */
  async settled(contractId: number, version: number, timeoutMs = 60_000): Promise<Deployment> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.call<Deployment>('zos.deployment.get', { contract_id: contractId });
      if (d.version === version && d.workloads.every((w) => w.result !== undefined && w.result.state !== 'init')) return d;
      if (Date.now() > deadline) throw new Error(`deployment ${contractId} did not settle: ${JSON.stringify(d.workloads.map((w) => [w.name, w.result?.state]))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.peer.close();
  }
}

/** Removes every system resource named with `prefix`, and every mount under `dataDir`. */
export async function sweep(prefix: string, dataDir: string): Promise<void> {
  const runcRoot = join('/run/tfgrid', `runc-${prefix}`);
  const listed = await run('runc', ['--root', runcRoot, 'list', '-q']).catch(() => '');
  for (const id of listed.split('\n').filter((x) => x !== '')) await runQuietly('runc', ['--root', runcRoot, 'delete', '--force', id]);
  rmSync(runcRoot, { recursive: true, force: true });
  const namespaces = await run('ip', ['netns', 'list']).catch(() => '');
  for (const line of namespaces.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(`${prefix}-`)) await runQuietly('ip', ['netns', 'del', name]);
  }
  const links = await run('ip', ['-o', 'link', 'show']).catch(() => '');
  for (const line of links.split('\n')) {
    const name = (/^\d+: ([^:@]+)/.exec(line)?.[1] ?? '').trim();
    if (name.startsWith(prefix) && /^[a-z0-9]+[bvp][0-9a-f]{10}$/.test(name)) await runQuietly('ip', ['link', 'del', name]);
  }
  for (const table of ['nat', 'filter']) {
    const rules = await run('iptables', ['-w', '-t', table, '-S']).catch(() => '');
    for (const rule of rules.split('\n').filter((r) => r.includes(`tfgrid:${prefix}`) && r.startsWith('-A '))) {
      await runQuietly('iptables', ['-w', '-t', table, '-D', ...rule.slice(3).replace(/"/g, '').split(' ')]);
    }
  }
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dataDir + '/'));
  for (const mount of mounts.reverse()) await runQuietly('umount', ['-l', mount]);
}

/** What sweep would find: resources still carrying the prefix (empty when all is clean). */
export async function leftovers(prefix: string): Promise<string[]> {
  const found: string[] = [];
  const listed = await run('runc', ['--root', join('/run/tfgrid', `runc-${prefix}`), 'list', '-q']).catch(() => '');
  found.push(...listed.split('\n').filter((x) => x !== '').map((x) => `container ${x}`));
  const namespaces = await run('ip', ['netns', 'list']).catch(() => '');
  found.push(...namespaces.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${prefix}-`)).map((n) => `netns ${n}`));
  const links = await run('ip', ['-o', 'link', 'show']).catch(() => '');
  found.push(...links.split('\n').map((l) => (/^\d+: ([^:@]+)/.exec(l)?.[1] ?? '').trim()).filter((n) => n.startsWith(prefix) && /^[a-z0-9]+[bvp][0-9a-f]{10}$/.test(n)).map((n) => `link ${n}`));
  for (const table of ['nat', 'filter']) {
    const rules = await run('iptables', ['-w', '-t', table, '-S']).catch(() => '');
    found.push(...rules.split('\n').filter((r) => r.includes(`tfgrid:${prefix}`)).map((r) => `iptables ${r}`));
  }
  return found;
}

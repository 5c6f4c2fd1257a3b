// Test support (not public API): a real `tfgrid chain` process with a genesis of our choosing
// (production uptime interval, so status does not flip while a test runs; 1 s billing, so bills
// appear), and a small grid written into it through the typed client as farmers, nodes and users
// would: farms with public IPs, nodes in several countries, node/rent/name contracts, uptime
// reports, a node powered down, a contract canceled.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChainClient, devnetGenesis, type Included, type Resources } from '../chain/index.ts';
import { startChainProcess, type ChainProcess } from '../chain/shell/process-testing.ts';
import { Identity } from '../crypto/index.ts';

const gib = 2 ** 30;
const wait = { wait: true, timeoutMs: 15_000 } as const;

export interface NodeSpec {
  readonly farm: number;
  readonly country: string;
  readonly city: string;
  readonly latitude: number;
  readonly longitude: number;
  readonly resources: Resources;
  readonly ip4?: string;
}

/** Nine nodes in three farms: varied sizes and places, two with a public IPv4. */
export const sampleNodes: readonly NodeSpec[] = [
  { farm: 0, country: 'Belgium', city: 'Ghent', latitude: 51.05, longitude: 3.72, resources: { cru: 8, mru: 32 * gib, sru: 1000 * gib, hru: 4000 * gib }, ip4: '185.69.166.20/24' },
  { farm: 0, country: 'Belgium', city: 'Lochristi', latitude: 51.1, longitude: 3.83, resources: { cru: 16, mru: 64 * gib, sru: 2000 * gib, hru: 0 } },
  { farm: 0, country: 'Egypt', city: 'Cairo', latitude: 30.04, longitude: 31.24, resources: { cru: 4, mru: 16 * gib, sru: 500 * gib, hru: 2000 * gib } },
  { farm: 1, country: 'United States', city: 'Ashburn', latitude: 39.04, longitude: -77.49, resources: { cru: 32, mru: 256 * gib, sru: 4000 * gib, hru: 16000 * gib }, ip4: '45.12.8.4/24' },
  { farm: 1, country: 'United States', city: 'Dallas', latitude: 32.78, longitude: -96.8, resources: { cru: 8, mru: 16 * gib, sru: 250 * gib, hru: 0 } },
  { farm: 1, country: 'Brazil', city: 'Sao Paulo', latitude: -23.55, longitude: -46.63, resources: { cru: 4, mru: 8 * gib, sru: 250 * gib, hru: 1000 * gib } },
  { farm: 2, country: 'Japan', city: 'Tokyo', latitude: 35.68, longitude: 139.69, resources: { cru: 24, mru: 128 * gib, sru: 2000 * gib, hru: 8000 * gib } },
  { farm: 2, country: 'India', city: 'Mumbai', latitude: 19.08, longitude: 72.88, resources: { cru: 8, mru: 32 * gib, sru: 1000 * gib, hru: 0 } },
  { farm: 2, country: 'Egypt', city: 'Alexandria', latitude: 31.2, longitude: 29.92, resources: { cru: 12, mru: 48 * gib, sru: 1000 * gib, hru: 4000 * gib } },
];
export const sampleFarmNames = ['freefarm', 'atlantic-farm', 'east-farm'] as const;

export interface SampleGrid {
  readonly chain: ChainProcess;
  readonly farms: ReadonlyArray<{ id: number; name: string; twinId: number }>;
  /** In sampleNodes order. */
  readonly nodes: ReadonlyArray<{ id: number; twinId: number; identity: Identity }>;
  readonly users: ReadonlyArray<{ twinId: number; identity: Identity }>;
  /** Contract ids by role. */
  readonly contracts: { readonly deployments: number[]; readonly withIp: number; readonly rent: number; readonly name: number; readonly canceled: number };
  /** The node whose farmer set its power target Down (standby). */
  readonly standbyNode: number;
  /** The node rented whole (rent contract). */
  readonly rentedNode: number;
  /** The twin of `relayIdentity` (made for a message-bus relay). */
  readonly relayTwinId: number;
}

/** Owns the twin a test's message-bus relay runs as. */
export const relayIdentity = identity(4, 0);

function identity(role: number, index: number): Identity {
  return Identity.fromSeed((role * 256 + index + 1).toString(16).padStart(64, '0'));
}

function ok(result: unknown): void {
  const included = result as Included;
  if (included.status !== 'included' || !included.result.ok) throw new Error(`transaction refused: ${JSON.stringify(included.result)}`);
}

/** A chain process with the explorer-test genesis in `dir` (1 s billing, 40 min uptime interval). */
export async function startTestChain(dir: string, funded: readonly Identity[]): Promise<ChainProcess> {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const sequencer = identity(9, 0);
  writeFileSync(join(dataDir, 'sequencer-seed'), sequencer.seedHex + '\n', { mode: 0o600 });
  const genesis = devnetGenesis({ admin: sequencer.publicKeyHex, sequencer: sequencer.publicKeyHex, funded: funded.map((f) => f.publicKeyHex), timestampMs: Date.now(), chainId: 'explorer-test' });
  writeFileSync(join(dataDir, 'genesis.json'), JSON.stringify({ ...genesis, params: { ...genesis.params, billingPeriodMs: 1_000, uptimeIntervalMs: 40 * 60_000 } }));
  return startChainProcess({ home: join(dir, 'home'), dataDir, args: ['--block-interval', '20'] });
}

/** Starts a chain in `dir` and writes the sample grid into it; every twin lists `relay` (host:port) if given. */
export async function startSampleGrid(dir: string, options: { relay?: string } = {}): Promise<SampleGrid> {
  const farmers = sampleFarmNames.map((_, i) => identity(1, i));
  const nodeKeys = sampleNodes.map((_, i) => identity(2, i));
  const userKeys = [identity(3, 0), identity(3, 1)];
  const chain = await startTestChain(dir, [...farmers, ...nodeKeys, ...userKeys, relayIdentity]);
  const reader = new ChainClient({ url: chain.url });
  const client = (id: Identity) => new ChainClient({ url: chain.url, identity: id });
  const [farmerClients, nodeClients, userClients] = [farmers.map(client), nodeKeys.map(client), userKeys.map(client)];
  const all = [...farmerClients, ...nodeClients, ...userClients, client(relayIdentity)];
  const relays = options.relay === undefined ? [] : [options.relay];
  (await Promise.all(all.map((c) => c.createTwin({ encryptionKey: c.identity!.encryptionPublicKeyHex, relays }, wait)))).forEach(ok);
  const twinOf = async (id: Identity) => (await reader.twinByAccount(id.publicKeyHex))!.id;

  (await Promise.all(farmerClients.map((c, i) => c.createFarm({ name: sampleFarmNames[i]! }, wait)))).forEach(ok);
  const farms = await Promise.all(sampleFarmNames.map(async (name, i) => ({ id: (await reader.farmByName(name))!.id, name, twinId: await twinOf(farmers[i]!) })));
  await Promise.all(farmerClients.map(async (c, i) => {
    for (const host of [10, 11]) ok(await c.addFarmIp({ farmId: farms[i]!.id, ip: `185.206.${i}.${host}/24`, gateway: `185.206.${i}.1` }, wait));
  }));

  await Promise.all(nodeClients.map(async (c, i) => {
    const spec = sampleNodes[i]!;
    const publicConfig = spec.ip4 === undefined ? null : { ip4: { ip: spec.ip4, gw: spec.ip4.replace(/\.\d+\/\d+$/, '.1') }, ip6: null, domain: `node${i}.example.org` };
    ok(await c.createNode({ farmId: farms[spec.farm]!.id, resources: spec.resources, location: { country: spec.country, city: spec.city, latitude: spec.latitude, longitude: spec.longitude }, publicConfig, serial: `SN-${i}` }, wait));
    ok(await c.reportUptime(3_600 + i, wait));
  }));
  const nodes = await Promise.all(nodeKeys.map(async (key) => {
    const twinId = await twinOf(key);
    return { id: (await reader.nodeByTwin(twinId))!.id, twinId, identity: key };
  }));
  const users = await Promise.all(userKeys.map(async (key) => ({ twinId: await twinOf(key), identity: key })));

  // User 0 deploys on nodes 0, 3 (with a public IP) and 6; user 1 rents node 7 and holds a name.
  const [alice, bob] = userClients as [ChainClient, ChainClient];
  const deployment = (n: number) => n.toString(16).padStart(64, '0');
  const deploymentResources = { cru: 2, mru: 4 * gib, sru: 50 * gib, hru: 0 };
  for (const [k, node] of [nodes[0]!, nodes[3]!, nodes[6]!].entries()) {
    ok(await alice.createNodeContract({ nodeId: node.id, deploymentHash: deployment(k + 1), deploymentData: `{"name":"vm${k}"}`, resources: deploymentResources, publicIps: k === 1 ? 1 : 0 }, wait));
  }
  ok(await alice.createNodeContract({ nodeId: nodes[1]!.id, deploymentHash: deployment(9), resources: deploymentResources }, wait));
  ok(await bob.createRentContract(nodes[7]!.id, wait));
  ok(await bob.createNameContract('bob-website', wait));
  const contractOf = async (nodeId: number, hash: string) => (await reader.contractByNodeHash(nodeId, hash))!.id;
  const deployments = [await contractOf(nodes[0]!.id, deployment(1)), await contractOf(nodes[3]!.id, deployment(2)), await contractOf(nodes[6]!.id, deployment(3))];
  const canceled = await contractOf(nodes[1]!.id, deployment(9));
  ok(await alice.cancelContract(canceled, wait));
  // The node reports what its deployment really uses (billing and the index follow the report).
  ok(await nodeClients[0]!.reportResources({ reports: [{ contractId: deployments[0]!, resources: { cru: 1, mru: 2 * gib, sru: 20 * gib, hru: 0 } }] }, wait));
  // Farm 2's farmer powers node 8 down (farmerbot): standby.
  ok(await farmerClients[2]!.send('node.power.target', { nodeId: nodes[8]!.id, target: 'Down' }, wait));
  const list = await reader.list('contracts', { filter: { twinId: users[1]!.twinId } });
  const rent = list.items.find((c) => c.kind === 'rent')!.id;
  const name = list.items.find((c) => c.kind === 'name')!.id;
  return {
    chain, farms, nodes, users, contracts: { deployments, withIp: deployments[1]!, rent, name, canceled },
    standbyNode: nodes[8]!.id, rentedNode: nodes[7]!.id, relayTwinId: await twinOf(relayIdentity),
  };
}

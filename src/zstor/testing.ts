// Test support (not public API): a small grid of real `tfgrid zdb` processes with data and
// metadata namespaces, and the zstor.toml that describes it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZdbClient } from '../zdb/index.ts';
import { removeDir, startOurZdb, tempDir, type ZdbProcess } from '../zdb/server/testing.ts';
import { parseConfig, type ZstorConfig } from './config.ts';

export interface ClusterOptions {
  /** zdb processes; each is one group. */
  servers?: number;
  /** Data namespaces on each server. */
  backendsPerServer?: number;
  metaBackends?: number;
  dataShards?: number;
  parityShards?: number;
  redundantGroups?: number;
  redundantNodes?: number;
  segmentBytes?: number;
  compression?: 'zstd' | 'none';
  timeoutMs?: number;
  /** maxsize of every data namespace. */
  maxsizeBytes?: number;
}

export interface Cluster {
  readonly servers: ZdbProcess[];
  readonly dir: string;
  readonly configPath: string;
  /** The config text; `toml()` renders it with changes. */
  readonly text: string;
  readonly config: ZstorConfig;
  readonly options: Required<ClusterOptions>;
  toml(change?: { masterKey?: string; metaKey?: string; backendOverride?: (b: TomlBackend) => TomlBackend; extraGroups?: TomlBackend[][] }): string;
  /** A client on one data namespace (server s, namespace index j on it). */
  dataClient(server: number, j: number): Promise<ZdbClient>;
  stop(): Promise<void>;
}

export interface TomlBackend {
  address: string;
  namespace: string;
  password: string;
}

export const masterKeyHex = '11'.repeat(32);
export const metaKeyHex = '22'.repeat(32);

export async function startCluster(input: ClusterOptions = {}): Promise<Cluster> {
  const options: Required<ClusterOptions> = {
    servers: 3, backendsPerServer: 2, metaBackends: 4, dataShards: 4, parityShards: 2, redundantGroups: 0, redundantNodes: 0,
    segmentBytes: 64 * 1024, compression: 'none', timeoutMs: 2000, maxsizeBytes: 0, ...input,
  };
  const dir = tempDir('tfgrid-zstor-');
  const servers = await Promise.all(Array.from({ length: options.servers }, () => startOurZdb()));
  const groups: TomlBackend[][] = servers.map(() => []);
  const meta: TomlBackend[] = [];
  await Promise.all(servers.map(async (server, s) => {
    const admin = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 5000, reconnect: false });
    for (let j = 0; j < options.backendsPerServer; j++) {
      const namespace = `d${j}`;
      await admin.nsnew(namespace);
      await admin.nsset(namespace, 'mode', 'seq');
      await admin.nsset(namespace, 'password', `pw-${namespace}`);
      if (options.maxsizeBytes > 0) await admin.nsset(namespace, 'maxsize', options.maxsizeBytes);
      groups[s]!.push({ address: `127.0.0.1:${server.port}`, namespace, password: `pw-${namespace}` });
    }
    admin.destroy();
  }));
  for (let j = 0; j < options.metaBackends; j++) {
    const server = servers[j % servers.length]!;
    const admin = await ZdbClient.connect({ host: '127.0.0.1', port: server.port }, { timeoutMs: 5000, reconnect: false });
    await admin.nsnew(`meta${j}`);
    await admin.nsset(`meta${j}`, 'password', 'pw-meta');
    admin.destroy();
    meta.push({ address: `127.0.0.1:${server.port}`, namespace: `meta${j}`, password: 'pw-meta' });
  }
  const toml: Cluster['toml'] = (change = {}) => {
    const backend = (b: TomlBackend) => {
      const final = change.backendOverride?.(b) ?? b;
      return `address = "${final.address}"\nnamespace = "${final.namespace}"\npassword = "${final.password}"\n`;
    };
    return [
      `minimal_shards = ${options.dataShards}`,
      `expected_shards = ${options.dataShards + options.parityShards}`,
      `redundant_groups = ${options.redundantGroups}`,
      `redundant_nodes = ${options.redundantNodes}`,
      `segment_size = ${options.segmentBytes}`,
      `timeout_ms = ${options.timeoutMs}`,
      '', '[encryption]', 'algorithm = "AES"', `key = "${change.masterKey ?? masterKeyHex}"`,
      '', '[compression]', `algorithm = "${options.compression}"`,
      '', '[meta]', 'type = "zdb"', '', '[meta.config]', 'prefix = "test"',
      '', '[meta.config.encryption]', 'algorithm = "AES"', `key = "${change.metaKey ?? metaKeyHex}"`,
      ...meta.map((b) => `\n[[meta.config.backends]]\n${backend(b)}`),
      ...[...groups, ...(change.extraGroups ?? [])].map((g) => `\n[[groups]]\n${g.map((b) => `[[groups.backends]]\n${backend(b)}`).join('\n')}`),
    ].join('\n');
  };
  const text = toml();
  const configPath = join(dir, 'zstor.toml');
  writeFileSync(configPath, text);
  return {
    servers, dir, configPath, text, config: parseConfig(text), options, toml,
    dataClient: (server, j) => ZdbClient.connect({ host: '127.0.0.1', port: servers[server]!.port }, { namespace: `d${j}`, password: `pw-d${j}`, timeoutMs: 5000, reconnect: false }),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      for (const s of servers) removeDir(s.dir);
      removeDir(dir);
    },
  };
}

/** A stream of `total` bytes in `chunkBytes` pieces from a cheap seeded generator (xorshift32). */
export function* generated(total: number, seed: number, chunkBytes = 256 * 1024): Generator<Buffer> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < total; sent += chunkBytes) {
    const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, total - sent));
    const words = Math.floor(chunk.length / 4);
    for (let i = 0; i < words; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeInt32LE(state | 0, i * 4);
    }
    for (let i = words * 4; i < chunk.length; i++) chunk[i] = i & 0xff;
    yield chunk;
  }
}

export async function collect(stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

// zstor.toml, modelled on 0-stor v2's config (same key names where the meaning is the same) and
// checked with zod: a bad file is ZSTOR_CONFIG_INVALID naming the key, before anything connects.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import { ZstorError } from './errors.ts';
import { parseToml } from './toml.ts';
import { totalShardsMax } from './rs/reed-solomon.ts';
import { shardHeaderBytes } from './shard.ts';
import { segmentOverheadBytes } from './segment.ts';
import { backendIdBytesMax } from './meta-codec.ts';

/** 0-db refuses values over 8 MiB: a shard (header included) must fit. */
export const zdbValueBytesMax = 8 * 1024 * 1024;
export const segmentBytesDefault = 4 * 1024 * 1024;
export const timeoutMsDefault = 10_000;

const hexKey = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 32 bytes as 64 hex digits');
const address = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'expected host:port or [ipv6]:port');

const BackendToml = z.strictObject({
  address,
  namespace: z.string().min(1).max(128).default('default'),
  password: z.string().optional(),
});
const EncryptionToml = z.strictObject({ algorithm: z.literal('AES'), key: hexKey });

const ConfigToml = z.strictObject({
  minimal_shards: z.number().int().min(1),
  expected_shards: z.number().int().min(2).max(totalShardsMax),
  redundant_groups: z.number().int().min(0).default(0),
  redundant_nodes: z.number().int().min(0).default(0),
  root: z.string().optional(),
  segment_size: z.number().int().min(4096).max(64 * 1024 * 1024).default(segmentBytesDefault),
  timeout_ms: z.number().int().min(10).max(600_000).default(timeoutMsDefault),
  encryption: EncryptionToml,
  compression: z.strictObject({ algorithm: z.enum(['zstd', 'none']), level: z.number().int().min(1).max(19).default(3) }).default({ algorithm: 'none', level: 3 }),
  meta: z.strictObject({
    type: z.literal('zdb'),
    config: z.strictObject({
      prefix: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
      encryption: EncryptionToml,
      backends: z.array(BackendToml).min(2).max(16),
    }),
  }),
  groups: z.array(z.strictObject({ backends: z.array(BackendToml).min(1) })).min(1),
});

export interface BackendConfig {
  /** `host:port/namespace`: how metadata names a backend. */
  readonly id: string;
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly namespace: string;
  readonly password: string | undefined;
}

export interface ZstorConfig {
  readonly dataShards: number;
  readonly parityShards: number;
  readonly redundantGroups: number;
  readonly redundantNodes: number;
  readonly root: string | undefined;
  readonly segmentBytes: number;
  readonly timeoutMs: number;
  readonly masterKey: Buffer;
  readonly compression: { readonly algorithm: 'zstd' | 'none'; readonly level: number };
  readonly meta: { readonly prefix: string; readonly key: Buffer; readonly backends: readonly BackendConfig[] };
  readonly groups: readonly (readonly BackendConfig[])[];
}

export function backendConfig(input: z.infer<typeof BackendToml>): BackendConfig {
  const colon = input.address.lastIndexOf(':');
  const host = input.address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(input.address.slice(colon + 1));
  return { id: `${input.address}/${input.namespace}`, address: input.address, host, port, namespace: input.namespace, password: input.password };
}

/** Parses and checks zstor.toml text. */
export function parseConfig(text: string, source = 'zstor.toml'): ZstorConfig {
  const parsed = ConfigToml.safeParse(parseTomlIn(text, source));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TfgridError(ZstorError.CONFIG_INVALID, `${source}: ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}`);
  }
  const c = parsed.data;
  const fail = (why: string): never => {
    throw new TfgridError(ZstorError.CONFIG_INVALID, `${source}: ${why}`);
  };
  if (c.minimal_shards >= c.expected_shards) fail('minimal_shards must be below expected_shards (at least one parity shard)');
  const groups = c.groups.map((g) => g.backends.map(backendConfig));
  const backends = groups.flat();
  if (backends.length < c.expected_shards) fail(`${c.expected_shards} expected_shards need at least as many backends, found ${backends.length}`);
  if (new Set(backends.map((b) => b.id)).size !== backends.length) fail('a backend (address and namespace) is listed twice');
  const long = backends.find((b) => Buffer.byteLength(b.id) > backendIdBytesMax);
  if (long !== undefined) fail(`backend ${long.id.slice(0, 40)}…: address and namespace together must be at most ${backendIdBytesMax} bytes (metadata names it so)`);
  const metaBackends = c.meta.config.backends.map(backendConfig);
  if (new Set(metaBackends.map((b) => b.id)).size !== metaBackends.length) fail('a metadata backend is listed twice');
  const shardBytes = Math.ceil((c.segment_size + segmentOverheadBytes) / c.minimal_shards) + shardHeaderBytes;
  if (shardBytes > zdbValueBytesMax) fail(`segment_size ${c.segment_size} makes ${shardBytes}-byte shards; 0-db takes at most ${zdbValueBytesMax}`);
  return {
    dataShards: c.minimal_shards,
    parityShards: c.expected_shards - c.minimal_shards,
    redundantGroups: c.redundant_groups,
    redundantNodes: c.redundant_nodes,
    root: c.root,
    segmentBytes: c.segment_size,
    timeoutMs: c.timeout_ms,
    masterKey: Buffer.from(c.encryption.key, 'hex'),
    compression: c.compression,
    meta: { prefix: c.meta.config.prefix, key: Buffer.from(c.meta.config.encryption.key, 'hex'), backends: metaBackends },
    groups,
  };
}

export async function loadConfig(path: string): Promise<ZstorConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new TfgridError(ZstorError.CONFIG_INVALID, `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(text, path);
}

function parseTomlIn(text: string, source: string): unknown {
  try {
    return parseToml(text);
  } catch (error) {
    if (error instanceof TfgridError) throw new TfgridError(error.code, `${source}: ${error.detail}`);
    throw error;
  }
}

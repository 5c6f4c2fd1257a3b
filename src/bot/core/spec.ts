// grid.yaml: what the user wants, declaratively. Parsed (YAML subset or JSON), checked with zod,
// and every error names the file's line. Sizes accept units (64MiB, 1GiB) and are bytes after
// parsing. The parsed spec is what the desired state records, so it is plain JSON.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import { BotError } from '../errors.ts';
import { parseYaml, type ParsedYaml } from './yaml.ts';

const units: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };
const mib = 2 ** 20;

/** Bytes from a number or "64MiB", "1.5GB". */
const size = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?$/.exec(value.trim());
  const factor = match === null ? undefined : units[match[2] ?? ''];
  if (match === null || factor === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (e.g. 64MiB, 1GiB, 500MB, or bytes)` });
    return z.NEVER;
  }
  return Math.round(Number(match[1]) * factor);
});

/** zos workload names: the spec's keys become them. */
const workloadName = z.string().regex(/^[a-zA-Z0-9_]{1,32}$/, 'a name is 1–32 of [a-zA-Z0-9_] (it becomes a Zero-OS workload name)');
export const deploymentNamePattern = /^[a-z0-9][a-z0-9_-]{0,47}$/;
export const networkWorkload = 'net';
const ipv4Cidr16 = z.string().regex(/^10\.(\d{1,3})\.0\.0\/16$/, 'ip_range is a 10.x.0.0/16 (each placement takes a /24 of it)').refine((v) => Number(v.split('.')[1]) <= 255, 'not an IPv4 range');

const container = z.strictObject({
  image: z.string().min(1).optional(),
  flist: z.string().min(1).optional(),
  cpu: z.number().int().min(1).max(64).default(1),
  memory: size.refine((v) => v >= 16 * mib, 'memory is at least 16MiB').default(64 * mib),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment name is [A-Za-z_][A-Za-z0-9_]*'), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  entrypoint: z.string().default(''),
  /** A public IPv4 from the farm (reserved by the contract, paid with it); the node must have a public network. */
  public_ip: z.boolean().default(false),
  /** volume name → mount point. */
  mounts: z.record(workloadName, z.string().regex(/^\/[^\s]*$/, 'a mount point is an absolute path')).default({}),
}).refine((c) => (c.image === undefined) !== (c.flist === undefined), 'give exactly one of image (a name on the hub) or flist (a URL or a node-local path)');

const zdb = z.strictObject({
  size: size,
  mode: z.enum(['user', 'seq']).default('user'),
  password: z.string().regex(/^[^\s*]*$/, 'no spaces or "*" in a 0-db password').default(''),
  public: z.boolean().default(false),
});

const volume = z.strictObject({ size: size.refine((v) => v >= 16 * mib, 'a volume is at least 16MiB') });

const placement = z.strictObject({
  country: z.string().min(1).optional(),
  city: z.string().min(1).optional(),
  farms: z.array(z.number().int().positive()).min(1).optional(),
  nodes: z.array(z.number().int().positive()).min(1).optional(),
  exclude_nodes: z.array(z.number().int().positive()).default([]),
  certified: z.boolean().default(false),
  /** TFT per month per replica. */
  max_price: z.number().positive().optional(),
  /** farms: replicas must be in distinct farms; nodes (default): distinct nodes, distinct farms preferred. */
  spread: z.enum(['nodes', 'farms']).default('nodes'),
}).default({ exclude_nodes: [], certified: false, spread: 'nodes' });

const deployment = z.strictObject({
  description: z.string().max(256).default(''),
  replicas: z.number().int().min(1).max(16).default(1),
  placement,
  containers: z.record(workloadName, container).default({}),
  zdbs: z.record(workloadName, zdb).default({}),
  volumes: z.record(workloadName, volume).default({}),
}).superRefine((d, ctx) => {
  const names = [...Object.keys(d.containers), ...Object.keys(d.zdbs), ...Object.keys(d.volumes)];
  if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'a deployment needs at least one container, zdb or volume' });
  for (const name of new Set(names)) {
    if (names.indexOf(name) !== names.lastIndexOf(name)) ctx.addIssue({ code: 'custom', message: `"${name}" names two workloads` });
    if (name === networkWorkload) ctx.addIssue({ code: 'custom', message: `"${networkWorkload}" is the network's name` });
  }
  if (Object.keys(d.containers).length > 200) ctx.addIssue({ code: 'custom', message: 'at most 200 containers (one /24 each placement)' });
  for (const [name, c] of Object.entries(d.containers)) {
    if (c.public_ip && names.includes(`${name}_pub`)) ctx.addIssue({ code: 'custom', path: ['containers', name, 'public_ip'], message: `"${name}_pub" would name the public IP of ${name}; rename that workload` });
    for (const volumeName of Object.keys(c.mounts)) {
      if (d.volumes[volumeName] === undefined) ctx.addIssue({ code: 'custom', path: ['containers', name, 'mounts', volumeName], message: `no volume "${volumeName}" in this deployment` });
    }
  }
});

export const specSchema = z.strictObject({
  version: z.literal(1),
  network: z.strictObject({ ip_range: ipv4Cidr16.default('10.240.0.0/16') }).default({ ip_range: '10.240.0.0/16' }),
  deployments: z.record(z.string().regex(deploymentNamePattern, 'a deployment name is 1–48 of [a-z0-9_-], starting with a letter or digit'), deployment)
    .refine((d) => Object.keys(d).length >= 1, 'at least one deployment'),
});
export type Spec = z.infer<typeof specSchema>;
export type DeploymentSpec = Spec['deployments'][string];
export type ContainerSpec = DeploymentSpec['containers'][string];
export type Placement = DeploymentSpec['placement'];

/** JSON is accepted as it is (its values carry no line numbers). */
function parseJson(text: string): ParsedYaml {
  try {
    return { value: JSON.parse(text) as unknown, lineOf: () => undefined };
  } catch (error) {
    throw new TfgridError(BotError.SPEC_SYNTAX, `not JSON: ${(error as Error).message}`);
  }
}

/** Parses grid.yaml (or JSON) text: BOT_SPEC_SYNTAX or BOT_SPEC_INVALID with `file:line`. */
export function parseSpec(text: string, file = 'grid.yaml'): Spec {
  let parsed: ParsedYaml;
  try {
    parsed = text.trimStart().startsWith('{') ? parseJson(text) : parseYaml(text);
  } catch (error) {
    if (error instanceof TfgridError) throw new TfgridError(error.code, `${file}: ${error.detail}`, { details: error.details ?? {} });
    throw error;
  }
  const result = specSchema.safeParse(parsed.value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  // An unknown key's own line is more use than its parent's.
  const line = parsed.lineOf(issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path);
  const where = path.length === 0 ? '' : `${path.join('.')}: `;
  // A bad record key (a deployment or workload name): zod nests the key's own message.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw new TfgridError(BotError.SPEC_INVALID, `${file}${line === undefined ? '' : `:${line}`}: ${where}${message}`, { details: { line, path } });
}

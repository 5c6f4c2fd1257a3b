// container: an OCI container run by runc, its rootfs from an flist, with CPU and memory limits,
// volume mounts and interfaces on the deployment's networks.
import { z } from 'zod';
import { parseCommand } from '../command.ts';
import { ipv4Schema } from '../ipv4.ts';
import type { WorkloadKind } from './kind.ts';

export const containerMemoryBytesMin = 16 * 2 ** 20;
export const containerCoresMax = 64;
const envMax = 64;

export const containerData = z.strictObject({
  /** A local flist file, or an http(s) URL of one (a hub's). */
  flist: z.string().min(1).max(2048),
  /** Command line, split into words as a shell does (quotes, backslash; no expansion); empty: the flist's `entrypoint` tag. */
  entrypoint: z.string().max(4096).default('').superRefine((line, ctx) => {
    const parsed = parseCommand(line);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: `not a command line: ${parsed.error}` });
  }),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name').max(128), z.string().max(4096))
    .refine((env) => Object.keys(env).length <= envMax, `at most ${envMax} variables`).default({}),
  compute_capacity: z.strictObject({
    cpu: z.number().int().min(1).max(containerCoresMax),
    memory: z.number().int().min(containerMemoryBytesMin).max(Number.MAX_SAFE_INTEGER),
  }),
  mounts: z.array(z.strictObject({
    volume: z.string().max(64),
    mountpoint: z.string().regex(/^\/[^\0]*$/, 'an absolute path').max(256).refine((p) => !p.split('/').includes('..'), 'no ".."'),
  })).max(16).default([]),
  network: z.strictObject({
    interfaces: z.array(z.strictObject({ network: z.string().max(64), ip: ipv4Schema })).max(4),
    /** The `ip` workload whose public address the container gets (and its default route); "" none. */
    public_ip: z.string().max(64).default(''),
  }).default({ interfaces: [], public_ip: '' }),
});
export type ContainerData = z.infer<typeof containerData>;

export const containerKind: WorkloadKind<typeof containerData> = {
  type: 'container', schema: containerData, order: 3,
  capacity: (data) => ({ cru: data.compute_capacity.cpu, mru: data.compute_capacity.memory, sru: 0, hru: 0 }),
  references: (data) => [
    ...data.mounts.map((m, i) => ({ name: m.volume, type: 'volume' as const, field: `mounts[${i}].volume` })),
    ...data.network.interfaces.map((n, i) => ({ name: n.network, type: 'network' as const, field: `network.interfaces[${i}].network` })),
    ...(data.network.public_ip === '' ? [] : [{ name: data.network.public_ip, type: 'ip' as const, field: 'network.public_ip' }]),
  ],
};

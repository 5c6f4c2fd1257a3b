// The one place that maps a workload type to its kind (schema, capacity, references, order), and
// the checks of a deployment's workloads as a whole: names, references, addresses.
import type { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import { ZosError } from '../errors.ts';
import { sumResources, type Resources } from './capacity.ts';
import { workloadNameMaxChars, type Deployment, type Workload, type WorkloadTypeName } from './deployment.ts';
import { isHostAddress, parseCidr, parseIp } from './ipv4.ts';
import { containerKind, type ContainerData } from './types/container.ts';
import { ipKind, type IpData } from './types/ip.ts';
import type { StorageUnit, WorkloadKind } from './types/kind.ts';
import { networkKind, type NetworkData } from './types/network.ts';
import { volumeKind, type VolumeData } from './types/volume.ts';
import { zdbKind, type ZdbData } from './types/zdb.ts';

export interface DataOf {
  zdb: ZdbData;
  volume: VolumeData;
  network: NetworkData;
  ip: IpData;
  container: ContainerData;
}

export const kinds: { readonly [T in WorkloadTypeName]: WorkloadKind<z.ZodType<DataOf[T]>> } = {
  zdb: zdbKind, volume: volumeKind, network: networkKind, ip: ipKind, container: containerKind,
};

/** A workload with its data parsed by its type's schema. */
export type Typed = { [T in WorkloadTypeName]: Omit<Workload, 'type' | 'data'> & { type: T; data: DataOf[T] } }[WorkloadTypeName];

const namePattern = /^[a-zA-Z0-9_]+$/;

export function parseWorkload(workload: Workload): Typed {
  const parsed = kinds[workload.type].schema.safeParse(workload.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TfgridError(ZosError.INVALID, `workload ${workload.name} (${workload.type}): data.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return { ...workload, data: parsed.data } as Typed;
}

/** Parses every workload's data and checks names, references and addresses. Throws the first problem. */
export function checkWorkloads(deployment: Deployment): Typed[] {
  const seen = new Set<string>();
  for (const w of deployment.workloads) {
    if (!namePattern.test(w.name) || w.name.length > workloadNameMaxChars) throw new TfgridError(ZosError.INVALID_NAME, `workload name ${JSON.stringify(w.name.slice(0, 64))}: 1–${workloadNameMaxChars} of [a-zA-Z0-9_]`);
    if (seen.has(w.name)) throw new TfgridError(ZosError.INVALID_NAME, `workload name ${w.name} is used twice`);
    seen.add(w.name);
  }
  const typed = deployment.workloads.map(parseWorkload);
  const byName = new Map(typed.map((w) => [w.name, w]));
  for (const w of typed) {
    for (const ref of kindOf(w).references(w.data)) {
      const target = byName.get(ref.name);
      if (target?.type !== ref.type) throw new TfgridError(ZosError.INVALID_REFERENCE, `workload ${w.name}: ${ref.field} names ${ref.name}, which is not a ${ref.type} of this deployment`);
    }
  }
  checkAddresses(typed, byName);
  return typed;
}

function checkAddresses(typed: readonly Typed[], byName: ReadonlyMap<string, Typed>): void {
  const taken = new Set<string>();
  const publicIps = new Set<string>();
  for (const w of typed) {
    if (w.type !== 'container') continue;
    const publicIp = w.data.network.public_ip;
    if (publicIp !== '' && publicIps.has(publicIp)) throw new TfgridError(ZosError.NETWORK_CONFLICT, `workload ${w.name}: public IP ${publicIp} is given to another container`);
    publicIps.add(publicIp);
    const mountpoints = new Set<string>();
    for (const m of w.data.mounts) {
      if (mountpoints.has(m.mountpoint)) throw new TfgridError(ZosError.INVALID, `workload ${w.name}: mountpoint ${m.mountpoint} is used twice`);
      mountpoints.add(m.mountpoint);
    }
    const joined = new Set<string>();
    for (const nic of w.data.network.interfaces) {
      const network = byName.get(nic.network);
      if (network?.type !== 'network') continue;
      if (joined.has(nic.network)) throw new TfgridError(ZosError.INVALID_REFERENCE, `workload ${w.name} joins network ${nic.network} twice`);
      joined.add(nic.network);
      const subnet = parseCidr(network.data.subnet)!;
      if (!isHostAddress(subnet, parseIp(nic.ip)!)) throw new TfgridError(ZosError.NETWORK_CONFLICT, `workload ${w.name}: ${nic.ip} is not a host address of ${network.data.subnet} (the first is the node's gateway)`);
      const key = `${nic.network}/${nic.ip}`;
      if (taken.has(key)) throw new TfgridError(ZosError.NETWORK_CONFLICT, `workload ${w.name}: ${nic.ip} is taken on network ${nic.network}`);
      taken.add(key);
    }
  }
}

export function kindOf(w: Typed): WorkloadKind<z.ZodType<DataOf[typeof w.type]>> {
  return kinds[w.type];
}

export function workloadCapacity(w: Typed, storage: StorageUnit): Resources {
  return (kindOf(w).capacity as (data: unknown, storage: StorageUnit) => Resources)(w.data, storage);
}

/** Capacity of the workloads that hold resources (deleted ones do not). */
export function deploymentCapacity(typed: readonly Typed[], storage: StorageUnit): Resources {
  return sumResources(typed.filter((w) => w.result?.state !== 'deleted').map((w) => workloadCapacity(w, storage)));
}

/** The most cores one container of the deployment asks for (CPU is shared, not reserved). */
export function coresPerWorkloadMax(typed: readonly Typed[]): number {
  return Math.max(0, ...typed.map((w) => (w.type === 'container' ? w.data.compute_capacity.cpu : 0)));
}

/** Install order: by type (volume → zdb → network → container), then as listed. Removal: reversed. */
export function installOrder<W extends { type: WorkloadTypeName }>(workloads: readonly W[]): W[] {
  return workloads.map((w, i) => ({ w, i })).sort((a, b) => kinds[a.w.type].order - kinds[b.w.type].order || a.i - b.i).map((x) => x.w);
}

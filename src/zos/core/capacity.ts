// Resource units (zos/tfchain): cru logical cores, mru RAM bytes, sru SSD bytes, hru HDD bytes.
// Capacity accounting is pure: the node's total, the system's reserved share and what the
// deployments use give what is free. CPU may be overcommitted (as zos does): a container only
// needs no more cores than the node has; memory and disk are never overcommitted.
import type { Resources } from '../../chain/index.ts';

export type { Resources };
export const zeroResources: Resources = { cru: 0, mru: 0, sru: 0, hru: 0 };

export function addResources(a: Resources, b: Resources): Resources {
  return { cru: a.cru + b.cru, mru: a.mru + b.mru, sru: a.sru + b.sru, hru: a.hru + b.hru };
}

export function sumResources(list: Iterable<Resources>): Resources {
  let total = zeroResources;
  for (const r of list) total = addResources(total, r);
  return total;
}

/** The system's share: `reservePercent` of memory and disks (at least 256 MiB of memory), no cores. */
export function systemReserve(total: Resources, reservePercent: number): Resources {
  const share = (bytes: number): number => Math.floor((bytes * reservePercent) / 100);
  return { cru: 0, mru: Math.min(total.mru, Math.max(share(total.mru), 256 * 2 ** 20)), sru: share(total.sru), hru: share(total.hru) };
}

export interface CapacityView {
  readonly total: Resources;
  readonly system: Resources;
  readonly used: Resources;
}

/** The first shortfall ("mru: need 2048, free 1024") or undefined when `request` fits. */
export function shortfall(view: CapacityView, request: Resources, coresPerWorkloadMax: number): string | undefined {
  if (coresPerWorkloadMax > view.total.cru) return `cru: a container asks for ${coresPerWorkloadMax} cores, the node has ${view.total.cru}`;
  for (const key of ['mru', 'sru', 'hru'] as const) {
    const free = view.total[key] - view.system[key] - view.used[key];
    if (request[key] > free) return `${key}: need ${request[key]} bytes, ${Math.max(0, free)} free`;
  }
  return undefined;
}

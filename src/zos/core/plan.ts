// What an update does (pure): compare the running deployment with the new one and list the
// workloads to remove, install and keep. zos's versioning: the new deployment's version is
// higher; a workload that changes (or is added) carries the new version; one that keeps its old
// version must be unchanged. Volumes and networks cannot change in place (their data would be
// lost, their dependents cut off): add new ones instead.
import { TfgridError } from '../../base/index.ts';
import { canonicalJson } from '../../crypto/index.ts';
import { ZosError } from '../errors.ts';
import type { Deployment } from './deployment.ts';
import { installOrder, type Typed } from './workloads.ts';

export interface UpdatePlan {
  /** Old workloads to remove, in removal order (reverse install order). */
  readonly remove: readonly Typed[];
  /** New workloads to install (added, or changed: their old one is in `remove`, except zdb). */
  readonly install: readonly Typed[];
  /** zdb workloads changed in place (size, password, public). */
  readonly modify: readonly Typed[];
  /** Unchanged: result kept. */
  readonly keep: readonly Typed[];
}

function sameSpec(a: Typed, b: Typed): boolean {
  return a.type === b.type && canonicalJson(a.data) === canonicalJson(b.data) && a.metadata === b.metadata && a.description === b.description;
}

export function planUpdate(current: Deployment, currentTyped: readonly Typed[], next: Deployment, nextTyped: readonly Typed[]): UpdatePlan {
  if (next.twin_id !== current.twin_id) throw new TfgridError(ZosError.UNAUTHORIZED, `the update is for twin ${next.twin_id}, the deployment is twin ${current.twin_id}'s`);
  if (next.version <= current.version) throw new TfgridError(ZosError.INVALID_VERSION, `version ${next.version} is not above the current ${current.version}`);
  const old = new Map(currentTyped.filter((w) => w.result?.state !== 'deleted').map((w) => [w.name, w]));
  const remove: Typed[] = [];
  const install: Typed[] = [];
  const modify: Typed[] = [];
  const keep: Typed[] = [];
  for (const w of nextTyped) {
    const before = old.get(w.name);
    old.delete(w.name);
    if (before !== undefined && sameSpec(before, w)) {
      if (w.version !== before.version) throw new TfgridError(ZosError.INVALID_VERSION, `workload ${w.name} is unchanged but its version moved from ${before.version} to ${w.version}`);
      keep.push({ ...w, result: before.result });
      continue;
    }
    if (w.version !== next.version) throw new TfgridError(ZosError.INVALID_VERSION, `workload ${w.name} is new or changed: its version must be the deployment's (${next.version}), not ${w.version}`);
    if (before === undefined) install.push(w);
    else if (before.type !== w.type) throw new TfgridError(ZosError.INVALID, `workload ${w.name} cannot change type (${before.type} → ${w.type})`);
    else if (w.type === 'volume' || w.type === 'network') throw new TfgridError(ZosError.INVALID, `${w.type} ${w.name} cannot change in place: add a new one`);
    else if (w.type === 'zdb' && before.type === 'zdb' && before.data.mode !== w.data.mode) throw new TfgridError(ZosError.INVALID, `zdb ${w.name} cannot change mode`);
    else if (w.type === 'zdb') modify.push(w);
    else {
      remove.push(before);
      install.push(w);
    }
  }
  remove.push(...old.values());
  return { remove: installOrder(remove).reverse(), install: installOrder(install), modify, keep };
}

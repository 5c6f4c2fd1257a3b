// How the reconciler decides, as a pure function of what it observed: which replicas to move and
// why. Evidence the chain settles (the node's status is down, the contract is gone) moves a
// replica at once; evidence one look can get wrong (a bus request timed out, a workload is in
// error, the node no longer has the deployment) must last a grace period first, so one lost
// message does not move a healthy workload. The shell keeps `suspects` between ticks.
import type { DesiredRecord } from './state.ts';

export type Probe =
  | { readonly kind: 'ok' }
  | { readonly kind: 'init' }
  | { readonly kind: 'error'; readonly message: string }
  /** The node answered but has no deployment for the contract. */
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreachable'; readonly message: string };

export interface Observation {
  /** The chain's view of the node: false once it stops reporting uptime. */
  readonly nodeUp: boolean;
  /** The contract is still on the chain (Created or GracePeriod). */
  readonly contractLive: boolean;
  readonly probe: Probe;
}

export interface HealSettings {
  /** How long a node may stay silent on the bus before its replicas move. */
  readonly unreachableGraceMs: number;
  /** How long a workload may stay in error (or missing) before its replica moves. */
  readonly errorGraceMs: number;
}

export const healDefaults: HealSettings = { unreachableGraceMs: 3_000, errorGraceMs: 5_000 };

export interface Move {
  readonly name: string;
  readonly index: number;
  /** 0 when the replica is not placed. */
  readonly fromNode: number;
  readonly reason: string;
}

export interface Suspect {
  readonly sinceMs: number;
  readonly reason: string;
}

export const replicaKey = (name: string, index: number): string => `${name}/${index}`;

/**
 * Moves for the active records. `observed` and `suspects` are keyed by replicaKey; the returned
 * suspects replace the old ones (cleared when a replica looks well again).
 */
export function decideMoves(records: readonly DesiredRecord[], observed: ReadonlyMap<string, Observation>, suspects: ReadonlyMap<string, Suspect>, nowMs: number, settings: HealSettings = healDefaults): { moves: Move[]; suspects: Map<string, Suspect> } {
  const moves: Move[] = [];
  const next = new Map<string, Suspect>();
  for (const record of records.filter((r) => r.status === 'active')) {
    const placed = new Set(record.replicas.map((r) => r.index));
    for (let index = 0; index < record.spec.replicas; index++) {
      if (!placed.has(index)) moves.push({ name: record.name, index, fromNode: 0, reason: `replica ${index} has no node (the spec asks for ${record.spec.replicas})` });
    }
    for (const replica of record.replicas) {
      const key = replicaKey(record.name, replica.index);
      const move = (reason: string): void => void moves.push({ name: record.name, index: replica.index, fromNode: replica.nodeId, reason });
      if (replica.nodeId === 0) {
        move('not placed: the last attempt failed');
        continue;
      }
      const seen = observed.get(key);
      if (seen === undefined) continue;
      if (!seen.contractLive) {
        move(`contract ${replica.contractId} is no longer on the chain (cancelled, or deleted for lack of funds)`);
        continue;
      }
      if (!seen.nodeUp) {
        move(`node ${replica.nodeId} stopped reporting uptime (the chain marks it down)`);
        continue;
      }
      const doubt = doubtOf(seen.probe, replica.nodeId, settings);
      if (doubt === undefined) continue;
      const since = suspects.get(key)?.sinceMs ?? nowMs;
      if (nowMs - since >= doubt.graceMs) move(`${doubt.reason} for ${Math.round((nowMs - since) / 100) / 10} s`);
      else next.set(key, { sinceMs: since, reason: doubt.reason });
    }
  }
  return { moves, suspects: next };
}

function doubtOf(probe: Probe, nodeId: number, settings: HealSettings): { reason: string; graceMs: number } | undefined {
  switch (probe.kind) {
    case 'ok':
    case 'init':
      return undefined;
    case 'unreachable':
      return { reason: `node ${nodeId} does not answer on the message bus (${probe.message})`, graceMs: settings.unreachableGraceMs };
    case 'error':
      return { reason: `a workload is in error on node ${nodeId} (${probe.message})`, graceMs: settings.errorGraceMs };
    case 'missing':
      return { reason: `node ${nodeId} has no deployment for the contract`, graceMs: settings.errorGraceMs };
  }
}

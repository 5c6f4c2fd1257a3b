// Workload results and their history (pure). A result moves init → ok | error; ok or error →
// deleted; an update puts a changed workload back to init. Every move is appended to the
// deployment's history (bounded: the oldest entries go first), which `zos.deployment.changes`
// returns.
import { assert } from '../../base/index.ts';
import type { Result, ResultStateName, Workload } from './deployment.ts';

export const historyEntriesMax = 1024;

export interface Change {
  readonly name: string;
  readonly type: Workload['type'];
  readonly version: number;
  readonly created: number;
  readonly state: ResultStateName;
  readonly message: string;
}

const allowed: Readonly<Record<ResultStateName | 'none', readonly ResultStateName[]>> = {
  none: ['init', 'ok', 'error'],
  init: ['init', 'ok', 'error', 'deleted'],
  ok: ['init', 'ok', 'deleted', 'error'],
  error: ['init', 'error', 'deleted'],
  deleted: [],
};

export function canMove(from: ResultStateName | undefined, to: ResultStateName): boolean {
  return allowed[from ?? 'none'].includes(to);
}

export function makeResult(state: ResultStateName, options: { nowSec: number; message?: string; data?: Result['data'] }): Result {
  return { created: options.nowSec, state, message: options.message ?? '', data: options.data ?? null };
}

/** The workload with its new result, and the history entry recording the move. */
export function moveResult<W extends Workload>(workload: W, result: Result): { workload: W; change: Change } {
  assert(canMove(workload.result?.state, result.state), `result of ${workload.name} cannot go from ${workload.result?.state ?? 'none'} to ${result.state}`);
  return {
    workload: { ...workload, result },
    change: { name: workload.name, type: workload.type, version: workload.version, created: result.created, state: result.state, message: result.message },
  };
}

export function appendHistory(history: readonly Change[], changes: readonly Change[]): Change[] {
  const all = [...history, ...changes];
  return all.length > historyEntriesMax ? all.slice(all.length - historyEntriesMax) : all;
}

/** A string field of a workload's result data (`{namespace}` of a zdb, `{ip, gateway}` of an ip), or undefined. */
export function resultString(w: Pick<Workload, 'result'> | undefined, field: string): string | undefined {
  const data = w?.result?.data;
  const value = typeof data === 'object' && data !== null && !Array.isArray(data) ? data[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

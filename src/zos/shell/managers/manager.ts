// What the engine needs from each workload type's manager (the "how" half; core/types is the
// "what"). One registry (managers in node.ts) maps a type to its manager.
import type { Result } from '../../core/deployment.ts';
import type { DataOf, Typed } from '../../core/workloads.ts';

export interface InstallContext {
  readonly twinId: number;
  readonly contractId: number;
  /** Results of the deployment's workloads installed so far (a container reads its networks'). */
  readonly installed: ReadonlyMap<string, Typed>;
  /** True when re-applying a stored deployment at start: reuse what exists (data must survive). */
  readonly restore: boolean;
}

export type WorkloadOf<T extends keyof DataOf> = Extract<Typed, { type: T }>;

export interface Manager<T extends keyof DataOf> {
  /** Creates the workload and returns its result data. Must be idempotent with `restore`. */
  install(context: InstallContext, workload: WorkloadOf<T>): Promise<Result['data']>;
  /** Removes everything the workload has, whatever half of it exists; never fails on "already gone". */
  remove(context: InstallContext, workload: WorkloadOf<T>): Promise<void>;
  /** Changes a running workload in place (only types that can). */
  update?(context: InstallContext, before: WorkloadOf<T>, after: WorkloadOf<T>): Promise<Result['data']>;
  /** Node shutdown: stop what runs (containers), keep what persists. */
  stop?(context: InstallContext, workload: WorkloadOf<T>): Promise<void>;
}

export type Managers = { readonly [T in keyof DataOf]: Manager<T> };

/** Names of system resources: unique per node (its prefix), per deployment and per workload. */
export function resourceId(prefix: string, context: Pick<InstallContext, 'contractId'>, name: string): string {
  return `${prefix}-${context.contractId}-${name}`;
}

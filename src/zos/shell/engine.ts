// The provisioning engine: type-agnostic, like zos's pkg/provision. It installs a deployment's
// workloads in dependency order through their managers, records each result and its history in
// the store after every step, applies updates as planned by core/plan.ts, tears deployments down
// in reverse order, re-applies stored deployments at start and stops running ones at shutdown.
// Work on one contract is serialized; different contracts proceed independently.
import { isTfgridError, type Logger } from '../../base/index.ts';
import type { Resources } from '../core/capacity.ts';
import { ResultState, type Deployment, type Result, type ResultStateName } from '../core/deployment.ts';
import type { UpdatePlan } from '../core/plan.ts';
import { appendHistory, makeResult, moveResult, type Change } from '../core/results.ts';
import type { StorageUnit } from '../core/types/kind.ts';
import { checkWorkloads, deploymentCapacity, installOrder, kindOf, type Typed } from '../core/workloads.ts';
import { ZosError } from '../errors.ts';
import type { InstallContext, Manager, Managers } from './managers/manager.ts';
import type { DeploymentStore } from './store.ts';

export interface EngineOptions {
  readonly store: DeploymentStore;
  readonly managers: Managers;
  readonly storage: StorageUnit;
  readonly log: Logger;
  readonly nowSec?: () => number;
  /** After a deployment's capacity may have changed (for the billing report). */
  readonly onChanged?: (contractId: number) => void;
}

interface Entry {
  deployment: Deployment;
  typed: Typed[];
  history: Change[];
  deleted: boolean;
}

function managerOf(managers: Managers, w: Typed): Manager<Typed['type']> {
  return managers[w.type] as Manager<Typed['type']>;
}

function errorMessage(error: unknown): string {
  return isTfgridError(error) ? error.message : `${ZosError.SYSTEM}: ${String((error as Error)?.message ?? error)}`;
}

export class Engine {
  readonly #options: EngineOptions;
  readonly #entries = new Map<number, Entry>();
  readonly #queues = new Map<number, Promise<unknown>>();
  readonly #now: () => number;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#now = options.nowSec ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Runs `fn` after the contract's earlier work. */
  serialize<T>(contractId: number, fn: () => Promise<T>): Promise<T> {
    const next = (this.#queues.get(contractId) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#queues.set(contractId, settled);
    void settled.then(() => { if (this.#queues.get(contractId) === settled) this.#queues.delete(contractId); });
    return next;
  }

  get(contractId: number): Entry | undefined {
    return this.#entries.get(contractId);
  }

  active(): Entry[] {
    return [...this.#entries.values()].filter((e) => !e.deleted);
  }

  capacityOf(contractId: number): Resources | undefined {
    const entry = this.#entries.get(contractId);
    return entry === undefined || entry.deleted ? undefined : deploymentCapacity(entry.typed.filter((w) => w.result?.state !== ResultState.error), this.#options.storage);
  }

  #context(entry: Entry, restore: boolean): InstallContext {
    const installed = new Map(entry.typed.filter((w) => w.result?.state === ResultState.ok).map((w) => [w.name, w]));
    return { twinId: entry.deployment.twin_id, contractId: entry.deployment.contract_id, installed, restore };
  }

  async #record(entry: Entry, name: string, state: ResultStateName, options: { message?: string; data?: Result['data'] } = {}): Promise<void> {
    const index = entry.typed.findIndex((w) => w.name === name);
    const moved = moveResult(entry.typed[index]!, makeResult(state, { nowSec: this.#now(), ...options }));
    entry.typed[index] = moved.workload;
    entry.history = appendHistory(entry.history, [moved.change]);
    entry.deployment = { ...entry.deployment, workloads: entry.deployment.workloads.map((w) => (w.name === name ? { ...w, result: moved.workload.result } : w)) };
    await this.#save(entry);
  }

  async #save(entry: Entry): Promise<void> {
    if (entry.deleted) await this.#options.store.remove(entry.deployment.contract_id);
    else await this.#options.store.save({ deployment: entry.deployment, history: entry.history });
  }

  /**
   * Books the accepted deployment at once (so the next acceptance counts its capacity), then
   * records every workload at init and installs them, after any earlier work on the contract.
   */
  deploy(deployment: Deployment, typed: Typed[]): Promise<void> {
    const entry: Entry = { deployment, typed, history: [], deleted: false };
    this.#entries.set(deployment.contract_id, entry);
    return this.serialize(deployment.contract_id, async () => {
      for (const w of typed) await this.#record(entry, w.name, ResultState.init);
      await this.#installAll(entry, installOrder(typed), false);
    });
  }

  async #installAll(entry: Entry, order: readonly Typed[], restore: boolean): Promise<void> {
    for (const planned of order) {
      if (entry.deleted) return;
      const w = entry.typed.find((t) => t.name === planned.name)!;
      const failed = kindOf(w).references(w.data as never).find((ref) => entry.typed.find((t) => t.name === ref.name)?.result?.state !== ResultState.ok);
      if (failed !== undefined) {
        await this.#record(entry, w.name, ResultState.error, { message: `${ZosError.DEPENDENCY_FAILED}: ${failed.type} ${failed.name} is not installed` });
        continue;
      }
      const context = this.#context(entry, restore);
      try {
        const data = await managerOf(this.#options.managers, w).install(context, w);
        await this.#record(entry, w.name, ResultState.ok, { data });
      } catch (error) {
        this.#options.log.warn('workload failed', { contract: entry.deployment.contract_id, workload: w.name, error });
        // Nothing half-made stays: a new workload's parts are removed (a restored one keeps its data).
        if (!restore) await managerOf(this.#options.managers, w).remove(context, w).catch((e: unknown) => this.#options.log.error('cleanup failed', { workload: w.name, error: e }));
        await this.#record(entry, w.name, ResultState.error, { message: errorMessage(error) });
      }
    }
    this.#options.onChanged?.(entry.deployment.contract_id);
  }

  async update(next: Deployment, plan: UpdatePlan): Promise<void> {
    const entry = this.#entries.get(next.contract_id)!;
    for (const w of plan.remove) await this.#removeOne(entry, w);
    // The new deployment's list, with the kept workloads' results and the rest at init.
    const removed = new Map(entry.typed.map((w) => [w.name, w]));
    entry.deployment = { ...next, workloads: next.workloads.map((w) => ({ ...w, result: plan.keep.find((k) => k.name === w.name)?.result ?? removed.get(w.name)?.result })) };
    entry.typed = checkWorkloads(entry.deployment);
    for (const w of plan.modify) {
      const before = removed.get(w.name)!;
      await this.#record(entry, w.name, ResultState.init);
      try {
        const manager = managerOf(this.#options.managers, w);
        const data = await manager.update!(this.#context(entry, false), before, w);
        await this.#record(entry, w.name, ResultState.ok, { data });
      } catch (error) {
        await this.#record(entry, w.name, ResultState.error, { message: errorMessage(error) });
      }
    }
    for (const w of plan.install) {
      // Added, or changed (its old self is deleted): a new life starting at init.
      const index = entry.typed.findIndex((t) => t.name === w.name);
      entry.typed[index] = { ...entry.typed[index]!, result: undefined };
      await this.#record(entry, w.name, ResultState.init);
    }
    await this.#installAll(entry, plan.install, false);
  }

  async #removeOne(entry: Entry, w: Typed): Promise<void> {
    if (w.result?.state === ResultState.deleted) return;
    try {
      await managerOf(this.#options.managers, w).remove(this.#context(entry, false), w);
    } catch (error) {
      this.#options.log.error('removal failed', { contract: entry.deployment.contract_id, workload: w.name, error });
    }
    const index = entry.typed.findIndex((t) => t.name === w.name);
    if (index >= 0) await this.#record(entry, w.name, ResultState.deleted);
  }

  /** Removes every workload (reverse install order) and forgets the deployment's file. */
  async teardown(contractId: number, reason: string): Promise<void> {
    const entry = this.#entries.get(contractId);
    if (entry === undefined || entry.deleted) return;
    this.#options.log.info('tearing down', { contract: contractId, reason });
    for (const w of installOrder(entry.typed).reverse()) await this.#removeOne(entry, w);
    entry.deleted = true;
    await this.#save(entry);
    this.#options.onChanged?.(contractId);
  }

  /** Loads the stored deployments and re-applies those not torn down (restore: data kept). */
  async restore(isLive: (contractId: number) => Promise<boolean>): Promise<void> {
    for (const stored of this.#options.store.loadAll()) {
      const entry: Entry = { deployment: stored.deployment, typed: checkWorkloads(stored.deployment), history: [...stored.history], deleted: false };
      this.#entries.set(stored.deployment.contract_id, entry);
      await this.serialize(stored.deployment.contract_id, async () => {
        if (!(await isLive(stored.deployment.contract_id))) return this.teardown(stored.deployment.contract_id, 'contract gone while the node was down');
        const again = installOrder(entry.typed).filter((w) => w.result?.state === ResultState.ok || w.result?.state === ResultState.init);
        await this.#installAll(entry, again, true);
      });
    }
  }

  /** Shutdown: stop what runs; deployments stay recorded for the next start. */
  async stop(): Promise<void> {
    for (const entry of this.active()) {
      await this.serialize(entry.deployment.contract_id, async () => {
        for (const w of installOrder(entry.typed).reverse()) {
          const manager = managerOf(this.#options.managers, w);
          if (manager.stop !== undefined && w.result?.state === ResultState.ok) await manager.stop(this.#context(entry, true), w).catch((error: unknown) => this.#options.log.warn('stop at shutdown failed', { contract: entry.deployment.contract_id, workload: w.name, error }));
        }
      });
    }
  }
}

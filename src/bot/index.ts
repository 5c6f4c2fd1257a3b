// Public face of src/bot: the 3Bot — grid.yaml, capacity search, planning, deploy/down, the
// desired state in BCDB and the self-healing reconciler. Other components import only this file.
export { BotError, type BotErrorCode } from './errors.ts';
export { parseYaml, type ParsedYaml } from './core/yaml.ts';
export { parseSpec, specSchema, type Spec, type DeploymentSpec, type ContainerSpec, type Placement } from './core/spec.ts';
export { rank, ruledOut, pickSpread, requirementOf, type Candidate, type Requirement, type Ranked, type Ranking } from './core/rank.ts';
export { planSpec, planReplicas, type Plan, type PlannedReplica } from './core/plan.ts';
export { monthlyCostTftUnits, formatTftUnits, monthMs } from './core/cost.ts';
export { buildWorkloads, subnetOf, containerIps } from './core/build.ts';
export { decideMoves, healDefaults, replicaKey, type HealSettings, type Move, type Observation, type Probe } from './core/heal.ts';
export { contractTag, parseContractTag, orphanContracts, type ContractTag, type ContractFact } from './core/orphans.ts';
export { parseRecord, deploymentsCollection, type DesiredRecord, type Replica, type BotEvent } from './core/state.ts';
export { BotSession, type SessionOptions } from './shell/session.ts';
export { DesiredStore, type StoreOptions, type DesiredState } from './shell/store.ts';
export { findCandidates, candidatesFromChain, candidatesFromExplorer } from './shell/capacity.ts';
export { planDeploy, deploySpec, deployWithRetries, down, status, logs, contracts, resolveFlists, type ReplicaStatus, type ContractRow } from './shell/ops.ts';
export { Reconciler, statefulWarning, orphanGraceMsDefault, type ReconcilerOptions, type MoveReport, type OrphanReport } from './shell/reconciler.ts';

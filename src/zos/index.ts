// Public face of src/zos: the Zero-OS node agent (deployment format, hashing, acceptance and the
// node) after threefoldtech/zos v3. Other components import only this file. Additive: append.
export { ZosError, type ZosErrorCode } from './errors.ts';
export { deploymentSchema, workloadSchema, resultSchema, WorkloadType, ResultState, workloadNameMaxChars, type Deployment, type DeploymentInput, type Workload, type Result, type WorkloadTypeName, type ResultStateName } from './core/deployment.ts';
export { deploymentHash, deploymentHashHex, deploymentHashDomain, hashedPart, signDeployment } from './core/hash.ts';
export { acceptDeployment, type AcceptanceFacts } from './core/accept.ts';
export { checkWorkloads, installOrder, deploymentCapacity, type Typed } from './core/workloads.ts';
export { planUpdate, type UpdatePlan } from './core/plan.ts';
export { systemReserve, shortfall, type CapacityView } from './core/capacity.ts';
export { resultString, type Change } from './core/results.ts';
export { startNode, ZosNode, zosVersion, type NodeOptions } from './shell/node.ts';
export { zosCommands, type ZosCommand } from './shell/api.ts';
export { missingSystem } from './shell/system.ts';
export { ZosClient } from './shell/client.ts';

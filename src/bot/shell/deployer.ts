// One replica onto one node, the smart contract for IT as DESIGN.md tells it: build the
// workloads, sign the deployment, create the node contract holding its hash (declaring the
// resources, naming the deployment in its data), send it to the node, and poll until every
// workload settled. Contract ids go into `created` as soon as they exist, so a caller that
// fails later can cancel them (roll back).
import { TfgridError, isTfgridError } from '../../base/index.ts';
import { deploymentHashHex, deploymentSchema, resultString, signDeployment, ZosError, type Deployment } from '../../zos/index.ts';
import { ChainError } from '../../chain/index.ts';
import { BotError } from '../errors.ts';
import { buildWorkloads, containerIps, publicIpWorkload } from '../core/build.ts';
import type { PlannedReplica } from '../core/plan.ts';
import { contractTag } from '../core/orphans.ts';
import { requirementOf } from '../core/rank.ts';
import type { DeploymentSpec } from '../core/spec.ts';
import type { Replica } from '../core/state.ts';
import type { BotSession } from './session.ts';

export interface ReplicaTarget {
  readonly name: string;
  readonly spec: DeploymentSpec;
  readonly ipRange: string;
  readonly subnet: string;
  readonly planned: PlannedReplica;
  /** Container name → flist URL or path (images resolved). */
  readonly flists: Record<string, string>;
}

export const settleTimeoutMsDefault = 120_000;
const pollMs = 50;

/** Codes with which a node refuses for reasons of its own (not the deployment's). */
const nodeRefusals = new Set<string>([ZosError.UNSUPPORTED, ZosError.OVER_CAPACITY, ZosError.NETWORK_CONFLICT, ZosError.NOT_READY]);

export async function deployReplica(session: BotSession, target: ReplicaTarget, created: number[], onProgress: (text: string) => void = () => {}, settleTimeoutMs = settleTimeoutMsDefault): Promise<Replica> {
  const { planned } = target;
  const label = `${target.name}[${planned.replica}] on node ${planned.nodeId}`;
  const unsigned = deploymentSchema.parse({
    version: 0, twin_id: session.twinId, contract_id: 0,
    // The time makes the hash unique, so a replica placed again on the same node gets a new contract.
    description: `${target.name}/${planned.replica} @${Date.now()}`,
    metadata: contractTag(target.name, planned.replica),
    signature_requirement: { requests: [{ twin_id: session.twinId, required: true, weight: 1 }], weight_required: 1 },
    workloads: buildWorkloads(target.spec, target),
  });
  const signed = signDeployment(unsigned, session.identity, session.twinId);
  const hash = deploymentHashHex(signed);
  const need = requirementOf(target.spec);
  await session.included(session.chain.createNodeContract({
    nodeId: planned.nodeId, deploymentHash: hash, resources: need.resources, publicIps: need.publicIps,
    deploymentData: contractTag(target.name, planned.replica),
  }, { wait: true }));
  const contract = await session.chain.contractByNodeHash(planned.nodeId, hash);
  if (contract === undefined) throw new TfgridError(BotError.DEPLOY_FAILED, `${label}: the contract was included but is not on the chain`);
  created.push(contract.id);
  onProgress(`${label}: contract ${contract.id} created`);
  const node = await session.node(planned.nodeTwin);
  try {
    await node.call('zos.deployment.deploy', { ...signed, contract_id: contract.id });
  } catch (error) {
    // Refusals about this node rather than the deployment: the caller may place it elsewhere.
    if (isTfgridError(error) && nodeRefusals.has(error.code)) {
      throw new TfgridError(BotError.NODE_REFUSED, `${label}: ${error.message}`, { cause: error, details: { nodeId: planned.nodeId, code: error.code } });
    }
    throw error;
  }
  onProgress(`${label}: deployment accepted`);
  const settled = await settle(session, planned.nodeTwin, contract.id, label, settleTimeoutMs, onProgress);
  const publicIps = publicIpsOf(target.spec, settled);
  return {
    index: planned.replica, nodeId: planned.nodeId, nodeTwin: planned.nodeTwin, farmId: planned.farmId, contractId: contract.id, subnet: target.subnet,
    ips: containerIps(target.spec, target.subnet), ...(Object.keys(publicIps).length === 0 ? {} : { publicIps }), sinceMs: Date.now(),
  };
}

/** Container name → the public address its `ip` workload got (without the prefix length). */
function publicIpsOf(spec: DeploymentSpec, deployment: Deployment): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, c] of Object.entries(spec.containers)) {
    const ip = c.public_ip ? resultString(deployment.workloads.find((w) => w.name === publicIpWorkload(name)), 'ip') : undefined;
    if (ip !== undefined) found[name] = ip.split('/')[0]!;
  }
  return found;
}

/** Polls until no workload is at init: BOT_DEPLOY_FAILED naming the workloads in error. */
async function settle(session: BotSession, nodeTwin: number, contractId: number, label: string, timeoutMs: number, onProgress: (text: string) => void): Promise<Deployment> {
  const node = await session.node(nodeTwin, 5_000);
  const deadline = Date.now() + timeoutMs;
  let reported = '';
  for (;;) {
    const d = await node.call<Deployment>('zos.deployment.get', { contract_id: contractId });
    const states = d.workloads.map((w) => `${w.name}:${w.result?.state ?? 'init'}`).join(' ');
    if (states !== reported) onProgress(`${label}: ${(reported = states)}`);
    const errors = d.workloads.filter((w) => w.result?.state === 'error');
    if (errors.length > 0) throw new TfgridError(BotError.DEPLOY_FAILED, `${label}: ${errors.map((w) => `${w.name}: ${w.result?.message ?? ''}`).join('; ')}`);
    if (d.workloads.every((w) => w.result !== undefined && w.result.state === 'ok')) return d;
    if (Date.now() > deadline) throw new TfgridError(BotError.DEPLOY_FAILED, `${label}: not settled after ${timeoutMs} ms (${states})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Cancels contracts; those already gone are fine. Returns the ones that could not be cancelled. */
export async function cancelContracts(session: BotSession, ids: readonly number[]): Promise<Array<{ id: number; error: string }>> {
  const failed: Array<{ id: number; error: string }> = [];
  for (const id of ids) {
    try {
      if ((await session.chain.contract(id)) === undefined) continue;
      await session.included(session.chain.cancelContract(id, { wait: true }));
    } catch (error) {
      // Gone between the lookup and the cancel (the chain deletes a cancelled contract).
      if (isTfgridError(error, BotError.CHAIN_REFUSED) && error.details?.['code'] === ChainError.UNKNOWN_CONTRACT) continue;
      failed.push({ id, error: (error as Error).message });
    }
  }
  return failed;
}

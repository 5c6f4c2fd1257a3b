// Acceptance of a deployment (pure): the facts the node gathered from the chain and from its own
// books go in; the typed workloads come out, or the first problem as a coded error. Nothing is
// installed before this passes.
import { TfgridError } from '../../base/index.ts';
import type { ContractView } from '../../chain/index.ts';
import { ZosError } from '../errors.ts';
import { addResources, shortfall, type CapacityView } from './capacity.ts';
import type { Deployment } from './deployment.ts';
import { verifyDeploymentSignature } from './hash.ts';
import { overlaps, parseCidr } from './ipv4.ts';
import type { StorageUnit } from './types/kind.ts';
import { checkWorkloads, coresPerWorkloadMax, deploymentCapacity, type Typed } from './workloads.ts';

export interface AcceptanceFacts {
  readonly nodeId: number;
  readonly hash: Uint8Array;
  readonly hashHex: string;
  /** The chain's contract with the deployment's contract_id. */
  readonly contract: ContractView | undefined;
  /** Ed25519 public keys (hex) of the twins in the signature requests (absent: unknown twin). */
  readonly twinKeys: ReadonlyMap<number, string>;
  readonly capacity: CapacityView;
  readonly storage: StorageUnit;
  /** Subnets of the networks of other deployments on this node (host routes must not clash). */
  readonly subnetsInUse: readonly string[];
  readonly nowSec: number;
  /** For an update: the capacity the deployment holds now, which it gives back. */
  readonly heldNow?: CapacityView['used'];
}

export function acceptDeployment(deployment: Deployment, facts: AcceptanceFacts): Typed[] {
  const typed = checkWorkloads(deployment);
  checkContract(deployment, facts);
  checkSignatures(deployment, facts);
  if (deployment.expiration !== 0 && deployment.expiration <= facts.nowSec) throw new TfgridError(ZosError.INVALID, `the deployment expired at ${deployment.expiration}`);
  checkSubnets(typed, facts.subnetsInUse);
  const request = deploymentCapacity(typed, facts.storage);
  const held = facts.heldNow;
  const view = held === undefined ? facts.capacity : { ...facts.capacity, used: addResources(facts.capacity.used, { cru: -held.cru, mru: -held.mru, sru: -held.sru, hru: -held.hru }) };
  const missing = shortfall(view, request, coresPerWorkloadMax(typed));
  if (missing !== undefined) throw new TfgridError(ZosError.OVER_CAPACITY, `not enough free capacity on node ${facts.nodeId}: ${missing}`);
  return typed;
}

function checkContract(deployment: Deployment, facts: AcceptanceFacts): void {
  const contract = facts.contract;
  if (contract === undefined) throw new TfgridError(ZosError.CONTRACT_NOT_FOUND, `no contract ${deployment.contract_id} on the chain`);
  if (contract.kind !== 'node' || contract.nodeId !== facts.nodeId) throw new TfgridError(ZosError.CONTRACT_MISMATCH, `contract ${contract.id} is not a node contract for node ${facts.nodeId}`);
  if (contract.twinId !== deployment.twin_id) throw new TfgridError(ZosError.CONTRACT_MISMATCH, `contract ${contract.id} belongs to twin ${contract.twinId}, the deployment to twin ${deployment.twin_id}`);
  if (contract.state !== 'Created') throw new TfgridError(ZosError.CONTRACT_NOT_CREATED, `contract ${contract.id} is in state ${contract.state}`);
  if (contract.deploymentHash !== facts.hashHex) throw new TfgridError(ZosError.HASH_MISMATCH, `the deployment hashes to ${facts.hashHex}, contract ${contract.id} holds ${contract.deploymentHash}`);
  const ips = deployment.workloads.filter((w) => w.type === 'ip').length;
  if (ips > contract.publicIps) throw new TfgridError(ZosError.CONTRACT_MISMATCH, `the deployment has ${ips} public IP workload(s), contract ${contract.id} reserved ${contract.publicIps}`);
}

/**
 * zos's rule: every signature must be by a requested twin and verify; the weights of the valid
 * ones reach `weight_required`; every `required` twin signed. We add: the contract's twin (the
 * deployment's owner) is one of the signers, so nobody else can put workloads on its contract.
 */
function checkSignatures(deployment: Deployment, facts: AcceptanceFacts): void {
  const requirement = deployment.signature_requirement;
  const requests = new Map(requirement.requests.map((r) => [r.twin_id, r]));
  const signed = new Set<number>();
  let weight = 0;
  for (const s of requirement.signatures) {
    const request = requests.get(s.twin_id);
    if (request === undefined) throw new TfgridError(ZosError.BAD_SIGNATURE, `twin ${s.twin_id} signed but is not in the signature requests`);
    const key = facts.twinKeys.get(s.twin_id);
    if (key === undefined || !verifyDeploymentSignature(facts.hash, s.signature, key)) throw new TfgridError(ZosError.BAD_SIGNATURE, `twin ${s.twin_id}'s signature does not verify against the deployment's hash`);
    if (signed.has(s.twin_id)) continue;
    signed.add(s.twin_id);
    weight += request.weight;
  }
  if (!signed.has(deployment.twin_id)) throw new TfgridError(ZosError.BAD_SIGNATURE, `the deployment is not signed by its twin ${deployment.twin_id}`);
  for (const r of requirement.requests) if (r.required && !signed.has(r.twin_id)) throw new TfgridError(ZosError.BAD_SIGNATURE, `required signer twin ${r.twin_id} did not sign`);
  if (weight < requirement.weight_required) throw new TfgridError(ZosError.BAD_SIGNATURE, `signatures weigh ${weight}, ${requirement.weight_required} required`);
}

function checkSubnets(typed: readonly Typed[], inUse: readonly string[]): void {
  const mine: string[] = [];
  for (const w of typed) {
    if (w.type !== 'network') continue;
    const subnet = parseCidr(w.data.subnet)!;
    const clash = [...inUse, ...mine].find((other) => overlaps(subnet, parseCidr(other)!));
    if (clash !== undefined) throw new TfgridError(ZosError.NETWORK_CONFLICT, `network ${w.name}: subnet ${w.data.subnet} overlaps ${clash}, already on this node`);
    mine.push(w.data.subnet);
  }
}

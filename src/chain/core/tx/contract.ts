// contract.node.create / contract.node.update / contract.name.create / contract.rent.create /
// contract.cancel: the smart contract for IT. Rules (pallet-smart-contract): (node, deployment
// hash) is unique; deployment data ≤ 512 bytes; public IPs are reserved from the node's farm;
// on a rented node only the renter deploys; a node is rented by one twin and only while no
// other twin has contracts on it; names are unique. Every contract is billed from creation.
import { z } from 'zod';
import { ChainError } from '../../errors.ts';
import { DeleteReason, ContractKind, ContractState, type Contract, type ContractCommon, type NodeContract } from '../entities.ts';
import { deleteContract, settleContract, sortedIds } from '../billing/lifecycle.ts';
import type { ChainState } from '../state/state.ts';
import { defineTx, refuse, requireContract, requireFarm, requireNode, signerTwin, type TxContext } from './context.ts';
import { contractName, hex, id, resources, text } from './fields.ts';

export const deploymentDataBytesMax = 512;
export const contractPublicIpsMax = 16;

const deploymentHash = hex(64);
const deploymentData = text(deploymentDataBytesMax).refine((value) => Buffer.byteLength(value, 'utf8') <= deploymentDataBytesMax, `at most ${deploymentDataBytesMax} bytes`);
const zeroResources = { cru: 0, mru: 0, sru: 0, hru: 0 };

function common(context: TxContext, twinId: number): ContractCommon {
  const { state } = context;
  return {
    id: state.takeId('nextContractId'),
    twinId,
    state: ContractState.created,
    createdMs: context.nowMs,
    lastBilledMs: context.nowMs,
    nextBillMs: context.nowMs + state.getParams().billingPeriodMs,
    graceStartMs: 0,
    debt: 0n,
  };
}

/** A node contract may go on a node not rented, or rented by the same twin. */
function checkDeployable(state: ChainState, nodeId: number, twinId: number): void {
  const rentId = state.rentByNode.get(nodeId);
  if (rentId === undefined) return;
  const renter = state.contracts.get(rentId)!.twinId;
  if (renter !== twinId) refuse(ChainError.NODE_RENTED, `node ${nodeId} is rented by twin ${renter}`);
}

function checkHash(state: ChainState, nodeId: number, hash: string): void {
  const holder = state.contractByNodeHash.get(`${nodeId}/${hash}`);
  if (holder !== undefined) refuse(ChainError.DUPLICATE_DEPLOYMENT, `node ${nodeId} already has deployment ${hash} (contract ${holder})`);
}

function reserveIps(state: ChainState, farmId: number, contractId: number, wanted: number): string[] {
  if (wanted === 0) return [];
  const farm = requireFarm(state, farmId);
  const free = farm.publicIps.filter((ip) => ip.contractId === 0);
  if (free.length < wanted) refuse(ChainError.NO_FREE_IP, `farm ${farmId} has ${free.length} free public IPs, ${wanted} asked`);
  const taken = new Set(free.slice(0, wanted).map((ip) => ip.ip));
  state.farms.set(farm.id, { ...farm, publicIps: farm.publicIps.map((ip) => (taken.has(ip.ip) ? { ...ip, contractId } : ip)) });
  return [...taken];
}

export const nodeContractCreate = defineTx(
  'contract.node.create',
  z.strictObject({ nodeId: id, deploymentHash, deploymentData: deploymentData.default(''), publicIps: z.number().int().min(0).max(contractPublicIpsMax).default(0), resources: resources.default(zeroResources) }),
  (context, payload) => {
    const { state } = context;
    const twin = signerTwin(context);
    const node = requireNode(state, payload.nodeId);
    checkDeployable(state, node.id, twin.id);
    checkHash(state, node.id, payload.deploymentHash);
    const base = common(context, twin.id);
    const publicIpList = reserveIps(state, node.farmId, base.id, payload.publicIps);
    const contract: NodeContract = { ...base, kind: ContractKind.node, nodeId: node.id, deploymentHash: payload.deploymentHash, deploymentData: payload.deploymentData, publicIps: payload.publicIps, publicIpList, resources: payload.resources };
    state.contracts.set(contract.id, contract);
    context.emit({ type: 'ContractCreated', contractId: contract.id, kind: contract.kind, twinId: twin.id, nodeId: node.id, deploymentHash: contract.deploymentHash, publicIps: publicIpList });
  },
);

export const nodeContractUpdate = defineTx(
  'contract.node.update',
  z.strictObject({ contractId: id, deploymentHash, deploymentData: deploymentData.optional(), resources: resources.optional() }),
  (context, payload) => {
    const { state } = context;
    const contract = ownedContract(context, payload.contractId);
    if (contract.kind !== ContractKind.node) refuse(ChainError.INVALID_CONTRACT_STATE, `contract ${contract.id} is a ${contract.kind} contract`);
    if (contract.state !== ContractState.created) refuse(ChainError.INVALID_CONTRACT_STATE, `contract ${contract.id} is in ${contract.state}`);
    if (payload.deploymentHash !== contract.deploymentHash) checkHash(state, contract.nodeId, payload.deploymentHash);
    const next: NodeContract = { ...contract, deploymentHash: payload.deploymentHash, deploymentData: payload.deploymentData ?? contract.deploymentData, resources: payload.resources ?? contract.resources };
    state.contracts.set(contract.id, next);
    context.emit({ type: 'ContractUpdated', contractId: contract.id, twinId: contract.twinId, nodeId: contract.nodeId, deploymentHash: next.deploymentHash });
  },
);

export const nameContractCreate = defineTx('contract.name.create', z.strictObject({ name: contractName }), (context, payload) => {
  const { state } = context;
  const twin = signerTwin(context);
  const holder = state.contractByName.get(payload.name);
  if (holder !== undefined) refuse(ChainError.DUPLICATE_NAME, `name ${payload.name} is held by contract ${holder}`);
  const contract: Contract = { ...common(context, twin.id), kind: ContractKind.name, name: payload.name };
  state.contracts.set(contract.id, contract);
  context.emit({ type: 'ContractCreated', contractId: contract.id, kind: contract.kind, twinId: twin.id, name: payload.name });
});

export const rentContractCreate = defineTx('contract.rent.create', z.strictObject({ nodeId: id }), (context, payload) => {
  const { state } = context;
  const twin = signerTwin(context);
  const node = requireNode(state, payload.nodeId);
  const rentId = state.rentByNode.get(node.id);
  if (rentId !== undefined) refuse(ChainError.NODE_RENTED, `node ${node.id} is rented (contract ${rentId})`);
  // In id order: the message names the first, and messages are part of the block's results.
  for (const contractId of sortedIds(state.contractsByNode.get(node.id))) {
    const other = state.contracts.get(contractId)!;
    if (other.twinId !== twin.id) refuse(ChainError.NODE_HAS_CONTRACTS, `node ${node.id} has contract ${contractId} of twin ${other.twinId}`);
  }
  const contract: Contract = { ...common(context, twin.id), kind: ContractKind.rent, nodeId: node.id };
  state.contracts.set(contract.id, contract);
  context.emit({ type: 'ContractCreated', contractId: contract.id, kind: contract.kind, twinId: twin.id, nodeId: node.id });
});

function ownedContract(context: TxContext, contractId: number): Contract {
  const contract = requireContract(context.state, contractId);
  const twin = signerTwin(context);
  if (contract.twinId !== twin.id) refuse(ChainError.NOT_OWNER, `contract ${contractId} belongs to twin ${contract.twinId}, not ${twin.id}`);
  return contract;
}

/** Any kind; billed up to now, then deleted. A rent contract goes only once its node is empty. */
export const contractCancel = defineTx('contract.cancel', z.strictObject({ contractId: id }), (context, payload) => {
  const { state } = context;
  const contract = ownedContract(context, payload.contractId);
  if (contract.kind === ContractKind.rent && (state.contractsByNode.get(contract.nodeId)?.size ?? 0) > 0) {
    refuse(ChainError.NODE_HAS_CONTRACTS, `node ${contract.nodeId} still has node contracts: cancel them first`);
  }
  settleContract(state, contract, context.nowMs, context.emit);
  deleteContract(state, contract, DeleteReason.canceledByUser, context.emit);
});

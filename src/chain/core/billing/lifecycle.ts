// A contract's life after creation: billed every period from its last bill, into the grace
// period when its twin cannot pay, back to Created when it can (debt paid), deleted when the
// grace period runs out or the owner cancels. Rules follow pallet-smart-contract billing.rs:
// the farmer of the node is paid (name contracts pay the treasury); a rented node's renter pays
// for the node and the node contracts on it pay only their public IPs.
import { assert } from '../../../base/index.ts';
import type { Contract, DeleteReasonName, NodeContract, PricingPolicy } from '../entities.ts';
import { ContractKind, ContractState, DeleteReason, Power } from '../entities.ts';
import type { Address, ChainEvent } from '../seam.ts';
import type { ChainState } from '../state/state.ts';
import { credit } from '../tx/context.ts';
import { nameCostUsdUnits, rentCostUsdUnits, resourcesCostUsdUnits, usdToTftUnits } from './cost.ts';

export type Emit = (event: ChainEvent) => void;

/**
 * Per-bill lookups that depend only on the contract's node (its farm's policy and farmer), cached
 * for the span of one block's billing: nothing billing does changes a farm's policy or owner.
 */
export type BillingCache = Map<number, { readonly policy: PricingPolicy; readonly payee: Address }>;

function nodeTerms(state: ChainState, contract: Contract, cache: BillingCache | undefined): { readonly policy: PricingPolicy; readonly payee: Address } {
  if (cache === undefined || contract.kind === ContractKind.name) return { policy: policyOf(state, contract), payee: payeeOf(state, contract) };
  let terms = cache.get(contract.nodeId);
  if (terms === undefined) cache.set(contract.nodeId, (terms = { policy: policyOf(state, contract), payee: payeeOf(state, contract) }));
  return terms;
}

function policyOf(state: ChainState, contract: Contract): PricingPolicy {
  const params = state.getParams();
  let policyId = params.defaultPricingPolicyId;
  if (contract.kind !== ContractKind.name) {
    const node = state.nodes.get(contract.nodeId);
    const farm = node === undefined ? undefined : state.farms.get(node.farmId);
    if (farm !== undefined && state.pricing.has(farm.pricingPolicyId)) policyId = farm.pricingPolicyId;
  }
  const policy = state.pricing.get(policyId);
  assert(policy !== undefined, 'the default pricing policy exists');
  return policy;
}

/** Who is paid for a contract: the farmer's account, or the treasury for names. */
function payeeOf(state: ChainState, contract: Contract): Address {
  if (contract.kind !== ContractKind.name) {
    const node = state.nodes.get(contract.nodeId);
    const farm = node === undefined ? undefined : state.farms.get(node.farmId);
    const farmer = farm === undefined ? undefined : state.twins.get(farm.twinId);
    if (farmer !== undefined) return farmer.account;
  }
  return state.getParams().treasury;
}

/** TFT units due for the time since the contract's last bill, up to `nowMs`. */
export function amountDue(state: ChainState, contract: Contract, nowMs: number, policy = policyOf(state, contract)): bigint {
  const elapsedMs = nowMs - contract.lastBilledMs;
  let usd: number;
  if (contract.kind === ContractKind.name) {
    usd = nameCostUsdUnits(elapsedMs, policy);
  } else if (contract.kind === ContractKind.rent) {
    const node = state.nodes.get(contract.nodeId);
    // tfchain bills a rented node only while it is powered up (a farmerbot may power it down).
    usd = node === undefined || node.powerState === Power.down ? 0 : rentCostUsdUnits(node.resources, elapsedMs, policy);
  } else {
    const rented = state.rentByNode.has(contract.nodeId);
    usd = resourcesCostUsdUnits(contract.resources, contract.publicIps, elapsedMs, policy, !rented);
  }
  return usdToTftUnits(usd, state.getParams().tftPriceUsdUnits);
}

function nodeIdOf(contract: Contract): number | undefined {
  return contract.kind === ContractKind.name ? undefined : contract.nodeId;
}

/** Removes a contract: frees its public IPs, emits ContractDeleted; a rent takes its node contracts. */
export function deleteContract(state: ChainState, contract: Contract, reason: DeleteReasonName, emit: Emit): void {
  if (contract.kind === ContractKind.rent) {
    for (const id of sortedIds(state.contractsByNode.get(contract.nodeId))) {
      const nodeContract = state.contracts.get(id);
      if (nodeContract !== undefined) deleteContract(state, nodeContract, reason === DeleteReason.canceledByUser ? DeleteReason.nodeRentEnded : reason, emit);
    }
  }
  if (contract.kind === ContractKind.node && contract.publicIps > 0) releaseIps(state, contract);
  state.contracts.delete(contract.id);
  emit({ type: 'ContractDeleted', contractId: contract.id, twinId: contract.twinId, kind: contract.kind, nodeId: nodeIdOf(contract), reason });
}

function releaseIps(state: ChainState, contract: NodeContract): void {
  const node = state.nodes.get(contract.nodeId);
  const farm = node === undefined ? undefined : state.farms.get(node.farmId);
  if (farm === undefined) return;
  state.farms.set(farm.id, { ...farm, publicIps: farm.publicIps.map((ip) => (ip.contractId === contract.id ? { ...ip, contractId: 0 } : ip)) });
}

export function sortedIds(ids: ReadonlySet<number> | undefined): number[] {
  return ids === undefined ? [] : [...ids].sort((a, b) => a - b);
}

/** Is this node contract held in grace by its node's rent contract? */
function heldByRent(state: ChainState, contract: Contract): boolean {
  if (contract.kind !== ContractKind.node) return false;
  const rentId = state.rentByNode.get(contract.nodeId);
  return rentId !== undefined && state.contracts.get(rentId)?.state === ContractState.gracePeriod;
}

function setGrace(state: ChainState, contract: Contract, nowMs: number, debt: bigint, emit: Emit): Contract {
  const next = { ...contract, state: ContractState.gracePeriod, graceStartMs: nowMs, debt };
  state.contracts.set(contract.id, next);
  emit({ type: 'ContractGracePeriodStarted', contractId: contract.id, twinId: contract.twinId, nodeId: nodeIdOf(contract), debt: debt.toString() });
  return next;
}

function setCreated(state: ChainState, contract: Contract, emit: Emit): Contract {
  const next = { ...contract, state: ContractState.created, graceStartMs: 0, debt: 0n };
  state.contracts.set(contract.id, next);
  emit({ type: 'ContractGracePeriodEnded', contractId: contract.id, twinId: contract.twinId, nodeId: nodeIdOf(contract) });
  return next;
}

/** A rent contract's grace state spreads to the node contracts on its node. */
function spreadRentState(state: ChainState, rent: Contract, nowMs: number, emit: Emit): void {
  if (rent.kind !== ContractKind.rent) return;
  for (const id of sortedIds(state.contractsByNode.get(rent.nodeId))) {
    const contract = state.contracts.get(id)!;
    if (rent.state === ContractState.gracePeriod && contract.state === ContractState.created) setGrace(state, contract, nowMs, contract.debt, emit);
    else if (rent.state === ContractState.created && contract.state === ContractState.gracePeriod && contract.debt === 0n) setCreated(state, contract, emit);
  }
}

/**
 * Bills one contract for (lastBilledMs, nowMs] and moves it through its states. Per-block work
 * only (billDueContracts): it changes entities in place, which a transaction's journal could not
 * undo (a cancellation's final bill is settleContract).
 */
export function billContract(state: ChainState, contract: Contract, nowMs: number, emit: Emit, cache?: BillingCache): void {
  const params = state.getParams();
  const terms = nodeTerms(state, contract, cache);
  const due = amountDue(state, contract, nowMs, terms.policy);
  const total = contract.debt + due;
  const twin = state.twins.get(contract.twinId);
  const payer = twin === undefined ? undefined : state.accounts.get(twin.account);
  const balance = payer?.balance ?? 0n;
  const nextBillMs = nowMs + params.billingPeriodMs;
  if (balance >= total && !heldByRent(state, contract)) {
    if (total > 0n) {
      emit({ type: 'ContractBilled', contractId: contract.id, twinId: contract.twinId, amount: total.toString(), periodMs: nowMs - contract.lastBilledMs });
      // The common case, a million times per cycle: change the accounts and the contract in
      // place (Table.mutate) rather than copying them; only scalar fields, no index keys.
      state.accounts.mutate(payer!.address, (account) => void (account.balance -= total));
      if (state.accounts.has(terms.payee)) state.accounts.mutate(terms.payee, (account) => void (account.balance += total));
      else credit(state, terms.payee, total);
    }
    if (contract.state === ContractState.gracePeriod) {
      const restored = setCreated(state, { ...contract, lastBilledMs: nowMs, nextBillMs }, emit);
      spreadRentState(state, restored, nowMs, emit);
    } else {
      rebill(state, contract.id, nowMs, nextBillMs, 0n);
    }
  } else if (contract.state === ContractState.created) {
    const grace = setGrace(state, { ...contract, lastBilledMs: nowMs, nextBillMs }, nowMs, total, emit);
    spreadRentState(state, grace, nowMs, emit);
  } else if (nowMs - contract.graceStartMs >= params.gracePeriodMs) {
    deleteContract(state, contract, DeleteReason.outOfFunds, emit);
  } else {
    rebill(state, contract.id, nowMs, nextBillMs, total);
  }
}

/** A bill that leaves the contract in its state: new bill times and debt, in place, re-queued. */
function rebill(state: ChainState, id: number, nowMs: number, nextBillMs: number, debt: bigint): void {
  state.contracts.mutate(id, (contract) => {
    contract.lastBilledMs = nowMs;
    contract.nextBillMs = nextBillMs;
    contract.debt = debt;
  });
  // mutate skips the index hooks: queue the next bill as the contracts hook would have.
  state.billingQueue.push(nextBillMs, id);
}

/** The final bill at cancellation: charges what the balance allows (the rest is forgiven). */
export function settleContract(state: ChainState, contract: Contract, nowMs: number, emit: Emit): void {
  const total = contract.debt + amountDue(state, contract, nowMs);
  const twin = state.twins.get(contract.twinId);
  const payer = twin === undefined ? undefined : state.accounts.get(twin.account);
  if (payer === undefined || total === 0n) return;
  const paid = payer.balance < total ? payer.balance : total;
  if (paid === 0n) return;
  state.accounts.set(payer.address, { ...payer, balance: payer.balance - paid });
  credit(state, payeeOf(state, contract), paid);
  emit({ type: 'ContractBilled', contractId: contract.id, twinId: contract.twinId, amount: paid.toString(), periodMs: nowMs - contract.lastBilledMs });
}

/**
 * Bills per block at most: a block's events are bounded (a million contracts falling due at once
 * would make a block of ~100 MB, over the log's record limit). The rest stay due and are billed
 * by the next blocks, in id order — the same on every replica.
 */
export const billsPerBlockMax = 50_000;

/** Per-block work: bills the contracts whose next bill is due at `nowMs`, in id order, up to `billsMax`. */
export function billDueContracts(state: ChainState, nowMs: number, emit: Emit, billsMax = billsPerBlockMax): number {
  const popped = state.billingQueue.popUpTo(nowMs);
  if (popped.length === 0) return 0;
  // A typed array sorts numbers natively; duplicates (stale queue entries) end up adjacent.
  const ids = Float64Array.from(popped).sort();
  const cache: BillingCache = new Map();
  let billed = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (i > 0 && ids[i - 1] === id) continue;
    // An earlier bill in this block may have deleted it (a rent taking its node contracts).
    const contract = state.contracts.get(id);
    if (contract === undefined) continue;
    if (contract.nextBillMs > nowMs || billed >= billsMax) {
      state.billingQueue.push(contract.nextBillMs, id);
      continue;
    }
    billContract(state, contract, nowMs, emit, cache);
    billed++;
  }
  return billed;
}

// Contracts nobody holds. A deploy (or a move) creates a contract, sends the deployment, and only
// then records the replica in the desired state; a process killed in between leaves a contract
// that bills and that no record names. The bot tags every contract it makes (its data names the
// deployment and replica), so such leftovers can be found: tagged, live, held by no record, and
// older than a grace long enough for any deploy still in progress to record its contracts.
import type { DesiredRecord } from './state.ts';

export interface ContractTag {
  readonly bot: string;
  readonly replica: number;
}

/** The contract data the bot writes: `{"bot":"<deployment>","replica":<n>}`. */
export function contractTag(name: string, replica: number): string {
  return JSON.stringify({ bot: name, replica } satisfies ContractTag);
}

export function parseContractTag(data: string): ContractTag | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const { bot, replica } = value as Record<string, unknown>;
    return typeof bot === 'string' && typeof replica === 'number' ? { bot, replica } : undefined;
  } catch {
    return undefined;
  }
}

export interface ContractFact {
  readonly id: number;
  readonly kind: string;
  readonly createdMs: number;
  readonly deploymentData?: string | undefined;
}

/** Ids of tagged node contracts that no record (active or down) holds and that are older than `graceMs`. */
export function orphanContracts(contracts: readonly ContractFact[], records: readonly DesiredRecord[], nowMs: number, graceMs: number): number[] {
  const held = new Set(records.flatMap((r) => r.replicas.map((replica) => replica.contractId)));
  return contracts
    .filter((c) => c.kind === 'node' && !held.has(c.id) && parseContractTag(c.deploymentData ?? '') !== undefined && nowMs - c.createdMs >= graceMs)
    .map((c) => c.id);
}

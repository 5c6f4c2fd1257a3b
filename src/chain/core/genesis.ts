// The genesis file: the chain's parameters, its pricing policies and the accounts funded before
// the first block (the devnet's faucet). `genesisState` turns it into the state at height 0.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import { digestOf, toHex } from '../../crypto/index.ts';
import { ChainError } from '../errors.ts';
import type { Params, PricingPolicy } from './entities.ts';
import { ChainState } from './state/state.ts';
import { address, balance, id, paramsFields, pricingPolicyFields, text } from './tx/fields.ts';

export const genesisSchema = z.strictObject({
  version: z.literal(1),
  chainId: text(64, 1),
  /**
   * The sequencer's Ed25519 public key: the only key whose blocks this chain accepts (the log on
   * open, replays, clients). Pinned here so that block 1's previousHash (the genesis hash) binds it.
   */
  sequencer: address,
  /** Time of the state at height 0; the first block's timestamp must not be earlier. */
  timestampMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  params: z.strictObject(paramsFields),
  pricingPolicies: z.array(z.strictObject({ id, ...pricingPolicyFields })).min(1).max(64),
  accounts: z.array(z.strictObject({ address, balance })).max(1_000_000),
});

export type Genesis = z.input<typeof genesisSchema>;

export const genesisDomain = 'tfgrid/chain/genesis/v1';

/**
 * previousHash of block 1: hex digestOf(genesisDomain, the genesis document as written, i.e.
 * its canonical JSON). A log or a block made for another genesis (another sequencer key, another
 * faucet) fails at its first block.
 */
export function genesisHash(genesis: Genesis): string {
  return toHex(digestOf(genesisDomain, genesis));
}

/** Production defaults from tfchain: bill hourly, 14 days of grace, uptime every 40 min. */
export const productionParams = {
  billingPeriodMs: 3_600_000,
  gracePeriodMs: 14 * 24 * 3_600_000,
  uptimeIntervalMs: 40 * 60_000,
} as const;

/** Devnet defaults: the same life cycle in seconds. */
export const devnetParams = {
  billingPeriodMs: 10_000,
  gracePeriodMs: 60_000,
  uptimeIntervalMs: 5_000,
} as const;

/** Prices of tfchain's default policy (USD units per hour; 10^7 = 1 USD). */
export const defaultPricingPolicy: PricingPolicy = {
  id: 1,
  name: 'default',
  cuUsdUnitsPerHour: 100_000, // 0.01 USD per CU-hour
  suUsdUnitsPerHour: 50_000,
  ipuUsdUnitsPerHour: 40_000,
  uniqueNameUsdUnitsPerHour: 2_500,
  dedicatedDiscountPercent: 50,
};

export function parseGenesis(value: unknown): z.output<typeof genesisSchema> {
  const parsed = genesisSchema.safeParse(value);
  if (!parsed.success) throw new TfgridError(ChainError.INVALID_GENESIS, z.prettifyError(parsed.error));
  const genesis = parsed.data;
  const policyIds = new Set(genesis.pricingPolicies.map((p) => p.id));
  if (policyIds.size !== genesis.pricingPolicies.length) throw new TfgridError(ChainError.INVALID_GENESIS, 'pricing policy ids repeat');
  if (!policyIds.has(genesis.params.defaultPricingPolicyId)) throw new TfgridError(ChainError.INVALID_GENESIS, `default pricing policy ${genesis.params.defaultPricingPolicyId} is not defined`);
  if (new Set(genesis.accounts.map((a) => a.address)).size !== genesis.accounts.length) throw new TfgridError(ChainError.INVALID_GENESIS, 'an account is funded twice');
  return genesis;
}

/** The state at height 0. Throws CHAIN_INVALID_GENESIS when the file does not match its schema. */
export function genesisState(value: unknown): ChainState {
  const genesis = parseGenesis(value);
  const state = new ChainState(genesis.timestampMs);
  state.meta.set('meta', { chainId: genesis.chainId, height: 0, timestampMs: genesis.timestampMs, nextTwinId: 1, nextFarmId: 1, nextNodeId: 1, nextContractId: 1 });
  const params: Params = { ...genesis.params };
  state.params.set('params', params);
  for (const policy of genesis.pricingPolicies) state.pricing.set(policy.id, { ...policy });
  for (const account of genesis.accounts) state.accounts.set(account.address, { address: account.address, balance: account.balance, nonce: 0 });
  return state;
}

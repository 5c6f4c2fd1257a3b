// Resource accounting of a node, as grid-proxy does it: used = the resources of the node's live
// node contracts (as declared, then as the node reports them); free = total − used − what Zero-OS
// keeps for itself in memory, max(total/10, 2 GiB) (grid-proxy's setup.sql). A rent contract does
// not use resources by itself: its renter's node contracts do.
import { rentCostUsdUnits, usdUnits, type PricingPolicy, type Resources } from '../../chain/index.ts';

export const zosReservedMruBytesMin = 2 * 2 ** 30;
const monthMs = 30 * 24 * 3_600_000;

export const noResources: Resources = { cru: 0, mru: 0, sru: 0, hru: 0 };

export function zosReservedMru(totalMru: number): number {
  return Math.max(Math.floor(totalMru / 10), zosReservedMruBytesMin);
}

/** Free resources; negative when contracts declared more than the node has (shown, not clamped). */
export function freeResources(total: Resources, used: Resources): Resources {
  return { cru: total.cru - used.cru, mru: total.mru - used.mru - zosReservedMru(total.mru), sru: total.sru - used.sru, hru: total.hru - used.hru };
}

export function addResources(a: Resources, b: Resources, sign: 1 | -1 = 1): Resources {
  return { cru: a.cru + sign * b.cru, mru: a.mru + sign * b.mru, sru: a.sru + sign * b.sru, hru: a.hru + sign * b.hru };
}

/** What renting the whole node costs per 30 days, in USD (the farm's policy, less the dedicated discount). */
export function monthlyPriceUsd(total: Resources, policy: PricingPolicy | undefined): number {
  if (policy === undefined) return 0;
  return rentCostUsdUnits(total, monthMs, policy) / usdUnits;
}

/** The SQL for free resources over the nodes table's total_* and used_* columns (see
 *  freeResources): the index stores them as the generated columns free_cru … free_hru. */
export const freeSql = {
  cru: 'total_cru - used_cru',
  mru: `total_mru - used_mru - max(total_mru / 10, ${zosReservedMruBytesMin})`,
  sru: 'total_sru - used_sru',
  hru: 'total_hru - used_hru',
} as const;

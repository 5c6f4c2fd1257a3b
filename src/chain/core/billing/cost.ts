// tfchain's pricing arithmetic (pallet-smart-contract cost.rs), as pure functions. Memory and
// disk count in GB of 2^30 bytes. Costs are computed in IEEE-754 doubles: +, −, ×, ÷, min, max
// and round are exactly specified, so every replica gets the same bits; the result is rounded
// to whole units once per bill, as tfchain rounds its fixed-point total.
import type { PricingPolicy, Resources } from '../entities.ts';
import { tftUnits } from '../entities.ts';

const bytesPerGb = 2 ** 30;
const msPerHour = 3_600_000;

/** Compute units: the tightest of three (memory, cores) bundles. */
export function computeUnits(cru: number, mruGb: number): number {
  const cu1 = Math.max(mruGb / 4, cru / 2);
  const cu2 = Math.max(mruGb / 8, cru);
  const cu3 = Math.max(mruGb / 2, cru / 4);
  return Math.min(cu1, cu2, cu3);
}

/** Storage units: 1200 GB of HDD or 200 GB of SSD each. */
export function storageUnits(hruGb: number, sruGb: number): number {
  return hruGb / 1200 + sruGb / 200;
}

export function cloudUnits(resources: Resources): { cu: number; su: number } {
  return {
    cu: computeUnits(resources.cru, resources.mru / bytesPerGb),
    su: storageUnits(resources.hru / bytesPerGb, resources.sru / bytesPerGb),
  };
}

/**
 * USD units for `elapsedMs` of `resources` and `publicIps` at `policy`'s hourly prices.
 * `billResources` is false for a node contract on a rented node: its renter pays the node.
 */
export function resourcesCostUsdUnits(resources: Resources, publicIps: number, elapsedMs: number, policy: PricingPolicy, billResources: boolean): number {
  if (elapsedMs <= 0) return 0;
  const hours = elapsedMs / msPerHour;
  let total = 0;
  if (billResources) {
    const { cu, su } = cloudUnits(resources);
    total += policy.cuUsdUnitsPerHour * hours * cu + policy.suUsdUnitsPerHour * hours * su;
  }
  total += publicIps * policy.ipuUsdUnitsPerHour * hours;
  return Math.round(total);
}

/** A rented node: its whole resources, less the dedicated-node discount. */
export function rentCostUsdUnits(resources: Resources, elapsedMs: number, policy: PricingPolicy): number {
  const full = resourcesCostUsdUnits(resources, 0, elapsedMs, policy, true);
  return Math.round((full * (100 - policy.dedicatedDiscountPercent)) / 100);
}

export function nameCostUsdUnits(elapsedMs: number, policy: PricingPolicy): number {
  if (elapsedMs <= 0) return 0;
  return Math.round((policy.uniqueNameUsdUnitsPerHour * elapsedMs) / msPerHour);
}

/** USD units → TFT units at `tftPriceUsdUnits` (USD units per TFT), rounded. */
export function usdToTftUnits(costUsdUnits: number, tftPriceUsdUnits: number): bigint {
  if (costUsdUnits <= 0) return 0n;
  const tft = Math.round((costUsdUnits * Number(tftUnits)) / tftPriceUsdUnits);
  return BigInt(tft);
}

// What a replica costs per month, with the chain's own arithmetic (tfchain's cloud units and the
// farm's pricing policy), so the plan shows what billing will take.
import { resourcesCostUsdUnits, usdToTftUnits, type PricingPolicy, type Resources } from '../../chain/index.ts';

/** 30 days: the month the explorer and the grid's calculators use. */
export const monthMs = 30 * 24 * 3_600_000;

export function monthlyCostTftUnits(resources: Resources, policy: PricingPolicy, tftPriceUsdUnits: number): bigint {
  return usdToTftUnits(resourcesCostUsdUnits(resources, 0, monthMs, policy, true), tftPriceUsdUnits);
}

/** "12.3456789 TFT" from units (10^7 per TFT). */
export function formatTftUnits(units: bigint): string {
  const whole = units / 10_000_000n;
  const fraction = (units % 10_000_000n).toString().padStart(7, '0').replace(/0+$/, '');
  return `${whole}${fraction === '' ? '' : '.' + fraction} TFT`;
}

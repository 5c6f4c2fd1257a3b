// Schema pieces shared by the transaction payloads and the genesis file. Every string is bounded
// and well-formed UTF-16 (a lone surrogate has no canonical JSON form), every number an integer
// in a stated range unless it is a coordinate.
import { z } from 'zod';

export const hashHexLength = 64;

/** Bounded text with no lone surrogates. */
export function text(lengthMax: number, lengthMin = 0): z.ZodString {
  return z
    .string()
    .min(lengthMin)
    .max(lengthMax)
    .refine((value) => value.isWellFormed(), 'lone UTF-16 surrogate');
}

export function hex(lengthChars: number): z.ZodString {
  return z.string().regex(new RegExp(`^[0-9a-f]{${lengthChars}}$`), `${lengthChars} lowercase hex digits`);
}

export const address = hex(64);
export const id = z.number().int().min(1).max(2 ** 32 - 1);
export const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A positive amount of TFT units as a decimal string (bigints do not survive JSON). */
export const amount = z
  .string()
  .regex(/^[1-9][0-9]{0,29}$/, 'a positive decimal integer (TFT units, 10^7 per TFT)')
  .transform((value) => BigInt(value));

/** A non-negative balance of TFT units as a decimal string. */
export const balance = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,29})$/, 'a decimal integer (TFT units)')
  .transform((value) => BigInt(value));

/** Cores, and memory/disk in bytes. */
export const resources = z.strictObject({
  cru: z.number().int().min(0).max(65_536),
  mru: count,
  sru: count,
  hru: count,
});

export const location = z.strictObject({
  country: text(64),
  city: text(64),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});

export const ipConfig = z.strictObject({ ip: text(64, 1), gw: text(64, 1) });

export const publicConfig = z.strictObject({
  ip4: ipConfig,
  ip6: ipConfig.nullable().default(null),
  domain: text(255).nullable().default(null),
});

export const networkInterface = z.strictObject({
  name: text(16, 1),
  mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address'),
  ips: z.array(text(64, 1)).max(16),
});

export const relayHost = z.string().regex(/^[a-zA-Z0-9.-]{1,253}(:[0-9]{1,5})?$/, 'a host name (and port)');

export const farmName = z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, '1 to 40 of [a-zA-Z0-9_-]');
export const contractName = z.string().regex(/^[a-z0-9_-]{3,64}$/, '3 to 64 of [a-z0-9-_]');
export const cidr4 = z.cidrv4();
export const ipv4 = z.ipv4();

export const power = z.enum(['Up', 'Down']);

export const pricingPolicyFields = {
  name: text(64, 1),
  cuUsdUnitsPerHour: count,
  suUsdUnitsPerHour: count,
  ipuUsdUnitsPerHour: count,
  uniqueNameUsdUnitsPerHour: count,
  dedicatedDiscountPercent: z.number().int().min(0).max(100),
};

export const paramsFields = {
  billingPeriodMs: z.number().int().min(1).max(2 ** 40),
  gracePeriodMs: z.number().int().min(0).max(2 ** 45),
  uptimeIntervalMs: z.number().int().min(1).max(2 ** 40),
  tftPriceUsdUnits: z.number().int().min(1).max(2 ** 48),
  defaultPricingPolicyId: id,
  admin: address,
  treasury: address,
};

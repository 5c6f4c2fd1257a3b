// network: the twin's private network on this node — a bridge whose subnet containers join.
// `ip_range` is the whole user network (several nodes' subnets, for the overlay that comes
// later); `subnet` is this node's part of it. `peers` is kept for the overlay and must be empty.
import { z } from 'zod';
import { cidrSchema, contains, parseCidr } from '../ipv4.ts';
import { zeroResources } from '../capacity.ts';
import type { WorkloadKind } from './kind.ts';

export const subnetPrefixMin = 16;
export const subnetPrefixMax = 29;

export const networkData = z.strictObject({
  ip_range: cidrSchema,
  subnet: cidrSchema,
  peers: z.array(z.never()).max(0).default([]),
}).superRefine((data, ctx) => {
  const range = parseCidr(data.ip_range);
  const subnet = parseCidr(data.subnet);
  if (range === undefined || subnet === undefined) return;
  if (subnet.prefix < subnetPrefixMin || subnet.prefix > subnetPrefixMax) ctx.addIssue({ code: 'custom', path: ['subnet'], message: `a subnet is /${subnetPrefixMin} to /${subnetPrefixMax}` });
  if (subnet.prefix < range.prefix || !contains(range, subnet.base)) ctx.addIssue({ code: 'custom', path: ['subnet'], message: 'the subnet is not inside ip_range' });
});
export type NetworkData = z.infer<typeof networkData>;

export const networkKind: WorkloadKind<typeof networkData> = {
  type: 'network', schema: networkData, order: 2,
  capacity: () => zeroResources,
  references: () => [],
};

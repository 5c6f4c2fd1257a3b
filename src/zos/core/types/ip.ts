// ip: a public IPv4 address for a container, one of those the contract reserved from the farm
// (the chain picks which at contract creation). The node attaches it to the container that names
// this workload in `network.public_ip`, on its public bridge, with the farm's gateway as the
// container's default route.
import { z } from 'zod';
import { zeroResources } from '../capacity.ts';
import type { WorkloadKind } from './kind.ts';

export const ipData = z.strictObject({
  /** IPv4 only (zos also has v6, which this node does not offer). */
  v4: z.literal(true).default(true),
});
export type IpData = z.infer<typeof ipData>;

export const ipKind: WorkloadKind<typeof ipData> = {
  type: 'ip', schema: ipData, order: 2,
  // Paid through the contract's public IP count, not as capacity.
  capacity: () => zeroResources,
  references: () => [],
};

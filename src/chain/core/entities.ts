// What the chain state holds. Field names are part of the state root and the snapshot format:
// append only; never rename or retype a field. Amounts of TFT are bigint units (1 TFT = 10^7);
// times are block timestamps in ms; resources are cores (cru) and bytes (mru, sru, hru).
import type { Address } from './seam.ts';

export const tftUnits = 10_000_000n;
/** Prices are in USD units: 1 USD = 10^7. */
export const usdUnits = 10_000_000;

export const FarmCertification = { notCertified: 'NotCertified', gold: 'Gold' } as const;
export type FarmCertificationName = (typeof FarmCertification)[keyof typeof FarmCertification];
export const NodeCertification = { diy: 'Diy', certified: 'Certified' } as const;
export type NodeCertificationName = (typeof NodeCertification)[keyof typeof NodeCertification];
export const NodeStatus = { up: 'up', down: 'down' } as const;
export type NodeStatusName = (typeof NodeStatus)[keyof typeof NodeStatus];
export const Power = { up: 'Up', down: 'Down' } as const;
export type PowerName = (typeof Power)[keyof typeof Power];
export const ContractState = { created: 'Created', gracePeriod: 'GracePeriod', deleted: 'Deleted' } as const;
export type ContractStateName = (typeof ContractState)[keyof typeof ContractState];
export const DeleteReason = { canceledByUser: 'CanceledByUser', outOfFunds: 'OutOfFunds', nodeRentEnded: 'RentEnded' } as const;
export type DeleteReasonName = (typeof DeleteReason)[keyof typeof DeleteReason];
export const ContractKind = { node: 'node', name: 'name', rent: 'rent' } as const;
export type ContractKindName = (typeof ContractKind)[keyof typeof ContractKind];

export interface Account {
  readonly address: Address;
  readonly balance: bigint;
  /** Nonce of the last transaction included from this account (0 = none yet). */
  readonly nonce: number;
}

export interface Twin {
  readonly id: number;
  readonly account: Address;
  /** X25519 public key, 64 hex digits: how others encrypt to this twin (the phonebook). */
  readonly encryptionKey: string;
  /** Relay hostnames through which the message bus reaches this twin. */
  readonly relays: readonly string[];
  readonly createdMs: number;
}

export interface PublicIp {
  /** CIDR, e.g. 185.206.122.33/24. */
  readonly ip: string;
  readonly gateway: string;
  /** The node contract holding it; 0 = free. */
  readonly contractId: number;
}

export interface Farm {
  readonly id: number;
  readonly name: string;
  readonly twinId: number;
  readonly pricingPolicyId: number;
  readonly certification: FarmCertificationName;
  readonly publicIps: readonly PublicIp[];
  readonly createdMs: number;
}

export interface Resources {
  readonly cru: number;
  readonly mru: number;
  readonly sru: number;
  readonly hru: number;
}

export interface Location {
  readonly country: string;
  readonly city: string;
  readonly latitude: number;
  readonly longitude: number;
}

export interface IpConfig {
  readonly ip: string;
  readonly gw: string;
}

export interface PublicConfig {
  readonly ip4: IpConfig;
  readonly ip6: IpConfig | null;
  readonly domain: string | null;
}

export interface NetworkInterface {
  readonly name: string;
  readonly mac: string;
  readonly ips: readonly string[];
}

export interface Node {
  readonly id: number;
  readonly farmId: number;
  readonly twinId: number;
  readonly resources: Resources;
  readonly location: Location;
  readonly publicConfig: PublicConfig | null;
  readonly interfaces: readonly NetworkInterface[];
  readonly certification: NodeCertificationName;
  readonly secureBoot: boolean;
  readonly virtualized: boolean;
  readonly serial: string;
  readonly createdMs: number;
  readonly updatedMs: number;
  /** Seconds since boot in the last uptime report; 0 before the first. */
  readonly uptimeSec: number;
  /** Block time of the last uptime report (the creation counts as one). */
  readonly lastUptimeMs: number;
  /** up iff the last report is at most 2 uptime intervals old (flagged by the per-block work). */
  readonly status: NodeStatusName;
  /** What the farmer wants (farmerbot) and what the node says it is. */
  readonly powerTarget: PowerName;
  readonly powerState: PowerName;
  readonly powerChangedMs: number;
}

export interface ContractCommon {
  readonly id: number;
  readonly twinId: number;
  /** Created or GracePeriod; a deleted contract leaves the state (its ContractDeleted event stays). */
  readonly state: ContractStateName;
  readonly createdMs: number;
  /** The bill covers (lastBilledMs, now]. */
  readonly lastBilledMs: number;
  readonly nextBillMs: number;
  /** When the grace period started; 0 when in state Created. */
  readonly graceStartMs: number;
  /** TFT units owed for periods billed while in grace; paid before it leaves grace. */
  readonly debt: bigint;
}

export interface NodeContract extends ContractCommon {
  readonly kind: 'node';
  readonly nodeId: number;
  /** Hex SHA-256 of the deployment (see DESIGN.md, "How a deployment flows"). */
  readonly deploymentHash: string;
  /** Up to 512 bytes (UTF-8) the owner publishes with the contract. */
  readonly deploymentData: string;
  /** Public IPs reserved from the farm, and which. */
  readonly publicIps: number;
  readonly publicIpList: readonly string[];
  /** Resources billed: declared at creation, then as the node reports them. */
  readonly resources: Resources;
}

export interface NameContract extends ContractCommon {
  readonly kind: 'name';
  readonly name: string;
}

export interface RentContract extends ContractCommon {
  readonly kind: 'rent';
  readonly nodeId: number;
}

export type Contract = NodeContract | NameContract | RentContract;

export interface PricingPolicy {
  readonly id: number;
  readonly name: string;
  /** USD units per hour for one compute unit, one storage unit, one public IP, one unique name. */
  readonly cuUsdUnitsPerHour: number;
  readonly suUsdUnitsPerHour: number;
  readonly ipuUsdUnitsPerHour: number;
  readonly uniqueNameUsdUnitsPerHour: number;
  /** Discount, in percent, of a rented (dedicated) node over its resources' price. */
  readonly dedicatedDiscountPercent: number;
}

export interface Params {
  readonly billingPeriodMs: number;
  readonly gracePeriodMs: number;
  readonly uptimeIntervalMs: number;
  /** Price of 1 TFT in USD units (10^7 = 1 USD); converts USD prices to TFT. */
  readonly tftPriceUsdUnits: number;
  /** Pricing policy for name contracts and for farms that name none. */
  readonly defaultPricingPolicyId: number;
  /** May set pricing policies and parameters, and certify farms and nodes. */
  readonly admin: Address;
  /** Receives name contract fees. */
  readonly treasury: Address;
}

/** Counters and clock of the chain, committed like any entity. */
export interface Meta {
  readonly chainId: string;
  readonly height: number;
  readonly timestampMs: number;
  readonly nextTwinId: number;
  readonly nextFarmId: number;
  readonly nextNodeId: number;
  readonly nextContractId: number;
}

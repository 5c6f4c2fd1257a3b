// The API's JSON, as the UI reads it: a mirror of the views in src/explorer/shell/read-*.ts
// (the UI is built apart from the server code, which imports Node modules). The browser test
// checks the two agree where it matters: it drives the UI against a real explorer.
export interface Resources { cru: number; mru: number; sru: number; hru: number }
export type Status = 'up' | 'standby' | 'down';
export interface Page<T> { total: number; page: number; size: number; items: T[] }
export interface ApiError { error: { code: string; message: string } }

export interface Node {
  nodeId: number; farmId: number; farmName: string; twinId: number; status: Status;
  location: { country: string; city: string; latitude: number; longitude: number };
  totalResources: Resources; usedResources: Resources; freeResources: Resources;
  publicConfig: { ipv4: string; gw4: string; ipv6: string; gw6: string; domain: string };
  certification: string; serialNumber: string; createdMs: number; updatedMs: number; uptimeSec: number; lastUptimeMs: number;
  power: { target: string; state: string; changedMs: number };
  rented: boolean; rentable: boolean; rentContractId: number; rentedByTwinId: number; contracts: number; priceUsd: number; farmFreeIps: number;
}
export interface NodeDetail extends Node {
  uptime: { fromMs: number; toMs: number; upRatio: number; segments: Array<{ startMs: number; endMs: number; up: boolean }> };
  statistics: { total: Resources; used: Resources; users?: { deployments: number; workloads: number } } | null;
  statisticsError: { code: string; message: string } | null;
}
export interface Farm { farmId: number; name: string; twinId: number; pricingPolicyId: number; certification: string; createdMs: number; publicIps: { total: number; free: number }; nodes: number }
export interface Twin { twinId: number; account: string; encryptionKey: string; relays: string[]; createdMs: number }
export interface TwinDetail extends Twin { farms: number[]; nodeId: number | null; contracts: { live: number; total: number } }
export interface Contract {
  contractId: number; twinId: number; kind: string; state: string; nodeId: number; name: string; deploymentHash: string; deploymentData: string;
  publicIps: string[]; resources: Resources; createdMs: number; deletedMs: number; deleteReason: string; billedTotal: string; lastBilledMs: number;
}
export interface Bill { height: number; timestampMs: number; amount: string; periodMs: number }
export interface Stats {
  height: number; timestampMs: number;
  nodes: { total: number; up: number; standby: number; down: number };
  farms: number; countries: number; twins: number; publicIps: { total: number; free: number };
  capacity: { total: Resources; used: Resources };
  contracts: { live: number; byKind: Record<string, number>; byState: Record<string, number> };
  nodesByCountry: Array<{ country: string; nodes: number }>;
  growth: Array<{ startMs: number; nodes: number; contracts: number }>;
}

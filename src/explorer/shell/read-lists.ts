// Farm, twin, contract and bill reads for the API, as JSON views. Amounts of TFT are decimal
// strings of units (10^7 per TFT), as everywhere on the chain's wire.
import type { Resources } from '../../chain/index.ts';
import { contractSortColumns, contractWhere, farmSortColumns, farmWhere, pageOrder, twinWhere, type BillQuery, type ContractQuery, type FarmQuery, type TwinQuery } from '../core/list-query.ts';
import type { SqlPart } from '../core/node-query.ts';
import type { Page } from './read-nodes.ts';
import type { Statements } from './statements.ts';

export interface FarmView {
  readonly farmId: number;
  readonly name: string;
  readonly twinId: number;
  readonly pricingPolicyId: number;
  readonly certification: string;
  readonly createdMs: number;
  readonly publicIps: { total: number; free: number };
  readonly nodes: number;
}

export interface TwinView {
  readonly twinId: number;
  readonly account: string;
  readonly encryptionKey: string;
  readonly relays: readonly string[];
  readonly createdMs: number;
}

export interface ContractView {
  readonly contractId: number;
  readonly twinId: number;
  readonly kind: string;
  readonly state: string;
  readonly nodeId: number;
  readonly name: string;
  readonly deploymentHash: string;
  readonly deploymentData: string;
  readonly publicIps: readonly string[];
  readonly resources: Resources;
  readonly createdMs: number;
  readonly updatedMs: number;
  readonly deletedMs: number;
  readonly deleteReason: string;
  readonly billedTotal: string;
  readonly lastBilledMs: number;
}

export interface BillView {
  readonly height: number;
  readonly timestampMs: number;
  readonly amount: string;
  readonly periodMs: number;
}

const farmSelect = `SELECT f.id AS farmId, f.name, f.twin_id AS twinId, f.pricing_policy_id AS pricingPolicyId, f.certification, f.created_ms AS createdMs,
  f.ips_total AS ipsTotal, f.ips_free AS ipsFree, (SELECT count(*) FROM nodes WHERE farm_id = f.id) AS nodes FROM farms f`;
const twinSelect = 'SELECT t.id AS twinId, t.account, t.encryption_key AS encryptionKey, t.relays, t.created_ms AS createdMs FROM twins t';
const contractSelect = `SELECT c.id AS contractId, c.twin_id AS twinId, c.kind, c.state, c.node_id AS nodeId, c.name, c.deployment_hash AS deploymentHash,
  c.deployment_data AS deploymentData, c.public_ips AS publicIps, c.cru, c.mru, c.sru, c.hru, c.created_ms AS createdMs, c.updated_ms AS updatedMs,
  c.deleted_ms AS deletedMs, c.delete_reason AS deleteReason, CAST(c.billed_total AS TEXT) AS billedTotal, c.last_billed_ms AS lastBilledMs FROM contracts c`;

type FarmRow = Omit<FarmView, 'publicIps'> & { ipsTotal: number; ipsFree: number };
type TwinRow = Omit<TwinView, 'relays'> & { relays: string };
type ContractRow = Omit<ContractView, 'publicIps' | 'resources'> & Resources & { publicIps: string };

function farmView({ ipsTotal, ipsFree, ...row }: FarmRow): FarmView {
  return { ...row, publicIps: { total: ipsTotal, free: ipsFree } };
}

function twinView(row: TwinRow): TwinView {
  return { ...row, relays: JSON.parse(row.relays) as string[] };
}

function contractView({ cru, mru, sru, hru, publicIps, ...row }: ContractRow): ContractView {
  return { ...row, publicIps: JSON.parse(publicIps) as string[], resources: { cru, mru, sru, hru } };
}

export class ListReader {
  readonly #statements: Statements;

  constructor(statements: Statements) {
    this.#statements = statements;
  }

  #page<R, V>(select: string, table: string, where: SqlPart, order: SqlPart, query: { page: number; size: number }, view: (row: R) => V): Page<V> {
    const rows = this.#statements.all<R>(`${select} WHERE ${where.sql} ${order.sql}`, [...where.params, ...order.params]);
    const total = this.#statements.get<{ total: number }>(`SELECT count(*) AS total FROM ${table} WHERE ${where.sql}`, where.params)?.total ?? 0;
    return { total, page: query.page, size: query.size, items: rows.map(view) };
  }

  farms(query: FarmQuery): Page<FarmView> {
    return this.#page(farmSelect, 'farms f', farmWhere(query), pageOrder(farmSortColumns[query.sort_by], 'f.id', query), query, farmView);
  }

  farm(farmId: number): (FarmView & { ips: Array<{ ip: string; gateway: string; contractId: number }> }) | undefined {
    const row = this.#statements.get<FarmRow>(`${farmSelect} WHERE f.id = ?`, [farmId]);
    if (row === undefined) return undefined;
    const ips = this.#statements.all<{ ip: string; gateway: string; contractId: number }>('SELECT ip, gateway, contract_id AS contractId FROM public_ips WHERE farm_id = ? ORDER BY ip', [farmId]);
    return { ...farmView(row), ips };
  }

  twins(query: TwinQuery): Page<TwinView> {
    return this.#page(twinSelect, 'twins t', twinWhere(query), pageOrder(query.sort_by === 'created' ? 't.created_ms' : 't.id', 't.id', query), query, twinView);
  }

  twin(twinId: number): (TwinView & { farms: number[]; nodeId: number | null; contracts: { live: number; total: number } }) | undefined {
    const row = this.#statements.get<TwinRow>(`${twinSelect} WHERE t.id = ?`, [twinId]);
    if (row === undefined) return undefined;
    const farms = this.#statements.all<{ id: number }>('SELECT id FROM farms WHERE twin_id = ? ORDER BY id', [twinId]).map((f) => f.id);
    const node = this.#statements.get<{ id: number }>('SELECT id FROM nodes WHERE twin_id = ?', [twinId]);
    const contracts = this.#statements.get<{ live: number; total: number }>("SELECT count(*) AS total, coalesce(sum(state <> 'Deleted'), 0) AS live FROM contracts WHERE twin_id = ?", [twinId]) ?? { live: 0, total: 0 };
    return { ...twinView(row), farms, nodeId: node?.id ?? null, contracts };
  }

  contracts(query: ContractQuery): Page<ContractView> {
    return this.#page(contractSelect, 'contracts c', contractWhere(query), pageOrder(contractSortColumns[query.sort_by], 'c.id', query), query, contractView);
  }

  contract(contractId: number): ContractView | undefined {
    const row = this.#statements.get<ContractRow>(`${contractSelect} WHERE c.id = ?`, [contractId]);
    return row === undefined ? undefined : contractView(row);
  }

  bills(contractId: number, query: BillQuery): Page<BillView> {
    const select = 'SELECT height, timestamp_ms AS timestampMs, CAST(amount AS TEXT) AS amount, period_ms AS periodMs FROM bills';
    return this.#page(select, 'bills', { sql: 'contract_id = ?', params: [contractId] }, pageOrder('height', 'height', query), query, (row: BillView) => row);
  }
}

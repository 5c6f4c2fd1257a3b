// Node reads for the API: the filtered, sorted, paged list with its total, and one node with its
// uptime history. Rows become the JSON views here; status is computed from the head's time.
import type { Resources } from '../../chain/index.ts';
import { freeResources } from '../core/resources.ts';
import { nodeCountSql, nodePageSql, nodeWhere, type NodeQuery } from '../core/node-query.ts';
import { nodeStatus, statusBounds, type ExplorerStatusName, type StatusBounds } from '../core/status.ts';
import { uptimeTimeline, type UptimeTimeline } from '../core/uptime.ts';
import type { Statements } from './statements.ts';
import type { IndexStore } from './store.ts';

export interface NodeView {
  readonly nodeId: number;
  readonly farmId: number;
  readonly farmName: string;
  readonly twinId: number;
  readonly status: ExplorerStatusName;
  readonly location: { country: string; city: string; latitude: number; longitude: number };
  readonly totalResources: Resources;
  readonly usedResources: Resources;
  readonly freeResources: Resources;
  readonly publicConfig: { ipv4: string; gw4: string; ipv6: string; gw6: string; domain: string };
  readonly certification: string;
  readonly secureBoot: boolean;
  readonly virtualized: boolean;
  readonly serialNumber: string;
  readonly interfaces: unknown;
  readonly createdMs: number;
  readonly updatedMs: number;
  readonly uptimeSec: number;
  readonly lastUptimeMs: number;
  readonly power: { target: string; state: string; changedMs: number };
  readonly rented: boolean;
  readonly rentable: boolean;
  readonly rentContractId: number;
  readonly rentedByTwinId: number;
  readonly contracts: number;
  readonly priceUsd: number;
  readonly farmFreeIps: number;
}

export interface Page<T> {
  readonly total: number;
  readonly page: number;
  readonly size: number;
  readonly items: readonly T[];
}

interface NodeRow {
  id: number; farm_id: number; farm_name: string; farm_free_ips: number; twin_id: number;
  country: string; city: string; latitude: number; longitude: number;
  total_cru: number; total_mru: number; total_sru: number; total_hru: number;
  used_cru: number; used_mru: number; used_sru: number; used_hru: number;
  ip4: string; gw4: string; ip6: string; gw6: string; domain: string; interfaces: string;
  certification: string; secure_boot: number; virtualized: number; serial: string;
  created_ms: number; updated_ms: number; uptime_sec: number; last_uptime_ms: number;
  power_target: string; power_state: string; power_changed_ms: number;
  rent_contract_id: number; rented_by: number; node_contracts: number; price_usd: number;
}

const nodeColumns = 'n.*, f.name AS farm_name, f.ips_free AS farm_free_ips';
const nodeSelect = `SELECT ${nodeColumns} FROM nodes n JOIN farms f ON f.id = n.farm_id`;
export const uptimeHistoryWindowMs = 7 * 24 * 3_600_000;

export function nodeView(row: NodeRow, bounds: StatusBounds): NodeView {
  const total = { cru: row.total_cru, mru: row.total_mru, sru: row.total_sru, hru: row.total_hru };
  const used = { cru: row.used_cru, mru: row.used_mru, sru: row.used_sru, hru: row.used_hru };
  return {
    nodeId: row.id, farmId: row.farm_id, farmName: row.farm_name, twinId: row.twin_id,
    status: nodeStatus({ lastUptimeMs: row.last_uptime_ms, powerTarget: row.power_target, powerState: row.power_state }, bounds),
    location: { country: row.country, city: row.city, latitude: row.latitude, longitude: row.longitude },
    totalResources: total, usedResources: used, freeResources: freeResources(total, used),
    publicConfig: { ipv4: row.ip4, gw4: row.gw4, ipv6: row.ip6, gw6: row.gw6, domain: row.domain },
    certification: row.certification, secureBoot: row.secure_boot === 1, virtualized: row.virtualized === 1, serialNumber: row.serial,
    interfaces: JSON.parse(row.interfaces) as unknown,
    createdMs: row.created_ms, updatedMs: row.updated_ms, uptimeSec: row.uptime_sec, lastUptimeMs: row.last_uptime_ms,
    power: { target: row.power_target, state: row.power_state, changedMs: row.power_changed_ms },
    rented: row.rent_contract_id > 0, rentable: row.rent_contract_id === 0 && row.node_contracts === 0,
    rentContractId: row.rent_contract_id, rentedByTwinId: row.rented_by, contracts: row.node_contracts,
    priceUsd: Math.round(row.price_usd * 100) / 100, farmFreeIps: row.farm_free_ips,
  };
}

export class NodeReader {
  readonly #store: IndexStore;
  readonly #statements: Statements;

  constructor(store: IndexStore, statements: Statements) {
    this.#store = store;
    this.#statements = statements;
  }

  bounds(): StatusBounds {
    return statusBounds(this.#store.head().timestampMs, this.#store.uptimeIntervalMs());
  }

  /** The page and the exact total: the count first (over the status/free index when it covers
   *  the filters), then the page's ids by the plan the count says is cheaper (nodePageSql), then
   *  those rows. */
  list(query: NodeQuery): Page<NodeView> {
    const bounds = this.bounds();
    const where = nodeWhere(query, bounds);
    const count = nodeCountSql(query, where);
    const total = this.#statements.get<{ total: number }>(count.sql, count.params)?.total ?? 0;
    if (total <= (query.page - 1) * query.size) return { total, page: query.page, size: query.size, items: [] };
    const nodes = this.#statements.get<{ n: number }>('SELECT count(*) AS n FROM nodes')?.n ?? 0;
    const page = nodePageSql(query, where, bounds, total, nodes);
    const ids = this.#statements.all<{ id: number }>(page.sql, page.params).map((row) => row.id);
    const rows = new Map(this.#statements.all<NodeRow>(`${nodeSelect} WHERE n.id IN (${ids.map(() => '?').join(', ')})`, ids).map((row) => [row.id, row]));
    return { total, page: query.page, size: query.size, items: ids.map((id) => nodeView(rows.get(id)!, bounds)) };
  }

  one(nodeId: number): (NodeView & { uptime: UptimeTimeline & { fromMs: number; toMs: number } }) | undefined {
    const bounds = this.bounds();
    const row = this.#statements.get<NodeRow>(`${nodeSelect} WHERE n.id = ?`, [nodeId]);
    if (row === undefined) return undefined;
    const toMs = this.#store.head().timestampMs;
    const fromMs = Math.max(row.created_ms, toMs - uptimeHistoryWindowMs);
    const reports = this.#statements.all<{ timestampMs: number; uptimeSec: number }>(
      'SELECT timestamp_ms AS timestampMs, uptime_sec AS uptimeSec FROM uptime WHERE node_id = ? AND timestamp_ms >= ? ORDER BY timestamp_ms',
      [nodeId, fromMs - 2 * this.#store.uptimeIntervalMs()],
    );
    // The node's creation counts as a report of 0 s (the chain's rule).
    const all = row.created_ms >= fromMs - 2 * this.#store.uptimeIntervalMs() ? [{ timestampMs: row.created_ms, uptimeSec: 0 }, ...reports] : reports;
    const timeline = uptimeTimeline(all, { fromMs, toMs, uptimeIntervalMs: this.#store.uptimeIntervalMs() });
    return { ...nodeView(row, bounds), uptime: { ...timeline, fromMs, toMs } };
  }
}

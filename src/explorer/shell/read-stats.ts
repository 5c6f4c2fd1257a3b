// /stats: grid totals (nodes by status, farms, countries, twins, capacity, public IPs, contracts
// by kind and state) and the series the UI charts (nodes per country, nodes and contracts
// created over time). Aggregates over every row, so the answer is cached per indexed height and
// recomputed at most once per statsCacheMs.
import type { Resources } from '../../chain/index.ts';
import { statusConditionSql, type StatusBounds } from '../core/status.ts';
import type { Statements } from './statements.ts';
import type { IndexStore } from './store.ts';

export const statsCacheMs = 2_000;
export const countriesTop = 15;
export const growthBuckets = 24;

export interface StatsView {
  readonly height: number;
  readonly timestampMs: number;
  readonly nodes: { total: number; up: number; standby: number; down: number };
  readonly farms: number;
  readonly countries: number;
  readonly twins: number;
  readonly publicIps: { total: number; free: number };
  /** Of the nodes up. */
  readonly capacity: { total: Resources; used: Resources };
  readonly contracts: { live: number; byKind: Record<string, number>; byState: Record<string, number> };
  readonly nodesByCountry: ReadonlyArray<{ country: string; nodes: number }>;
  readonly growth: ReadonlyArray<{ startMs: number; nodes: number; contracts: number }>;
}

export class StatsReader {
  readonly #store: IndexStore;
  readonly #statements: Statements;
  #cached: { height: number; atMs: number; stats: StatsView } | undefined;

  constructor(store: IndexStore, statements: Statements) {
    this.#store = store;
    this.#statements = statements;
  }

  stats(bounds: StatusBounds): StatsView {
    const head = this.#store.head();
    const cached = this.#cached;
    if (cached !== undefined && (cached.height === head.height || Date.now() - cached.atMs < statsCacheMs)) return cached.stats;
    const stats = this.#compute(head.height, head.timestampMs, bounds);
    this.#cached = { height: head.height, atMs: Date.now(), stats };
    return stats;
  }

  #count(sql: string, params: Array<number | string> = []): number {
    return this.#statements.get<{ n: number }>(sql, params)?.n ?? 0;
  }

  #compute(height: number, timestampMs: number, bounds: StatusBounds): StatsView {
    const st = this.#statements;
    const [up, standby] = [statusConditionSql('up', bounds), statusConditionSql('standby', bounds)];
    const total = this.#count('SELECT count(*) AS n FROM nodes');
    const nUp = this.#count(`SELECT count(*) AS n FROM nodes n WHERE ${up.sql}`, up.params);
    const nStandby = this.#count(`SELECT count(*) AS n FROM nodes n WHERE ${standby.sql}`, standby.params);
    const capacity = st.get<Record<string, number | null>>(
      `SELECT sum(total_cru) AS tc, sum(total_mru) AS tm, sum(total_sru) AS ts, sum(total_hru) AS th, sum(used_cru) AS uc, sum(used_mru) AS um, sum(used_sru) AS us, sum(used_hru) AS uh FROM nodes n WHERE ${up.sql}`, up.params) ?? {};
    const num = (key: string): number => capacity[key] ?? 0;
    const ips = st.get<{ total: number | null; free: number | null }>('SELECT sum(ips_total) AS total, sum(ips_free) AS free FROM farms');
    const byKind = Object.fromEntries(st.all<{ kind: string; n: number }>("SELECT kind, count(*) AS n FROM contracts WHERE state <> 'Deleted' GROUP BY kind").map((r) => [r.kind, r.n]));
    const byState = Object.fromEntries(st.all<{ state: string; n: number }>('SELECT state, count(*) AS n FROM contracts GROUP BY state').map((r) => [r.state, r.n]));
    return {
      height, timestampMs,
      nodes: { total, up: nUp, standby: nStandby, down: total - nUp - nStandby },
      farms: this.#count('SELECT count(*) AS n FROM farms'),
      countries: this.#count('SELECT count(DISTINCT country COLLATE NOCASE) AS n FROM nodes'),
      twins: this.#count('SELECT count(*) AS n FROM twins'),
      publicIps: { total: ips?.total ?? 0, free: ips?.free ?? 0 },
      capacity: { total: { cru: num('tc'), mru: num('tm'), sru: num('ts'), hru: num('th') }, used: { cru: num('uc'), mru: num('um'), sru: num('us'), hru: num('uh') } },
      contracts: { live: Object.values(byKind).reduce((a, b) => a + b, 0), byKind, byState },
      nodesByCountry: st.all<{ country: string; nodes: number }>('SELECT country, count(*) AS nodes FROM nodes GROUP BY country COLLATE NOCASE ORDER BY nodes DESC, country LIMIT ?', [countriesTop]),
      growth: this.#growth(timestampMs),
    };
  }

  /** Nodes and contracts created per bucket, from the first block's time to the head's. */
  #growth(toMs: number): StatsView['growth'] {
    const fromMs = this.#statements.get<{ t: number | null }>('SELECT min(timestamp_ms) AS t FROM blocks')?.t ?? toMs;
    const bucketMs = Math.max(1, Math.ceil((toMs - fromMs + 1) / growthBuckets));
    const series = Array.from({ length: growthBuckets }, (_, i) => ({ startMs: fromMs + i * bucketMs, nodes: 0, contracts: 0 }));
    const bucketSql = (table: string) => `SELECT min(${growthBuckets - 1}, (created_ms - ?) / ?) AS b, count(*) AS n FROM ${table} GROUP BY b`;
    for (const row of this.#statements.all<{ b: number; n: number }>(bucketSql('nodes'), [fromMs, bucketMs])) series[Math.max(0, Math.floor(row.b))]!.nodes += row.n;
    for (const row of this.#statements.all<{ b: number; n: number }>(bucketSql('contracts'), [fromMs, bucketMs])) series[Math.max(0, Math.floor(row.b))]!.contracts += row.n;
    return series;
  }
}

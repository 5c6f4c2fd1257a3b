// The /nodes query: grid-proxy's filters (snake_case names, comma-separated lists, resources in
// bytes), checked with zod — an unknown parameter or a bad value is refused with the reason —
// then turned into SQL over the index's nodes table (`n`) and farms table (`f`). Pure: the SQL
// text is built only from fixed fragments; every value is a bound parameter.
import { z } from 'zod';
import { explorerStatuses, statusConditionSql, statusRankSql, type StatusBounds } from './status.ts';

export const pageSizeMax = 1_000;
export const pageSizeDefault = 50;
const listItemsMax = 1_000;

const bytes = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const twinOrId = z.coerce.number().int().min(1).max(2 ** 32 - 1);
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const text = z.string().min(1).max(128);
/** A comma-separated list in one parameter (repeated parameters are joined first: flattenQuery). */
export function listOf<T extends z.ZodType>(item: T): z.ZodType<Array<z.output<T>>, unknown> {
  const split = (value: unknown) => (typeof value === 'string' ? value.split(',').map((part) => part.trim()).filter((part) => part !== '') : value);
  return z.preprocess(split, z.array(item).min(1).max(listItemsMax)).describe('comma-separated list');
}

/** Sort keys and the SQL they order by (status is computed; free_* are stored generated columns). */
export const nodeSortColumns = {
  node_id: 'n.id', farm_id: 'n.farm_id', twin_id: 'n.twin_id', country: 'n.country', city: 'n.city',
  uptime: 'n.uptime_sec', created: 'n.created_ms', updated_at: 'n.updated_ms', last_uptime: 'n.last_uptime_ms',
  total_cru: 'n.total_cru', total_mru: 'n.total_mru', total_sru: 'n.total_sru', total_hru: 'n.total_hru',
  used_cru: 'n.used_cru', used_mru: 'n.used_mru', used_sru: 'n.used_sru', used_hru: 'n.used_hru',
  free_cru: 'n.free_cru', free_mru: 'n.free_mru', free_sru: 'n.free_sru', free_hru: 'n.free_hru',
  price_usd: 'n.price_usd', rented: '(n.rent_contract_id > 0)', contracts: 'n.node_contracts',
  certification: 'n.certification', farm_free_ips: 'f.ips_free', status: 'status',
} as const;
export type NodeSortColumn = keyof typeof nodeSortColumns;

export const nodeQuerySchema = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(pageSizeMax).default(pageSizeDefault),
  sort_by: z.enum(Object.keys(nodeSortColumns) as [NodeSortColumn, ...NodeSortColumn[]]).default('node_id'),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
  status: listOf(z.enum(explorerStatuses)).optional(),
  free_cru: bytes.optional(), free_mru: bytes.optional(), free_sru: bytes.optional(), free_hru: bytes.optional(),
  total_cru: bytes.optional(), total_mru: bytes.optional(), total_sru: bytes.optional(), total_hru: bytes.optional(),
  country: text.optional(), country_contains: text.optional(), city: text.optional(), city_contains: text.optional(),
  farm_ids: listOf(twinOrId).optional(), farm_name: text.optional(), farm_name_contains: text.optional(),
  free_ips: bytes.optional(),
  ipv4: flag.optional(), ipv6: flag.optional(), domain: flag.optional(),
  dedicated: flag.optional(), rentable: flag.optional(), rented: flag.optional(),
  rented_by: twinOrId.optional(), available_for: twinOrId.optional(), rentable_or_rented_by: twinOrId.optional(),
  owned_by: twinOrId.optional(), node_id: twinOrId.optional(), node_ids: listOf(twinOrId).optional(), twin_id: twinOrId.optional(),
  excluded: listOf(twinOrId).optional(),
  certification_type: z.enum(['Diy', 'Certified']).optional(),
  price_min: z.coerce.number().min(0).optional(), price_max: z.coerce.number().min(0).optional(),
});
export type NodeQuery = z.output<typeof nodeQuerySchema>;

export interface SqlPart {
  readonly sql: string;
  readonly params: Array<number | string>;
}

const rentableSql = '(n.rent_contract_id = 0 AND n.node_contracts = 0)';

/** `LIKE` pattern for "contains", with the wildcards in the value escaped (ESCAPE '\'). */
export function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** The WHERE clause (with its parameters) for a checked query; "1" when nothing filters. */
export function nodeWhere(query: NodeQuery, bounds: StatusBounds): SqlPart {
  const where: string[] = [];
  const params: Array<number | string> = [];
  const add = (sql: string, ...values: Array<number | string>): void => {
    where.push(sql);
    params.push(...values);
  };
  if (query.status !== undefined) {
    const parts = [...new Set(query.status)].map((status) => statusConditionSql(status, bounds));
    add(`(${parts.map((p) => p.sql).join(' OR ')})`, ...parts.flatMap((p) => p.params));
  }
  for (const unit of ['cru', 'mru', 'sru', 'hru'] as const) {
    const free = query[`free_${unit}`];
    if (free !== undefined) add(`n.free_${unit} >= ?`, free);
    const total = query[`total_${unit}`];
    if (total !== undefined) add(`n.total_${unit} >= ?`, total);
  }
  if (query.country !== undefined) add('n.country = ? COLLATE NOCASE', query.country);
  if (query.country_contains !== undefined) add("n.country LIKE ? ESCAPE '\\'", containsPattern(query.country_contains));
  if (query.city !== undefined) add('n.city = ? COLLATE NOCASE', query.city);
  if (query.city_contains !== undefined) add("n.city LIKE ? ESCAPE '\\'", containsPattern(query.city_contains));
  if (query.farm_ids !== undefined) add(`n.farm_id IN (${placeholders(query.farm_ids)})`, ...query.farm_ids);
  if (query.farm_name !== undefined) add('f.name = ? COLLATE NOCASE', query.farm_name);
  if (query.farm_name_contains !== undefined) add("f.name LIKE ? ESCAPE '\\'", containsPattern(query.farm_name_contains));
  if (query.free_ips !== undefined) add('f.ips_free >= ?', query.free_ips);
  if (query.owned_by !== undefined) add('f.twin_id = ?', query.owned_by);
  if (query.ipv4 !== undefined) add(query.ipv4 ? "n.ip4 <> ''" : "n.ip4 = ''");
  if (query.ipv6 !== undefined) add(query.ipv6 ? "n.ip6 <> ''" : "n.ip6 = ''");
  if (query.domain !== undefined) add(query.domain ? "n.domain <> ''" : "n.domain = ''");
  if (query.rented !== undefined) add(query.rented ? 'n.rent_contract_id > 0' : 'n.rent_contract_id = 0');
  if (query.rentable !== undefined) add(query.rentable ? rentableSql : `NOT ${rentableSql}`);
  if (query.dedicated !== undefined) add(query.dedicated ? `(n.rent_contract_id > 0 OR ${rentableSql})` : `NOT (n.rent_contract_id > 0 OR ${rentableSql})`);
  if (query.rented_by !== undefined) add('n.rented_by = ?', query.rented_by);
  if (query.available_for !== undefined) add('(n.rent_contract_id = 0 OR n.rented_by = ?)', query.available_for);
  if (query.rentable_or_rented_by !== undefined) add(`(${rentableSql} OR n.rented_by = ?)`, query.rentable_or_rented_by);
  if (query.node_id !== undefined) add('n.id = ?', query.node_id);
  if (query.node_ids !== undefined) add(`n.id IN (${placeholders(query.node_ids)})`, ...query.node_ids);
  if (query.twin_id !== undefined) add('n.twin_id = ?', query.twin_id);
  if (query.excluded !== undefined) add(`n.id NOT IN (${placeholders(query.excluded)})`, ...query.excluded);
  if (query.certification_type !== undefined) add('n.certification = ?', query.certification_type);
  if (query.price_min !== undefined) add('n.price_usd >= ?', query.price_min);
  if (query.price_max !== undefined) add('n.price_usd <= ?', query.price_max);
  return { sql: where.length === 0 ? '1' : where.join(' AND '), params };
}

/** Does the WHERE clause read the farms table (so a count must join it)? */
export function needsFarm(query: NodeQuery): boolean {
  return query.farm_name !== undefined || query.farm_name_contains !== undefined || query.free_ips !== undefined || query.owned_by !== undefined;
}

/** The narrow index of status and free resources (last_uptime_ms, powered_down, free_*): a count,
 *  or a page's ids, whose filters (and sort key) are only these reads it alone, not the rows. */
export const statusFreeIndex = 'nodes_status_free';

/** Indexes in sort order, by sort key (node_id: the table itself, in rowid order). */
export const nodeOrderIndexes: Partial<Record<NodeSortColumn, string>> = { farm_id: 'nodes_farm', twin_id: 'nodes_twin', last_uptime: statusFreeIndex };

const statusFreeFilters = new Set<string>(['status', 'free_cru', 'free_mru', 'free_sru', 'free_hru']);
const statusFreeSorts = new Set<NodeSortColumn>(['node_id', 'status', 'last_uptime', 'free_cru', 'free_mru', 'free_sru', 'free_hru']);
const notFilters = new Set<string>(['page', 'size', 'sort_by', 'sort_order']);

/** Do only status and free filters apply (at least one)? */
function statusFreeOnly(query: NodeQuery): boolean {
  const filters = Object.entries(query).filter(([key, value]) => value !== undefined && !notFilters.has(key)).map(([key]) => key);
  return filters.length > 0 && filters.every((key) => statusFreeFilters.has(key));
}

function withFarm(query: NodeQuery, nodes: string, join: 'JOIN' | 'CROSS JOIN'): string {
  return needsFarm(query) || query.sort_by === 'farm_free_ips' ? `${nodes} ${join} farms f ON f.id = n.farm_id` : nodes;
}

/** The count of matches: over the status/free index alone when only those filter. */
export function nodeCountSql(query: NodeQuery, where: SqlPart): SqlPart {
  const nodes = statusFreeOnly(query) ? `nodes n INDEXED BY ${statusFreeIndex}` : 'nodes n';
  const from = needsFarm(query) ? `${nodes} JOIN farms f ON f.id = n.farm_id` : nodes;
  return { sql: `SELECT count(*) AS total FROM ${from} WHERE ${where.sql}`, params: where.params };
}

/** The ids of a page, in order, once the count (`matches` of `nodes`) is known; the rows are read
 *  by id after, so no sort carries wide rows. Walking in sort order (the table or a sort index)
 *  and testing each row reads about page × size × nodes / matches rows, where the filters' plan
 *  reads every match and sorts: walk when that reads fewer (CROSS JOIN keeps nodes the outer
 *  loop). Else, when only status and free filters apply and the sort key is in the status/free
 *  index, scan that index alone (a top-N sort of narrow entries); else SQLite plans. */
export function nodePageSql(query: NodeQuery, where: SqlPart, bounds: StatusBounds, matches: number, nodes: number): SqlPart {
  const index = nodeOrderIndexes[query.sort_by];
  const walk = query.sort_by === 'node_id' ? 'nodes n NOT INDEXED' : index === undefined ? undefined : `nodes n INDEXED BY ${index}`;
  const rowsWalked = (query.page * query.size * nodes) / Math.max(matches, 1);
  const from = walk !== undefined && rowsWalked <= matches ? withFarm(query, walk, 'CROSS JOIN')
    : statusFreeOnly(query) && statusFreeSorts.has(query.sort_by) ? `nodes n INDEXED BY ${statusFreeIndex}`
    : withFarm(query, 'nodes n', 'JOIN');
  const order = nodeOrder(query, bounds);
  return { sql: `SELECT n.id AS id FROM ${from} WHERE ${where.sql} ${order.sql}`, params: [...where.params, ...order.params] };
}

/** ORDER BY … LIMIT … OFFSET …, ties broken by node id so pages never overlap. */
export function nodeOrder(query: NodeQuery, bounds: StatusBounds): SqlPart {
  const direction = query.sort_order === 'desc' ? 'DESC' : 'ASC';
  const limit = [query.size, (query.page - 1) * query.size];
  if (query.sort_by === 'status') {
    const rank = statusRankSql(bounds);
    return { sql: `ORDER BY ${rank.sql} ${direction}, n.id ${direction} LIMIT ? OFFSET ?`, params: [...rank.params, ...limit] };
  }
  const column = nodeSortColumns[query.sort_by];
  const tie = query.sort_by === 'node_id' ? '' : `, n.id ${direction}`;
  return { sql: `ORDER BY ${column} ${direction}${tie} LIMIT ? OFFSET ?`, params: limit };
}

/** Query-string parameters as zod reads them: a repeated key is one comma-separated list. */
export function flattenQuery(queries: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(queries).map(([key, values]) => [key, values.join(',')]));
}

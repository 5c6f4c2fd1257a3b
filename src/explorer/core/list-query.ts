// Queries of /farms, /twins, /contracts and /contracts/:id/bills: zod schemas of their parameters
// (unknown ones refused) and their WHERE/ORDER clauses. Pure, like node-query.ts.
import { z } from 'zod';
import { containsPattern, listOf, pageSizeDefault, pageSizeMax, type SqlPart } from './node-query.ts';

const id = z.coerce.number().int().min(1).max(2 ** 32 - 1);
const count = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = z.string().min(1).max(128);
const page = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(pageSizeMax).default(pageSizeDefault),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
};
const stateList = listOf(z.enum(['Created', 'GracePeriod', 'Deleted']));

export const farmSortColumns = { farm_id: 'f.id', name: 'f.name', twin_id: 'f.twin_id', free_ips: 'f.ips_free', total_ips: 'f.ips_total', created: 'f.created_ms', nodes: 'nodes' } as const;
export const farmQuerySchema = z.strictObject({
  ...page,
  sort_by: z.enum(Object.keys(farmSortColumns) as [keyof typeof farmSortColumns]).default('farm_id'),
  farm_id: id.optional(), name: text.optional(), name_contains: text.optional(), twin_id: id.optional(),
  certification_type: z.enum(['NotCertified', 'Gold']).optional(), free_ips: count.optional(), pricing_policy_id: id.optional(),
});
export type FarmQuery = z.output<typeof farmQuerySchema>;

export const twinQuerySchema = z.strictObject({
  ...page,
  sort_by: z.enum(['twin_id', 'created']).default('twin_id'),
  twin_id: id.optional(), account: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits').optional(),
});
export type TwinQuery = z.output<typeof twinQuerySchema>;

export const contractSortColumns = { contract_id: 'c.id', twin_id: 'c.twin_id', node_id: 'c.node_id', created: 'c.created_ms', updated: 'c.updated_ms', billed: 'c.billed_total' } as const;
export const contractQuerySchema = z.strictObject({
  ...page,
  sort_by: z.enum(Object.keys(contractSortColumns) as [keyof typeof contractSortColumns]).default('contract_id'),
  contract_id: id.optional(), twin_id: id.optional(), node_id: id.optional(), kind: z.enum(['node', 'name', 'rent']).optional(),
  state: stateList.optional(), name: text.optional(), deployment_hash: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits').optional(),
});
export type ContractQuery = z.output<typeof contractQuerySchema>;

export const billQuerySchema = z.strictObject({ page: page.page, size: page.size, sort_order: z.enum(['asc', 'desc']).default('desc') });
export type BillQuery = z.output<typeof billQuerySchema>;

class Where {
  readonly parts: string[] = [];
  readonly params: Array<number | string> = [];
  add(sql: string, ...values: Array<number | string>): void {
    this.parts.push(sql);
    this.params.push(...values);
  }
  done(): SqlPart {
    return { sql: this.parts.length === 0 ? '1' : this.parts.join(' AND '), params: this.params };
  }
}

export function farmWhere(query: FarmQuery): SqlPart {
  const where = new Where();
  if (query.farm_id !== undefined) where.add('f.id = ?', query.farm_id);
  if (query.name !== undefined) where.add('f.name = ? COLLATE NOCASE', query.name);
  if (query.name_contains !== undefined) where.add("f.name LIKE ? ESCAPE '\\'", containsPattern(query.name_contains));
  if (query.twin_id !== undefined) where.add('f.twin_id = ?', query.twin_id);
  if (query.certification_type !== undefined) where.add('f.certification = ?', query.certification_type);
  if (query.free_ips !== undefined) where.add('f.ips_free >= ?', query.free_ips);
  if (query.pricing_policy_id !== undefined) where.add('f.pricing_policy_id = ?', query.pricing_policy_id);
  return where.done();
}

export function twinWhere(query: TwinQuery): SqlPart {
  const where = new Where();
  if (query.twin_id !== undefined) where.add('t.id = ?', query.twin_id);
  if (query.account !== undefined) where.add('t.account = ?', query.account);
  return where.done();
}

export function contractWhere(query: ContractQuery): SqlPart {
  const where = new Where();
  if (query.contract_id !== undefined) where.add('c.id = ?', query.contract_id);
  if (query.twin_id !== undefined) where.add('c.twin_id = ?', query.twin_id);
  if (query.node_id !== undefined) where.add('c.node_id = ?', query.node_id);
  if (query.kind !== undefined) where.add('c.kind = ?', query.kind);
  if (query.state !== undefined) where.add(`c.state IN (${query.state.map(() => '?').join(', ')})`, ...query.state);
  if (query.name !== undefined) where.add('c.name = ?', query.name);
  if (query.deployment_hash !== undefined) where.add('c.deployment_hash = ?', query.deployment_hash);
  return where.done();
}

/** ORDER BY column (ties by `idColumn`) LIMIT/OFFSET for a page. */
export function pageOrder(column: string, idColumn: string, query: { page: number; size: number; sort_order: 'asc' | 'desc' }): SqlPart {
  const direction = query.sort_order === 'desc' ? 'DESC' : 'ASC';
  const tie = column === idColumn ? '' : `, ${idColumn} ${direction}`;
  return { sql: `ORDER BY ${column} ${direction}${tie} LIMIT ? OFFSET ?`, params: [query.size, (query.page - 1) * query.size] };
}

// The node finder: a filter form (sent as the API's own parameters), a sortable table, and the
// count of matching nodes, refreshed as filters change and every 10 s.
import type { JSX } from 'react';
import { useState, type FormEvent } from 'react';
import { useApi } from '../api.ts';
import { Failure, Pager, StatusBadge } from '../components/bits.tsx';
import { bytes, count } from '../format.ts';
import { href } from '../router.ts';
import type { Node, Page } from '../types.ts';

const gib = 2 ** 30;
interface Filters { status: string; country: string; city: string; farm_name: string; free_mru: string; free_sru: string; free_hru: string; free_cru: string; ipv4: string; rentable: string }
const empty: Filters = { status: '', country: '', city: '', farm_name: '', free_mru: '', free_sru: '', free_hru: '', free_cru: '', ipv4: '', rentable: '' };
const columns: Array<{ key: string; label: string; cell: (n: Node) => string | number }> = [
  { key: 'node_id', label: 'Node', cell: (n) => n.nodeId },
  { key: 'farm_id', label: 'Farm', cell: (n) => n.farmName },
  { key: 'country', label: 'Country', cell: (n) => n.location.country },
  { key: 'city', label: 'City', cell: (n) => n.location.city },
  { key: 'free_cru', label: 'Free CPU', cell: (n) => n.freeResources.cru },
  { key: 'free_mru', label: 'Free RAM', cell: (n) => bytes(n.freeResources.mru) },
  { key: 'free_sru', label: 'Free SSD', cell: (n) => bytes(n.freeResources.sru) },
  { key: 'free_hru', label: 'Free HDD', cell: (n) => bytes(n.freeResources.hru) },
  { key: 'price_usd', label: 'USD/month', cell: (n) => n.priceUsd.toFixed(2) },
];

/** The form's values as /nodes parameters (sizes typed in GiB). */
function toQuery(filters: Filters, sort: { by: string; order: string }, page: number): string {
  const params = new URLSearchParams({ sort_by: sort.by, sort_order: sort.order, page: String(page), size: '20' });
  for (const [key, value] of Object.entries(filters)) {
    if (value === '') continue;
    params.set(key, key.startsWith('free_') && key !== 'free_cru' ? String(Math.round(Number(value) * gib)) : String(value));
  }
  return `/nodes?${params.toString()}`;
}

export function NodesPage(): JSX.Element {
  const [draft, setDraft] = useState<Filters>({ ...empty, status: 'up' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [sort, setSort] = useState({ by: 'node_id', order: 'asc' });
  const [page, setPage] = useState(1);
  const { data, error, loading } = useApi<Page<Node>>(toQuery(filters, sort, page), 10_000);
  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setPage(1);
    setFilters(draft);
  };
  const sortBy = (key: string) => setSort(sort.by === key ? { by: key, order: sort.order === 'asc' ? 'desc' : 'asc' } : { by: key, order: 'asc' });
  const text = (key: keyof Filters, label: string, placeholder = '') => <label>{label}<input name={key} value={draft[key]} placeholder={placeholder} onChange={set(key)} /></label>;
  return (
    <section>
      <h1>Find nodes</h1>
      <form className="filters" onSubmit={submit} aria-label="node filters">
        <label>Status<select name="status" value={draft.status} onChange={set('status')}><option value="">any</option><option value="up">up</option><option value="standby">standby</option><option value="down">down</option></select></label>
        {text('country', 'Country', 'e.g. Belgium')}
        {text('city', 'City')}
        {text('farm_name', 'Farm')}
        {text('free_cru', 'Free CPU ≥', 'cores')}
        {text('free_mru', 'Free RAM ≥', 'GiB')}
        {text('free_sru', 'Free SSD ≥', 'GiB')}
        {text('free_hru', 'Free HDD ≥', 'GiB')}
        <label>Public IPv4<select name="ipv4" value={draft.ipv4} onChange={set('ipv4')}><option value="">any</option><option value="true">yes</option><option value="false">no</option></select></label>
        <label>Rentable<select name="rentable" value={draft.rentable} onChange={set('rentable')}><option value="">any</option><option value="true">yes</option><option value="false">no</option></select></label>
        <div className="filter-actions"><button type="submit">Search</button><button type="button" onClick={() => { setDraft(empty); setFilters(empty); setPage(1); }}>Clear</button></div>
      </form>
      <p className="count" data-testid="node-count">{data === undefined ? '…' : `${count(data.total)} node${data.total === 1 ? '' : 's'} match`}{loading ? ' (updating)' : ''}</p>
      <Failure error={error} />
      <div className="table-wrap">
        <table className="nodes">
          <thead><tr>{columns.map((c) => <th key={c.key} aria-sort={sort.by === c.key ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}><button type="button" onClick={() => sortBy(c.key)}>{c.label}{sort.by === c.key ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}</button></th>)}<th>Status</th></tr></thead>
          <tbody>
            {(data?.items ?? []).map((n) => (
              <tr key={n.nodeId} data-node={n.nodeId}>
                {columns.map((c, i) => <td key={c.key} data-label={c.label}>{i === 0 ? <a href={href('nodes', n.nodeId)}>{c.cell(n)}</a> : c.cell(n)}</td>)}
                <td data-label="Status"><StatusBadge status={n.status} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data !== undefined && <Pager page={page} size={data.size} total={data.total} onPage={setPage} />}
    </section>
  );
}

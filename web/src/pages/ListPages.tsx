// Farms, contracts (with a contract's bills) and twin lookup: paged tables over the API.
import type { JSX } from 'react';
import { useState, type FormEvent } from 'react';
import { useApi } from '../api.ts';
import { Failure, Pager } from '../components/bits.tsx';
import { bytes, count, tft, time } from '../format.ts';
import { href } from '../router.ts';
import type { Bill, Contract, Farm, Page, TwinDetail } from '../types.ts';

export function FarmsPage({ id }: { id: number | undefined }): JSX.Element {
  const [page, setPage] = useState(1);
  const [name, setName] = useState('');
  const query = new URLSearchParams({ page: String(page), size: '25', ...(name === '' ? {} : { name_contains: name }), ...(id === undefined ? {} : { farm_id: String(id) }) });
  const { data, error } = useApi<Page<Farm>>(`/farms?${query.toString()}`);
  return (
    <section>
      <h1>Farms</h1>
      <label className="inline-filter">Name contains <input value={name} onChange={(e) => { setName(e.target.value); setPage(1); }} /></label>
      <Failure error={error} />
      <div className="table-wrap"><table>
        <thead><tr><th>Farm</th><th>Name</th><th>Twin</th><th>Nodes</th><th>Public IPs free</th><th>Certification</th></tr></thead>
        <tbody>{(data?.items ?? []).map((f) => (
          <tr key={f.farmId}><td data-label="Farm">{f.farmId}</td><td data-label="Name">{f.name}</td><td data-label="Twin"><a href={href('twins', f.twinId)}>{f.twinId}</a></td><td data-label="Nodes">{f.nodes}</td>
            <td data-label="IPs free">{f.publicIps.free} / {f.publicIps.total}</td><td data-label="Certification">{f.certification}</td></tr>
        ))}</tbody>
      </table></div>
      {data !== undefined && <Pager page={page} size={data.size} total={data.total} onPage={setPage} />}
    </section>
  );
}

function Bills({ contractId }: { contractId: number }): JSX.Element | null {
  const { data } = useApi<Page<Bill>>(`/contracts/${contractId}/bills?size=10`);
  if (data === undefined) return null;
  return <div className="bills"><strong>{count(data.total)} bills</strong>{data.items.map((b) => <div key={b.height}>block {b.height} · {time(b.timestampMs)} · {tft(b.amount)}</div>)}</div>;
}

export function ContractsPage({ id }: { id: number | undefined }): JSX.Element {
  const [page, setPage] = useState(1);
  const [state, setState] = useState('Created,GracePeriod');
  const [open, setOpen] = useState<number | undefined>(id);
  const query = new URLSearchParams({ page: String(page), size: '25', sort_order: 'desc', ...(state === '' ? {} : { state }), ...(id === undefined ? {} : { contract_id: String(id) }) });
  const { data, error } = useApi<Page<Contract>>(`/contracts?${query.toString()}`, 10_000);
  return (
    <section>
      <h1>Contracts</h1>
      <label className="inline-filter">State <select value={state} onChange={(e) => { setState(e.target.value); setPage(1); }}><option value="Created,GracePeriod">live</option><option value="GracePeriod">in grace</option><option value="Deleted">deleted</option><option value="">all</option></select></label>
      <Failure error={error} />
      <div className="table-wrap"><table>
        <thead><tr><th>Contract</th><th>Kind</th><th>State</th><th>Twin</th><th>Node / name</th><th>Resources</th><th>Billed</th></tr></thead>
        <tbody>{(data?.items ?? []).map((c) => (
          <tr key={c.contractId} onClick={() => setOpen(open === c.contractId ? undefined : c.contractId)} className="clickable">
            <td data-label="Contract">{c.contractId}</td><td data-label="Kind">{c.kind}</td><td data-label="State">{c.state}{c.deleteReason === '' ? '' : ` (${c.deleteReason})`}</td>
            <td data-label="Twin"><a href={href('twins', c.twinId)}>{c.twinId}</a></td>
            <td data-label="Node / name">{c.kind === 'name' ? c.name : <a href={href('nodes', c.nodeId)}>node {c.nodeId}</a>}</td>
            <td data-label="Resources">{c.kind === 'node' ? `${c.resources.cru} CPU, ${bytes(c.resources.mru)} RAM, ${bytes(c.resources.sru)} SSD${c.publicIps.length > 0 ? `, ${c.publicIps.join(' ')}` : ''}` : '—'}{open === c.contractId && <Bills contractId={c.contractId} />}</td>
            <td data-label="Billed">{tft(c.billedTotal)}</td>
          </tr>
        ))}</tbody>
      </table></div>
      {data !== undefined && <Pager page={page} size={data.size} total={data.total} onPage={setPage} />}
    </section>
  );
}

export function TwinsPage({ id }: { id: number | undefined }): JSX.Element {
  const [input, setInput] = useState(id === undefined ? '' : String(id));
  const [lookup, setLookup] = useState<string>(id === undefined ? '' : String(id));
  const path = lookup === '' ? null : /^[0-9a-f]{64}$/.test(lookup) ? `/twins?account=${lookup}` : /^\d+$/.test(lookup) ? `/twins/${lookup}` : null;
  const byId = useApi<TwinDetail>(path !== null && path.startsWith('/twins/') ? path : null);
  const byAccount = useApi<Page<{ twinId: number }>>(path !== null && path.startsWith('/twins?') ? path : null);
  const accountTwin = byAccount.data?.items[0]?.twinId;
  const resolved = useApi<TwinDetail>(accountTwin === undefined ? null : `/twins/${accountTwin}`);
  const twin = byId.data ?? resolved.data;
  const submit = (e: FormEvent) => { e.preventDefault(); setLookup(input.trim()); };
  return (
    <section>
      <h1>Twin lookup</h1>
      <form className="inline-filter" onSubmit={submit}><label>Twin id or account <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="42 or 64 hex digits" /></label><button type="submit">Look up</button></form>
      {lookup !== '' && path === null && <p className="error">a twin id is a number; an account is 64 hex digits</p>}
      <Failure error={byId.error ?? byAccount.error} />
      {byAccount.data?.total === 0 && <p className="muted">no twin for that account</p>}
      {twin !== undefined && (
        <div className="panel">
          <h2>Twin {twin.twinId}</h2>
          <div className="kv"><span>Account</span><code>{twin.account}</code></div>
          <div className="kv"><span>Encryption key</span><code>{twin.encryptionKey}</code></div>
          <div className="kv"><span>Relays</span><span>{twin.relays.join(', ') || '—'}</span></div>
          <div className="kv"><span>Farms</span><span>{twin.farms.length === 0 ? '—' : twin.farms.map((f) => <a key={f} href={href('farms', f)}>{f} </a>)}</span></div>
          <div className="kv"><span>Node</span><span>{twin.nodeId === null ? '—' : <a href={href('nodes', twin.nodeId)}>{twin.nodeId}</a>}</span></div>
          <div className="kv"><span>Contracts</span><span>{twin.contracts.live} live of {twin.contracts.total}</span></div>
          <div className="kv"><span>Created</span><span>{time(twin.createdMs)}</span></div>
        </div>
      )}
    </section>
  );
}

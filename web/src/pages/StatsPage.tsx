// Grid statistics: totals, node status, capacity in use, nodes per country, growth.
import type { JSX } from 'react';
import { useApi } from '../api.ts';
import { Donut, HBars, Columns } from '../components/charts.tsx';
import { Failure, ResourceBar } from '../components/bits.tsx';
import { count, time } from '../format.ts';
import type { Stats } from '../types.ts';

export function StatsPage(): JSX.Element {
  const { data, error } = useApi<Stats>('/stats', 5_000);
  if (data === undefined) return <Failure error={error ?? undefined} />;
  const cards: Array<[string, string]> = [
    ['nodes up', count(data.nodes.up)], ['farms', count(data.farms)], ['countries', count(data.countries)],
    ['twins', count(data.twins)], ['live contracts', count(data.contracts.live)], ['public IPs free', `${count(data.publicIps.free)} / ${count(data.publicIps.total)}`],
  ];
  return (
    <section>
      <h1>Grid statistics</h1>
      <p className="muted">Indexed to block {count(data.height)} ({time(data.timestampMs)} UTC). Refreshes every 5 s.</p>
      <div className="cards">{cards.map(([label, value]) => <div className="card" key={label} data-stat={label}><span className="card-value">{value}</span><span className="card-label">{label}</span></div>)}</div>
      <div className="charts">
        <Donut title="Nodes by status" parts={[{ label: 'up', value: data.nodes.up, color: '#16a34a' }, { label: 'standby', value: data.nodes.standby, color: '#f59e0b' }, { label: 'down', value: data.nodes.down, color: '#dc2626' }]} />
        <Donut title="Live contracts by kind" parts={Object.entries(data.contracts.byKind).map(([kind, value], i) => ({ label: kind, value, color: ['#2563eb', '#7c3aed', '#0891b2'][i % 3]! }))} />
        <figure className="chart">
          <figcaption><strong>Capacity of the nodes up, in use</strong></figcaption>
          <ResourceBar label="CPU" used={data.capacity.used.cru} total={data.capacity.total.cru} unit="cores" />
          <ResourceBar label="Memory" used={data.capacity.used.mru} total={data.capacity.total.mru} unit="bytes" />
          <ResourceBar label="SSD" used={data.capacity.used.sru} total={data.capacity.total.sru} unit="bytes" />
          <ResourceBar label="HDD" used={data.capacity.used.hru} total={data.capacity.total.hru} unit="bytes" />
        </figure>
        <HBars title="Nodes per country" rows={data.nodesByCountry.map((c) => ({ label: c.country, value: c.nodes }))} />
        <Columns title="Created over the chain's life" series={[{ label: 'nodes', values: data.growth.map((g) => g.nodes), color: '#2563eb' }, { label: 'contracts', values: data.growth.map((g) => g.contracts), color: '#f59e0b' }]} />
      </div>
    </section>
  );
}

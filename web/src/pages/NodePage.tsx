// One node: resources as bars, its uptime over the last week, its place on the map, and what the
// node itself says right now (live statistics over the message bus) when it answers.
import type { JSX } from 'react';
import { useApi } from '../api.ts';
import { WorldMap } from '../components/WorldMap.tsx';
import { Failure, ResourceBar, StatusBadge, UptimeBar } from '../components/bits.tsx';
import { time } from '../format.ts';
import { href } from '../router.ts';
import type { NodeDetail } from '../types.ts';

function Row({ label, children }: { label: string; children: React.ReactNode }): JSX.Element {
  return <div className="kv"><span>{label}</span><span>{children}</span></div>;
}

export function NodePage({ id }: { id: number }): JSX.Element {
  const fast = useApi<NodeDetail>(`/nodes/${id}?live=false`, 15_000);
  const live = useApi<NodeDetail>(`/nodes/${id}`);
  const node = fast.data;
  if (node === undefined) return <Failure error={fast.error} />;
  const t = node.totalResources;
  const u = node.usedResources;
  return (
    <section>
      <h1>Node {node.nodeId} <StatusBadge status={node.status} /></h1>
      <div className="detail">
        <div className="panel">
          <h2>Resources in use</h2>
          <ResourceBar label="CPU" used={u.cru} total={t.cru} unit="cores" />
          <ResourceBar label="Memory" used={u.mru} total={t.mru} unit="bytes" />
          <ResourceBar label="SSD" used={u.sru} total={t.sru} unit="bytes" />
          <ResourceBar label="HDD" used={u.hru} total={t.hru} unit="bytes" />
          <h2>Uptime, last 7 days ({(100 * node.uptime.upRatio).toFixed(1)}% up)</h2>
          <UptimeBar segments={node.uptime.segments} fromMs={node.uptime.fromMs} toMs={node.uptime.toMs} />
        </div>
        <div className="panel">
          <h2>{node.location.city}, {node.location.country}</h2>
          <WorldMap points={[{ latitude: node.location.latitude, longitude: node.location.longitude, label: `node ${node.nodeId}` }]} />
        </div>
        <div className="panel">
          <h2>Facts</h2>
          <Row label="Farm"><a href={href('farms', node.farmId)}>{node.farmName} ({node.farmId})</a></Row>
          <Row label="Twin"><a href={href('twins', node.twinId)}>{node.twinId}</a></Row>
          <Row label="Certification">{node.certification}</Row>
          <Row label="Public IPv4">{node.publicConfig.ipv4 || '—'}</Row>
          <Row label="Domain">{node.publicConfig.domain || '—'}</Row>
          <Row label="Power">target {node.power.target}, state {node.power.state}</Row>
          <Row label="Rented">{node.rented ? `by twin ${node.rentedByTwinId} (contract ${node.rentContractId})` : node.rentable ? 'no, rentable' : 'no'}</Row>
          <Row label="Contracts">{node.contracts}</Row>
          <Row label="Price">{node.priceUsd.toFixed(2)} USD / month (whole node)</Row>
          <Row label="Last report">{time(node.lastUptimeMs)} (up {Math.round(node.uptimeSec / 60)} min)</Row>
          <Row label="Registered">{time(node.createdMs)}</Row>
        </div>
        <div className="panel" data-testid="live">
          <h2>Live statistics</h2>
          {live.data === undefined ? <p className="muted">{live.error ?? 'asking the node over the message bus…'}</p>
            : live.data.statistics === null ? <p className="muted">not available: {live.data.statisticsError?.message}</p>
            : <>
                <ResourceBar label="CPU (node)" used={live.data.statistics.used.cru} total={live.data.statistics.total.cru} unit="cores" />
                <ResourceBar label="Memory (node)" used={live.data.statistics.used.mru} total={live.data.statistics.total.mru} unit="bytes" />
                <Row label="Deployments">{live.data.statistics.users?.deployments ?? '—'}</Row>
                <Row label="Workloads">{live.data.statistics.users?.workloads ?? '—'}</Row>
              </>}
        </div>
      </div>
    </section>
  );
}

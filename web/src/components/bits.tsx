// Small shared pieces: a resource bar (used of total), a status badge, the uptime timeline, a pager.
import type { JSX } from 'react';
import { bytes, percent, time } from '../format.ts';
import type { Status } from '../types.ts';

export function ResourceBar({ label, used, total, unit }: { label: string; used: number; total: number; unit: 'bytes' | 'cores' }): JSX.Element {
  const show = (v: number) => (unit === 'bytes' ? bytes(v) : `${v} cores`);
  const share = total === 0 ? 0 : Math.min(100, (100 * used) / total);
  return (
    <div className="resource" data-resource={label}>
      <div className="resource-head"><span>{label}</span><span>{show(used)} of {show(total)} ({percent(used, total)})</span></div>
      <div className="resource-track"><div className={`resource-fill${share > 90 ? ' full' : ''}`} style={{ width: `${share}%` }} /></div>
    </div>
  );
}

export function StatusBadge({ status }: { status: Status }): JSX.Element {
  return <span className={`badge ${status}`}>{status}</span>;
}

export function UptimeBar({ segments, fromMs, toMs }: { segments: Array<{ startMs: number; endMs: number; up: boolean }>; fromMs: number; toMs: number }): JSX.Element {
  const span = Math.max(1, toMs - fromMs);
  return (
    <div>
      <div className="uptime" role="img" aria-label="uptime timeline">
        {segments.map((s) => <span key={s.startMs} className={s.up ? 'up' : 'down'} style={{ width: `${(100 * (s.endMs - s.startMs)) / span}%` }} title={`${s.up ? 'up' : 'down'} ${time(s.startMs)} → ${time(s.endMs)}`} />)}
      </div>
      <div className="uptime-axis"><span>{time(fromMs)}</span><span>{time(toMs)}</span></div>
    </div>
  );
}

export function Pager({ page, size, total, onPage }: { page: number; size: number; total: number; onPage: (page: number) => void }): JSX.Element {
  const pages = Math.max(1, Math.ceil(total / size));
  return (
    <div className="pager">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>‹ previous</button>
      <span>page {page} of {pages}</span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>next ›</button>
    </div>
  );
}

export function Failure({ error }: { error: string | undefined }): JSX.Element | null {
  return error === undefined ? null : <p className="error" role="alert">{error}</p>;
}

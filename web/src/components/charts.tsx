// Charts drawn as plain SVG: a donut of parts, horizontal bars, and a column series. No chart
// library: three small shapes do not need one, and the page stays light on a phone.
import type { JSX } from 'react';
export interface Part { label: string; value: number; color: string }

export function Donut({ parts, title }: { parts: Part[]; title: string }): JSX.Element {
  const total = parts.reduce((sum, p) => sum + p.value, 0);
  const radius = 40;
  const circumference = 2 * Math.PI * radius;
  let offset = 0;
  return (
    <figure className="chart">
      <svg viewBox="0 0 100 100" role="img" aria-label={title}>
        <circle cx="50" cy="50" r={radius} fill="none" stroke="#e5e7eb" strokeWidth="14" />
        {parts.filter((p) => p.value > 0).map((p) => {
          const length = (p.value / total) * circumference;
          const arc = <circle key={p.label} cx="50" cy="50" r={radius} fill="none" stroke={p.color} strokeWidth="14" strokeDasharray={`${length} ${circumference - length}`} strokeDashoffset={-offset} transform="rotate(-90 50 50)" />;
          offset += length;
          return arc;
        })}
        <text x="50" y="54" textAnchor="middle" className="donut-total">{total}</text>
      </svg>
      <figcaption>
        <strong>{title}</strong>
        <ul className="legend">{parts.map((p) => <li key={p.label}><span style={{ background: p.color }} />{p.label}: {p.value}</li>)}</ul>
      </figcaption>
    </figure>
  );
}

export function HBars({ rows, title }: { rows: Array<{ label: string; value: number }>; title: string }): JSX.Element {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure className="chart wide">
      <figcaption><strong>{title}</strong></figcaption>
      <div className="hbars">
        {rows.map((r) => (
          <div key={r.label} className="hbar">
            <span className="hbar-label">{r.label}</span>
            <span className="hbar-track"><span className="hbar-fill" style={{ width: `${(100 * r.value) / max}%` }} /></span>
            <span className="hbar-value">{r.value}</span>
          </div>
        ))}
      </div>
    </figure>
  );
}

export function Columns({ series, title }: { series: Array<{ label: string; values: number[]; color: string }>; title: string }): JSX.Element {
  const length = Math.max(0, ...series.map((s) => s.values.length));
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const width = 100 / Math.max(1, length);
  return (
    <figure className="chart wide">
      <figcaption><strong>{title}</strong> <ul className="legend inline">{series.map((s) => <li key={s.label}><span style={{ background: s.color }} />{s.label}</li>)}</ul></figcaption>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" className="columns" role="img" aria-label={title}>
        {series.map((s, k) => s.values.map((v, i) => {
          const h = (38 * v) / max;
          return <rect key={`${s.label}-${i}`} x={i * width + (k * width) / series.length + 0.2} y={40 - h} width={width / series.length - 0.4} height={h} fill={s.color} />;
        }))}
      </svg>
    </figure>
  );
}

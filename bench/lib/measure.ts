// Benchmark helpers shared by every bench/: timed loops and a plain table printer.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface Rate {
  name: string;
  opsPerSec: number;
  bytesPerSec?: number;
}

/** Runs `fn` repeatedly for about `durationMs` (after a short warm-up) and returns ops/s. */
export function rate(name: string, fn: () => void, options: { durationMs?: number; bytesPerOp?: number } = {}): Rate {
  const durationMs = options.durationMs ?? 1000;
  const warmUntil = performance.now() + Math.min(200, durationMs / 5);
  while (performance.now() < warmUntil) fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 16; i++) fn();
    ops += 16;
    now = performance.now();
  }
  const opsPerSec = (ops * 1000) / (now - start);
  return options.bytesPerOp === undefined ? { name, opsPerSec } : { name, opsPerSec, bytesPerSec: opsPerSec * options.bytesPerOp };
}

export function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

export function formatBytesPerSec(value: number): string {
  return value >= 1024 ** 3 ? `${(value / 1024 ** 3).toFixed(2)} GiB/s` : `${(value / 1024 ** 2).toFixed(0)} MiB/s`;
}

export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(headers));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of rows) console.log(line(row));
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${new Date().toISOString().slice(0, 10)} · node ${process.versions.node} · ${cpus().length} × ${cpu}`;
}

/** `value` to two decimals, marked ✓ when it reaches `goal` and ✗ when not (no mark without a goal). */
export function formatRatio(value: number, goal?: number): string {
  if (!Number.isFinite(value)) return '';
  const text = value.toFixed(2);
  return goal === undefined ? text : `${text} ${value >= goal ? '✓' : '✗'}`;
}

/** A latency pair such as `0.52/1.90`, in milliseconds. */
export function formatMsPair(first: number, second: number): string {
  const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
  return `${ms(first)}/${ms(second)}`;
}

/** CPU time (user + system, ms) of these processes so far, from /proc (Linux; NaN elsewhere). */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      return NaN;
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

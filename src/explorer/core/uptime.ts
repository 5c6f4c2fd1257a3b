// A node's uptime timeline from its uptime reports. A report at time t saying "up for u seconds"
// means the node ran from its boot, t − u, until t; it counts as up for 2 uptime intervals after
// t (the status rule) unless a later report shows a new boot sooner. Everything else in the
// window is down. Pure: reports in, segments out (the UI draws them as a bar).
export interface UptimeReport {
  readonly timestampMs: number;
  readonly uptimeSec: number;
}

export interface UptimeSegment {
  readonly startMs: number;
  readonly endMs: number;
  readonly up: boolean;
}

export interface UptimeTimeline {
  readonly segments: readonly UptimeSegment[];
  /** Share of the window the node was up, 0…1. */
  readonly upRatio: number;
}

/** Reports sorted by time; the window is [fromMs, toMs). */
export function uptimeTimeline(reports: readonly UptimeReport[], window: { fromMs: number; toMs: number; uptimeIntervalMs: number }): UptimeTimeline {
  const { fromMs, toMs } = window;
  const ups: Array<[number, number]> = [];
  reports.forEach((report, index) => {
    const boot = report.timestampMs - report.uptimeSec * 1000;
    let end = report.timestampMs + 2 * window.uptimeIntervalMs;
    const next = reports[index + 1];
    if (next !== undefined) {
      const nextBoot = next.timestampMs - next.uptimeSec * 1000;
      // A new boot after this report: the node went down somewhere in between, at the latest then.
      end = nextBoot > report.timestampMs ? Math.min(end, nextBoot) : Math.max(end, next.timestampMs);
    }
    const start = Math.max(boot, fromMs);
    const stop = Math.min(end, toMs);
    if (stop <= start) return;
    const last = ups.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], stop);
    else ups.push([start, stop]);
  });
  const segments: UptimeSegment[] = [];
  let cursor = fromMs;
  let upMs = 0;
  for (const [start, stop] of ups) {
    if (start > cursor) segments.push({ startMs: cursor, endMs: start, up: false });
    segments.push({ startMs: start, endMs: stop, up: true });
    upMs += stop - start;
    cursor = stop;
  }
  if (cursor < toMs) segments.push({ startMs: cursor, endMs: toMs, up: false });
  return { segments, upRatio: toMs > fromMs ? upMs / (toMs - fromMs) : 0 };
}

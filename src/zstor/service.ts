// Service mode: every interval, probe the backends, then scrub every file and repair what it
// finds (rebuilt shards go to healthy backends and the metadata is updated). One pass at a time;
// stops between files when the signal aborts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../base/index.ts';
import type { ScrubReport } from './repair.ts';
import type { Zstor } from './zstor.ts';

export interface PassSummary {
  readonly backendsDown: readonly string[];
  readonly files: number;
  readonly shardsBad: number;
  readonly shardsRepaired: number;
  readonly segmentsLost: number;
  readonly errors: readonly string[];
}

export async function servicePass(zstor: Zstor, options: { signal?: AbortSignal; log?: Logger } = {}): Promise<PassSummary> {
  const status = await zstor.status();
  const backendsDown = [...status.data, ...status.meta].filter((b) => !b.reachable).map((b) => b.id);
  if (backendsDown.length > 0) options.log?.warn('backends down', { backends: backendsDown });
  const reports: ScrubReport[] = [];
  const errors: string[] = [];
  let files: { name: string }[] = [];
  try {
    files = await zstor.list();
  } catch (error) {
    errors.push(`listing: ${(error as Error).message}`);
  }
  for (const file of files) {
    if (options.signal?.aborted === true) break;
    try {
      const [report] = await zstor.scrub(file.name, { repair: true });
      reports.push(report!);
      if (report!.shardsBad > 0) options.log?.info('scrubbed', { name: file.name, bad: report!.shardsBad, repaired: report!.shardsRepaired, lost: report!.segmentsLost });
    } catch (error) {
      errors.push(`${file.name}: ${(error as Error).message}`);
      options.log?.error('scrub failed', { name: file.name, error });
    }
  }
  const sum = (f: (r: ScrubReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  return { backendsDown, files: reports.length, shardsBad: sum((r) => r.shardsBad), shardsRepaired: sum((r) => r.shardsRepaired), segmentsLost: sum((r) => r.segmentsLost), errors };
}

/** Runs passes every `intervalMs` until `signal` aborts. */
export async function runService(zstor: Zstor, options: { intervalMs: number; signal: AbortSignal; log?: Logger; onPass?: (summary: PassSummary) => void }): Promise<void> {
  while (!options.signal.aborted) {
    const summary = await servicePass(zstor, options);
    options.log?.info('service pass', { ...summary });
    options.onPass?.(summary);
    // Abortable wait (a listener added per pass and never removed would pile up on the signal).
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}

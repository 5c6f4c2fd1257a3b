// How commands answer: a human rendering by default, one JSON document with --json.
// Results go to stdout; progress, warnings and errors to stderr, so pipes carry only data.
import { TfgridError } from '../base/index.ts';
import { ExitCode, isUsageCode } from './errors.ts';

export interface Output {
  readonly json: boolean;
  /** Prints a command's result: `human(result)` lines, or the JSON of `result`. */
  result<T>(result: T, human: (result: T) => string): void;
  /** A note for people (stderr); silent in JSON mode. */
  note(text: string): void;
}

export function createOutput(json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Output {
  return {
    json,
    result(result, human) {
      stdout.write(json ? JSON.stringify(result, bigintReplacer) + '\n' : ensureNewline(human(result)));
    },
    note(text) {
      if (!json) stderr.write(ensureNewline(text));
    },
  };
}

/** Prints an error as the contract says and returns the exit code. */
export function reportError(error: unknown, json: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof TfgridError) {
    stderr.write(json ? JSON.stringify({ error: error.toJSON() }) + '\n' : `error: ${error.message}\n`);
    return isUsageCode(error.code) ? ExitCode.usage : ExitCode.failure;
  }
  // Not an operating error: a bug. Show the stack so it can be reported.
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  stderr.write(json ? JSON.stringify({ error: { code: 'INTERNAL', message: text } }) + '\n' : `internal error (a bug in tfgrid): ${text}\n`);
  return ExitCode.failure;
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * A record for people: one `key  value` line per field, keys aligned, nested objects and arrays
 * indented below their key, timestamps (`…Ms` fields) shown as ISO dates.
 */
export function humanRecord(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${indent}${scalar('', value)}`;
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, i) => [`[${i}]`, item]) : Object.entries(value);
  if (entries.length === 0) return `${indent}${Array.isArray(value) ? '(none)' : '{}'}`;
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries
    .map(([key, item]) =>
      item !== null && typeof item === 'object' && Object.keys(item).length > 0
        ? `${indent}${key}\n${humanRecord(item, indent + '  ')}`
        : `${indent}${key.padEnd(width)}  ${scalar(key, item)}`,
    )
    .join('\n');
}

function scalar(key: string, value: unknown): string {
  if (typeof value === 'number' && key.endsWith('Ms') && value > 1e12) return new Date(value).toISOString();
  if (Array.isArray(value)) return '(none)';
  if (value !== null && typeof value === 'object') return '{}';
  return String(value);
}

/** A progress callback for long work: a note on stderr at most every `everyMs` (none with --json). */
export function throttledProgress(output: Output, format: (done: number, total: number | undefined) => string, everyMs = 500): (done: number, total?: number) => void {
  let last = 0;
  let finished = false;
  return (done, total) => {
    const now = Date.now();
    const complete = done === total;
    if ((now - last < everyMs && !complete) || (complete && finished)) return;
    finished = complete;
    last = now;
    output.note(format(done, total));
  };
}

/** Bytes for people: 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

// Load generation for bench/zdb: redis-benchmark runs (parsed from its --csv output) and a
// pipelined prefill so that the GET rows read keys that exist.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { ReplyParser, RespError, encodeCommand } from '../../src/zdb/resp.ts';

export interface Load {
  test: 'set' | 'get';
  requests: number;
  clients: number;
  pipeline: number;
  valueBytes: number;
  /** Keys are `key:` + 12 zero-padded digits of a random number below this. */
  keyspace: number;
}

export interface Measured {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs redis-benchmark once against 127.0.0.1:port and returns its rps and latency quantiles. */
export async function redisBenchmark(port: number, load: Load, binary = 'redis-benchmark'): Promise<Measured> {
  const args = [
    '-h', '127.0.0.1', '-p', String(port), '-t', load.test, '-n', String(load.requests), '-c', String(load.clients),
    '-P', String(load.pipeline), '-d', String(load.valueBytes), '-r', String(load.keyspace), '--csv',
  ];
  const output = await capture(binary, args);
  return parseCsv(output, load.test.toUpperCase());
}

/**
 * redis-benchmark 7 --csv: a header line, then one line per test, every field quoted:
 * "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
 */
export function parseCsv(output: string, test: string): Measured {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('"'));
  const fields = (line: string): string[] => line.slice(1, -1).split('","');
  const header = fields(lines[0] ?? '');
  const row = lines.slice(1).map(fields).find((cells) => cells[0] === test);
  const column = (name: string): number => {
    const index = header.indexOf(name);
    const value = Number(row?.[index]);
    if (index < 0 || row === undefined || !Number.isFinite(value)) throw new Error(`redis-benchmark output has no ${name} for ${test}:\n${output}`);
    return value;
  };
  return { opsPerSec: column('rps'), p50Ms: column('p50_latency_ms'), p99Ms: column('p99_latency_ms') };
}

/**
 * Writes `key:000000000000` .. `key:<count-1>` with redis-benchmark's value (`x` repeated), so
 * that a GET run with `-r count` always hits. Pipelines `depth` commands at a time.
 */
export async function prefill(port: number, count: number, valueBytes: number, depth = 512): Promise<void> {
  const value = Buffer.alloc(valueBytes, 'x');
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const parser = new ReplyParser();
  let waiting: (() => void) | null = null;
  let pending = 0;
  const state: { failure: Error | null } = { failure: null };
  socket.on('data', (chunk: Buffer) => {
    parser.feed(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) {
      if (frame.type === 'error') state.failure = new Error(`prefill: ${frame.message}`);
      else if (frame.value instanceof RespError) state.failure = new Error(`prefill: -${frame.value.message}`);
      pending--;
    }
    if (pending === 0) waiting?.();
  });
  for (let next = 0; next < count && state.failure === null; ) {
    const batch: Buffer[] = [];
    for (; batch.length < depth && next < count; next++) batch.push(encodeCommand(['SET', `key:${String(next).padStart(12, '0')}`, value]));
    pending = batch.length;
    const done = new Promise<void>((resolve) => (waiting = resolve));
    socket.write(Buffer.concat(batch));
    await done;
  }
  socket.destroy();
  if (state.failure !== null) throw state.failure;
}

function capture(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${binary} exited with ${code}: ${stderr}`))));
  });
}

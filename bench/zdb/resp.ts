// bench/zdb/resp.ts: the RESP request parser on the server's hot path, alone. 1M 3-argument
// SETs fed in 64 KiB chunks, best of 5 runs, in commands per second on one core.
import { RequestParser, RespWriter } from '../../src/zdb/resp.ts';
import { formatNumber, machineLine } from '../lib/measure.ts';

const commands = 1_000_000;
const writer = new RespWriter();
for (let i = 0; i < commands; i++) writer.command(['SET', `key:${i % 10000}`, 'v'.repeat(32)]);
const all = writer.takeBuffer();
const chunks: Buffer[] = [];
for (let offset = 0; offset < all.length; offset += 64 * 1024) chunks.push(Buffer.from(all.subarray(offset, offset + 64 * 1024)));

let best = 0;
for (let run = 0; run < 5; run++) {
  const parser = new RequestParser();
  let parsed = 0;
  const started = process.hrtime.bigint();
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let frame = parser.next(); frame !== null; frame = parser.next()) if (frame.type === 'command') parsed++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (parsed !== commands) throw new Error(`parsed ${parsed} of ${commands} commands`);
  best = Math.max(best, commands / seconds);
}
console.log(`bench/zdb/resp — ${machineLine()}`);
console.log(`RequestParser: ${formatNumber(best)} SET commands/s (best of 5 runs of ${formatNumber(commands)}, ${(all.length / commands).toFixed(0)} B each, 64 KiB chunks)`);

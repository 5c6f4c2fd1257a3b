// Periodic snapshots do not stop the chain: a node over a toy machine whose snapshot takes 40
// slices of ~5 ms each keeps making blocks while it is encoded, writes the snapshot of the height
// it began at, and a restart restores from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../crypto/index.ts';
import type { SnapshotSlices } from '../core/seam.ts';
import { openChain, startChainNode, type ChainCore } from './node.ts';
import { ToyMachine, toyCore } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-chain-node-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Heights the machine was at when each snapshot began and when its last slice ran. */
const spans: Array<{ begin: number; end: number }> = [];

class SlowSnapshotMachine extends ToyMachine {
  beginSnapshot(): SnapshotSlices {
    const bytes = this.snapshot();
    const span = { begin: this.height, end: this.height };
    spans.push(span);
    let steps = 0;
    return {
      stateRoot: this.stateRoot(),
      step: () => {
        const until = performance.now() + 5;
        while (performance.now() < until); // a slice of busy work, as encoding is
        span.end = this.height;
        return ++steps >= 40;
      },
      parts: () => [bytes],
      close: () => undefined,
    };
  }
}

test('blocks keep coming while a snapshot is encoded in slices; the snapshot is of the height it began at', async () => {
  const sequencer = Identity.fromSeed('c1'.repeat(32));
  const core: ChainCore = { ...toyCore(sequencer), genesis: () => new SlowSnapshotMachine() };
  const dataDir = join(dir, 'data');
  const node = await startChainNode({ dataDir, core, host: '127.0.0.1', port: 0, blockIntervalMs: 5, idleBlockIntervalMs: 5, snapshotIntervalBlocks: 5, verifyWorkers: 0, fsync: false });
  const snapshotFiles = (): string[] => readdirSync(dataDir).filter((f) => f.startsWith('snapshot-'));
  for (let i = 0; i < 300 && (!spans.some((s) => s.end > s.begin) || snapshotFiles().length === 0); i++) await new Promise((r) => setTimeout(r, 10));
  await node.close();
  const span = spans.find((s) => s.end > s.begin);
  assert.ok(span !== undefined, `blocks were made during a snapshot: ${JSON.stringify(spans)}`);
  const files = snapshotFiles();
  assert.ok(files.length > 0 && files.every((f) => Number(f.slice(9, 21)) % 5 === 0), files.join());
  // A restart takes the newest snapshot (its height, not a later one) and replays the rest.
  const reopened = await openChain({ dataDir, core: toyCore(sequencer) });
  assert.ok(reopened.snapshotHeight > 0 && reopened.snapshotHeight % 5 === 0);
  assert.equal(reopened.machine.stateRoot(), (await reopened.store.readFrom(reopened.store.height, 1))[0]!.stateRoot);
  await reopened.store.close();
});

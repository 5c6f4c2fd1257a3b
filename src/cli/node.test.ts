// `tfgrid node` as a farmer runs it: a usage error (exit 2) without an identity, before anything
// touches the chain or the machine. The node itself is tested end to end in src/zos/node.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tfgrid } from './testing.ts';

test('tfgrid node needs exactly one identity source and a farm', () => {
  const home = mkdtempSync(join(tmpdir(), 'tfgrid-cli-node-'));
  try {
    const none = tfgrid(home, ['node', '--farm', '1']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /CLI_USAGE: give the node identity/);
    const noFarm = tfgrid(home, ['node', '--mnemonic', 'x']);
    assert.notEqual(noFarm.status, 0);
    assert.match(noFarm.stderr, /--farm/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

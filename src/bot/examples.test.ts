// The examples in examples/ stay valid grid.yaml files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec } from './index.ts';

const dir = join(import.meta.dirname, '..', '..', 'examples');

test('every example parses', () => {
  const replicas = ['web.yaml', 'kv.yaml', 'replicated.yaml'].map((file) => {
    const spec = parseSpec(readFileSync(join(dir, file), 'utf8'), file);
    return Object.values(spec.deployments).map((d) => d.replicas);
  });
  assert.deepEqual(replicas, [[1], [1], [3]]);
});

// The node's books read back what they wrote, for every workload type and result state: a
// history the schema refused would stop the node from starting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, tempDir } from '../../base/testing.ts';
import { ResultState, WorkloadType, type Deployment } from '../core/deployment.ts';
import type { Change } from '../core/results.ts';
import { DeploymentStore } from './store.ts';

test('deployment store: every workload type and result state survives save and load', async () => {
  const dir = tempDir('tfgrid-zos-store-');
  try {
    const store = new DeploymentStore(dir);
    const history: Change[] = Object.values(WorkloadType).flatMap((type) =>
      Object.values(ResultState).map((state, i) => ({ name: `${type}${i}`, type, version: 0, created: 1_700_000_000 + i, state, message: '' })));
    const deployment: Deployment = {
      version: 0, twin_id: 7, contract_id: 42, metadata: '', description: '', expiration: 0,
      signature_requirement: { requests: [{ twin_id: 7, required: true, weight: 1 }], weight_required: 1, signatures: [], signature_style: '' },
      workloads: [{ version: 0, name: 'db', type: 'zdb', data: { size: 1, mode: 'user', password: '', public: false }, metadata: '', description: '' }],
    };
    await store.save({ deployment, history });
    const [loaded] = store.loadAll();
    assert.deepEqual(loaded?.history, history);
    assert.equal(loaded?.deployment.contract_id, 42);
  } finally {
    removeDir(dir);
  }
});

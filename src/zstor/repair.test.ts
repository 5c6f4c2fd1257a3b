// Repair over real processes: a 0-db server killed with SIGKILL (a missing backend) is read
// around, and a service pass rebuilds its shards on the surviving backends and rewrites the
// metadata, after which nothing points at the dead server. A full backend is left out of
// placement, and when too few remain the store fails with a typed error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectionCode } from '../base/testing.ts';
import { ZdbClient } from '../zdb/index.ts';
import { servicePass } from './service.ts';
import { Zstor } from './zstor.ts';
import { collect, generated, startCluster } from './testing.ts';

test('a killed server: reads go around it, a service pass moves its shards to healthy backends', async () => {
  const cluster = await startCluster({ servers: 4, backendsPerServer: 2, metaBackends: 3, dataShards: 4, parityShards: 2, segmentBytes: 8192, timeoutMs: 1000 });
  const zstor = Zstor.open(cluster.config);
  try {
    const content = await collect(generated(5 * 8192 + 10, 11));
    await zstor.store('survivor', [content]);
    const dead = cluster.servers[3]!;
    await dead.kill();
    const deadPrefix = `127.0.0.1:${dead.port}/`;
    assert.ok((await collect(await zstor.retrieve('survivor'))).equals(content), 'read around the dead server');
    const pass = await servicePass(zstor);
    assert.deepEqual([...pass.backendsDown].sort(), [`${deadPrefix}d0`, `${deadPrefix}d1`]);
    assert.equal(pass.segmentsLost, 0);
    assert.equal(pass.shardsRepaired, pass.shardsBad);
    const [after] = await zstor.scrub('survivor', { repair: false });
    assert.equal(after!.shardsBad, 0, after!.problems.join('; '));
    assert.ok((await collect(await zstor.retrieve('survivor'))).equals(content));
  } finally {
    zstor.close();
    await cluster.stop();
  }
});

test('a full backend gets no shards; with too few backends left the store is ZSTOR_PLACEMENT_IMPOSSIBLE', async () => {
  const cluster = await startCluster({ servers: 2, backendsPerServer: 3, dataShards: 3, parityShards: 2, segmentBytes: 8192 });
  const zstor = Zstor.open(cluster.config);
  const admin = await ZdbClient.connect({ host: '127.0.0.1', port: cluster.servers[0]!.port }, { timeoutMs: 5000, reconnect: false });
  try {
    await admin.nsset('d0', 'maxsize', 1);
    const content = await collect(generated(20_000, 3));
    await zstor.store('five-of-six', [content]);
    const status = await zstor.status();
    const full = status.data.find((b) => b.id === `127.0.0.1:${cluster.servers[0]!.port}/d0`)!;
    assert.equal(full.entries, 0, 'nothing was written to the full backend');
    assert.ok((await collect(await zstor.retrieve('five-of-six'))).equals(content));
    await admin.nsset('d1', 'maxsize', 1);
    assert.equal(await rejectionCode(zstor.store('no-room', [content])), 'ZSTOR_PLACEMENT_IMPOSSIBLE');
  } finally {
    admin.destroy();
    zstor.close();
    await cluster.stop();
  }
});

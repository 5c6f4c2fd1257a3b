// The devnet as `npm start` runs it: every component a real background process, healthy, the
// ready images unpackable from the hub, and `down` stopping them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../base/testing.ts';
import { ChainClient } from '../chain/index.ts';
import { downloadFlist, findBusybox, unpack } from '../flist/index.ts';
import { createServer } from 'node:net';
import { devnetDown, devnetStatus, devnetUp } from './index.ts';
import { devnetUpOnFreePorts } from './testing.ts';

test('devnet up starts chain, relay, hub with images, the explorer, a 0-db and a node; status sees them; down stops them', { skip: findBusybox() === undefined ? 'busybox-static is not installed' : false }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'tfgrid-devnet-'));
  const dir = join(home, 'devnet');
  try {
    const root = process.getuid?.() === 0;
    const state = await devnetUpOnFreePorts({ dir, userHome: home, nodes: 1, nodePrefix: 'tdn' });
    const { components } = await devnetStatus(dir);
    assert.deepEqual(components.map((c) => [c.name, c.running && c.healthy]), [['chain', true], ['relay', true], ['hub', true], ['explorer', true], ['zdb', true], ...(root ? [['node1', true]] : [])]);
    if (!root) assert.match(state.note ?? '', /need root/);
    else assert.equal((await new ChainClient({ url: state.chain }).node(1))?.farmId, 1, 'the node registered in the devnet farm');
    const stats = await (await fetch(`${state.explorer!}/stats`)).json() as { twins?: number };
    assert.ok((stats.twins ?? 0) >= 3, JSON.stringify(stats));
    const chain = new ChainClient({ url: state.chain });
    assert.equal((await chain.twin(state.twins['demo']!))?.id, state.twins['demo']);
    await downloadFlist(state.images.find((i) => i.name === 'busybox')!.url, join(home, 'busybox.fl'));
    await unpack(join(home, 'busybox.fl'), join(home, 'rootfs'));
    assert.ok(existsSync(join(home, 'rootfs', 'bin', 'sh')));
    await assert.rejects(devnetUp({ dir, basePort: 20_000, userHome: home, nodes: 0 }), { code: 'DEVNET_RUNNING' });
  } finally {
    await devnetDown(dir);
    assert.ok((await devnetStatus(dir)).components.every((c) => !c.running));
    rmSync(home, { recursive: true, force: true });
  }
});

test('devnet up refuses a base port whose ports have a listener, before starting anything', async () => {
  const home = mkdtempSync(join(tmpdir(), 'tfgrid-devnet-'));
  const squatter = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => squatter.listen(port + 2, '127.0.0.1', resolve));
  try {
    // A chain, hub or zdb that is not ours would answer the health check: refused up front.
    await assert.rejects(devnetUp({ dir: join(home, 'devnet'), basePort: port, userHome: home, nodes: 0 }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'DEVNET_PORT_IN_USE');
      assert.match(error.message, new RegExp(`port ${port + 2} already in use`));
      return true;
    });
    assert.deepEqual((await devnetStatus(join(home, 'devnet'))).components, []);
  } finally {
    squatter.close();
    rmSync(home, { recursive: true, force: true });
  }
});

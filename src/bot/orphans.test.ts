// A deploy killed between creating a contract and recording it leaves a contract that bills and
// that no deployment holds. `tfgrid contracts` marks it, and `tfgrid bot` cancels it once older
// than its grace — and nothing else: not a recorded replica's contract, not a contract the bot
// did not make. Storage-only nodes: no root needed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../base/index.ts';
import { ChainClient } from '../chain/index.ts';
import { contracts, contractTag, deployWithRetries, parseSpec, Reconciler, type OrphanReport } from './index.ts';
import { startBotGrid, type BotGrid } from './testing.ts';

let grid: BotGrid;

before(async () => {
  grid = await startBotGrid('d6', 1, { storageOnly: [0] });
});

after(async () => {
  await grid?.stop();
});

test('a contract left by a killed deploy is found and cancelled by the bot; held and foreign ones stay', async () => {
  const session = await grid.session();
  const store = grid.store(session);
  const spec = parseSpec(['version: 1', 'deployments:', '  kv:', '    zdbs:', '      store: {size: 16MiB}', ''].join('\n'));
  const { records } = await deployWithRetries(session, store, spec);
  const held = records[0]!.replicas[0]!.contractId;
  const user = new ChainClient({ url: grid.zg.grid.url, identity: grid.zg.ids.user });
  const nodeId = grid.nodes[0]!.nodeId;
  const make = async (hash: string, data: string): Promise<number> => {
    await user.createNodeContract({ nodeId, deploymentHash: hash, deploymentData: data }, { wait: true });
    return (await user.contractByNodeHash(nodeId, hash))!.id;
  };
  // What a `tfgrid deploy` killed after its contract was included leaves behind.
  const orphan = await make('ab'.repeat(32), contractTag('kv', 0));
  const foreign = await make('cd'.repeat(32), '');
  const rows = await contracts(session, store);
  assert.deepEqual(rows.filter((r) => r.orphan).map((r) => r.id), [orphan]);
  assert.equal(rows.find((r) => r.id === held)?.deployment, 'kv[0]');

  const reported: OrphanReport[] = [];
  const young = new Reconciler(session, store, { log: createLogger({ component: 'bot', level: 'warn' }), orphanGraceMs: 3_600_000, onOrphan: (r) => reported.push(r) });
  await young.tick();
  assert.equal(reported.length, 0, 'within the grace a deploy may still record it');
  const reconciler = new Reconciler(session, store, { log: createLogger({ component: 'bot', level: 'warn' }), orphanGraceMs: 0, onOrphan: (r) => reported.push(r) });
  await reconciler.tick();
  assert.deepEqual(reported, [{ contractId: orphan, tag: 'kv[0]', error: undefined }]);
  assert.equal(await user.contract(orphan), undefined, 'cancelled on the chain');
  assert.notEqual(await user.contract(held), undefined);
  assert.notEqual(await user.contract(foreign), undefined);
  await session.close();
});

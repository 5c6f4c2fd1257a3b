// The hub over real HTTP: publish (signed), list, download and unpack; unsigned, replayed,
// forged and incomplete uploads are refused with codes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Identity } from '../crypto/index.ts';
import { rejectionCode } from '../base/testing.ts';
import { tempDir } from '../zdb/server/testing.ts';
import { BlockCache, downloadFlist, listFlists, packDirectory, pushFlist, signRequest, startHub, unpack } from './index.ts';
import { assertSameTree, describeTree, sampleTree } from './testing.ts';

const work = tempDir('tfgrid-hub-');
const hub = await startHub({ dataDir: join(work, 'hub'), port: 0 });
const publisher = Identity.fromSeed('a7'.repeat(32));

after(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

test('publish an flist, list it by owner and tag, unpack it from the hub alone', async () => {
  sampleTree(join(work, 'src'));
  await packDirectory(join(work, 'src'), join(work, 'app.fl'), { routes: [{ start: 0, end: 255, url: `dir://${join(work, 'local')}` }] });
  const published = await pushFlist(join(work, 'app.fl'), hub.url, publisher, { name: 'app', tags: { kind: 'demo' } });
  assert.ok(published.blocksUploaded > 0);
  assert.equal((await pushFlist(join(work, 'app.fl'), hub.url, publisher, { name: 'app', tags: { kind: 'demo' } })).blocksUploaded, 0, 'a second push sends no block');
  assert.deepEqual((await listFlists(hub.url, { tags: { kind: 'demo' } })).map((f) => f.name), ['app']);
  assert.deepEqual(await listFlists(hub.url, { owner: 'ab'.repeat(32) }), []);
  // The local store is gone: the published copy routes to the hub.
  rmSync(join(work, 'local'), { recursive: true });
  await downloadFlist(published.url, join(work, 'fetched.fl'));
  await unpack(join(work, 'fetched.fl'), join(work, 'out'), { cache: new BlockCache(join(work, 'cache')) });
  assertSameTree(describeTree(join(work, 'out')), describeTree(join(work, 'src')));
});

test('writes without a valid, fresh, unused signature are refused; blocks must match their ids; flists their blocks', async () => {
  const put = (path: string, body: Uint8Array, headers: Record<string, string> = {}) => fetch(`${hub.url}${path}`, { method: 'PUT', body, headers });
  const block = Buffer.from('not really a block');
  const id = (await import('node:crypto')).createHash('sha256').update(block).digest('hex');
  assert.equal((await put(`/blocks/${id}`, block)).status, 401);
  const signed = signRequest(publisher, 'PUT', `/blocks/${id}`, block);
  assert.equal((await put(`/blocks/${id}`, block, signed)).status, 204);
  const replay = await put(`/blocks/${id}`, block, signed);
  assert.equal(replay.status, 401);
  assert.match(await replay.text(), /replay/);
  const stale = signRequest(publisher, 'PUT', `/blocks/${id}`, block, Date.now() - 10 * 60_000);
  assert.equal((await put(`/blocks/${id}`, block, stale)).status, 401);
  const other = Buffer.from('other bytes');
  const forged = await put(`/blocks/${id}`, other, signRequest(publisher, 'PUT', `/blocks/${id}`, block));
  assert.equal(forged.status, 401, 'the signature covers the body');
  const mismatch = await put(`/blocks/${id}`, other, signRequest(publisher, 'PUT', `/blocks/${id}`, other));
  assert.equal(mismatch.status, 400);
  assert.match(await mismatch.text(), /FLIST_BLOCK_CORRUPT/);
  // An flist whose blocks the hub does not have, and a file that is no flist.
  sampleTree(join(work, 'src2'), { seed: 99 });
  await packDirectory(join(work, 'src2'), join(work, 'other.fl'), { routes: [{ start: 0, end: 255, url: `dir://${join(work, 'local2')}` }] });
  const bytes = readFileSync(join(work, 'other.fl'));
  const missing = await put('/flists/other', bytes, signRequest(publisher, 'PUT', '/flists/other', bytes));
  assert.equal(missing.status, 409);
  const junk = Buffer.from('junk');
  assert.equal((await put('/flists/junk', junk, signRequest(publisher, 'PUT', '/flists/junk', junk))).status, 400);
  assert.equal((await fetch(`${hub.url}/flists/${'ab'.repeat(32)}/nothing.fl`)).status, 404);
  assert.equal((await fetch(`${hub.url}/flists?owner=xyz`)).status, 400);
  assert.equal(await rejectionCode(downloadFlist(`${hub.url}/flists/${'ab'.repeat(32)}/nothing.fl`, join(work, 'x.fl'))), 'FLIST_NOT_FOUND');
});

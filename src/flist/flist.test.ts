// flists end to end on real files, real 0-db processes and real tar archives: round trips that
// keep everything, dedup, replicas, damaged blocks, hostile flists, image layers and whiteouts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ZdbClient } from '../zdb/index.ts';
import { startOurZdb, tempDir, type ZdbProcess } from '../zdb/server/testing.ts';
import { rejectionCode } from '../base/testing.ts';
import { BlockCache, inspectFlist, isImageLayout, packArchive, packDirectory, unpack, verifyFlist, type Route } from './index.ts';
import { assertSameTree, describeTree, sampleTree } from './testing.ts';

let zdb: ZdbProcess;
const work = tempDir('tfgrid-flist-');
const dirRoute = (name: string, start = 0, end = 255): Route => ({ start, end, url: `dir://${join(work, name)}` });
const files = (dir: string): string[] => {
  try {
    return readdirSync(dir, { recursive: true }).map(String).filter((p) => statSync(join(dir, p)).isFile());
  } catch {
    return [];
  }
};

before(async () => {
  zdb = await startOurZdb();
  const admin = await ZdbClient.connect({ host: '127.0.0.1', port: zdb.port }, { timeoutMs: 5000, reconnect: false });
  await admin.nsnew('blocks');
  admin.destroy();
});

after(async () => {
  await zdb.stop();
  rmSync(work, { recursive: true, force: true });
});

test('pack → unpack keeps content, modes, owners, times, symlinks, hard links, empty files, fifos, devices and xattrs', async () => {
  const source = join(work, 'src');
  sampleTree(source);
  const flist = join(work, 'sample.fl');
  const stats = await packDirectory(source, flist, { routes: [dirRoute('store')] });
  assert.equal(stats.hardLinks, 2);
  const target = join(work, 'out');
  const result = await unpack(flist, target, { cache: new BlockCache(join(work, 'cache')) });
  assertSameTree(describeTree(target), describeTree(source));
  assert.equal(result.hardLinks, 2);
  assert.equal(statSync(join(target, 'bin', 'tool')).ino, statSync(join(target, 'bin', 'tool-hard')).ino);
  const summary = inspectFlist(flist, { tree: true });
  assert.equal(summary.counts.symlink, 3);
  assert.ok(summary.entries!.some((e) => e.path === '/abs-link' && e.target === '/etc/passwd'));
  assert.deepEqual((await verifyFlist(flist)).problems, []);
});

test('two images sharing files share blocks: the store and the cache hold them once', async () => {
  const a = join(work, 'img-a');
  const b = join(work, 'img-b');
  sampleTree(a, { seed: 7, bigBytes: 3_000_000 });
  sampleTree(b, { seed: 7, bigBytes: 3_000_000 });
  writeFileSync(join(b, 'extra'), 'only in b\n');
  copyFileSync(join(b, 'bin', 'tool'), join(b, 'tool-copy'));
  await packDirectory(a, join(work, 'a.fl'), { routes: [dirRoute('shared')] });
  const before = files(join(work, 'shared')).length;
  const statsB = await packDirectory(b, join(work, 'b.fl'), { routes: [dirRoute('shared')] });
  assert.equal(files(join(work, 'shared')).length, before + 1, 'only the new file became a new block');
  assert.ok(statsB.uniqueBlocks < statsB.blocks, 'a copied file dedupes within the flist');
  const cache = new BlockCache(join(work, 'shared-cache'));
  await unpack(join(work, 'a.fl'), join(work, 'out-a'), { cache });
  const second = await unpack(join(work, 'b.fl'), join(work, 'out-b'), { cache });
  assert.equal(second.blocksFetched, 1);
  assert.ok(second.blocksFromCache > 0);
  assertSameTree(describeTree(join(work, 'out-b')), describeTree(b));
});

test('a damaged cache entry is not served: the block is fetched again and the cache mended', async () => {
  const cacheDir = join(work, 'damaged-cache');
  const cache = new BlockCache(cacheDir);
  await unpack(join(work, 'a.fl'), join(work, 'out-a-cold'), { cache });
  // Flip a byte in every cached block (one-block files included, which were a kernel copy).
  const entries = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  assert.ok(entries.length > 1);
  for (const path of entries) {
    const bytes = readFileSync(path);
    bytes[0] = bytes[0]! ^ 0xff;
    writeFileSync(path, bytes);
  }
  const damaged = await unpack(join(work, 'a.fl'), join(work, 'out-a-damaged'), { cache });
  assert.equal(damaged.blocksFromCache, 0);
  assertSameTree(describeTree(join(work, 'out-a-damaged')), describeTree(join(work, 'img-a')));
  const mended = await unpack(join(work, 'a.fl'), join(work, 'out-a-mended'), { cache });
  assert.equal(mended.blocksFetched, 0, 'the refetched blocks replaced the damaged entries');
});

test('a 0-db store, replicas and split routes: a lost store with a replica still unpacks; damage is detected', async () => {
  const source = join(work, 'src');
  const zdbUrl = `zdb://127.0.0.1:${zdb.port}/blocks`;
  // Replicated: every block in 0-db and in a directory.
  const replicated = join(work, 'replicated.fl');
  await packDirectory(source, replicated, { routes: [{ start: 0, end: 255, url: zdbUrl }, dirRoute('replica')] });
  rmSync(join(work, 'replica'), { recursive: true });
  await unpack(replicated, join(work, 'out-zdb'));
  assertSameTree(describeTree(join(work, 'out-zdb')), describeTree(source));
  // Split: half the ids in each of two directories; losing one loses blocks.
  const split = join(work, 'split.fl');
  await packDirectory(source, split, { routes: [dirRoute('low', 0, 0x7f), dirRoute('high', 0x80, 0xff)] });
  assert.ok(files(join(work, 'low')).length > 0 && files(join(work, 'high')).length > 0);
  // A flipped byte in a block: detected, never written out.
  const victim = join(work, 'low', files(join(work, 'low'))[0]!);
  const bytes = readFileSync(victim);
  bytes[10] = bytes[10]! ^ 0xff;
  writeFileSync(victim, bytes);
  assert.equal(await rejectionCode(unpack(split, join(work, 'out-damaged'))), 'FLIST_BLOCK_CORRUPT');
  assert.equal((await verifyFlist(split)).problems[0]?.code, 'FLIST_BLOCK_CORRUPT');
  rmSync(join(work, 'high'), { recursive: true });
  assert.match((await verifyFlist(split)).problems.map((p) => p.code).join(), /FLIST_BLOCK_MISSING/);
  // The same damage with a replica: served from the good copy.
  const both = join(work, 'both.fl');
  await packDirectory(source, both, { routes: [dirRoute('copy1'), dirRoute('copy2')] });
  for (const name of files(join(work, 'copy1'))) writeFileSync(join(work, 'copy1', name), 'garbage');
  await unpack(both, join(work, 'out-both'));
  assertSameTree(describeTree(join(work, 'out-both')), describeTree(source));
});

test('hostile or damaged flists: clear errors, nothing written outside the target', async () => {
  const source = join(work, 'src');
  const good = join(work, 'good.fl');
  await packDirectory(source, good, { routes: [dirRoute('store')] });
  const outside = join(work, 'outside');
  mkdirSync(outside);
  const variant = (name: string, sql: string): string => {
    const path = join(work, name);
    copyFileSync(good, path);
    const db = new DatabaseSync(path);
    db.exec(sql);
    db.close();
    return path;
  };
  const cases: Array<[string, string, string]> = [
    ['dotdot.fl', "UPDATE entry SET name = '..' WHERE name = 'etc'", 'FLIST_UNSAFE_PATH'],
    ['slash.fl', "UPDATE entry SET name = 'a/../../x' WHERE name = 'empty'", 'FLIST_UNSAFE_PATH'],
    ['under-file.fl', "UPDATE entry SET parent = (SELECT ino FROM entry WHERE name = 'empty') WHERE name = 'hosts'", 'FLIST_UNSAFE_PATH'],
    ['dir-twice.fl', "INSERT INTO entry (parent, name, ino) SELECT ino, 'loop', 1 FROM entry WHERE name = 'etc'", 'FLIST_UNSAFE_PATH'],
    ['short-blocks.fl', "DELETE FROM block WHERE idx = 1", 'FLIST_CORRUPT'],
    ['no-format.fl', "DELETE FROM meta WHERE key = 'format'", 'FLIST_CORRUPT'],
  ];
  for (const [name, sql, code] of cases) {
    const target = join(outside, 'target');
    assert.equal(await rejectionCode(unpack(variant(name, sql), target)), code, name);
    assert.deepEqual(readdirSync(outside).filter((n) => n !== 'target'), [], `${name}: nothing next to the target`);
    rmSync(target, { recursive: true, force: true });
  }
  const truncated = join(work, 'truncated.fl');
  copyFileSync(good, truncated);
  truncateSync(truncated, Math.floor(statSync(good).size / 2));
  assert.equal(await rejectionCode(unpack(truncated, join(work, 'never'))), 'FLIST_CORRUPT');
  writeFileSync(join(work, 'noise.fl'), Buffer.alloc(8192, 7));
  assert.equal(await rejectionCode(unpack(join(work, 'noise.fl'), join(work, 'never'))), 'FLIST_CORRUPT');
  mkdirSync(join(work, 'busy'));
  writeFileSync(join(work, 'busy', 'x'), 'x');
  assert.equal(await rejectionCode(unpack(good, join(work, 'busy'))), 'FLIST_TARGET_NOT_EMPTY');
});

test('without root: device files are refused with FLIST_PRIVILEGED (or skipped on request)', { skip: process.getuid?.() !== 0 ? 'needs root to drop to nobody' : false }, () => {
  const flist = join(work, 'sample.fl');
  chmodSync(work, 0o755);
  const target = join(tempDir('tfgrid-unpriv-'), 'out');
  chmodSync(join(target, '..'), 0o777);
  const script = `import { unpack } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
    try { await unpack(${JSON.stringify(flist)}, ${JSON.stringify(target)}); console.log('unpacked'); } catch (e) { console.log(e.code); }
    const r = await unpack(${JSON.stringify(flist)}, ${JSON.stringify(target)}, { devices: 'skip' }); console.log(r.ownership);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  assert.deepEqual(run.stdout.trim().split('\n'), ['FLIST_PRIVILEGED', 'kept'], run.stderr);
});

test('images: docker save with whiteouts and an opaque directory, OCI layout with gzip layers, a rootfs tarball', async () => {
  const layers = join(work, 'layers');
  const l1 = join(layers, 'l1');
  const l2 = join(layers, 'l2');
  mkdirSync(join(l1, 'app', 'old'), { recursive: true });
  writeFileSync(join(l1, 'app', 'keep'), 'keep\n');
  writeFileSync(join(l1, 'app', 'gone'), 'gone\n');
  writeFileSync(join(l1, 'app', 'old', 'stale'), 'stale\n');
  mkdirSync(join(l1, 'long'.repeat(30)), { recursive: true });
  writeFileSync(join(l1, 'long'.repeat(30), 'deep-file-with-a-long-name'.repeat(4)), 'long names\n');
  execFileSync('setfattr', ['-n', 'user.layer', '-v', 'one', join(l1, 'app', 'keep')]);
  mkdirSync(join(l2, 'app', 'old'), { recursive: true });
  writeFileSync(join(l2, 'app', '.wh.gone'), '');
  writeFileSync(join(l2, 'app', 'old', '.wh..wh..opq'), '');
  writeFileSync(join(l2, 'app', 'old', 'fresh'), 'fresh\n');
  writeFileSync(join(l2, 'app', 'new'), 'new\n');
  const image = join(layers, 'image');
  mkdirSync(image);
  execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=user.*', '-cf', join(image, 'l1.tar'), '-C', l1, '.']);
  execFileSync('tar', ['--format=gnu', '-cf', join(image, 'l2.tar'), '-C', l2, '.']);
  writeFileSync(join(image, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: ['app:1'], Layers: ['l1.tar', 'l2.tar'] }]));
  writeFileSync(join(image, 'config.json'), '{}');
  execFileSync('tar', ['-cf', join(work, 'docker.tar'), '-C', image, '.']);
  const expectLayers = (dir: string): void => {
    assert.equal(readFileSync(join(dir, 'app', 'keep'), 'utf8'), 'keep\n');
    assert.deepEqual(readdirSync(join(dir, 'app')).sort(), ['keep', 'new', 'old']);
    assert.deepEqual(readdirSync(join(dir, 'app', 'old')), ['fresh']);
    assert.equal(readFileSync(join(dir, 'long'.repeat(30), 'deep-file-with-a-long-name'.repeat(4)), 'utf8'), 'long names\n');
  };
  await packArchive(join(work, 'docker.tar'), join(work, 'docker.fl'), { routes: [dirRoute('images')] });
  await unpack(join(work, 'docker.fl'), join(work, 'out-docker'));
  expectLayers(join(work, 'out-docker'));
  assert.match(execFileSync('getfattr', ['-n', 'user.layer', join(work, 'out-docker', 'app', 'keep')], { encoding: 'utf8' }), /user.layer="one"/);
  // OCI layout, gzip layers, addressed by digest.
  const oci = join(layers, 'oci');
  mkdirSync(join(oci, 'blobs', 'sha256'), { recursive: true });
  const blob = (bytes: Buffer): string => {
    const digest = execFileSync('sha256sum', { input: bytes, encoding: 'utf8' }).slice(0, 64);
    writeFileSync(join(oci, 'blobs', 'sha256', digest), bytes);
    return `sha256:${digest}`;
  };
  const gz = (tar: string): Buffer => execFileSync('gzip', ['-c', tar]);
  const manifest = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ digest: blob(gz(join(image, 'l1.tar'))) }, { digest: blob(gz(join(image, 'l2.tar'))) }] })));
  writeFileSync(join(oci, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ digest: manifest }] }));
  writeFileSync(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  execFileSync('tar', ['-cf', join(work, 'oci.tar'), '-C', oci, '.']);
  await packArchive(join(work, 'oci.tar'), join(work, 'oci.fl'), { routes: [dirRoute('images')] });
  await unpack(join(work, 'oci.fl'), join(work, 'out-oci'));
  expectLayers(join(work, 'out-oci'));
  // The same layout as a directory.
  assert.ok(isImageLayout(oci));
  await packArchive(oci, join(work, 'oci-dir.fl'), { routes: [dirRoute('images')] });
  await unpack(join(work, 'oci-dir.fl'), join(work, 'out-oci-dir'));
  expectLayers(join(work, 'out-oci-dir'));
  // A plain rootfs tarball is one layer (pax keeps times in nanoseconds).
  execFileSync('tar', ['--format=posix', '--xattrs', '--xattrs-include=user.*', '-cf', join(work, 'rootfs.tar'), '-C', join(work, 'src'), '.']);
  await packArchive(join(work, 'rootfs.tar'), join(work, 'rootfs.fl'), { routes: [dirRoute('images')] });
  await unpack(join(work, 'rootfs.fl'), join(work, 'out-rootfs'));
  assertSameTree(describeTree(join(work, 'out-rootfs')), describeTree(join(work, 'src')));
  // Damaged archives: a clear error.
  const broken = join(work, 'broken.tar');
  writeFileSync(broken, readFileSync(join(work, 'rootfs.tar')).subarray(0, 1500));
  assert.equal(await rejectionCode(packArchive(broken, join(work, 'broken.fl'), { routes: [dirRoute('images')] })), 'FLIST_SOURCE');
  const garbage = Buffer.alloc(2048, 0x41);
  writeFileSync(join(work, 'garbage.tar'), garbage);
  assert.equal(await rejectionCode(packArchive(join(work, 'garbage.tar'), join(work, 'garbage.fl'), { routes: [dirRoute('images')] })), 'FLIST_SOURCE');
});

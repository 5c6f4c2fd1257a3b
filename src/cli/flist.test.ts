// `tfgrid flist` and `tfgrid hub` as a user runs them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../base/testing.ts';
import { findBusybox } from '../flist/index.ts';
import { cliMain, tfgrid, json } from './testing.ts';

const home = mkdtempSync(join(tmpdir(), 'tfgrid-cli-flist-'));
after(() => rmSync(home, { recursive: true, force: true }));

test('flist images, inspect, unpack, verify; hub serve, push, list; unpack from the hub URL', { skip: findBusybox() === undefined ? 'busybox-static is not installed' : false }, async () => {
  const store = `dir://${join(home, 'store')}`;
  assert.equal(tfgrid(home, ['identity', 'new']).status, 0);
  const images = json<Array<{ name: string; path: string }>>(tfgrid(home, ['flist', 'images', '--out', join(home, 'images'), '--store', store, '--json']));
  assert.deepEqual(images.map((i) => i.name), ['busybox', 'httpd']);
  const summary = json<{ tags: Record<string, string>; counts: { file: number } }>(tfgrid(home, ['flist', 'inspect', join(home, 'images', 'httpd.fl'), '--json']));
  assert.equal(summary.tags['entrypoint'], '/bin/httpd -f -p 80 -h /www');
  const out = join(home, 'rootfs');
  assert.match(tfgrid(home, ['flist', 'unpack', join(home, 'images', 'busybox.fl'), out]).stdout, /blocks: 0 from the cache, \d+ fetched/);
  assert.ok(existsSync(join(out, 'bin', 'sh')));
  assert.match(tfgrid(home, ['flist', 'verify', join(home, 'images', 'busybox.fl')]).stdout, /^ok: \d+ blocks/);
  const busy = tfgrid(home, ['flist', 'unpack', join(home, 'images', 'busybox.fl'), out]);
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /FLIST_TARGET_NOT_EMPTY/);
  assert.equal(tfgrid(home, ['flist', 'pack', join(home, 'nowhere'), '-o', 'x.fl', '--store', store]).status, 1);
  assert.equal(tfgrid(home, ['flist', 'pack', out, '-o', join(home, 'x.fl'), '--store', 'ftp://x']).status, 2);

  const port = await freePort();
  const hub = spawn(process.execPath, [cliMain, 'hub', '--port', String(port), '--data', join(home, 'hub')], { env: { PATH: process.env['PATH'] ?? '', TFGRID_HOME: home }, stdio: 'ignore' });
  try {
    await waitForPort(port, 15_000);
    const hubUrl = `http://127.0.0.1:${port}`;
    const pushed = json<{ url: string; blocksUploaded: number }>(tfgrid(home, ['hub', 'push', join(home, 'images', 'httpd.fl'), '--hub', hubUrl, '--tag', 'kind=web', '--json']));
    assert.ok(pushed.blocksUploaded > 0);
    assert.match(tfgrid(home, ['hub', 'list', '--hub', hubUrl, '--tag', 'kind=web']).stdout, /^httpd /);
    const fromHub = join(home, 'from-hub');
    assert.equal(tfgrid(home, ['flist', 'unpack', pushed.url, fromHub]).status, 0);
    assert.ok(existsSync(join(fromHub, 'www', 'index.html')));
  } finally {
    hub.kill('SIGTERM');
  }
});

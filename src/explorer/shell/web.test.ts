// The web UI in a real browser: Debian's chromium, headless, driven by playwright-core, against a
// `tfgrid explorer` process indexing a `tfgrid chain` process that holds the sample grid. The
// test filters nodes through the form and checks the table, sorts it, opens a node (resource
// bars, uptime, map) and the statistics page, and saves screenshots (laptop and phone) in
// $TFGRID_SCREENSHOTS or <tmp>/tfgrid-explorer-screenshots. Skipped when chromium is missing
// (.ci/run installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTfgrid } from '../../cli/testing.ts';
import { startSampleGrid, type SampleGrid } from '../testing.ts';
import { ensureWebBuilt } from './web-build.ts';

const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const screenshots = process.env['TFGRID_SCREENSHOTS'] ?? join(tmpdir(), 'tfgrid-explorer-screenshots');

async function rows(page: Page): Promise<string[]> {
  const ids: string[] = [];
  for (const row of await page.locator('table.nodes tbody tr').all()) ids.push((await row.getAttribute('data-node')) ?? '');
  return ids;
}

test('the node finder filters and sorts, the node page shows resources, uptime and the map, in headless chromium', { skip: chromiumPath === undefined ? 'no chromium (apt-get install chromium)' : false }, async (t) => {
  ensureWebBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'tfgrid-explorer-web-'));
  // Stopped in reverse order of starting, whatever fails.
  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const grid: SampleGrid = await startSampleGrid(join(dir, 'chain'));
  cleanups.push(() => grid.chain.stop());
  const explorer = await startTfgrid<{ url: string }>(['explorer', '--chain', grid.chain.url, '--db', join(dir, 'index.sqlite'), '--port', '0'], { home: join(dir, 'home') });
  cleanups.push(() => explorer.stop());
  const url = explorer.ready.url;
  mkdirSync(screenshots, { recursive: true });
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath!, headless: true, args: ['--no-sandbox'] });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const node = grid.nodes.map((n) => String(n.id));

  await page.goto(`${url}/#/nodes`);
  // The finder opens on nodes up; the index may still be catching up, so wait for the count.
  await page.getByTestId('node-count').filter({ hasText: '8 nodes match' }).waitFor({ timeout: 20_000 });
  await page.locator('input[name="country"]').fill('Belgium');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByTestId('node-count').filter({ hasText: '2 nodes match' }).waitFor();
  assert.deepEqual(await rows(page), [node[0], node[1]]);
  assert.equal(await page.locator(`tr[data-node="${node[0]}"] td[data-label="City"]`).textContent(), 'Ghent');
  // Sort by free CPU, twice: descending puts the 16-core node first.
  await page.getByRole('button', { name: 'Free CPU' }).click();
  await page.getByRole('button', { name: 'Free CPU ▲' }).click();
  await page.locator(`table.nodes tbody tr:first-child[data-node="${node[1]}"]`).waitFor();
  assert.deepEqual(await rows(page), [node[1], node[0]]);
  await page.screenshot({ path: join(screenshots, 'nodes-filtered.png'), fullPage: true });

  // Free RAM ≥ 100 GiB over every status: the two large nodes.
  await page.locator('input[name="country"]').fill('');
  await page.locator('select[name="status"]').selectOption('');
  await page.locator('input[name="free_mru"]').fill('100');
  await page.getByRole('button', { name: 'Search' }).click();
  // Same count as before: wait for the rows themselves to change.
  await page.locator(`tr[data-node="${node[3]}"]`).waitFor();
  assert.deepEqual([...await rows(page)].sort(), [node[3], node[6]].sort());

  await page.locator(`tr[data-node="${node[3]}"] a`).click();
  await page.getByRole('heading', { name: `Node ${node[3]}` }).waitFor();
  await page.locator('.resource[data-resource="CPU"]').waitFor();
  assert.equal(await page.locator('svg.map circle.pin').count(), 1);
  assert.ok(await page.locator('.uptime span.up').count() >= 1);
  await page.screenshot({ path: join(screenshots, 'node-detail.png'), fullPage: true });

  await page.goto(`${url}/#/`);
  await page.locator('[data-stat="nodes up"] .card-value').filter({ hasText: '8' }).waitFor();
  await page.screenshot({ path: join(screenshots, 'statistics.png'), fullPage: true });

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await phone.goto(`${url}/#/nodes`);
  await phone.getByTestId('node-count').filter({ hasText: 'nodes match' }).waitFor();
  await phone.screenshot({ path: join(screenshots, 'nodes-phone.png'), fullPage: true });
  t.diagnostic(`screenshots in ${screenshots}`);
});

// The web UI's static files: web/dist, built by Vite from web/ (never committed). Whoever starts
// the explorer gets a UI: when the build output is missing it is built here, once, with the
// project's own Vite (a dev dependency; without it the API still runs and / says how to build).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TfgridError, type Logger } from '../../base/index.ts';
import { ExplorerError } from '../errors.ts';

export const webRoot = join(import.meta.dirname, '..', '..', '..', 'web');
export const webDistDefault = join(webRoot, 'dist');
const viteBin = join(webRoot, '..', 'node_modules', 'vite', 'bin', 'vite.js');

export function webBuilt(dist: string): boolean {
  return existsSync(join(dist, 'index.html'));
}

/** Builds web/dist unless it exists; returns its path. */
export function ensureWebBuilt(options: { dist?: string; log?: Logger } = {}): string {
  const dist = options.dist ?? webDistDefault;
  if (webBuilt(dist)) return dist;
  if (!existsSync(viteBin)) throw new TfgridError(ExplorerError.WEB_NOT_BUILT, `${dist} is missing and Vite is not installed: run npm install, then npm run build:web`);
  options.log?.info('building the web UI', { dist });
  const result = spawnSync(process.execPath, [viteBin, 'build', '--config', join(webRoot, 'vite.config.ts'), '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], { cwd: webRoot, encoding: 'utf8' });
  if (result.status !== 0 || !webBuilt(dist)) throw new TfgridError(ExplorerError.WEB_NOT_BUILT, `vite build failed (exit ${String(result.status)}): ${(result.stderr || result.stdout).slice(-2000)}`);
  return dist;
}

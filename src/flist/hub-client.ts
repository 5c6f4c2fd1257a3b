// Talking to a hub: publish an flist (its missing blocks first, fetched from the flist's own
// routes, then a copy of the flist routed to the hub), list what is published, download an flist.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TfgridError, createLogger, type Logger } from '../base/index.ts';
import type { Identity } from '../crypto/index.ts';
import { FlistError } from './errors.ts';
import { Flist, type Route } from './format.ts';
import { signRequest, type HubFlist } from './hub.ts';
import { runPool } from './pack.ts';
import { BlockRouter } from './stores.ts';

export interface PushOptions {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Where to read the blocks the hub lacks (default: the flist's routes). */
  readonly routes?: readonly Route[];
  readonly logger?: Logger;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function pushFlist(flistPath: string, hubUrl: string, identity: Identity, options: PushOptions): Promise<HubFlist & { blocksUploaded: number }> {
  const hub = hubUrl.replace(/\/+$/, '');
  const logger = options.logger ?? createLogger({ component: 'hub' });
  const flist = Flist.open(flistPath);
  let ids: Map<string, Buffer>;
  let routes: Route[];
  try {
    ids = new Map(flist.allBlocks().map((block) => [block.id.toString('hex'), block.id]));
    routes = flist.routes();
  } finally {
    flist.close();
  }
  const missing = (await call<{ missing: string[] }>(`${hub}/blocks/missing`, { method: 'POST', body: JSON.stringify([...ids.keys()]) })).missing;
  const router = await BlockRouter.open(options.routes ?? routes, { logger });
  let done = 0;
  try {
    await runPool(missing, 8, async (hex) => {
      const cipher = await router.get(ids.get(hex) ?? Buffer.from(hex, 'hex'));
      const path = `/blocks/${hex}`;
      await call(`${hub}${path}`, { method: 'PUT', body: new Uint8Array(cipher), headers: signRequest(identity, 'PUT', path, cipher) });
      options.onProgress?.(++done, missing.length);
    });
  } finally {
    await router.close();
  }
  // The published copy names the hub as its one route, so anyone can unpack it from there.
  const dir = await mkdtemp(join(tmpdir(), 'tfgrid-push-'));
  try {
    const copy = join(dir, 'copy.fl');
    await copyFile(flistPath, copy);
    const db = new DatabaseSync(copy);
    try {
      db.exec('DELETE FROM route');
      db.prepare('INSERT INTO route (start, end, url) VALUES (0, 255, ?)').run(hub);
    } finally {
      db.close();
    }
    const bytes = await readFile(copy);
    const query = Object.entries(options.tags ?? {}).map(([key, value]) => `tag=${encodeURIComponent(`${key}=${value}`)}`).join('&');
    const path = `/flists/${encodeURIComponent(options.name)}${query === '' ? '' : `?${query}`}`;
    const entry = await call<HubFlist>(`${hub}${path}`, { method: 'PUT', body: new Uint8Array(bytes), headers: signRequest(identity, 'PUT', path, bytes) });
    return { ...entry, blocksUploaded: missing.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function listFlists(hubUrl: string, filter: { owner?: string; tags?: Readonly<Record<string, string>> } = {}): Promise<HubFlist[]> {
  const params = new URLSearchParams();
  if (filter.owner !== undefined) params.set('owner', filter.owner);
  for (const [key, value] of Object.entries(filter.tags ?? {})) params.append('tag', `${key}=${value}`);
  return (await call<{ flists: HubFlist[] }>(`${hubUrl.replace(/\/+$/, '')}/flists${params.size === 0 ? '' : `?${params.toString()}`}`, { method: 'GET' })).flists;
}

/** Downloads an flist (by its hub URL) to `path`. */
export async function downloadFlist(url: string, path: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new TfgridError(FlistError.STORE, `${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 404) throw new TfgridError(FlistError.NOT_FOUND, `${url}: no such flist`);
  if (!response.ok) throw new TfgridError(FlistError.STORE, `${url}: HTTP ${response.status}`);
  await writeFile(path, Buffer.from(await response.arrayBuffer()));
  Flist.open(path).close(); // a hub that served something else is caught here
}

async function call<T = unknown>(url: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new TfgridError(FlistError.STORE, `${url}: ${(error as Error).message}`, { cause: error });
  }
  const text = await response.text();
  if (!response.ok) {
    let code: string = FlistError.STORE;
    let message = `HTTP ${response.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      code = parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // not JSON: keep the status
    }
    throw new TfgridError(code, `${url}: ${message}`);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

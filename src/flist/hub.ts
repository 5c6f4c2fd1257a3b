// The hub: an HTTP service where twins publish flists and their blocks and anyone downloads them
// (nodes fetch images from it). Writes are signed by the publisher's Ed25519 key — over the
// method, path, time and body hash — fresh (±5 min) and never replayed; blocks are checked
// against their ids, flists are opened and must name only blocks the hub holds. Reads are open.
//
//   PUT  /blocks/:id                 (signed) a block's ciphertext; 400 if it does not hash to :id
//   POST /blocks/missing             ids (hex, JSON array) → the ones the hub lacks
//   GET|HEAD /blocks/:id
//   PUT  /flists/:name?tag=k=v…      (signed) an flist file; stored under the signer's key
//   GET  /flists?owner=&tag=k=v      the list, newest first
//   GET  /flists/:owner/:name        the flist file
//   GET  /health
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Hono, type Context } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { z } from 'zod';
import { TfgridError, createLogger, isTfgridError, type Logger } from '../base/index.ts';
import { digestOf, fromHex, toHex, verifyEd25519, type Identity } from '../crypto/index.ts';
import { blockMatches } from './blocks.ts';
import { FlistError } from './errors.ts';
import { Flist } from './format.ts';
import { DirStore } from './stores.ts';

export const hubRequestDomain = 'tfgrid/hub/request/v1';
const clockSkewMs = 5 * 60_000;
const blockBodyMax = 1024 * 1024;
const flistBodyMax = 256 * 1024 * 1024;
const nameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a name is 1–128 of [A-Za-z0-9._-]');
const hexId = z.string().regex(/^[0-9a-f]{64}$/, 'a block id is 32 bytes of lowercase hex');
const tagSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}=.{0,256}$/s, 'a tag is key=value');

export interface HubOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly host?: string;
  readonly logger?: Logger;
  /** Maps a publisher's key to its twin (from the chain); when given, unknown keys are refused. */
  readonly twinOf?: (publicKeyHex: string) => Promise<number | undefined>;
}

export interface Hub {
  readonly url: string;
  close(): Promise<void>;
}

export interface HubFlist {
  readonly owner: string;
  readonly twin: number | null;
  readonly name: string;
  readonly tags: Record<string, string>;
  readonly size: number;
  readonly sha256: string;
  readonly createdMs: number;
  readonly url: string;
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const logger = options.logger ?? createLogger({ component: 'hub' });
  await mkdir(join(options.dataDir, 'flists'), { recursive: true });
  const blocks = new DirStore(join(options.dataDir, 'blocks'));
  const db = new DatabaseSync(join(options.dataDir, 'hub.sqlite'));
  db.exec(`PRAGMA journal_mode=WAL;
    CREATE TABLE IF NOT EXISTS flist (owner TEXT NOT NULL, name TEXT NOT NULL, twin INTEGER, tags TEXT NOT NULL, size INTEGER NOT NULL,
      sha256 TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (owner, name)) WITHOUT ROWID;`);
  const seen = new Map<string, number>(); // signature → expiry, against replays within the clock window
  const app = new Hono();
  let baseUrl = '';

  app.onError((error, c) => {
    if (isTfgridError(error)) {
      const status = error.code === FlistError.DENIED ? 401 : error.code === FlistError.NOT_FOUND ? 404 : error.code === FlistError.BLOCK_MISSING ? 409 : 400;
      return c.json({ error: { code: error.code, message: error.detail, ...(error.details === undefined ? {} : { details: error.details }) } }, status);
    }
    logger.error('hub request failed', { error: (error).message });
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });

  const authenticate = async (c: Context, body: Uint8Array): Promise<{ owner: string; twin: number | null }> => {
    const key = c.req.header('x-tfgrid-key') ?? '';
    const time = Number(c.req.header('x-tfgrid-time'));
    const signature = c.req.header('x-tfgrid-signature') ?? '';
    if (!/^[0-9a-f]{64}$/.test(key) || !/^[0-9a-f]{128}$/.test(signature) || !Number.isSafeInteger(time)) {
      throw new TfgridError(FlistError.DENIED, 'a write needs X-Tfgrid-Key, X-Tfgrid-Time and X-Tfgrid-Signature');
    }
    if (Math.abs(Date.now() - time) > clockSkewMs) throw new TfgridError(FlistError.DENIED, 'request time is more than 5 minutes from the hub clock');
    const digest = requestDigest(c.req.method, new URL(c.req.url).pathname + new URL(c.req.url).search, time, body);
    if (!verifyEd25519(fromHex(key, 32), digest, fromHex(signature, 64))) throw new TfgridError(FlistError.DENIED, 'signature does not verify');
    const now = Date.now();
    for (const [sig, expiry] of seen) if (expiry < now) seen.delete(sig);
    if (seen.has(signature)) throw new TfgridError(FlistError.DENIED, 'this request was already made (replay)');
    seen.set(signature, time + clockSkewMs);
    const twin = options.twinOf === undefined ? null : ((await options.twinOf(key)) ?? null);
    if (options.twinOf !== undefined && twin === null) throw new TfgridError(FlistError.DENIED, `key ${key.slice(0, 16)}… is not a twin on the chain`);
    return { owner: key, twin };
  };

  const body = async (c: Context, max: number): Promise<Buffer> => {
    const length = Number(c.req.header('content-length') ?? NaN);
    if (Number.isFinite(length) && length > max) throw new TfgridError(FlistError.INVALID, `body of ${length} bytes is over ${max}`);
    const bytes = Buffer.from(await c.req.arrayBuffer());
    if (bytes.length > max) throw new TfgridError(FlistError.INVALID, `body of ${bytes.length} bytes is over ${max}`);
    return bytes;
  };

  const param = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new TfgridError(FlistError.INVALID, `${what}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  };

  app.get('/health', (c) => c.json({ ok: true }));

  app.put('/blocks/:id', async (c) => {
    const id = Buffer.from(param(hexId, c.req.param('id'), 'block id'), 'hex');
    const bytes = await body(c, blockBodyMax);
    await authenticate(c, bytes);
    if (!blockMatches(id, bytes)) throw new TfgridError(FlistError.BLOCK_CORRUPT, 'the body does not hash to the block id');
    if (!(await blocks.has(id))) await blocks.put(id, bytes);
    return c.body(null, 204);
  });

  app.post('/blocks/missing', async (c) => {
    const ids = param(z.array(hexId).max(100_000), JSON.parse((await body(c, 8 * 1024 * 1024)).toString('utf8') || 'null') as unknown, 'ids');
    const missing: string[] = [];
    for (const id of ids) if (!(await blocks.has(Buffer.from(id, 'hex')))) missing.push(id);
    return c.json({ missing });
  });

  app.on(['GET', 'HEAD'], '/blocks/:id', async (c) => {
    const bytes = await blocks.get(Buffer.from(param(hexId, c.req.param('id'), 'block id'), 'hex'));
    if (bytes === null) throw new TfgridError(FlistError.NOT_FOUND, 'no such block');
    return c.body(new Uint8Array(bytes), 200, { 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable' });
  });

  app.put('/flists/:name', async (c) => {
    const name = param(nameSchema, c.req.param('name'), 'flist name');
    const tags = Object.fromEntries(c.req.queries('tag')?.map((tag) => param(tagSchema, tag, 'tag')).map((tag) => [tag.slice(0, tag.indexOf('=')), tag.slice(tag.indexOf('=') + 1)]) ?? []);
    const bytes = await body(c, flistBodyMax);
    const { owner, twin } = await authenticate(c, bytes);
    const dir = join(options.dataDir, 'flists', owner);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${name}.${process.pid}.upload`);
    await writeFile(temp, bytes);
    try {
      // It must be an flist, and every block it names must be here already.
      const flist = Flist.open(temp);
      let missing: string[];
      try {
        flist.inodes();
        flist.entries();
        const ids = new Set(flist.allBlocks().map((block) => block.id.toString('hex')));
        missing = [];
        for (const id of ids) if (!(await blocks.has(Buffer.from(id, 'hex')))) missing.push(id);
      } finally {
        flist.close();
      }
      if (missing.length > 0) throw new TfgridError(FlistError.BLOCK_MISSING, `${missing.length} block(s) of this flist are not on the hub: upload them first`, { details: { missing: missing.slice(0, 100) } });
      await rename(temp, join(dir, `${name}.fl`));
    } finally {
      await rm(temp, { force: true });
    }
    db.prepare(`INSERT INTO flist (owner, name, twin, tags, size, sha256, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (owner, name) DO UPDATE SET twin = excluded.twin, tags = excluded.tags, size = excluded.size, sha256 = excluded.sha256, created_ms = excluded.created_ms`)
      .run(owner, name, twin, JSON.stringify(tags), bytes.length, createHash('sha256').update(bytes).digest('hex'), Date.now());
    logger.info('flist published', { owner, name, size: bytes.length });
    return c.json(entryOf({ owner, name, twin, tags: JSON.stringify(tags), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), created_ms: Date.now() }), 201);
  });

  app.get('/flists', (c) => {
    const owner = c.req.query('owner');
    const tags = c.req.queries('tag')?.map((tag) => param(tagSchema, tag, 'tag')) ?? [];
    const rows = (owner === undefined
      ? db.prepare('SELECT * FROM flist ORDER BY created_ms DESC').all()
      : db.prepare('SELECT * FROM flist WHERE owner = ? ORDER BY created_ms DESC').all(param(z.string().regex(/^[0-9a-f]{64}$/), owner, 'owner'))) as unknown as FlistRow[];
    const entries = rows.map(entryOf).filter((entry) => tags.every((tag) => entry.tags[tag.slice(0, tag.indexOf('='))] === tag.slice(tag.indexOf('=') + 1)));
    return c.json({ flists: entries });
  });

  app.get('/flists/:owner/:name', async (c) => {
    const owner = param(z.string().regex(/^[0-9a-f]{64}$/), c.req.param('owner'), 'owner');
    const name = param(nameSchema, c.req.param('name').replace(/\.fl$/, ''), 'flist name');
    try {
      return c.body(new Uint8Array(await readFile(join(options.dataDir, 'flists', owner, `${name}.fl`))), 200, { 'content-type': 'application/x-tfgrid-flist' });
    } catch {
      throw new TfgridError(FlistError.NOT_FOUND, `no flist ${name} by ${owner.slice(0, 16)}…`);
    }
  });

  interface FlistRow { owner: string; name: string; twin: number | null; tags: string; size: number; sha256: string; created_ms: number }
  function entryOf(row: FlistRow): HubFlist {
    return { owner: row.owner, twin: row.twin, name: row.name, tags: JSON.parse(row.tags) as Record<string, string>, size: row.size, sha256: row.sha256, createdMs: row.created_ms, url: `${baseUrl}/flists/${row.owner}/${row.name}.fl` };
  }

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host ?? '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
  logger.info('listening', { url: baseUrl });
  return {
    url: baseUrl,
    close: () => new Promise<void>((resolve) => {
      server.close(() => {
        db.close();
        resolve();
      });
    }),
  };
}

/** What a hub write's signature covers. */
export function requestDigest(method: string, pathAndQuery: string, timeMs: number, body: Uint8Array): Uint8Array {
  return digestOf(hubRequestDomain, { method, path: pathAndQuery, timeMs, body: createHash('sha256').update(body).digest('hex') });
}

/** Headers for a signed hub write. */
export function signRequest(identity: Identity, method: string, pathAndQuery: string, body: Uint8Array, timeMs = Date.now()): Record<string, string> {
  return {
    'x-tfgrid-key': identity.publicKeyHex,
    'x-tfgrid-time': String(timeMs),
    'x-tfgrid-signature': toHex(identity.sign(requestDigest(method, pathAndQuery, timeMs, body))),
  };
}

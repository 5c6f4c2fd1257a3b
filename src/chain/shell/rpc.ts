// The chain's HTTP JSON API (routes and examples in the README "RPC"). Hono, because it has no
// dependencies and speaks Web-standard Request/Response: tests drive the app in-process with
// app.request(), and @hono/node-server binds it to a socket. Every input is checked with zod;
// every error is {error:{code,message}} with the status of rpc-errors.ts; bodies are bounded.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import type { SignedTx } from '../core/seam.ts';
import type { BlockStore } from './block-store.ts';
import { ChainShellError } from './errors.ts';
import { httpStatusOf } from './rpc-errors.ts';
import type { Sequencer } from './sequencer.ts';
import { listKinds, type ChainView, type ListKind } from './view.ts';

export const txBodyBytesMax = 256 * 1024;
export const batchBodyBytesMax = 32 * 2 ** 20;
export const batchTxsMax = 10_000;
export const pageLimitMax = 1_000;
export const waitTimeoutMsMax = 120_000;
export const blocksPerRequestMax = 100;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes * 2} lowercase hex digits`);
export const SignedTxSchema = z.object({
  type: z.string().regex(/^[a-z][a-zA-Z0-9.]{0,63}$/, 'a transaction type such as "transfer"'),
  signer: hex(32),
  nonce: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  payload: z.unknown(),
  signature: hex(64),
}).strict();
const BatchSchema = z.object({ transactions: z.array(SignedTxSchema).min(1).max(batchTxsMax) }).strict();
const WaitQuery = z.object({ wait: z.enum(['true', 'false']).optional(), timeoutMs: z.coerce.number().int().min(1).max(waitTimeoutMsMax).optional() });
const Id = z.coerce.number().int().min(0).max(2 ** 32);
const Height = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Hash = hex(32);
const Address = hex(32);
const PageQuery = z.object({
  afterId: Id.default(0),
  limit: z.coerce.number().int().min(1).max(pageLimitMax).default(100),
  twinId: Id.optional(),
  farmId: Id.optional(),
  nodeId: Id.optional(),
  kind: z.enum(['node', 'name', 'rent']).optional(),
  state: z.enum(['Created', 'GracePeriod', 'Deleted']).optional(),
  status: z.enum(['up', 'down']).optional(),
}).strict();

export interface RpcDeps {
  sequencer: Sequencer;
  store: BlockStore;
  view: ChainView;
  /** Default and maximum wait for ?wait=true. */
  waitTimeoutMsDefault?: number;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new TfgridError(ChainShellError.INVALID_REQUEST, `${what}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
}

/** JSON with bigints as decimal strings (TFT amounts). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

function send(c: Context, status: number, body: unknown): Response {
  return c.body(stringify(body), status as 200, { 'content-type': 'application/json; charset=utf-8' });
}

function found(c: Context, entity: unknown, what: string): Response {
  if (entity === undefined || entity === null) throw new TfgridError(ChainShellError.NOT_FOUND, `no ${what}`);
  return send(c, 200, entity);
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new TfgridError(ChainShellError.INVALID_REQUEST, 'the body is not JSON');
  }
}

export function createRpcApp(deps: RpcDeps): Hono {
  const app = new Hono();
  const { sequencer, store, view } = deps;
  const waitDefaultMs = deps.waitTimeoutMsDefault ?? 30_000;
  const tooLarge = (c: Context) => send(c, 413, { error: { code: ChainShellError.REQUEST_TOO_LARGE, message: `${ChainShellError.REQUEST_TOO_LARGE}: body above the maximum size` } });

  app.onError((error, c) => {
    if (error instanceof TfgridError) return send(c, httpStatusOf(error.code), { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } });
    return send(c, 500, { error: { code: 'INTERNAL', message: error.message } });
  });
  app.notFound((c) => send(c, 404, { error: { code: ChainShellError.NOT_FOUND, message: `${ChainShellError.NOT_FOUND}: no route ${c.req.method} ${c.req.path}` } }));

  app.get('/v1/health', (c) => send(c, 200, { ok: true, height: store.height, lastHash: store.lastHash, mempool: sequencer.mempool.size }));
  app.get('/v1/params', (c) => send(c, 200, view.params()));

  app.post('/v1/tx', bodyLimit({ maxSize: txBodyBytesMax, onError: tooLarge }), async (c) => {
    const query = parse(WaitQuery, c.req.query(), 'query');
    const tx = parse(SignedTxSchema, await jsonBody(c), 'transaction') as SignedTx;
    const [admission] = await sequencer.submit([tx]);
    if (admission!.error !== undefined) throw admission!.error;
    const hash = admission!.hash;
    if (query.wait !== 'true') return send(c, 202, { hash, status: 'pending' });
    const inclusion = await sequencer.waitForInclusion(hash, query.timeoutMs ?? waitDefaultMs);
    return send(c, 200, { ...inclusion, status: 'included' });
  });

  app.post('/v1/txs', bodyLimit({ maxSize: batchBodyBytesMax, onError: tooLarge }), async (c) => {
    const batch = parse(BatchSchema, await jsonBody(c), 'body');
    const admissions = await sequencer.submit(batch.transactions);
    return send(c, 200, { results: admissions.map((a) => (a.error === undefined ? { hash: a.hash } : { hash: a.hash, error: { code: a.error.code, message: a.error.message } })) });
  });

  app.get('/v1/tx/:hash', async (c) => {
    const hash = parse(Hash, c.req.param('hash'), 'hash');
    const query = parse(WaitQuery, c.req.query(), 'query');
    const known = sequencer.inclusion(hash);
    if (known !== undefined) return send(c, 200, { ...known, status: 'included' });
    if (query.wait === 'true') return send(c, 200, { ...(await sequencer.waitForInclusion(hash, query.timeoutMs ?? waitDefaultMs)), status: 'included' });
    if (sequencer.mempool.has(hash)) return send(c, 200, { hash, status: 'pending' });
    throw new TfgridError(ChainShellError.NOT_FOUND, `no pending or recently included transaction ${hash}`);
  });

  app.get('/v1/blocks/latest', async (c) => found(c, store.height === 0 ? undefined : (await store.readFrom(store.height, 1))[0], 'block yet'));
  app.get('/v1/blocks/:height', async (c) => {
    const height = parse(Height, c.req.param('height'), 'height');
    return found(c, (await store.readFrom(height, 1))[0], `block at height ${height} (chain height ${store.height})`);
  });
  app.get('/v1/blocks', async (c) => {
    const query = parse(z.object({ from: Height, limit: z.coerce.number().int().min(1).max(blocksPerRequestMax).default(10) }), c.req.query(), 'query');
    return send(c, 200, { blocks: await store.readFrom(query.from, query.limit), height: store.height });
  });

  app.get('/v1/accounts/:address', (c) => found(c, view.account(parse(Address, c.req.param('address'), 'address')), `account ${c.req.param('address')}`));
  app.get('/v1/twins/:id', (c) => found(c, view.twin(parse(Id, c.req.param('id'), 'id')), `twin ${c.req.param('id')}`));
  app.get('/v1/farms/:id', (c) => found(c, view.farm(parse(Id, c.req.param('id'), 'id')), `farm ${c.req.param('id')}`));
  app.get('/v1/nodes/:id', (c) => found(c, view.node(parse(Id, c.req.param('id'), 'id')), `node ${c.req.param('id')}`));
  app.get('/v1/contracts/:id', (c) => found(c, view.contract(parse(Id, c.req.param('id'), 'id')), `contract ${c.req.param('id')}`));
  // Lookups by key: /v1/twins?account=…, /v1/farms?name=…, /v1/nodes?twin=…, /v1/contracts?node=…&hash=…
  for (const kind of listKinds) app.get(`/v1/${kind}`, (c) => list(c, kind, view));
  return app;
}

function list(c: Context, kind: ListKind, view: ChainView): Response {
  const query = c.req.query();
  if (kind === 'twins' && query['account'] !== undefined) return found(c, view.twinByAccount(parse(Address, query['account'], 'account')), `twin of account ${query['account']}`);
  if (kind === 'farms' && query['name'] !== undefined) return found(c, view.farmByName(parse(z.string().min(1).max(64), query['name'], 'name')), `farm named ${query['name']}`);
  if (kind === 'nodes' && query['twin'] !== undefined) return found(c, view.nodeByTwin(parse(Id, query['twin'], 'twin')), `node of twin ${query['twin']}`);
  if (kind === 'contracts' && query['node'] !== undefined && query['hash'] !== undefined) {
    return found(c, view.contractByNodeHash(parse(Id, query['node'], 'node'), parse(z.string().min(1).max(128), query['hash'], 'hash')), `contract on node ${query['node']} with hash ${query['hash']}`);
  }
  const { afterId, limit, ...filter } = parse(PageQuery, query, 'query');
  return send(c, 200, view.list(kind, { afterId, limit, filter }));
}

// The explorer's HTTP JSON API (routes and examples in ../README.md). Hono, as the chain's RPC:
// Web-standard Request/Response, so tests drive it in-process with app.request(), and
// @hono/node-server binds it to a socket. Every parameter is checked with zod: an unknown one or
// a bad value is a 400 EXPLORER_INVALID_QUERY naming it. Errors are {error:{code,message}}.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import { ExplorerError } from '../errors.ts';
import { billQuerySchema, contractQuerySchema, farmQuerySchema, twinQuerySchema } from '../core/list-query.ts';
import { flattenQuery, nodeQuerySchema } from '../core/node-query.ts';
import type { Indexer } from './indexer.ts';
import type { StatisticsSource } from './live-stats.ts';
import { openApiDocument } from './openapi.ts';
import { ListReader } from './read-lists.ts';
import { NodeReader } from './read-nodes.ts';
import { StatsReader } from './read-stats.ts';
import { Statements } from './statements.ts';
import type { IndexStore } from './store.ts';

export interface ApiDeps {
  readonly store: IndexStore;
  readonly indexer?: Indexer;
  readonly statistics?: StatisticsSource;
}

const statusByCode: Readonly<Record<string, number>> = {
  [ExplorerError.INVALID_QUERY]: 400,
  [ExplorerError.NOT_FOUND]: 404,
};

function send(c: Context, status: number, body: unknown): Response {
  return c.body(JSON.stringify(body), status as 200, { 'content-type': 'application/json; charset=utf-8' });
}

/** Parses query parameters or a path segment; the first problem becomes the 400's reason. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const known = schema instanceof z.ZodObject ? Object.keys(schema.shape).join(', ') : '';
    throw new TfgridError(ExplorerError.INVALID_QUERY, `unknown ${what} ${issue.keys.map((k) => `"${k}"`).join(', ')}${known === '' ? '' : ` (known: ${known})`}`);
  }
  const path = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new TfgridError(ExplorerError.INVALID_QUERY, `${what} ${path}${issue?.message ?? 'invalid'}`);
}

const idSchema = z.coerce.number().int().min(1).max(2 ** 32 - 1);
const liveSchema = z.strictObject({ live: z.enum(['true', 'false']).default('true') });

function found<T>(entity: T | undefined, what: string): T {
  if (entity === undefined) throw new TfgridError(ExplorerError.NOT_FOUND, `no ${what} in the index`);
  return entity;
}

export function createApiApp(deps: ApiDeps): Hono {
  const app = new Hono();
  const statements = new Statements(deps.store.db);
  const nodes = new NodeReader(deps.store, statements);
  const lists = new ListReader(statements);
  const stats = new StatsReader(deps.store, statements);
  const query = (c: Context) => flattenQuery(c.req.queries());
  const id = (c: Context, name: string) => parseInput(idSchema, c.req.param(name), name);

  app.onError((error, c) => {
    if (error instanceof TfgridError) return send(c, statusByCode[error.code] ?? 500, { error: { code: error.code, message: error.message } });
    return send(c, 500, { error: { code: 'INTERNAL', message: error.message } });
  });

  app.get('/health', (c) => {
    const status = deps.indexer?.status();
    const head = deps.store.head();
    const ok = status !== undefined && status.following && status.error === null;
    return send(c, ok ? 200 : 503, {
      ok, height: head.height, hash: head.hash, headTimestampMs: head.timestampMs, headAgeMs: head.timestampMs === 0 ? null : Date.now() - head.timestampMs,
      chainHeight: status?.chainHeight ?? null, following: status?.following ?? false, reindexes: status?.reindexes ?? 0, error: status?.error ?? null,
    });
  });
  app.get('/openapi.json', (c) => send(c, 200, openApiDocument()));
  app.get('/stats', (c) => {
    parseInput(z.strictObject({}), query(c), 'parameter');
    return send(c, 200, stats.stats(nodes.bounds()));
  });
  app.get('/nodes', (c) => send(c, 200, nodes.list(parseInput(nodeQuerySchema, query(c), 'filter'))));
  app.get('/nodes/:id', async (c) => {
    const { live } = parseInput(liveSchema, query(c), 'parameter');
    const node = found(nodes.one(id(c, 'id')), `node ${c.req.param('id')}`);
    if (live === 'false') return send(c, 200, { ...node, statistics: null, statisticsError: null });
    if (deps.statistics === undefined) return send(c, 200, { ...node, statistics: null, statisticsError: { code: ExplorerError.NO_BUS, message: `${ExplorerError.NO_BUS}: the explorer runs without a message-bus identity (--relay)` } });
    try {
      return send(c, 200, { ...node, statistics: await deps.statistics.statistics(node.twinId), statisticsError: null });
    } catch (error) {
      if (!(error instanceof TfgridError)) throw error;
      return send(c, 200, { ...node, statistics: null, statisticsError: { code: error.code, message: error.message } });
    }
  });
  app.get('/farms', (c) => send(c, 200, lists.farms(parseInput(farmQuerySchema, query(c), 'filter'))));
  app.get('/farms/:id', (c) => send(c, 200, found(lists.farm(id(c, 'id')), `farm ${c.req.param('id')}`)));
  app.get('/twins', (c) => send(c, 200, lists.twins(parseInput(twinQuerySchema, query(c), 'filter'))));
  app.get('/twins/:id', (c) => send(c, 200, found(lists.twin(id(c, 'id')), `twin ${c.req.param('id')}`)));
  app.get('/contracts', (c) => send(c, 200, lists.contracts(parseInput(contractQuerySchema, query(c), 'filter'))));
  app.get('/contracts/:id', (c) => send(c, 200, found(lists.contract(id(c, 'id')), `contract ${c.req.param('id')}`)));
  app.get('/contracts/:id/bills', (c) => {
    const contractId = id(c, 'id');
    found(lists.contract(contractId), `contract ${contractId}`);
    return send(c, 200, lists.bills(contractId, parseInput(billQuerySchema, query(c), 'parameter')));
  });
  return app;
}

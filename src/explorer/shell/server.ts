// `tfgrid explorer` as a process: the index file, the indexer following the chain, the API and
// the built web UI on one HTTP port. The UI uses hash routes (#/nodes/7), so every API path is
// free for JSON and the static files need no fallback rewriting.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createLogger, type Logger } from '../../base/index.ts';
import { createApiApp } from './api.ts';
import { Indexer } from './indexer.ts';
import type { StatisticsSource } from './live-stats.ts';
import { IndexStore } from './store.ts';

export interface ExplorerOptions {
  readonly chainUrl: string;
  /** The SQLite index file. */
  readonly dbPath: string;
  readonly host: string;
  readonly port: number;
  readonly sequencer?: string;
  /** Built web UI to serve at / (web/dist); none: API only. */
  readonly webDir?: string;
  readonly statistics?: StatisticsSource;
  readonly log?: Logger;
}

export interface Explorer {
  readonly url: string;
  readonly port: number;
  readonly store: IndexStore;
  readonly indexer: Indexer;
  close(): Promise<void>;
}

export async function startExplorer(options: ExplorerOptions): Promise<Explorer> {
  const log = options.log ?? createLogger({ component: 'explorer' });
  const store = IndexStore.open(options.dbPath);
  if (store.rebuiltFromVersion !== undefined) log.warn('the index had an older schema: emptied, re-indexing from block 1', { db: options.dbPath, version: store.rebuiltFromVersion });
  const indexer = new Indexer({ chainUrl: options.chainUrl, store, log, ...(options.sequencer === undefined ? {} : { sequencer: options.sequencer }) });
  const app = createApiApp({ store, indexer, ...(options.statistics === undefined ? {} : { statistics: options.statistics }) });
  if (options.webDir !== undefined) app.use('/*', serveStatic({ root: options.webDir }));
  else app.get('/', (c) => c.text('tfgrid explorer: API only (see /openapi.json). Build the UI with npm run build:web.'));
  const { promise: listening, resolve } = Promise.withResolvers<AddressInfo>();
  const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, resolve) as Server;
  const address = await listening;
  indexer.start();
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`, port: address.port, store, indexer,
    close: async () => {
      indexer.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      store.close();
    },
  };
}

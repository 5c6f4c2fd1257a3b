// Binds the RPC app to a TCP socket and adds the WebSocket feed of new blocks at /v1/ws
// (`ws`, the de-facto Node WebSocket server: small, no dependencies). A subscriber may ask for
// blocks from a height (?from=N); it gets those, then every new block as it becomes durable.
// A subscriber that reads too slowly (bufferedBytesMax) is dropped with close code 1013.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../base/index.ts';
import type { Block } from '../core/seam.ts';
import type { BlockStore } from './block-store.ts';
import { createRpcApp, stringify, type RpcDeps } from './rpc.ts';

export const wsBufferedBytesMax = 16 * 2 ** 20;
export const wsSubscribersMax = 1_000;
const backlogChunkBlocks = 100;

export interface RpcServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface RpcServerOptions extends RpcDeps {
  host: string;
  port: number;
  log?: Logger;
}

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const app = createRpcApp(options);
  const { promise: listening, resolve } = Promise.withResolvers<AddressInfo>();
  const server = serve({ fetch: app.fetch, hostname: options.host, port: options.port }, resolve) as Server;
  const address = await listening;
  server.keepAliveTimeout = 65_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname !== '/v1/ws' || wss.clients.size >= wsSubscribersMax) {
      socket.end('HTTP/1.1 ' + (url.pathname !== '/v1/ws' ? '404 Not Found' : '503 Service Unavailable') + '\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => feed(ws, options.store, Number(url.searchParams.get('from') ?? '0'), options.log));
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

const encoded = new WeakMap<Block, string>();
/** One JSON text per block, shared by every subscriber. */
function messageOf(block: Block): string {
  let text = encoded.get(block);
  if (text === undefined) {
    text = stringify({ type: 'block', block });
    encoded.set(block, text);
  }
  return text;
}

function feed(ws: WebSocket, store: BlockStore, from: number, log?: Logger): void {
  let sentHeight = Number.isSafeInteger(from) && from > 0 ? from - 1 : store.height;
  let live: Block[] | undefined = []; // held while the backlog is sent
  const push = (block: Block): void => {
    if (block.height <= sentHeight || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > wsBufferedBytesMax) {
      log?.warn('dropping a slow block subscriber', { bufferedBytes: ws.bufferedAmount });
      ws.close(1013, 'too slow: reconnect with ?from=<height>');
      return;
    }
    ws.send(messageOf(block));
    sentHeight = block.height;
  };
  const unsubscribe = store.subscribe((block) => (live === undefined ? push(block) : live.push(block)));
  ws.on('close', unsubscribe);
  ws.on('error', unsubscribe);
  ws.on('message', () => undefined); // the feed is one-way; pings are answered by ws itself
  // The backlog goes at the subscriber's pace: wait for its socket to drain below half the
  // limit before each block, so a reader catching up on large blocks is not dropped (and made to
  // start over) for reading slower than the disk; only live blocks drop a slow subscriber.
  const drained = (): Promise<void> => new Promise((resolve) => {
    const check = (): void => void (ws.bufferedAmount <= wsBufferedBytesMax / 2 || ws.readyState !== ws.OPEN ? resolve() : setTimeout(check, 5));
    check();
  });
  void (async () => {
    while (sentHeight < store.height && ws.readyState === ws.OPEN) {
      for (const block of await store.readFrom(sentHeight + 1, backlogChunkBlocks)) {
        await drained();
        push(block);
      }
    }
    const held = live ?? [];
    live = undefined;
    for (const block of held) push(block);
  })();
}

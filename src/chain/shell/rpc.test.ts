// The RPC refuses bad input with the documented codes and statuses, and serves what the chain
// holds: the Hono app is driven in-process (app.request) over a toy state machine for the
// validation cases, and a real socket carries ?wait=true and the WebSocket block feed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../crypto/index.ts';
import { startChainNode, type ChainNode } from './node.ts';
import { createRpcApp, txBodyBytesMax } from './rpc.ts';
import { signedAdd, toyCore } from './testing.ts';

const dir = mkdtempSync(join(tmpdir(), 'tfgrid-rpc-'));
const sequencerId = Identity.fromSeed('66'.repeat(32));
const alice = Identity.fromSeed('77'.repeat(32));
let node: ChainNode;
test.before(async () => {
  node = await startChainNode({ dataDir: dir, core: toyCore(sequencerId), host: '127.0.0.1', port: 0, blockIntervalMs: 20, verifyWorkers: 1 });
});
test.after(async () => {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

function app() {
  return createRpcApp({ sequencer: node.sequencer, store: node.opened.store, view: toyCore(sequencerId).view(node.opened.machine) });
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const response = await app().request(path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as { error?: { code: string; message: string } } };
}

test('malformed input is refused with 400 CHAIN_INVALID_REQUEST and names the field', async () => {
  const good = signedAdd(alice, 1);
  const cases: Array<[string, string, unknown]> = [
    ['POST', '/v1/tx', 'not json'],
    ['POST', '/v1/tx', { ...good, signer: 'XYZ' }],
    ['POST', '/v1/tx', { ...good, nonce: 0 }],
    ['POST', '/v1/tx', { ...good, nonce: 1.5 }],
    ['POST', '/v1/tx', { ...good, extra: 1 }],
    ['POST', '/v1/tx', { ...good, signature: 'ab' }],
    ['POST', '/v1/txs', { transactions: [] }],
    ['GET', '/v1/blocks/0', undefined],
    ['GET', '/v1/blocks/abc', undefined],
    ['GET', '/v1/accounts/zz', undefined],
    ['GET', '/v1/twins?limit=100000', undefined],
    ['GET', `/v1/tx/${'ab'.repeat(32)}?timeoutMs=-1`, undefined],
  ];
  for (const [method, path, body] of cases) {
    const { status, json } = await call(method, path, body);
    assert.equal(status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    assert.equal(json.error?.code, 'CHAIN_INVALID_REQUEST');
    assert.match(json.error.message, /^CHAIN_INVALID_REQUEST: /);
  }
  const fieldNamed = await call('POST', '/v1/tx', { ...good, signer: 'XYZ' });
  assert.match(fieldNamed.json.error!.message, /transaction\.signer/);
});

test('operating errors map to their statuses: bad signature 400, bad nonce 409, unknown 404, too large 413', async () => {
  const forged = { ...signedAdd(alice, 1), nonce: 2 };
  assert.deepEqual([(await call('POST', '/v1/tx', forged)).status, (await call('POST', '/v1/tx', forged)).json.error?.code], [400, 'CHAIN_BAD_SIGNATURE']);
  const ahead = await call('POST', '/v1/tx', signedAdd(alice, 5));
  assert.deepEqual([ahead.status, ahead.json.error?.code], [409, 'CHAIN_BAD_NONCE']);
  const missing = await call('GET', '/v1/blocks/999');
  assert.deepEqual([missing.status, missing.json.error?.code], [404, 'CHAIN_NOT_FOUND']);
  const route = await call('GET', '/v1/nothing-here');
  assert.deepEqual([route.status, route.json.error?.code], [404, 'CHAIN_NOT_FOUND']);
  const big = await call('POST', '/v1/tx', { ...signedAdd(alice, 1), payload: { blob: 'x'.repeat(txBodyBytesMax) } });
  assert.deepEqual([big.status, big.json.error?.code], [413, 'CHAIN_REQUEST_TOO_LARGE']);
});

test('over a socket: submit with ?wait=true returns height and result; the WebSocket feed delivers the block', async () => {
  const url = node.rpc.url;
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  const received: Array<{ type: string; block: { height: number; transactions: unknown[] } }> = [];
  ws.onmessage = (event) => received.push(JSON.parse(String(event.data)) as (typeof received)[number]);
  const before = (await (await fetch(`${url}/v1/health`)).json()) as { height: number };
  const response = await fetch(`${url}/v1/tx?wait=true&timeoutMs=5000`, { method: 'POST', body: JSON.stringify(signedAdd(alice, 1, 7)), headers: { 'content-type': 'application/json' } });
  assert.equal(response.status, 200);
  const inclusion = (await response.json()) as { hash: string; height: number; index: number; result: { ok: boolean }; status: string };
  assert.equal(inclusion.status, 'included');
  assert.ok(inclusion.height > before.height);
  assert.deepEqual(inclusion.result, { ok: true });
  const status = (await (await fetch(`${url}/v1/tx/${inclusion.hash}`)).json()) as { height: number };
  assert.equal(status.height, inclusion.height);
  for (let i = 0; i < 100 && !received.some((m) => m.block.height === inclusion.height); i++) await new Promise((r) => setTimeout(r, 10));
  const message = received.find((m) => m.block.height === inclusion.height);
  assert.equal(message?.type, 'block');
  assert.equal(message.block.transactions.length, 1);
  // A late subscriber asks for history and gets it from the log.
  const late = new WebSocket(`${url.replace('http', 'ws')}/v1/ws?from=1`);
  const first = await new Promise<{ block: { height: number } }>((resolve) => { late.onmessage = (event) => resolve(JSON.parse(String(event.data)) as { block: { height: number } }); });
  assert.equal(first.block.height, 1);
  ws.close();
  late.close();
  const account = (await (await fetch(`${url}/v1/accounts/${alice.publicKeyHex}`)).json()) as { nonce: number; balance: string };
  assert.deepEqual([account.nonce, account.balance], [1, (10n ** 20n).toString()]);
});

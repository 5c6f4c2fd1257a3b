// The chain's typed client: reads, transaction builders for every type, automatic nonces, waiting
// for inclusion and a reconnecting WebSocket block feed. Uses the global fetch and WebSocket
// (Node 24, browsers): no dependency. Errors are TfgridErrors carrying the server's code.
import type { z } from 'zod';
import { TfgridError } from '../base/index.ts';
import type { Identity } from '../crypto/index.ts';
import type { Address, Block, SignedTx, TxResult } from './core/seam.ts';
import { checkBlock } from './core/block.ts';
import type { Contract, Farm, Node, Params, Twin } from './core/entities.ts';
import type { AccountView, ContractView } from './core/queries.ts';
import { buildTx } from './core/tx/envelope.ts';
import type * as TwinTx from './core/tx/twin.ts';
import type * as FarmTx from './core/tx/farm.ts';
import type * as NodeTx from './core/tx/node.ts';
import type * as ContractTx from './core/tx/contract.ts';
import type * as TransferTx from './core/tx/transfer.ts';
import type * as AdminTx from './core/tx/admin.ts';
import { ChainError } from './errors.ts';
import { ChainShellError } from './shell/errors.ts';
import type { ListFilter, ListKind } from './core/queries.ts';

type In<K extends { schema: z.ZodType }> = z.input<K['schema']>;
/** Payload of each transaction type, as the client sends it (amounts as decimal strings). */
export interface TxPayloads {
  'transfer': In<typeof TransferTx.transfer>;
  'twin.create': In<typeof TwinTx.twinCreate>;
  'twin.update': In<typeof TwinTx.twinUpdate>;
  'farm.create': In<typeof FarmTx.farmCreate>;
  'farm.update': In<typeof FarmTx.farmUpdate>;
  'farm.ip.add': In<typeof FarmTx.farmIpAdd>;
  'farm.ip.remove': In<typeof FarmTx.farmIpRemove>;
  'node.create': In<typeof NodeTx.nodeCreate>;
  'node.update': In<typeof NodeTx.nodeUpdate>;
  'node.uptime': In<typeof NodeTx.nodeUptime>;
  'node.power.target': In<typeof NodeTx.nodePowerTarget>;
  'node.power.state': In<typeof NodeTx.nodePowerState>;
  'node.report': In<typeof NodeTx.nodeReport>;
  'contract.node.create': In<typeof ContractTx.nodeContractCreate>;
  'contract.node.update': In<typeof ContractTx.nodeContractUpdate>;
  'contract.name.create': In<typeof ContractTx.nameContractCreate>;
  'contract.rent.create': In<typeof ContractTx.rentContractCreate>;
  'contract.cancel': In<typeof ContractTx.contractCancel>;
  'pricing.set': In<typeof AdminTx.pricingSet>;
  'params.set': In<typeof AdminTx.paramsSet>;
  'admin.certify': In<typeof AdminTx.adminCertify>;
}
export type TxTypeName = keyof TxPayloads;

export interface Submitted {
  readonly hash: string;
  readonly status: 'pending';
}
export interface Included {
  readonly hash: string;
  readonly status: 'included';
  readonly height: number;
  readonly index: number;
  readonly result: TxResult;
}
export interface Health {
  readonly ok: boolean;
  readonly height: number;
  readonly lastHash: string;
  readonly mempool: number;
}
export interface ListPageOf<T> {
  readonly items: readonly T[];
  readonly nextAfterId?: number;
}
export interface SubmitOptions {
  /** Wait until the transaction is in a durable block (default false). */
  readonly wait?: boolean;
  readonly timeoutMs?: number;
}
export interface Subscription {
  close(): void;
}

export const requestTimeoutMsDefault = 30_000;
const reconnectDelayMsMax = 5_000;

export interface ChainClientOptions {
  /** e.g. http://127.0.0.1:8700 */
  readonly url: string;
  /** Signs transactions; reads work without it. */
  readonly identity?: Identity;
  readonly requestTimeoutMs?: number;
  /**
   * The sequencer key the chain's genesis names (hex). When given, every block the client hands
   * out (`block`, `latestBlock`, `subscribe`) is checked with the core's `checkBlock`: signed by
   * this key (else CHAIN_WRONG_SEQUENCER) with valid roots, hash and signature (else
   * CHAIN_BAD_BLOCK). Without it blocks are passed through as the server sent them.
   */
  readonly sequencer?: Address;
}

export class ChainClient {
  readonly url: string;
  readonly identity: Identity | undefined;
  readonly sequencer: Address | undefined;
  readonly #timeoutMs: number;
  #nextNonce: number | undefined;
  #sending: Promise<unknown> = Promise.resolve();

  constructor(options: ChainClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.identity = options.identity;
    this.sequencer = options.sequencer;
    this.#timeoutMs = options.requestTimeoutMs ?? requestTimeoutMsDefault;
  }

  // ---- reads ----
  health(): Promise<Health> { return this.#get('/v1/health'); }
  /** Chain parameters, the head, and (from a real chain) the pinned sequencer key and the genesis hash. */
  params(): Promise<Params & { height: number; timestampMs: number; chainId: string; sequencer?: Address; genesisHash?: string }> { return this.#get('/v1/params'); }
  account(address: string): Promise<AccountView | undefined> { return this.#find(`/v1/accounts/${address}`); }
  /** TFT units (10^7 per TFT); 0 for an account never funded. */
  async balance(address: string): Promise<bigint> { return BigInt((await this.account(address))?.balance ?? '0'); }
  twin(id: number): Promise<Twin | undefined> { return this.#find(`/v1/twins/${id}`); }
  twinByAccount(address: string): Promise<Twin | undefined> { return this.#find(`/v1/twins?account=${address}`); }
  farm(id: number): Promise<Farm | undefined> { return this.#find(`/v1/farms/${id}`); }
  farmByName(name: string): Promise<Farm | undefined> { return this.#find(`/v1/farms?name=${encodeURIComponent(name)}`); }
  node(id: number): Promise<Node | undefined> { return this.#find(`/v1/nodes/${id}`); }
  nodeByTwin(twinId: number): Promise<Node | undefined> { return this.#find(`/v1/nodes?twin=${twinId}`); }
  contract(id: number): Promise<ContractView | undefined> { return this.#find(`/v1/contracts/${id}`); }
  contractByNodeHash(nodeId: number, deploymentHash: string): Promise<ContractView | undefined> {
    return this.#find(`/v1/contracts?node=${nodeId}&hash=${encodeURIComponent(deploymentHash)}`);
  }
  list<K extends ListKind>(kind: K, page: { afterId?: number; limit?: number; filter?: ListFilter } = {}): Promise<ListPageOf<K extends 'contracts' ? ContractView : K extends 'twins' ? Twin : K extends 'farms' ? Farm : K extends 'nodes' ? Node : unknown>> {
    const query = new URLSearchParams();
    if (page.afterId !== undefined) query.set('afterId', String(page.afterId));
    if (page.limit !== undefined) query.set('limit', String(page.limit));
    for (const [key, value] of Object.entries(page.filter ?? {})) if (value !== undefined) query.set(key, String(value));
    return this.#get(`/v1/${kind}?${query.toString()}`);
  }
  async block(height: number): Promise<Block | undefined> { return this.#checked(await this.#find<Block>(`/v1/blocks/${height}`)); }
  async latestBlock(): Promise<Block | undefined> { return this.#checked(await this.#find<Block>('/v1/blocks/latest')); }

  /** With a pinned sequencer, throws the block's check failure (CHAIN_WRONG_SEQUENCER, CHAIN_BAD_BLOCK). */
  #checked(block: Block | undefined): Block | undefined {
    if (block === undefined || this.sequencer === undefined) return block;
    const problem = checkBlock(block, this.sequencer);
    if (problem !== undefined) throw problem;
    return block;
  }
  txStatus(hash: string): Promise<Submitted | Included | undefined> { return this.#find(`/v1/tx/${hash}`); }

  // ---- writes ----
  /** Builds, signs (next nonce) and submits a transaction of `type`. */
  send<T extends TxTypeName>(type: T, payload: TxPayloads[T], options: SubmitOptions = {}): Promise<Submitted | Included> {
    const identity = this.identity;
    if (identity === undefined) return Promise.reject(new TfgridError(ChainShellError.INVALID_REQUEST, 'this client has no identity to sign with'));
    // Submissions go one at a time so nonces arrive in order; waiting for inclusion does not block.
    const submitted = this.#sending.then(() => this.#submitNext(identity, type, payload));
    this.#sending = submitted.catch(() => undefined);
    return submitted.then<Submitted | Included>((s) => (options.wait === true ? this.waitForInclusion(s.hash, options.timeoutMs) : s));
  }

  async #submitNext(identity: Identity, type: string, payload: unknown): Promise<Submitted> {
    for (let attempt = 0; ; attempt++) {
      this.#nextNonce ??= await this.nextNonce(identity.publicKeyHex);
      const tx = buildTx(identity, type, payload, this.#nextNonce);
      try {
        const submitted = await this.submitSigned(tx);
        this.#nextNonce++;
        return submitted;
      } catch (error) {
        // Someone else (another client with this key) used our nonce: fetch it again, retry once.
        if (error instanceof TfgridError && error.code === ChainError.BAD_NONCE && attempt === 0) {
          this.#nextNonce = undefined;
          continue;
        }
        throw error;
      }
    }
  }

  /** The nonce the account's next transaction must carry (state only: pending ones not counted). */
  async nextNonce(address: string): Promise<number> {
    return ((await this.account(address))?.nonce ?? 0) + 1;
  }

  submitSigned(tx: SignedTx): Promise<Submitted> {
    return this.#request('POST', '/v1/tx', tx);
  }

  /** Many signed transactions in one request, admitted in order; one result per transaction. */
  async submitBatch(txs: readonly SignedTx[]): Promise<Array<{ hash?: string; error?: { code: string; message: string } }>> {
    return (await this.#request<{ results: Array<{ hash?: string; error?: { code: string; message: string } }> }>('POST', '/v1/txs', { transactions: txs })).results;
  }

  waitForInclusion(hash: string, timeoutMs = this.#timeoutMs): Promise<Included> {
    return this.#request('GET', `/v1/tx/${hash}?wait=true&timeoutMs=${timeoutMs}`, undefined, timeoutMs + 5_000);
  }

  // ---- builders (each signs with the client's identity and the next nonce) ----
  transfer(to: string, amountTftUnits: bigint, options?: SubmitOptions): Promise<Submitted | Included> { return this.send('transfer', { to, amount: amountTftUnits.toString() }, options); }
  createTwin(payload: TxPayloads['twin.create'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('twin.create', payload, options); }
  createFarm(payload: TxPayloads['farm.create'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('farm.create', payload, options); }
  addFarmIp(payload: TxPayloads['farm.ip.add'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('farm.ip.add', payload, options); }
  createNode(payload: TxPayloads['node.create'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('node.create', payload, options); }
  reportUptime(uptimeSec: number, options?: SubmitOptions): Promise<Submitted | Included> { return this.send('node.uptime', { uptimeSec }, options); }
  reportResources(payload: TxPayloads['node.report'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('node.report', payload, options); }
  createNodeContract(payload: TxPayloads['contract.node.create'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('contract.node.create', payload, options); }
  updateNodeContract(payload: TxPayloads['contract.node.update'], options?: SubmitOptions): Promise<Submitted | Included> { return this.send('contract.node.update', payload, options); }
  createNameContract(name: string, options?: SubmitOptions): Promise<Submitted | Included> { return this.send('contract.name.create', { name }, options); }
  createRentContract(nodeId: number, options?: SubmitOptions): Promise<Submitted | Included> { return this.send('contract.rent.create', { nodeId }, options); }
  cancelContract(contractId: number, options?: SubmitOptions): Promise<Submitted | Included> { return this.send('contract.cancel', { contractId }, options); }

  /**
   * Calls `onBlock` for every new durable block (from `fromHeight` when given), reconnecting with
   * backoff after a drop and resuming after the last block seen, so none is missed or repeated.
   * With a pinned sequencer, a block that fails `checkBlock` is not delivered: `onError` gets the
   * coded error and the feed closes (a server sending foreign blocks is not retried).
   */
  subscribe(onBlock: (block: Block) => void, options: { fromHeight?: number; onError?: (error: unknown) => void } = {}): Subscription {
    let lastHeight = options.fromHeight === undefined ? undefined : options.fromHeight - 1;
    let closed = false;
    let socket: WebSocket | undefined;
    let delayMs = 100;
    const connect = (): void => {
      const from = lastHeight === undefined ? '' : `?from=${lastHeight + 1}`;
      socket = new WebSocket(`${this.url.replace(/^http/, 'ws')}/v1/ws${from}`);
      socket.onopen = () => (delayMs = 100);
      socket.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as { type: string; block: Block };
        if (message.type !== 'block' || (lastHeight !== undefined && message.block.height <= lastHeight)) return;
        const problem = this.sequencer === undefined ? undefined : checkBlock(message.block, this.sequencer);
        if (problem !== undefined) {
          closed = true;
          socket?.close();
          options.onError?.(problem);
          return;
        }
        lastHeight = message.block.height;
        onBlock(message.block);
      };
      socket.onerror = (event) => options.onError?.(event);
      socket.onclose = () => {
        if (closed) return;
        setTimeout(connect, delayMs);
        delayMs = Math.min(reconnectDelayMsMax, delayMs * 2);
      };
    };
    connect();
    return { close: () => { closed = true; socket?.close(); } };
  }

  // ---- transport ----
  async #find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.#get<T>(path);
    } catch (error) {
      if (error instanceof TfgridError && error.code === ChainShellError.NOT_FOUND) return undefined;
      throw error;
    }
  }

  #get<T>(path: string): Promise<T> {
    return this.#request('GET', path);
  }

  async #request<T>(method: string, path: string, body?: unknown, timeoutMs = this.#timeoutMs): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new TfgridError(ChainShellError.UNREACHABLE, `${method} ${this.url}${path}: ${(cause as Error).message}`, { cause });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TfgridError(ChainShellError.UNREACHABLE, `${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
    }
    const error = (json as { error?: { code?: unknown; message?: unknown; details?: Record<string, unknown> } }).error;
    if (!response.ok || error !== undefined) {
      const code = typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`;
      const message = typeof error?.message === 'string' ? error.message : text.slice(0, 200);
      throw new TfgridError(code, message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message, error?.details === undefined ? {} : { details: error.details });
    }
    return json as T;
  }
}

export type { Contract, ContractView };

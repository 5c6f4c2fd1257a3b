// Connections to the 0-db namespaces of a config: one ZdbClient per backend, opened on first use
// with the config's timeout for connecting and for every call (a backend that accepts and never
// answers costs one timeout, then counts as down). A client whose connection broke is dropped
// and reopened on next use.
import { createLogger, isTfgridError, type Logger } from '../base/index.ts';
import { ZdbClient, ZdbError } from '../zdb/index.ts';
import type { BackendConfig } from './config.ts';

export interface BackendHealth {
  readonly id: string;
  readonly reachable: boolean;
  /** Infinity when the namespace has no size limit. */
  readonly freeBytes: number;
  readonly usedBytes: number;
  readonly limitBytes: number;
  readonly entries: number;
  readonly mode: string;
  readonly error?: string;
}

export class BackendPool {
  private readonly clients = new Map<string, Promise<ZdbClient>>();
  private readonly timeoutMs: number;
  private readonly log: Logger | undefined;

  constructor(options: { timeoutMs: number; log?: Logger }) {
    this.timeoutMs = options.timeoutMs;
    this.log = options.log;
  }

  /** Runs `fn` with the backend's client; a broken connection is dropped before the error is rethrown. */
  async use<T>(backend: BackendConfig, fn: (client: ZdbClient) => Promise<T>): Promise<T> {
    const client = await this.client(backend);
    try {
      return await fn(client);
    } catch (error) {
      if (!isTfgridError(error, ZdbError.SERVER_ERROR)) this.drop(backend.id, client);
      throw error;
    }
  }

  async probe(backend: BackendConfig): Promise<BackendHealth> {
    try {
      const info = await this.use(backend, (c) => c.nsinfo(backend.namespace));
      const limitBytes = info.dataLimitsBytes;
      return {
        id: backend.id, reachable: true, usedBytes: info.dataSizeBytes, limitBytes, entries: info.entries, mode: info.mode,
        freeBytes: limitBytes === 0 ? Infinity : Math.max(0, limitBytes - info.dataSizeBytes),
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log?.warn('backend unreachable', { backend: backend.id, error: message });
      return { id: backend.id, reachable: false, freeBytes: 0, usedBytes: 0, limitBytes: 0, entries: 0, mode: '', error: message };
    }
  }

  close(): void {
    for (const [id, pending] of this.clients) {
      this.clients.delete(id);
      pending.then((c) => c.destroy(), () => undefined);
    }
  }

  private client(backend: BackendConfig): Promise<ZdbClient> {
    let pending = this.clients.get(backend.id);
    if (pending === undefined) {
      pending = ZdbClient.connect({ host: backend.host, port: backend.port }, {
        namespace: backend.namespace,
        ...(backend.password === undefined ? {} : { password: backend.password }),
        timeoutMs: this.timeoutMs,
        connectTimeoutMs: this.timeoutMs,
        reconnect: false,
        pendingCallsMax: 4096,
        // Timeouts and resets are reported by zstor (as unreachable shards or backends), not per call.
        logger: this.log ?? createLogger({ component: 'zstor', level: 'silent' }),
      });
      this.clients.set(backend.id, pending);
      pending.catch(() => this.clients.delete(backend.id));
    }
    return pending;
  }

  private drop(id: string, client: ZdbClient): void {
    void this.clients.get(id)?.then((current) => {
      if (current === client) this.clients.delete(id);
    }, () => undefined);
    client.destroy();
  }
}

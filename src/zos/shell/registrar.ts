// Registration on the chain: the node's twin (with its relays and encryption key) and its node
// record (farm, measured resources, location), created when absent and updated when they
// differ; then uptime reports at the chain's interval and the used resources of each contract.
import { canonicalJson } from '../../crypto/index.ts';
import type { ChainClient, Location, Resources } from '../../chain/index.ts';
import { TfgridError, type Logger } from '../../base/index.ts';
import { ZosError } from '../errors.ts';

export interface Registration {
  readonly twinId: number;
  readonly nodeId: number;
  readonly farmTwinId: number;
  readonly uptimeIntervalMs: number;
}

export interface RegisterOptions {
  readonly chain: ChainClient;
  readonly farmId: number;
  /** host[:port] of the relays, as the phonebook lists them. */
  readonly relays: readonly string[];
  readonly resources: Resources;
  readonly location: Location;
  readonly log: Logger;
}

const wait = { wait: true, timeoutMs: 30_000 } as const;

export async function register(options: RegisterOptions): Promise<Registration> {
  const { chain, log } = options;
  const identity = chain.identity!;
  const farm = await chain.farm(options.farmId);
  if (farm === undefined) {
    throw new TfgridError(ZosError.NOT_READY, `farm ${options.farmId} does not exist on the chain`);
  }
  let twin = await chain.twinByAccount(identity.publicKeyHex);
  const twinFields = { encryptionKey: identity.encryptionPublicKeyHex, relays: [...options.relays] };
  if (twin === undefined) {
    await chain.createTwin(twinFields, wait);
    twin = (await chain.twinByAccount(identity.publicKeyHex))!;
    log.info('twin created', { twin: twin.id });
  } else if (canonicalJson({ encryptionKey: twin.encryptionKey, relays: twin.relays }) !== canonicalJson(twinFields)) {
    await chain.send('twin.update', twinFields, wait);
    log.info('twin updated', { twin: twin.id });
  }
  const nodeFields = { farmId: options.farmId, resources: options.resources, location: options.location };
  let node = await chain.nodeByTwin(twin.id);
  if (node === undefined) {
    await chain.createNode(nodeFields, wait);
    node = (await chain.nodeByTwin(twin.id))!;
    log.info('node created', { node: node.id, resources: options.resources });
  } else if (canonicalJson({ farmId: node.farmId, resources: node.resources, location: node.location }) !== canonicalJson(nodeFields)) {
    await chain.send('node.update', { ...nodeFields, publicConfig: node.publicConfig, interfaces: node.interfaces.map((i) => ({ ...i, ips: [...i.ips] })) }, wait);
    log.info('node updated', { node: node.id, resources: options.resources });
  }
  const params = await chain.params();
  return { twinId: twin.id, nodeId: node.id, farmTwinId: farm.twinId, uptimeIntervalMs: params.uptimeIntervalMs };
}

/** Reports uptime now and every interval; returns the stopper. */
export function reportUptime(chain: ChainClient, intervalMs: number, startedMs: number, log: Logger): () => void {
  const report = (): void => {
    chain.reportUptime(Math.floor((Date.now() - startedMs) / 1000)).catch((error: unknown) => log.warn('uptime report failed', { error }));
  };
  report();
  const timer = setInterval(report, intervalMs);
  return () => clearInterval(timer);
}

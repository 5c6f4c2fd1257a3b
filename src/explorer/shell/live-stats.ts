// Live statistics of a node, asked of the node itself over the message bus (zos's
// `zos.statistics.get`: total, used and system resources and its user counts). The index says what
// the chain knows; this says what the node sees right now, when it answers. The answer is checked
// with zod: a node is just another twin, its bytes are input.
import { z } from 'zod';
import { TfgridError } from '../../base/index.ts';
import type { Peer } from '../../rmb/index.ts';
import { ExplorerError } from '../errors.ts';

export const statisticsCommand = 'zos.statistics.get';
export const liveStatsTimeoutMsDefault = 3_000;

const resources = z.object({ cru: z.number().int().min(0), mru: z.number().min(0), sru: z.number().min(0), hru: z.number().min(0), ipv4u: z.number().int().min(0).optional() });
export const nodeStatisticsSchema = z.object({
  total: resources,
  used: resources,
  system: resources.optional(),
  users: z.object({ deployments: z.number().int().min(0), workloads: z.number().int().min(0), lastDeploymentTimestamp: z.number().int().min(0).optional() }).optional(),
});
export type NodeStatistics = z.output<typeof nodeStatisticsSchema>;

/** Where /nodes/:id gets live statistics from; absent when the explorer has no bus identity. */
export interface StatisticsSource {
  statistics(nodeTwinId: number): Promise<NodeStatistics>;
}

export function busStatistics(peer: Peer, options: { timeoutMs?: number } = {}): StatisticsSource {
  return {
    async statistics(nodeTwinId) {
      let answer: Uint8Array;
      try {
        answer = await peer.request(nodeTwinId, statisticsCommand, new Uint8Array(), { timeoutMs: options.timeoutMs ?? liveStatsTimeoutMsDefault });
      } catch (cause) {
        throw new TfgridError(ExplorerError.NODE_UNREACHABLE, `twin ${nodeTwinId}: ${(cause as Error).message}`, { cause });
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(answer).toString('utf8'));
      } catch {
        throw new TfgridError(ExplorerError.NODE_UNREACHABLE, `twin ${nodeTwinId} answered ${statisticsCommand} with something that is not JSON`);
      }
      const parsed = nodeStatisticsSchema.safeParse(json);
      if (!parsed.success) throw new TfgridError(ExplorerError.NODE_UNREACHABLE, `twin ${nodeTwinId} answered ${statisticsCommand} with ${z.prettifyError(parsed.error)}`);
      return parsed.data;
    },
  };
}

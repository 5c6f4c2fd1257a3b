// Per-block work for node status: a node is up while its last uptime report is at most two
// uptime intervals old (DESIGN.md: report every 40 min, up if reported within 80 min). Reports
// set it up (tx/node.ts); this flags the nodes whose time ran out, from a due-time queue.
import { NodeStatus } from '../entities.ts';
import type { ChainState } from '../state/state.ts';
import type { Emit } from './lifecycle.ts';

export function flagDownNodes(state: ChainState, nowMs: number, emit: Emit): number {
  const popped = state.uptimeQueue.popUpTo(nowMs);
  if (popped.length === 0) return 0;
  const ids = [...new Set(popped)].sort((a, b) => a - b);
  let flagged = 0;
  for (const id of ids) {
    const node = state.nodes.get(id);
    if (node === undefined || node.status !== NodeStatus.up) continue;
    const downAtMs = state.downAtMs(node);
    if (downAtMs > nowMs) {
      state.uptimeQueue.push(downAtMs, id);
      continue;
    }
    state.nodes.set(id, { ...node, status: NodeStatus.down });
    emit({ type: 'NodeStatusChanged', nodeId: id, status: NodeStatus.down, lastUptimeMs: node.lastUptimeMs });
    flagged++;
  }
  return flagged;
}

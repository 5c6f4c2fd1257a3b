// node.create / node.update / node.uptime / node.power.state / node.report: signed by the node's
// own twin (proof-of-capacity: the node registers what it measured). node.power.target is the
// farmer's. One node per twin.
import { z } from 'zod';
import { ChainError } from '../../errors.ts';
import type { Node, Resources } from '../entities.ts';
import { ContractKind, NodeCertification, NodeStatus, Power } from '../entities.ts';
import { defineTx, ownedFarm, refuse, requireContract, requireFarm, requireNode, signerNode, signerTwin } from './context.ts';
import { count, id, location, networkInterface, power, publicConfig, resources, text } from './fields.ts';

export const interfacesMax = 16;
export const resourceReportsMax = 256;

const nodeFields = {
  farmId: id,
  resources,
  location,
  publicConfig: publicConfig.nullable().default(null),
  interfaces: z.array(networkInterface).max(interfacesMax).default([]),
  secureBoot: z.boolean().default(false),
  virtualized: z.boolean().default(false),
  serial: text(64).default(''),
};

const nodeSchema = z.strictObject(nodeFields);

export const nodeCreate = defineTx('node.create', nodeSchema, (context, payload) => {
  const { state } = context;
  const twin = signerTwin(context);
  const existing = state.nodeByTwin.get(twin.id);
  if (existing !== undefined) refuse(ChainError.ALREADY_EXISTS, `twin ${twin.id} is already node ${existing}`);
  requireFarm(state, payload.farmId);
  const nodeId = state.takeId('nextNodeId');
  const node: Node = {
    id: nodeId,
    ...payload,
    twinId: twin.id,
    certification: NodeCertification.diy,
    createdMs: context.nowMs,
    updatedMs: context.nowMs,
    uptimeSec: 0,
    lastUptimeMs: context.nowMs,
    status: NodeStatus.up,
    powerTarget: Power.up,
    powerState: Power.up,
    powerChangedMs: context.nowMs,
  };
  state.nodes.set(nodeId, node);
  context.emit({ type: 'NodeCreated', nodeId, farmId: payload.farmId, twinId: twin.id, resources: payload.resources, location: payload.location });
});

export const nodeUpdate = defineTx('node.update', nodeSchema, (context, payload) => {
  const node = signerNode(context);
  requireFarm(context.state, payload.farmId);
  context.state.nodes.set(node.id, { ...node, ...payload, updatedMs: context.nowMs });
  context.emit({ type: 'NodeUpdated', nodeId: node.id, farmId: payload.farmId, resources: payload.resources, location: payload.location });
});

export const nodeUptime = defineTx('node.uptime', z.strictObject({ uptimeSec: count }), (context, payload) => {
  const node = signerNode(context);
  const wasDown = node.status === NodeStatus.down;
  context.state.nodes.set(node.id, { ...node, uptimeSec: payload.uptimeSec, lastUptimeMs: context.nowMs, status: NodeStatus.up });
  context.emit({ type: 'NodeUptimeReported', nodeId: node.id, uptimeSec: payload.uptimeSec, timestampMs: context.nowMs });
  if (wasDown) context.emit({ type: 'NodeStatusChanged', nodeId: node.id, status: NodeStatus.up, lastUptimeMs: context.nowMs });
});

export const nodePowerTarget = defineTx('node.power.target', z.strictObject({ nodeId: id, target: power }), (context, payload) => {
  const node = requireNode(context.state, payload.nodeId);
  ownedFarm(context, node.farmId);
  context.state.nodes.set(node.id, { ...node, powerTarget: payload.target });
  context.emit({ type: 'NodePowerTargetChanged', nodeId: node.id, target: payload.target });
});

export const nodePowerState = defineTx('node.power.state', z.strictObject({ state: power }), (context, payload) => {
  const node = signerNode(context);
  if (node.powerState === payload.state) return;
  context.state.nodes.set(node.id, { ...node, powerState: payload.state, powerChangedMs: context.nowMs });
  context.emit({ type: 'NodePowerStateChanged', nodeId: node.id, state: payload.state });
});

/** The node reports the resources each of its contracts uses; billing uses the latest. */
export const nodeReport = defineTx(
  'node.report',
  z.strictObject({ reports: z.array(z.strictObject({ contractId: id, resources })).min(1).max(resourceReportsMax) }),
  (context, payload) => {
    const node = signerNode(context);
    for (const report of payload.reports) {
      const contract = requireContract(context.state, report.contractId);
      if (contract.kind !== ContractKind.node || contract.nodeId !== node.id) refuse(ChainError.NOT_OWNER, `contract ${contract.id} is not a node contract on node ${node.id}`);
      const used: Resources = report.resources;
      context.state.contracts.set(contract.id, { ...contract, resources: used });
    }
    context.emit({ type: 'NodeResourcesReported', nodeId: node.id, contractIds: payload.reports.map((r) => r.contractId) });
  },
);

// The one place that maps a transaction type to its payload schema and handler. Adding a type
// is a schema, a handler and one line here; the README lists every type and its payload.
import type { TxKind } from './context.ts';
import { adminCertify, paramsSet, pricingSet } from './admin.ts';
import { contractCancel, nameContractCreate, nodeContractCreate, nodeContractUpdate, rentContractCreate } from './contract.ts';
import { farmCreate, farmIpAdd, farmIpRemove, farmUpdate } from './farm.ts';
import { nodeCreate, nodePowerState, nodePowerTarget, nodeReport, nodeUpdate, nodeUptime } from './node.ts';
import { transfer } from './transfer.ts';
import { twinCreate, twinUpdate } from './twin.ts';

const kinds: readonly TxKind[] = [
  transfer,
  twinCreate,
  twinUpdate,
  farmCreate,
  farmUpdate,
  farmIpAdd,
  farmIpRemove,
  nodeCreate,
  nodeUpdate,
  nodeUptime,
  nodePowerTarget,
  nodePowerState,
  nodeReport,
  nodeContractCreate,
  nodeContractUpdate,
  nameContractCreate,
  rentContractCreate,
  contractCancel,
  pricingSet,
  paramsSet,
  adminCertify,
];

export const txKinds: ReadonlyMap<string, TxKind> = new Map(kinds.map((kind) => [kind.type, kind]));

export const TxType = {
  transfer: 'transfer',
  twinCreate: 'twin.create',
  twinUpdate: 'twin.update',
  farmCreate: 'farm.create',
  farmUpdate: 'farm.update',
  farmIpAdd: 'farm.ip.add',
  farmIpRemove: 'farm.ip.remove',
  nodeCreate: 'node.create',
  nodeUpdate: 'node.update',
  nodeUptime: 'node.uptime',
  nodePowerTarget: 'node.power.target',
  nodePowerState: 'node.power.state',
  nodeReport: 'node.report',
  nodeContractCreate: 'contract.node.create',
  nodeContractUpdate: 'contract.node.update',
  nameContractCreate: 'contract.name.create',
  rentContractCreate: 'contract.rent.create',
  contractCancel: 'contract.cancel',
  pricingSet: 'pricing.set',
  paramsSet: 'params.set',
  adminCertify: 'admin.certify',
} as const;
export type TxTypeName = (typeof TxType)[keyof typeof TxType];

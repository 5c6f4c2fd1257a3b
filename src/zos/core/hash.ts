// The deployment's hash, which the twin puts in its node contract and signs: SHA-256 over the
// domain and the RFC 8785 canonical JSON of the deployment without `contract_id`, the
// signatures and the workloads' results (`digestOf`, src/crypto). Those three are what the
// twin cannot know when it signs (the contract id comes from the chain, results from the node).
import { digestOf, toHex, verifyEd25519, fromHex, type Identity } from '../../crypto/index.ts';
import type { Deployment } from './deployment.ts';

export const deploymentHashDomain = 'tfgrid/zos/deployment/v1';

/** What is hashed: the deployment without contract_id, signatures and results. */
export function hashedPart(deployment: Deployment): unknown {
  const { contract_id: _contract, signature_requirement, workloads, ...rest } = deployment;
  const { signatures: _signatures, ...requirement } = signature_requirement;
  return { ...rest, signature_requirement: requirement, workloads: workloads.map(({ result: _result, ...workload }) => workload) };
}

export function deploymentHash(deployment: Deployment): Uint8Array {
  return digestOf(deploymentHashDomain, hashedPart(deployment));
}

export function deploymentHashHex(deployment: Deployment): string {
  return toHex(deploymentHash(deployment));
}

/** Adds (or replaces) `twinId`'s signature over the deployment's hash. */
export function signDeployment(deployment: Deployment, identity: Identity, twinId: number): Deployment {
  const signature = toHex(identity.sign(deploymentHash(deployment)));
  const others = deployment.signature_requirement.signatures.filter((s) => s.twin_id !== twinId);
  return { ...deployment, signature_requirement: { ...deployment.signature_requirement, signatures: [...others, { twin_id: twinId, signature, signature_type: 'ed25519' }] } };
}

export function verifyDeploymentSignature(hash: Uint8Array, signatureHex: string, publicKeyHex: string): boolean {
  return verifyEd25519(fromHex(publicKeyHex), hash, fromHex(signatureHex));
}

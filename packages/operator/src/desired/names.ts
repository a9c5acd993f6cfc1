/** Names and labels of what a SkyfloAI owns: `<name>-engine`, `<name>-mcp`, ... in its namespace. */
import type { KubeObject, OwnerReference } from '../kube/kube-rest.ts';

export const skyfloAiApiVersion = 'skyflo.ai/v1';
export const skyfloAiKind = 'SkyfloAI';
export const managedBy = 'skyflo-operator';

export interface SkyfloAiObject extends KubeObject {
  spec?: unknown;
  status?: Record<string, unknown>;
}

export type Component = 'engine' | 'mcp';

export function instanceNames(owner: { metadata: { name: string; namespace?: string } }) {
  const { name } = owner.metadata;
  const namespace = owner.metadata.namespace ?? 'default';
  return {
    engine: `${name}-engine`,
    mcp: `${name}-mcp`,
    secrets: `${name}-secrets`,
    data: `${name}-data`,
    ingress: name,
    /** cluster-scoped, so it carries the namespace to stay unique */
    clusterRbac: `skyflo:${namespace}:${name}:mcp`,
  };
}

/** Labels on everything a SkyfloAI owns; the operator's informers select on managed-by and find the owner by instance. */
export function instanceLabels(owner: SkyfloAiObject, component?: Component | 'data' | 'secrets' | 'rbac'): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'skyflo',
    'app.kubernetes.io/instance': owner.metadata.name,
    'app.kubernetes.io/managed-by': managedBy,
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}

/** What selects a component's pods (never changes, as a Deployment's selector is immutable). */
export function selectorLabels(owner: SkyfloAiObject, component: Component): Record<string, string> {
  return { 'app.kubernetes.io/name': 'skyflo', 'app.kubernetes.io/instance': owner.metadata.name, 'app.kubernetes.io/component': component };
}

export function ownerReference(owner: SkyfloAiObject): OwnerReference {
  return { apiVersion: skyfloAiApiVersion, kind: skyfloAiKind, name: owner.metadata.name, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** Labels that tie a cluster-scoped object to its namespaced owner (owner references cannot cross scopes). */
export function clusterOwnerLabels(owner: SkyfloAiObject): Record<string, string> {
  return { 'skyflo.ai/owner-namespace': owner.metadata.namespace ?? 'default', 'skyflo.ai/owner-name': owner.metadata.name };
}

/** The executor's objects (issue 34: cluster-enforced approvals); its ServiceAccount and RBAC come from the chart. */
export function executorNames(owner: { metadata: { name: string; namespace?: string } }) {
  const { name } = owner.metadata;
  const namespace = owner.metadata.namespace ?? 'default';
  return {
    executor: `${name}-executor`,
    /** the engine's Ed25519 signing key pair and the executor's caller token (generated once, never owned) */
    approvalKeys: `${name}-approval-keys`,
    /** the MCP server's own executor token, which opens only the dry-run proxy (issue 73; generated once, never owned) */
    dryRunToken: `${name}-executor-dry-run`,
    /** the webhook's serving certificate and the CA the API server trusts it by */
    tls: `${name}-executor-tls`,
    /** cluster-scoped, so it carries the namespace to stay unique */
    webhook: `skyflo-${namespace}-${name}-approvals`,
  };
}

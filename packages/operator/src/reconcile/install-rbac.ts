/**
 * Issue 73: who makes the MCP server's RBAC. An operator that creates Roles and bindings must either hold every rule it
 * writes (the MCP server's `operate` rules: Secrets CRUD, pods/exec, writes on workloads everywhere) or hold `escalate`
 * and `bind`, which let it grant anything. Neither is least privilege, so an install by the chart runs the operator with
 * `--mcp-rbac=install`: the chart (applied by a cluster administrator, who holds those rules already) creates the MCP
 * server's ClusterRole, Roles and bindings for the access profile it was given, under names of its own
 * (`...:mcp-access`), and the operator only checks they are there and say what the SkyfloAI's spec needs. It writes no
 * RBAC itself, and removes only what an older operator made (by name, which the chart allows it to delete).
 *
 * `--mcp-rbac=operator` (the default of `skyflo operator` run by hand) keeps the operator making that RBAC itself; it
 * then needs those rules (docs/security.md, "Operator and executor permissions").
 */
import { mcpRbac } from '../desired/desired-state.ts';
import { instanceNames, type SkyfloAiObject } from '../desired/names.ts';
import type { KubeObject, KubeRest } from '../kube/kube-rest.ts';
import { accessProfileOf, type SkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { isSubset, payload } from './compare.ts';

export type McpRbacMode = 'operator' | 'install';

/** The name the chart gives the MCP server's RBAC objects (cluster-scoped, so it carries the namespace). */
export function installMcpRbacName(owner: { metadata: { name: string; namespace?: string } }): string {
  return `${instanceNames(owner).clusterRbac}-access`;
}

/** What the install must have made for this spec: the operator's own MCP RBAC, under the install's name. */
export function installMcpRbac(owner: SkyfloAiObject, spec: SkyfloAiSpec): KubeObject[] {
  const operatorName = instanceNames(owner).clusterRbac;
  const name = installMcpRbacName(owner);
  return mcpRbac(owner, spec).map((object) => {
    const roleRef = (object as { roleRef?: { name: string } }).roleRef;
    return {
      ...object,
      metadata: { ...object.metadata, name },
      ...(roleRef ? { roleRef: { ...roleRef, name: roleRef.name === operatorName ? name : roleRef.name } } : {}),
    } as KubeObject;
  });
}

const describe = (object: KubeObject) => `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;

/** Undefined when the install's MCP RBAC says what the spec needs; else what is missing or different, and the fix. */
export async function installMcpRbacProblem(kube: KubeRest, owner: SkyfloAiObject, spec: SkyfloAiSpec): Promise<string | undefined> {
  const wrong: string[] = [];
  for (const wanted of installMcpRbac(owner, spec)) {
    const actual = await kube.get({ apiVersion: wanted.apiVersion, kind: wanted.kind, name: wanted.metadata.name, namespace: wanted.metadata.namespace });
    if (!actual) wrong.push(`${describe(wanted)} is missing`);
    else if (!isSubset(payload(wanted), payload(actual))) wrong.push(`${describe(wanted)} grants something else`);
  }
  if (wrong.length === 0) return undefined;
  const namespace = owner.metadata.namespace ?? 'default';
  const profile = accessProfileOf(spec);
  const sets = [
    `skyfloai.accessProfile=${spec.rbac.profile === 'operate' ? 'cluster-admin-like' : spec.rbac.profile}`,
    ...(spec.rbac.profile === 'namespaced' ? [`skyfloai.namespaces={${[...new Set(spec.rbac.namespaces)].join(',')}}`] : []),
    ...(spec.rbac.profile === 'custom' ? [`skyfloai.rbac.clusterRoleName=${spec.rbac.clusterRoleName}`] : []),
    `skyfloai.approvals.enforcement=${spec.approvals.enforcement}`,
    ...(spec.readOnly ? ['skyfloai.readOnly=true'] : []),
  ].map((value) => `--set ${value}`);
  return (
    `the MCP server's RBAC for access profile ${profile} is made by the install, not by this operator (--mcp-rbac=install), and ${wrong.join(', ')}: ` +
    `run helm upgrade ${sets.join(' ')} (or apply helm template <release> deploy/helm/skyflo -n ${namespace} ${sets.join(' ')} --show-only templates/mcp-rbac.yaml)`
  );
}

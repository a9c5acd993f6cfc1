import { ApiError, type KubeObject, type SimUser } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';
import type { SimObjectStore } from '../store/object-store.ts';
import type { Authorizer, PolicyRule } from './rbac-authorizer.ts';

const rbacGroup = 'rbac.authorization.k8s.io';

/** `{APIGroups:["apps"], Resources:["deployments/scale"], ResourceNames:["web"], Verbs:["patch"]}`, as the API server prints a rule. */
function formatRule(rule: PolicyRule): string {
  const list = (values: string[]) => `[${values.map((value) => JSON.stringify(value)).join(' ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${list(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${list(rule.resources)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${list(rule.nonResourceURLs)}`);
  parts.push(`Verbs:${list(rule.verbs ?? [])}`);
  return `{${parts.join(', ')}}`;
}

/** Whether `user` holds everything `rule` grants, in `namespace` (undefined: cluster-wide). */
function holdsRule(authorizer: Authorizer, user: SimUser, rule: PolicyRule, namespace: string | undefined): boolean {
  if (rule.nonResourceURLs?.length) {
    const held = authorizer.rulesFor(user, namespace ?? '').filter((candidate) => candidate.nonResourceURLs?.length);
    return rule.nonResourceURLs.every((url) =>
      (rule.verbs ?? []).every((verb) => held.some((candidate) => (candidate.verbs.includes('*') || candidate.verbs.includes(verb)) && candidate.nonResourceURLs!.some((pattern) => pattern === '*' || pattern === url || (pattern.endsWith('*') && url.startsWith(pattern.slice(0, -1)))))),
    );
  }
  const names: Array<string | undefined> = rule.resourceNames?.length ? rule.resourceNames : [undefined];
  for (const verb of rule.verbs ?? []) {
    for (const group of rule.apiGroups ?? ['']) {
      for (const pattern of rule.resources ?? []) {
        const [resource, subresource] = pattern.split('/');
        for (const name of names) {
          if (!authorizer.authorize(user, { verb, group, resource: resource!, subresource, namespace, name }).allowed) return false;
        }
      }
    }
  }
  return true;
}

function escalationError(resource: string, name: string, user: SimUser, missing: PolicyRule[]): ApiError {
  return new ApiError(
    403,
    'Forbidden',
    `${resource}.${rbacGroup} "${name}" is forbidden: user "${user.name}" (groups=[${user.groups.map((group) => JSON.stringify(group)).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(formatRule).join('\n')}`,
    { name, group: rbacGroup, kind: resource },
  );
}

/**
 * The RBAC API's privilege-escalation prevention: a Role/ClusterRole may be written only by a user who holds every
 * permission it grants (in its namespace) or has the `escalate` verb on it; a binding only by a user who holds every
 * permission of the referenced role or has `bind` on it. So granting a permission needs that power, as in a real cluster.
 */
export function checkRbacEscalation(options: { authorizer: Authorizer; store: SimObjectStore; registry: SimResourceRegistry; user: SimUser; resource: string; object: KubeObject }): void {
  const { authorizer, user, resource, object } = options;
  const name = object.metadata.name ?? '';
  const namespace = resource === 'roles' || resource === 'rolebindings' ? object.metadata.namespace : undefined;
  if (resource === 'roles' || resource === 'clusterroles') {
    if (authorizer.authorize(user, { verb: 'escalate', group: rbacGroup, resource, namespace, name }).allowed) return;
    const missing = ((object.rules ?? []) as PolicyRule[]).filter((rule) => !holdsRule(authorizer, user, rule, namespace));
    if (missing.length) throw escalationError(resource, name, user, missing);
    return;
  }
  if (resource !== 'rolebindings' && resource !== 'clusterrolebindings') return;
  const roleRef = object.roleRef ?? {};
  const roleResource = roleRef.kind === 'Role' ? 'roles' : 'clusterroles';
  if (authorizer.authorize(user, { verb: 'bind', group: rbacGroup, resource: roleResource, namespace, name: roleRef.name }).allowed) return;
  const role = options.store.getShared(options.registry.byResource(rbacGroup, roleResource)!, roleRef.kind === 'Role' ? namespace : undefined, String(roleRef.name ?? ''));
  const missing = ((role?.rules ?? []) as PolicyRule[]).filter((rule) => !holdsRule(authorizer, user, rule, namespace));
  if (missing.length) throw escalationError(resource, name, user, missing);
}

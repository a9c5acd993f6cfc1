import type { IncomingMessage } from 'node:http';
import { ApiError, type KubeObject, type SimUser } from '../cluster-types.ts';
import type { SimResourceRegistry } from '../resources/resource-registry.ts';
import type { SimObjectStore } from '../store/object-store.ts';

/** One request as RBAC sees it. */
export interface AccessRequest {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Authorizer {
  authorize(user: SimUser, request: AccessRequest): Decision;
  /** Rules that apply to the user in a namespace (for SelfSubjectRulesReview). */
  rulesFor(user: SimUser, namespace: string): PolicyRule[];
}

function matches(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

function ruleAllows(rule: PolicyRule, request: AccessRequest): boolean {
  if (!matches(rule.verbs, request.verb)) return false;
  if (!matches(rule.apiGroups, request.group)) return false;
  const resources = rule.resources ?? [];
  const wanted = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const resourceMatch = resources.includes('*') || resources.includes(wanted) || (request.subresource !== undefined && resources.includes(`*/${request.subresource}`));
  if (!resourceMatch) return false;
  if (rule.resourceNames?.length) return request.name !== undefined && rule.resourceNames.includes(request.name);
  return true;
}

function subjectMatches(subject: any, user: SimUser, bindingNamespace: string | undefined): boolean {
  switch (subject?.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.name === `system:serviceaccount:${subject.namespace ?? bindingNamespace}:${subject.name}`;
    default:
      return false;
  }
}

/**
 * Evaluates the Roles, ClusterRoles and their bindings stored in the cluster, like the RBAC authorizer.
 * `system:masters` bypasses RBAC, as in every real cluster.
 */
export function createRbacAuthorizer(store: SimObjectStore, registry: SimResourceRegistry): Authorizer {
  const rbac = (resource: string) => registry.byResource('rbac.authorization.k8s.io', resource)!;

  function rulesOf(roleRef: any, namespace: string | undefined): PolicyRule[] {
    if (roleRef?.kind === 'ClusterRole') return (store.getShared(rbac('clusterroles'), undefined, roleRef.name) as KubeObject | undefined)?.rules ?? [];
    if (roleRef?.kind === 'Role' && namespace) return (store.getShared(rbac('roles'), namespace, roleRef.name) as KubeObject | undefined)?.rules ?? [];
    return [];
  }

  function applicableRules(user: SimUser, namespace: string | undefined): Array<{ rule: PolicyRule; via: string }> {
    const rules: Array<{ rule: PolicyRule; via: string }> = [];
    for (const binding of store.listShared(rbac('clusterrolebindings'))) {
      if ((binding.subjects ?? []).some((subject: any) => subjectMatches(subject, user, undefined))) {
        for (const rule of rulesOf(binding.roleRef, undefined)) rules.push({ rule, via: `ClusterRoleBinding "${binding.metadata.name}" of ClusterRole "${binding.roleRef?.name}"` });
      }
    }
    if (namespace) {
      for (const binding of store.listShared(rbac('rolebindings'), namespace)) {
        if ((binding.subjects ?? []).some((subject: any) => subjectMatches(subject, user, namespace))) {
          for (const rule of rulesOf(binding.roleRef, namespace)) rules.push({ rule, via: `RoleBinding "${binding.metadata.name}/${namespace}" of ${binding.roleRef?.kind} "${binding.roleRef?.name}"` });
        }
      }
    }
    return rules;
  }

  return {
    authorize(user, request) {
      if (user.groups.includes('system:masters')) return { allowed: true, reason: 'member of system:masters' };
      // system:basic-user: everyone may ask what they themselves are allowed to do.
      if (request.verb === 'create' && ['authorization.k8s.io', 'authentication.k8s.io'].includes(request.group) && request.resource.startsWith('selfsubject')) {
        return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user"' };
      }
      for (const { rule, via } of applicableRules(user, request.namespace)) {
        if (ruleAllows(rule, request)) return { allowed: true, reason: `RBAC: allowed by ${via}` };
      }
      return { allowed: false, reason: '' };
    },
    rulesFor(user, namespace) {
      if (user.groups.includes('system:masters')) return [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }];
      return applicableRules(user, namespace).map(({ rule }) => rule);
    },
  };
}

/** `pods "x" is forbidden: User "alice" cannot get resource "pods" in API group "" in the namespace "prod"` */
export function forbidden(user: SimUser, request: AccessRequest): ApiError {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  const qualified = request.group ? `${request.resource}.${request.group}` : request.resource;
  const subject = request.name ? `${qualified} "${request.name}"` : qualified;
  const scope = request.namespace ? `in the namespace "${request.namespace}"` : 'at the cluster scope';
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: User "${user.name}" cannot ${request.verb} resource "${resource}" in API group "${request.group}" ${scope}`, {
    name: request.name,
    group: request.group,
    kind: request.resource,
  });
}

/**
 * Applies Impersonate-User / Impersonate-Group headers. The caller needs the `impersonate` verb on users
 * (and groups); the impersonated identity is what every later RBAC check sees.
 */
export function impersonate(request: IncomingMessage, caller: SimUser, authorizer: Authorizer): SimUser {
  const userHeader = request.headers['impersonate-user'];
  const groupHeaders = request.headers['impersonate-group'];
  const targetName = Array.isArray(userHeader) ? userHeader[0] : userHeader;
  const groups = (Array.isArray(groupHeaders) ? groupHeaders : groupHeaders ? [groupHeaders] : []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
  if (!targetName && groups.length === 0) return caller;
  if (!targetName) throw new ApiError(500, 'InternalError', 'requested impersonation of groups without impersonating a user');
  const userCheck: AccessRequest = { verb: 'impersonate', group: '', resource: 'users', name: targetName };
  if (!authorizer.authorize(caller, userCheck).allowed) {
    throw new ApiError(403, 'Forbidden', `users "${targetName}" is forbidden: User "${caller.name}" cannot impersonate resource "users" in API group "" at the cluster scope`);
  }
  for (const group of groups) {
    if (!authorizer.authorize(caller, { verb: 'impersonate', group: '', resource: 'groups', name: group }).allowed) {
      throw new ApiError(403, 'Forbidden', `groups "${group}" is forbidden: User "${caller.name}" cannot impersonate resource "groups" in API group "" at the cluster scope`);
    }
  }
  // A service account's user name carries its groups, as the API server's impersonation filter adds them.
  const serviceAccount = /^system:serviceaccount:([^:]+):[^:]+$/.exec(targetName);
  const accountGroups = serviceAccount ? ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1]}`] : [];
  return { name: targetName, groups: [...new Set([...groups, ...accountGroups, 'system:authenticated'])] };
}

import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeArgument } from '../../exec/flag-guard.ts';
import { KubeApiError } from '../../kube/kube-api-error.ts';
import { assertSafeName, clients, namespaceOf } from './kubectl-common.ts';
import { withTextOutput } from '../output-shapes.ts';

const VERB = /^(\*|[a-z]+)$/;
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export const k8sAuthCanI = defineTool({
  name: 'k8s_auth_can_i',
  title: 'Check Kubernetes RBAC Permission',
  description:
    'Ask the API server whether an action is allowed (like `kubectl auth can-i`): for the MCP server\'s own identity (SelfSubjectAccessReview), or for another user or service account (SubjectAccessReview, with as_user or as_service_account). Use it to check RBAC before and after a fix.',
  toolset: 'k8s',
  inputSchema: {
    verb: z.string().min(1).describe('The verb: get, list, watch, create, update, patch, delete, deletecollection, impersonate, … or *'),
    resource: z.string().min(1).describe('The resource type, e.g. pods, deployments, deployments.apps, secrets, nodes (a short name such as deploy works), or *'),
    subresource: z.string().optional().describe('A subresource, e.g. log, exec, scale, status'),
    name: z.string().optional().describe('One object by name (for rules that list resourceNames); omit for any'),
    namespace: z.string().optional().describe('Namespace to ask about (default: the kubeconfig context namespace); ignored for cluster-scoped resources such as nodes'),
    as_user: z.string().optional().describe('Ask on behalf of this user (SubjectAccessReview) instead of the MCP server itself'),
    as_groups: z.array(z.string().min(1)).optional().describe('Groups of as_user (e.g. ["developers"]); only with as_user'),
    as_service_account: z.string().optional().describe('Ask on behalf of a service account, "namespace/name" (or just "name" in the namespace asked about)'),
  },
  outputSchema: withTextOutput({ allowed: z.boolean().optional().describe('The API server allows it'), denied: z.boolean().optional().describe('An authorizer denied it explicitly'), review: z.enum(['SelfSubjectAccessReview', 'SubjectAccessReview']).optional().describe('The review sent'), user: z.string().optional().describe('The user asked about (SubjectAccessReview)'), groups: z.array(z.string()).optional().describe('Their groups'), resourceAttributes: z.object({ verb: z.string(), group: z.string(), resource: z.string(), subresource: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }).optional().describe('The resource attributes reviewed'), reason: z.string().optional().describe("The authorizer's reason ('' when none)") }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    const verb = input.verb.trim();
    if (!VERB.test(verb)) throw new ToolInputError(`Invalid verb "${input.verb}".`, { hint: 'use a lower-case API verb such as get, list, create, delete, or *' });
    assertSafeArgument('resource', input.resource);
    if (input.subresource && !/^[a-z]+$/.test(input.subresource)) throw new ToolInputError(`Invalid subresource "${input.subresource}".`, { hint: 'use a subresource name such as log, exec, scale or status' });
    if (input.name) assertSafeName('name', input.name);
    if (input.as_user && input.as_service_account) throw new ToolInputError('as_user and as_service_account are mutually exclusive.', { hint: 'pass one of them' });
    if (input.as_groups?.length && !input.as_user) throw new ToolInputError('as_groups needs as_user.', { hint: 'pass as_user with as_groups, or drop as_groups' });
    const namespace = namespaceOf(deps, input.namespace);

    const target = await resourceOf(deps, input.resource);
    const scopedNamespace = target.namespaced ? namespace : undefined;
    const subject = subjectOf(input, namespace);
    const resourceAttributes = {
      verb,
      group: target.group,
      resource: target.resource,
      ...(input.subresource ? { subresource: input.subresource } : {}),
      ...(input.name ? { name: input.name } : {}),
      ...(scopedNamespace ? { namespace: scopedNamespace } : {}),
    };
    const kind = subject ? 'SubjectAccessReview' : 'SelfSubjectAccessReview';
    let review: { status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } };
    try {
      review = await clients(deps).http.json({
        method: 'POST',
        path: `/apis/authorization.k8s.io/v1/${subject ? 'subjectaccessreviews' : 'selfsubjectaccessreviews'}`,
        body: { apiVersion: 'authorization.k8s.io/v1', kind, spec: { resourceAttributes, ...(subject ? { user: subject.user, groups: subject.groups } : {}) } },
        signal: context.signal,
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 403 && subject) {
        // Asking about someone else is itself a permission: create on subjectaccessreviews (cluster-wide).
        throw new ToolInputError(`The MCP server may not check another identity's permissions: ${error.message}.`, {
          hint: 'grant the MCP server\'s account "create" on subjectaccessreviews.authorization.k8s.io, or ask without as_user/as_service_account',
          code: 'FORBIDDEN',
        });
      }
      throw error;
    }
    const status = review.status ?? {};
    const allowed = status.allowed === true;
    const who = subject ? subject.user : 'the MCP server (its own credentials)';
    const what = `${verb} ${target.display}${input.subresource ? `/${input.subresource}` : ''}${input.name ? ` "${input.name}"` : ''}`;
    const where = scopedNamespace ? ` in namespace "${scopedNamespace}"` : target.namespaced ? '' : ' (cluster-scoped)';
    const lines = [`${allowed ? 'yes' : 'no'}: ${who} ${allowed ? 'may' : 'may not'} ${what}${where}.`];
    if (status.reason) lines.push(`Reason: ${status.reason}`);
    if (status.evaluationError) lines.push(`Evaluation error: ${status.evaluationError}`);
    if (!allowed && !status.reason) lines.push('Reason: no RBAC rule allows it.');
    if (target.unknown) lines.push(`Warning: the cluster does not serve a resource type "${input.resource}"; the answer is about that name as given.`);
    return {
      text: lines.join('\n'),
      structured: { allowed, denied: status.denied === true, review: kind, user: subject?.user, groups: subject?.groups, resourceAttributes, reason: status.reason ?? '' },
    };
  },
});

interface ReviewResource {
  group: string;
  resource: string;
  namespaced: boolean;
  /** how to print it: "deployments.apps" */
  display: string;
  /** discovery did not know it (kubectl warns and asks anyway) */
  unknown?: boolean;
}

/** Resolves "deploy", "deployments.apps" or "*" through discovery, as kubectl's RESTMapper does. */
async function resourceOf(deps: ToolDeps, resource: string): Promise<ReviewResource> {
  const trimmed = resource.trim();
  if (trimmed === '*') return { group: '*', resource: '*', namespaced: true, display: '*' };
  if (!/^[A-Za-z0-9.*-]+$/.test(trimmed)) throw new ToolInputError(`Invalid resource "${resource}".`, { hint: 'use a resource type such as pods, deployments.apps or nodes; put a subresource in subresource' });
  try {
    const info = await clients(deps).discovery.resolve(trimmed);
    return { group: info.group, resource: info.resource, namespaced: info.namespaced, display: info.group ? `${info.resource}.${info.group}` : info.resource };
  } catch (error) {
    if (!(error instanceof ToolInputError) || error.code !== 'NOT_FOUND') throw error;
    const dot = trimmed.indexOf('.');
    const [name, group] = dot >= 0 ? [trimmed.slice(0, dot), trimmed.slice(dot + 1)] : [trimmed, ''];
    return { group, resource: name.toLowerCase(), namespaced: true, display: trimmed, unknown: true };
  }
}

/**
 * Whom a SubjectAccessReview asks about. A service account carries the groups the API server gives every
 * service account token; any named identity also carries system:authenticated, as a real request from it would.
 */
function subjectOf(input: { as_user?: string; as_groups?: string[]; as_service_account?: string }, namespace: string): { user: string; groups: string[] } | undefined {
  if (input.as_user) {
    const user = input.as_user.trim();
    if (!user || /[\s\u0000-\u001f]/.test(user)) throw new ToolInputError(`Invalid as_user "${input.as_user}".`, { hint: 'pass a user name such as alice@example.com' });
    if (user.startsWith(SERVICE_ACCOUNT_PREFIX)) {
      const [accountNamespace, name] = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
      return serviceAccount(accountNamespace, name);
    }
    return { user, groups: [...new Set([...(input.as_groups ?? []), 'system:authenticated'])] };
  }
  if (input.as_service_account) {
    const value = input.as_service_account.trim();
    const parts = value.includes('/') ? value.split('/') : value.includes(':') ? value.split(':') : [namespace, value];
    if (parts.length !== 2) throw new ToolInputError(`Invalid as_service_account "${input.as_service_account}".`, { hint: 'pass "namespace/name", e.g. "ci/deployer"' });
    return serviceAccount(parts[0], parts[1]);
  }
  return undefined;
}

function serviceAccount(namespace: string | undefined, name: string | undefined): { user: string; groups: string[] } {
  if (!namespace || !name) throw new ToolInputError('A service account needs a namespace and a name.', { hint: 'pass as_service_account as "namespace/name"' });
  assertSafeName('service account namespace', namespace);
  assertSafeName('service account name', name);
  return { user: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
}

/**
 * What each cluster looks like from here (issue 22): reachable or not (and why, naming the kubeconfig file and
 * context), the server version, who Skyflo is there (SelfSubjectReview) and, at start, what it may do
 * (SelfSubjectRulesReview, summarised to one line). Every probe is read-only and creates nothing.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import type { ToolDeps } from '../deps/deps.ts';
import { clusterRegistryOf } from './context-deps.ts';
import { kubeClientsFor } from './kube-clients.ts';
import { KubeApiError } from './kube-api-error.ts';
import type { ClusterEntry } from '../deps/cluster-registry.ts';

const probeTimeoutMs = 5_000;

function reason(error: unknown): string {
  if (error instanceof KubeApiError) return `HTTP ${error.status} ${error.reason}: ${error.message}`;
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** One cluster's status; never throws (a failure is `reachable: false` with the reason). */
export async function probeCluster(deps: ToolDeps, entry: ClusterEntry, signal?: AbortSignal): Promise<ClusterStatus> {
  const base: ClusterStatus = {
    name: entry.name,
    server: entry.server,
    ...(entry.label ? { label: entry.label } : {}),
    current: entry.current,
    reachable: false,
    default_namespace: entry.defaultNamespace,
  };
  if (entry.problem) return { ...base, error: entry.problem };
  try {
    const { http } = kubeClientsFor(clusterRegistryOf(deps).kubeConfigFor(entry.name));
    const version = await http.json<{ gitVersion?: string }>({ path: '/version', timeoutMs: probeTimeoutMs, signal });
    // /version answers anyone; this one needs the credentials to work. An older API server without SelfSubjectReview
    // (< 1.28) is still usable: the identity is then unknown. Credentials the server rejects (401: expired, rotated,
    // revoked) are not: every call would fail, so the cluster is reported as failing (issue 75), not ok.
    const review = await http
      .json<{ status?: { userInfo?: { username?: string } } }>({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} },
        timeoutMs: probeTimeoutMs,
        signal,
      })
      .catch((error: unknown) => {
        if (error instanceof KubeApiError && error.status === 401) throw new CredentialsRejectedError(error);
        return undefined;
      });
    const identity = review?.status?.userInfo?.username;
    return { ...base, reachable: true, ...(version.gitVersion ? { version: version.gitVersion } : {}), ...(identity ? { identity } : {}) };
  } catch (error) {
    return { ...base, error: unreachableReason(entry, error), ...(error instanceof CredentialsRejectedError ? { credentials_rejected: true } : {}) };
  }
}

/** The API server answered, and refused the credentials (HTTP 401): reachable, and unusable. */
class CredentialsRejectedError extends Error {
  constructor(readonly rejection: KubeApiError) {
    super(`the API server rejected the credentials (HTTP 401 ${rejection.reason}: ${rejection.message}); refresh or replace them in the kubeconfig`);
  }
}

/** Why a cluster could not be reached, naming where it is configured: "kubeconfig /x/config: context beta: https://… is unreachable: ECONNREFUSED …" */
export function unreachableReason(entry: ClusterEntry, error: unknown): string {
  if (error instanceof CredentialsRejectedError) return `${entry.source}: context ${entry.name}: ${entry.server}: ${error.message}`;
  return `${entry.source}: context ${entry.name}: ${entry.server} is unreachable: ${reason(error)}`;
}

/** Every cluster's status, probed in parallel. */
export async function listClusterStatuses(deps: ToolDeps, signal?: AbortSignal): Promise<ClusterStatus[]> {
  return Promise.all(clusterRegistryOf(deps).clusters().map((entry) => probeCluster(deps, entry, signal)));
}

interface ResourceRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
}

const readVerbs = new Set(['get', 'list', 'watch']);

/** "read-only (get/list/watch on *)", "cluster-admin-like (* on *)" or "read-write (create/delete/… on deployments, …)". */
export function summariseRules(rules: ResourceRule[]): string {
  const verbs = [...new Set(rules.flatMap((rule) => rule.verbs ?? []))];
  const resources = [...new Set(rules.flatMap((rule) => rule.resources ?? []))];
  if (verbs.length === 0) return 'no access';
  const on = resources.includes('*') ? '*' : resources.length > 6 ? `${resources.slice(0, 6).join(', ')} and ${resources.length - 6} more` : resources.join(', ');
  if (verbs.includes('*') && resources.includes('*')) return `cluster-admin-like (* on *)`;
  const writes = verbs.filter((verb) => !readVerbs.has(verb));
  // the access reviews every user may create are questions, not writes
  const realWrites = writes.filter((verb) => verb !== 'create' || rules.some((rule) => rule.verbs?.includes('create') && (rule.resources ?? []).some((resource) => !resource.startsWith('self') && !resource.endsWith('reviews'))));
  if (realWrites.length === 0) return `read-only (${verbs.filter((verb) => readVerbs.has(verb)).join('/') || 'none'} on ${on})`;
  return `read-write (${verbs.join('/')} on ${on})`;
}

/** One line per cluster: what this server may do there (SelfSubjectRulesReview in its default namespace), or why not known. */
export async function describeClusterPermissions(deps: ToolDeps, signal?: AbortSignal): Promise<string[]> {
  const registry = clusterRegistryOf(deps);
  return Promise.all(
    registry.clusters().map(async (entry) => {
      const name = `cluster ${entry.name}${entry.label ? ` [${entry.label}]` : ''}${entry.current ? ' (current)' : ''}`;
      if (entry.problem) return `${name}: not usable: ${entry.problem}`;
      try {
        const { http } = kubeClientsFor(registry.kubeConfigFor(entry.name));
        const review = await http.json<{ status?: { resourceRules?: ResourceRule[] } }>({
          method: 'POST',
          path: '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: entry.defaultNamespace } },
          timeoutMs: probeTimeoutMs,
          signal,
        });
        return `${name}: ${summariseRules(review.status?.resourceRules ?? [])} in namespace ${entry.defaultNamespace}, at ${entry.server}`;
      } catch (error) {
        return `${name}: permissions unknown: ${entry.source}: context ${entry.name}: ${entry.server} did not answer: ${reason(error)}`;
      }
    }),
  );
}

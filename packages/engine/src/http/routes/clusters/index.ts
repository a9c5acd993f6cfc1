/**
 * Clusters and scope (issue 22):
 *   GET   /clusters                   → ClustersResponse: each configured cluster (in the caller's scope), reachable or
 *                                       not and why, and its approval policy for writes
 *   GET   /clusters/policies          → {policies} (admin)
 *   PUT   /clusters/policies          → {policies} (admin): per cluster, optionally per namespace glob,
 *                                       read_only | self | approver | four_eyes; unset = the environment's policy
 *   PATCH /team/members/:id/scope     → Member (admin): {clusters?, namespaces?}; {} = no limit
 */
import { clusterPoliciesSchema, memberScopeSchema, type ApprovalEnforcement, type ClustersResponse, type ClustersUnavailable, type MemberScope } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ClusterDirectory } from '../../../domain/clusters/cluster-directory.ts';
import type { ClusterPolicies } from '../../../domain/clusters/cluster-policies.ts';
import { clustersUnavailableMessage } from '../../../domain/clusters/clusters-unavailable.ts';
import { clusterInScope } from '../../../domain/clusters/member-scope.ts';
import type { AuditLog, UserStore } from '../../../platform/ports/index.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { toMember } from '../team/index.ts';

export interface ClusterRouteDeps {
  directory: ClusterDirectory;
  policies: ClusterPolicies;
  users: UserStore;
  audit: AuditLog;
  /** issue 34: who enforces a cluster's approvals (absent: the engine alone, SKYFLO_APPROVAL_ENFORCEMENT unset) */
  enforcementOf?: (cluster: string) => ApprovalEnforcement;
}

const idParamsSchema = z.object({ id: z.uuid('id must be a member id (UUID) from GET /team/members') });

function requireAdmin(request: FastifyRequest, what: string): void {
  if (request.user.role !== 'admin') throw new HttpError(403, `Only admins can ${what}`, 'FORBIDDEN');
}

/** {} or empty lists mean "no limit" only when absent: an empty list is "nothing", which is refused as a mistake. */
function normaliseScope(scope: MemberScope): MemberScope | undefined {
  if (scope.clusters?.length === 0) throw new HttpError(400, 'clusters: an empty list would allow no cluster; leave clusters out to allow every cluster', 'INVALID_INPUT');
  if (scope.namespaces?.length === 0) throw new HttpError(400, 'namespaces: an empty list would allow no namespace; leave namespaces out to allow every namespace', 'INVALID_INPUT');
  return scope.clusters || scope.namespaces ? { ...(scope.clusters ? { clusters: scope.clusters } : {}), ...(scope.namespaces ? { namespaces: scope.namespaces } : {}) } : undefined;
}

export const clusterRoutes: FastifyPluginAsync<ClusterRouteDeps> = async (app, { directory, policies, users, audit, enforcementOf }) => {
  app.get('/clusters', async (request, reply): Promise<ClustersResponse | ClustersUnavailable> => {
    let clusters;
    try {
      clusters = await directory.list({ refresh: request.query !== null && typeof request.query === 'object' && (request.query as Record<string, unknown>)['refresh'] === 'true' });
    } catch (error) {
      // Answered here, not thrown: the error handler hides every 5xx's words, and these are the ones a first run
      // needs ("No kubeconfig found … Pass --kubeconfig …"). They come from configuration, never from a secret.
      request.log.warn({ err: error }, 'the clusters could not be listed');
      return reply.code(503).send({ detail: clustersUnavailableMessage(error), code: 'CLUSTERS_UNAVAILABLE' } satisfies ClustersUnavailable);
    }
    const scope = (await users.findById(request.user.id))?.scope;
    const visible = clusters.filter((cluster) => clusterInScope(scope, cluster.name));
    return { clusters: await Promise.all(visible.map(async (cluster) => ({ ...cluster, policy: await policies.clusterMode(cluster.name), approval_enforcement: enforcementOf?.(cluster.name) ?? 'engine' }))) };
  });

  app.get('/clusters/policies', async (request) => {
    requireAdmin(request, 'read the cluster policies');
    return { policies: await policies.list() };
  });

  app.put('/clusters/policies', async (request) => {
    requireAdmin(request, 'change the cluster policies');
    const input = parseInput(clusterPoliciesSchema, request.body);
    await policies.replace(input.policies);
    await audit.record({ actorId: request.user.id, action: 'cluster_policies.updated', subjectType: 'settings', subjectId: 'cluster_policies', details: { policies: input.policies }, ip: request.ip });
    return { policies: await policies.list() };
  });

  app.patch('/team/members/:id/scope', async (request) => {
    requireAdmin(request, 'change what a member may touch');
    const { id } = parseInput(idParamsSchema, request.params, 'params');
    const scope = normaliseScope(parseInput(memberScopeSchema.strict(), request.body ?? {}));
    const user = await users.setScope(id, scope);
    if (!user) throw new HttpError(404, 'Member not found', 'NOT_FOUND');
    await audit.record({ actorId: request.user.id, action: 'member.scope_changed', subjectType: 'user', subjectId: id, details: { scope: scope ?? null }, ip: request.ip });
    return toMember(user);
  });
};

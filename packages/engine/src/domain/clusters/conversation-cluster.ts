/**
 * The agent service's side of clusters (issue 22): the cluster a new conversation is pinned to (the chat's
 * `context`, else the kubeconfig's current context, else the first one in the requester's scope), and what each run
 * of a conversation knows about clusters (its cluster, the requester's scope, the lines of the prompt naming them).
 */
import type { ClusterStatus, MemberScope } from '@skyflo/protocol';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import { clusterPrompt } from './cluster-prompt.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import type { ClusterPolicies } from './cluster-policies.ts';
import { clusterInScope } from './member-scope.ts';

export interface ConversationClusterDeps {
  directory: ClusterDirectory;
  policies?: ClusterPolicies;
  /** the requester's scope (absent: everything) */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
}

export interface RunClusterContext {
  cluster?: string;
  scope?: MemberScope;
  clusterPrompt?: string;
}

export function createConversationClusters(deps: ConversationClusterDeps) {
  const scopeOf = async (userId: string) => (deps.scopeOf ? await deps.scopeOf(userId) : undefined);

  /**
   * `readScope`: the requester's scope as the caller already read it for this request (a chat's start asks both
   * functions below); absent, it is read here.
   */

  /**
   * The cluster a conversation without one is pinned to. `requested` must name a configured cluster inside the
   * requester's scope (400 / 403 naming the ones there are); undefined when there are no clusters to pin to.
   */
  async function pinFor(userId: string, requested: string | undefined, readScope?: Promise<MemberScope | undefined>): Promise<string | undefined> {
    let clusters: ClusterStatus[];
    try {
      clusters = await deps.directory.list();
    } catch (error) {
      if (requested === undefined) return undefined; // pinned on a later chat; calls meanwhile name their cluster or use the current one
      throw new AgentRequestError(503, 'CLUSTERS_UNAVAILABLE', `The clusters could not be listed (${error instanceof Error ? error.message : String(error)}), so the conversation cannot be pinned to ${requested}; try again shortly.`);
    }
    const scope = await (readScope ?? scopeOf(userId));
    const allowed = clusters.filter((cluster) => clusterInScope(scope, cluster.name));
    if (requested !== undefined) {
      if (clusters.length === 0) throw new AgentRequestError(400, 'UNKNOWN_CLUSTER', `context ${requested}: the MCP server lists no clusters, so a conversation cannot be pinned to one.`);
      if (!clusters.some((cluster) => cluster.name === requested)) {
        throw new AgentRequestError(400, 'UNKNOWN_CLUSTER', `context ${requested} is not a configured cluster; the clusters are ${clusters.map((cluster) => cluster.name).join(', ')}.`);
      }
      if (!allowed.some((cluster) => cluster.name === requested)) {
        throw new AgentRequestError(403, 'OUT_OF_SCOPE', `context ${requested} is outside your scope; you may use ${allowed.map((cluster) => cluster.name).join(', ') || 'no cluster'}.`);
      }
      return requested;
    }
    return (allowed.find((cluster) => cluster.current) ?? allowed[0])?.name;
  }

  /** What a run of a conversation pinned to `cluster`, requested by `userId`, knows about clusters. */
  async function forRun(userId: string, cluster: string | undefined, readScope?: Promise<MemberScope | undefined>): Promise<RunClusterContext> {
    const scope = await (readScope ?? scopeOf(userId));
    let prompt: string | undefined;
    try {
      const clusters = await deps.directory.list();
      const withPolicy = await Promise.all(clusters.map(async (entry) => ({ ...entry, ...(deps.policies ? { policy: await deps.policies.clusterMode(entry.name) } : {}) })));
      prompt = clusterPrompt({ clusters: withPolicy, pinned: cluster ?? clusters.find((entry) => entry.current)?.name, scope });
    } catch {
      prompt = undefined; // the gate still refuses what it cannot place; the prompt only helps the model
    }
    return { ...(cluster ? { cluster } : {}), ...(scope ? { scope } : {}), ...(prompt ? { clusterPrompt: prompt } : {}) };
  }

  return { pinFor, forRun };
}

export type ConversationClusters = ReturnType<typeof createConversationClusters>;

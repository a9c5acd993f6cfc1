/**
 * The clusters Skyflo can act on, as the MCP server reports them (its internal read-only tool `list_clusters`:
 * every kubeconfig context plus the in-cluster identity, with reachability). Cached briefly: the gate asks on every
 * cluster call and GET /health on every probe, and neither may cost a round of API requests to every cluster.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import { clusterStatusSchema } from '@skyflo/protocol';
import { z } from 'zod';
import { offersTool, type ToolGateway } from '../../platform/ports/tool-gateway.ts';

export const listClustersToolName = 'list_clusters';

export interface ClusterDirectory {
  /**
   * Every configured cluster, or [] when the MCP server predates clusters (no `list_clusters`): then nothing is
   * pinned or injected and calls run where they always did. Throws when the MCP server could not be asked.
   */
  list(options?: { refresh?: boolean }): Promise<ClusterStatus[]>;
  /** the named cluster, or undefined when no such cluster is configured */
  find(name: string): Promise<ClusterStatus | undefined>;
  /** the kubeconfig's current context: the default for a new conversation */
  current(): Promise<ClusterStatus | undefined>;
}

const listingSchema = z.object({ clusters: z.array(clusterStatusSchema) });

/**
 * `ttlMs`: how long a listing is fresh. A listing older than that but younger than `maxStaleMs` is answered at once
 * while a fresh one is fetched behind it: list_clusters probes every cluster (up to 5 s for one that does not
 * answer), and a read in one cluster must not wait on a probe of another. `refresh: true` always waits for a fresh
 * listing (the check right before an approved call runs, GET /clusters?refresh=true).
 */
export function createClusterDirectory(deps: { tools: ToolGateway; ttlMs?: number; maxStaleMs?: number; now?: () => number }): ClusterDirectory {
  const ttlMs = deps.ttlMs ?? 5_000;
  const maxStaleMs = Math.max(ttlMs, deps.maxStaleMs ?? 60_000);
  const now = deps.now ?? Date.now;
  let cached: { at: number; clusters: ClusterStatus[] } | undefined;
  let inFlight: Promise<ClusterStatus[]> | undefined;

  async function fetchClusters(): Promise<ClusterStatus[]> {
    if (!(await offersTool(deps.tools, listClustersToolName))) return [];
    const outcome = await deps.tools.callTool({ name: listClustersToolName, args: {}, timeoutMs: 15_000 });
    if (outcome.isError) throw new Error(`list_clusters failed: ${outcome.text}`);
    const parsed = listingSchema.safeParse(outcome.structured ?? safeJson(outcome.text));
    if (!parsed.success) throw new Error('list_clusters answered without a cluster list');
    return parsed.data.clusters;
  }

  const directory: ClusterDirectory = {
    async list(options) {
      const age = cached ? now() - cached.at : Infinity;
      if (!options?.refresh && cached && age < ttlMs) return cached.clusters;
      // One listing in flight at a time: a burst of health probes and gate checks shares it.
      inFlight ??= fetchClusters()
        .then((clusters) => {
          cached = { at: now(), clusters };
          return clusters;
        })
        .finally(() => {
          inFlight = undefined;
        });
      if (!options?.refresh && cached && age < maxStaleMs) {
        inFlight.catch(() => undefined); // a failed refresh is retried by the next caller
        return cached.clusters;
      }
      return inFlight;
    },
    async find(name) {
      return (await directory.list()).find((cluster) => cluster.name === name);
    },
    async current() {
      const clusters = await directory.list();
      return clusters.find((cluster) => cluster.current) ?? (clusters.length === 1 ? clusters[0] : undefined);
    },
  };
  return directory;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

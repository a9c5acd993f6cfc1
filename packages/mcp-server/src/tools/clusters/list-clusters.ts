/**
 * list_clusters: every cluster this server may act on, with reachability, version and identity (issue 22). For the
 * engine (GET /api/v1/clusters, /health), not the model: it has no toolset, and the engine only offers the model
 * tools of a toolset (engine/src/graph/tool-exposure.ts); the model is told the clusters by the engine instead.
 */
import { z } from 'zod';
import { clusterStatusSchema } from '@skyflo/protocol';
import { listClusterStatuses } from '../../kube/cluster-status.ts';
import { clusterRegistryOf } from '../../kube/context-deps.ts';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { withTextOutput } from '../output-shapes.ts';

export const listClustersName = 'list_clusters';

export const listClusters = defineTool({
  name: listClustersName,
  title: 'List clusters',
  description:
    'List every cluster (kubeconfig context, or "in-cluster") this MCP server can act on: name, API server URL, label, whether it is the current context, whether it answers (and why not), its version, the identity used there (SelfSubjectReview) and its default namespace.',
  inputSchema: {},
  outputSchema: withTextOutput({ clusters: z.array(clusterStatusSchema).describe('One entry per cluster') }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(_input, deps: ToolDeps, context) {
    const registry = clusterRegistryOf(deps);
    const clusters = await listClusterStatuses(deps, context.signal);
    const lines = clusters.map(
      (cluster) =>
        `${cluster.current ? '*' : ' '} ${cluster.name}${cluster.label ? ` [${cluster.label}]` : ''}  ${cluster.server || '(no server)'}  ` +
        (cluster.reachable ? `reachable, ${cluster.version ?? 'version unknown'}, as ${cluster.identity ?? 'unknown identity'}, namespace ${cluster.default_namespace}` : `UNREACHABLE: ${cluster.error}`),
    );
    const warnings = registry.warnings().map((warning) => `warning: ${warning}`);
    return { text: [...(lines.length ? lines : ['No clusters configured.']), ...warnings].join('\n'), structured: { clusters } };
  },
});

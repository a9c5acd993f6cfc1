/**
 * MCP resources (resources/list, resources/read, resources/templates/list): what a desktop client can attach to a
 * conversation without calling a tool. Read-only by nature, so every caller that may list tools may read them.
 * - `skyflo://clusters`: the clusters this server can act on (list_clusters' answer, as JSON);
 * - `skyflo://clusters/{cluster}/namespaces/{namespace}/workloads`: a namespace's workloads (`k8s_get all`: pods,
 *   services, deployments, replica/stateful/daemon sets, jobs, cron jobs, HPAs).
 * Both are produced by running the tool itself through runTool, so the content is redacted and budgeted exactly like
 * that tool's output, the cluster is resolved and refused like a tool's `context`, and Secrets are never among them.
 */
import { McpServer, ProtocolError, ProtocolErrorCode, ResourceTemplate, type ReadResourceResult, type Resource } from '@modelcontextprotocol/server';
import { clusterRegistryOf } from '../kube/context-deps.ts';
import { createClusterCompletions } from '../completions/cluster-completions.ts';
import { runTool } from '../tools/run-tool.ts';
import type { AnyToolDefinition, ToolOutput } from '../contract/tool-definition.ts';
import type { ToolDeps } from '../deps/deps.ts';

export const clustersResourceUri = 'skyflo://clusters';
export const workloadsResourceTemplate = 'skyflo://clusters/{cluster}/namespaces/{namespace}/workloads';

export const workloadsResourceUri = (cluster: string, namespace: string) =>
  `skyflo://clusters/${encodeURIComponent(cluster)}/namespaces/${encodeURIComponent(namespace)}/workloads`;

/** A Kubernetes namespace name (RFC 1123 label): anything else is refused before a request is made. */
const namespaceName = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** resources/list enumerates at most this many namespaces per cluster; read any other through the template. */
const listedNamespacesPerCluster = 50;

function variable(value: string | string[] | undefined, name: string): string {
  const raw = Array.isArray(value) ? value[0] : value;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw ?? '');
  } catch {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `The resource URI's ${name} is not valid percent-encoding.`);
  }
  if (!decoded) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `The resource URI names no ${name}.`);
  return decoded;
}

/** A tool failure as the JSON-RPC error of resources/read: the tool's own (redacted) message. */
function contentOrThrow(output: ToolOutput): ToolOutput {
  if (output.isError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, output.text);
  return output;
}

export function registerClusterResources(server: McpServer, deps: ToolDeps, tools: AnyToolDefinition<ToolDeps>[]): void {
  const listClusters = tools.find((tool) => tool.name === 'list_clusters');
  const k8sGet = tools.find((tool) => tool.name === 'k8s_get');

  if (listClusters) {
    server.registerResource(
      'clusters',
      clustersResourceUri,
      { title: 'Clusters', description: 'Every cluster this server can act on: name, API server, label, reachability, version, the identity used and its default namespace.', mimeType: 'application/json' },
      async (uri, ctx): Promise<ReadResourceResult> => {
        const output = contentOrThrow(await runTool(listClusters, {}, deps, { signal: ctx.mcpReq.signal }));
        const clusters = output.structured?.['clusters'] ?? [];
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ clusters }, null, 2) }] };
      },
    );
  }

  if (k8sGet) {
    const completions = createClusterCompletions(deps);
    const readNamespaces = async (cluster: string, signal: AbortSignal): Promise<string[]> => {
      const output = await runTool(k8sGet, { resource_type: 'namespaces', output: 'name', context: cluster }, deps, { signal });
      if (output.isError) return [];
      return output.text.split('\n').map((line) => line.trim().replace(/^namespace\//, '')).filter((name) => namespaceName.test(name));
    };
    server.registerResource(
      'namespace-workloads',
      new ResourceTemplate(workloadsResourceTemplate, {
        // every cluster's namespaces (a bounded number): a client can offer them without knowing the names
        list: async (ctx): Promise<{ resources: Resource[] }> => {
          const resources: Resource[] = [];
          for (const cluster of clusterRegistryOf(deps).clusters()) {
            if (cluster.problem) continue;
            const namespaces = (await readNamespaces(cluster.name, ctx.mcpReq.signal)).slice(0, listedNamespacesPerCluster);
            for (const namespace of namespaces) {
              resources.push({ uri: workloadsResourceUri(cluster.name, namespace), name: `${cluster.name}/${namespace} workloads`, mimeType: 'text/plain' });
            }
          }
          return { resources };
        },
        // what a client offers as the user types: cluster names, then that cluster's namespaces
        complete: {
          cluster: (value) => completions.clusters(value),
          namespace: (value, context) => completions.namespaces(value, context?.arguments?.['cluster']),
        },
      }),
      {
        title: 'Workloads of a namespace',
        description: 'The pods, services, deployments, replica/stateful/daemon sets, jobs, cron jobs and HPAs of one namespace of one cluster (like kubectl get all), redacted and cut to the output budget.',
        mimeType: 'text/plain',
      },
      async (uri, variables, ctx): Promise<ReadResourceResult> => {
        const cluster = variable(variables['cluster'], 'cluster');
        const namespace = variable(variables['namespace'], 'namespace');
        if (!namespaceName.test(namespace)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `"${namespace}" is not a Kubernetes namespace name.`);
        const output = contentOrThrow(await runTool(k8sGet, { resource_type: 'all', namespace, context: cluster }, deps, { signal: ctx.mcpReq.signal }));
        return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: output.text }] };
      },
    );
  }
}

import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { clients } from './kubectl-common.ts';
import { textOutputShape } from '../output-shapes.ts';

export const k8sClusterInfo = defineTool({
  name: 'k8s_cluster_info',
  title: 'Get Kubernetes Cluster Information',
  description: 'Show where the control plane and cluster services run (like `kubectl cluster-info`), plus the server version and node count.',
  toolset: 'k8s',
  inputSchema: {},
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(_input, deps: ToolDeps, context) {
    const { http } = clients(deps);
    const server = http.server.replace(/\/$/, '');
    const [version, nodes, services] = await Promise.all([
      http.json<{ gitVersion?: string; platform?: string }>({ path: '/version', signal: context.signal }),
      http.json<{ items: any[] }>({ path: '/api/v1/nodes', signal: context.signal }).catch(() => undefined),
      http.json<{ items: any[] }>({ path: '/api/v1/namespaces/kube-system/services', query: { labelSelector: 'kubernetes.io/cluster-service=true' }, signal: context.signal }).catch(() => undefined),
    ]);
    const lines = [`Kubernetes control plane is running at ${server}`];
    for (const service of services?.items ?? []) {
      const name = service.metadata?.labels?.['kubernetes.io/name'] ?? service.metadata?.name;
      const port = service.spec?.ports?.[0];
      const portPart = port ? `:${port.name ?? port.port}` : '';
      lines.push(`${name} is running at ${server}/api/v1/namespaces/kube-system/services/${service.metadata?.name}${portPart}/proxy`);
    }
    lines.push('', `Server version: ${version.gitVersion ?? 'unknown'}${version.platform ? ` (${version.platform})` : ''}`);
    if (nodes) {
      const ready = nodes.items.filter((node) => (node.status?.conditions ?? []).some((condition: any) => condition.type === 'Ready' && condition.status === 'True')).length;
      lines.push(`Nodes: ${nodes.items.length} (${ready} Ready)`);
    }
    return { text: lines.join('\n') };
  },
});

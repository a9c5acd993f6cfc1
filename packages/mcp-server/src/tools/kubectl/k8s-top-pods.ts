import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { assertSafeSelector } from '../../exec/flag-guard.ts';
import { assertSafeName, namespaceField, namespaceOf } from './kubectl-common.ts';
import { formatCpu, formatMemory, getMetrics, parseQuantity } from './metrics.ts';
import { formatRows } from './render-table.ts';
import { textOutputShape } from '../output-shapes.ts';

interface PodMetrics {
  metadata: { name: string; namespace: string };
  containers: Array<{ name: string; usage: { cpu?: string; memory?: string } }>;
}

export const k8sTopPods = defineTool({
  name: 'k8s_top_pods',
  title: 'Show Pod Resource Usage',
  description: 'Show CPU and memory usage of pods from metrics.k8s.io (like `kubectl top pods`), optionally per container and sorted.',
  toolset: 'k8s',
  tags: ['metrics'],
  inputSchema: {
    name: z.string().optional().describe('Only this pod'),
    namespace: namespaceField,
    all_namespaces: z.boolean().optional().default(false).describe('Across all namespaces'),
    containers: z.boolean().optional().default(false).describe('One row per container'),
    label_selector: z.string().optional().describe("Label selector, e.g. 'app=web'"),
    sort_by: z.enum(['cpu', 'memory']).optional().describe('Sort by cpu or memory (highest first)'),
    no_headers: z.boolean().optional().default(false).describe('Omit the header row'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    if (input.name) assertSafeName('name', input.name);
    if (input.label_selector) assertSafeSelector('label_selector', input.label_selector);
    const allNamespaces = input.all_namespaces && !input.name;
    const namespace = allNamespaces ? undefined : namespaceOf(deps, input.namespace);
    const path = `${namespace ? `/namespaces/${namespace}` : ''}/pods${input.name ? `/${input.name}` : ''}`;
    const result = await getMetrics<PodMetrics | { items: PodMetrics[] }>(deps, path, { labelSelector: input.label_selector }, context.signal);
    const pods = 'items' in result ? result.items : [result];
    const rows = pods.flatMap((pod): Array<{ pod: PodMetrics; container?: string; cpu: number; memory: number }> => {
      const usage = (containers: PodMetrics['containers']) => ({
        cpu: containers.reduce((sum, container) => sum + parseQuantity(container.usage.cpu), 0),
        memory: containers.reduce((sum, container) => sum + parseQuantity(container.usage.memory), 0),
      });
      if (input.containers) return pod.containers.map((container) => ({ pod, container: container.name, ...usage([container]) }));
      return [{ pod, container: undefined, ...usage(pod.containers) }];
    });
    if (rows.length === 0) {
      if (input.name) throw new ToolInputError(`No metrics for pod "${input.name}".`, { hint: 'the pod may have just started; retry in a minute', code: 'NOT_FOUND' });
      return { text: `No resources found${namespace ? ` in namespace "${namespace}"` : ''}.` };
    }
    if (input.sort_by) rows.sort((a, b) => b[input.sort_by!] - a[input.sort_by!]);
    const headers = [...(allNamespaces ? ['NAMESPACE'] : []), input.containers ? 'POD' : 'NAME', ...(input.containers ? ['NAME'] : []), 'CPU(cores)', 'MEMORY(bytes)'];
    const body = rows.map((row) => [
      ...(allNamespaces ? [row.pod.metadata.namespace] : []),
      row.pod.metadata.name,
      ...(input.containers ? [row.container ?? ''] : []),
      formatCpu(row.cpu),
      formatMemory(row.memory),
    ]);
    const text = formatRows({ headers, rows: body });
    return { text: input.no_headers ? text.split('\n').slice(1).join('\n') : text };
  },
});

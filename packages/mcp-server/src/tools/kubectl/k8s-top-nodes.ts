import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { assertSafeSelector } from '../../exec/flag-guard.ts';
import { assertSafeName, clients } from './kubectl-common.ts';
import { formatCpu, formatMemory, getMetrics, parseQuantity } from './metrics.ts';
import { formatRows } from './render-table.ts';
import { textOutputShape } from '../output-shapes.ts';

interface NodeMetrics {
  metadata: { name: string };
  usage: { cpu?: string; memory?: string };
}

export const k8sTopNodes = defineTool({
  name: 'k8s_top_nodes',
  title: 'Show Node Resource Usage',
  description: 'Show CPU and memory usage of nodes, absolute and as a share of allocatable (like `kubectl top nodes`).',
  toolset: 'k8s',
  tags: ['metrics'],
  inputSchema: {
    name: z.string().optional().describe('Only this node'),
    label_selector: z.string().optional().describe("Label selector, e.g. 'node-role.kubernetes.io/worker='"),
    sort_by: z.enum(['cpu', 'memory']).optional().describe('Sort by cpu or memory (highest first)'),
    no_headers: z.boolean().optional().default(false).describe('Omit the header row'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    if (input.name) assertSafeName('name', input.name);
    if (input.label_selector) assertSafeSelector('label_selector', input.label_selector);
    const result = await getMetrics<NodeMetrics | { items: NodeMetrics[] }>(deps, `/nodes${input.name ? `/${input.name}` : ''}`, { labelSelector: input.label_selector }, context.signal);
    const metrics = 'items' in result ? result.items : [result];
    const nodes = await clients(deps).http.json<{ items: any[] }>({ path: '/api/v1/nodes', query: { labelSelector: input.label_selector }, signal: context.signal });
    const allocatable = new Map(nodes.items.map((node) => [node.metadata?.name, node.status?.allocatable ?? {}]));
    const rows = metrics.map((node) => {
      const cpu = parseQuantity(node.usage.cpu);
      const memory = parseQuantity(node.usage.memory);
      const capacity = allocatable.get(node.metadata.name) ?? {};
      const percent = (used: number, total: number) => (total > 0 ? `${Math.round((used / total) * 100)}%` : '<unknown>');
      return { name: node.metadata.name, cpu, memory, cpuPercent: percent(cpu, parseQuantity(capacity.cpu)), memoryPercent: percent(memory, parseQuantity(capacity.memory)) };
    });
    if (rows.length === 0) return { text: 'No resources found.' };
    if (input.sort_by) rows.sort((a, b) => b[input.sort_by!] - a[input.sort_by!]);
    const text = formatRows({
      headers: ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'],
      rows: rows.map((row) => [row.name, formatCpu(row.cpu), row.cpuPercent, formatMemory(row.memory), row.memoryPercent]),
    });
    return { text: input.no_headers ? text.split('\n').slice(1).join('\n') : text };
  },
});

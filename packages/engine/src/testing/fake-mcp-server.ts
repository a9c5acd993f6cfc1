/**
 * A small MCP server for the agent's tests: a fake "cluster" of deployment replica counts and its tools —
 * k8s_get (read-only), k8s_scale (mutating, previewed by k8s_diff), k8s_diff (read-only), k8s_delete (mutating and
 * destructive), k8s_mystery (no annotations at all, so the gate must treat it as mutating) and wait_for_x_seconds
 * (read-only, abortable).
 * Records every call so tests can assert what really executed. Connected in-process with InMemoryTransport.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

export interface FakeMcpServer {
  client: Client;
  /** deployment name → replicas */
  replicas: Map<string, number>;
  /** every tools/call the server received, in order */
  calls: Array<{ name: string; args: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startFakeMcpServer(options: {
  replicas?: Record<string, number>;
  /** the kubeconfig contexts its internal `list_clusters` reports (absent: it predates clusters and lists none) */
  clusters?: Array<{ name: string; server: string; current: boolean }>;
} = {}): Promise<FakeMcpServer> {
  const replicas = new Map(Object.entries(options.replicas ?? { web: 2 }));
  const calls: FakeMcpServer['calls'] = [];
  const server = new McpServer({ name: 'fake-skyflo-mcp', version: '0.0.0' });
  const text = (value: string, isError = false) => ({ content: [{ type: 'text' as const, text: value }], ...(isError ? { isError: true } : {}) });

  server.registerTool(
    'k8s_get',
    {
      title: 'Get resources',
      description: 'List deployments and their replicas',
      inputSchema: { resource_type: z.string().describe('resource type'), name: z.string().optional().describe('name') },
      annotations: { readOnlyHint: true, destructiveHint: false },
      _meta: { tags: ['k8s', 'metrics'] },
    },
    async (args) => {
      calls.push({ name: 'k8s_get', args });
      if (args.name && !replicas.has(args.name)) return text(`deployments.apps "${args.name}" not found`, true);
      const rows = [...replicas].filter(([name]) => !args.name || name === args.name).map(([name, count]) => `${name}  ${count}/${count}`);
      return text(['NAME  READY', ...rows].join('\n'));
    },
  );
  server.registerTool(
    'k8s_scale',
    {
      title: 'Scale a workload',
      description: 'Set the replica count of a deployment',
      inputSchema: { name: z.string().describe('deployment'), replicas: z.number().int().min(0).describe('replicas'), namespace: z.string().optional().describe('namespace') },
      annotations: { readOnlyHint: false, destructiveHint: false },
      _meta: { tags: ['k8s'], preview: { tool: 'k8s_diff' } },
    },
    async (args) => {
      calls.push({ name: 'k8s_scale', args });
      if (!replicas.has(args.name)) return text(`deployments.apps "${args.name}" not found`, true);
      replicas.set(args.name, args.replicas);
      return text(`deployment.apps/${args.name} scaled`);
    },
  );
  server.registerTool(
    'k8s_diff',
    {
      title: 'Diff a change',
      description: 'Unified diff of live vs would-be state',
      // the argument shape of the real k8s_diff, which the gateway maps k8s_scale's arguments onto
      inputSchema: {
        operation: z.enum(['scale']).describe('the previewed operation'),
        name: z.string().describe('deployment'),
        resource_type: z.string().optional(),
        replicas: z.number().optional().describe('replicas'),
        namespace: z.string().optional(),
      },
      annotations: { readOnlyHint: true, destructiveHint: false },
      _meta: { tags: ['k8s', 'diff'] },
    },
    async (args) => {
      calls.push({ name: 'k8s_diff', args });
      const current = replicas.get(args.name);
      if (current === undefined) return text(`deployments.apps "${args.name}" not found`, true);
      return text(`--- live/${args.name}\n+++ proposed/${args.name}\n@@ spec @@\n-  replicas: ${current}\n+  replicas: ${args.replicas}`);
    },
  );
  server.registerTool(
    'k8s_delete',
    {
      title: 'Delete a workload',
      description: 'Delete a deployment',
      inputSchema: { name: z.string().describe('deployment'), resource_type: z.string().optional().describe('resource type') },
      annotations: { readOnlyHint: false, destructiveHint: true },
      _meta: { tags: ['k8s'] },
    },
    async (args) => {
      calls.push({ name: 'k8s_delete', args });
      if (!replicas.delete(args.name)) return text(`deployments.apps "${args.name}" not found`, true);
      return text(`deployment.apps "${args.name}" deleted`);
    },
  );
  server.registerTool(
    'k8s_mystery',
    { description: 'A tool that declares no annotations', inputSchema: { name: z.string() } },
    async (args) => {
      calls.push({ name: 'k8s_mystery', args });
      replicas.delete(args.name);
      return text(`deleted ${args.name}`);
    },
  );
  server.registerTool(
    'wait_for_x_seconds',
    {
      title: 'Wait',
      description: 'Wait a number of seconds',
      inputSchema: { seconds: z.number().min(0).max(300).describe('seconds') },
      annotations: { readOnlyHint: true, destructiveHint: false },
      _meta: { tags: ['k8s'] },
    },
    async (args, extra) => {
      calls.push({ name: 'wait_for_x_seconds', args });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, args.seconds * 1000);
        extra.mcpReq.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return text(`waited ${args.seconds}s`);
    },
  );

  if (options.clusters) {
    const clusters = options.clusters.map((cluster) => ({ ...cluster, reachable: true }));
    server.registerTool(
      'list_clusters',
      { title: 'List clusters', description: 'The configured clusters (internal)', inputSchema: {}, annotations: { readOnlyHint: true, destructiveHint: false }, _meta: { tags: ['internal'] } },
      async () => ({ content: [{ type: 'text' as const, text: JSON.stringify({ clusters }) }], structuredContent: { clusters } }),
    );
  }

  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'fake-mcp-test-client', version: '0.0.0' });
  await client.connect(clientTransport);
  return {
    client,
    replicas,
    calls,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

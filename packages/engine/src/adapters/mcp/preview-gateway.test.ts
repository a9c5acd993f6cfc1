/**
 * The gateway previews over the wire: a tool listed with `_meta["skyflo.ai/preview"]` is previewed by calling
 * the server's `preview_tool_call {tool, arguments}` — whatever server it is, with no copy of Skyflo's tool
 * definitions in the engine. A server whose preview_tool_call is not read-only gets no call at all.
 */
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createToolGateway } from './create-tool-gateway.ts';
import type { ToolGateway } from '../../platform/ports/tool-gateway.ts';

interface ThirdPartyServer {
  gateway: ToolGateway;
  calls: Array<{ name: string; args: Record<string, unknown> }>;
}

const opened: ToolGateway[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
});

/** A server that is not Skyflo's: its own tool names, its own argument shapes, its own preview logic. */
async function startThirdPartyServer(options: { previewReadOnly: boolean }): Promise<ThirdPartyServer> {
  const calls: ThirdPartyServer['calls'] = [];
  const server = new McpServer({ name: 'acme-ops', version: '9.9.9' });
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  server.registerTool(
    'acme_resize_pool',
    {
      title: 'Resize a node pool',
      description: 'Set the node count of a pool',
      inputSchema: { pool: z.string().describe('pool'), nodes: z.number().int().describe('nodes') },
      annotations: { readOnlyHint: false, destructiveHint: false },
      _meta: { 'skyflo.ai/preview': true },
    },
    async (args) => {
      calls.push({ name: 'acme_resize_pool', args });
      return text('resized');
    },
  );
  server.registerTool(
    'acme_reboot',
    { title: 'Reboot', description: 'Reboot a node', inputSchema: { node: z.string().describe('node') }, annotations: { readOnlyHint: false, destructiveHint: true } },
    async (args) => {
      calls.push({ name: 'acme_reboot', args });
      return text('rebooted');
    },
  );
  server.registerTool(
    'preview_tool_call',
    {
      title: 'Preview a tool call',
      description: 'What a call would change',
      inputSchema: { tool: z.string().describe('tool'), arguments: z.record(z.string(), z.unknown()).describe('arguments') },
      annotations: { readOnlyHint: options.previewReadOnly, destructiveHint: false },
    },
    async (args) => {
      calls.push({ name: 'preview_tool_call', args });
      return text(`--- live\n+++ would-be\n-nodes: 3\n+nodes: ${String(args.arguments['nodes'])}`);
    },
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'engine-test', version: '0.0.0' });
  await client.connect(clientTransport);
  const gateway = createToolGateway({
    client,
    closeClient: async () => {
      await client.close();
      await server.close();
    },
  });
  opened.push(gateway);
  return { gateway, calls };
}

describe('tool gateway previews over preview_tool_call', () => {
  it("previews a third-party server's tool through its preview_tool_call, with the exact arguments", async () => {
    const { gateway, calls } = await startThirdPartyServer({ previewReadOnly: true });
    const listed = await gateway.listTools();
    expect(listed.find((tool) => tool.name === 'acme_resize_pool')?.preview).toEqual({ tool: 'preview_tool_call', viaPreviewToolCall: true });
    const preview = await gateway.preview({ name: 'acme_resize_pool', args: { pool: 'blue', nodes: 5 } });
    expect(preview).toEqual({ text: '--- live\n+++ would-be\n-nodes: 3\n+nodes: 5', isError: false });
    expect(calls).toEqual([{ name: 'preview_tool_call', args: { tool: 'acme_resize_pool', arguments: { pool: 'blue', nodes: 5 } } }]);
  });

  it('has no preview for a tool the server does not flag', async () => {
    const { gateway, calls } = await startThirdPartyServer({ previewReadOnly: true });
    expect(await gateway.preview({ name: 'acme_reboot', args: { node: 'n1' } })).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('calls nothing when the server lists its preview_tool_call as mutating', async () => {
    const { gateway, calls } = await startThirdPartyServer({ previewReadOnly: false });
    const preview = await gateway.preview({ name: 'acme_resize_pool', args: { pool: 'blue', nodes: 5 } });
    expect(preview).toEqual({ text: "preview tool 'preview_tool_call' is not listed as read-only; no preview", isError: true });
    expect(calls).toEqual([]);
  });
});

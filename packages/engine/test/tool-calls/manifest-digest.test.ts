/**
 * Issue 19 contract point 6: the preview an approval is bound to covers the preview's text AND the digest of the
 * full rendered manifest that a helm preview reports (`manifest_digest`). A helm diff redacts Secret values, so two
 * different renders can show the same text; the re-check right before execution must still see the change and
 * refuse (TARGET_CHANGED) instead of installing a manifest nobody approved.
 * A stand-in MCP server whose preview_tool_call answers like ours; llm-sim is the model.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { startAgentTestApp, type AgentTestApp } from '../../src/testing/agent-test-app.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';

/** The diff a helm preview shows: the Secret's value is redacted, so it reads the same for any password. */
const redactedDiff = '  kind: Secret\n  data:\n-   password: [REDACTED]\n+   password: [REDACTED]';
let manifestDigest = `sha256:${'1'.repeat(64)}`;
const upgraded: Array<Record<string, unknown>> = [];

let sim: LlmSim;
let harness: AgentTestApp;
let tools: ToolGateway;
let client: Client;
let server: McpServer;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  server = new McpServer({ name: 'stand-in-skyflo-mcp', version: '0.0.0' });
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
  server.registerTool(
    'helm_upgrade',
    {
      title: 'Upgrade Helm Release',
      description: 'Upgrade a release',
      inputSchema: { release_name: z.string(), chart: z.string(), values: z.string().optional() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      _meta: { 'skyflo/toolset': 'helm', 'skyflo/tags': ['helm'], 'skyflo.ai/preview': true },
    },
    async (args) => {
      upgraded.push(args);
      return text(`release "${args.release_name}" upgraded`);
    },
  );
  server.registerTool(
    'preview_tool_call',
    {
      title: 'Preview a tool call',
      description: 'Preview a mutating call',
      inputSchema: { tool: z.string(), arguments: z.record(z.string(), z.unknown()) },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ tool, arguments: args }) => ({
      ...text(redactedDiff),
      structuredContent: { tool, previewTool: 'helm_upgrade_diff', resolved_arguments: args, resolution: [], diff: redactedDiff, changed: true, risks: [], manifest_digest: manifestDigest },
    }),
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  client = new Client({ name: 'engine-test', version: '0.0.0' });
  await client.connect(clientTransport);
  tools = createToolGateway({ client, cacheMs: 60_000 });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  harness = await startAgentTestApp({
    storage: createInMemoryStorage(),
    bus: createMemoryEventBus(),
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 60_000 }),
  });
});

afterAll(async () => {
  await harness?.close();
  await tools?.close();
  await client?.close();
  await server?.close();
  await sim?.close();
});

beforeEach(() => {
  manifestDigest = `sha256:${'1'.repeat(64)}`;
  upgraded.length = 0;
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_upgrade', name: 'helm_upgrade', arguments: { release_name: 'db', chart: 'acme/db', values: 'password: new' } }] } },
      { match: { lastRole: 'tool' }, reply: 'Done.' },
    ],
  });
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${harness.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify(body) });
}

async function propose(): Promise<{ conversationId: string; awaiting: Record<string, unknown> }> {
  const frames: SseFrame[] = await readSse(await post('/agent/chat', { messages: [{ role: 'user', content: 'upgrade db with the new password' }] }));
  return { conversationId: String(frames[0]!.data['conversation_id']), awaiting: frames.find((frame) => frame.event === 'tool.awaiting_approval')!.data };
}

describe('the approval is bound to the rendered manifest, not only to the redacted diff', () => {
  it('refuses with TARGET_CHANGED when the render changed behind an identical diff', async () => {
    const { conversationId, awaiting } = await propose();
    manifestDigest = `sha256:${'2'.repeat(64)}`; // someone changed the chart's rendered Secret; the redacted diff reads the same
    const frames = await readSse(await post('/agent/approvals/call_upgrade', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], diff_hash: awaiting['diff_hash'] }));
    const refused = frames.find((frame) => frame.event === 'tool.error')?.data;
    expect(refused).toMatchObject({ call_id: 'call_upgrade', code: 'TARGET_CHANGED', error: expect.stringMatching(/rendered manifest differs from the one that was approved/) });
    expect(upgraded).toEqual([]);
  });

  it('runs the upgrade when the render is the one that was approved', async () => {
    const { conversationId, awaiting } = await propose();
    const frames = await readSse(await post('/agent/approvals/call_upgrade', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], diff_hash: awaiting['diff_hash'] }));
    expect(frames.find((frame) => frame.event === 'tool.result')?.data).toMatchObject({ call_id: 'call_upgrade' });
    expect(upgraded).toEqual([{ release_name: 'db', chart: 'acme/db', values: 'password: new' }]);
  });
});

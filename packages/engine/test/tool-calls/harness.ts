/**
 * The tool-calls harness. For the verify and undo flows: the agent routes over HTTP (startAgentTestApp) with
 * in-memory storage and bus, llm-sim as the model, audit rows kept in an array, and the tool gateway the test brings
 * (the real MCP server over HTTP or in-process); verification waits 60 s at most and holds changes for a second. For
 * the stop races: the same routes with a bus that stops the next run as it starts. For the restart suites (a real
 * `skyflo serve` killed and started again): the tool card as a user reopening the conversation sees it.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { expect } from 'vitest';
import { agentConfig } from '../../src/platform/config/agent.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { startFakeMcpServer, type FakeMcpServer } from '../../src/testing/fake-mcp-server.ts';
import { startAgentTestApp, type AgentTestApp, type AgentTestAppDeps } from '../../src/testing/agent-test-app.ts';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import type { EventBus, NewAuditEvent, Storage } from '../../src/platform/ports/index.ts';
import { simModel } from '../support/test-engine.ts';

export interface VerifyAgent {
  sim: LlmSim;
  storage: Storage;
  harness: AgentTestApp;
  auditRows: NewAuditEvent[];
  /** POSTs as `user` (expects 200) and reads every SSE frame; `raw` is the stream as sent */
  post(pathname: string, body: unknown, user?: string): Promise<{ frames: SseFrame[]; raw: string }>;
  /** the text of the tool result the model was sent for `callId` (the last request that carried it) */
  toolResultSentToModel(callId: string): string;
  /** closes the app, the tool gateway and llm-sim (what the test started for the tools is its own to close) */
  close(): Promise<void>;
}

export { find } from '../support/sim-agent.ts';

export async function startVerifyAgent(options: { tools: ToolGateway; jenkinsIntegration?: AgentTestAppDeps['jenkinsIntegration']; approvalPolicy?: AgentTestAppDeps['approvalPolicy']; observabilitySources?: AgentTestAppDeps['observabilitySources'] }): Promise<VerifyAgent> {
  const sim = await startLlmSim({ port: 0 });
  const storage = createInMemoryStorage();
  const auditRows: NewAuditEvent[] = [];
  const harness = await startAgentTestApp({
    storage,
    bus: createMemoryEventBus(),
    tools: options.tools,
    audit: { record: async (event: NewAuditEvent) => void auditRows.push(event) } as never,
    llm: simModel(sim),
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, verifyTimeoutSeconds: 60, verifyHoldSeconds: 1 }),
    ...(options.jenkinsIntegration ? { jenkinsIntegration: options.jenkinsIntegration } : {}),
    ...(options.approvalPolicy ? { approvalPolicy: options.approvalPolicy } : {}),
    ...(options.observabilitySources ? { observabilitySources: options.observabilitySources } : {}),
  });
  return {
    sim,
    storage,
    harness,
    auditRows,
    async post(pathname, body, user = 'alice') {
      const response = await fetch(`${harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify(body) });
      const raw = await response.clone().text();
      expect(response.status, raw).toBe(200);
      return { frames: await readSse(response), raw };
    },
    toolResultSentToModel(callId) {
      for (const call of [...sim.calls].reverse()) {
        const message = call.messages.find((item) => item.role === 'tool' && (item as { tool_call_id?: string }).tool_call_id === callId);
        if (message) return typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
      }
      return '';
    },
    async close() {
      await harness.close();
      await options.tools.close();
      await sim.close();
    },
  };
}

/** The tool card of `callId` as GET /conversations/:id shows it (what a user reopening the conversation sees). */
export async function toolInConversation<ToolView>(url: string, token: string, conversationId: string, callId: string): Promise<ToolView | undefined> {
  const response = await fetch(`${url}/conversations/${conversationId}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { messages: Array<{ type: string; segments?: Array<{ kind: string; id: string; toolExecution?: ToolView }> }> };
  for (const message of body.messages) for (const segment of message.segments ?? []) if (segment.kind === 'tool' && segment.id === callId) return segment.toolExecution;
  return undefined;
}

export interface StoppableAgent {
  sim: LlmSim;
  mcp: FakeMcpServer;
  tools: ToolGateway;
  storage: Storage;
  harness: AgentTestApp;
  /** the next run is stopped the moment it starts listening for a stop: a Stop that lands before its first step */
  stopNextRunOnStart(): void;
  /** the next run's event bus fails the moment it starts listening for a stop: the run ends before its first step */
  failNextRunOnStart(): void;
  close(): Promise<void>;
}

/** The agent routes on in-memory storage, the fake MCP server and llm-sim, with a bus that can stop the next run early. */
export async function startStoppableAgent(): Promise<StoppableAgent> {
  const sim = await startLlmSim({ port: 0 });
  const mcp = await startFakeMcpServer();
  const tools = createToolGateway({ client: mcp.client, cacheMs: 60_000 });
  const storage = createInMemoryStorage();
  const memory = createMemoryEventBus();
  let stopNext = false;
  let failNext = false;
  const bus: EventBus = {
    ...memory,
    async onStop(runId, callback) {
      if (failNext) {
        failNext = false;
        throw new Error('the event bus is unavailable');
      }
      if (stopNext) {
        stopNext = false;
        await memory.requestStop(runId);
      }
      return memory.onStop(runId, callback);
    },
  };
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  const harness = await startAgentTestApp({
    storage,
    bus,
    tools,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, heartbeatMs: 60_000 }),
  });
  return {
    sim,
    mcp,
    tools,
    storage,
    harness,
    stopNextRunOnStart: () => {
      stopNext = true;
    },
    failNextRunOnStart: () => {
      failNext = true;
    },
    async close() {
      await harness.close();
      await tools.close();
      await mcp.close();
      await sim.close();
    },
  };
}

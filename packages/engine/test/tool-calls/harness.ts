/**
 * Shared by the e2e-verify-* tests: the agent routes over HTTP (startAgentTestApp) with in-memory storage and bus,
 * llm-sim as the model, audit rows kept in an array, and the tool gateway the test brings (the real MCP server over
 * HTTP or in-process). Verification waits 60 s at most and holds changes for a second.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { expect } from 'vitest';
import { agentConfig } from '../../src/config/agent.ts';
import type { ToolGateway } from '../../src/mcp/tool-gateway.ts';
import { startAgentTestApp, type AgentTestApp, type AgentTestAppDeps } from '../../src/testing/agent-test-app.ts';
import { createMemoryEventBus } from '../../src/bus/memory-event-bus.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import type { NewAuditEvent, Storage } from '../../src/ports/index.ts';
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

export const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

export async function startVerifyAgent(options: { tools: ToolGateway; jenkinsIntegration?: AgentTestAppDeps['jenkinsIntegration']; approvalPolicy?: AgentTestAppDeps['approvalPolicy'] }): Promise<VerifyAgent> {
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

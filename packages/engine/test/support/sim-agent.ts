/**
 * The agent routes over HTTP (startAgentTestApp) with llm-sim as the model, the memory event bus, the default agent
 * config (no title generation, 1 ms retries) and the storage and tools a test brings (in-memory storage unless told):
 * the set-up of the suites that drive chats and approvals as `x-test-user`.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { expect } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/bus/memory-event-bus.ts';
import { agentConfig } from '../../src/platform/config/agent.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { startAgentTestApp, type AgentTestApp, type AgentTestAppDeps } from '../../src/testing/agent-test-app.ts';
import { createInMemoryStorage } from '../../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel } from './test-engine.ts';

export interface SimAgent {
  sim: LlmSim;
  harness: AgentTestApp;
  /** closes the app, the tool gateway and llm-sim (the storage is the test's own) */
  close(): Promise<void>;
}

/** `deps` adds to or replaces the defaults (storage, bus, config). */
export async function startSimAgent(tools: ToolGateway, deps: Partial<AgentTestAppDeps> = {}): Promise<SimAgent> {
  const sim = await startLlmSim({ port: 0 });
  const harness = await startAgentTestApp({
    storage: createInMemoryStorage(),
    bus: createMemoryEventBus(),
    tools,
    llm: simModel(sim),
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1 }),
    ...deps,
  });
  return {
    sim,
    harness,
    async close() {
      await harness.close();
      await tools.close();
      await sim.close();
    },
  };
}

/** POSTs JSON to the app at `url()` as `x-test-user: user` (expects 200, the body as the message otherwise) and reads the SSE frames. */
export function streamAs(url: () => string, user: () => string = () => 'alice') {
  return async (pathname: string, body: unknown): Promise<SseFrame[]> => {
    const response = await fetch(`${url()}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user() }, body: JSON.stringify(body) });
    expect(response.status, response.status === 200 ? '' : await response.text()).toBe(200);
    return readSse(response);
  };
}

/** The data of the frames of one event. */
export const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

/**
 * The llm-sim script of a model that loads a toolset's write tools (as `loadId`, default `<call id>_load`), proposes
 * `call`, and answers `answer` once it reads its result.
 */
export function oneCallScript(call: { id: string; name: string; arguments: Record<string, unknown> }, options: { toolset?: string; loadId?: string; answer?: string } = {}) {
  return {
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: options.loadId ?? `${call.id}_load`, name: 'load_toolset', arguments: { toolset: options.toolset ?? 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [call] } },
      { match: { toolName: call.name }, reply: options.answer ?? 'Done.' },
    ],
  };
}

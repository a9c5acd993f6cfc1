/**
 * Nothing outlives its conversation, and ids are never reused (issue 7, item 3). The attack: Alice's conversation
 * waits for approval of a k8s_scale; she deletes it; Bob re-creates a conversation with the deleted id, approves
 * her pending call (it ran) and received her history in the model's context. Now the deletion takes the pending
 * decision, the workflow checkpoints and the runs with it, the id stays a tombstone, and nobody can decide or
 * resume anything in it.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { PGlite } from '@electric-sql/pglite';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

let sim: LlmSim;
let lite: PGlite;
let query: (text: string, params?: unknown[]) => Promise<unknown[]>;
let engine: TestEngine;
let alice: string;
let bob: string;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({
    rules: [
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 9 } }] } },
      { match: { userContains: 'scale web' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { always: true }, reply: 'Hello.' },
    ],
  });
  ({ lite, query } = await createTestPglite());
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  engine = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true', TITLE_GENERATION_ENABLED: 'false' }, llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' } });
  alice = await engine.signUp('alice@example.com');
  bob = await engine.signUp('bob@example.com');
});

afterAll(async () => {
  await engine?.close();
  await lite?.close();
  await sim?.close();
});

const frames = (response: LightMyRequestResponse): Promise<SseFrame[]> => readSse(new Response(response.body));
const json = (token: string, method: 'POST' | 'DELETE' | 'GET', url: string, payload?: unknown) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
const count = async (sql: string, params: unknown[]) => Number(((await query(sql, params)) as Array<{ count: string }>)[0]!.count);

describe('deleting a conversation with a pending approval', () => {
  it('leaves nothing another user can re-create, decide or read', async () => {
    const created = await json(alice, 'POST', '/conversations', {});
    const id = created.json().id as string;
    const chat = await frames(await json(alice, 'POST', '/agent/chat', { conversation_id: id, messages: [{ role: 'user', content: 'scale web to 9' }] }));
    expect(chat.find((frame) => frame.event === 'tool.awaiting_approval')?.data).toMatchObject({ call_id: 'call_scale' });
    expect(await count('select count(*) from checkpoints where thread_id = $1', [id])).toBeGreaterThan(0);

    expect((await json(alice, 'DELETE', `/conversations/${id}`)).statusCode).toBe(200);

    // Its workflow state (the model's whole context) and its open decision are gone with it.
    expect(await count('select count(*) from checkpoints where thread_id = $1', [id])).toBe(0);
    expect(await count('select count(*) from checkpoint_writes where thread_id = $1', [id])).toBe(0);
    expect(await query('select status, exact_args_sealed from approvals where conversation_id = $1', [id])).toEqual([{ status: 'cancelled', exact_args_sealed: null }]);

    // Bob cannot take the id over…
    const recreate = await json(bob, 'POST', '/conversations', { conversation_id: id });
    expect(recreate.statusCode).toBe(409);
    expect(recreate.json().detail).toMatch(/already in use or belonged to a deleted conversation/);
    // …nor decide the call, nor chat in it; neither can Alice any more.
    for (const token of [bob, alice]) {
      const approve = await json(token, 'POST', '/agent/approvals/call_scale', { approve: true, conversation_id: id, args_hash: 'a'.repeat(64) });
      expect(approve.statusCode).toBe(404);
      expect((await json(token, 'POST', '/agent/chat', { conversation_id: id, messages: [{ role: 'user', content: 'hi' }] })).statusCode).toBe(404);
    }
    expect(engine.mcp.calls.filter((call) => call.name === 'k8s_scale')).toEqual([]);
    expect(engine.mcp.replicas.get('web')).toBe(2);

    // Bob's own new conversation starts from nothing of Alice's.
    sim.calls.length = 0;
    await frames(await json(bob, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'hello there' }] }));
    expect(JSON.stringify(sim.calls.map((call) => call.messages))).not.toContain('scale web to 9');
  });

  it('a client-chosen id is refused when it is in use, and accepted once when new', async () => {
    const id = '9d0a8f0e-3b7f-4c36-9a55-6a8a2f9f4c11';
    expect((await json(alice, 'POST', '/conversations', { conversation_id: id })).statusCode).toBe(201);
    expect((await json(bob, 'POST', '/conversations', { conversation_id: id })).statusCode).toBe(409);
    expect((await json(alice, 'POST', '/conversations', { conversation_id: id })).statusCode).toBe(409);
  });
});

/**
 * Issue 20 (the protocol owns the contracts): the facts of an approval are built once (approvals/approval-facts.ts).
 * The chat's card (the tool.awaiting_approval event) and the Pending approvals queue (GET /approvals/pending) show
 * the same facts for the same call: the whole engine, llm-sim as the model, the fake MCP server's tools.
 */
import { approvalFactsSchema, pendingApprovalsResponseSchema } from '@skyflo/protocol';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;
const fleet = simEngineFleet(() => sim);
let engine: TestEngine;
let admin: string;
let mia: string;
let ann: string;

const factKeys = Object.keys(approvalFactsSchema.shape) as Array<keyof typeof approvalFactsSchema.shape>;
const factsOf = (value: Record<string, unknown>) => Object.fromEntries(factKeys.filter((key) => value[key] !== undefined).map((key) => [key, value[key]]));
const call = (token: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  engine = await fleet.start({ APPROVAL_POLICY: 'approver', APPROVAL_FOUR_EYES: 'true' });
  admin = await engine.signUp('admin@example.com');
  await call(admin, 'POST', '/team/members', { email: 'mia@example.com', role: 'member', password: 'mia-pass-4242' });
  await call(admin, 'POST', '/team/members', { email: 'ann@example.com', role: 'approver', password: 'ann-pass-4242' });
  mia = (await engine.login('mia@example.com', 'mia-pass-4242')).json().access_token as string;
  ann = (await engine.login('ann@example.com', 'ann-pass-4242')).json().access_token as string;
});

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

describe('the facts of an approval, built once', () => {
  it.each([
    ['a previewed scale (diff, diff hash, catalogue title)', 'scale web to 5', 'call_scale', 'Scale a workload'],
    ['a destructive delete (risks, four-eyes)', 'delete api', 'call_delete', 'Delete a workload'],
  ])('%s: the chat card and the pending queue show identical facts', async (_name, message, callId, title) => {
    engine.mcp.replicas.set('web', 2);
    engine.mcp.replicas.set('api', 1);
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
        { match: { toolName: 'load_toolset', userContains: 'delete' }, reply: { toolCalls: [{ id: 'call_delete', name: 'k8s_delete', arguments: { name: 'api' } }] } },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
    const response = await call(mia, 'POST', '/agent/chat', { messages: [{ role: 'user', content: message }] });
    expect(response.statusCode, response.body).toBe(200);
    const frames = await readSse(new Response(response.body));
    const conversationId = String(frames[0]!.data['conversation_id']);
    const awaiting = frames.find((frame) => frame.event === 'tool.awaiting_approval')?.data;
    expect(awaiting).toMatchObject({ call_id: callId, title, requested_by: { email: 'mia@example.com' } });
    const cardFacts = approvalFactsSchema.parse(factsOf(awaiting!));

    const queue = pendingApprovalsResponseSchema.parse((await call(ann, 'GET', '/approvals/pending')).json());
    const item = queue.data.find((entry) => entry.conversation_id === conversationId && entry.call_id === callId);
    expect(item).toBeDefined();
    expect(factsOf(item!)).toEqual(cardFacts);
    // what only the queue adds is beside the facts, not in them
    expect(item).toMatchObject({ can_decide: true, conversation_id: conversationId });

    // leave the queue empty for the next case
    const denied = await call(ann, 'POST', `/agent/approvals/${callId}`, { approve: false, conversation_id: conversationId, args_hash: awaiting!['args_hash'] });
    expect(denied.statusCode, denied.body).toBe(200);
    expect(engine.mcp.replicas.get('web')).toBe(2);
    expect(engine.mcp.replicas.get('api')).toBe(1);
  });
});

/**
 * Set-up shared by the governance suites (policies, freezes, the emergency stop): a team added through the API as its
 * admin would add it, and the scripted model's scale and list calls those suites refuse or let through.
 */
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import type { TestEngine } from './test-engine.ts';

export type TeamRole = 'member' | 'approver' | 'admin';

/** Adds each `[name, role]` as `<name>@example.com` through POST /team/members, signs each in; tokens by name. */
export async function addTeamMembers(engine: TestEngine, adminToken: string, members: ReadonlyArray<readonly [string, TeamRole]>): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [name, role] of members) {
    const password = `${name}-pass-4242`;
    const added = await engine.request({ method: 'POST', url: '/api/v1/team/members', token: adminToken, payload: { email: `${name}@example.com`, role, password } });
    expect(added.statusCode, added.body).toBe(201);
    tokens[name] = (await engine.login(`${name}@example.com`, password)).json().access_token as string;
  }
  return tokens;
}

/**
 * The model's calls, by what the user asked: "scale web to 3" / "to 4", "web to 5 and api to 1" (one turn, two
 * calls), "list deployments" (a read); anything else first loads the k8s write tools.
 */
export const scaleAndListRules = [
  { match: { toolName: 'load_toolset', userContains: 'scale web to 3' }, reply: { toolCalls: [{ id: 'call_three', name: 'k8s_scale', arguments: { name: 'web', replicas: 3 } }] } },
  { match: { toolName: 'load_toolset', userContains: 'scale web to 4' }, reply: { toolCalls: [{ id: 'call_four', name: 'k8s_scale', arguments: { name: 'web', replicas: 4 } }] } },
  { match: { toolName: 'load_toolset', userContains: 'web to 5 and api to 1' }, reply: { toolCalls: [{ id: 'call_web', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }, { id: 'call_api', name: 'k8s_scale', arguments: { name: 'api', replicas: 1 } }] } },
  { match: { toolName: 'load_toolset', userContains: 'list deployments' }, reply: { toolCalls: [{ id: 'call_get', name: 'k8s_get', arguments: { resource_type: 'deployments' } }] } },
  { match: { toolName: 'k8s_scale' }, reply: 'Done.' },
  { match: { toolName: 'k8s_get' }, reply: 'Listed.' },
  { match: { always: true as const }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
];

/**
 * The API as one engine's team uses it: `call` as a named member (their token in `tokens`, or none), `chat` a question
 * read to its end (the frames, its conversation, the card that waits, if any).
 */
export function teamApi(engineOf: () => TestEngine, tokens: Record<string, string>) {
  const call = (token: string | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    engineOf().request({ method, url: `/api/v1${url}`, ...(token ? { token } : {}), ...(payload ? { payload } : {}) });
  const frames = (response: LightMyRequestResponse): Promise<SseFrame[]> => {
    expect(response.statusCode, response.body).toBe(200);
    return readSse(new Response(response.body));
  };
  const chat = async (who: string, content: string) => {
    const answer = await frames(await call(tokens[who], 'POST', '/agent/chat', { messages: [{ role: 'user', content }] }));
    return { frames: answer, conversationId: String(answer[0]!.data['conversation_id']), awaiting: answer.find((frame) => frame.event === 'tool.awaiting_approval')?.data };
  };
  return { call, frames, chat };
}

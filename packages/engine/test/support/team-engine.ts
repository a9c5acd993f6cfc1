/**
 * Used by alerts/, integrations/ (Slack, webhooks), accounts/ (API tokens) and the decide routes: an engine on
 * llm-sim with its own PGlite (so tests can read rows), members with roles, and a live SSE reader for the per-user
 * notification stream (the engine listens on 127.0.0.1, port 0).
 */
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from './test-databases.ts';
import type { LlmSim } from '@skyflo/testkit/llm-sim';
import { iterateSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine, type TestEngineOptions } from './test-engine.ts';

/**
 * The integration suites' model: asked to scale, it loads the k8s write tools and proposes k8s_scale of web to 5
 * replicas (call_scale), then says it scaled.
 */
export const scaleWebTo5Script = {
  rules: [
    { match: { toolName: 'load_toolset', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
    { match: { toolName: 'k8s_scale' }, reply: 'Scaled web to 5.' },
    { match: { always: true as const }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
  ],
};

export interface TeamEngine {
  engine: TestEngine;
  lite: PGlite;
  baseUrl: string;
  call(token: string | undefined, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>): ReturnType<TestEngine['request']>;
  /** adds a member with a role; returns their session token */
  member(adminToken: string, email: string, role: 'member' | 'approver' | 'admin'): Promise<string>;
  close(): Promise<void>;
}

export async function startTeamEngine(sim: LlmSim, env: Record<string, string> = {}, options: Pick<TestEngineOptions, 'resolveHost' | 'fakeMcp'> = {}): Promise<TeamEngine> {
  const lite = await newTestPglite();
  const engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', ...env }, llm: simModel(sim), ...options });
  const address = await engine.engine.app.listen({ port: 0, host: '127.0.0.1' });
  const call: TeamEngine['call'] = (token, method, url, payload) => engine.request({ method, url: `/api/v1${url}`, ...(token ? { token } : {}), ...(payload ? { payload } : {}) });
  return {
    engine,
    lite,
    baseUrl: address,
    call,
    async member(adminToken, email, role) {
      const password = `${email.split('@')[0]}-pass-4242`;
      const added = await call(adminToken, 'POST', '/team/members', { email, role, password });
      if (added.statusCode !== 201) throw new Error(`add ${email}: ${added.statusCode} ${added.body}`);
      return (await engine.login(email, password)).json().access_token as string;
    },
    async close() {
      await engine.close();
      await lite.close();
    },
  };
}

export interface LiveStream {
  status: number;
  frames: SseFrame[];
  /** the `notification` frames' data */
  notifications(): Array<Record<string, unknown>>;
  close(): void;
}

/** Opens GET /notifications/stream and collects frames as they arrive (until close()). */
export async function openNotificationStream(baseUrl: string, token: string | undefined): Promise<LiveStream> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/notifications/stream`, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: controller.signal });
  const frames: SseFrame[] = [];
  if (response.ok) {
    void (async () => {
      try {
        for await (const frame of iterateSse(response)) frames.push(frame);
      } catch {
        // aborted by close()
      }
    })();
  } else {
    await response.text();
  }
  return {
    status: response.status,
    frames,
    notifications: () => frames.filter((frame) => frame.event === 'notification').map((frame) => frame.data),
    close: () => controller.abort(),
  };
}

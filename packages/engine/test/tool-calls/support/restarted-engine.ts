/**
 * The restart suites' harness: a real `skyflo serve` process (data-dir PGlite in the test's directory, llm-sim as the
 * model) that a test kills and starts again. One operator account (ops@example.test) registered on the first start;
 * its sign-in survives the restart (the JWT secret lives in the data dir). The approval stream is read until the
 * engine dies, and the approval row is read back from the data dir once the engine is stopped.
 */
import path from 'node:path';
import { startServeProcess, type ServeProcess } from '@skyflo/testkit/services';
import { expect } from 'vitest';
import { createPgliteStorage } from '../../../src/adapters/storage/pglite/pglite-storage.ts';
import { iterateSse, type SseFrame } from '../../../src/testing/read-sse.ts';
import type { EngineStorage } from '../../../src/app/graph/checkpoints.ts';

export const operatorEmail = 'ops@example.test';
export const operatorPassword = 'correct horse battery';

/** `skyflo serve` on `directory` (HOME and data dir) with llm-sim at `llmUrl` as its model, plus `env`. */
export function startServeEngine(directory: string, llmUrl: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  return startServeProcess({
    env: {
      HOME: directory,
      SKYFLO_DATA_DIR: path.join(directory, 'data'),
      LLM_MODEL: 'openai-compatible/sim-model',
      LLM_HOST: llmUrl,
      TITLE_GENERATION_ENABLED: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
}

export interface SignedIn {
  token: string;
  /** POST with the operator's bearer token to the engine running now (the raw response: chat and approvals answer with SSE) */
  post(pathname: string, body: unknown): Promise<Response>;
}

/** Registers the operator on a fresh engine (expects 201). */
export async function registerOperator(url: string): Promise<void> {
  const registered = await fetch(`${url}/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: operatorEmail, password: operatorPassword }) });
  expect(registered.status).toBe(201);
}

/** Logs the operator in to the engine at `engineUrl()`; returns the token and a POST with it that follows the engine across restarts. */
export async function signIn(engineUrl: () => string): Promise<SignedIn> {
  const login = await fetch(`${engineUrl()}/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: operatorEmail, password: operatorPassword }) });
  const token = ((await login.json()) as { access_token: string }).access_token;
  return { token, post: (pathname, body) => fetch(`${engineUrl()}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }) };
}

/** Sends one chat message and reads its stream to the end: the conversation and the awaiting card's args hash ('' when none). */
export async function chatUntilApproval(post: SignedIn['post'], content: string, onAwaiting?: (data: Record<string, unknown>) => void): Promise<{ conversationId: string; argsHash: string }> {
  let conversationId = '';
  let argsHash = '';
  for await (const frame of iterateSse(await post('/agent/chat', { messages: [{ role: 'user', content }] }))) {
    if (frame.event === 'ready') conversationId = String(frame.data['conversation_id']);
    if (frame.event === 'tool.awaiting_approval') {
      argsHash = String(frame.data['args_hash']);
      onAwaiting?.(frame.data);
    }
  }
  return { conversationId, argsHash };
}

/** Reads an approval's stream in the background, each frame to `onFrame`; the promise ends with the stream or the engine. */
export function readUntilEngineDies(approval: Response, onFrame: (frame: SseFrame) => void = () => undefined): Promise<void> {
  return (async () => {
    try {
      for await (const frame of iterateSse(approval)) onFrame(frame);
    } catch {
      // the engine dies mid-stream
    }
  })();
}

/** Opens the stopped engine's data dir (PGlite) and hands its storage to `read`, closed afterwards. */
export async function withStoppedEngineStorage<T>(directory: string, read: (storage: EngineStorage) => Promise<T>): Promise<T> {
  const storage = await createPgliteStorage({ dataDir: path.join(directory, 'data') });
  try {
    return await read(storage);
  } finally {
    await storage.close();
  }
}

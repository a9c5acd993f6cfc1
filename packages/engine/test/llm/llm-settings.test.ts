/**
 * Runtime model settings (issue 8): with no model in the environment, an admin chooses provider, model and key over
 * the API, tests it, and chats at once (no restart); a later change applies to the next run. The key is sealed at
 * rest and only its last four characters are ever returned (to admins). Environment variables win, and the API says
 * which. Bad input names the field; a local Ollama's models can be listed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const apiKey = 'sk-saved-model-key-42f1';
let llm: LlmSim;
let ollama: Server;
let ollamaUrl: string;
const cleanups: Array<() => Promise<void>> = [];

interface Harness {
  engine: TestEngine;
  query(text: string): Promise<unknown[]>;
  request: TestEngine['request'];
  admin: string;
  member: string;
}

/** An engine whose model comes from its configuration (none, LLM_MODEL, or what an admin saves), as `skyflo serve`. */
async function startEngine(env: Record<string, string> = {}): Promise<Harness> {
  const { lite, query } = await createTestPglite();
  const engine = await startTestEngine({ lite, llm: 'from-config', env: { TITLE_GENERATION_ENABLED: 'false', ...env } });
  cleanups.push(async () => {
    await engine.close();
    await lite.close();
  });
  const admin = await engine.signUp('admin@example.com');
  await engine.request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email: 'mia@example.com', role: 'member', password: 'mia-initial-pass-42' } });
  const member = (await engine.login('mia@example.com', 'mia-initial-pass-42')).json().access_token as string;
  return { engine, query: (text) => query(text), request: (options) => engine.request(options), admin, member };
}

const chat = async (harness: Harness, text: string): Promise<SseFrame[]> => {
  const response = await harness.request({ method: 'POST', url: '/api/v1/agent/chat', token: harness.admin, payload: { messages: [{ role: 'user', content: text }] } });
  return readSse(new Response(response.body));
};

beforeAll(async () => {
  llm = await startLlmSim({ port: 0 });
  // an Ollama that lists two models
  ollama = createServer((request, response) => {
    if (request.url === '/api/tags') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ models: [{ name: 'llama3.1:8b' }, { name: 'qwen2.5:7b' }] }));
    } else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => ollama.listen(0, '127.0.0.1', resolve));
  ollamaUrl = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await llm?.close();
  await new Promise((resolve) => ollama?.close(resolve));
});

describe('runtime model settings', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startEngine();
  });

  it('starts unconfigured: everyone can see that, and a chat says an admin must configure a model', async () => {
    for (const token of [harness.admin, harness.member]) {
      expect((await harness.request({ method: 'GET', url: '/api/v1/settings/llm', token })).json()).toMatchObject({ configured: false, source: 'none', provider: null, api_key: { set: false } });
    }
    const frames = await chat(harness, 'hello');
    expect(frames.find((frame) => frame.event === 'workflow.error')?.data['error']).toMatch(/No LLM configured/);
  });

  it('refuses members and bad settings, naming the field', async () => {
    const settings = { provider: 'openai-compatible', model: 'sim-model', base_url: llm.url, api_key: apiKey };
    expect((await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.member, payload: settings })).statusCode).toBe(403);
    const unknown = await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.admin, payload: { ...settings, provider: 'skynet' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toMatch(/^provider: "skynet" is not supported; use one of openai, /);
    const noKey = await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.admin, payload: { provider: 'openai', model: 'gpt-4o' } });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().detail).toMatch(/OPENAI_API_KEY is needed: enter the API key/);
    const badUrl = await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.admin, payload: { ...settings, base_url: 'localhost:11434' } });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().detail).toMatch(/base_url/);
    expect(await harness.query("select key from settings where key = 'llm'")).toEqual([]);
  });

  it('tests candidate settings without saving them, in plain words when they fail', async () => {
    const works = await harness.request({ method: 'POST', url: '/api/v1/settings/llm/test', token: harness.admin, payload: { provider: 'openai-compatible', model: 'sim-model', base_url: llm.url } });
    expect(works.json()).toMatchObject({ ok: true, model: 'openai-compatible/sim-model' });
    expect(works.json().latency_ms).toBeGreaterThanOrEqual(0);
    const down = await harness.request({ method: 'POST', url: '/api/v1/settings/llm/test', token: harness.admin, payload: { provider: 'openai-compatible', model: 'sim-model', base_url: 'http://127.0.0.1:9/v1' } });
    expect(down.json()).toMatchObject({ ok: false });
    expect(down.json().error).toMatch(/127\.0\.0\.1:9/);
    expect(await harness.query("select key from settings where key = 'llm'")).toEqual([]);
  });

  it('saves the settings with the key sealed, and the next chat uses the model without a restart', async () => {
    const saved = await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.admin, payload: { provider: 'openai-compatible', model: 'sim-model', base_url: llm.url, api_key: apiKey } });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({ configured: true, source: 'settings', provider: 'openai-compatible', model: 'sim-model', api_key: { set: true, last4: '42f1' } });
    expect(saved.body).not.toContain(apiKey);
    // members learn that a model is set, not anything about the key
    const seenByMember = (await harness.request({ method: 'GET', url: '/api/v1/settings/llm', token: harness.member })).json();
    expect(seenByMember.api_key).toEqual({ set: true });
    const [row] = (await harness.query("select value from settings where key = 'llm'")) as Array<{ value: unknown }>;
    expect(JSON.stringify(row)).not.toContain(apiKey);

    llm.reset({ rules: [{ match: { always: true }, reply: 'Hello from the configured model.' }] });
    const frames = await chat(harness, 'hello');
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'completed' } });
    expect(llm.calls[0]!.model).toBe('sim-model');
    expect(JSON.stringify(frames)).not.toContain(apiKey);

    // the stored settings test (no body) uses the saved key
    expect((await harness.request({ method: 'POST', url: '/api/v1/settings/llm/test', token: harness.admin, payload: {} })).json()).toMatchObject({ ok: true });

    // a change of model (the key kept) reaches the next run
    const changed = await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.admin, payload: { provider: 'openai-compatible', model: 'sim-model-large', base_url: llm.url } });
    expect(changed.json()).toMatchObject({ model: 'sim-model-large', api_key: { set: true, last4: '42f1' } });
    llm.reset({ rules: [{ match: { always: true }, reply: 'Hello again.' }] });
    await chat(harness, 'hello again');
    expect(llm.calls[0]!.model).toBe('sim-model-large');

    const audit = (await harness.query("select details from audit_events where action = 'settings.llm_updated'")) as Array<{ details: Record<string, unknown> }>;
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain(apiKey);
  });

  it('lists the providers and what each needs', async () => {
    const providers = (await harness.request({ method: 'GET', url: '/api/v1/settings/llm/providers', token: harness.member })).json() as Array<{ id: string; needs_api_key: boolean }>;
    expect(providers.find((provider) => provider.id === 'openai')).toMatchObject({ needs_api_key: true });
    expect(providers.find((provider) => provider.id === 'ollama')).toMatchObject({ needs_api_key: false });
  });

  it("lists a local Ollama's models, or says none answers", async () => {
    const listed = await harness.request({ method: 'GET', url: `/api/v1/settings/llm/ollama-models?base_url=${encodeURIComponent(ollamaUrl)}`, token: harness.admin });
    expect(listed.json()).toEqual({ available: true, base_url: `${ollamaUrl}/v1`, models: ['llama3.1:8b', 'qwen2.5:7b'] });
    const none = await harness.request({ method: 'GET', url: '/api/v1/settings/llm/ollama-models?base_url=http://127.0.0.1:9', token: harness.admin });
    expect(none.json()).toMatchObject({ available: false, models: [] });
    expect(none.json().error).toMatch(/no Ollama answers at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('environment variables win', () => {
  it('reports the environment as the source, saves settings without applying them', async () => {
    const harness = await startEngine({ LLM_MODEL: 'openai-compatible/env-model', LLM_HOST: llm.url });
    const settings = (await harness.request({ method: 'GET', url: '/api/v1/settings/llm', token: harness.admin })).json();
    expect(settings).toMatchObject({ configured: true, source: 'environment', provider: 'openai-compatible', model: 'env-model', environment_overrides: ['LLM_MODEL', 'LLM_HOST'] });
    const saved = await harness.request({ method: 'PUT', url: '/api/v1/settings/llm', token: harness.admin, payload: { provider: 'openai-compatible', model: 'saved-model', base_url: llm.url } });
    expect(saved.json()).toMatchObject({ source: 'environment', model: 'env-model' });
    llm.reset({ rules: [{ match: { always: true }, reply: 'From the environment model.' }] });
    await chat(harness, 'hello');
    expect(llm.calls[0]!.model).toBe('env-model');
  });
});

/**
 * /metrics (issue 8): Prometheus text an operator can scrape, counting a known run exactly: one run awaiting
 * approval then one completed, one approval, one tool call by tool and outcome with its duration, the model's tokens,
 * HTTP requests by route pattern (never by concrete id). Optionally behind METRICS_TOKEN.
 */
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { simEngineFleet, type TestEngine } from '../support/test-engine.ts';

let sim: LlmSim;

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
});

const fleet = simEngineFleet(() => sim);
const engineWith = (env: Record<string, string>): Promise<TestEngine> => fleet.start(env);

afterAll(async () => {
  await fleet.closeAll();
  await sim?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format, failing on any line that is not valid in it. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text format: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)).reduce((sum, sample) => sum + sample.value, 0);

describe('GET /metrics', () => {
  it('counts a known run: runs by outcome, the approval, the tool call and its duration, tokens, requests by route', async () => {
    const engine = await engineWith({});
    const token = await engine.signUp('admin@example.com');
    engine.mcp.replicas.set('web', 2);
    sim.reset({
      rules: [
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', replicas: 5 } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'Scaled.' },
        { match: { always: true }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      ],
    });
    const chat = await readSse(new Response((await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: 'scale web to 5' }] } })).body));
    const conversationId = String(chat[0]!.data['conversation_id']);
    const resumed = await readSse(new Response((await engine.request({ method: 'POST', url: '/api/v1/agent/approvals/call_scale', token, payload: { approve: true, conversation_id: conversationId, args_hash: chat.find((frame) => frame.event === 'tool.awaiting_approval')!.data['args_hash'] } })).body));
    const streamed = [...chat, ...resumed];
    expect(engine.mcp.replicas.get('web')).toBe(5);
    await engine.request({ method: 'GET', url: `/api/v1/conversations/${conversationId}`, token });

    const scrape = await engine.request({ method: 'GET', url: '/metrics' });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(scrape.body);

    expect(valueOf(samples, 'skyflo_runs_total', { outcome: 'awaiting_approval' })).toBe(1);
    expect(valueOf(samples, 'skyflo_runs_total', { outcome: 'completed' })).toBe(1);
    expect(valueOf(samples, 'skyflo_approvals_total', { decision: 'approved' })).toBe(1);
    expect(valueOf(samples, 'skyflo_approvals_total', { decision: 'denied' })).toBe(0);
    expect(valueOf(samples, 'skyflo_tool_calls_total', { tool: 'k8s_scale', outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'skyflo_tool_call_duration_seconds_count', { tool: 'k8s_scale', outcome: 'ok' })).toBe(1);
    // load_toolset is handled by the engine, not run as a tool
    expect(valueOf(samples, 'skyflo_tool_calls_total', { tool: 'load_toolset' })).toBe(0);
    // tokens and first-token times: exactly what the streams reported
    const usage = streamed.filter((frame) => frame.event === 'token.usage').map((frame) => frame.data);
    expect(usage.length).toBe(sim.calls.length);
    const completion = usage.reduce((sum, entry) => sum + Number(entry['completion_tokens']), 0);
    expect(completion).toBeGreaterThan(0);
    expect(valueOf(samples, 'skyflo_llm_tokens_total', { kind: 'completion' })).toBe(completion);
    expect(valueOf(samples, 'skyflo_llm_tokens_total', { kind: 'prompt' })).toBe(usage.reduce((sum, entry) => sum + Number(entry['prompt_tokens']), 0));
    expect(valueOf(samples, 'skyflo_llm_time_to_first_token_seconds_count')).toBe(streamed.filter((frame) => frame.event === 'ttft').length);
    // routes by pattern: the conversation read is counted under :id, not its uuid
    expect(valueOf(samples, 'skyflo_http_requests_total', { method: 'GET', route: '/api/v1/conversations/:id', status: '200' })).toBe(1);
    expect(samples.some((sample) => sample.labels['route']?.includes(conversationId))).toBe(false);
    expect(valueOf(samples, 'skyflo_http_requests_total', { method: 'POST', route: '/api/v1/agent/chat', status: '200' })).toBe(1);
    expect(valueOf(samples, 'skyflo_component_up', { component: 'database' })).toBe(1);
    expect(valueOf(samples, 'skyflo_component_up', { component: 'bus' })).toBe(1);
    // the streams are closed again
    expect(valueOf(samples, 'skyflo_sse_clients')).toBe(0);
  });

  it('with METRICS_TOKEN, answers only with the token', async () => {
    const engine = await engineWith({ METRICS_TOKEN: 'metrics-token-0123456789' });
    expect((await engine.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await engine.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
    const scraped = await engine.request({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('# TYPE skyflo_http_requests_total counter');
  });
});

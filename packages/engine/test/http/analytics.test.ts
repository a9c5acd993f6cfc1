/**
 * GET /analytics/metrics (spec §1, §4): figures computed from stored answers and approvals match a hand-computed
 * fixture; members see only their own figures, admins everyone's (or one user's); prices come from the maintained
 * table, overridden by ANALYTICS_MODEL_PRICES; windows give daily or adaptive buckets; bad input is a 400 naming
 * the field.
 */
import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { analyticsResponseSchema, type AnalyticsResponse } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWindow } from '../../src/app/analytics/analytics-window.ts';
import { computeMetrics, percentile } from '../../src/app/analytics/compute-metrics.ts';
import { costOf, createPriceLookup } from '@skyflo/protocol';
import { loadConfig, ConfigError } from '../../src/platform/config/index.ts';
import type { TimelineEntry, TimelineSegment } from '../../src/platform/ports/index.ts';
import type { PlatformStorage } from '../../src/platform/ports/index.ts';
import { createPgliteStorage } from '../../src/adapters/storage/pglite/pglite-storage.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite, createTestPostgresDatabase } from '../support/test-databases.ts';

describe('price table', () => {
  const priceOf = createPriceLookup({ 'my-finetune': { prompt: 3, completion: 12 } });
  it.each([
    ['openai/gpt-4o', 2.5],
    ['gpt-4o-2024-08-06', 2.5],
    ['openai/gpt-4o-mini', 0.15],
    ['anthropic/claude-sonnet-4-20250514', 3],
    ['my-finetune', 3],
    ['ollama/llama3.1:8b', 0],
  ])('%s costs %d per million prompt tokens', (model, prompt) => {
    expect(priceOf(model)?.prompt).toBe(prompt);
  });
  it('knows no price for an unknown hosted model, and bills cached prompt tokens at the cached price', () => {
    expect(priceOf('acme/unknown-model')).toBeUndefined();
    expect(costOf({ prompt: 2.5, completion: 10, cached: 1.25 }, { prompt: 1000, completion: 200, cached: 400 })).toBeCloseTo(0.004, 10);
  });
  it('is overridable by ANALYTICS_MODEL_PRICES, and a malformed value names the variable', () => {
    expect(loadConfig({ ANALYTICS_MODEL_PRICES: '{"gpt-4o":{"prompt":1,"completion":2}}' }).analytics.modelPrices).toEqual({ 'gpt-4o': { prompt: 1, completion: 2 } });
    expect(() => loadConfig({ ANALYTICS_MODEL_PRICES: '{"gpt-4o":{"prompt":"cheap"}}' })).toThrow(ConfigError);
    expect(() => loadConfig({ ANALYTICS_MODEL_PRICES: 'gpt-4o=1' })).toThrow(/ANALYTICS_MODEL_PRICES: must be JSON/);
  });
});

describe('windows and buckets', () => {
  const now = new Date('2026-11-22T13:00:00Z');
  it.each([
    [{}, '2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z', '1d'],
    [{ last_n_days: 1 }, '2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z', '1d'],
    [{ start_date: '2026-11-01', end_date: '2026-11-03' }, '2026-11-01T00:00:00.000Z', '2026-11-04T00:00:00.000Z', '1d'],
    [{ start_datetime: '2026-11-22T10:00:00Z', end_datetime: '2026-11-22T13:00:00Z' }, '2026-11-22T10:00:00.000Z', '2026-11-22T13:00:00.000Z', '5m'],
    [{ start_datetime: '2026-11-21T13:00:00Z', end_datetime: '2026-11-22T13:00:00Z' }, '2026-11-21T13:00:00.000Z', '2026-11-22T13:00:00.000Z', '30m'],
    [{ start_datetime: '2026-10-23T13:00:00Z', end_datetime: '2026-11-22T13:00:00Z' }, '2026-10-23T13:00:00.000Z', '2026-11-22T13:00:00.000Z', '12h'],
    [{ start_datetime: '2026-01-01T00:00:00Z', end_datetime: '2026-11-22T00:00:00Z' }, '2026-01-01T00:00:00.000Z', '2026-11-22T00:00:00.000Z', '7d'],
  ])('%j → [%s, %s) in %s buckets', (query, start, end, bucket) => {
    const window = resolveWindow(query, now);
    expect([window.start.toISOString(), window.end.toISOString(), window.bucket.label]).toEqual([start, end, bucket]);
  });
  it('takes the nearest-rank 95th percentile', () => {
    expect(percentile([300, 500], 0.95)).toBe(500);
    expect(percentile(Array.from({ length: 100 }, (_, index) => index + 1), 0.95)).toBe(95);
    expect(percentile([], 0.95)).toBeNull();
  });
});

describe('computeMetrics on a hand-computed fixture', () => {
  it('sums, averages and buckets answers, approvals and tool calls', () => {
    const window = resolveWindow({ start_datetime: '2026-11-22T10:00:00Z', end_datetime: '2026-11-22T11:00:00Z' });
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute));
    const result = computeMetrics({
      window,
      scope: 'all',
      priceOf: createPriceLookup(),
      usage: [
        { conversationId: 'a', userId: 'u', at: at(1), model: 'openai/gpt-4o', promptTokens: 1000, completionTokens: 200, cachedTokens: 400, totalTokens: 1200, ttftMs: 300, ttrMs: 1500, tools: [{ tool: 'k8s_get', status: 'completed' }, { tool: 'k8s_scale', status: 'error' }] },
        { conversationId: 'a', userId: 'u', at: at(7), model: 'openai/gpt-4o-mini', promptTokens: 2000, completionTokens: 500, cachedTokens: 0, totalTokens: 2500, ttftMs: 500, tools: [{ tool: 'k8s_get', status: 'denied' }] },
        { conversationId: 'b', userId: 'v', at: at(59), model: 'acme/mystery', promptTokens: 100, completionTokens: 50, cachedTokens: 0, totalTokens: 150, tools: [] },
      ],
      approvals: [
        { requestedAt: at(1), status: 'executed', tool: 'k8s_scale' },
        { requestedAt: at(2), status: 'failed', tool: 'k8s_scale' },
        { requestedAt: at(3), status: 'denied', tool: 'k8s_delete' },
        { requestedAt: at(4), status: 'awaiting', tool: 'k8s_delete' },
      ],
    });
    expect(result.period).toEqual({ start: '2026-11-22T10:00:00.000Z', end: '2026-11-22T11:00:00.000Z', bucket: '5m', bucket_seconds: 300 });
    expect(result.summary).toEqual({
      cost: 0.0046, // 0.004 (gpt-4o: 600×2.5 + 400×1.25 + 200×10 per million) + 0.0006 (gpt-4o-mini: 2000×0.15 + 500×0.6)
      prompt_tokens: 3100,
      completion_tokens: 750,
      cached_tokens: 400,
      total_tokens: 3850,
      conversations: 2,
      avg_ttft_ms: 400,
      avg_ttr_ms: 1500,
      p95_ttft_ms: 500,
      p95_ttr_ms: 1500,
      avg_cost_per_conversation: 0.0023,
      cache_hit_rate: 0.129, // 400 / 3100
      approvals_requested: 4,
      approvals_approved: 2,
      approvals_denied: 1,
      approval_acceptance_rate: 0.6667,
      tool_calls: 2, // the denied call never ran
      tool_errors: 1,
      tool_error_rate: 0.5,
    });
    expect(result.buckets).toHaveLength(12);
    expect(result.buckets[0]).toMatchObject({ start: '2026-11-22T10:00:00.000Z', cost: 0.004, prompt_tokens: 1000, conversations: 1 });
    expect(result.buckets[1]).toMatchObject({ start: '2026-11-22T10:05:00.000Z', cost: 0.0006, completion_tokens: 500, avg_ttr_ms: null });
    expect(result.buckets[11]).toMatchObject({ start: '2026-11-22T10:55:00.000Z', total_tokens: 150, cost: 0 });
    expect(result.buckets.slice(2, 11).every((bucket) => bucket.total_tokens === 0 && bucket.avg_ttft_ms === null)).toBe(true);
    expect(result.tools).toEqual([{ tool: 'k8s_get', calls: 1, errors: 0 }, { tool: 'k8s_scale', calls: 1, errors: 1 }]);
    expect(result.unpriced_models).toEqual(['acme/mystery']);
    expect(analyticsResponseSchema.parse(result)).toEqual(result);
  });
});

describe('GET /analytics/metrics', () => {
  let lite: PGlite;
  let engine: TestEngine;
  let tokens: { admin: string; mia: string; bob: string };
  let ids: { mia: string; bob: string };

  const get = async (token: string | undefined, query = ''): Promise<{ status: number; body: AnalyticsResponse & { detail?: string } }> => {
    const response = await engine.request({ method: 'GET', url: `/api/v1/analytics/metrics${query}`, ...(token ? { token } : {}) });
    return { status: response.statusCode, body: response.json() };
  };

  const toolSegment = (tool: string, status: 'completed' | 'error' | 'denied'): TimelineSegment => ({
    kind: 'tool',
    id: randomUUID(),
    toolExecution: { call_id: randomUUID(), tool, title: tool, args: {}, status, timestamp: Date.now() },
  });

  /** An answer stored the way a run stores it: a timeline entry mirrored into the messages table. */
  async function answer(userId: string, usage: Record<string, unknown>, segments: TimelineSegment[] = []): Promise<string> {
    const conversation = await engine.engine.storage.conversations.create({ userId });
    const entry: TimelineEntry = { id: randomUUID(), type: 'assistant', content: 'done', timestamp: Date.now(), segments, token_usage: usage };
    await engine.engine.storage.conversations.updateTimeline(conversation.id, (timeline) => [...timeline, { id: randomUUID(), type: 'user', content: 'hi', timestamp: Date.now() }, entry]);
    return conversation.id;
  }

  async function approval(conversationId: string, requestedBy: string, decision?: boolean): Promise<void> {
    const callId = randomUUID();
    await engine.engine.storage.approvals.request({ conversationId, callId, runId: randomUUID(), tool: 'k8s_scale', args: {}, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy });
    if (decision !== undefined) await engine.engine.storage.approvals.decide({ conversationId, callId, approve: decision, decidedBy: requestedBy, decisionRunId: randomUUID() });
  }

  beforeAll(async () => {
    ({ lite } = await createTestPglite());
    engine = await startTestEngine({ lite, env: { ALLOW_REGISTRATION: 'true', ANALYTICS_MODEL_PRICES: '{"unknown-model":{"prompt":10,"completion":20}}' } });
    tokens = { admin: await engine.signUp('admin@example.com'), mia: await engine.signUp('mia@example.com'), bob: await engine.signUp('bob@example.com') };
    ids = { mia: (await engine.engine.storage.users.findByEmail('mia@example.com'))!.id, bob: (await engine.engine.storage.users.findByEmail('bob@example.com'))!.id };

    const miaA = await answer(ids.mia, { model: 'openai/gpt-4o', prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 400, total_tokens: 1200, ttft_ms: 300, ttr_ms: 1500 }, [toolSegment('k8s_get', 'completed'), toolSegment('k8s_scale', 'error')]);
    await answer(ids.mia, { model: 'openai/gpt-4o-mini', prompt_tokens: 2000, completion_tokens: 500, cached_tokens: 0, total_tokens: 2500, ttft_ms: 500, ttr_ms: 2500 }, [toolSegment('k8s_get', 'completed'), toolSegment('k8s_delete', 'denied')]);
    const bobC = await answer(ids.bob, { model: 'custom/unknown-model', prompt_tokens: 100, completion_tokens: 50, cached_tokens: 0, total_tokens: 150, ttft_ms: 100, ttr_ms: 900 });
    await approval(miaA, ids.mia, true);
    await approval(miaA, ids.mia, false);
    await approval(miaA, ids.mia);
    await approval(bobC, ids.bob, false);
  });

  afterAll(async () => {
    await engine?.close();
    await lite?.close();
  });

  it('a member sees only their own figures, whatever user_id they pass for themselves', async () => {
    const { status, body } = await get(tokens.mia, '?last_n_days=1');
    expect(status).toBe(200);
    expect(analyticsResponseSchema.parse(body)).toBeDefined();
    expect(body.scope).toBe('self');
    expect(body.summary).toEqual({
      cost: 0.0046,
      prompt_tokens: 3000,
      completion_tokens: 700,
      cached_tokens: 400,
      total_tokens: 3700,
      conversations: 2,
      avg_ttft_ms: 400,
      avg_ttr_ms: 2000,
      p95_ttft_ms: 500,
      p95_ttr_ms: 2500,
      avg_cost_per_conversation: 0.0023,
      cache_hit_rate: 0.1333,
      approvals_requested: 3,
      approvals_approved: 1,
      approvals_denied: 1,
      approval_acceptance_rate: 0.5,
      tool_calls: 3,
      tool_errors: 1,
      tool_error_rate: 0.3333,
    });
    expect(body.tools).toEqual([{ tool: 'k8s_get', calls: 2, errors: 0 }, { tool: 'k8s_scale', calls: 1, errors: 1 }]);
    expect(body.period.bucket).toBe('1d');
    expect(body.buckets).toHaveLength(1);
    expect(body.buckets[0]).toMatchObject({ cost: 0.0046, total_tokens: 3700, conversations: 2 });
    expect((await get(tokens.mia, `?user_id=${ids.mia}`)).body.summary.total_tokens).toBe(3700);
  });

  it('a member asking for someone else\'s figures is refused; another member sees only theirs', async () => {
    const refused = await get(tokens.mia, `?user_id=${ids.bob}`);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/^user_id: only admins/);
    const bob = await get(tokens.bob);
    expect(bob.body.summary).toMatchObject({ total_tokens: 150, cost: 0.002, conversations: 1, approvals_requested: 1, approvals_denied: 1, approval_acceptance_rate: 0, tool_calls: 0, tool_error_rate: null });
    expect(bob.body.unpriced_models).toEqual([]);
  });

  it('an admin sees everyone\'s figures, or one user\'s', async () => {
    const all = await get(tokens.admin, '?last_n_days=7');
    expect(all.body.scope).toBe('all');
    expect(all.body.summary).toMatchObject({
      cost: 0.0066, // + bob's 100×10 + 50×20 per million at the configured price
      total_tokens: 3850,
      conversations: 3,
      avg_ttft_ms: 300,
      avg_ttr_ms: 1633.33,
      p95_ttft_ms: 500,
      p95_ttr_ms: 2500,
      approvals_requested: 4,
      approvals_approved: 1,
      approvals_denied: 2,
      approval_acceptance_rate: 0.3333,
    });
    expect(all.body.buckets).toHaveLength(7);
    const one = await get(tokens.admin, `?user_id=${ids.bob}`);
    expect(one.body).toMatchObject({ scope: 'user', summary: { total_tokens: 150 } });
  });

  it('counts nothing outside the window', async () => {
    const past = await get(tokens.admin, '?start_date=2026-01-01&end_date=2026-01-31');
    expect(past.body.summary).toMatchObject({ total_tokens: 0, conversations: 0, approvals_requested: 0, avg_ttft_ms: null, cache_hit_rate: null, approval_acceptance_rate: null });
    expect(past.body.buckets).toHaveLength(31);
  });

  it.each([
    [undefined, '', 401, /Not authenticated/],
    ['admin', '?last_n_days=0', 400, /^last_n_days: last_n_days must be at least 1/],
    ['admin', '?last_n_days=week', 400, /^last_n_days: /],
    ['admin', '?start_date=yesterday', 400, /^start_date: start_date must be a date/],
    ['admin', '?end_datetime=2026-11-22T10:00:00Z', 400, /^start_datetime: start_datetime is required/],
    ['admin', '?start_datetime=2026-11-22T10:00:00Z&end_datetime=2026-11-22T09:00:00Z', 400, /^start_datetime: start_datetime must be before/],
    ['admin', '?last_n_days=3&start_date=2026-11-01', 400, /^last_n_days: give only one of/],
    ['admin', '?user_id=bob', 400, /^user_id: user_id must be a user id/],
  ] as const)('as %s %s → %d', async (caller, query, status, detail) => {
    const response = await get(caller ? tokens[caller] : undefined, query);
    expect(response.status).toBe(status);
    expect(response.body.detail).toMatch(detail);
  });
});

describe.each(['pglite', 'postgres'])('stored usage read back on %s', (driver) => {
  let storage: PlatformStorage;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (driver === 'pglite') {
      const { lite: own } = await createTestPglite();
      storage = await createPgliteStorage({ lite: own });
      close = async () => {
        await storage.close();
        await own.close();
      };
    } else {
      const database = await createTestPostgresDatabase();
      storage = await createPostgresStorage({ url: database.url });
      close = async () => {
        await storage.close();
        await database.drop();
      };
    }
  });

  afterAll(async () => {
    await close?.();
  });

  it('reads each answer\'s usage and its tool calls\' final states, and approvals by requester', async () => {
    const created = await storage.users.create({ email: 'owner@example.com', hashedPassword: 'h', allowWhenUsersExist: false });
    const other = await storage.users.create({ email: 'other@example.com', hashedPassword: 'h', allowWhenUsersExist: true });
    if (!created.ok || !other.ok) throw new Error('users');
    const conversation = await storage.conversations.create({ userId: created.user.id });
    const segments: TimelineSegment[] = [
      { kind: 'text', id: 't', text: 'checking', timestamp: Date.now() },
      { kind: 'tool', id: 'a', toolExecution: { call_id: 'a', tool: 'k8s_get', title: 'Get', args: { name: 'web' }, status: 'completed', result: [{ type: 'text', text: 'big result' }], timestamp: Date.now() } },
      { kind: 'tool', id: 'b', toolExecution: { call_id: 'b', tool: 'k8s_scale', title: 'Scale', args: {}, status: 'error', error: 'boom', timestamp: Date.now() } },
    ];
    await storage.conversations.updateTimeline(conversation.id, () => [
      { id: 'u1', type: 'user', content: 'hi', timestamp: Date.now() },
      { id: 'a1', type: 'assistant', content: 'checking', timestamp: Date.now(), segments, token_usage: { model: 'openai/gpt-4o', prompt_tokens: 10, completion_tokens: 5, cached_tokens: 2, total_tokens: 15, ttft_ms: 120, ttr_ms: 900 } },
    ]);
    await storage.approvals.request({ conversationId: conversation.id, callId: 'b', runId: randomUUID(), tool: 'k8s_scale', args: {}, argsHash: 'h', resolution: [], risks: [], destructive: false, requestedBy: created.user.id });
    await storage.approvals.decide({ conversationId: conversation.id, callId: 'b', approve: false, decidedBy: created.user.id, decisionRunId: randomUUID() });

    const range = { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) };
    const usage = await storage.analytics.usage({ ...range, userId: created.user.id });
    expect(usage).toEqual([
      {
        conversationId: conversation.id,
        userId: created.user.id,
        at: expect.any(Date),
        model: 'openai/gpt-4o',
        promptTokens: 10,
        completionTokens: 5,
        cachedTokens: 2,
        totalTokens: 15,
        ttftMs: 120,
        ttrMs: 900,
        tools: [{ tool: 'k8s_get', status: 'completed' }, { tool: 'k8s_scale', status: 'error' }],
      },
    ]);
    expect(await storage.analytics.usage({ ...range, userId: other.user.id })).toEqual([]);
    expect(await storage.analytics.usage({ from: new Date(Date.now() + 60_000), to: new Date(Date.now() + 120_000) })).toEqual([]);
    expect(await storage.analytics.approvals({ ...range, userId: created.user.id })).toEqual([{ requestedAt: expect.any(Date), status: 'denied', tool: 'k8s_scale' }]);
    expect(await storage.analytics.approvals({ ...range, userId: other.user.id })).toEqual([]);
  });
});

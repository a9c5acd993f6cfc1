/**
 * Issue 22 end to end: the all-in-one engine (createEngine, PGlite data dir, embedded real MCP server, accounts) on
 * two kube-sims behind one kubeconfig with the contexts `alpha` (current) and `beta`, llm-sim as the model. Cluster
 * state is read back with the real kubectl, per context.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SseFrame } from '../../src/testing/read-sse.ts';
import { deploymentIn, find, shopAndPaymentsNamespaces, startTwoClusterEngine, type TwoClusterEngine } from './harness.ts';

let fx: TwoClusterEngine;
const replicas = (context: string, namespace: string, name: string) => fx.kubectl(context, 'get', 'deployment', name, '-n', namespace, '-o', 'jsonpath={.spec.replicas}');
const api = (method: string, pathname: string, token: string, body?: unknown) => fx.api(method, pathname, token, body);
const stream = async (pathname: string, body: unknown, token = fx.adminToken): Promise<SseFrame[]> => (await fx.stream(pathname, body, token)).frames;
const conversationOf = (frames: SseFrame[]) => String(frames[0]!.data['conversation_id']);

const workloads = `${shopAndPaymentsNamespaces}---\n${deploymentIn('shop', 'web', 2)}---\n${deploymentIn('payments', 'api', 1)}`;

const loadWrite = (id: string) => ({ match: { sequence: 1 }, reply: { toolCalls: [{ id, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } });
const thenScale = (id: string, args: Record<string, unknown>) => ({ match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id, name: 'k8s_scale', arguments: { resource_type: 'deployment', ...args } }] } });
const done = { match: { toolName: 'k8s_scale' }, reply: 'Done.' };

beforeAll(async () => {
  fx = await startTwoClusterEngine({
    prefix: 'skyflo-clusters-',
    seed: ({ applyOn }) => applyOn(['alpha', 'beta'], 'workloads.yaml', workloads),
  });
});

afterAll(async () => {
  await fx?.close();
});

describe('two clusters behind one engine', () => {
  it('GET /clusters lists both, alpha current, with their API servers and the default policy', async () => {
    const listed = await api('GET', '/clusters', fx.adminToken);
    expect(listed.status).toBe(200);
    expect(listed.json['clusters']).toEqual([
      expect.objectContaining({ name: 'alpha', server: fx.alpha.url, current: true, reachable: true, policy: 'self' }),
      expect.objectContaining({ name: 'beta', server: fx.beta.url, current: false, reachable: true, policy: 'self' }),
    ]);
  });

  it('a conversation pinned to beta scales only in beta, and its approval names beta (name and server)', async () => {
    fx.sim.reset({ rules: [loadWrite('call_load_b'), thenScale('call_scale_b', { name: 'web', namespace: 'shop', replicas: 5 }), done] });
    const first = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 5' }], context: 'beta' });
    const conversationId = conversationOf(first);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ cluster: { name: 'beta', server: fx.beta.url }, namespace: 'shop', args: expect.objectContaining({ context: 'beta' }) });
    expect(String(awaiting['diff'])).toMatch(/replicas: 5/);
    expect((await api('GET', `/conversations/${conversationId}`, fx.adminToken)).json['cluster']).toBe('beta');

    const second = await stream('/agent/approvals/call_scale_b', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
    expect(find(second, 'tool.result')[0]).toMatchObject({ call_id: 'call_scale_b' });
    expect(await replicas('beta', 'shop', 'web')).toBe('5');
    expect(await replicas('alpha', 'shop', 'web')).toBe('2');
    // the audit trail says where the change was proposed
    await vi.waitFor(async () => {
      const audit = await api('GET', `/audit?conversation_id=${conversationId}&limit=50`, fx.adminToken);
      const records = audit.json['data'] as Array<{ action: string; details: Record<string, unknown> }>;
      expect(records.find((record) => record.action === 'tool.proposed')?.details['cluster']).toEqual({ name: 'beta', server: fx.beta.url });
      expect(records.find((record) => record.action === 'approval.approved')?.details).toMatchObject({ cluster: { name: 'beta', server: fx.beta.url }, namespace: 'shop', policy: { mode: 'self' } });
    });
  });

  it('the same call approved for alpha cannot be replayed on beta', async () => {
    const args = { name: 'web', namespace: 'shop', replicas: 7 };
    fx.sim.reset({ rules: [loadWrite('call_load_a1'), thenScale('call_a1', args)] });
    const inAlpha = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 7' }], context: 'alpha' });
    const alphaHash = find(inAlpha, 'tool.awaiting_approval')[0]!['args_hash'];
    fx.sim.reset({ rules: [loadWrite('call_load_b1'), thenScale('call_b1', args)] });
    const inBeta = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 7' }], context: 'beta' });
    const replay = await api('POST', '/agent/approvals/call_b1', fx.adminToken, { approve: true, conversation_id: conversationOf(inBeta), args_hash: alphaHash });
    expect(replay.status).toBe(409);
    expect(String(replay.json['detail'])).toMatch(/arguments hash differs/);
    expect(await replicas('beta', 'shop', 'web')).toBe('5');
    expect(await replicas('alpha', 'shop', 'web')).toBe('2');
    // close both: the next tests start from clean conversations
    await api('POST', '/agent/approvals/call_a1', fx.adminToken, { approve: false, conversation_id: conversationOf(inAlpha) }).catch(() => undefined);
    await api('POST', '/agent/approvals/call_b1', fx.adminToken, { approve: false, conversation_id: conversationOf(inBeta) }).catch(() => undefined);
  });

  it('a read-only cluster refuses writes before any approval is asked', async () => {
    expect((await api('PUT', '/clusters/policies', fx.memberToken, { policies: [{ cluster: 'beta', mode: 'read_only' }] })).status).toBe(403);
    const set = await api('PUT', '/clusters/policies', fx.adminToken, { policies: [{ cluster: 'beta', mode: 'read_only' }] });
    expect(set.json).toEqual({ policies: [{ cluster: 'beta', mode: 'read_only' }] });
    expect(((await api('GET', '/clusters', fx.adminToken)).json['clusters'] as Array<{ name: string; policy: string }>).map((cluster) => [cluster.name, cluster.policy])).toEqual([
      ['alpha', 'self'],
      ['beta', 'read_only'],
    ]);
    try {
      fx.sim.reset({ rules: [loadWrite('call_load_ro'), thenScale('call_ro', { name: 'web', namespace: 'shop', replicas: 1 }), { match: { toolName: 'k8s_scale' }, reply: 'Beta is read-only.' }] });
      const chat = await stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 1' }], context: 'beta' });
      expect(find(chat, 'tool.error')[0]).toMatchObject({ call_id: 'call_ro', code: 'READ_ONLY_CLUSTER', error: expect.stringMatching(/cluster beta \(namespace shop\) is read-only/) });
      expect(find(chat, 'tool.awaiting_approval')).toHaveLength(0);
      const pending = await api('GET', '/approvals/pending', fx.adminToken);
      expect((pending.json['data'] as Array<{ call_id: string }>).map((call) => call.call_id)).not.toContain('call_ro');
      expect(await replicas('beta', 'shop', 'web')).toBe('5');
    } finally {
      await api('PUT', '/clusters/policies', fx.adminToken, { policies: [] });
    }
  });

  it('a namespace-scoped member sees and changes only their namespaces', async () => {
    expect((await api('PATCH', `/team/members/${fx.memberId}/scope`, fx.memberToken, { namespaces: ['shop'] })).status).toBe(403);
    const scoped = await api('PATCH', `/team/members/${fx.memberId}/scope`, fx.adminToken, { namespaces: ['shop'] });
    expect(scoped.json).toMatchObject({ id: fx.memberId, scope: { namespaces: ['shop'] } });
    expect((await api('GET', '/auth/me', fx.memberToken)).json['scope']).toEqual({ namespaces: ['shop'] });
    fx.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_all', name: 'k8s_get', arguments: { resource_type: 'deployments', all_namespaces: true } }] } },
        { match: { sequence: 2 }, reply: { toolCalls: [{ id: 'call_pay', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'payments' } }] } },
        { match: { sequence: 3 }, reply: { toolCalls: [{ id: 'call_shop', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'shop' } }] } },
        { match: { sequence: 4 }, reply: { toolCalls: [{ id: 'call_load_m', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { sequence: 5 }, reply: { toolCalls: [{ id: 'call_scale_pay', name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'api', namespace: 'payments', replicas: 3 } }] } },
        { match: { sequence: 6 }, reply: { toolCalls: [{ id: 'call_scale_shop', name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'web', namespace: 'shop', replicas: 3 } }] } },
        { match: { sequence: 7 }, reply: 'Scaled shop/web.' },
      ],
    });
    const chat = await stream('/agent/chat', { messages: [{ role: 'user', content: 'look and scale' }] }, fx.memberToken);
    const conversationId = conversationOf(chat);
    expect(find(chat, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([
      ['call_pay', 'OUT_OF_SCOPE'],
      ['call_scale_pay', 'OUT_OF_SCOPE'],
    ]);
    // the listing across all namespaces is limited to shop (member-scope.test.ts covers pods, events and Helm)
    const all = (find(chat, 'tool.result').find((result) => result['call_id'] === 'call_all')!['result'] as Array<{ text: string }>)[0]!.text;
    expect(all).toMatch(/^Listing limited to the namespaces shop by your scope[\s\S]*\bweb\b/);
    expect(all).not.toMatch(/\bapi\b/);
    const read = find(chat, 'tool.result').find((result) => result['call_id'] === 'call_shop')!;
    expect((read['result'] as Array<{ text: string }>)[0]!.text).toMatch(/web/);
    expect((read['result'] as Array<{ text: string }>)[0]!.text).not.toMatch(/\bapi\b/);
    const awaiting = find(chat, 'tool.awaiting_approval');
    expect(awaiting.map((call) => call['call_id'])).toEqual(['call_scale_shop']);
    expect(awaiting[0]).toMatchObject({ cluster: { name: 'alpha', server: fx.alpha.url }, namespace: 'shop' });
    const approved = await stream('/agent/approvals/call_scale_shop', { approve: true, conversation_id: conversationId, args_hash: awaiting[0]!['args_hash'] }, fx.memberToken);
    expect(find(approved, 'tool.result')[0]).toMatchObject({ call_id: 'call_scale_shop' });
    expect(await replicas('alpha', 'shop', 'web')).toBe('3');
    expect(await replicas('alpha', 'payments', 'api')).toBe('1');
    await api('PATCH', `/team/members/${fx.memberId}/scope`, fx.adminToken, {});
  });

  it('stopping one cluster shows it unreachable in GET /clusters and /health degraded, while the other keeps working', async () => {
    expect((await api('GET', '/health', fx.adminToken)).json).toMatchObject({ status: 'ok', components: { clusters: 'ok' } });
    await fx.beta.close();
    await vi.waitFor(
      async () => {
        const listed = (await api('GET', '/clusters?refresh=true', fx.adminToken)).json['clusters'] as Array<{ name: string; reachable: boolean; error?: string }>;
        expect(listed.find((cluster) => cluster.name === 'beta')).toMatchObject({ reachable: false, error: expect.any(String) });
        expect(listed.find((cluster) => cluster.name === 'alpha')).toMatchObject({ reachable: true });
      },
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(
      async () => {
        const health = (await api('GET', '/health', fx.adminToken)).json;
        expect(health['status']).toBe('degraded');
        expect(String((health['components'] as Record<string, string>)['clusters'])).toMatch(/beta unreachable/);
        expect(String((health['components'] as Record<string, string>)['clusters'])).not.toMatch(/alpha/);
      },
      { timeout: 30_000, interval: 200 },
    );
    fx.sim.reset({ rules: [{ match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_alpha_get', name: 'k8s_get', arguments: { resource_type: 'deployments', namespace: 'shop' } }] } }, { match: { toolName: 'k8s_get' }, reply: 'alpha answers.' }] });
    const chat = await stream('/agent/chat', { messages: [{ role: 'user', content: 'list shop' }], context: 'alpha' });
    expect((find(chat, 'tool.result')[0]!['result'] as Array<{ text: string }>)[0]!.text).toMatch(/web/);
  });
});

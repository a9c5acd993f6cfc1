/**
 * "Verified" checks the symptom (issue 78 item 7): on the incident sandbox, where checkout's p99 went from about 0.2 s
 * to about 3.5 s with a rollout 20 minutes ago, the model reads that p99 with prometheus_query_range, then proposes a
 * rollback. Once approved and run, the verification reports the rollback's verdict (the rollout finished) and the
 * symptom before and after, re-asked with the model's own query through the cluster's Prometheus — not only
 * "replicas ready". Without a data source nothing is re-asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

const p99 = 'histogram_quantile(0.99, sum by (le, app) (rate(http_request_duration_seconds_bucket{namespace="shop", app="checkout"}[5m])))';
let cluster: LiveCluster;
let agent: VerifyAgent;

beforeAll(async () => {
  cluster = await startLiveCluster({ name: 'verify-symptom', kubeSim: { scenario: 'incidents', observability: {} } });
  agent = await startVerifyAgent({ tools: cluster.engineTools(), observabilitySources: async () => ({ prometheus: { url: cluster.kube.observability!.url } }) });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await cluster?.close();
});

describe('verification re-asks the symptom', () => {
  it('a rollback of the slow checkout is verified with its p99 before and after, from the query the model used', async () => {
    agent.sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_p99', name: 'prometheus_query_range', arguments: { query: p99, start: '1h' } }] } },
        { match: { toolName: 'prometheus_query_range' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_undo', name: 'k8s_rollout_undo', arguments: { name: 'checkout', resource_type: 'deployment', namespace: 'shop' } }] } },
        { match: { toolName: 'k8s_rollout_undo' }, reply: 'Rolled back.' },
      ],
    });
    const first = (await agent.post('/agent/chat', { messages: [{ role: 'user', content: 'why did checkout get slower after the last rollout? roll it back' }] })).frames;
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval').find((event) => event['call_id'] === 'call_undo')!;
    const decided = (await agent.post('/agent/approvals/call_undo', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] })).frames;
    const final = find(decided, 'tool.verification').filter((event) => event['call_id'] === 'call_undo').at(-1)!;
    expect(final['outcome']).toBe('verified');
    const evidence = final['evidence'] as Array<{ read: string; text: string }>;
    const symptom = evidence.find((item) => item.read === `symptom: ${p99}`)!;
    // the p99 when the rollback ran was the slow build's
    const before = Number(/before ([0-9.]+) → now/.exec(symptom.text)?.[1]);
    expect(before).toBeGreaterThan(3);
    expect(symptom.text).toMatch(/^\{app="checkout"\}: before [0-9.]+ → now [0-9.]+\nThe query's 300s window still holds \d+s from before the change/);
    expect(String(final['summary'])).toMatch(/; the symptom read [0-9.]+ before the change and [0-9.]+ now/);
    // and the model reads it with the verdict
    expect(agent.toolResultSentToModel('call_undo')).toMatch(/Verification: verified — .*the symptom read [0-9.]+ before the change and [0-9.]+ now/);
  }, 180_000);
});

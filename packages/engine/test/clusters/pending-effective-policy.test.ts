/**
 * Issue 37 item 7: the pending approvals list says, per call, the policy that decides it (a cluster policy recorded
 * with the call, else APPROVAL_POLICY), and lists a call bound to an API server that is no longer configured as
 * stale (not offered for approval) with the reason, and a decision approving it is refused (CLUSTER_STALE) unrun. Two kube-sims behind one kubeconfig, the all-in-one engine.
 */
import { writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pendingApprovalsResponseSchema } from '@skyflo/protocol';
import { createPasswordHasher } from '../../src/app/accounts/password-hasher.ts';
import { loadConfig } from '../../src/platform/config/index.ts';
import { createEngine, type Engine } from '../../src/create-engine.ts';
import { testPassword } from '../support/test-engine.ts';
import { deploymentIn, find, shopAndPaymentsNamespaces, startTwoClusterEngine, type TwoClusterEngine } from './harness.ts';

let fx: TwoClusterEngine;
/** the engine started again on the same data dir after the kubeconfig changed */
let restarted: Engine | undefined;

const web = `${shopAndPaymentsNamespaces}---\n${deploymentIn('shop', 'web', 2)}`;

const scaleRules = (suffix: string, replicas: number) => [
  { match: { sequence: 1 }, reply: { toolCalls: [{ id: `call_load_${suffix}`, name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
  { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: `call_scale_${suffix}`, name: 'k8s_scale', arguments: { resource_type: 'deployment', name: 'web', namespace: 'shop', replicas } }] } },
];

beforeAll(async () => {
  fx = await startTwoClusterEngine({
    prefix: 'skyflo-pending-policy-',
    env: { APPROVAL_POLICY: 'self' },
    seed: ({ applyOn }) => applyOn(['alpha', 'beta'], 'web.yaml', web),
  });
});

afterAll(async () => {
  await restarted?.close();
  await fx?.close();
});

const pending = async (token: string) => {
  const answer = await fx.api('GET', '/approvals/pending', token);
  expect(answer.status).toBe(200);
  return pendingApprovalsResponseSchema.parse(answer.json).data;
};

describe('GET /approvals/pending: the policy of each call, and stale calls', () => {
  it('says per call which policy decides it, and refuses to offer a call whose cluster API server is gone', async () => {
    expect((await fx.api('PUT', '/clusters/policies', fx.adminToken, { policies: [{ cluster: 'beta', mode: 'approver' }] })).status).toBe(200);
    fx.sim.reset({ rules: scaleRules('beta', 4) });
    const onBeta = await fx.stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 4' }], context: 'beta' }, fx.memberToken);
    expect(find(onBeta.frames, 'tool.awaiting_approval').map((call) => call['call_id'])).toEqual(['call_scale_beta']);
    fx.sim.reset({ rules: scaleRules('alpha', 3) });
    const onAlpha = await fx.stream('/agent/chat', { messages: [{ role: 'user', content: 'scale web to 3' }], context: 'alpha' }, fx.memberToken);
    expect(find(onAlpha.frames, 'tool.awaiting_approval').map((call) => call['call_id'])).toEqual(['call_scale_alpha']);

    // The member's own list: alpha follows APPROVAL_POLICY=self (they decide), beta its cluster policy (an approver does).
    const mine = await pending(fx.memberToken);
    const alphaCall = mine.find((call) => call.call_id === 'call_scale_alpha')!;
    const betaCall = mine.find((call) => call.call_id === 'call_scale_beta')!;
    expect(alphaCall).toMatchObject({ can_decide: true, effective_policy: { mode: 'self', source: 'APPROVAL_POLICY=self, no cluster policy for alpha', four_eyes: false } });
    expect(betaCall).toMatchObject({ can_decide: false, effective_policy: { mode: 'approver', source: expect.stringMatching(/beta/), four_eyes: false } });
    expect(betaCall.cannot_decide_reason).toMatch(/approver/);
    // the admin (an approver under beta's policy) may decide beta's call
    expect((await pending(fx.adminToken)).find((call) => call.call_id === 'call_scale_beta')).toMatchObject({ can_decide: true, effective_policy: { mode: 'approver' } });

    // The kubeconfig changes across a restart: beta now names another API server. Its call can never run as shown.
    const config = JSON.parse(await readFile(fx.kubeconfig, 'utf8')) as { clusters: Array<{ name: string; cluster: { server: string } }> };
    config.clusters.find((cluster) => cluster.name === 'beta')!.cluster.server = fx.alpha.url;
    await writeFile(fx.kubeconfig, JSON.stringify(config), { mode: 0o600 });
    await fx.closeEngine();
    restarted = await createEngine(
      loadConfig({ PORT: '0', SKYFLO_DATA_DIR: path.join(fx.directory, 'data'), KUBECONFIG: fx.kubeconfig, LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: fx.sim.url, LOG_LEVEL: 'silent', APPROVAL_POLICY: 'self' }),
      { logger: false, passwordHasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1 }) },
    );
    const base = await restarted.listen();
    const login = async (username: string) => {
      const response = await fetch(`${base}/api/v1/auth/jwt/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username, password: testPassword }) });
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const adminToken = await login('admin@example.test');
    const memberToken = await login('shop@example.test');
    const listPending = async (token = adminToken) => {
      const response = await fetch(`${base}/api/v1/approvals/pending`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      return pendingApprovalsResponseSchema.parse(await response.json()).data;
    };
    // the MCP server loads in the background: until it answers, nothing is called stale
    await vi.waitFor(async () => expect((await listPending()).find((call) => call.call_id === 'call_scale_beta')?.stale_reason).toBeDefined(), { timeout: 30_000, interval: 200 });
    const afterChange = await listPending();
    const stale = afterChange.find((call) => call.call_id === 'call_scale_beta')!;
    expect(stale).toMatchObject({ can_decide: false, stale_reason: expect.stringContaining(`bound to cluster beta at ${fx.beta.url}`) });
    expect(stale.cannot_decide_reason).toBe(stale.stale_reason);
    // the alpha call is still bound to a configured API server: offered to its requester as before
    const alphaAfter = (await listPending(memberToken)).find((call) => call.call_id === 'call_scale_alpha');
    expect(alphaAfter).toMatchObject({ can_decide: true });
    expect(alphaAfter!.stale_reason).toBeUndefined();
    expect(await fx.kubectl('beta', 'get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('2');

    // The decision asks the same rules: the admin (who may decide beta's calls) approving the stale call is refused
    // with the words the list shows, and nothing runs — not on beta, nor on alpha, where "beta" now points.
    const betaAwaiting = find(onBeta.frames, 'tool.awaiting_approval')[0]!;
    const decision = await fetch(`${base}/api/v1/agent/approvals/call_scale_beta`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ approve: true, conversation_id: String(onBeta.frames[0]!.data['conversation_id']), args_hash: betaAwaiting['args_hash'] }),
    });
    expect(decision.status).toBe(409);
    expect(((await decision.json()) as { detail: string }).detail).toBe(stale.stale_reason);
    expect((await listPending()).find((call) => call.call_id === 'call_scale_beta')).toMatchObject({ can_decide: false, stale_reason: stale.stale_reason });
    expect(await fx.kubectl('alpha', 'get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    expect(await fx.kubectl('beta', 'get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
  });
});

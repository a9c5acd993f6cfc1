/**
 * Issue 34, end to end: the engine (SKYFLO_APPROVAL_ENFORCEMENT=cluster) + the real MCP server in-process on a
 * read-only identity + kube-sim (TLS, RBAC, the SkyfloApproval CRD, the webhook) + the real executor. An approved
 * scale is written by the approval's own ServiceAccount, which is gone afterwards; the MCP server's standing token
 * cannot write; a denial is mirrored too; with the executor down nothing runs (fail closed). Issue 35 item 5: an
 * approval a database write made without the passkey the cluster's policy asks for is refused by the executor (at its
 * default setting), and a terminal approval signed with a confirmed device key (mirrored to the executor) runs.
 */
import { Writable } from 'node:stream';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { repoRoot } from '@skyflo/testkit/tools';
import { approvalChallengeFacts, approvalChallengeInput } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, sseThrough, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createSoftwareAuthenticator } from '../support/software-authenticator.ts';
import { addTeamMembers } from '../support/governance.ts';
import { createTestPglite } from '../support/test-databases.ts';
import { oneCallScript } from '../support/sim-agent.ts';
import { approvalsCrd, approverKeysCrd, installNamespace, mcpUser, startEnforcedCluster, type EnforcedCluster } from './support/enforced-cluster.ts';

/** the engine's JSON log lines */
const logLines: Array<Record<string, unknown>> = [];
const callerToken = 'engine-executor-flow-token';
const commandCenter = 'http://localhost:5173';
let enforced: EnforcedCluster;
let llm: LlmSim;
let lite: PGlite;
let tools: ToolGateway;
let engine: TestEngine;
let token: string;
let engineEnv: Record<string, string>;

const kubectlWith = (kubeconfig: string, args: string[], input?: string) => enforced.kubectlWith(kubeconfig, args, input);
const kubectl = (...args: string[]) => enforced.kubectl(...args);
const apply = (objects: unknown[]) => enforced.apply(objects);
const replicas = () => kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}');
const frames = sseThrough(() => engine);
const scaleScript = (callId: string, count: number) => oneCallScript({ id: callId, name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: count, namespace: 'default' } });

/** Asks for a scale and decides it; returns the decision run's frames. */
async function scale(callId: string, count: number, approve: boolean): Promise<SseFrame[]> {
  llm.reset(scaleScript(callId, count));
  const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: `scale web to ${count}` }] } });
  const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval');
  expect(awaiting, JSON.stringify(asked.map((frame) => frame.event))).toBeDefined();
  const conversationId = String(asked[0]!.data['conversation_id']);
  return frames({ method: 'POST', url: `/api/v1/agent/approvals/${callId}`, token, payload: { approve, conversation_id: conversationId, args_hash: awaiting!.data['args_hash'] } });
}

beforeAll(async () => {
  enforced = await startEnforcedCluster({
    name: 'enforcement',
    callerToken,
    settings: { startDelayMs: 20, readinessDelayMs: 50 },
    crds: [approvalsCrd, approverKeysCrd],
    prepare: async ({ kubectl }) => {
      await kubectl('create', 'deployment', 'web', '-n', 'default', '--image=nginx:1.27', '--replicas=2');
      // The MCP server's standing identity: read-only, as every access profile is with enforced approvals.
      await kubectl('create', 'clusterrolebinding', 'skyflo-mcp-view', '--clusterrole=view', `--user=${mcpUser}`);
    },
  });

  llm = await startLlmSim({ port: 0 });
  ({ lite } = await createTestPglite());
  tools = createToolGateway({ embedded: { kubeconfigPath: enforced.mcpKubeconfig } });
  engineEnv = {
    TITLE_GENERATION_ENABLED: 'false',
    SKYFLO_APPROVAL_ENFORCEMENT: 'cluster',
    // approvers other than the requester decide (issue 76: a policy's several approvers)
    APPROVAL_POLICY: 'approver',
    SKYFLO_EXECUTOR_URL: enforced.executor!.url,
    SKYFLO_EXECUTOR_TOKEN: callerToken,
    SKYFLO_APPROVAL_SIGNING_KEY: enforced.privateKeyPem,
    // passkeys are bound to the Command Center's address
    PUBLIC_URL: commandCenter,
  };
  // the engine's log, read as an operator would (issue 80 item 7: a line for every refused execution and failed preview)
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  engine = await startTestEngine({ lite, tools, llm: simModel(llm), env: engineEnv, logger: { level: 'info', stream: logStream } });
  token = await engine.signUp('admin@example.com');
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await lite?.close();
  await enforced?.close();
  await llm?.close();
});

describe('approvals the cluster enforces', () => {
  it("the MCP server's standing identity cannot write (403 from the API server)", async () => {
    await expect(kubectlWith(enforced.mcpKubeconfig, ['scale', 'deployment', 'web', '-n', 'default', '--replicas=9'])).rejects.toThrow(/forbidden/i);
    await expect(kubectlWith(enforced.mcpKubeconfig, ['delete', 'deployment', 'web', '-n', 'default'])).rejects.toThrow(/forbidden/i);
    expect(await replicas()).toBe('2');
  });

  it('an approved scale is written by the approval’s own ServiceAccount, which is gone afterwards', async () => {
    const before = enforced.kube.calls.length;
    const decided = await scale('call_enforced_1', 3, true);
    const approved = decided.find((frame) => frame.event === 'tool.approved');
    const name = String(approved?.data['approval_object'] ?? '');
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(40);
    expect(decided.find((frame) => frame.event === 'tool.executing')?.data['approval_object']).toBe(name);
    expect(decided.find((frame) => frame.event === 'tool.result')?.data, JSON.stringify(decided.filter((frame) => frame.event === 'tool.error').map((frame) => frame.data))).toMatchObject({ call_id: 'call_enforced_1' });
    expect(await replicas()).toBe('3');
    const account = `system:serviceaccount:${installNamespace}:skyflo-approval-${name}`;
    // (the previews' dry-runs by the read-only identity were refused: 403, nothing written)
    const writes = enforced.kube.calls.slice(before).filter((call) => call.verb === 'patch' && call.path.startsWith('/apis/apps/v1/namespaces/default/deployments/web') && call.query['dryRun'] !== 'All');
    expect(writes.map((call) => [call.path, call.user, call.status])).toEqual([['/apis/apps/v1/namespaces/default/deployments/web/scale', account, 200]]);
    await expect(kubectl('get', 'serviceaccount', `skyflo-approval-${name}`, '-n', installNamespace)).rejects.toThrow(/NotFound|not found/);
    expect(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'jsonpath={.status.decision} {.spec.tool}')).toBe('approved k8s_scale');
    // issue 73: what the executor computed the call writes from its exact arguments, recorded when it minted
    const granted = JSON.parse(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', "jsonpath={.metadata.annotations.skyflo\\.ai/granted-access}"));
    expect(granted).toEqual([{ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'default', name: 'web', verbs: ['patch'], contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // the audit record of the execution names it too
    const audit = await engine.request({ method: 'GET', url: '/api/v1/audit?limit=50', token });
    expect(audit.body).toContain(name);
  });

  it('a denial is mirrored as a SkyfloApproval too, and nothing runs', async () => {
    const decided = await scale('call_enforced_denied', 5, false);
    const denied = decided.find((frame) => frame.event === 'tool.denied');
    const name = String(denied?.data['approval_object'] ?? '');
    expect(name).not.toBe('');
    expect(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'jsonpath={.status.decision}')).toBe('denied');
    expect(await replicas()).toBe('3');
  });

  it("the engine's emergency stop reaches the executor at once (issue 76): it mints nothing until an admin lifts it", async () => {
    // a mint for an approval the executor never heard of: refused as unknown normally, as stopped while the stop is on
    const mintSomething = async () => {
      const response = await fetch(`${enforced.executor!.url}/v1/approvals/no-such-approval/credential`, { method: 'POST', headers: { authorization: `Bearer ${callerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ arguments: {} }) });
      return { status: response.status, body: (await response.json()) as { code: string; message: string } };
    };
    expect((await mintSomething()).body.code).toBe('NOT_FOUND');
    expect((await engine.request({ method: 'POST', url: '/api/v1/emergency-stop', token, payload: { reason: 'INC-12 bad deploy' } })).statusCode).toBe(200);
    try {
      expect(await mintSomething()).toMatchObject({ status: 423, body: { code: 'EMERGENCY_STOP', message: expect.stringMatching(/^the emergency stop is on \(engaged in Skyflo by admin@example\.com at .*: INC-12 bad deploy\)/) } });
    } finally {
      expect((await engine.request({ method: 'DELETE', url: '/api/v1/emergency-stop', token })).statusCode).toBe(200);
    }
    expect((await mintSomething()).body.code).toBe('NOT_FOUND');
  });

  it('an approval recorded without the passkey the cluster asks for (a row written into the database) is not executed', async () => {
    // Issue 35 item 5: destructive and high-risk calls need the approver's passkey; the executor keeps its default (none).
    const put = await engine.request({ method: 'PUT', url: '/api/v1/clusters/passkey-policies', token, payload: { policies: [{ cluster: '*', mode: 'destructive_and_high_risk' }] } });
    expect(put.statusCode, put.body).toBe(200);
    try {
      // One turn, two calls: scaling to zero (high risk: a passkey) and a plain scale (a click is enough).
      const scaleCall = (id: string, count: number) => ({ id, name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: count, namespace: 'default' } });
      llm.reset({
        rules: [
          { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'by_hand_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
          { match: { toolName: 'load_toolset' }, reply: { toolCalls: [scaleCall('call_by_hand_zero', 0), scaleCall('call_by_hand_four', 4)] } },
          { match: { toolName: 'k8s_scale' }, reply: 'Done.' },
        ],
      });
      const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: 'scale web to 0, then to 4' }] } });
      const awaiting = (callId: string) => asked.find((frame) => frame.event === 'tool.awaiting_approval' && frame.data['call_id'] === callId);
      expect(awaiting('call_by_hand_zero'), JSON.stringify(asked.map((frame) => frame.event))).toBeDefined();
      const conversationId = String(asked[0]!.data['conversation_id']);
      const approve = (callId: string) => engine.request({ method: 'POST', url: `/api/v1/agent/approvals/${callId}`, token, payload: { approve: true, conversation_id: conversationId, args_hash: awaiting(callId)!.data['args_hash'] } });
      // A plain click on the scale to zero is refused by the engine...
      const click = await approve('call_by_hand_zero');
      expect(click.statusCode, click.body).toBe(403);
      expect(click.body).toContain('PASSKEY_REQUIRED');
      // ...so someone with write access to the database approves it there, without any passkey,
      const admin = await lite.query<{ id: string }>("SELECT id FROM users WHERE email = 'admin@example.com'");
      await lite.query("UPDATE approvals SET status = 'approved', decided_by = $1, decided_at = now() WHERE call_id = 'call_by_hand_zero'", [admin.rows[0]!.id]);
      // and the plain scale's approval resumes the turn, which reaches the hand-approved call first.
      const before = enforced.kube.calls.length;
      const resumed = await frames({ method: 'POST', url: '/api/v1/agent/approvals/call_by_hand_four', token, payload: { approve: true, conversation_id: conversationId, args_hash: awaiting('call_by_hand_four')!.data['args_hash'] } });
      const error = resumed.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_by_hand_zero');
      expect(error?.data['code'], JSON.stringify(resumed.map((frame) => [frame.event, frame.data['call_id'] ?? '', frame.data['code'] ?? '']))).toBe('NOT_EXECUTED');
      expect(String(error?.data['error'])).toMatch(/enforces approvals.*carries no approver passkey signature.*Nothing was changed/s);
      expect(resumed.some((frame) => frame.event === 'tool.executing' && frame.data['call_id'] === 'call_by_hand_zero')).toBe(false);
      // the plain scale, approved by a click as the policy allows, ran after it with its own approval
      expect(await replicas()).toBe('4');
      // the cluster's record says why: the engine's signed approval carries the policy, and no account was made for it
      const name = String(resumed.find((frame) => frame.event === 'tool.approved' && frame.data['call_id'] === 'call_by_hand_zero')?.data['approval_object'] ?? '');
      expect(name).not.toBe('');
      expect(enforced.kube.calls.slice(before).filter((call) => call.user === `system:serviceaccount:${installNamespace}:skyflo-approval-${name}`)).toEqual([]);
      expect(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'jsonpath={.status.approverSignatureRequired}')).toBe('true');
      await expect(kubectl('get', 'serviceaccount', `skyflo-approval-${name}`, '-n', installNamespace)).rejects.toThrow(/NotFound|not found/);
    } finally {
      await engine.request({ method: 'PUT', url: '/api/v1/clusters/passkey-policies', token, payload: { policies: [] } });
      await kubectl('scale', 'deployment', 'web', '-n', 'default', '--replicas=3');
    }
  });

  it('a terminal approval signed with a confirmed device key mints its credential: the key is mirrored to the executor', async () => {
    const api = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => engine.request({ method, url: `/api/v1${url}`, token, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
    // The admin's passkey (right after signing in), then a device key as `skyflo chat` makes it, confirmed with that passkey.
    const authenticator = createSoftwareAuthenticator();
    const creation = await api('POST', '/auth/passkeys/registration-options');
    expect(creation.statusCode, creation.body).toBe(200);
    const registered = await api('POST', '/auth/passkeys', { name: 'laptop', registration_token: creation.json().registration_token, response: authenticator.register(creation.json().options, commandCenter) });
    expect(registered.statusCode, registered.body).toBe(201);
    const device = generateKeyPairSync('ed25519');
    const posted = await api('POST', '/auth/device-keys', { name: 'terminal', public_key: device.publicKey.export({ format: 'der', type: 'spki' }).toString('base64url') });
    expect(posted.statusCode, posted.body).toBe(201);
    const keyId = String(posted.json().id);
    const confirmOptions = await api('POST', `/auth/device-keys/${keyId}/confirm-options`);
    expect(confirmOptions.statusCode, confirmOptions.body).toBe(200);
    const confirmed = await api('POST', `/auth/device-keys/${keyId}/confirm`, { assertion: authenticator.assert(confirmOptions.json().options, commandCenter) });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    // Both keys are on the cluster as SkyfloApproverKeys of the admin, and the mirroring is audited.
    const adminId = (await lite.query<{ id: string }>("SELECT id FROM users WHERE email = 'admin@example.com'")).rows[0]!.id;
    const keys = JSON.parse(await kubectl('get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json')).items.map((item: { spec: { credentialId: string; userId: string; kind?: string } }) => [item.spec.kind, item.spec.credentialId, item.spec.userId]);
    expect(keys.sort()).toEqual([['device_key', keyId, adminId], ['passkey', authenticator.credentialId, adminId]].sort());
    const mirrored = (await lite.query<{ details: { executors: unknown[] } }>("SELECT details FROM audit_events WHERE action = 'device_key.mirrored_to_executors' AND subject_id = $1", [keyId])).rows;
    // An executor's answer may come on a retry on a busy machine (`attempts`); what matters is that each took the key, with no error.
    const retriesSetAside = (outcomes: Array<{ attempts?: number }>) => outcomes.map(({ attempts: _retries, ...outcome }) => outcome);
    expect(mirrored.map((row) => retriesSetAside(row.details.executors as Array<{ attempts?: number }>))).toEqual([[{ executor: enforced.executor!.url }]]);

    const put = await api('PUT', '/clusters/passkey-policies', { policies: [{ cluster: '*', mode: 'every_approval' }] });
    expect(put.statusCode, put.body).toBe(200);
    try {
      llm.reset(scaleScript('call_device_signed', 5));
      const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: 'scale web to 5' }] } });
      const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval')!;
      const conversationId = String(asked[0]!.data['conversation_id']);
      // what the terminal signs: sha256 of this call's facts with an expiry it chose
      const expiresAt = new Date(Date.now() + 60_000).toISOString();
      const cluster = awaiting.data['cluster'] as { name: string; server: string } | undefined;
      const facts = approvalChallengeFacts({ callId: 'call_device_signed', conversationId, tool: 'k8s_scale', argsHash: String(awaiting.data['args_hash']), diffHash: awaiting.data['diff_hash'] as string | undefined, cluster }, expiresAt);
      const signature = sign(null, createHash('sha256').update(approvalChallengeInput(facts)).digest(), device.privateKey).toString('base64url');
      const decided = await frames({ method: 'POST', url: '/api/v1/agent/approvals/call_device_signed', token, payload: { approve: true, conversation_id: conversationId, args_hash: awaiting.data['args_hash'], device_signature: { key_id: keyId, expires_at: expiresAt, signature } } });
      const name = String(decided.find((frame) => frame.event === 'tool.approved')?.data['approval_object'] ?? '');
      expect(decided.find((frame) => frame.event === 'tool.result')?.data, JSON.stringify(decided.filter((frame) => frame.event === 'tool.error').map((frame) => frame.data))).toMatchObject({ call_id: 'call_device_signed' });
      expect(await replicas()).toBe('5');
      // the executor checked the device key's signature itself: the approval it minted for says so
      const stored = JSON.parse(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'json'));
      expect(stored.status).toMatchObject({ approverSignatureRequired: true, approverProof: { challengeExpiresAt: expiresAt, deviceSignature: { keyId, signature } } });
      // removing the device key removes it from the cluster too: its signatures mint nothing from then on
      const removed = await engine.request({ method: 'DELETE', url: `/api/v1/auth/device-keys/${keyId}`, token });
      expect(removed.statusCode, removed.body).toBe(204);
      // what each executor answered is audited: shown if the key is still there (once seen left on a very busy machine)
      const removal = (await lite.query<{ details: unknown }>("SELECT details FROM audit_events WHERE action = 'device_key.removed_from_executors' AND subject_id = $1", [keyId])).rows;
      const left = JSON.parse(await kubectl('get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json')).items.map((item: { spec: { credentialId: string } }) => item.spec.credentialId);
      expect(left, JSON.stringify(removal)).toEqual([authenticator.credentialId]);
      expect(removal.map((row) => retriesSetAside((row.details as { executors: Array<{ attempts?: number }> }).executors))).toEqual([[{ executor: enforced.executor!.url }]]);
    } finally {
      await api('PUT', '/clusters/passkey-policies', { policies: [] });
      await kubectl('scale', 'deployment', 'web', '-n', 'default', '--replicas=3');
    }
  });

  it("a key a failed removal left on the executor is taken off by the stray key sweep (audited); a key is never put there from a database row", async () => {
    const onExecutor = (method: 'POST' | 'DELETE', pathname: string, body?: unknown) =>
      fetch(`${enforced.executor!.url}${pathname}`, { method, headers: { Authorization: `Bearer ${callerToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const heldKeys = async () => (JSON.parse(await kubectl('get', 'skyfloapproverkeys', '-n', installNamespace, '-o', 'json')).items as Array<{ spec: { credentialId: string } }>).map((item) => item.spec.credentialId).sort();
    const swept = async () => (await lite.query<{ subject_id: string; details: { removed: string[]; error?: string } }>("SELECT subject_id, details FROM audit_events WHERE action = 'approver_keys.strays_removed' ORDER BY sequence")).rows;
    // The passes that took keys off. (A pass the executor failed on a very busy machine is audited with its error too.)
    const removals = async () => (await swept()).filter((row) => row.details.removed.length > 0);
    const adminId = (await lite.query<{ id: string }>("SELECT id FROM users WHERE email = 'admin@example.com'")).rows[0]!.id;
    const registered = (await lite.query<{ credential_id: string }>('SELECT credential_id FROM passkeys')).rows.map((row) => row.credential_id);
    expect(registered).toHaveLength(1);
    expect(await heldKeys()).toEqual(registered);
    const ed25519PublicKey = () => generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).toString('base64url');
    // A removal the executor never got (it was down through every retry): the removed key still verifies there.
    expect((await onExecutor('POST', '/v1/approver-keys', { credentialId: 'removed-while-executor-down', userId: adminId, publicKey: ed25519PublicKey(), kind: 'device_key' })).status).toBe(201);
    // The attack the executor's own signature check exists for: a key written straight into the database for the admin.
    await lite.query("INSERT INTO passkeys (user_id, name, credential_id, public_key) VALUES ($1, 'planted', 'planted-by-a-database-write', $2)", [adminId, ed25519PublicKey()]);
    expect(await swept()).toEqual([]);

    // A replica starting (here with a one-second beat) takes the stray off on its first pass.
    const replica = await startTestEngine({ lite, env: { ...engineEnv, SKYFLO_APPROVER_KEY_SWEEP_SECONDS: '1' } });
    try {
      await vi.waitFor(async () => expect(await heldKeys()).toEqual(registered), { timeout: 30_000, interval: 100 });
      await vi.waitFor(async () => expect(await removals()).toEqual([{ subject_id: enforced.executor!.url, details: { removed: ['removed-while-executor-down'] } }]), { timeout: 30_000, interval: 100 });
      // and on every beat after: a stray that appears later is gone by the next pass
      expect((await onExecutor('POST', '/v1/approver-keys', { credentialId: 'left-by-a-later-failure', userId: adminId, publicKey: ed25519PublicKey(), kind: 'device_key' })).status).toBe(201);
      await vi.waitFor(async () => expect(await heldKeys()).toEqual(registered), { timeout: 30_000, interval: 100 });
      await vi.waitFor(async () => expect((await removals()).map((row) => row.details)).toEqual([{ removed: ['removed-while-executor-down'] }, { removed: ['left-by-a-later-failure'] }]), { timeout: 30_000, interval: 100 });
      // the planted row never reached the cluster: passes with nothing to take off change nothing and write nothing
      expect(await heldKeys()).not.toContain('planted-by-a-database-write');
    } finally {
      await replica.close();
      await lite.query("DELETE FROM passkeys WHERE credential_id = 'planted-by-a-database-write'");
    }
    // the many passes with nothing to take off wrote nothing
    expect((await swept()).filter((row) => row.details.removed.length === 0 && !row.details.error)).toEqual([]);
    expect(await removals()).toHaveLength(2);
  });

  it('a policy\'s two approvers are counted by the executor from their own passkeys (issue 76); a proof taken out of the database leaves one', async () => {
    // The same rule twice: the engine's policy (it asks) and the cluster's SkyfloPolicy (the executor counts).
    await kubectl('apply', '-f', path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', 'skyflopolicies.skyflo.ai.yaml'));
    await apply([{ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', metadata: { name: 'two-for-scales', namespace: installNamespace }, spec: { expression: 'tool == "k8s_scale" && args.replicas == 6', effect: 'require_approvers', approvers: 2 } }]);
    const created = await engine.request({ method: 'POST', url: '/api/v1/policies', token, payload: { name: 'two for scales', expression: 'tool == "k8s_scale" && args.replicas == 6', effect: { require_approvers: 2 }, message: 'Two people look at this.' } });
    expect(created.statusCode, created.body).toBe(201);
    const people = await addTeamMembers(engine, token, [['zoe', 'approver'], ['bob', 'approver']]);
    const authenticators: Record<string, ReturnType<typeof createSoftwareAuthenticator>> = {};
    for (const [name, personToken] of Object.entries(people)) {
      const authenticator = (authenticators[name] = createSoftwareAuthenticator());
      const creation = await engine.request({ method: 'POST', url: '/api/v1/auth/passkeys/registration-options', token: personToken });
      expect(creation.statusCode, creation.body).toBe(200);
      const registered = await engine.request({ method: 'POST', url: '/api/v1/auth/passkeys', token: personToken, payload: { name: `${name} laptop`, registration_token: creation.json().registration_token, response: authenticator.register(creation.json().options, commandCenter) } });
      expect(registered.statusCode, registered.body).toBe(201);
    }
    /** `who` approves `callId` with their passkey over the engine's options for it (the Command Center's approval page) */
    const approveWithPasskey = async (who: 'zoe' | 'bob', callId: string, conversationId: string, argsHash: unknown) => {
      const options = await engine.request({ method: 'POST', url: `/api/v1/approvals/${callId}/passkey-options`, token: people[who], payload: { conversation_id: conversationId } });
      expect(options.statusCode, options.body).toBe(200);
      const { options: requestOptions, expires_at } = options.json() as { options: { challenge: string; rpId: string }; expires_at: string };
      return engine.request({ method: 'POST', url: `/api/v1/agent/approvals/${callId}`, token: people[who], payload: { approve: true, conversation_id: conversationId, args_hash: argsHash, webauthn: { expires_at, assertion: authenticators[who]!.assert(requestOptions, commandCenter) } } });
    };
    const ask = async (callId: string) => {
      llm.reset(scaleScript(callId, 6));
      const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: 'scale web to 6' }] } });
      const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval');
      expect(awaiting, JSON.stringify(asked.map((frame) => frame.event))).toBeDefined();
      return { conversationId: String(asked[0]!.data['conversation_id']), argsHash: awaiting!.data['args_hash'] };
    };
    try {
      const first = await ask('call_two_people');
      // the cluster counts people by their passkeys, so the engine asks each of them for one (a click is refused)
      const click = await engine.request({ method: 'POST', url: '/api/v1/agent/approvals/call_two_people', token: people['zoe'], payload: { approve: true, conversation_id: first.conversationId, args_hash: first.argsHash } });
      expect(click.statusCode, click.body).toBe(403);
      expect(click.json()).toMatchObject({ code: 'PASSKEY_REQUIRED', detail: expect.stringContaining("policy \"two for scales\" (v1) asks for 2 approvers, and the cluster's executor counts each of them by their own passkey") });
      const zoes = await approveWithPasskey('zoe', 'call_two_people', first.conversationId, first.argsHash);
      expect(zoes.statusCode, zoes.body).toBe(202);
      const ran = readSse(new Response((await approveWithPasskey('bob', 'call_two_people', first.conversationId, first.argsHash)).body));
      const frames1 = await ran;
      expect(frames1.find((frame) => frame.event === 'tool.result')?.data, JSON.stringify(frames1.filter((frame) => frame.event === 'tool.error').map((frame) => frame.data))).toMatchObject({ call_id: 'call_two_people' });
      expect(await replicas()).toBe('6');
      // the SkyfloApproval the executor minted for carries Zoe's own assertion beside Bob's
      const name = String(frames1.find((frame) => frame.event === 'tool.approved')?.data['approval_object'] ?? '');
      const stored = JSON.parse(await kubectl('get', 'skyfloapproval', name, '-n', installNamespace, '-o', 'json'));
      expect(stored.status).toMatchObject({ decidedBy: { email: 'bob@example.com' }, approverProof: { assertion: { credentialId: authenticators['bob']!.credentialId } }, coApprovals: [{ decidedBy: { email: 'zoe@example.com' }, approverProof: { assertion: { credentialId: authenticators['zoe']!.credentialId } } }] });
      await kubectl('scale', 'deployment', 'web', '-n', 'default', '--replicas=3');

      // Zoe approves the next one with her passkey too — then someone with write access to the database strips her
      // proof from the row: the engine still counts two people, the executor counts one and mints nothing
      const second = await ask('call_stripped');
      expect((await approveWithPasskey('zoe', 'call_stripped', second.conversationId, second.argsHash)).statusCode).toBe(202);
      await lite.query("UPDATE approvals SET co_approvals = (SELECT jsonb_agg(entry - 'passkey_assertion') FROM jsonb_array_elements(co_approvals) AS entry) WHERE call_id = 'call_stripped'");
      const refused = await readSse(new Response((await approveWithPasskey('bob', 'call_stripped', second.conversationId, second.argsHash)).body));
      const error = refused.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_stripped');
      expect(error?.data['code'], JSON.stringify(refused.map((frame) => [frame.event, frame.data['code'] ?? '']))).toBe('NOT_EXECUTED');
      expect(String(error?.data['error'])).toContain('SkyfloPolicy "two-for-scales" asks for 2 approvers other than the requester, each confirmed by their own passkey');
      expect(String(error?.data['error'])).toContain('not counted: zoe@example.com approved without a passkey');
      expect(await replicas()).toBe('3');
    } finally {
      await kubectl('delete', 'skyflopolicy', 'two-for-scales', '-n', installNamespace);
      await engine.request({ method: 'DELETE', url: `/api/v1/policies/${created.json().id}`, token });
      await kubectl('scale', 'deployment', 'web', '-n', 'default', '--replicas=3');
    }
  });

  it('a call whose preview failed cannot be approved here, not even "without a preview": the card says why, the queue and the decision agree (PREVIEW_REQUIRED), Deny still works', async () => {
    // Issue 73 item 6: the MCP server's read-only identity has no dry-run power here (no dry-run proxy), so the
    // preview of a patch fails with the API server's 403. The executor could never run it: nothing to bind it to.
    const patch = JSON.stringify({ metadata: { labels: { tier: 'frontend' } } });
    llm.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'no_preview_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_no_preview', name: 'k8s_patch', arguments: { name: 'web', resource_type: 'deployment', namespace: 'default', patch, patch_type: 'merge' } }] } },
        { match: { toolName: 'k8s_patch' }, reply: 'Denied, then.' },
      ],
    });
    const asked = await frames({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: 'label web tier=frontend' }] } });
    const awaiting = asked.find((frame) => frame.event === 'tool.awaiting_approval');
    expect(awaiting, JSON.stringify(asked.map((frame) => [frame.event, frame.data['error'] ?? '']))).toBeDefined();
    const conversationId = String(asked[0]!.data['conversation_id']);
    // the card: no diff, the preview's error, and one high risk that says it cannot be approved here and what to do
    expect(awaiting!.data['diff']).toBeUndefined();
    expect(String(awaiting!.data['preview_error'])).toMatch(/forbidden/i);
    const risks = awaiting!.data['risks'] as Array<{ code: string; severity: string; message: string }>;
    expect(risks.map((risk) => risk.code)).toContain('PREVIEW_REQUIRED');
    expect(risks.map((risk) => risk.code)).not.toContain('PREVIEW_FAILED');
    const flag = risks.find((risk) => risk.code === 'PREVIEW_REQUIRED')!;
    expect(flag.severity).toBe('high');
    expect(flag.message).toMatch(/^The dry-run preview failed \(.*forbidden.*\)\. Cluster kube-sim enforces approvals: .*cannot be approved there, not even without a preview\. Fix the cause shown .* or deny it\.$/is);
    const reason = `Tool call call_no_preview cannot be approved. ${flag.message}`;
    // the queue does not offer it for approval, says why in the same words, and still offers Deny
    const pending = await engine.request({ method: 'GET', url: '/api/v1/approvals/pending', token });
    const listed = (pending.json().data as Array<Record<string, unknown>>).find((item) => item['call_id'] === 'call_no_preview');
    expect(listed).toMatchObject({ can_decide: false, cannot_decide_reason: reason, can_deny: true });
    // an approval is refused, with or without "approve without a preview", and nothing is mirrored or written
    const before = enforced.kube.calls.length;
    for (const acknowledged of [true, false]) {
      const approved = await engine.request({ method: 'POST', url: '/api/v1/agent/approvals/call_no_preview', token, payload: { approve: true, conversation_id: conversationId, args_hash: awaiting!.data['args_hash'], ...(acknowledged ? { approve_without_preview: true } : {}) } });
      expect(approved.statusCode, approved.body).toBe(409);
      expect(approved.json()).toMatchObject({ code: 'PREVIEW_REQUIRED', detail: reason });
    }
    expect((await engine.engine.storage.approvals.get(conversationId, 'call_no_preview'))?.status).toBe('awaiting');
    expect(enforced.kube.calls.slice(before).filter((call) => !['get', 'list', 'watch'].includes(call.verb ?? ''))).toEqual([]);
    // the log says both, as warnings naming the call: the failed preview and each refused approval
    const about = (message: string) => logLines.filter((line) => line['msg'] === message && line['callId'] === 'call_no_preview');
    expect(about('dry-run preview failed: PREVIEW_REQUIRED').map((line) => line['level'])).toEqual([40]);
    expect(about('decision refused: PREVIEW_REQUIRED').map((line) => line['level'])).toEqual([40, 40]);
    // Deny clears it (mirrored as a denial, as every decision is) and the label was never written
    const denied = await frames({ method: 'POST', url: '/api/v1/agent/approvals/call_no_preview', token, payload: { approve: false, conversation_id: conversationId } });
    expect(denied.find((frame) => frame.event === 'tool.denied')?.data).toMatchObject({ call_id: 'call_no_preview' });
    expect(await kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.metadata.labels.tier}')).toBe('');
  });

  it('with the executor down, an approved call is not executed and nothing is written', async () => {
    await enforced.executor!.close();
    enforced.executor = undefined;
    const before = enforced.kube.calls.length;
    const decided = await scale('call_enforced_down', 6, true);
    const error = decided.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_enforced_down');
    expect(error?.data['code']).toBe('NOT_EXECUTED');
    expect(logLines.filter((line) => line['msg'] === 'tool call not executed: NOT_EXECUTED' && line['callId'] === 'call_enforced_down').map((line) => line['level'])).toEqual([40]);
    expect(String(error?.data['error'])).toMatch(/enforces approvals.*could not be reached.*Nothing was changed/s);
    expect(decided.some((frame) => frame.event === 'tool.executing')).toBe(false);
    expect(enforced.kube.calls.slice(before).filter((call) => ['create', 'update', 'patch', 'delete'].includes(call.verb ?? '') && call.path.includes('/deployments/') && call.status < 300 && call.query['dryRun'] !== 'All')).toEqual([]);
    expect(await replicas()).toBe('3');
  });
});

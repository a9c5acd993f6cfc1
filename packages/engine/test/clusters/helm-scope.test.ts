/**
 * Issue 31 item 1 end to end: scope holds for what a Helm call really writes. The real MCP server over HTTP (local
 * charts allowed from test/fixtures/helm-scope-charts), the real helm against kube-sim, llm-sim as the model, the agent
 * routes on PostgreSQL (127.0.0.1:5432), a cluster directory and per-user scopes.
 * - A member scoped to `staging` installs, into staging, a chart that also writes a ConfigMap into `prod`, or a
 *   ClusterRoleBinding to cluster-admin: refused before approval (OUT_OF_SCOPE naming the objects), nothing created.
 * - Rollback and uninstall are judged on the objects they re-apply or delete.
 * - An unscoped requester's chart that reaches prod: the card names both namespaces and flags it; an approver scoped
 *   to staging cannot approve it; a requester narrowed to staging after the proposal is refused at execution.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { MemberScope } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterDirectory } from '../../src/domain/clusters/cluster-directory.ts';
import { createClusterPolicies, type ClusterPolicies } from '../../src/domain/clusters/cluster-policies.ts';
import type { EngineStorage } from '../../src/app/graph/checkpoints.ts';
import { createPostgresStorage } from '../../src/adapters/storage/postgres/postgres-storage.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startSimAgent, type SimAgent } from '../support/sim-agent.ts';
import { createTestPostgresDatabase, type TestPostgresDatabase } from '../support/test-databases.ts';

const chartsDir = path.join(import.meta.dirname, '../fixtures/helm-scope-charts');
const crossNamespace = path.join(chartsDir, 'cross-namespace');
const adminBinding = path.join(chartsDir, 'admin-binding');
const withCrd = path.join(chartsDir, 'with-crd');

let cluster: LiveCluster;
let agent: SimAgent;
let database: TestPostgresDatabase;
let storage: EngineStorage;
let policies: ClusterPolicies;
const scopes = new Map<string, MemberScope>();
/** users (rows in the users table): a member scoped to staging, an unscoped member, approvers scoped and not */
const users = { scoped: '', unscoped: '', stagingApprover: '', approver: '' };

const kubectl = (...args: string[]) => cluster.tryKubectl(...args);
const helm = (...args: string[]) => cluster.helm(...args);

async function post(pathname: string, body: unknown, user: string): Promise<{ status: number; frames: SseFrame[]; json?: Record<string, unknown> }> {
  const response = await fetch(`${agent.harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': user }, body: JSON.stringify(body) });
  if (response.status !== 200) return { status: response.status, frames: [], json: (await response.json()) as Record<string, unknown> };
  return { status: 200, frames: await readSse(response) };
}

/** The model loads the helm write tools and proposes one call. */
function script(callId: string, tool: string, args: Record<string, unknown>) {
  agent.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `${callId}_load`, name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: tool, arguments: args }] } },
      { match: { toolName: tool }, reply: 'Done.' },
    ],
  });
}

async function createUser(): Promise<string> {
  const created = await storage.users.create({ email: `u${randomBytes(4).toString('hex')}@example.test`, hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(created.reason);
  return created.user.id;
}

const configMapExists = async (namespace: string, name: string) => (await kubectl('get', 'configmap', name, '--namespace', namespace)).code === 0;

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'e2e-helm-scope',
    helmChartDirs: [chartsDir],
    prepare: async ({ tryKubectl }) => {
      for (const namespace of ['staging', 'prod']) expect((await tryKubectl('create', 'namespace', namespace)).code).toBe(0);
    },
  });
  const tools = cluster.engineTools();
  database = await createTestPostgresDatabase();
  storage = await createPostgresStorage({ url: database.url });
  for (const key of Object.keys(users) as Array<keyof typeof users>) users[key] = await createUser();
  scopes.set(users.scoped, { clusters: ['kube-sim'], namespaces: ['staging'] });
  scopes.set(users.stagingApprover, { namespaces: ['staging'] });
  policies = createClusterPolicies({ settings: storage.settings, defaults: { policy: 'approver' } });
  agent = await startSimAgent(tools, {
    storage,
    approvalPolicy: { policy: 'approver', fourEyes: false },
    clusters: { directory: createClusterDirectory({ tools, ttlMs: 0, maxStaleMs: 0 }), policies },
    scopeOf: async (id) => scopes.get(id),
  });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await storage?.close();
  await database?.drop();
  await cluster?.close();
});

describe('a member scoped to namespace staging', () => {
  it('installing a chart that also writes a ConfigMap into prod is refused before approval, naming it; nothing in prod', async () => {
    script('call_leak', 'helm_install', { release_name: 'leaky', chart: crossNamespace, namespace: 'staging', wait: false });
    const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'install the chart into staging' }] }, users.scoped);
    const conversationId = String(frames[0]!.data['conversation_id']);
    expect(find(frames, 'tool.awaiting_approval')).toEqual([]);
    const errors = find(frames, 'tool.error');
    expect(errors.map((error) => [error['call_id'], error['code']])).toEqual([['call_leak', 'OUT_OF_SCOPE']]);
    expect(String(errors[0]!['error'])).toBe(
      'Refused: helm_install writes objects outside your scope in cluster kube-sim (you may use the namespaces staging): ConfigMap prod/leaky-leak (namespace prod). Nothing was run.',
    );
    // no approval was asked (no row), nothing was installed, nothing is in prod
    expect(await storage.approvals.get(conversationId, 'call_leak')).toBeUndefined();
    expect(await helm('list', '--all-namespaces', '--all', '--short')).toBe('');
    expect(await configMapExists('prod', 'leaky-leak')).toBe(false);
    expect(await configMapExists('staging', 'leaky-settings')).toBe(false);
  }, 60_000);

  it('installing a chart with a ClusterRoleBinding to cluster-admin is refused before approval, naming it', async () => {
    script('call_admin', 'helm_install', { release_name: 'grant', chart: adminBinding, namespace: 'staging', wait: false });
    const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'install the admin-binding chart into staging' }] }, users.scoped);
    expect(find(frames, 'tool.awaiting_approval')).toEqual([]);
    const errors = find(frames, 'tool.error');
    expect(errors.map((error) => [error['call_id'], error['code']])).toEqual([['call_admin', 'OUT_OF_SCOPE']]);
    expect(String(errors[0]!['error'])).toMatch(/^Refused: helm_install writes objects outside your scope .*: ClusterRoleBinding grant-everyone-admin \(cluster-scoped\)\. Nothing was run\.$/);
    expect((await kubectl('get', 'clusterrolebinding', 'grant-everyone-admin')).code).not.toBe(0);
  }, 60_000);

  it("installing a chart whose crds/ folder defines a CRD (created by helm outside the manifest) is refused, naming it", async () => {
    script('call_crd', 'helm_install', { release_name: 'gadgets', chart: withCrd, namespace: 'staging', wait: false });
    const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'install with-crd into staging' }] }, users.scoped);
    expect(find(frames, 'tool.awaiting_approval')).toEqual([]);
    expect(find(frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([['call_crd', 'OUT_OF_SCOPE']]);
    expect(String(find(frames, 'tool.error')[0]!['error'])).toMatch(/: CustomResourceDefinition gadgets\.example\.com \(cluster-scoped\)\. Nothing was run\.$/);
    expect((await kubectl('get', 'crd', 'gadgets.example.com')).code).not.toBe(0);
  }, 60_000);

  describe('a release someone else installed with objects in prod', () => {
    beforeAll(async () => {
      await helm('install', 'legacy', crossNamespace, '--namespace', 'staging');
      await helm('upgrade', 'legacy', crossNamespace, '--namespace', 'staging', '--set', 'elsewhere=false');
      expect(await configMapExists('prod', 'legacy-leak')).toBe(false); // revision 2 dropped it
    }, 60_000);

    it('rolling it back to the revision that wrote into prod is refused, naming the object', async () => {
      script('call_back', 'helm_rollback', { release_name: 'legacy', namespace: 'staging', revision: 1, wait: false });
      const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'roll legacy back' }] }, users.scoped);
      expect(find(frames, 'tool.awaiting_approval')).toEqual([]);
      expect(find(frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([['call_back', 'OUT_OF_SCOPE']]);
      expect(String(find(frames, 'tool.error')[0]!['error'])).toMatch(/: ConfigMap prod\/legacy-leak \(namespace prod\)\. Nothing was run\.$/);
      expect(await configMapExists('prod', 'legacy-leak')).toBe(false);
      expect((JSON.parse(await helm('history', 'legacy', '--namespace', 'staging', '--output', 'json')) as unknown[]).length).toBe(2);
    }, 60_000);

    it('uninstalling it once it holds the prod object is refused, naming what it would delete', async () => {
      await helm('upgrade', 'legacy', crossNamespace, '--namespace', 'staging', '--set', 'elsewhere=true');
      expect(await configMapExists('prod', 'legacy-leak')).toBe(true);
      script('call_remove', 'helm_uninstall', { release_name: 'legacy', namespace: 'staging' });
      const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'remove legacy' }] }, users.scoped);
      expect(find(frames, 'tool.awaiting_approval')).toEqual([]);
      expect(find(frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([['call_remove', 'OUT_OF_SCOPE']]);
      expect(String(find(frames, 'tool.error')[0]!['error'])).toMatch(/: ConfigMap prod\/legacy-leak \(deleted\) \(namespace prod\)\. Nothing was run\.$/);
      expect(await configMapExists('prod', 'legacy-leak')).toBe(true);
      expect(await helm('list', '--namespace', 'staging', '--short')).toMatch(/legacy/);
    }, 60_000);
  });
});

describe("an unscoped requester's chart that reaches prod", () => {
  it('the card names both namespaces with a risk flag; an approver scoped to staging cannot approve it; an unscoped one can', async () => {
    script('call_wide', 'helm_install', { release_name: 'wide', chart: crossNamespace, namespace: 'staging', wait: false });
    const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'install the chart into staging' }] }, users.unscoped);
    const conversationId = String(frames[0]!.data['conversation_id']);
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_wide', namespace: 'staging', namespaces: ['staging', 'prod'] });
    expect(awaiting['cluster_scoped']).toBeUndefined();
    expect(awaiting['risks']).toContainEqual({ code: 'MULTIPLE_NAMESPACES', severity: 'medium', message: 'Writes to 2 namespaces (staging, prod), not only the release namespace staging: ConfigMap prod/wide-leak.' });
    // stored with the approval: the queue and a reload show the same
    expect(await storage.approvals.get(conversationId, 'call_wide')).toMatchObject({ namespace: 'staging', namespaces: ['staging', 'prod'] });

    const refused = await post('/agent/approvals/call_wide', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }, `${users.stagingApprover}:approver`);
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ code: 'OUT_OF_SCOPE', detail: 'Tool call call_wide changes cluster kube-sim, namespace prod, which is outside your scope; someone whose scope includes it must approve it.' });
    expect(await configMapExists('prod', 'wide-leak')).toBe(false);

    const approved = await post('/agent/approvals/call_wide', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], diff_hash: awaiting['diff_hash'] }, `${users.approver}:approver`);
    expect(find(approved.frames, 'tool.result').map((result) => result['call_id'])).toEqual(['call_wide']);
    expect(await configMapExists('prod', 'wide-leak')).toBe(true);
  }, 90_000);

  it('a chart with a ClusterRoleBinding says so on the card, and a staging approver cannot approve it', async () => {
    script('call_bind', 'helm_install', { release_name: 'bind', chart: adminBinding, namespace: 'staging', wait: false });
    const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'install admin-binding' }] }, users.unscoped);
    const conversationId = String(frames[0]!.data['conversation_id']);
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_bind', namespace: 'staging', cluster_scoped: true });
    expect((awaiting['risks'] as Array<{ code: string }>).map((risk) => risk.code)).toEqual(expect.arrayContaining(['CLUSTER_ADMIN_GRANT', 'CLUSTER_SCOPED_OBJECTS']));
    const refused = await post('/agent/approvals/call_bind', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] }, `${users.stagingApprover}:approver`);
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ code: 'OUT_OF_SCOPE', detail: 'Tool call call_bind changes cluster kube-sim, cluster-scoped objects, which is outside your scope; someone whose scope includes it must approve it.' });
    expect((await kubectl('get', 'clusterrolebinding', 'bind-everyone-admin')).code).not.toBe(0);
  }, 60_000);

  it('a requester narrowed to staging after the proposal is refused at execution, judged on the rendered objects', async () => {
    script('call_late', 'helm_install', { release_name: 'late', chart: crossNamespace, namespace: 'staging', wait: false });
    const { frames } = await post('/agent/chat', { messages: [{ role: 'user', content: 'install the chart into staging' }] }, users.unscoped);
    const conversationId = String(frames[0]!.data['conversation_id']);
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_late', namespaces: ['staging', 'prod'] });
    scopes.set(users.unscoped, { namespaces: ['staging'] });
    try {
      const decided = await post('/agent/approvals/call_late', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], diff_hash: awaiting['diff_hash'] }, `${users.approver}:approver`);
      expect(find(decided.frames, 'tool.executing')).toEqual([]);
      const errors = find(decided.frames, 'tool.error');
      expect(errors.map((error) => [error['call_id'], error['code']])).toEqual([['call_late', 'OUT_OF_SCOPE']]);
      expect(String(errors[0]!['error'])).toBe(
        "Not executed: helm_install writes outside the requester's scope. helm_install writes objects outside your scope in cluster kube-sim (you may use the namespaces staging): ConfigMap prod/late-leak (namespace prod).\nNothing was changed.",
      );
      expect(await storage.approvals.get(conversationId, 'call_late')).toMatchObject({ status: 'failed' });
      expect(await configMapExists('prod', 'late-leak')).toBe(false);
      expect(await helm('list', '--namespace', 'staging', '--short')).not.toMatch(/late/);
    } finally {
      scopes.delete(users.unscoped);
    }
  }, 90_000);

  it("takes the strictest approval policy of every namespace it writes: prod's four-eyes, or prod read-only refuses it", async () => {
    try {
      await policies.replace([{ cluster: 'kube-sim', namespace_pattern: 'prod', mode: 'four_eyes' }]);
      script('call_eyes', 'helm_install', { release_name: 'eyes', chart: crossNamespace, namespace: 'staging', wait: false });
      const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'install the chart into staging' }] }, users.unscoped);
      expect(find(first.frames, 'tool.awaiting_approval')[0]).toMatchObject({ call_id: 'call_eyes', namespaces: ['staging', 'prod'] });
      expect((await storage.approvals.get(String(first.frames[0]!.data['conversation_id']), 'call_eyes'))?.policy).toEqual({ mode: 'four_eyes', source: 'cluster policy kube-sim, namespace prod' });

      await policies.replace([{ cluster: 'kube-sim', namespace_pattern: 'prod', mode: 'read_only' }]);
      script('call_ro', 'helm_install', { release_name: 'readonly', chart: crossNamespace, namespace: 'staging', wait: false });
      const second = await post('/agent/chat', { messages: [{ role: 'user', content: 'install the chart into staging' }] }, users.unscoped);
      expect(find(second.frames, 'tool.awaiting_approval')).toEqual([]);
      expect(find(second.frames, 'tool.error').map((error) => [error['call_id'], error['code']])).toEqual([['call_ro', 'READ_ONLY_CLUSTER']]);
      expect(String(find(second.frames, 'tool.error')[0]!['error'])).toMatch(/^Refused: helm_install writes into namespaces staging, prod of cluster kube-sim, and changes are not allowed there/);
      expect(await configMapExists('prod', 'readonly-leak')).toBe(false);
    } finally {
      await policies.replace([]);
    }
  }, 60_000);
});

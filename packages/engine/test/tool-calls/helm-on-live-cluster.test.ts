/**
 * Issue 19 item 4 end to end: the real MCP server over HTTP (engine token), the real helm against kube-sim, llm-sim
 * and the agent routes. The fixture chart cluster-probe binds cluster-admin only when `lookup` finds its watched
 * namespace, which the old (client-side) preview never showed.
 * - The approval card shows the binding, CLUSTER_ADMIN_GRANT and LIVE_CLUSTER_TEMPLATE.
 * - When the cluster changes between approval and execution (the watched namespace appears), the gate's re-run
 *   preview renders another manifest, so the approved call is refused with TARGET_CHANGED and nothing is installed.
 */
import path from 'node:path';
import { repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveCluster, type LiveCluster } from '../support/live-cluster.ts';
import { find, startSimAgent, streamAs, type SimAgent } from '../support/sim-agent.ts';

const chartsDir = path.join(repoRoot, 'packages/mcp-server/test/fixtures/charts');
const probeChart = path.join(chartsDir, 'cluster-probe');
let cluster: LiveCluster;
let agent: SimAgent;
const kubectl = (...args: string[]) => cluster.tryKubectl(...args);
const helmReleases = () => cluster.helm('list', '--all-namespaces', '--all', '--short');
const post = streamAs(() => agent.harness.url);

/** The model loads the helm write tools and proposes helm_install_with_values of cluster-probe. */
function scriptInstall(callId: string, release: string, values: string) {
  agent.sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: `${callId}_load`, name: 'load_toolset', arguments: { toolset: 'helm', include_write_tools: true } }] } },
      {
        match: { toolName: 'load_toolset' },
        reply: { toolCalls: [{ id: callId, name: 'helm_install_with_values', arguments: { release_name: release, chart: probeChart, namespace: 'team', values, wait: false } }] },
      },
      { match: { toolName: 'helm_install_with_values' }, reply: 'Done.' },
    ],
  });
}

beforeAll(async () => {
  cluster = await startLiveCluster({
    name: 'e2e-helm-live',
    helmChartDirs: [chartsDir],
    prepare: async ({ tryKubectl }) => expect((await tryKubectl('create', 'namespace', 'team')).code).toBe(0),
  });
  agent = await startSimAgent(cluster.engineTools());
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await cluster?.close();
});

describe('helm install of a chart that reads the live cluster (issue 19 item 4)', () => {
  it('the approval card shows the ClusterRoleBinding lookup turns on, with CLUSTER_ADMIN_GRANT and LIVE_CLUSTER_TEMPLATE', async () => {
    scriptInstall('call_probe', 'probe', 'watchNamespace: kube-system\n');
    const frames = await post('/agent/chat', { messages: [{ role: 'user', content: 'install cluster-probe' }] });
    const awaiting = find(frames, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_probe', tool: 'helm_install_with_values' });
    expect(String(awaiting['diff'])).toMatch(/^\+\s*kind: ClusterRoleBinding$/m);
    const codes = (awaiting['risks'] as Array<{ code: string; severity: string }>).map((risk) => `${risk.code}:${risk.severity}`);
    expect(codes).toContain('CLUSTER_ADMIN_GRANT:high');
    expect(codes).toContain('LIVE_CLUSTER_TEMPLATE:medium');
    expect(await helmReleases()).toBe('');
  }, 60_000);

  it('the cluster changes between approval and execution: TARGET_CHANGED, and nothing is installed', async () => {
    scriptInstall('call_watch', 'watcher', 'watchNamespace: monitoring\n');
    const first = await post('/agent/chat', { messages: [{ role: 'user', content: 'install cluster-probe watching monitoring' }] });
    const conversationId = String(first[0]!.data['conversation_id']);
    const awaiting = find(first, 'tool.awaiting_approval')[0]!;
    expect(awaiting).toMatchObject({ call_id: 'call_watch' });
    // what the approver sees: a ConfigMap, no binding
    expect(String(awaiting['diff'])).toMatch(/^\+\s*kind: ConfigMap$/m);
    expect(String(awaiting['diff'])).not.toContain('ClusterRoleBinding');

    // meanwhile the namespace the template looks up appears
    expect((await kubectl('create', 'namespace', 'monitoring')).code).toBe(0);

    const second = await post('/agent/approvals/call_watch', { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'], diff_hash: awaiting['diff_hash'] });
    const errors = find(second, 'tool.error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ call_id: 'call_watch', code: 'TARGET_CHANGED' });
    expect(find(second, 'tool.executing')).toEqual([]);
    expect(await helmReleases()).toBe('');
    expect((await kubectl('get', 'clusterrolebinding', 'watcher-everything')).code).not.toBe(0);
    expect((await kubectl('get', 'configmap', 'watcher-probe', '--namespace', 'team')).code).not.toBe(0);
  }, 60_000);
});

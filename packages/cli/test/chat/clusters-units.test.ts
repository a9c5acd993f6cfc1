/**
 * Clusters in `skyflo chat` (issue 22), the pure parts: --context's option rules, an unknown name refused with the
 * known clusters listed, /context's list, the cluster on the terminal's approval card, and the first message of a
 * new conversation carrying `context` (later turns and resumed conversations do not).
 */
import type { ClusterStatus } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../src/chat/api-client.ts';
import { clusterHeadline, formatApprovalCard, type AwaitingApproval } from '../../src/chat/approval-card.ts';
import { parseChatOptions } from '../../src/chat/chat-options.ts';
import { checkContext, formatClusterList } from '../../src/chat/clusters.ts';
import { createPalette } from '../../src/chat/colors.ts';
import { runTurn } from '../../src/chat/run-turn.ts';

const plain = createPalette(false);
const clusters: ClusterStatus[] = [
  { name: 'alpha', server: 'https://127.0.0.1:1', current: true, reachable: true, version: 'v1.31.0', default_namespace: 'default' },
  { name: 'beta', server: 'https://127.0.0.1:2', label: 'prod', current: false, reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:2' },
];

describe('--context', () => {
  it('names the cluster of a new conversation, and cannot be combined with --resume or --list', () => {
    expect(parseChatOptions(['--context', 'beta', '-p', 'hi']).context).toBe('beta');
    expect(parseChatOptions(['-p', 'hi']).context).toBeUndefined();
    expect(() => parseChatOptions(['--context', 'beta', '--resume', 'x'])).toThrow(/a resumed conversation stays on the cluster it was started on/);
    expect(() => parseChatOptions(['--context', 'beta', '--list'])).toThrow(/--context/);
    expect(() => parseChatOptions(['--context', ' '])).toThrow(/--context needs a cluster name/);
  });

  it('an unknown cluster is refused, listing the clusters the engine knows', () => {
    expect(checkContext(clusters, 'beta').server).toBe('https://127.0.0.1:2');
    expect(() => checkContext(clusters, 'gamma')).toThrow('unknown cluster "gamma". Known clusters: alpha (default), beta [prod] (unreachable)');
  });

  it('/context lists every cluster, marks the session\'s, and says why one is unreachable', () => {
    const text = formatClusterList(clusters, 'beta', plain);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ {2}alpha\s+reachable v1\.31\.0 · ns default \(default\)$/);
    expect(lines[1]).toMatch(/^▸ beta\s+PROD\s+unreachable: connect ECONNREFUSED 127\.0\.0\.1:2$/);
    expect(lines[2]).toBe('Current: beta. /context <name> starts a new conversation on that cluster.');
    // no pinned cluster: the engine's default (the kubeconfig's current context) is the session's
    expect(formatClusterList(clusters, undefined, plain).split('\n')[0]).toMatch(/^▸ alpha/);
  });
});

describe('the approval card in the terminal', () => {
  const awaiting = (extra: Partial<AwaitingApproval>): AwaitingApproval =>
    ({ type: 'tool.awaiting_approval', run_id: 'r', conversation_id: 'c', call_id: 'call-1', tool: 'k8s_scale', title: 'Scale', args: { name: 'web', namespace: 'payments', replicas: 5 }, args_hash: 'a'.repeat(64), ...extra }) as AwaitingApproval;

  it('names the cluster and namespace on the line after the title, before anything else, with the label and API server', () => {
    const card = formatApprovalCard(awaiting({ cluster: { name: 'prod-eu', server: 'https://prod-eu:6443', label: 'prod' }, namespace: 'payments' }), { palette: plain, keys: false });
    const lines = card.split('\n');
    expect(lines[0]).toContain('Approval needed');
    expect(lines[1]).toBe('│ CLUSTER   prod-eu · namespace payments  PROD   https://prod-eu:6443');
  });

  it('a Helm chart reaching several namespaces names them all, and cluster-scoped objects (issue 31)', () => {
    const card = formatApprovalCard(awaiting({ cluster: { name: 'alpha', server: 'https://alpha:6443' }, namespace: 'staging', namespaces: ['staging', 'prod'], cluster_scoped: true }), { palette: plain, keys: false });
    expect(card.split('\n')[1]).toBe('│ CLUSTER   alpha · namespaces staging, prod + cluster-scoped objects  https://alpha:6443');
    expect(clusterHeadline({ args: {}, cluster: { name: 'alpha', server: 'https://alpha:6443' }, namespace: 'staging', cluster_scoped: true })).toBe('alpha · namespace staging + cluster-scoped objects');
  });

  it("on a narrow terminal the CLUSTER line wraps between the cluster and its namespace, never between 'namespace' and its name", () => {
    const card = formatApprovalCard(awaiting({ cluster: { name: 'prod-eu', server: 'https://prod-eu:6443' }, namespace: 'payments-critical' }), { palette: plain, keys: false, columns: 44 });
    const rows = card.split('\n');
    const at = rows.findIndex((row) => row.includes('namespace'));
    expect(rows[at]).toMatch(/namespace payments-critical$/);
    expect(rows.slice(1, at + 1).join(' ')).toMatch(/^│ CLUSTER\s+prod-eu ·\s+│\s+namespace payments-critical$/);
    // printed with a plain space: what the terminal shows can be copied and searched as typed
    expect(card).not.toContain('\u00a0');
    expect(formatApprovalCard(awaiting({ cluster: { name: 'prod-eu', server: 'https://prod-eu:6443' }, namespace: 'payments' }), { palette: plain, keys: false })).not.toContain('\u00a0');
  });

  it('falls back to the call\'s context argument, and says nothing when the call names no cluster', () => {
    expect(clusterHeadline({ args: { context: 'beta', namespace: 'shop' } })).toBe('beta · namespace shop');
    expect(formatApprovalCard(awaiting({}), { palette: plain, keys: false })).not.toContain('CLUSTER');
  });
});

describe('a turn sends context only when it starts a conversation', () => {
  function recordingClient(): { client: ApiClient; sent: Array<Record<string, unknown>> } {
    const sent: Array<Record<string, unknown>> = [];
    const client = {
      chat: async (input: Record<string, unknown>) => {
        sent.push(input);
        return (async function* () {
          yield { event: { type: 'ready', run_id: 'r1', conversation_id: 'c1' }, id: 1 };
          yield { event: { type: 'completed', run_id: 'r1', conversation_id: 'c1', status: 'completed' }, id: 2 };
        })();
      },
    } as unknown as ApiClient;
    return { client, sent };
  }

  it('a new conversation carries the pinned cluster; a turn of an existing one does not', async () => {
    const first = recordingClient();
    await runTurn({ client: first.client, message: 'scale web', context: 'beta', onEvent: () => undefined, decide: async () => ({ leave: true, why: 'test' }) }).done;
    expect(first.sent.map(({ message, context, conversationId }) => ({ message, context, conversationId }))).toEqual([{ message: 'scale web', context: 'beta', conversationId: undefined }]);

    const later = recordingClient();
    await runTurn({ client: later.client, message: 'and now?', conversationId: 'c1', context: 'beta', onEvent: () => undefined, decide: async () => ({ leave: true, why: 'test' }) }).done;
    expect(later.sent[0]).toMatchObject({ conversationId: 'c1' });
    expect(later.sent[0]).not.toHaveProperty('context');
  });
});

/**
 * Issue 75: the record tells the truth about an approved change, whatever happens around it. kube-sim is the cluster,
 * reached by the real MCP server through a TCP relay that can hold the API server's answers back or cut them off
 * after the API server applied the write; the engine's records (the approval row, the card a user reopening the
 * conversation sees, the audit trail) are checked against kube-sim's state and request log.
 *  - a Stop while the change executes ends the run, but the change that ran is recorded `executed`, never cancelled;
 *  - a change whose answer is lost after the API server applied it (ECONNRESET) is `unknown`, with what the cluster
 *    shows now, never `failed`;
 *  - an API server that cannot be reached when the approved call is checked again is named as the cause, not "the
 *    target changed after it was approved".
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startTcpRelay, type TcpRelay } from '@skyflo/testkit/tcp-relay';
import { kubectlPath } from '@skyflo/testkit/tools';
import type { ToolExecutionRecord } from '@skyflo/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { iterateSse, readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

const run = promisify(execFile);
let directory: string;
let adminKubeconfig: string;
let kube: KubeSim;
let relay: TcpRelay;
let mcp: McpHttpServer;
let agent: VerifyAgent;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', adminKubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}

const replicasOf = (name: string) => kubectl('get', 'deployment', name, '-o', 'jsonpath={.spec.replicas}');

/** kube-sim's answered real (not dry-run) writes of a deployment's scale */
const scaleWrites = (name: string) => kube.calls.filter((call) => call.method === 'PATCH' && call.path.endsWith(`/deployments/${name}/scale`) && call.query['dryRun'] === undefined && call.status > 0).length;

/** The request line of a real scale PATCH of `name` (what the relay holds the answer of). */
const scaleRequest = (name: string) => (line: string) => line.startsWith('PATCH ') && line.includes(`/deployments/${name}/scale?`) && !line.includes('dryRun');

function post(pathname: string, body: unknown): Promise<Response> {
  return fetch(`${agent.harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify(body) });
}

/** A new conversation where the model scales each of `names` to `replicas` in one turn; the chat pauses on the first. */
async function askToScale(names: string[], replicas: number): Promise<{ conversationId: string; cards: Record<string, unknown>[] }> {
  agent.sim.reset({
    rules: [
      { match: { lastRole: 'user' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: names.map((name) => ({ id: `call_${name}`, name: 'k8s_scale', arguments: { name, resource_type: 'deployment', replicas, namespace: 'default' } })) } },
      { match: { always: true }, reply: 'Done.' },
    ],
  });
  const { frames } = await agent.post('/agent/chat', { messages: [{ role: 'user', content: `scale ${names.join(' and ')} to ${replicas}` }] });
  return { conversationId: String(frames[0]!.data['conversation_id']), cards: find(frames, 'tool.awaiting_approval') };
}

/** The card of `callId` as the stored conversation shows it. */
async function cardOf(conversationId: string, callId: string): Promise<ToolExecutionRecord | undefined> {
  const conversation = await agent.storage.conversations.get(conversationId);
  for (const entry of conversation?.timeline ?? []) {
    if (entry.type !== 'assistant') continue;
    for (const segment of entry.segments) if (segment.kind === 'tool' && segment.id === callId) return segment.toolExecution;
  }
  return undefined;
}

const auditActionsOf = (callId: string) => agent.auditRows.filter((row) => row.subjectId === callId || row.details?.['call_id'] === callId).map((row) => row.action);

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-change-outcomes-'));
  adminKubeconfig = path.join(directory, 'admin-kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: adminKubeconfig });
  const manifest = path.join(directory, 'apps.yaml');
  await writeFile(
    manifest,
    ['web-a', 'web-b', 'web-c', 'web-d']
      .map((name) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n`)
      .join('---\n'),
  );
  await kubectl('apply', '-f', manifest);
  // The MCP server reaches kube-sim through the relay only.
  relay = await startTcpRelay(new URL(kube.url));
  const mcpKubeconfig = path.join(directory, 'mcp-kubeconfig');
  await writeFile(mcpKubeconfig, (await readFile(adminKubeconfig, 'utf8')).replaceAll(kube.url, relay.url));
  mcp = await startMcpHttpServer({ port: 0, authToken: 'engine-mcp-token', settings: { kubeconfigPath: mcpKubeconfig, kubectlPath } });
  agent = await startVerifyAgent({ tools: createToolGateway({ url: mcp.url, authToken: 'engine-mcp-token' }) });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await mcp?.close();
  await relay?.close();
  await kube?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('what an approved change is recorded as, under faults', () => {
  it('a Stop while the change executes ends the run, and the change that ran is recorded executed in the approval, the card and the audit trail', async () => {
    const { conversationId, cards } = await askToScale(['web-a', 'web-b'], 4);
    expect(cards.map((card) => card['call_id'])).toEqual(['call_web-a', 'call_web-b']);
    // kube-sim applies the scale, its answer waits in the relay: the change is under way when the Stop comes
    relay.holdReplies(scaleRequest('web-a'));
    const response = await post('/agent/approvals/call_web-a', { approve: true, conversation_id: conversationId, args_hash: cards[0]!['args_hash'] });
    expect(response.status).toBe(200);
    const frames: SseFrame[] = [];
    for await (const frame of iterateSse(response)) {
      frames.push(frame);
      if (frame.event === 'tool.executing') {
        await vi.waitFor(() => expect(scaleWrites('web-a')).toBe(1), { timeout: 30_000, interval: 20 });
        const stopped = await post('/agent/stop', { conversation_id: conversationId, run_id: frames[0]!.data['run_id'] });
        expect(stopped.status).toBe(200);
      }
      if (frame.event === 'completed') break;
    }
    // the stream ended at the stop, with the change still under way
    expect(frames.at(-1)).toMatchObject({ event: 'completed', data: { status: 'stopped' } });
    relay.releaseReplies();
    await agent.harness.service.idle();

    expect(await replicasOf('web-a')).toBe('4');
    const record = await agent.storage.approvals.get(conversationId, 'call_web-a');
    expect({ status: record?.status, summary: record?.resultSummary }).toEqual({ status: 'executed', summary: 'deployment.apps/web-a scaled' });
    expect(await cardOf(conversationId, 'call_web-a')).toMatchObject({ status: 'completed', result: [{ type: 'text', text: 'deployment.apps/web-a scaled' }] });
    // (its tool.execution_started record is written by the store with its claim; this harness keeps the run's records)
    expect(auditActionsOf('call_web-a')).toContain('tool.executed');
    expect(auditActionsOf('call_web-a')).not.toContain('tool.failed');
    // the stop ended the run before the next change: that one never ran, and says so
    expect(scaleWrites('web-b')).toBe(0);
    expect(await replicasOf('web-b')).toBe('1');
    expect(await cardOf(conversationId, 'call_web-b')).toMatchObject({ status: 'error', error_code: 'CANCELLED' });
    expect((await agent.storage.approvals.get(conversationId, 'call_web-b'))?.status).toBe('denied');
  });

  it('a change whose answer is lost after the API server applied it (ECONNRESET) is unknown with what the cluster shows, never failed', async () => {
    const { conversationId, cards } = await askToScale(['web-c'], 5);
    relay.holdReplies(scaleRequest('web-c'));
    const response = await post('/agent/approvals/call_web-c', { approve: true, conversation_id: conversationId, args_hash: cards[0]!['args_hash'] });
    const frames: SseFrame[] = [];
    let cut = false;
    for await (const frame of iterateSse(response)) {
      frames.push(frame);
      if (frame.event === 'tool.executing' && !cut) {
        // applied by the API server, then the connection is cut before its answer reaches the MCP server
        await vi.waitFor(() => expect(scaleWrites('web-c')).toBe(1), { timeout: 30_000, interval: 20 });
        relay.dropAll();
        relay.releaseReplies();
        cut = true;
      }
      if (frame.event === 'completed') break;
    }
    await agent.harness.service.idle();
    expect(await replicasOf('web-c')).toBe('5');
    const error = frames.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_web-c');
    expect(error?.data).toMatchObject({ code: 'UNKNOWN_OUTCOME' });
    const record = await agent.storage.approvals.get(conversationId, 'call_web-c');
    expect(record?.status).toBe('unknown');
    expect(record?.resultSummary).toMatch(/^Outcome unknown: k8s_scale was sent, but its answer was lost: .*(ECONNRESET|socket hang up)/);
    // the reconciler's note: what the cluster shows now
    expect(record?.resultSummary).toContain('The cluster now: deployment/web-c in default has 5 replicas');
    expect(await cardOf(conversationId, 'call_web-c')).toMatchObject({ status: 'error', error_code: 'UNKNOWN_OUTCOME' });
    expect(auditActionsOf('call_web-c')).toContain('tool.outcome_unknown');
    expect(auditActionsOf('call_web-c')).not.toContain('tool.failed');
  });

  it('an API server that cannot be reached when the approved call is checked again is the reason given, not "the target changed"', async () => {
    const { conversationId, cards } = await askToScale(['web-d'], 6);
    // the relay goes away: every connection to the API server is refused from now on (last test of the file)
    await relay.close();
    const frames = await readSse(await post('/agent/approvals/call_web-d', { approve: true, conversation_id: conversationId, args_hash: cards[0]!['args_hash'] }));
    await agent.harness.service.idle();
    const error = frames.find((frame) => frame.event === 'tool.error' && frame.data['call_id'] === 'call_web-d');
    expect(error?.data['code']).toBe('NOT_EXECUTED');
    expect(String(error?.data['error'])).toMatch(/^Not executed: its preview could not be re-run to check the target: .*Kubernetes API server is unreachable \(ECONNREFUSED\)/);
    expect(String(error?.data['error'])).not.toContain('changed after it was approved');
    const record = await agent.storage.approvals.get(conversationId, 'call_web-d');
    expect(record?.status).toBe('failed');
    expect(record?.resultSummary).toContain('Kubernetes API server is unreachable');
    expect(scaleWrites('web-d')).toBe(0);
    expect(await replicasOf('web-d')).toBe('1');
  });
});

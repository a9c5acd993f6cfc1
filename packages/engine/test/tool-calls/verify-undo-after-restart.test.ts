/**
 * Issue 21 (e): the engine is killed (SIGKILL) while it verifies an approved change. A real `skyflo serve` process
 * (data-dir PGlite, llm-sim, the real MCP server and kubectl against kube-sim) approves a scale whose verification
 * must hold for five minutes, and is killed while the timeline says `verifying`. Restarted (holding changes for a
 * second), without any new message, the engine re-runs the verification with the budget left and its verdict reaches
 * the timeline and the approval row: it never silently vanishes. (With no budget left it ends `timed_out`:
 * src/verification/resume-verifications.test.ts.)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { deploymentYaml } from '@skyflo/testkit/manifests';
import type { ServeProcess } from '@skyflo/testkit/services';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toolInConversation } from './harness.ts';
import { chatUntilApproval, readUntilEngineDies, registerOperator, signIn, startServeEngine, withStoppedEngineStorage } from './support/restarted-engine.ts';

const run = promisify(execFile);
const mcpToken = 'verify-restart-mcp-token-0123456789';
let directory: string;
let kube: KubeSim;
let mcp: McpHttpServer;
let sim: LlmSim;
let engine: ServeProcess | undefined;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectlPath, ['--kubeconfig', path.join(directory, 'kubeconfig'), ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } });
  return stdout.trim();
}

function startEngineProcess(verify: { timeout: string; hold: string }): Promise<ServeProcess> {
  return startServeEngine(directory, sim.url, { MCP_SERVER_URL: mcp.url, MCP_AUTH_TOKEN: mcpToken, VERIFY_TIMEOUT_SECONDS: verify.timeout, VERIFY_HOLD_SECONDS: verify.hold });
}

async function stopEngine(signal: NodeJS.Signals): Promise<void> {
  await engine?.kill(signal);
}

type ToolView = { status: string; verification?: { outcome: string; summary: string } };

/** Collects the verification outcomes of an approval's stream as they arrive; `reading` ends with the stream. */
function watchVerifications(approval: Response): { outcomes: string[]; reading: Promise<void> } {
  const outcomes: string[] = [];
  const reading = readUntilEngineDies(approval, (frame) => {
    if (frame.event === 'tool.verification') outcomes.push(String(frame.data['outcome']));
  });
  return { outcomes, reading };
}

/** Waits until the running engine's timeline shows `callId` with the verification `outcome`; returns the tool's view. */
async function verdictShown(token: string, conversationId: string, callId: string, outcome: string, wait: { timeout: number; interval: number }): Promise<ToolView> {
  return vi.waitFor(async () => {
    const view = await toolInConversation<ToolView>(engine!.url, token, conversationId, callId);
    expect(view?.verification?.outcome).toBe(outcome);
    return view!;
  }, wait);
}


beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'skyflo-verify-restart-'));
  kube = await startKubeSim({ port: 0, kubeconfigPath: path.join(directory, 'kubeconfig') });
  const manifest = path.join(directory, 'web.yaml');
  await writeFile(manifest, deploymentYaml('web'));
  await kubectl('apply', '-f', manifest);
  await writeFile(manifest, deploymentYaml('worker'));
  await kubectl('apply', '-f', manifest);
  await kubectl('rollout', 'status', 'deployment/worker', '-n', 'default', '--timeout=60s');
  mcp = await startMcpHttpServer({ port: 0, authToken: mcpToken, settings: { kubeconfigPath: path.join(directory, 'kubeconfig'), kubectlPath } });
  sim = await startLlmSim({ port: 0 });
}, 60_000);

afterAll(async () => {
  await stopEngine('SIGKILL');
  await mcp?.close();
  await kube?.close();
  await sim?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('kill -9 during a verification', () => {
  it('after restart, without a new message, the verification is re-run and its verdict reaches the timeline and the approval row', async () => {
    sim.reset({
      rules: [
        { match: { lastRole: 'user', userContains: 'scale' }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_scale', name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'default' } }] } },
        { match: { toolName: 'k8s_scale' }, reply: 'web has 3 replicas now.' },
      ],
    });
    // The first engine's verification cannot end before it is killed: the change must hold for five minutes.
    engine = await startEngineProcess({ timeout: '600', hold: '300' });
    await registerOperator(engine.url);
    const { token, post } = await signIn(() => engine!.url);

    const { conversationId, argsHash } = await chatUntilApproval(post, 'scale web to 3');
    expect(argsHash).not.toBe('');

    const approval = await post('/agent/approvals/call_scale', { approve: true, conversation_id: conversationId, args_hash: argsHash });
    const { outcomes, reading } = watchVerifications(approval);
    // the change ran and its verification is under way, stored as such
    await vi.waitFor(() => expect(outcomes).toEqual(['verifying']), { timeout: 30_000, interval: 25 });
    await vi.waitFor(async () => expect((await toolInConversation<ToolView>(engine!.url, token, conversationId, 'call_scale'))?.verification?.outcome).toBe('verifying'), { timeout: 10_000, interval: 50 });
    expect(await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('3');

    await stopEngine('SIGKILL');
    await reading;
    expect(outcomes).toEqual(['verifying']);

    // The restarted engine holds changes for a second: the resumed check (same deadline, budget left) can finish.
    engine = await startEngineProcess({ timeout: '600', hold: '1' });
    // No message sent: the restarted engine finishes the verification on its own.
    const shown = await verdictShown(token, conversationId, 'call_scale', 'verified', { timeout: 90_000, interval: 100 });
    expect(shown.status).toBe('completed');

    await stopEngine('SIGTERM');
    await withStoppedEngineStorage(directory, async (storage) => {
      const row = await storage.approvals.get(conversationId, 'call_scale');
      expect(row).toMatchObject({ status: 'executed', verification: { outcome: shown.verification!.outcome, summary: shown.verification!.summary } });
    });
  }, 240_000);

  it('an approval with automatic revert survives the restart: the resumed verification ends regressed and the recorded inverse runs, verified, and the image is back', async () => {
    sim.reset({
      rules: [
        { match: { lastRole: 'user', userContains: 'crash' }, reply: { toolCalls: [{ id: 'call_load2', name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_crash', name: 'k8s_set_image', arguments: { resource_name: 'worker', resource_type: 'deployment', namespace: 'default', container_images: 'worker=crash:1.0' } }] } },
        { match: { toolName: 'k8s_set_image' }, reply: 'Deployed.' },
      ],
    });
    // The new pods wait an hour before they start, so the first engine's verification cannot end before it is killed.
    kube.cluster.settings.startDelayMs = 3_600_000;
    engine = await startEngineProcess({ timeout: '600', hold: '1' });
    const { token, post } = await signIn(() => engine!.url);

    let undoOffered = false;
    const { conversationId, argsHash } = await chatUntilApproval(post, 'deploy crash:1.0 to worker', (awaiting) => {
      undoOffered = awaiting['undo'] !== undefined;
    });
    expect(undoOffered).toBe(true);

    const approval = await post('/agent/approvals/call_crash', { approve: true, auto_revert: true, conversation_id: conversationId, args_hash: argsHash });
    const { outcomes, reading } = watchVerifications(approval);
    await vi.waitFor(() => expect(outcomes).toEqual(['verifying']), { timeout: 30_000, interval: 25 });
    expect(await kubectl('get', 'deployment', 'worker', '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('crash:1.0');
    await stopEngine('SIGKILL');
    await reading;
    expect(outcomes).toEqual(['verifying']);

    // While the engine is down, the new pods are recreated to start at once: they crash-loop from now on.
    kube.cluster.settings.startDelayMs = 10;
    await kubectl('delete', 'pods', '-n', 'default', '-l', 'app=worker', '--field-selector=status.phase=Pending', '--wait=false');

    engine = await startEngineProcess({ timeout: '600', hold: '1' });
    // No message, no second approval: the restarted engine finishes the verification and runs the revert itself.
    const revertShown = await verdictShown(token, conversationId, 'call_crash-revert', 'verified', { timeout: 120_000, interval: 200 });
    expect(revertShown.status).toBe('completed');
    expect((await toolInConversation<ToolView>(engine.url, token, conversationId, 'call_crash'))?.verification?.outcome).toBe('regressed');
    expect(await kubectl('get', 'deployment', 'worker', '-n', 'default', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).toBe('nginx:1.27');

    await stopEngine('SIGTERM');
    await withStoppedEngineStorage(directory, async (storage) => {
      expect(await storage.approvals.get(conversationId, 'call_crash')).toMatchObject({ status: 'executed', autoRevert: true, verification: { outcome: 'regressed', autoRevert: true, autoRevertCallId: 'call_crash-revert' } });
      expect(await storage.approvals.get(conversationId, 'call_crash-revert')).toMatchObject({ status: 'executed', automatic: true, undoOf: 'call_crash', tool: 'k8s_set_image', verification: { outcome: 'verified' } });
    });
  }, 300_000);
});

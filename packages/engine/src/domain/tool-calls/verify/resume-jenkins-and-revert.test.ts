/**
 * Issue 21, what a verification resumed after a restart must still do: follow the Jenkins build the call's stored
 * result names (with the integration's credentials beside the arguments, never in them), and honour an automatic
 * revert chosen at approval — run as recorded, verified, its risks on its row — failing closed under
 * EXECUTE_AS_APPROVER, since no run knows the approver after a restart.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AgentEvent } from '@skyflo/protocol';
import { describe, expect, it } from 'vitest';
import { hashToolCall } from '../core/hash-tool-call.ts';
import { createToolCallInspector } from '../core/tool-call-inspector.ts';
import { agentConfig } from '../../../platform/config/agent.ts';
import { createSecretBox } from '../../../platform/crypto/secret-box.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import { createInMemoryStorage } from '../../../testing/in-memory-storage.ts';
import { sealBefore } from '../core/baseline.ts';
import { jenkinsBuildOf } from './jenkins-result.ts';
import { resumeVerifications } from './resume-verifications.ts';

type Call = { name: string; args: Record<string, unknown>; jenkinsCredentials?: unknown; impersonate?: unknown };

function fakeTools(calls: Call[], verdicts: string[]): ToolGateway {
  return {
    listTools: async () => [{ name: 'verify_change', title: 'v', description: '', inputSchema: {}, tags: [] }],
    callTool: async ({ name, args, jenkinsCredentials, impersonate }) => {
      calls.push({ name, args, ...(jenkinsCredentials ? { jenkinsCredentials } : {}), ...(impersonate ? { impersonate } : {}) });
      if (name !== 'verify_change') return { text: `${name} done`, isError: false };
      const outcome = verdicts.shift() ?? 'verified';
      return { text: outcome, isError: false, structured: { outcome, summary: `${outcome} summary`, evidence: [] } };
    },
    preview: async () => undefined,
    close: async () => undefined,
  };
}

/** An executed call whose run died while it was being verified. */
async function leftVerifying(input: { tool: string; args: Record<string, unknown>; resultSummary?: string; inverse?: { tool: string; args: Record<string, unknown>; summary: string }; autoRevert?: boolean }) {
  const storage = createInMemoryStorage();
  const box = createSecretBox(randomBytes(32));
  const { id: conversationId } = await storage.conversations.create({ userId: 'alice' });
  const inverse = input.inverse;
  await storage.approvals.request({
    conversationId,
    callId: 'call-1',
    runId: 'r',
    tool: input.tool,
    args: input.args,
    argsHash: 'h',
    resolution: [],
    risks: [],
    destructive: false,
    requestedBy: 'alice',
    beforeSealed: sealBefore(box, conversationId, 'call-1', { args: input.args, ...(inverse ? { inverse } : {}) }),
    ...(inverse ? { undo: { tool: inverse.tool, args: inverse.args, summary: inverse.summary, argsHash: hashToolCall(inverse.tool, inverse.args) } } : {}),
  });
  const runId = randomUUID();
  await storage.approvals.decide({ conversationId, callId: 'call-1', approve: true, decidedBy: 'alice', decisionRunId: runId, ...(input.autoRevert ? { autoRevert: true } : {}) });
  await storage.approvals.claimExecution({ conversationId, callId: 'call-1', runId });
  await storage.approvals.markExecuted({ conversationId, callId: 'call-1', ok: true, ...(input.resultSummary ? { resultSummary: input.resultSummary } : {}) });
  await storage.approvals.saveVerification({ conversationId, callId: 'call-1', verification: { outcome: 'verifying', summary: 'Verifying', evidence: [], startedAt: Date.now() - 1000, deadline: Date.now() + 60_000, ...(input.autoRevert ? { autoRevert: true } : {}) } });
  return { storage, box, conversationId };
}

const integration = { apiUrl: 'http://127.0.0.1:9/', credentialsRef: 'skyflo/ci', credentials: { api_url: 'http://127.0.0.1:9/', username: 'ci', api_token: 'tok-secret-1234' } };

describe('a resumed Jenkins verification', () => {
  it('reads the build from the stored result, even cut at 500 characters', () => {
    const full = JSON.stringify({ status: 200, body: { buildNumber: 42, url: 'http://ci/job/app/42/', queueId: 7, jobFullName: 'app' } }, null, 2);
    expect(jenkinsBuildOf(full)).toEqual({ buildNumber: 42, queueId: 7, url: 'http://ci/job/app/42/' });
    const cut = JSON.stringify({ status: 200, body: { buildNumber: 43, url: `http://ci/${'x'.repeat(600)}/43/`, queueId: 8 } }, null, 2).slice(0, 500);
    expect(jenkinsBuildOf(cut)).toEqual({ buildNumber: 43 });
    expect(jenkinsBuildOf('{"status": 201, "body": {"message": "requested"}}')).toBeUndefined();
  });

  it('follows that build with the integration injected and its credentials beside the arguments', async () => {
    const resultSummary = JSON.stringify({ status: 200, body: { buildNumber: 12, url: 'http://ci/job/app/12/', queueId: 3, jobFullName: 'app' } }, null, 2);
    const { storage, box, conversationId } = await leftVerifying({ tool: 'jenkins_trigger_build', args: { jobFullName: 'app' }, resultSummary });
    const calls: Call[] = [];
    await resumeVerifications({ storage, tools: fakeTools(calls, ['regressed']), secretBox: box, config: agentConfig(), everyRunIsDead: true, jenkinsIntegration: async () => integration });
    expect(calls).toEqual([
      {
        name: 'verify_change',
        args: expect.objectContaining({ tool: 'jenkins_trigger_build', args: { jobFullName: 'app', api_url: integration.apiUrl, credentials_ref: 'skyflo/ci' }, result: { buildNumber: 12, queueId: 3, url: 'http://ci/job/app/12/' } }),
        jenkinsCredentials: integration.credentials,
      },
    ]);
    expect(JSON.stringify(calls[0]!.args)).not.toContain('tok-secret-1234');
    expect((await storage.approvals.get(conversationId, 'call-1'))!.verification).toMatchObject({ outcome: 'regressed' });
  });

  it('ends timed_out, saying why, when no Jenkins integration is configured any more', async () => {
    const { storage, box, conversationId } = await leftVerifying({ tool: 'jenkins_trigger_build', args: { jobFullName: 'app' }, resultSummary: '{"status": 200, "body": {"buildNumber": 5}}' });
    const calls: Call[] = [];
    await resumeVerifications({ storage, tools: fakeTools(calls, []), secretBox: box, config: agentConfig(), everyRunIsDead: true });
    expect(calls).toEqual([]);
    expect((await storage.approvals.get(conversationId, 'call-1'))!.verification).toMatchObject({ outcome: 'timed_out', summary: expect.stringMatching(/no Jenkins integration/) });
  });
});

describe('automatic revert after a restart', () => {
  const inverse = { tool: 'k8s_scale', args: { resource_type: 'deployment', name: 'batch', namespace: 'default', replicas: 0 }, summary: 'scale deployment default/batch back to 0' };
  const original = { tool: 'k8s_scale', args: { resource_type: 'deployment', name: 'batch', namespace: 'default', replicas: 2 } };

  it('a resumed regressed verdict runs the recorded inverse exactly, verifies it, and records its risks', async () => {
    const { storage, box, conversationId } = await leftVerifying({ ...original, inverse, autoRevert: true });
    const calls: Call[] = [];
    const seen: AgentEvent[] = [];
    await resumeVerifications({ storage, tools: fakeTools(calls, ['regressed', 'verified']), secretBox: box, inspector: createToolCallInspector(), config: agentConfig(), everyRunIsDead: true, approvalPolicy: { policy: 'self', fourEyes: false }, observeEvent: (event) => seen.push(event) });
    expect(calls.map((call) => call.name)).toEqual(['verify_change', 'k8s_scale', 'verify_change']);
    expect(calls[1]!.args).toEqual(inverse.args);
    expect((await storage.approvals.get(conversationId, 'call-1'))!.verification).toMatchObject({ outcome: 'regressed', autoRevertCallId: 'call-1-revert' });
    const revert = await storage.approvals.get(conversationId, 'call-1-revert');
    expect(revert).toMatchObject({ status: 'executed', automatic: true, decidedBy: 'alice', undoOf: 'call-1', destructive: true, verification: { outcome: 'verified' } });
    expect(revert!.risks.map((risk) => risk.code)).toContain('SCALE_TO_ZERO');
    expect(seen.map((event) => `${event.type}${'call_id' in event ? ` ${String(event.call_id)}` : ''}`)).toEqual([
      'tool.verification call-1',
      'tool.verification call-1',
      'tools.pending',
      'tool.approved call-1-revert',
      'tool.executing call-1-revert',
      'tool.result call-1-revert',
      'tool.verification call-1-revert',
      'tool.verification call-1-revert',
    ]);
  });

  it('without the automatic-revert choice, a resumed regressed verdict reverts nothing', async () => {
    const { storage, box, conversationId } = await leftVerifying({ ...original, inverse });
    const calls: Call[] = [];
    await resumeVerifications({ storage, tools: fakeTools(calls, ['regressed']), secretBox: box, inspector: createToolCallInspector(), config: agentConfig(), everyRunIsDead: true });
    expect(calls.map((call) => call.name)).toEqual(['verify_change']);
    expect(await storage.approvals.get(conversationId, 'call-1-revert')).toBeUndefined();
  });

  it('with EXECUTE_AS_APPROVER on, it fails closed: nothing runs as the server, the revert row says why, Undo stays', async () => {
    const { storage, box, conversationId } = await leftVerifying({ ...original, inverse, autoRevert: true });
    const calls: Call[] = [];
    await resumeVerifications({ storage, tools: fakeTools(calls, ['regressed']), secretBox: box, inspector: createToolCallInspector(), executeAsApprover: { groupsByRole: {} }, config: agentConfig(), everyRunIsDead: true, approvalPolicy: { policy: 'self', fourEyes: false } });
    expect(calls.map((call) => call.name)).toEqual(['verify_change']);
    expect(await storage.approvals.get(conversationId, 'call-1-revert')).toMatchObject({ status: 'failed', resultSummary: expect.stringMatching(/EXECUTE_AS_APPROVER/) });
  });
});

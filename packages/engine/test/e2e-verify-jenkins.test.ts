/**
 * Issue 21: an approved Jenkins build is followed to its result by the engine, not left to the model. jenkins-sim as
 * Jenkins, the real MCP server in-process (the engine's trusted connection, so the integration's credentials travel
 * beside the arguments), llm-sim as the model, the agent routes over HTTP. A build that succeeds is `verified`; one
 * that fails is `regressed` with the build's result, URL and console lines as evidence, and the model reads it.
 */
import { connectInProcess, createToolDeps } from '@skyflo/mcp-server';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfig } from '../src/config/agent.ts';
import { createToolGateway } from '../src/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../src/mcp/tool-gateway.ts';
import { startAgentTestApp, type AgentTestApp } from '../src/testing/agent-test-app.ts';
import { createMemoryEventBus } from '../src/bus/memory-event-bus.ts';
import { createInMemoryStorage } from '../src/testing/in-memory-storage.ts';
import { readSse, type SseFrame } from '../src/testing/read-sse.ts';
import type { NewAuditEvent, Storage } from '../src/ports/index.ts';

const jenkinsToken = 'jenkins-verify-token-5b2e8c41';
let jenkins: JenkinsSim;
let sim: LlmSim;
let tools: ToolGateway;
let storage: Storage;
let harness: AgentTestApp;
const auditRows: NewAuditEvent[] = [];

async function post(pathname: string, body: unknown): Promise<{ frames: SseFrame[]; raw: string }> {
  const response = await fetch(`${harness.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  const raw = await response.clone().text();
  return { frames: await readSse(response), raw };
}

const find = (frames: SseFrame[], event: string) => frames.filter((frame) => frame.event === event).map((frame) => frame.data);

/** The text of the tool result the model was sent for `callId`. */
function toolResultSentToModel(callId: string): string {
  for (const call of [...sim.calls].reverse()) {
    const message = call.messages.find((item) => item.role === 'tool' && (item as { tool_call_id?: string }).tool_call_id === callId);
    if (message) return typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
  }
  return '';
}

/** The model triggers `job`; the approver approves; returns the approval run's frames. */
async function approvedBuild(callId: string, job: string) {
  sim.reset({
    rules: [
      { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'jenkins', include_write_tools: true } }] } },
      { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: callId, name: 'jenkins_trigger_build', arguments: { jobFullName: job } }] } },
      { match: { toolName: 'jenkins_trigger_build' }, reply: 'Build done.' },
    ],
  });
  const first = await post('/agent/chat', { messages: [{ role: 'user', content: `run ${job}` }] });
  const conversationId = String(first.frames[0]!.data['conversation_id']);
  const awaiting = find(first.frames, 'tool.awaiting_approval')[0]!;
  expect(awaiting).toMatchObject({ tool: 'jenkins_trigger_build' });
  const second = await post(`/agent/approvals/${callId}`, { approve: true, conversation_id: conversationId, args_hash: awaiting['args_hash'] });
  return { conversationId, ...second };
}

beforeAll(async () => {
  jenkins = await startJenkinsSim({
    token: jenkinsToken,
    buildDurationMs: 100,
    queueDelayMs: 20,
    scenario: {
      jobs: [
        { type: 'pipeline', name: 'release', results: ['SUCCESS'] },
        { type: 'pipeline', name: 'deploy-checkout', results: ['FAILURE'], logLines: ['Deploying checkout', 'ERROR: helm upgrade failed: timed out waiting for the condition'] },
      ],
    },
  });
  sim = await startLlmSim({ port: 0 });
  const connection = await connectInProcess({ deps: createToolDeps({ jenkinsPollIntervalMs: 20 }) });
  tools = createToolGateway({ client: connection.client, closeClient: connection.close });
  const provider = createOpenAICompatible({ baseURL: sim.url, name: 'sim', includeUsage: true });
  storage = createInMemoryStorage();
  harness = await startAgentTestApp({
    storage,
    bus: createMemoryEventBus(),
    tools,
    audit: { record: async (event: NewAuditEvent) => void auditRows.push(event) } as never,
    llm: { model: provider.chatModel('sim-model'), modelName: 'sim/sim-model' },
    config: agentConfig({ titleGeneration: false, retryBaseDelayMs: 1, verifyTimeoutSeconds: 60, verifyHoldSeconds: 1 }),
    // the integration as the engine keeps it: URL and reference in the call, credentials beside it
    jenkinsIntegration: async () => ({ apiUrl: jenkins.url, credentialsRef: 'skyflo/jenkins-ci', credentials: { api_url: jenkins.url, username: jenkins.user, api_token: jenkinsToken } }),
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  await tools?.close();
  await sim?.close();
  await jenkins?.close();
});

describe('Jenkins builds are followed to their result (issue 21)', () => {
  it('a build that succeeds is verified, and the model reads which build', async () => {
    const { conversationId, frames } = await approvedBuild('call_release', 'release');
    const verifications = find(frames, 'tool.verification').filter((event) => event['call_id'] === 'call_release');
    expect(verifications.map((event) => event['outcome'])).toEqual(['verifying', 'verified']);
    expect(String(verifications[1]!['summary'])).toMatch(/^build #1 of release succeeded$/);
    expect(JSON.stringify(verifications[1]!['evidence'])).toContain(`${jenkins.url}/job/release/1/`);
    expect(toolResultSentToModel('call_release')).toMatch(/Verification: verified — build #1 of release succeeded/);
    expect((await storage.approvals.get(conversationId, 'call_release'))?.verification).toMatchObject({ outcome: 'verified' });
    // the build was really read back from Jenkins
    expect(jenkins.calls.some((call) => call.method === 'GET' && call.path === '/job/release/1/api/json')).toBe(true);
  }, 60_000);

  it('a build that fails is regressed with its result, URL and console lines as evidence; stored, audited, and told to the model', async () => {
    const { conversationId, frames, raw } = await approvedBuild('call_deploy', 'deploy-checkout');
    const final = find(frames, 'tool.verification').filter((event) => event['call_id'] === 'call_deploy').at(-1)!;
    expect(final).toMatchObject({ outcome: 'regressed', summary: 'build #1 of deploy-checkout ended FAILURE' });
    const evidence = JSON.stringify(final['evidence']);
    expect(evidence).toContain('result: FAILURE');
    expect(evidence).toContain(`${jenkins.url}/job/deploy-checkout/1/`);
    expect(evidence).toContain('ERROR: helm upgrade failed: timed out waiting for the condition');
    expect(toolResultSentToModel('call_deploy')).toMatch(/Verification: regressed — build #1 of deploy-checkout ended FAILURE[\s\S]*result: FAILURE/);
    expect((await storage.approvals.get(conversationId, 'call_deploy'))?.verification).toMatchObject({ outcome: 'regressed' });
    expect([...(await storage.approvals.regressedConversations([conversationId]))]).toEqual([conversationId]);
    await harness.service.idle();
    expect(auditRows.some((row) => row.action === 'tool.verified' && row.subjectId === 'call_deploy' && (row.details as { outcome?: string }).outcome === 'regressed')).toBe(true);
    // the integration's token went beside the calls, never into the stream, the audit or the model's context
    expect(raw).not.toContain(jenkinsToken);
    expect(JSON.stringify(auditRows)).not.toContain(jenkinsToken);
    expect(JSON.stringify(sim.calls)).not.toContain(jenkinsToken);
  }, 60_000);
});

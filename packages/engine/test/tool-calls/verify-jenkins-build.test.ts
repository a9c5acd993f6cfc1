/**
 * Issue 21: an approved Jenkins build is followed to its result by the engine, not left to the model. jenkins-sim as
 * Jenkins, the real MCP server in-process (the engine's trusted connection, so the integration's credentials travel
 * beside the arguments), llm-sim as the model, the agent routes over HTTP. A build that succeeds is `verified`; one
 * that fails is `regressed` with the build's result, URL and console lines as evidence, and the model reads it.
 */
import { connectInProcess, createToolDeps } from '@skyflo/mcp-server';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { find, startVerifyAgent, type VerifyAgent } from './harness.ts';

const jenkinsToken = 'jenkins-verify-token-5b2e8c41';
let jenkins: JenkinsSim;
let agent: VerifyAgent;
const post = (pathname: string, body: unknown) => agent.post(pathname, body);

/** The model triggers `job`; the approver approves; returns the approval run's frames. */
async function approvedBuild(callId: string, job: string) {
  agent.sim.reset({
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
  // issue 37 item 8: the card says which Jenkins (the integration's name and host), never its credentials
  expect((awaiting['resolution'] as string[])[0]).toBe(`Jenkins: CI (release) (${new URL(jenkins.url).host})`);
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
  const connection = await connectInProcess({ deps: createToolDeps({ jenkinsPollIntervalMs: 20 }) });
  agent = await startVerifyAgent({
    tools: createToolGateway({ client: connection.client, closeClient: connection.close }),
    // the integration as the engine keeps it: URL and reference in the call, credentials beside it
    jenkinsIntegration: async () => ({ apiUrl: jenkins.url, name: 'CI (release)', credentialsRef: 'skyflo/jenkins-ci', credentials: { api_url: jenkins.url, username: jenkins.user, api_token: jenkinsToken } }),
  });
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await jenkins?.close();
});

describe('Jenkins builds are followed to their result (issue 21)', () => {
  it('a build that succeeds is verified, and the model reads which build', async () => {
    const { conversationId, frames } = await approvedBuild('call_release', 'release');
    const verifications = find(frames, 'tool.verification').filter((event) => event['call_id'] === 'call_release');
    expect(verifications.map((event) => event['outcome'])).toEqual(['verifying', 'verified']);
    expect(String(verifications[1]!['summary'])).toMatch(/^build #1 of release succeeded$/);
    expect(JSON.stringify(verifications[1]!['evidence'])).toContain(`${jenkins.url}/job/release/1/`);
    expect(agent.toolResultSentToModel('call_release')).toMatch(/Verification: verified — build #1 of release succeeded/);
    expect((await agent.storage.approvals.get(conversationId, 'call_release'))?.verification).toMatchObject({ outcome: 'verified' });
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
    expect(agent.toolResultSentToModel('call_deploy')).toMatch(/Verification: regressed — build #1 of deploy-checkout ended FAILURE[\s\S]*result: FAILURE/);
    expect((await agent.storage.approvals.get(conversationId, 'call_deploy'))?.verification).toMatchObject({ outcome: 'regressed' });
    expect([...(await agent.storage.approvals.regressedConversations([conversationId]))]).toEqual([conversationId]);
    await agent.harness.service.idle();
    expect(agent.auditRows.some((row) => row.action === 'tool.verified' && row.subjectId === 'call_deploy' && (row.details as { outcome?: string }).outcome === 'regressed')).toBe(true);
    // the integration's token went beside the calls, never into the stream, the audit or the model's context
    expect(raw).not.toContain(jenkinsToken);
    expect(JSON.stringify(agent.auditRows)).not.toContain(jenkinsToken);
    expect(JSON.stringify(agent.sim.calls)).not.toContain(jenkinsToken);
  }, 60_000);
});

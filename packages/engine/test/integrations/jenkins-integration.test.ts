/**
 * Jenkins integrations (issue 8): an admin adds one only with credentials Jenkins accepts (and is told plainly why
 * not: Jenkins refused them, or the URL did not answer as Jenkins); the token is sealed at rest and never returned, streamed, logged, audited
 * or shown to the model; Jenkins tools appear to the model once an integration is active and reach the integration's
 * own Jenkins with its credentials, whatever URL the model puts in the arguments.
 */
import { createServer, type AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notJenkinsMessage } from '../../src/app/integrations/check-jenkins-credentials.ts';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse, type SseFrame } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const jenkinsToken = 'jenkins-api-token-7f3c9a1e5b';
const logLines: string[] = [];

let lite: PGlite;
let query: (text: string, params?: unknown[]) => Promise<unknown[]>;
let tools: ToolGateway;
let engine: TestEngine;
let jenkins: JenkinsSim;
let llm: LlmSim;
let admin: string;
let member: string;

const request = (options: Parameters<TestEngine['request']>[0]) => engine.request(options);
const chat = async (token: string, text: string): Promise<SseFrame[]> => {
  const response = await request({ method: 'POST', url: '/api/v1/agent/chat', token, payload: { messages: [{ role: 'user', content: text }] } });
  expect(response.statusCode, response.body).toBe(200);
  return readSse(new Response(response.body));
};
/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
const validCreate = () => ({ provider: 'jenkins', name: 'CI', metadata: { api_url: jenkins.url }, credentials: { username: jenkins.user, api_token: jenkinsToken } });

beforeAll(async () => {
  jenkins = await startJenkinsSim({ token: jenkinsToken, scenario: { jobs: [{ type: 'pipeline', name: 'deploy-checkout', builds: [{ result: 'FAILURE' }] }] } });
  llm = await startLlmSim({ port: 0 });
  ({ lite, query } = await createTestPglite());
  // The real MCP server in-process: the engine's own (trusted) connection, as `skyflo serve` runs it.
  tools = createToolGateway({ embedded: {} });
  engine = await startTestEngine({
    lite,
    env: { TITLE_GENERATION_ENABLED: 'false' },
    tools,
    llm: simModel(llm),
    // debug level: every request and error the engine logs is searched for the token below
    logger: { level: 'debug', stream: { write: (line: string) => logLines.push(line) } },
  });
  admin = await engine.signUp('admin@example.com');
  await request({ method: 'POST', url: '/api/v1/team/members', token: admin, payload: { email: 'mia@example.com', role: 'member', password: 'mia-initial-pass-42' } });
  member = (await engine.login('mia@example.com', 'mia-initial-pass-42')).json().access_token as string;
});

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await lite?.close();
  await jenkins?.close();
  await llm?.close();
});

describe('Jenkins integrations', () => {
  it('refuses credentials Jenkins does not accept, saying why, and saves nothing', async () => {
    const refused = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...validCreate(), credentials: { username: jenkins.user, api_token: 'wrong-token' } } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().detail).toMatch(/Jenkins refused the credentials \(HTTP 401\); check the username and API token/);

    const closedPort = await freePort();
    const unreachable = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...validCreate(), metadata: { api_url: `http://127.0.0.1:${closedPort}/` } } });
    expect(unreachable.statusCode).toBe(400);
    // one answer for every host that is not Jenkins (no socket errors or status codes: no port-scanning oracle)
    expect(unreachable.json().detail).toBe(`the Jenkins credentials were not saved: ${notJenkinsMessage}`);

    const notJenkins = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...validCreate(), metadata: { api_url: llm.url } } });
    expect(notJenkins.statusCode).toBe(400);
    expect(notJenkins.json().detail).toBe(`the Jenkins credentials were not saved: ${notJenkinsMessage}`);

    const badUrl = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...validCreate(), metadata: { api_url: 'jenkins.local' } } });
    expect(badUrl.statusCode).toBe(400);
    expect(badUrl.json().detail).toMatch(/metadata\.api_url/);

    expect((await request({ method: 'POST', url: '/api/v1/integrations', token: member, payload: validCreate() })).statusCode).toBe(403);
    expect((await request({ method: 'POST', url: '/api/v1/integrations', payload: validCreate() })).statusCode).toBe(401);
    expect(await query('select id from integrations')).toEqual([]);
  });

  it('hides the Jenkins tools from the model while no integration exists', async () => {
    llm.reset({ rules: [{ match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'jenkins', include_write_tools: false } }] } }, { match: { toolName: 'load_toolset' }, reply: 'No Jenkins here.' }] });
    const frames = await chat(admin, 'why did the deploy fail?');
    expect(llm.calls[0]!.toolNames.some((name) => name.startsWith('jenkins_'))).toBe(false);
    expect(frames.find((frame) => frame.event === 'tool.error')?.data['error']).toMatch(/Jenkins integration is not configured/);
  });

  it('saves working credentials sealed, returns only the last four characters, and audits without the token', async () => {
    const created = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: validCreate() });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'jenkins', name: 'CI', status: 'active', metadata: { api_url: jenkins.url, username: jenkins.user }, credentials: { set: true, token_last4: jenkinsToken.slice(-4) } });
    expect(created.body).not.toContain(jenkinsToken);

    // members see that it exists (the chat uses it) but nothing secret; only admins change it
    const listed = await request({ method: 'GET', url: '/api/v1/integrations', token: member });
    expect(listed.json()).toHaveLength(1);
    expect(listed.body).not.toContain(jenkinsToken);
    const id = created.json().id as string;
    expect((await request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, token: member, payload: { status: 'disabled' } })).statusCode).toBe(403);

    const [row] = (await query('select * from integrations')) as Array<Record<string, unknown>>;
    expect(JSON.stringify(row)).not.toContain(jenkinsToken);
    expect(String(row!['credentials_sealed'])).toMatch(/^v1:/);

    const test = await request({ method: 'POST', url: `/api/v1/integrations/${id}/test`, token: admin });
    expect(test.json()).toMatchObject({ ok: true, user: jenkins.user });

    // a second active Jenkins would make "the" integration ambiguous
    const second = await request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { ...validCreate(), name: 'CI 2' } });
    expect(second.statusCode).toBe(409);
    expect(second.json().detail).toMatch(/an active jenkins integration already exists \("CI"\)/);

    const audit = (await query("select action, details from audit_events where action like 'integration.%'")) as Array<{ action: string; details: unknown }>;
    expect(audit.map((entry) => entry.action)).toEqual(['integration.created']);
    expect(JSON.stringify(audit)).not.toContain(jenkinsToken);
  });

  it('offers the Jenkins tools once active; a call reaches the integration Jenkins with its credentials, whatever api_url the model sends', async () => {
    llm.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'jenkins', include_write_tools: false } }] } },
        // the model tries to point the call (and so the token) at another server
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_jobs', name: 'jenkins_get_jobs', arguments: { api_url: 'http://127.0.0.1:9/', credentials_ref: 'default/stolen' } }] } },
        { match: { toolName: 'jenkins_get_jobs' }, reply: 'deploy-checkout failed its last build.' },
      ],
    });
    const callsBefore = jenkins.calls.length;
    const frames = await chat(admin, 'why did the deploy fail?');
    expect(frames.find((frame) => frame.event === 'toolset.loaded')?.data['tools']).toContain('jenkins_get_jobs');
    const result = frames.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'jenkins_get_jobs');
    expect(JSON.stringify(result?.data['result'])).toContain('deploy-checkout');
    // the call went to the integration's Jenkins, authenticated as its user
    const jenkinsCalls = jenkins.calls.slice(callsBefore);
    expect(jenkinsCalls.some((call) => call.path.startsWith('/api/json') && call.user === jenkins.user && call.status === 200)).toBe(true);
    // the model was offered the tool without the engine-injected parameters
    const offered = llm.calls.at(-1)!.body['tools'] as Array<{ function: { name: string; parameters: { properties: Record<string, unknown> } } }>;
    const getJobs = offered.find((tool) => tool.function.name === 'jenkins_get_jobs')!;
    expect(Object.keys(getJobs.function.parameters.properties)).not.toContain('credentials_ref');

    expect(JSON.stringify(frames)).not.toContain(jenkinsToken);
    expect(JSON.stringify(llm.calls.map((call) => call.body))).not.toContain(jenkinsToken);
    const conversationId = String(frames[0]!.data['conversation_id']);
    const stored = await request({ method: 'GET', url: `/api/v1/conversations/${conversationId}`, token: admin });
    expect(stored.body).toContain('jenkins_get_jobs');
    expect(stored.body).not.toContain(jenkinsToken);
  });

  it('disabling hides the tools again; new credentials are checked before they replace the old ones', async () => {
    const [integration] = (await request({ method: 'GET', url: '/api/v1/integrations', token: admin })).json() as Array<{ id: string }>;
    const wrong = await request({ method: 'PATCH', url: `/api/v1/integrations/${integration!.id}`, token: admin, payload: { credentials: { username: jenkins.user, api_token: 'wrong-token' } } });
    expect(wrong.statusCode).toBe(400);
    expect((await request({ method: 'POST', url: `/api/v1/integrations/${integration!.id}/test`, token: admin })).json()).toMatchObject({ ok: true });

    const disabled = await request({ method: 'PATCH', url: `/api/v1/integrations/${integration!.id}`, token: admin, payload: { status: 'disabled' } });
    expect(disabled.json()).toMatchObject({ status: 'disabled' });
    llm.reset({ rules: [{ match: { sequence: 1 }, reply: 'ok' }] });
    await chat(admin, 'hello');
    expect(llm.calls[0]!.toolNames.some((name) => name.startsWith('jenkins_'))).toBe(false);

    expect((await request({ method: 'DELETE', url: `/api/v1/integrations/${integration!.id}`, token: admin })).statusCode).toBe(204);
    expect(await query('select id from integrations')).toEqual([]);
    const actions = ((await query("select action from audit_events where action like 'integration.%' order by sequence")) as Array<{ action: string }>).map((entry) => entry.action);
    expect(actions).toEqual(['integration.created', 'integration.updated', 'integration.deleted']);
  });

  it('never wrote the token to the log', () => {
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.join('\n')).not.toContain(jenkinsToken);
  });
});

/**
 * INTEGRATIONS_BACKEND=kubernetes (issue 8, as Skyflo stores them): the Jenkins credentials live in a Secret in
 * INTEGRATIONS_SECRET_NAMESPACE (keys url, username, api-token), written and deleted by the engine; the database keeps
 * only the reference; the MCP server reads the Secret itself, so nothing secret travels with a tool call.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import type { ToolGateway } from '../../src/platform/ports/tool-gateway.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

const run = promisify(execFile);
const jenkinsToken = 'jenkins-token-in-a-secret-5c2d';
const namespace = 'skyflo-integrations';
let dir: string;
let kubeconfig: string;
let kube: KubeSim;
let jenkins: JenkinsSim;
let llm: LlmSim;
let lite: PGlite;
let query: (text: string) => Promise<unknown[]>;
let tools: ToolGateway;
let engine: TestEngine;
let admin: string;

const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(dir, 'cache') } })).stdout.trim();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-integrations-k8s-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  await kubectl('create', 'namespace', namespace);
  jenkins = await startJenkinsSim({ token: jenkinsToken, scenario: { jobs: [{ type: 'pipeline', name: 'deploy-checkout', builds: [{ result: 'FAILURE' }] }] } });
  llm = await startLlmSim({ port: 0 });
  ({ lite, query } = await createTestPglite());
  tools = createToolGateway({ embedded: { kubeconfigPath: kubeconfig, integrationsNamespace: namespace } });
  engine = await startTestEngine({
    lite,
    tools,
    llm: simModel(llm),
    env: { TITLE_GENERATION_ENABLED: 'false', INTEGRATIONS_BACKEND: 'kubernetes', INTEGRATIONS_SECRET_NAMESPACE: namespace, KUBECONFIG: kubeconfig },
  });
  admin = await engine.signUp('admin@example.com');
});

afterAll(async () => {
  await engine?.close();
  await tools?.close();
  await lite?.close();
  await jenkins?.close();
  await llm?.close();
  await kube?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Jenkins credentials in a Kubernetes Secret', () => {
  let id: string;

  it('writes them to a Secret in the integrations namespace and keeps only the reference in the database', async () => {
    const created = await engine.request({ method: 'POST', url: '/api/v1/integrations', token: admin, payload: { provider: 'jenkins', name: 'CI', metadata: { api_url: jenkins.url }, credentials: { username: jenkins.user, api_token: jenkinsToken } } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain(jenkinsToken);
    id = created.json().id as string;

    const secret = JSON.parse(await kubectl('get', 'secret', `skyflo-jenkins-${id}`, '-n', namespace, '-o', 'json')) as { data: Record<string, string>; metadata: { labels: Record<string, string> } };
    const decoded = Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
    expect(decoded).toEqual({ url: jenkins.url, username: jenkins.user, 'api-token': jenkinsToken });
    expect(secret.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'skyflo', 'skyflo.ai/integration': id });
    const rows = await query('select credentials_sealed from integrations');
    expect(rows).toEqual([{ credentials_sealed: `k8s:${namespace}/skyflo-jenkins-${id}` }]);
    expect((await engine.request({ method: 'POST', url: `/api/v1/integrations/${id}/test`, token: admin })).json()).toMatchObject({ ok: true, user: jenkins.user });
  });

  it('a Jenkins call names the Secret, and the MCP server reads the credentials from it', async () => {
    llm.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'jenkins', include_write_tools: false } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_jobs', name: 'jenkins_get_jobs', arguments: {} }] } },
        { match: { toolName: 'jenkins_get_jobs' }, reply: 'deploy-checkout is red.' },
      ],
    });
    const response = await engine.request({ method: 'POST', url: '/api/v1/agent/chat', token: admin, payload: { messages: [{ role: 'user', content: 'how is CI?' }] } });
    const frames = await readSse(new Response(response.body));
    const result = frames.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'jenkins_get_jobs');
    expect(JSON.stringify(result?.data['result'])).toContain('deploy-checkout');
    expect(jenkins.calls.some((call) => call.user === jenkins.user && call.status === 200)).toBe(true);
    expect(JSON.stringify(frames)).not.toContain(jenkinsToken);
  });

  it('new credentials replace the Secret; deleting the integration deletes it', async () => {
    const renamed = await engine.request({ method: 'PATCH', url: `/api/v1/integrations/${id}`, token: admin, payload: { credentials: { username: jenkins.user, api_token: jenkinsToken } } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect((await engine.request({ method: 'DELETE', url: `/api/v1/integrations/${id}`, token: admin })).statusCode).toBe(204);
    await expect(kubectl('get', 'secret', `skyflo-jenkins-${id}`, '-n', namespace)).rejects.toThrow(/NotFound/);
    expect(await query('select id from integrations')).toEqual([]);
  });
});

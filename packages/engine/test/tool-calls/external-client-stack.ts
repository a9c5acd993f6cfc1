/**
 * The stack the external-MCP-client suites (issue 77 item 2: URL mode, and the long wait as a task) share: kube-sim
 * with deployment shop-less `default/web` at 2 replicas (read back with the real kubectl), the real MCP server over
 * HTTP twice (the engine's trusted connection, and the one the IDE calls with `--confirm=skyflo`), the engine on PGlite
 * listening on a loopback port, llm-sim (never asked: external calls have no model turn), a person (`ops@…`) with a
 * `chat`-only API token the MCP server proposes with, and an OpenID provider issuing a second kind of principal (the
 * OAuth client "desktop") beside the client token's holder; the team's Slack channel (slack-sim), where approval cards
 * are posted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startMcpHttpServer, type McpHttpServer } from '@skyflo/mcp-server';
import { startKubeSim } from '@skyflo/sandbox/kube-sim';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startOidcProvider } from '@skyflo/testkit/oidc-provider';
import { startSlackSim, type SlackSim } from '@skyflo/testkit/slack-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { expect } from 'vitest';
import { createToolGateway } from '../../src/adapters/mcp/create-tool-gateway.ts';
import { readSse } from '../../src/testing/read-sse.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';

/** the Command Center's public address (PUBLIC_URL): the approval pages are on it, and passkeys are bound to it */
export const ORIGIN = 'http://localhost:5173';
export const clientToken = 'ide-client-token';

export interface ExternalClientStack {
  engine: TestEngine;
  sim: LlmSim;
  ideMcp: McpHttpServer;
  /** the engine's loopback address */
  baseUrl: string;
  /** the person's session (approves on the page) */
  session: string;
  /** the API token the MCP server proposes with (`chat` only) */
  proposerToken: string;
  /** the team's Slack channel C_OPS (connected by the person, an admin) */
  slack: SlackSim;
  /** kube-sim's kubeconfig (for another MCP server on the same cluster: a replica, a restarted process) */
  kubeconfig: string;
  /** the OpenID provider whose access tokens the IDE's MCP server accepts (audience: ideMcp.url) */
  oauthIssuer: string;
  kubectl(...args: string[]): Promise<string>;
  replicas(): Promise<number>;
  api(token: string | undefined, method: 'GET' | 'POST' | 'PUT', pathname: string, body?: unknown): Promise<{ status: number; json: () => Promise<any>; response: Response }>;
  /** What the approval page does: the call's facts from the queue, then the decision (its SSE stream read to the end). */
  decide(callId: string, approve: boolean): Promise<void>;
  awaitingCalls(): Promise<Array<{ call_id: string; conversation_id: string }>>;
  /** An access token for the IDE's MCP server from the OpenID provider (client credentials, RFC 8707 resource). */
  oauthToken(): Promise<string>;
  close(): Promise<void>;
}

export async function startExternalClientStack(options: { engineEnv?: Record<string, string>; engineApprovals?: { taskPollMs?: number } } = {}): Promise<ExternalClientStack> {
  const closers: Array<() => Promise<unknown>> = [];
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-external-call-'));
  closers.push(() => rm(directory, { recursive: true, force: true }));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } })).stdout.trim();
  const kube = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig });
  closers.push(() => kube.close());
  const manifest = path.join(directory, 'web.yaml');
  await writeFile(manifest, 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n');
  await kubectl('apply', '-f', manifest);
  const engineMcp = await startMcpHttpServer({ port: 0, authToken: 'engine-mcp-token', settings: { kubeconfigPath: kubeconfig, kubectlPath } });
  closers.push(() => engineMcp.close());
  const sim = await startLlmSim({ port: 0 });
  closers.push(() => sim.close());
  const lite = await newTestPglite();
  closers.push(() => lite.close());
  const engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', PUBLIC_URL: ORIGIN, ...options.engineEnv }, llm: simModel(sim), tools: createToolGateway({ url: engineMcp.url, authToken: 'engine-mcp-token' }) });
  closers.push(() => engine.close());
  const baseUrl = await engine.engine.app.listen({ port: 0, host: '127.0.0.1' });
  const api: ExternalClientStack['api'] = async (token, method, pathname, body) => {
    const response = await fetch(`${baseUrl}/api/v1${pathname}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, json: () => response.json(), response };
  };
  const session = await engine.signUp('ops@example.com');
  const created = await api(session, 'POST', '/auth/tokens', { name: 'skyflo mcp for my IDE', scopes: ['chat'], expires_in_days: 1 });
  expect(created.status).toBe(201);
  const proposerToken = (await created.json()).token as string;
  const slack = await startSlackSim({ botToken: 'xoxb-external-calls' });
  closers.push(() => slack.close());
  const connected = await api(session, 'POST', '/integrations', { provider: 'slack', name: 'ops', metadata: { channel: 'C_OPS', api_url: slack.apiUrl }, credentials: { bot_token: 'xoxb-external-calls', signing_secret: 'slack-signing-secret-0123456789' } });
  expect(connected.status).toBe(201);
  const oauthProvider = await startOidcProvider({ clients: [{ clientId: 'desktop', clientSecret: 'desktop-secret', redirectUris: [], grantTypes: ['client_credentials'], scope: 'mcp:tools' }], users: {}, resourceServers: { scopes: ['mcp:tools'] } });
  closers.push(() => oauthProvider.close());
  const ideMcp = await startMcpHttpServer({
    port: 0,
    clientToken,
    oauth: { issuer: oauthProvider.issuer, requiredScopes: ['mcp:tools'] },
    confirm: 'skyflo',
    engineApprovals: { url: baseUrl, token: proposerToken, waitMs: 3_000, pollMs: 50, ...options.engineApprovals },
    settings: { kubeconfigPath: kubeconfig, kubectlPath },
  });
  closers.push(() => ideMcp.close());
  const awaitingCalls = async () => (await (await api(session, 'GET', '/approvals/pending')).json()).data;

  return {
    engine,
    sim,
    ideMcp,
    baseUrl,
    session,
    proposerToken,
    slack,
    kubeconfig,
    oauthIssuer: oauthProvider.issuer,
    kubectl,
    replicas: async () => Number(await kubectl('get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}')),
    api,
    async decide(callId, approve) {
      const item = (await awaitingCalls()).find((entry: { call_id: string }) => entry.call_id === callId) as { conversation_id: string; args_hash: string } | undefined;
      expect(item, `call ${callId} in the queue`).toBeDefined();
      const decided = await api(session, 'POST', `/agent/approvals/${callId}`, { approve, conversation_id: item!.conversation_id, ...(approve ? { args_hash: item!.args_hash } : { reason: 'not during the sale' }) });
      expect(decided.status).toBe(200);
      await readSse(decided.response);
    },
    awaitingCalls,
    async oauthToken() {
      const discovery = (await (await fetch(`${oauthProvider.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
      const response = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('desktop:desktop-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: ideMcp.url, scope: 'mcp:tools' }),
      });
      return ((await response.json()) as { access_token: string }).access_token;
    },
    async close() {
      for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    },
  };
}

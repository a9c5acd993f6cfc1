/**
 * GET /api/v1/health answers anyone (kubelet probes, load balancers), and a failing component's reason names what an
 * attacker maps a network with: the clusters' names and API server addresses, kubeconfig paths, database hosts. It
 * was shown to every anonymous caller. Now a failing component reads just `error` unless the caller is signed in (a
 * session's access token, checked by its signature alone so it works while the database is down); the engine's log
 * keeps every reason. An API token, a forged or an expired token count as anonymous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PGlite } from '@electric-sql/pglite';
import { SignJWT } from 'jose';
import type { ToolGateway, ToolInfo } from '../../src/platform/ports/tool-gateway.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createTestPglite } from '../support/test-databases.ts';

/** what the unreachable cluster's reason carries: an internal address and a kubeconfig path */
const internalDetail = 'kubeconfig /home/ops/.kube/prod-eu.yaml: context prod-eu: dial tcp 10.96.40.7:6443: i/o timeout';

const listClusters: ToolInfo = { name: 'list_clusters', title: 'List clusters', description: '', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true }, tags: [], toolset: 'k8s' };

/** One reachable cluster and one that is not, as the MCP server lists them. */
const tools: ToolGateway = {
  listTools: async () => [listClusters],
  callTool: async ({ name }) => {
    if (name !== 'list_clusters') return { text: `no tool ${name}`, isError: true };
    const clusters = [
      { name: 'staging', server: 'https://10.96.0.1:6443', context: 'staging', current: true, reachable: true },
      { name: 'prod-eu', server: 'https://10.96.40.7:6443', context: 'prod-eu', current: false, reachable: false, error: internalDetail },
    ];
    return { text: JSON.stringify({ clusters }), isError: false, structured: { clusters } };
  },
  preview: async () => undefined,
  close: async () => {},
};

let lite: PGlite;
let engine: TestEngine;
let sessionToken: string;
let apiToken: string;

beforeAll(async () => {
  ({ lite } = await createTestPglite());
  engine = await startTestEngine({ lite, tools, env: { JWT_SECRET: 'health-reasons-test-secret-of-32-bytes!!' } });
  sessionToken = await engine.signUp('ops@example.com');
  const created = await engine.request({ method: 'POST', url: '/api/v1/auth/tokens', token: sessionToken, payload: { name: 'monitoring', scopes: ['audit:read'] } });
  expect(created.statusCode).toBe(201);
  apiToken = created.json().token;
});

afterAll(async () => {
  await engine?.close();
  if (!lite?.closed) await lite?.close();
});

const health = (authorization?: string) => engine.request({ method: 'GET', url: '/api/v1/health', ...(authorization ? { headers: { authorization } } : {}) });

describe('GET /health: why a component fails, for signed-in users only', () => {
  it('an anonymous caller learns that the clusters fail, not which, where or why', async () => {
    const answer = await health();
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    expect(body).toMatchObject({ status: 'degraded', components: { database: 'ok', bus: 'ok', clusters: 'error' }, reasons: expect.stringContaining('signed-in users') });
    const text = answer.body;
    for (const secret of ['10.96.40.7', 'prod-eu', '/home/ops', 'i/o timeout']) expect(text).not.toContain(secret);
  });

  it('a signed-in user reads the reason (the home page explains an unreachable cluster with it)', async () => {
    const body = (await health(`Bearer ${sessionToken}`)).json();
    expect(body.status).toBe('degraded');
    expect(body.components.clusters).toBe(`error: prod-eu unreachable (${internalDetail})`);
    expect(body.reasons).toBeUndefined();
  });

  it('an API token, a forged token and an expired one count as anonymous', async () => {
    const forged = await new SignJWT({ email: 'ops@example.com', role: 'admin', sv: 0 }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setAudience('skyflo:auth').setExpirationTime('5m').sign(new TextEncoder().encode('not-the-engine-secret-not-the-engine-secret'));
    const expired = await new SignJWT({ email: 'ops@example.com', role: 'admin', sv: 0 }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setAudience('skyflo:auth').setIssuedAt(1_700_000_000).setExpirationTime(1_700_000_900).sign(new TextEncoder().encode('health-reasons-test-secret-of-32-bytes!!'));
    for (const token of [apiToken, forged, expired]) {
      const answer = await health(`Bearer ${token}`);
      expect(answer.json().components.clusters).toBe('error');
      expect(answer.body).not.toContain('10.96.40.7');
    }
  });

  it('while the database is down, an anonymous caller learns that it is down and a signed-in user why', async () => {
    await lite.close();
    const anonymous = await health();
    expect(anonymous.json()).toMatchObject({ status: 'degraded', components: { database: 'error' }, reasons: expect.any(String) });
    const database = (await engine.request({ method: 'GET', url: '/api/v1/health/database' })).json();
    expect(database).toMatchObject({ status: 'error', database: 'disconnected' });
    expect(database.error).toBeUndefined();
    // the session's token is checked without the database, so the person on call still reads why
    const signedIn = (await health(`Bearer ${sessionToken}`)).json();
    expect(signedIn.components.database).toMatch(/^error: .+/);
    const databaseSignedIn = (await engine.request({ method: 'GET', url: '/api/v1/health/database', token: sessionToken })).json();
    expect(databaseSignedIn.error).toEqual(expect.any(String));
  });
});

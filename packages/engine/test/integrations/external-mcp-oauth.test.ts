/**
 * Issue 77 item 3: an admin connects an external MCP server that requires OAuth (MCP authorization spec 2026-07-28).
 * Real parts: the whole engine (PGlite), its client ID metadata document served over loopback TLS at its https
 * PUBLIC_URL (a self-signed certificate only the test's authorization server trusts), the repo's real OpenID provider
 * (oidc-provider, CIMD enabled, `iss` in authorization responses) as the authorization server, its development login
 * form as the admin's browser step, and the tiny MCP server fixture as the protected resource (RFC 9728 metadata, JWT
 * access tokens checked against the provider's keys), with llm-sim as the model.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { newTestPglite } from '../support/test-databases.ts';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startOidcProvider, type TestOidcProvider } from '@skyflo/testkit/oidc-provider';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import { createOidcBrowser } from '../support/oidc-browser.ts';
import { simModel, startTestEngine, type TestEngine } from '../support/test-engine.ts';

const fixture = fileURLToPath(new URL('../fixtures/external-mcp/tiny-mcp-server.mjs', import.meta.url));
const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-external-mcp-oauth-'));
const stateFile = path.join(directory, 'state.json');
const tokensFile = path.join(directory, 'tokens.jsonl');
const metadataPath = '/api/v1/integrations/mcp-servers/oauth/client-metadata.json';
const accessTokenSeconds = 4;

let sim: LlmSim;
let lite: PGlite;
let engine: TestEngine;
/** a second engine on the same database, as a replica behind a load balancer */
let replica: TestEngine;
let tls: Server;
let publicUrl: string;
let provider: TestOidcProvider;
let otherProvider: TestOidcProvider;
let resourceServer: ChildProcess | undefined;
let serverUrl: string;
let admin: string;
let otherAdmin: string;
let ann: string;
let serverId: string;
/** every API answer the test received: no token may be in any of them */
const answers: string[] = [];

const call = async (token: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>, at: TestEngine = engine) => {
  const response = await at.request({ method, url: `/api/v1${url}`, token, ...(payload ? { payload } : {}) });
  answers.push(response.body, JSON.stringify(response.headers));
  return response;
};
/** The callback as the admin's browser reaches it: the engine's path, with that admin's session cookie. */
const callback = async (sessionToken: string, url: string, at: TestEngine = engine) => {
  const parsed = new URL(url);
  const response = await at.request({ method: 'GET', url: parsed.pathname + parsed.search, cookies: { auth_token: sessionToken } });
  answers.push(response.body, JSON.stringify(response.headers));
  return response;
};
const accepted = () => (existsSync(tokensFile) ? readFileSync(tokensFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { jti: string; iss: string; token: string }) : []);
const storedRows = async () => (await lite.query<{ issuer: string; tokens_sealed: string | null; client_sealed: string | null }>('SELECT issuer, tokens_sealed, client_sealed FROM external_mcp_oauth_credentials WHERE server_id = $1', [serverId])).rows;

/**
 * The admin's browser at the authorization server: opens the authorization URL, signs in on the provider's login
 * form, and stops where the provider sends it back to Skyflo (the callback URL, returned unvisited so a test can play
 * the honest admin or an attacker with it).
 */
async function authorize(authorizationUrl: string, at: TestOidcProvider = provider): Promise<URL> {
  let sentBack: string | undefined;
  const stopAtSkyflo = { request: async (options: { url: string }) => ((sentBack = options.url), { statusCode: 200, body: '', headers: {} }) };
  const browser = createOidcBrowser(stopAtSkyflo as unknown as TestEngine, publicUrl);
  const form = await browser.visit(authorizationUrl);
  expect(form.url.origin).toBe(at.issuer);
  expect(form.body).toMatch(/name="login"/);
  let landed = await browser.submitForm(form, { login: 'operator', password: 'any' });
  // the provider's consent page (the resource's scopes, offline access): the admin presses Continue
  if (!sentBack && /name="prompt" value="consent"/.test(landed.body)) landed = await browser.submitForm(landed, {});
  expect(sentBack, `the provider never sent the browser back to Skyflo: ${landed.url.href} ${landed.body.replace(/<style>[\s\S]*<\/style>/, "").slice(0, 1500)}`).toBeDefined();
  return new URL(sentBack!, publicUrl);
}

/** The tiny MCP server as a protected resource of `issuer` (see the fixture's header). */
async function startResourceServer(issuer: string, state: string): Promise<{ process: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fixture, '--http'], { env: { PATH: process.env.PATH ?? '', TINY_OAUTH_ISSUER: issuer, TINY_STATE: state, TINY_TOKENS: tokensFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const port = await vi.waitFor(() => /listening (\d+)/.exec(out)?.[1] ?? Promise.reject(new Error('not listening yet')), { timeout: 20_000, interval: 50 });
  return { process: child, url: `http://127.0.0.1:${port}/mcp` };
}

async function start(token = admin): Promise<string> {
  const started = await call(token, 'POST', `/integrations/mcp-servers/${serverId}/oauth/start`, {});
  expect(started.statusCode, started.body).toBe(200);
  return started.json().authorization_url as string;
}

beforeAll(async () => {
  // The engine's public address over TLS: a self-signed certificate for 127.0.0.1, trusted only by the provider below.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(directory, 'key.pem'), '-out', path.join(directory, 'cert.pem'), '-days', '1', '-subj', '/CN=skyflo-test', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(path.join(directory, 'cert.pem'), 'utf8');
  tls = createHttpsServer({ cert, key: readFileSync(path.join(directory, 'key.pem'), 'utf8') }, (req, res) => {
    void engine.request({ method: 'GET', url: req.url ?? '/' }).then((answer) => res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'text/plain') }).end(answer.body));
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  publicUrl = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;

  const trusting = new Agent({ connect: { ca: cert } });
  const cimd = { fetch: (url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: trusting }) as unknown as Promise<Response> };
  const users = { operator: { email: 'operator@acme.test', name: 'Operator', groups: [] } };
  provider = await startOidcProvider({ clients: [], users, resourceServers: { scopes: ['mcp:tools'], ttlSeconds: accessTokenSeconds }, refreshTokens: true, clientIdMetadataDocument: cimd });
  otherProvider = await startOidcProvider({ clients: [], users, resourceServers: { scopes: ['mcp:tools'] }, refreshTokens: true, clientIdMetadataDocument: cimd });

  writeFileSync(stateFile, '{}');
  ({ process: resourceServer, url: serverUrl } = await startResourceServer(provider.issuer, stateFile));

  sim = await startLlmSim({ port: 0 });
  lite = await newTestPglite();
  engine = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', PUBLIC_URL: publicUrl }, llm: simModel(sim) });
  replica = await startTestEngine({ lite, env: { TITLE_GENERATION_ENABLED: 'false', PUBLIC_URL: publicUrl }, llm: simModel(sim) });
  admin = await engine.signUp('admin@example.com');
  for (const [email, role] of [['second@example.com', 'admin'], ['ann@example.com', 'approver']] as const) {
    const added = await call(admin, 'POST', '/team/members', { email, role, password: 'Correct-Horse-4242-x' });
    expect(added.statusCode, added.body).toBe(201);
  }
  const login = async (email: string) => (await engine.login(email, 'Correct-Horse-4242-x')).json().access_token as string;
  [otherAdmin, ann] = [await login('second@example.com'), await login('ann@example.com')];
}, 90_000);

afterAll(async () => {
  resourceServer?.kill('SIGTERM');
  await engine?.close();
  await replica?.close();
  await lite?.close();
  await sim?.close();
  await Promise.all([provider?.close(), otherProvider?.close()]);
  await new Promise((resolve) => tls?.close(resolve));
});

describe("Skyflo's client ID metadata document", () => {
  it('is public JSON at its https public address, naming itself as client_id and the callback as its redirect URI', async () => {
    const response = await undiciFetch(`${publicUrl}${metadataPath}`, { dispatcher: new Agent({ connect: { ca: readFileSync(path.join(directory, 'cert.pem'), 'utf8') } }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      client_id: `${publicUrl}${metadataPath}`,
      client_name: 'Skyflo',
      redirect_uris: [`${publicUrl}/api/v1/integrations/mcp-servers/oauth/callback`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'web',
    });
  });
});

describe('an MCP server that requires OAuth', () => {
  it('is saved by an admin with auth: oauth, and says it needs a sign-in; a non-admin cannot start one', async () => {
    const input = { name: 'tiny', toolset: 'tinyops', transport: { type: 'http', url: serverUrl, auth: { type: 'oauth' } } };
    expect((await call(ann, 'POST', '/integrations/mcp-servers', input)).statusCode).toBe(403);
    const created = await call(admin, 'POST', '/integrations/mcp-servers', input);
    expect(created.statusCode, created.body).toBe(201);
    serverId = created.json().id;
    expect(created.json()).toMatchObject({ status: 'error', transport: { type: 'http', oauth: { signed_in: false } } });
    expect(created.json().error).toMatch(/needs OAuth authorization: an admin must sign in/);
    const refused = await call(ann, 'POST', `/integrations/mcp-servers/${serverId}/oauth/start`, {});
    expect(refused.statusCode).toBe(403);
  });

  it("refuses a callback with another admin's state, and that state is then burnt for its own admin too", async () => {
    const returned = await authorize(await start(admin));
    expect(returned.pathname).toBe('/api/v1/integrations/mcp-servers/oauth/callback');
    const foreign = await callback(otherAdmin, returned.href);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().detail).toMatch(/started by another admin/);
    const late = await callback(admin, returned.href);
    expect(late.statusCode).toBe(400);
    expect(late.json().detail).toMatch(/unknown, used already or expired/);
    expect((await storedRows()).filter((row) => row.tokens_sealed)).toEqual([]);
  });

  it('refuses a response naming another issuer, or none, since the provider advertises iss (mix-up): nothing stored', async () => {
    // the provider sends iss (RFC 9207) and says so in its metadata
    const returned = await authorize(await start());
    expect(returned.searchParams.get('iss')).toBe(provider.issuer);
    const forged = new URL(returned);
    forged.searchParams.set('iss', otherProvider.issuer);
    const mixedUp = await callback(admin, forged.href);
    expect(mixedUp.statusCode).toBe(400);
    expect(mixedUp.json().detail).toMatch(/mix-up/);

    const again = await authorize(await start());
    const withoutIss = new URL(again);
    withoutIss.searchParams.delete('iss');
    expect((await callback(admin, withoutIss.href)).statusCode).toBe(400);
    expect((await storedRows()).filter((row) => row.tokens_sealed)).toEqual([]);
    expect(accepted()).toEqual([]);
  });

  it('signs in (CIMD client id, PKCE) — the redirect back reaching another replica — stores the tokens sealed under the issuer, lists the tools and runs a read tool with the token', async () => {
    const authorizationUrl = new URL(await start());
    // the client id the provider was given is Skyflo's CIMD URL (no registration), with PKCE
    expect(authorizationUrl.searchParams.get('client_id')).toBe(`${publicUrl}${metadataPath}`);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(serverUrl);
    const returned = await authorize(authorizationUrl.href);
    // the sign-in in progress is in the database, and holds neither the state nor the PKCE verifier in clear
    const [pending] = (await lite.query<{ state_hash: string; leg_sealed: string }>('SELECT state_hash, leg_sealed FROM external_mcp_oauth_sign_ins WHERE server_id = $1', [serverId])).rows;
    const state = returned.searchParams.get('state')!;
    expect(pending!.state_hash).not.toContain(state);
    expect(pending!.leg_sealed).not.toContain(state);
    // started on one engine, finished on the other (a load balancer without sticky sessions)
    const finished = await callback(admin, returned.href, replica);
    expect(finished.statusCode, finished.body).toBe(303);
    expect(finished.headers.location).toBe(`${publicUrl}/integrations?mcp_server=${serverId}&oauth=signed_in`);
    // reused, the same response is refused, on either engine
    expect((await callback(admin, returned.href)).statusCode).toBe(400);
    expect((await callback(admin, returned.href, replica)).statusCode).toBe(400);
    expect((await lite.query('SELECT 1 FROM external_mcp_oauth_sign_ins WHERE server_id = $1', [serverId])).rows).toEqual([]);

    // the replica that took the redirect connected with the new tokens at once
    const listed = await call(admin, 'GET', '/integrations/mcp-servers', undefined, replica);
    const server = listed.json().data[0];
    expect(server).toMatchObject({ status: 'connected', transport: { oauth: { signed_in: true, issuer: provider.issuer } } });
    expect(server.tools.map((tool: { name: string }) => tool.name)).toEqual(['tiny__get_status', 'tiny__deploy', 'tiny__k8s_delete']);

    sim.reset({
      rules: [
        { match: { sequence: 1 }, reply: { toolCalls: [{ id: 'call_load', name: 'load_toolset', arguments: { toolset: 'tinyops', include_write_tools: false } }] } },
        { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ id: 'call_status', name: 'tiny__get_status', arguments: { app: 'shop' } }] } },
        { match: { toolName: 'tiny__get_status' }, reply: 'Healthy.' },
      ],
    });
    const chat = await call(admin, 'POST', '/agent/chat', { messages: [{ role: 'user', content: 'is shop healthy?' }] }, replica);
    const frames = await readSse(new Response(chat.body));
    const result = frames.find((frame) => frame.event === 'tool.result' && frame.data['tool'] === 'tiny__get_status');
    expect(JSON.stringify(result?.data), JSON.stringify(frames.map((frame) => [frame.event, frame.data]))).toContain('app shop is healthy');
    // the server saw the provider's token (for this resource), and the database holds it only sealed, under its issuer
    const tokens = accepted();
    expect(tokens.length).toBeGreaterThan(0);
    expect(new Set(tokens.map((token) => token.iss))).toEqual(new Set([provider.issuer]));
    const rows = await storedRows();
    expect(rows.map((row) => row.issuer)).toEqual([provider.issuer]);
    for (const token of tokens) expect(rows[0]!.tokens_sealed).not.toContain(token.token);
  });

  it('refreshes an expired access token without a new sign-in', async () => {
    const before = new Set(accepted().map((token) => token.jti));
    await new Promise((resolve) => setTimeout(resolve, (accessTokenSeconds + 1) * 1000));
    const tested = await call(admin, 'POST', `/integrations/mcp-servers/${serverId}/test`);
    expect(tested.json(), tested.body).toMatchObject({ ok: true, tools: 3 });
    const fresh = accepted().filter((token) => !before.has(token.jti));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((token) => token.iss === provider.issuer)).toBe(true);
  }, 20_000);

  it('never sends tokens to another issuer the server names later: it asks for a new sign-in instead', async () => {
    writeFileSync(stateFile, JSON.stringify({ oauthIssuer: otherProvider.issuer }));
    const tested = await call(admin, 'POST', `/integrations/mcp-servers/${serverId}/test`);
    expect(tested.json().ok).toBe(false);
    expect(tested.json().error).toContain(`now names the authorization server ${otherProvider.issuer}`);
    expect(tested.json().error).toMatch(/does not send them to another issuer/);
    // nothing was registered or stored for the new issuer
    expect((await storedRows()).map((row) => row.issuer)).toEqual([provider.issuer]);
    writeFileSync(stateFile, '{}');
  });

  it('never answers a token: not in any API answer or header, nor in the audit trail', async () => {
    await call(admin, 'GET', '/audit?action=external_mcp.oauth_signed_in');
    const all = answers.join('\n');
    const tokens = accepted();
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(all).not.toContain(token.token);
  });
});

describe('an engine without an https public address', () => {
  it('refuses to start an OAuth sign-in and says PUBLIC_URL must be https', async () => {
    const plainLite = await newTestPglite();
    const plain = await startTestEngine({ lite: plainLite, env: { TITLE_GENERATION_ENABLED: 'false', PUBLIC_URL: 'http://skyflo.internal:8080' } });
    try {
      const token = await plain.signUp('admin@example.com');
      const created = await plain.request({ method: 'POST', url: '/api/v1/integrations/mcp-servers', token, payload: { name: 'tiny', toolset: 'tinyops', transport: { type: 'http', url: serverUrl, auth: { type: 'oauth' } } } });
      expect(created.statusCode, created.body).toBe(201);
      const started = await plain.request({ method: 'POST', url: `/api/v1/integrations/mcp-servers/${created.json().id}/oauth/start`, token, payload: {} });
      expect(started.statusCode).toBe(409);
      expect(started.json().detail).toMatch(/needs Skyflo's public address over https \(set PUBLIC_URL=https:\/\/…\).*now http:\/\/skyflo\.internal:8080/);
    } finally {
      await plain.close();
      await plainLite.close();
    }
  });
});

describe('an authorization server without CIMD', () => {
  it('gets a dynamically registered client (RFC 7591) instead, kept under its own issuer', async () => {
    const dcrProvider = await startOidcProvider({ clients: [], users: { operator: { email: 'operator@acme.test', name: 'Operator', groups: [] } }, resourceServers: { scopes: ['mcp:tools'] }, refreshTokens: true, registration: true });
    const dcrState = path.join(directory, 'dcr-state.json');
    writeFileSync(dcrState, '{}');
    const dcrServer = await startResourceServer(dcrProvider.issuer, dcrState);
    try {
      const metadata = (await (await fetch(`${dcrProvider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata['client_id_metadata_document_supported']).toBeUndefined();
      expect(metadata['registration_endpoint']).toBeDefined();
      const created = await call(admin, 'POST', '/integrations/mcp-servers', { name: 'tiny-dcr', toolset: 'dcrops', transport: { type: 'http', url: dcrServer.url, auth: { type: 'oauth' } } });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      const started = await call(admin, 'POST', `/integrations/mcp-servers/${id}/oauth/start`, {});
      expect(started.statusCode, started.body).toBe(200);
      const authorizationUrl = new URL(started.json().authorization_url as string);
      expect(authorizationUrl.origin).toBe(dcrProvider.issuer);
      // a registered id, not Skyflo's CIMD URL (this server would not fetch it)
      expect(authorizationUrl.searchParams.get('client_id')).not.toBe(`${publicUrl}${metadataPath}`);
      const finished = await callback(admin, (await authorize(authorizationUrl.href, dcrProvider)).href);
      expect(finished.statusCode, finished.body).toBe(303);
      const server = (await call(admin, 'GET', '/integrations/mcp-servers')).json().data.find((candidate: { id: string }) => candidate.id === id);
      expect(server).toMatchObject({ status: 'connected', transport: { oauth: { signed_in: true, issuer: dcrProvider.issuer } } });
      const rows = (await lite.query<{ issuer: string }>('SELECT issuer FROM external_mcp_oauth_credentials WHERE server_id = $1', [id])).rows;
      expect(rows.map((row) => row.issuer)).toEqual([dcrProvider.issuer]);
    } finally {
      dcrServer.process.kill('SIGTERM');
      await dcrProvider.close();
    }
  });
});

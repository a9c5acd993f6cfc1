/**
 * The MCP server as an OAuth 2.1 protected resource (issue 39; MCP authorization spec, RFC 9728): a remote MCP client
 * discovers where to sign in from the server itself, gets an access token from the repo's real OpenID provider
 * (oidc-provider, client credentials with a resource indicator), and connects with it. Tokens for another audience,
 * from another issuer, expired, or without the required scope are refused with the status and WWW-Authenticate the
 * spec names. An OAuth client is untrusted: no impersonation, and its changes go through --confirm; the engine token
 * and the client token keep working as before on the same server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { discoverOAuthProtectedResourceMetadata } from '@modelcontextprotocol/sdk/client/auth.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mcpMetaKeys } from '@skyflo/protocol';
import { startOidcProvider, type TestOidcProvider } from '@skyflo/testkit/oidc-provider';
import { startMcpHttpServer, type McpHttpServer } from '../../src/start-mcp-http-server.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

const engineToken = 'engine-token-for-oauth-suite';
const clientToken = 'client-token-for-oauth-suite';
const requiredScope = 'mcp:tools';

let harness: KubeHarness;
let provider: TestOidcProvider;
let otherProvider: TestOidcProvider;
let server: McpHttpServer;
let signingKey: CryptoKey;
const kid = 'suite-key';
const clients: Client[] = [];

const machineClients = [
  { clientId: 'desktop', clientSecret: 'desktop-secret', redirectUris: [], grantTypes: ['client_credentials'], scope: 'mcp:tools mcp:other' },
  { clientId: 'narrow', clientSecret: 'narrow-secret', redirectUris: [], grantTypes: ['client_credentials'], scope: 'mcp:other' },
];

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  signingKey = privateKey;
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  provider = await startOidcProvider({ clients: machineClients, users: {}, resourceServers: { scopes: ['mcp:tools', 'mcp:other'] }, jwks: { keys: [jwk] } });
  otherProvider = await startOidcProvider({ clients: machineClients, users: {}, resourceServers: { scopes: ['mcp:tools', 'mcp:other'] } });
  server = await startMcpHttpServer({ deps: harness.deps, authToken: engineToken, clientToken, oauth: { issuer: provider.issuer, requiredScopes: [requiredScope] } });
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await server?.close();
  await Promise.all([provider?.close(), otherProvider?.close()]);
  await harness?.close();
});

/** An access token from a provider's token endpoint: client credentials, for `resource` (RFC 8707). */
async function tokenFrom(from: TestOidcProvider, options: { clientId?: string; secret?: string; resource: string; scope: string }): Promise<string> {
  const discovery = (await (await fetch(`${from.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${options.clientId ?? 'desktop'}:${options.secret ?? 'desktop-secret'}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: options.resource, scope: options.scope }),
  });
  const body = (await response.json()) as { access_token?: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.access_token!;
}

/** A token the provider's own key signs, with claims of the test's choosing. */
function signedToken(claims: { iss?: string; aud?: string; exp: number; scope?: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: claims.scope ?? requiredScope, client_id: 'desktop' })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
    .setIssuer(claims.iss ?? provider.issuer)
    .setAudience(claims.aud ?? server.url)
    .setSubject('desktop')
    .setIssuedAt(now - 600)
    .setExpirationTime(claims.exp)
    .sign(signingKey);
}

const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

function post(token: string | undefined, extraHeaders: Record<string, string> = {}, body: unknown = initialize): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: JSON.stringify(body),
  });
}

async function connectWithToken(token: string): Promise<Client> {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return client;
}

const metadataUrl = () => `${new URL(server.url).origin}/.well-known/oauth-protected-resource/mcp`;

describe('discovery', () => {
  it('publishes the protected-resource metadata an MCP client discovers', async () => {
    const response = await fetch(metadataUrl());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: server.url,
      authorization_servers: [provider.issuer],
      scopes_supported: [requiredScope],
      bearer_methods_supported: ['header'],
      resource_name: 'Skyflo MCP server',
    });
    // the MCP SDK's own client discovery finds the same document from the server URL alone
    const discovered = await discoverOAuthProtectedResourceMetadata(server.url);
    expect(discovered.authorization_servers).toEqual([provider.issuer]);
    expect(discovered.resource).toBe(server.url);
    expect(server.resourceMetadataUrl).toBe(metadataUrl());
  });

  it('answers a request without a token with 401 and a challenge naming the metadata, without an error code', async () => {
    const response = await post(undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer scope="${requiredScope}", resource_metadata="${metadataUrl()}"`);
  });
});

describe('a client with a token from the authorization server', () => {
  it('signs in with client credentials through the MCP SDK alone and lists the tools', async () => {
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    const authProvider = new ClientCredentialsProvider({ clientId: 'desktop', clientSecret: 'desktop-secret', scope: requiredScope, expectedIssuer: provider.issuer });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider }));
    clients.push(client);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('k8s_get');
    // the token the SDK obtained is the provider's, for this server (audience) and with the scope
    const token = authProvider.tokens()!.access_token;
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iss: string; aud: string; scope: string };
    expect(payload).toMatchObject({ iss: provider.issuer, aud: server.url });
    expect(payload.scope.split(' ')).toContain(requiredScope);
  });

  it('is untrusted: impersonation is refused and a change waits for confirmation it cannot give', async () => {
    const client = await connectWithToken(await tokenFrom(provider, { resource: server.url, scope: requiredScope }));
    const impersonating = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'pods' }, _meta: { [mcpMetaKeys.impersonate]: { user: 'admin', groups: ['system:masters'] } } });
    expect(impersonating.isError).toBe(true);
    expect((impersonating.content as Array<{ text: string }>)[0].text).toMatch(/only the Skyflo engine's own connection may do/);
    const change = await client.callTool({ name: 'k8s_apply', arguments: { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-oauth, namespace: default}\ndata: {a: "1"}\n' } });
    expect(change.isError).toBe(true);
    const configMaps = harness.sim.cluster.registry.byResource('', 'configmaps')!;
    expect(harness.sim.cluster.store.get(configMaps, 'default', 'from-oauth')).toBeUndefined();
    // the engine's token on the same server keeps its privileges: its change runs without being asked
    const engine = await connectWithToken(engineToken);
    const applied = await engine.callTool({ name: 'k8s_apply', arguments: { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-engine, namespace: default}\ndata: {a: "1"}\n' } });
    expect(applied.isError, JSON.stringify(applied.content)).toBeFalsy();
    expect(harness.sim.cluster.store.get(configMaps, 'default', 'from-engine')).toBeDefined();
  });

  it('keeps the static client token working, and never lets an OAuth caller use its session', async () => {
    const response = await post(clientToken);
    expect(response.status).toBe(200);
    const sessionId = response.headers.get('mcp-session-id')!;
    expect(sessionId).toBeTruthy();
    await response.body?.cancel();
    const oauthToken = await tokenFrom(provider, { resource: server.url, scope: requiredScope });
    const hijack = await post(oauthToken, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(hijack.status).toBe(404);
  });
});

describe('refused tokens', () => {
  async function expectInvalidToken(token: string, description: RegExp): Promise<void> {
    const response = await post(token);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"/);
    expect(challenge).toContain(`resource_metadata="${metadataUrl()}"`);
    expect(challenge).toMatch(description);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  }

  it('refuses a token the provider issued for another resource (audience)', async () => {
    await expectInvalidToken(await tokenFrom(provider, { resource: 'http://127.0.0.1:9/other-service', scope: requiredScope }), /not issued for this server/);
  });

  it('refuses a token from another issuer, even for this resource', async () => {
    await expectInvalidToken(await tokenFrom(otherProvider, { resource: server.url, scope: requiredScope }), /not signed by the configured authorization server/);
  });

  it('refuses an expired token signed by the provider\'s own key (and accepts the same token unexpired)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalidToken(await signedToken({ exp: now - 60 }), /expired/);
    expect((await post(await signedToken({ exp: now + 300 }))).status).toBe(200);
  });

  it('refuses a token signed by the provider\'s key but naming another issuer', async () => {
    await expectInvalidToken(await signedToken({ iss: 'https://evil.example', exp: Math.floor(Date.now() / 1000) + 300 }), /not issued by the configured authorization server/);
  });

  it('answers a token without the required scope with 403 insufficient_scope', async () => {
    const token = await tokenFrom(provider, { clientId: 'narrow', secret: 'narrow-secret', resource: server.url, scope: 'mcp:other' });
    const response = await post(token);
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer error="insufficient_scope", error_description="[^"]*mcp:tools[^"]*", scope="${requiredScope}", resource_metadata="`));
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('refuses a made-up token', async () => {
    await expectInvalidToken('not-a-jwt', /not a valid signed JWT/);
  });
});

describe('an authorization server that cannot be reached', () => {
  it('answers 503 (our failure, not the token\'s), on a server with OAuth alone', async () => {
    // a port that was just free: nothing answers there
    const closed = await startOidcProvider({ clients: [], users: {} });
    const issuer = closed.issuer;
    await closed.close();
    const lonely = await startMcpHttpServer({ deps: harness.deps, oauth: { issuer } });
    try {
      const response = await fetch(lonely.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', Authorization: `Bearer ${await signedToken({ iss: issuer, aud: lonely.url, exp: Math.floor(Date.now() / 1000) + 300 })}` },
        body: JSON.stringify(initialize),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('www-authenticate')).toBeNull();
      expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    } finally {
      await lonely.close();
    }
  });
});

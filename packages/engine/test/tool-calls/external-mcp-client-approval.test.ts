/**
 * Issue 77 item 2, URL mode, end to end: an MCP client on 2026-07-28 that knows nothing about Skyflo (the SDK v2
 * client) calls k8s_scale on `skyflo mcp --confirm=skyflo`; the MCP server hands the call to the engine's approval gate
 * (POST /agent/external-calls with the person's `chat` API token) and answers input_required with a URL-mode input:
 * the Command Center's approval page of exactly that call. The call is in GET /approvals/pending like any other; the
 * person decides it through the API (as the page does; with a software passkey where the cluster asks for one); the
 * client's retry gets the engine's result, or the denial. The call is announced (notification stream) and carded in
 * Slack (slack-sim) like any other. The attacker's spellings: other arguments on the retry, a
 * forged state, another principal's state, a retry nobody approved, the proposer's own token trying to decide.
 * Real pieces: kube-sim read back with the real kubectl, the real MCP server over HTTP (twice: the engine's trusted
 * connection, and the one the external client calls), the engine on PGlite, llm-sim (never asked: no model turn).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpHttpServer } from '@skyflo/mcp-server';
import type { LlmSim } from '@skyflo/testkit/llm-sim';
import type { SlackSim } from '@skyflo/testkit/slack-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSse } from '../../src/testing/read-sse.ts';
import type { TestEngine } from '../support/test-engine.ts';
import { createSoftwareAuthenticator } from '../support/software-authenticator.ts';
import { openNotificationStream } from '../support/team-engine.ts';
import { clientToken, ORIGIN, startExternalClientStack, type ExternalClientStack } from './external-client-stack.ts';

let stack: ExternalClientStack;
let engine: TestEngine;
let sim: LlmSim;
let ideMcp: McpHttpServer;
let baseUrl: string;
/** the person's session (approves on the page) and the API token the MCP server proposes with (`chat` only) */
let session: string;
let proposerToken: string;
let slack: SlackSim;
const closers: Array<() => Promise<unknown>> = [];

const replicas = () => stack.replicas();
const api: ExternalClientStack['api'] = (token, method, pathname, body) => stack.api(token, method, pathname, body);
const decide = (callId: string, approve: boolean) => stack.decide(callId, approve);
const awaitingCalls = () => stack.awaitingCalls();
const oauthToken = () => stack.oauthToken();

/** The external client: it knows MCP 2026-07-28 and URL elicitation, nothing of Skyflo. `onPage` is the person. */
async function externalClient(
  onPage: (page: { url: string; elicitationId?: string; message: string }) => Promise<'accept' | 'decline'>,
  fetchOverride?: typeof fetch,
  options: { bearer?: string; maxRounds?: number } = {},
): Promise<Client> {
  const client = new Client(
    { name: 'some-ide', version: '1.0.0' },
    { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } }, ...(options.maxRounds ? { inputRequired: { maxRounds: options.maxRounds } } : {}) },
  );
  client.setRequestHandler('elicitation/create', async (request) => {
    const params = request.params as { mode?: string; url: string; elicitationId?: string; message: string };
    expect(params.mode).toBe('url');
    return { action: await onPage(params) };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(ideMcp.url), { requestInit: { headers: { authorization: `Bearer ${options.bearer ?? clientToken}` } }, ...(fetchOverride ? { fetch: fetchOverride } : {}) }));
  closers.push(() => client.close());
  return client;
}

const callOf = (pageUrl: string) => {
  const url = new URL(pageUrl);
  return { callId: url.searchParams.get('call')!, conversationId: url.searchParams.get('conversation')!, url };
};

/** A fetch that rewrites the retry (the request carrying requestState) before the server reads it; `sent` sees each retry as it was. */
function rewritingRetries(rewrite: (params: Record<string, unknown>) => void, sent: (params: Record<string, unknown>) => void = () => undefined): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body === 'string') {
      const message = JSON.parse(init.body) as { params?: Record<string, unknown> };
      if (message.params?.['requestState'] !== undefined) {
        sent(structuredClone(message.params));
        rewrite(message.params);
        return fetch(input, { ...init, body: JSON.stringify(message) });
      }
    }
    return fetch(input, init);
  };
}

const textOf = (result: object) => (((result as { content?: unknown }).content as Array<{ type: string; text?: string }> | undefined) ?? []).map((part) => part.text ?? '').join('\n');

beforeAll(async () => {
  stack = await startExternalClientStack();
  ({ engine, sim, ideMcp, baseUrl, session, proposerToken, slack } = stack);
}, 120_000);

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await stack?.close();
});

describe('an external MCP client\'s change, approved in Skyflo (URL mode)', () => {
  it('is told a person must approve, on the approval page of exactly that call; gets the result once approved', async () => {
    const before = await replicas();
    const pages: string[] = [];
    const notifications = await openNotificationStream(baseUrl, session);
    closers.push(async () => notifications.close());
    const client = await externalClient(async (page) => {
      pages.push(page.url);
      const { callId, conversationId, url } = callOf(page.url);
      // the same approval as any other: announced to the person, and carded in the team's Slack channel
      await vi.waitFor(() => expect(notifications.notifications()).toContainEqual(expect.objectContaining({ kind: 'approval.requested', call_id: callId, conversation_id: conversationId })), { timeout: 30_000 });
      await vi.waitFor(() => expect([...slack.messages.values()].some((message) => JSON.stringify(message).includes(callId))).toBe(true), { timeout: 30_000 });
      // the Command Center's approval page of this call, on its public address
      expect(`${url.origin}${url.pathname}`).toBe(`${ORIGIN}/approvals`);
      // the engine recorded it through its own gate: the proposer's call, its preview, awaiting a decision
      const state = await (await api(proposerToken, 'GET', `/agent/external-calls/${callId}?conversation_id=${conversationId}`)).json();
      expect(state).toMatchObject({ status: 'awaiting', tool: 'k8s_scale', call_id: callId });
      const conversation = await (await api(session, 'GET', `/conversations/${conversationId}`)).json();
      expect(conversation.title).toBe("MCP client some-ide: k8s_scale");
      expect(JSON.stringify(conversation.messages)).toContain('"replicas":5');
      // the person, on their phone: approves what the page shows
      await decide(callId, true);
      return 'accept';
    });
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 5, namespace: 'default' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toMatch(/scaled|replicas/i);
    expect(pages).toHaveLength(1);
    expect(before).toBe(2);
    expect(await replicas()).toBe(5);
    // decided once: the row says executed, and deciding again is refused
    const { callId, conversationId } = callOf(pages[0]!);
    const again = await api(session, 'POST', `/agent/approvals/${callId}`, { approve: false, conversation_id: conversationId });
    expect(again.status).toBe(409);
    // nobody's model asked for the call, and none was asked about its result
    expect(sim.calls).toEqual([]);
  });

  it('a denial reaches the client as an error naming who denied it, and nothing changed', async () => {
    const before = await replicas();
    const client = await externalClient(async (page) => {
      await decide(callOf(page.url).callId, false);
      return 'accept';
    });
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 9, namespace: 'default' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ops@example\.com denied k8s_scale in Skyflo: not during the sale; nothing was run/);
    expect(await replicas()).toBe(before);
  });

  it('attacked: the retry of an approved call sent with other arguments runs nothing', async () => {
    const before = await replicas();
    let approvedFor: string | undefined;
    // the person approves before + 1; the client's retry (the request carrying requestState) asks for 42 instead
    const rewrite: typeof fetch = async (input, init) => {
      if (typeof init?.body === 'string') {
        const message = JSON.parse(init.body) as { params?: Record<string, unknown> };
        if (message.params?.['requestState'] !== undefined) {
          (message.params['arguments'] as Record<string, unknown>)['replicas'] = 42;
          return fetch(input, { ...init, body: JSON.stringify(message) });
        }
      }
      return fetch(input, init);
    };
    const client = await externalClient(async (page) => {
      approvedFor = callOf(page.url).callId;
      await decide(approvedFor, true);
      return 'accept';
    }, rewrite);
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: before + 1, namespace: 'default' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('was given for another call (other arguments); nothing was run');
    // the engine ran exactly what the person approved, and never 42
    expect(await replicas()).toBe(before + 1);
    expect(approvedFor).toBeDefined();
  });

  it('attacked: the MCP server\'s credential cannot decide, and reads only the calls it proposed', async () => {
    const proposed = await api(proposerToken, 'POST', '/agent/external-calls', { tool: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 7, namespace: 'default' }, client: { name: 'attacker' } });
    expect(proposed.status).toBe(201);
    const state = await proposed.json();
    expect(state.status).toBe('awaiting');
    const pending = (await (await api(session, 'GET', '/approvals/pending')).json()).data.find((entry: { call_id: string }) => entry.call_id === state.call_id);
    // a `chat` token decides nothing (approvals:write), whatever it sends
    const selfApproved = await api(proposerToken, 'POST', `/agent/approvals/${state.call_id}`, { approve: true, conversation_id: state.conversation_id, args_hash: pending.args_hash });
    expect(selfApproved.status).toBe(403);
    // no credential, or a made-up one: 401
    expect((await api(undefined, 'POST', '/agent/external-calls', { tool: 'k8s_scale', arguments: {} })).status).toBe(401);
    expect((await api('sky_not-a-token-at-all-0000000000000000000000', 'GET', `/agent/external-calls/${state.call_id}?conversation_id=${state.conversation_id}`)).status).toBe(401);
    // another person cannot read it (reported as missing)
    const other = await engine.signUp('someone-else@example.com').catch(() => undefined);
    if (other) expect((await api(other, 'GET', `/agent/external-calls/${state.call_id}?conversation_id=${state.conversation_id}`)).status).toBe(404);
    expect(await replicas()).not.toBe(7);
    // left for the person: deny it so the queue is clean
    await decide(state.call_id, false);
  });

  it('attacked: a forged requestState is refused (-32602) and nothing runs', async () => {
    const before = await replicas();
    const client = await externalClient(async () => 'accept', rewritingRetries((params) => {
      params['requestState'] = Buffer.from(JSON.stringify({ kind: 'engine', tool: 'k8s_scale', argsHash: 'x', conversationId: 'c', callId: 'c' })).toString('base64url');
    }));
    const outcome = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 11, namespace: 'default' } }).then(
      (result) => `tool result: ${textOf(result)}`,
      (error: Error & { code?: number }) => `${error.code}: ${error.message}`,
    );
    expect(outcome).toMatch(/^-32602: Invalid or expired requestState/);
    expect(await replicas()).toBe(before);
    for (const call of await awaitingCalls()) await decide(call.call_id, false);
  });

  it("attacked: another principal's requestState, sent with that call's own arguments, is refused (-32602) and nothing runs", async () => {
    const before = await replicas();
    const args = { name: 'web', resource_type: 'deployment', replicas: 12, namespace: 'default' };
    // the OAuth client "desktop" is asked; it dismisses the page, and its retry shows the state it was given
    let stolen: Record<string, unknown> | undefined;
    const owner = await externalClient(async () => 'decline', rewritingRetries(() => undefined, (params) => void (stolen = params)), { bearer: await oauthToken() });
    const declined = await owner.callTool({ name: 'k8s_scale', arguments: args });
    expect(declined.isError).toBe(true);
    expect(textOf(declined)).toMatch(/still waits in Skyflo's approvals queue/);
    expect(stolen?.['requestState']).toBeDefined();
    // the client token's holder replays it, with that call's own arguments (its own call is another one)
    const [victim] = (await awaitingCalls()).filter((call) => call.call_id.startsWith('mcp-'));
    const thief = await externalClient(async () => 'accept', rewritingRetries((params) => {
      params['requestState'] = stolen!['requestState'];
      params['arguments'] = stolen!['arguments'];
    }));
    const outcome = await thief.callTool({ name: 'k8s_scale', arguments: { ...args, replicas: 13 } }).then(
      (result) => `tool result: ${textOf(result)}`,
      (error: Error & { code?: number }) => `${error.code}: ${error.message}`,
    );
    expect(outcome).toMatch(/^-32602: Invalid or expired requestState/);
    expect(await replicas()).toBe(before);
    expect(victim).toBeDefined();
    for (const call of await awaitingCalls()) await decide(call.call_id, false);
  });

  it('attacked: retrying a call nobody approved gets input_required again, never a result, and nothing runs', async () => {
    const before = await replicas();
    // the client opens the page each round, but nobody decides
    const client = await externalClient(async () => 'accept', undefined, { maxRounds: 2 });
    const outcome = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: 14, namespace: 'default' } }).then(
      (result) => `tool result: ${textOf(result)}`,
      (error: Error) => error.message,
    );
    expect(outcome).toMatch(/still required input after 2 rounds/);
    expect(await replicas()).toBe(before);
    const waiting = (await awaitingCalls()).filter((call) => call.call_id.startsWith('mcp-'));
    expect(waiting).toHaveLength(1);
    await decide(waiting[0]!.call_id, false);
  });

  it('where the cluster asks for a passkey, a plain approval is refused; the passkey approval on the page runs it and the client gets the result', async () => {
    const before = await replicas();
    // the admin asks for a passkey on every approval in this cluster; the person registers theirs
    const clusters = (await (await api(session, 'GET', '/clusters/passkey-policies')).json()).policies as Array<{ cluster: string }>;
    expect(clusters.length).toBeGreaterThan(0);
    expect((await api(session, 'PUT', '/clusters/passkey-policies', { policies: clusters.map(({ cluster }) => ({ cluster, mode: 'every_approval' })) })).status).toBe(200);
    const authenticator = createSoftwareAuthenticator();
    const registration = await (await api(session, 'POST', '/auth/passkeys/registration-options')).json();
    expect((await api(session, 'POST', '/auth/passkeys', { name: 'phone', registration_token: registration.registration_token, response: authenticator.register(registration.options, ORIGIN) })).status).toBe(201);

    const client = await externalClient(async (page) => {
      const { callId, conversationId } = callOf(page.url);
      const item = (await awaitingCalls()).find((entry) => entry.call_id === callId) as { call_id: string; args_hash: string; diff_hash?: string; passkey_required?: boolean; approve_at?: string } | undefined;
      expect(item).toMatchObject({ passkey_required: true, approve_at: page.url });
      const body = { approve: true, conversation_id: conversationId, args_hash: item!.args_hash, ...(item!.diff_hash ? { diff_hash: item!.diff_hash } : {}) };
      const plain = await api(session, 'POST', `/agent/approvals/${callId}`, body);
      expect(plain.status).toBe(403);
      expect((await plain.json()).code).toBe('PASSKEY_REQUIRED');
      // what the page does: the call's passkey options, signed on the phone, sent with the approval
      const options = await (await api(session, 'POST', `/approvals/${callId}/passkey-options`, { conversation_id: conversationId })).json();
      const approved = await api(session, 'POST', `/agent/approvals/${callId}`, { ...body, webauthn: { expires_at: options.expires_at, assertion: authenticator.assert(options.options, ORIGIN) } });
      expect(approved.status).toBe(200);
      await readSse(approved.response);
      return 'accept';
    });
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: before + 2, namespace: 'default' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(await replicas()).toBe(before + 2);
  });

  it('a 2025-11-25 session (SDK v1 client) is handed the same page mid-call, and its call returns the result once approved', async () => {
    const before = await replicas();
    // the policy of the previous test is taken back: a plain approval suffices again
    const clusters = (await (await api(session, 'GET', '/clusters/passkey-policies')).json()).policies as Array<{ cluster: string }>;
    expect((await api(session, 'PUT', '/clusters/passkey-policies', { policies: clusters.map(({ cluster }) => ({ cluster, mode: 'never' })) })).status).toBe(200);
    const client = new ClientV1({ name: 'older-ide', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } } });
    const pages: Array<{ mode?: string; url?: string; elicitationId?: string }> = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const params = request.params as { mode?: string; url?: string; elicitationId?: string };
      pages.push(params);
      await decide(callOf(params.url!).callId, true);
      return { action: 'accept' };
    });
    await client.connect(new TransportV1(new URL(ideMcp.url), { requestInit: { headers: { authorization: `Bearer ${clientToken}` } } }));
    closers.push(() => client.close());
    const result = await client.callTool({ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: before + 1, namespace: 'default' } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(pages).toEqual([expect.objectContaining({ mode: 'url', elicitationId: callOf(pages[0]!.url!).callId })]);
    expect(new URL(pages[0]!.url!).origin).toBe(ORIGIN);
    expect(await replicas()).toBe(before + 1);
    const conversation = await (await api(session, 'GET', `/conversations/${callOf(pages[0]!.url!).conversationId}`)).json();
    expect(conversation.title).toBe('MCP client older-ide: k8s_scale');
  });
});

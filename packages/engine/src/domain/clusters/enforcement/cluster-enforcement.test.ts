/**
 * Issue 34, the engine's side in isolation: the signature verifies over exactly the protocol's signing input with the
 * engine's public key (and not over anything else), the executor client turns every failure into a clear
 * ExecutorRequestError, a grant fails closed, approval names are DNS-safe and stable, and the configuration refuses
 * an enforced mode it cannot run.
 */
import { base64url, compactVerify, exportPKCS8, exportSPKI, generateKeyPair, importSPKI } from 'jose';
import { describe, expect, it } from 'vitest';
import { approvalSigningInput, skyfloApprovalDocumentSchema, type ApproverKey, type SkyfloApprovalDocument, type SkyfloApprovalSpec } from '@skyflo/protocol';
import { loadConfig } from '../../../platform/config/index.ts';
import { approvalObjectName } from './approval-name.ts';
import { createClusterEnforcement } from './cluster-enforcement.ts';
import { createExecutorClient, ExecutorRequestError } from './executor-client.ts';
import { createApprovalSigner } from './sign-approval.ts';

const spec: SkyfloApprovalSpec = {
  conversationId: 'conv-1',
  callId: 'call-1',
  tool: 'k8s_scale',
  cluster: { name: 'prod-eu', server: 'https://prod.example:6443' },
  argsHash: 'b'.repeat(64),
  requestedAt: '2026-11-23T10:00:00.000Z',
};
const status = { decision: 'approved' as const, decidedBy: { id: 'u1', email: 'ann@example.com' }, decidedAt: '2026-11-23T10:01:00.000Z', expiresAt: '2026-11-23T10:11:00.000Z' };

async function keys() {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  return { privatePem: await exportPKCS8(pair.privateKey), publicPem: await exportSPKI(pair.publicKey) };
}

async function verifies(publicPem: string, signature: string, name: string, signedSpec: SkyfloApprovalSpec, signedStatus: typeof status): Promise<boolean> {
  const [header, payload, sig] = signature.split('.');
  expect(payload).toBe(''); // detached
  try {
    await compactVerify(`${header}.${base64url.encode(approvalSigningInput(name, signedSpec, signedStatus))}.${sig}`, await importSPKI(publicPem, 'EdDSA'), { algorithms: ['EdDSA'] });
    return true;
  } catch {
    return false;
  }
}

/** A stand-in executor behind a fetch (unit tests open no sockets): answers each request and records what it got. */
function fakeExecutor(reply: (request: { method: string; url: string }, body: string) => { status: number; body?: unknown }) {
  const url = 'http://executor.test:8443';
  const received: Array<{ method: string; url: string; authorization?: string; body: string }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? init.body : '';
    const authorization = new Headers(init?.headers).get('authorization') ?? undefined;
    received.push({ method, url: path, ...(authorization ? { authorization } : {}), body });
    const answer = reply({ method, url: path }, body);
    const text = answer.body === undefined ? null : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { url, received, fetch };
}

const unreachable = (async () => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8443'), { code: 'ECONNREFUSED' }) });
}) as typeof globalThis.fetch;

describe('approval signature', () => {
  it("round-trips with the protocol's signing input and the engine's public key, and binds every field", async () => {
    const { privatePem, publicPem } = await keys();
    const signer = await createApprovalSigner(privatePem);
    const signature = await signer.sign('a-1', spec, status);
    expect(await verifies(publicPem, signature, 'a-1', spec, status)).toBe(true);
    // another name, other arguments, another API server, another decision: the same signature no longer verifies
    expect(await verifies(publicPem, signature, 'a-2', spec, status)).toBe(false);
    expect(await verifies(publicPem, signature, 'a-1', { ...spec, argsHash: 'c'.repeat(64) }, status)).toBe(false);
    expect(await verifies(publicPem, signature, 'a-1', { ...spec, cluster: { ...spec.cluster, server: 'https://elsewhere:6443' } }, status)).toBe(false);
    expect(await verifies(publicPem, signature, 'a-1', spec, { ...status, expiresAt: '2026-11-24T10:11:00.000Z' })).toBe(false);
    // and another key does not verify it
    expect(await verifies((await keys()).publicPem, signature, 'a-1', spec, status)).toBe(false);
  });
});

describe('approval object names', () => {
  it('are DNS-safe, at most 40 characters, stable per conversation and call, and differ between calls', () => {
    const name = approvalObjectName('0b7a9f1e-long-conversation-id-with-UPPER_and_underscores', 'toolu_01ABC/def');
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(name.length).toBeLessThanOrEqual(40);
    expect(approvalObjectName('0b7a9f1e-long-conversation-id-with-UPPER_and_underscores', 'toolu_01ABC/def')).toBe(name);
    expect(approvalObjectName('0b7a9f1e-long-conversation-id-with-UPPER_and_underscores', 'toolu_01ABC/deg')).not.toBe(name);
    expect(approvalObjectName('c', 'x', 'revert')).not.toBe(approvalObjectName('c', 'x'));
  });
});

describe('the executor client', () => {
  it('sends the bearer and maps the executor errors, an unexpected answer and an unreachable executor', async () => {
    const executor = fakeExecutor((request) =>
      request.url.endsWith('/credential') && request.method === 'POST'
        ? { status: 403, body: { code: 'BAD_SIGNATURE', message: 'SkyfloApproval "a-1" is not signed by the engine' } }
        : request.method === 'DELETE'
          ? { status: 502, body: '<html>bad gateway</html>' }
          : { status: 200, body: { token: 'not-a-credential-shape' } },
    );
    {
      const client = createExecutorClient({ url: `${executor.url}/`, token: 'caller-token', fetch: executor.fetch });
      await expect(client.mint('a-1', { arguments: { name: 'web' } })).rejects.toMatchObject({ code: 'BAD_SIGNATURE', message: expect.stringContaining('is not signed by the engine') });
      await expect(client.release('a-1')).rejects.toMatchObject({ code: 'BAD_RESPONSE', message: expect.stringContaining('HTTP 502') });
      expect(executor.received.map((entry) => [entry.method, entry.url, entry.authorization])).toEqual([
        ['POST', '/v1/approvals/a-1/credential', 'Bearer caller-token'],
        ['DELETE', '/v1/approvals/a-1/credential', 'Bearer caller-token'],
      ]);
    }
    const gone = createExecutorClient({ url: executor.url, token: 'caller-token', fetch: unreachable });
    const error = await gone.mint('a-1', { arguments: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExecutorRequestError);
    expect(error).toMatchObject({ code: 'UNREACHABLE', message: expect.stringContaining('could not be reached') });
  });
});

describe('the enforcement', () => {
  it('mirrors a signed document, mints for the exact arguments (never a preview\'s access), and releases once; refuses without an executor (fail closed)', async () => {
    const { privatePem, publicPem } = await keys();
    const executor = fakeExecutor((request) =>
      request.method === 'POST' && request.url === '/v1/approvals'
        ? { status: 201, body: { created: true } }
        : request.method === 'POST'
          ? { status: 200, body: { token: 'minted-token', expiresAt: '2026-11-23T10:11:00.000Z', username: 'system:serviceaccount:skyflo:skyflo-approval-x' } }
          : { status: 204 },
    );
    {
      const enforcement = await createClusterEnforcement({
        fetch: executor.fetch,
        config: { mode: 'cluster', executors: { 'prod-eu': executor.url }, executorToken: 'caller-token', signingKeyPem: privatePem },
        now: () => new Date('2026-11-23T10:01:00.000Z'),
      });
      expect(enforcement.modeFor('prod-eu')).toBe('cluster');
      const decision = { conversationId: 'conv-1', callId: 'call-1', tool: 'k8s_scale', cluster: spec.cluster, argsHash: spec.argsHash, requestedAt: new Date(spec.requestedAt), decidedBy: { id: 'u1' } };
      const call = { arguments: { name: 'web', resource_type: 'deployment', replicas: 3, namespace: 'shop' } };
      const grant = await enforcement.grant(decision, call);
      expect(grant).toMatchObject({ ok: true, name: approvalObjectName('conv-1', 'call-1'), credential: { token: 'minted-token', approval: approvalObjectName('conv-1', 'call-1') } });
      const mirrored = skyfloApprovalDocumentSchema.parse(JSON.parse(executor.received[0]!.body)) as SkyfloApprovalDocument;
      expect(mirrored.status).toMatchObject({ decision: 'approved', expiresAt: '2026-11-23T10:11:00.000Z' });
      const { signature, ...unsigned } = mirrored.status;
      expect(await verifies(publicPem, signature, mirrored.name, mirrored.spec, unsigned as typeof status)).toBe(true);
      if (grant.ok) {
        await grant.release();
        await grant.release();
      }
      expect(executor.received.map((entry) => entry.method)).toEqual(['POST', 'POST', 'DELETE']);
      // the executor gets the exact arguments to compute the grant from; the mirrored spec carries no access list
      expect(JSON.parse(executor.received[1]!.body)).toEqual(call);
      expect(JSON.parse(executor.received[0]!.body).spec).not.toHaveProperty('access');

      const noExecutor = await enforcement.grant({ ...decision, callId: 'call-3', cluster: { name: 'other', server: 'https://other' } }, call);
      expect(noExecutor).toMatchObject({ ok: false, text: expect.stringContaining('no approval executor is configured for it') });
      expect(executor.received).toHaveLength(3);
    }
  });
});

describe('the passkey policy in the signed approval (issue 35 item 5)', () => {
  it('marks an approval whose call the policy asks a passkey for, one carrying a proof, and fails closed on an unreadable policy', async () => {
    const { privatePem } = await keys();
    const executor = fakeExecutor((request) => (request.url === '/v1/approvals' ? { status: 201, body: { created: true } } : { status: 200, body: { token: 't', expiresAt: '2026-11-23T10:11:00.000Z', username: 'u' } }));
    const asked: unknown[] = [];
    let policy: (call: { destructive: boolean }) => Promise<string | undefined> = async (call) => (call.destructive ? 'cluster prod-eu asks for a passkey on destructive calls' : undefined);
    const enforcement = await createClusterEnforcement({
      fetch: executor.fetch,
      config: { mode: 'cluster', executors: { 'prod-eu': executor.url }, executorToken: 'caller-token', signingKeyPem: privatePem },
      passkeyRequirement: (call) => {
        asked.push(call);
        return policy(call);
      },
    });
    const base = { conversationId: 'conv-1', tool: 'k8s_scale', cluster: spec.cluster, argsHash: spec.argsHash, requestedAt: new Date(spec.requestedAt), decidedBy: { id: 'u1' } };
    const facts = (destructive: boolean) => ({ destructive, risks: [], cluster: { name: 'prod-eu', server: spec.cluster.server } });
    const statusOf = async (decision: Parameters<typeof enforcement.grant>[0]) => {
      await enforcement.grant(decision, { arguments: {} });
      const mirrored = executor.received.filter((entry) => entry.url === '/v1/approvals').at(-1)!;
      return skyfloApprovalDocumentSchema.parse(JSON.parse(mirrored.body)).status;
    };
    expect((await statusOf({ ...base, callId: 'destructive', policyFacts: facts(true) })).approverSignatureRequired).toBe(true);
    expect((await statusOf({ ...base, callId: 'plain', policyFacts: facts(false) })).approverSignatureRequired).toBeUndefined();
    // a proof stored with the decision means the policy asked for it then, whatever it says now
    const proof = { challengeExpiresAt: '2026-11-23T10:05:00.000Z', deviceSignature: { keyId: 'key-1', signature: 'c2ln' } };
    expect(await statusOf({ ...base, callId: 'proved', policyFacts: facts(false), approverProof: proof })).toMatchObject({ approverSignatureRequired: true, approverProof: proof });
    // an automatic approval carries no person's signature: the engine's word alone (the executor's `all` refuses it)
    expect((await statusOf({ ...base, callId: 'automatic', automatic: true, policyFacts: facts(true) })).approverSignatureRequired).toBeUndefined();
    policy = async () => {
      throw new Error('settings unreadable');
    };
    expect((await statusOf({ ...base, callId: 'unreadable', policyFacts: facts(false) })).approverSignatureRequired).toBe(true);
    expect(asked).toHaveLength(3);
  });
});

describe("an approver key's mirroring (issue 35 item 5)", () => {
  it('tries a failed removal again when the executor was unreachable or failed, not when it refused; each outcome says how many attempts', async () => {
    const { privatePem } = await keys();
    const answers: Record<string, Array<{ status: number; body?: unknown }>> = {
      // busy, then its own request to the API server failed, then done
      '/v1/approver-keys/cred-flaky': [{ status: 503 }, { status: 502, body: { code: 'MINT_FAILED', message: 'the executor could not complete the request: etcdserver: request timed out' } }, { status: 204 }],
      '/v1/approver-keys/cred-refused': [{ status: 400, body: { code: 'INVALID', message: 'not a base64url credential id' } }],
      '/v1/approver-keys/cred-down': [{ status: 503 }, { status: 503 }, { status: 503 }, { status: 204 }],
    };
    const executor = fakeExecutor((request) => answers[request.url]!.shift()!);
    const warnings: unknown[] = [];
    const enforcement = await createClusterEnforcement({
      fetch: executor.fetch,
      config: { mode: 'cluster', executors: { 'prod-eu': executor.url }, executorToken: 'caller-token', signingKeyPem: privatePem },
      approverKeyRetryDelaysMs: [0, 0],
      logger: { warn: (object) => void warnings.push(object) },
    });
    expect(await enforcement.mirrorApproverKey({ action: 'remove', credentialId: 'cred-flaky' })).toEqual([{ executor: executor.url, attempts: 3 }]);
    expect(await enforcement.mirrorApproverKey({ action: 'remove', credentialId: 'cred-refused' })).toEqual([{ executor: executor.url, error: "the cluster's approval executor refused: not a base64url credential id" }]);
    expect(await enforcement.mirrorApproverKey({ action: 'remove', credentialId: 'cred-down' })).toEqual([{ executor: executor.url, error: `the cluster's approval executor at ${executor.url} answered HTTP 503 without an explanation`, attempts: 3 }]);
    expect(executor.received.map((request) => `${request.method} ${request.url}`)).toEqual([
      ...Array(3).fill('DELETE /v1/approver-keys/cred-flaky'),
      'DELETE /v1/approver-keys/cred-refused',
      ...Array(3).fill('DELETE /v1/approver-keys/cred-down'),
    ]);
    // every failed attempt is logged, with the wait before the next one when there is one
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toMatchObject({ executor: executor.url, action: 'remove', attempt: 1, retryInMs: 0 });
    expect(warnings.at(-1)).not.toHaveProperty('retryInMs');
  });
});

describe("taking stray approver keys off the executors", () => {
  const key = (credentialId: string, publicKey = `pk-${credentialId}`, userId = 'u1'): ApproverKey => ({ credentialId, userId, publicKey, counter: 0, kind: 'passkey' });

  it("takes off the keys the registry does not have (or has under another public key or owner), never adds one, lists before it reads the registry, and reports each executor's failures", async () => {
    const { privatePem } = await keys();
    // one executor holding what failed removals left, one not answering
    const held = new Map([key('cred-kept'), key('cred-removed-in-engine'), key('cred-swapped', 'pk-old'), key('cred-other-owner', 'pk-cred-other-owner', 'u2')].map((each) => [each.credentialId, each]));
    const steps: string[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      if (url.host === 'down.test:8443') throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      steps.push(`${method} ${url.pathname}`);
      if (method === 'GET') return Response.json({ keys: [...held.values()] });
      if (method === 'DELETE') {
        const id = decodeURIComponent(url.pathname.split('/').at(-1)!);
        if (id === 'cred-stuck') return Response.json({ code: 'MINT_FAILED', message: 'etcdserver: request timed out' }, { status: 502 });
        held.delete(id);
        return new Response(null, { status: 204 });
      }
      return Response.json({ code: 'INVALID', message: 'the sweep never registers' }, { status: 400 });
    }) as typeof globalThis.fetch;
    const warnings: unknown[] = [];
    const enforcement = await createClusterEnforcement({
      fetch,
      config: { mode: 'cluster', executors: { 'prod-eu': 'http://executor.test:8443', 'prod-us': 'http://down.test:8443' }, executorToken: 'caller-token', signingKeyPem: privatePem },
      logger: { warn: (object) => void warnings.push(object) },
    });
    // the registry also has a key the executor never got: it stays off (only its own registration puts it there)
    const registry = [key('cred-kept'), key('cred-swapped'), key('cred-other-owner'), key('cred-never-mirrored')];
    const outcomes = await enforcement.removeStrayApproverKeys(async () => {
      steps.push('registry read');
      return registry;
    });
    expect(outcomes).toEqual([
      { executor: 'http://executor.test:8443', removed: ['cred-removed-in-engine', 'cred-swapped', 'cred-other-owner'] },
      { executor: 'http://down.test:8443', removed: [], error: "the cluster's approval executor at http://down.test:8443 could not be reached (ECONNREFUSED)" },
    ]);
    expect([...held.keys()]).toEqual(['cred-kept']);
    // listed first: a key registered while the pass runs is not in the listing, so it is never taken off
    expect(steps).toEqual(['GET /v1/approver-keys', 'registry read', 'DELETE /v1/approver-keys/cred-removed-in-engine', 'DELETE /v1/approver-keys/cred-swapped', 'DELETE /v1/approver-keys/cred-other-owner']);
    // nothing to do is nothing done: a second pass only lists
    steps.length = 0;
    expect(await enforcement.removeStrayApproverKeys(async () => registry)).toEqual([
      { executor: 'http://executor.test:8443', removed: [] },
      expect.objectContaining({ executor: 'http://down.test:8443', error: expect.stringContaining('could not be reached') }),
    ]);
    expect(steps).toEqual(['GET /v1/approver-keys']);
    // a removal that fails is reported (and logged); the rest of the pass still happens
    held.set('cred-stuck', key('cred-stuck'));
    held.set('cred-later', key('cred-later'));
    const [partly] = await enforcement.removeStrayApproverKeys(async () => registry);
    expect(partly).toEqual({ executor: 'http://executor.test:8443', removed: ['cred-later'], error: "removing cred-stuck: the cluster's approval executor refused: etcdserver: request timed out" });
    expect(warnings).toEqual([{ executor: 'http://executor.test:8443', failures: [partly!.error] }]);
  });

  it('an executor answering the listing with something else is an error, and nothing is taken off', async () => {
    const { privatePem } = await keys();
    const executor = fakeExecutor(() => ({ status: 200, body: { items: [] } }));
    const enforcement = await createClusterEnforcement({ fetch: executor.fetch, config: { mode: 'cluster', executors: { 'prod-eu': executor.url }, executorToken: 'caller-token', signingKeyPem: privatePem } });
    expect(await enforcement.removeStrayApproverKeys(async () => [])).toEqual([
      { executor: executor.url, removed: [], error: `the cluster's approval executor at ${executor.url} answered the key listing with something that is not a list of approver keys` },
    ]);
    expect(executor.received.map((request) => `${request.method} ${request.url}`)).toEqual(['GET /v1/approver-keys']);
  });
});

describe('configuration', () => {
  it('defaults to the engine; cluster mode needs an executor URL, its token and a valid Ed25519 key', async () => {
    expect(loadConfig({}).enforcement).toMatchObject({ mode: 'engine' });
    expect(() => loadConfig({ SKYFLO_APPROVAL_ENFORCEMENT: 'cluster' })).toThrow(/SKYFLO_EXECUTOR_URL: is required with SKYFLO_APPROVAL_ENFORCEMENT=cluster[\s\S]*SKYFLO_EXECUTOR_TOKEN: is required[\s\S]*SKYFLO_APPROVAL_SIGNING_KEY: is required/);
    const badKey = '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----';
    let message = '';
    try {
      loadConfig({ SKYFLO_APPROVAL_ENFORCEMENT: 'cluster', SKYFLO_EXECUTOR_URL: 'https://executor:8443', SKYFLO_EXECUTOR_TOKEN: 't', SKYFLO_APPROVAL_SIGNING_KEY: badKey });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SKYFLO_APPROVAL_SIGNING_KEY: must be an Ed25519 private key in PKCS8 PEM/);
    expect(message).not.toContain('not-a-key');
    expect(() => loadConfig({ SKYFLO_APPROVAL_ENFORCEMENT: 'cluster', SKYFLO_EXECUTORS: '{"prod": "ftp://x"}', SKYFLO_EXECUTOR_TOKEN: 't', SKYFLO_APPROVAL_SIGNING_KEY: badKey })).toThrow(/SKYFLO_EXECUTORS/);
    const { privatePem } = await keys();
    expect(loadConfig({ SKYFLO_APPROVAL_ENFORCEMENT: 'cluster', SKYFLO_EXECUTORS: '{"prod-eu":"https://executor.prod:8443"}', SKYFLO_EXECUTOR_TOKEN: 't', SKYFLO_APPROVAL_SIGNING_KEY: privatePem }).enforcement).toMatchObject({
      mode: 'cluster',
      executors: { 'prod-eu': 'https://executor.prod:8443' },
      approverKeySweepMs: 300_000,
    });
    // the stray key sweep's beat: whole seconds, at least one
    expect(loadConfig({ SKYFLO_APPROVER_KEY_SWEEP_SECONDS: '30' }).enforcement.approverKeySweepMs).toBe(30_000);
    expect(() => loadConfig({ SKYFLO_APPROVER_KEY_SWEEP_SECONDS: '0' })).toThrow(/SKYFLO_APPROVER_KEY_SWEEP_SECONDS: must be at least 1 second/);
    expect(() => loadConfig({ SKYFLO_APPROVER_KEY_SWEEP_SECONDS: 'often' })).toThrow(/SKYFLO_APPROVER_KEY_SWEEP_SECONDS: must be a number of seconds/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhookConfiguration, type ExecutorLogger, type RunningExecutor } from '../../src/executor/index.ts';
import { admissionToken, callerToken, dryRunToken, installNamespace, scaleWeb, startExecutorHarness, type ExecutorHarness } from './executor-harness.ts';

/*
 * Issue 73: one bearer used to open every executor door, and the MCP server held it, so a taken-over MCP server could
 * register an approver key for anyone, delete a person's key or release a running call's credential, and the webhook
 * told anyone which approvals exist. Now each caller has its own token and opens only its own endpoints: the
 * engine's (approvals, credentials, approver keys), the MCP server's (POST /v1/dry-run), the API server's (the
 * webhook, when an admission token is configured). Against a real executor on kube-sim with the real kubectl.
 */

let h: ExecutorHarness;
let executor: RunningExecutor;
const account = (name: string) => `system:serviceaccount:${installNamespace}:skyflo-approval-${name}`;
/** The running call's approval (its name is what the engine gives it, so it is set once the first test signed it). */
let running = '';

/** A made-up AdmissionReview of a write by an approval account (anyone reaching the webhook can post one). */
const review = (approval: string, name = 'web', namespace = 'staging') => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: `uid-${approval}-${name}`,
    resource: { group: 'apps', version: 'v1', resource: 'deployments' },
    subResource: 'scale',
    name,
    namespace,
    operation: 'UPDATE',
    userInfo: { username: account(approval) },
    object: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace }, spec: { replicas: 9 } },
  },
});

beforeAll(async () => {
  h = await startExecutorHarness();
  executor = await h.startExecutor({ tls: h.tls() });
  await h.kubectl(['apply', '-f', '-'], JSON.stringify(approvalWebhookConfiguration({ namespace: installNamespace, url: executor.webhookUrl })));
});

afterAll(async () => {
  await h?.close();
});

describe("each caller's token opens only its own endpoints", () => {
  it("the MCP server's dry-run token is refused on every endpoint but POST /v1/dry-run, and changes nothing", async () => {
    // A running call: the engine mirrored its approval and holds its credential.
    const document = await h.signed(scaleWeb('running-1'));
    running = document.name;
    expect(await h.api(executor, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
    const minted = await h.mint(executor, document, scaleWeb('running-1').args);
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const planted = await h.signed({ tool: 'k8s_patch', args: { name: 'db', resource_type: 'secret', namespace: 'staging', patch: '{"stringData":{"password":"x"}}' }, callId: 'planted-1' });
    const keyBefore = await h.api(executor, 'GET', '/v1/approver-keys');

    const attempts: Array<[string, string, unknown]> = [
      ['POST', '/v1/approvals', planted],
      ['POST', `/v1/approvals/${running}/credential`, { arguments: scaleWeb('running-1').args }],
      ['DELETE', `/v1/approvals/${running}/credential`, undefined],
      ['POST', '/v1/approver-keys', { credentialId: 'planted-key', userId: 'user-ana', publicKey: 'pQECAyYgASFYIA' }],
      ['GET', '/v1/approver-keys', undefined],
      ['DELETE', '/v1/approver-keys/some-key', undefined],
      ['POST', '/v1/admission', review(running)],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await h.api(executor, method, path, body, dryRunToken);
      expect([401, 403], `${method} ${path}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
      expect(answer.body.code, `${method} ${path}`).toBe('UNAUTHORIZED');
    }
    // nothing happened: no planted approval, the running call's token still authenticates, the keys are as they were
    expect(await h.harness.tryGet('skyfloapproval', planted.name, installNamespace)).toBeUndefined();
    const whoami = await h.kubectlAs(minted.body.token, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(whoami.stdout).toBe(account(running));
    expect(await h.api(executor, 'GET', '/v1/approver-keys')).toEqual(keyBefore);

    // …and it opens the dry-run proxy (the executor's own dry-runs when it computed the grant are not counted)
    const mark = h.harness.sim.calls.at(-1)!.sequence;
    const preview = await h.api(executor, 'POST', '/v1/dry-run', { method: 'PATCH', path: '/apis/apps/v1/namespaces/staging/deployments/web/scale', contentType: 'application/merge-patch+json', body: { spec: { replicas: 3 } } }, dryRunToken);
    expect(preview.body.code, JSON.stringify(preview.body)).not.toBe('UNAUTHORIZED');
    const sent = h.harness.sim.calls.filter((call) => call.sequence > mark && call.method === 'PATCH' && call.path === '/apis/apps/v1/namespaces/staging/deployments/web/scale' && call.query.dryRun === 'All');
    expect(sent.map((call) => call.user)).toEqual([`system:serviceaccount:${installNamespace}:skyflo-executor`]);
  });

  it("the engine's token opens its endpoints but neither the dry-run proxy nor the webhook", async () => {
    expect((await h.api(executor, 'GET', '/v1/approver-keys')).status).toBe(200);
    expect(await h.api(executor, 'POST', '/v1/dry-run', { method: 'PATCH', path: '/apis/apps/v1/namespaces/staging/deployments/web', body: {} }, callerToken)).toMatchObject({ status: 403, body: { code: 'UNAUTHORIZED' } });
    expect(await h.api(executor, 'POST', '/v1/admission', review(running), callerToken)).toMatchObject({ status: 403, body: { code: 'UNAUTHORIZED' } });
  });

  it('with an admission token, the webhook answers only the API server presenting it, with the full reason', async () => {
    for (const token of ['', 'not-a-token', dryRunToken, callerToken]) {
      const answer = await h.api(executor, 'POST', '/v1/admission', review(running), token);
      expect([401, 403], token).toContain(answer.status);
      expect(JSON.stringify(answer.body)).not.toContain(running);
    }
    const answered = await h.api(executor, 'POST', '/v1/admission', review(running, 'api'), admissionToken);
    expect(answered.status).toBe(200);
    expect(answered.body.response).toMatchObject({ allowed: false, status: { message: expect.stringContaining(`SkyfloApproval "${running}" does not cover UPDATE of deployments.apps/scale staging/api`) } });

    // kube-sim, configured like kube-apiserver with the token in its AdmissionConfiguration, is answered: the approved
    // write goes through (without the token the webhook would answer 401, and failurePolicy Fail refuse the write).
    const second = await h.signed(scaleWeb('running-2', 4));
    const minted = await h.api(executor, 'POST', '/v1/approvals', second).then(() => h.mint(executor, second, scaleWeb('running-2', 4).args));
    expect(minted.status, JSON.stringify(minted.body)).toBe(200);
    const done = await h.kubectlAs(minted.body.token, ['scale', 'deployment', 'web', '-n', 'staging', '--replicas=4']);
    expect(done.stderr).toBe('');
  });
});

describe('without an admission token (a stock API server presents none)', () => {
  let anonymous: RunningExecutor;
  const warnings: Array<Record<string, unknown>> = [];
  const names: Record<string, string> = { 'never-made': 'never-made' };
  const logger: ExecutorLogger = { info() {}, error() {}, warn: (fields) => void warnings.push(fields) };

  beforeAll(async () => {
    anonymous = await h.startExecutor({ admissionToken: undefined, logger });
    // one approval that exists (approved, covering staging/web scale), one that was denied; none named `never-made`
    for (const [label, decision] of [['exists-1', 'approved'], ['denied-1', 'denied']] as const) {
      const document = await h.signed(scaleWeb(label), { decision });
      names[label] = document.name;
      expect(await h.api(anonymous, 'POST', '/v1/approvals', document)).toMatchObject({ status: 201 });
    }
  });

  it("answers anyone, but a refusal reads the same whether the approval exists, was denied or never existed", async () => {
    const messages: string[] = [];
    for (const label of ['exists-1', 'denied-1', 'never-made']) {
      const approval = names[label]!;
      for (const name of ['api', 'web']) {
        const answer = await h.api(anonymous, 'POST', '/v1/admission', review(approval, name), '');
        expect(answer.status).toBe(200);
        // every case is refused now: the existing approval was never minted for (no grant recorded, issue 73)
        expect(answer.body.response.allowed, `${label} ${name}`).toBe(false);
        const message = String(answer.body.response.status.message).replaceAll(approval, '<approval>').replaceAll(`uid-<approval>-${name}`, '<uid>').replaceAll(name, '<name>');
        // nothing of the stored approval: no decision, no expiry, no list of what it approved
        expect(message).not.toMatch(/denied|expired|does not exist|approved only|SkyfloApproval/);
        messages.push(message);
      }
    }
    expect(new Set(messages).size, messages.join('\n')).toBe(1);
    expect(messages[0]).toBe(
      `the Skyflo executor refused UPDATE of deployments.apps/scale staging/<name> by ${account('<approval>')}: it is not the write this approval account may make; the executor's log gives the reason under admission review <uid>`,
    );
    // the reason is in the executor's log, under the review's uid
    expect(warnings).toContainEqual(expect.objectContaining({ uid: `uid-${names['denied-1']}-web`, reason: `SkyfloApproval "${names['denied-1']}" was denied` }));
  });
});

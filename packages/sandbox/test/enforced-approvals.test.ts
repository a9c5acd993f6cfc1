import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeSim, writeAdmissionControlConfig } from '../src/kube-sim/index.ts';
import { startHarness, type KubeSimHarness } from './support/kube-sim-harness.ts';

/*
 * What a per-approval executor needs from the cluster, as the real API server behaves: a ServiceAccount's short-lived
 * token (TokenRequest), RBAC narrowed to named objects, a validating webhook with the last word on the content, a CRD
 * whose decided status cannot be flipped, and a request log naming who wrote. Everything through the real kubectl.
 */

let harness: KubeSimHarness;
// The sim's clock runs `skew` ahead of real time, so a test can let a token expire without waiting.
let skewMs = 0;

beforeAll(async () => {
  harness = await startHarness({ tls: true, workloads: false, clock: { now: () => new Date(Date.now() + skewMs) } });
  await harness.kubectl(['create', 'namespace', 'prod']);
});

afterAll(async () => {
  await harness?.close();
});

/** A kubeconfig that authenticates with nothing but this bearer token (what an executor would hand kubectl). */
function tokenKubeconfig(name: string, token: string): string {
  return harness.file(
    name,
    toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'executor',
      clusters: [{ name: 'sim', cluster: { server: harness.sim.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'executor', user: { token } }],
      contexts: [{ name: 'executor', context: { cluster: 'sim', user: 'executor', namespace: 'prod' } }],
    }),
  );
}

async function mintToken(account: string, duration = '10m'): Promise<string> {
  const created = await harness.kubectl(['create', 'token', account, '-n', 'prod', `--duration=${duration}`]);
  expect(created.stderr).toBe('');
  return created.stdout.trim();
}

async function ok(args: string[], options?: { kubeconfig?: string; input?: string }): Promise<string> {
  const result = await harness.kubectl(args, options);
  expect(result.stderr, `kubectl ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

describe('ServiceAccount tokens from the TokenRequest API', () => {
  it('authenticates a minted token as the account, refuses it once expired, and refuses a too-short duration', async () => {
    await ok(['create', 'serviceaccount', 'approval-1', '-n', 'prod']);
    const token = await mintToken('approval-1');
    expect(token.split('.')).toHaveLength(3);
    const kubeconfig = tokenKubeconfig('approval-1.kubeconfig', token);
    const whoami = await ok(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username} {.status.userInfo.groups}'], { kubeconfig });
    expect(whoami).toBe('system:serviceaccount:prod:approval-1 ["system:serviceaccounts","system:serviceaccounts:prod","system:authenticated"]');

    const tooShort = await harness.kubectl(['create', 'token', 'approval-1', '-n', 'prod', '--duration=5m']);
    expect(tooShort.stderr).toContain('spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes');

    skewMs = 11 * 60_000;
    try {
      const expired = await harness.kubectl(['get', 'configmaps'], { kubeconfig });
      expect(expired.stderr).toContain('You must be logged in to the server');
    } finally {
      skewMs = 0;
    }
  });

  it('refuses the token of a deleted account, and of an account deleted and created again under the same name', async () => {
    await ok(['create', 'serviceaccount', 'approval-2', '-n', 'prod']);
    const kubeconfig = tokenKubeconfig('approval-2.kubeconfig', await mintToken('approval-2'));
    expect(await ok(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig })).toBe('system:serviceaccount:prod:approval-2');
    await ok(['delete', 'serviceaccount', 'approval-2', '-n', 'prod']);
    expect((await harness.kubectl(['auth', 'whoami'], { kubeconfig })).stderr).toContain('Unauthorized');
    await ok(['create', 'serviceaccount', 'approval-2', '-n', 'prod']);
    expect((await harness.kubectl(['auth', 'whoami'], { kubeconfig })).stderr).toContain('Unauthorized');
  });
});

describe('RBAC with resourceNames', () => {
  it('lets the account patch only the approved object, never create one by name, and logs it as the writer', async () => {
    await ok(['create', 'serviceaccount', 'approval-3', '-n', 'prod']);
    await ok(['create', 'configmap', 'approved', '-n', 'prod', '--from-literal=mode=old']);
    await ok(['create', 'configmap', 'other', '-n', 'prod', '--from-literal=mode=old']);
    await ok(['create', 'role', 'approval-3', '-n', 'prod', '--verb=get,patch,create', '--resource=configmaps', '--resource-name=approved', '--resource-name=brand-new']);
    await ok(['create', 'role', 'approval-3-scale', '-n', 'prod', '--verb=patch', '--resource=deployments/scale', '--resource-name=web']);
    await ok(['create', 'rolebinding', 'approval-3', '-n', 'prod', '--role=approval-3', '--serviceaccount=prod:approval-3']);
    await ok(['create', 'rolebinding', 'approval-3-scale', '-n', 'prod', '--role=approval-3-scale', '--serviceaccount=prod:approval-3']);
    const kubeconfig = tokenKubeconfig('approval-3.kubeconfig', await mintToken('approval-3'));

    await ok(['patch', 'configmap', 'approved', '--type=merge', '-p', '{"data":{"mode":"new"}}'], { kubeconfig });
    expect(await ok(['get', 'configmap', 'approved', '-n', 'prod', '-o', 'jsonpath={.data.mode}'])).toBe('new');
    const write = harness.sim.calls.filter((call) => call.method === 'PATCH' && call.path === '/api/v1/namespaces/prod/configmaps/approved');
    expect(write.map((call) => [call.user, call.status])).toEqual([['system:serviceaccount:prod:approval-3', 200]]);

    const other = await harness.kubectl(['patch', 'configmap', 'other', '--type=merge', '-p', '{"data":{"mode":"new"}}'], { kubeconfig });
    expect(other.stderr).toContain('configmaps "other" is forbidden: User "system:serviceaccount:prod:approval-3" cannot get resource "configmaps" in API group "" in the namespace "prod"');
    expect(await ok(['get', 'configmap', 'other', '-n', 'prod', '-o', 'jsonpath={.data.mode}'])).toBe('old');

    // "create" cannot be restricted by resourceName: the rule naming brand-new does not authorize creating it.
    const created = await harness.kubectl(['create', 'configmap', 'brand-new', '--from-literal=a=b'], { kubeconfig });
    expect(created.stderr).toContain('configmaps is forbidden: User "system:serviceaccount:prod:approval-3" cannot create resource "configmaps" in API group "" in the namespace "prod"');

    // A list or watch of one named object (fieldSelector metadata.name) is what a resourceNames rule can allow.
    await ok(['create', 'role', 'approval-3-watch', '-n', 'prod', '--verb=list,watch', '--resource=configmaps', '--resource-name=approved']);
    await ok(['create', 'rolebinding', 'approval-3-watch', '-n', 'prod', '--role=approval-3-watch', '--serviceaccount=prod:approval-3']);
    expect(await ok(['get', 'configmaps', '--field-selector=metadata.name=approved', '-o', 'name'], { kubeconfig })).toBe('configmap/approved\n');
    const listAll = await harness.kubectl(['get', 'configmaps', '-o', 'name'], { kubeconfig });
    expect(listAll.stderr).toContain('configmaps is forbidden: User "system:serviceaccount:prod:approval-3" cannot list resource "configmaps"');

    const canI = (args: string[]) => harness.kubectl(['auth', 'can-i', ...args], { kubeconfig }).then((result) => result.stdout.trim());
    expect(await canI(['patch', 'configmap/approved'])).toBe('yes');
    expect(await canI(['patch', 'configmap/other'])).toBe('no');
    expect(await canI(['patch', 'deployments/web', '--subresource=scale'])).toBe('yes');
    expect(await canI(['patch', 'deployments/api', '--subresource=scale'])).toBe('no');
    expect(await canI(['patch', 'deployments/web'])).toBe('no');
  });
});

interface WebhookServer {
  url: string;
  reviews: any[];
  /** the Authorization header of each call, in order ('' when none was sent) */
  authorizations: string[];
  close(): Promise<void>;
}

/** A validating webhook on loopback: denies data.mode "unsafe", any delete, and scales above 3, as an approval check would. */
async function startWebhook(): Promise<WebhookServer> {
  const reviews: any[] = [];
  const authorizations: string[] = [];
  const server = http.createServer((request, response) => {
    authorizations.push(request.headers.authorization ?? '');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      reviews.push(review);
      const { operation, object } = review.request;
      const unsafe = object?.data?.mode === 'unsafe' || operation === 'DELETE' || (object?.kind === 'Scale' && object.spec.replicas > 3);
      const reply = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: !unsafe, ...(unsafe ? { status: { message: 'the change does not match the approved dry run' } } : {}) } };
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/validate`, reviews, authorizations, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function webhookConfiguration(url: string, failurePolicy: 'Fail' | 'Ignore', sideEffects = 'None'): string {
  return JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'skyflo-approvals' },
    webhooks: [
      {
        name: 'approvals.skyflo.io',
        admissionReviewVersions: ['v1'],
        sideEffects,
        failurePolicy,
        timeoutSeconds: 5,
        clientConfig: { url },
        rules: [{ operations: ['CREATE', 'UPDATE', 'DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], scope: 'Namespaced' }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } },
        objectSelector: { matchLabels: { 'skyflo.io/guarded': 'true' } },
        matchConditions: [{ name: 'not-the-admin', expression: "request.userInfo.username != 'system:kube-controller-manager'" }],
      },
      {
        name: 'scale.skyflo.io',
        admissionReviewVersions: ['v1'],
        sideEffects,
        failurePolicy,
        clientConfig: { url },
        rules: [{ operations: ['UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments/scale'] }],
      },
    ],
  });
}

describe('validating admission webhooks', () => {
  let webhook: WebhookServer;
  beforeAll(async () => {
    webhook = await startWebhook();
    await ok(['create', 'configmap', 'guarded', '-n', 'prod', '--from-literal=mode=old']);
    await ok(['label', 'configmap', 'guarded', '-n', 'prod', 'skyflo.io/guarded=true']);
  });
  afterAll(async () => {
    await webhook?.close();
  });

  it('sends an AdmissionReview and answers a denial with the webhook message, like the real server', async () => {
    await ok(['apply', '-f', '-'], { input: webhookConfiguration(webhook.url, 'Fail') });
    const denied = await harness.kubectl(['patch', 'configmap', 'guarded', '-n', 'prod', '--type=merge', '-p', '{"data":{"mode":"unsafe"}}']);
    expect(denied.stderr).toContain('admission webhook "approvals.skyflo.io" denied the request: the change does not match the approved dry run');
    expect(await ok(['get', 'configmap', 'guarded', '-n', 'prod', '-o', 'jsonpath={.data.mode}'])).toBe('old');

    await ok(['patch', 'configmap', 'guarded', '-n', 'prod', '--type=merge', '-p', '{"data":{"mode":"safe"}}']);
    expect(await ok(['get', 'configmap', 'guarded', '-n', 'prod', '-o', 'jsonpath={.data.mode}'])).toBe('safe');
    const review = webhook.reviews.at(-1);
    expect(review).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(review.request).toMatchObject({
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      name: 'guarded',
      namespace: 'prod',
      operation: 'UPDATE',
      userInfo: { username: 'kube-sim-admin' },
      object: { data: { mode: 'safe' } },
      oldObject: { data: { mode: 'old' } },
      dryRun: false,
    });
    expect(review.request.uid).toMatch(/^[0-9a-f-]{36}$/);

    const deleted = await harness.kubectl(['delete', 'configmap', 'guarded', '-n', 'prod']);
    expect(deleted.stderr).toContain('admission webhook "approvals.skyflo.io" denied the request');
    expect(webhook.reviews.at(-1).request).toMatchObject({ operation: 'DELETE', object: null, oldObject: { metadata: { name: 'guarded' } } });

    // A scale is an UPDATE of deployments/scale carrying autoscaling/v1 Scale objects.
    await ok(['create', 'deployment', 'web', '-n', 'prod', '--image=nginx', '--replicas=2']);
    const scaled = await harness.kubectl(['scale', 'deployment', 'web', '-n', 'prod', '--replicas=5']);
    expect(scaled.stderr).toContain('admission webhook "scale.skyflo.io" denied the request: the change does not match the approved dry run');
    expect(webhook.reviews.at(-1).request).toMatchObject({ kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, resource: { group: 'apps', resource: 'deployments' }, subResource: 'scale', object: { spec: { replicas: 5 } }, oldObject: { spec: { replicas: 2 } } });
    await ok(['scale', 'deployment', 'web', '-n', 'prod', '--replicas=3']);
    expect(await ok(['get', 'deployment', 'web', '-n', 'prod', '-o', 'jsonpath={.spec.replicas}'])).toBe('3');

    // Unlabelled objects are outside the objectSelector: the webhook is never asked.
    const asked = webhook.reviews.length;
    await ok(['create', 'configmap', 'unguarded', '-n', 'prod', '--from-literal=mode=unsafe']);
    expect(webhook.reviews).toHaveLength(asked);
  });

  it('refuses with 500 when a Fail webhook cannot be reached, admits when it is Ignore', async () => {
    const down = await startWebhook();
    await down.close();
    await ok(['apply', '-f', '-'], { input: webhookConfiguration(down.url, 'Fail') });
    const refused = await harness.kubectl(['patch', 'configmap', 'guarded', '-n', 'prod', '--type=merge', '-p', '{"data":{"mode":"while-down"}}']);
    expect(refused.stderr).toContain('Internal error occurred: failed calling webhook "approvals.skyflo.io": failed to call webhook: Post "' + down.url + '?timeout=5s"');
    expect(await ok(['get', 'configmap', 'guarded', '-n', 'prod', '-o', 'jsonpath={.data.mode}'])).toBe('safe');
    const status = harness.sim.calls.filter((call) => call.method === 'PATCH' && call.path.endsWith('/configmaps/guarded')).at(-1)?.status;
    expect(status).toBe(500);

    await ok(['apply', '-f', '-'], { input: webhookConfiguration(down.url, 'Ignore') });
    await ok(['patch', 'configmap', 'guarded', '-n', 'prod', '--type=merge', '-p', '{"data":{"mode":"while-down"}}']);
    expect(await ok(['get', 'configmap', 'guarded', '-n', 'prod', '-o', 'jsonpath={.data.mode}'])).toBe('while-down');
  });

  it('calls a webhook without side effects on a server dry run, which the denial then answers', async () => {
    await ok(['apply', '-f', '-'], { input: webhookConfiguration(webhook.url, 'Fail', 'None') });
    const denied = await harness.kubectl(['patch', 'configmap', 'guarded', '-n', 'prod', '--dry-run=server', '--type=merge', '-p', '{"data":{"mode":"unsafe"}}']);
    expect(denied.stderr).toContain('denied the request: the change does not match the approved dry run');
    expect(webhook.reviews.at(-1).request.dryRun).toBe(true);

    // v1 knows only webhooks without side effects (on dry runs), as the real validation says.
    const someEffects = await harness.kubectl(['apply', '-f', '-'], { input: webhookConfiguration(webhook.url, 'Fail', 'Some') });
    expect(someEffects.stderr).toContain('webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"');
    await ok(['delete', 'validatingwebhookconfiguration', 'skyflo-approvals']);
  });
});

const approvalCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'skyfloapprovals.skyflo.io' },
  spec: {
    group: 'skyflo.io',
    scope: 'Namespaced',
    names: { plural: 'skyfloapprovals', singular: 'skyfloapproval', kind: 'SkyfloApproval' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { callId: { type: 'string' } } },
              status: {
                type: 'object',
                properties: { decision: { type: 'string' }, decidedBy: { type: 'string' } },
                'x-kubernetes-validations': [
                  { rule: "self.decision == oldSelf.decision || oldSelf.decision == 'Pending'", message: 'decision is immutable once decided' },
                  { rule: '!has(oldSelf.decidedBy) || self.decidedBy == oldSelf.decidedBy', message: 'decidedBy is immutable' },
                ],
              },
            },
          },
        },
      },
    ],
  },
};

describe('CRD status subresource and transition rules', () => {
  it('keeps status out of spec writes and refuses flipping a decided status with the API 422 shape', async () => {
    await ok(['apply', '-f', '-'], { input: JSON.stringify(approvalCrd) });
    await ok(['wait', '--for=condition=Established', 'crd/skyfloapprovals.skyflo.io']);
    await ok(['apply', '-n', 'prod', '-f', '-'], { input: JSON.stringify({ apiVersion: 'skyflo.io/v1alpha1', kind: 'SkyfloApproval', metadata: { name: 'a1' }, spec: { callId: 'c1' }, status: { decision: 'Approved' } }) });
    const status = () => ok(['get', 'skyfloapproval', 'a1', '-n', 'prod', '-o', 'jsonpath={.status.decision}/{.status.decidedBy}']);
    expect(await status()).toBe('/');

    const patchStatus = (body: object) => harness.kubectl(['patch', 'skyfloapproval', 'a1', '-n', 'prod', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: body })]);
    expect((await patchStatus({ decision: 'Pending' })).code).toBe(0);
    expect((await patchStatus({ decision: 'Approved', decidedBy: 'ana' })).code).toBe(0);
    expect(await status()).toBe('Approved/ana');

    const flipped = await patchStatus({ decision: 'Denied' });
    expect(flipped.stderr).toContain('The SkyfloApproval "a1" is invalid: status: Invalid value: "object": decision is immutable once decided');
    const reattributed = await patchStatus({ decidedBy: 'mallory' });
    expect(reattributed.stderr).toContain('status: Invalid value: "object": decidedBy is immutable');
    const write = harness.sim.calls.filter((call) => call.method === 'PATCH' && call.path.endsWith('/skyfloapprovals/a1/status')).at(-1);
    expect(write?.status).toBe(422);

    // A write of the main resource ignores status altogether.
    await ok(['patch', 'skyfloapproval', 'a1', '-n', 'prod', '--type=merge', '-p', '{"spec":{"callId":"c2"},"status":{"decision":"Denied"}}']);
    expect(await status()).toBe('Approved/ana');
  });
});

describe('RBAC privilege-escalation prevention', () => {
  it('lets an account grant only what it holds, unless it has escalate (roles) and bind (bindings)', async () => {
    await ok(['create', 'serviceaccount', 'granter', '-n', 'prod']);
    await ok(['create', 'role', 'granter', '-n', 'prod', '--verb=create,get,delete', '--resource=roles,rolebindings']);
    await ok(['create', 'rolebinding', 'granter', '-n', 'prod', '--role=granter', '--serviceaccount=prod:granter']);
    const kubeconfig = tokenKubeconfig('granter.kubeconfig', await mintToken('granter'));

    // It holds create/get/delete on roles: a role with exactly those is fine; one with patch on deployments is not.
    await ok(['create', 'role', 'held', '-n', 'prod', '--verb=get', '--resource=roles'], { kubeconfig });
    const escalating = await harness.kubectl(['create', 'role', 'more', '-n', 'prod', '--verb=patch', '--resource=deployments', '--resource-name=web'], { kubeconfig });
    expect(escalating.stderr).toContain(
      'roles.rbac.authorization.k8s.io "more" is forbidden: user "system:serviceaccount:prod:granter" (groups=["system:serviceaccounts" "system:serviceaccounts:prod" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["patch"]}',
    );
    await ok(['create', 'role', 'more', '-n', 'prod', '--verb=patch', '--resource=deployments', '--resource-name=web']);
    const binding = await harness.kubectl(['create', 'rolebinding', 'more', '-n', 'prod', '--role=more', '--serviceaccount=prod:granter'], { kubeconfig });
    expect(binding.stderr).toContain('rolebindings.rbac.authorization.k8s.io "more" is forbidden: user "system:serviceaccount:prod:granter"');
    expect(binding.stderr).toContain('is attempting to grant RBAC permissions not currently held');

    // With escalate and bind it may grant what it does not hold (what the approval executor is given).
    await ok(['create', 'role', 'granter-escalate', '-n', 'prod', '--verb=escalate,bind', '--resource=roles']);
    await ok(['create', 'rolebinding', 'granter-escalate', '-n', 'prod', '--role=granter-escalate', '--serviceaccount=prod:granter']);
    await ok(['create', 'role', 'more-2', '-n', 'prod', '--verb=patch', '--resource=deployments', '--resource-name=web'], { kubeconfig });
    await ok(['create', 'rolebinding', 'more', '-n', 'prod', '--role=more', '--serviceaccount=prod:granter'], { kubeconfig });
    expect(await ok(['auth', 'can-i', 'patch', 'deployments/web', '-n', 'prod'], { kubeconfig })).toBe('yes\n');
  });
});

describe('credentials presented to webhooks (--admission-control-config-file)', () => {
  it('calls webhooks anonymously without a configuration, as before', async () => {
    const webhook = await startWebhook();
    try {
      await ok(['apply', '-f', '-'], { input: webhookConfiguration(webhook.url, 'Fail') });
      await ok(['scale', 'deployment', 'web', '-n', 'prod', '--replicas=2']);
      expect(webhook.authorizations.at(-1)).toBe('');
    } finally {
      await ok(['delete', 'validatingwebhookconfiguration', 'skyflo-approvals']);
      await webhook.close();
    }
  });

  it("sends the bearer token of the kubeconfig user named after the webhook's host, then `*`, as kube-apiserver does", async () => {
    const named = await startWebhook();
    const other = await startWebhook();
    const directory = path.join(harness.directory, 'admission');
    const configFile = writeAdmissionControlConfig(directory, { [new URL(named.url).host]: 'token-for-this-host', '*': 'token-for-any-other' });
    const sim = await startKubeSim({ tls: true, workloads: false, admissionControlConfigFile: configFile, kubeconfigPath: path.join(directory, 'kubeconfig') });
    try {
      const kubeconfig = path.join(directory, 'kubeconfig');
      await ok(['create', 'namespace', 'prod'], { kubeconfig });
      await ok(['create', 'deployment', 'web', '-n', 'prod', '--image=nginx', '--replicas=1'], { kubeconfig });
      for (const webhook of [named, other]) {
        await ok(['apply', '-f', '-'], { kubeconfig, input: webhookConfiguration(webhook.url, 'Fail') });
        await ok(['scale', 'deployment', 'web', '-n', 'prod', '--replicas=2'], { kubeconfig });
      }
      expect(named.authorizations.at(-1)).toBe('Bearer token-for-this-host');
      expect(other.authorizations.at(-1)).toBe('Bearer token-for-any-other');
    } finally {
      await sim.close();
      await named.close();
      await other.close();
    }
  });

  it('refuses to start with a configuration it cannot use, naming the problem', async () => {
    const directory = path.join(harness.directory, 'admission-broken');
    const relative = harness.file('relative-admission.yaml', toYaml({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration', plugins: [{ name: 'ValidatingAdmissionWebhook', configuration: { kind: 'WebhookAdmissionConfiguration', kubeConfigFile: 'webhook-kubeconfig.yaml' } }] }));
    await expect(startKubeSim({ workloads: false, admissionControlConfigFile: relative })).rejects.toThrow(/kubeConfigFile "webhook-kubeconfig.yaml" must be an absolute file path/);
    await expect(startKubeSim({ workloads: false, admissionControlConfigFile: path.join(directory, 'missing.yaml') })).rejects.toThrow(/cannot read admission control configuration/);
  });
});

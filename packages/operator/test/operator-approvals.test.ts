/**
 * Cluster-enforced approvals as the operator installs them (issue 34), on kube-sim through the real kubectl:
 * - the MCP server's ServiceAccount can write nothing in any access profile (`kubectl auth can-i --as` it);
 * - the executor: its Deployment (`skyflo executor`) as ServiceAccount skyflo-executor, its Service, its RBAC from the
 *   chart (no standing write on any workload, only ServiceAccounts, tokens and Roles), the ValidatingWebhookConfiguration
 *   (failurePolicy Fail, matchConditions for skyflo-approval-* accounts, caBundle = the CA that signed the serving
 *   certificate), the signing key in the engine only and the public key in the executor only, the engine's env;
 * - the SkyfloAI says when the executor's identity is missing and how to create it, and `kubectl describe sky` warns
 *   (ApprovalsEnforcedByEngine) when approvals are enforced by the engine alone.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { helmPath, repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

const run = promisify(execFile);
let harness: OperatorHarness;
const helmHome = mkdtempSync(path.join(tmpdir(), 'skyflo-helm-'));
const mcp = 'system:serviceaccount:skyflo:sky-mcp';
const executor = 'system:serviceaccount:skyflo:skyflo-executor';
const writeVerbs = ['create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', '*'];

async function canI(user: string, ...args: string[]): Promise<'yes' | 'no'> {
  const output = await harness.kubectl(['auth', 'can-i', ...args, '--as', user]).catch((error: Error) => error.message);
  if (/\byes\b/.test(output)) return 'yes';
  if (/\bno\b/.test(output)) return 'no';
  throw new Error(`kubectl auth can-i ${args.join(' ')}: ${output}`);
}

/** The chart's executor RBAC, exactly as the SkyfloAI's status tells an operator-only install to create it. */
async function applyChartExecutorRbac(sets: string[]): Promise<void> {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: helmHome, HELM_CACHE_HOME: path.join(helmHome, 'c'), HELM_CONFIG_HOME: path.join(helmHome, 'f'), HELM_DATA_HOME: path.join(helmHome, 'd') };
  const { stdout } = await run(helmPath, ['template', 'skyflo', path.join(repoRoot, 'deploy', 'helm', 'skyflo'), '-n', 'skyflo', ...sets.flatMap((value) => ['--set', value]), '--show-only', 'templates/executor-rbac.yaml'], { env });
  await harness.kubectl(['apply', '-f', '-'], stdout);
}

async function applied(spec: object, wanted: (sky: any) => boolean = (sky) => condition(sky, 'Ready')?.status === 'True'): Promise<any> {
  await harness.apply(`apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: sky, namespace: skyflo}\nspec: ${JSON.stringify(spec)}\n`);
  return skyWhen(wanted, 'the SkyfloAI to reach the expected state on its current spec');
}

/** Waits for the SkyfloAI's status (on its current spec) to satisfy `wanted`; a timeout shows the last status seen. */
async function skyWhen(wanted: (sky: any) => boolean, what: string): Promise<any> {
  let last: any;
  return eventually(async () => {
    last = await harness.tryGet('skyfloai', 'sky', 'skyflo');
    return last?.status?.observedGeneration === last?.metadata.generation && wanted(last) ? last : undefined;
  }, { what }).catch(async (error: Error) => {
    const pods = await harness.kubectl(['get', 'pods,events', '-n', 'skyflo']).catch(() => '');
    throw new Error(`${error.message}; last status: ${JSON.stringify(last?.status)}\n${pods}`);
  });
}

const rulesOf = async (kind: string, name: string, namespace = '') => (await harness.getJson([`get`, kind, name, ...(namespace ? ['-n', namespace] : [])])).rules as any[];
const writesIn = (rules: any[]) => rules.filter((rule) => rule.verbs.some((verb: string) => writeVerbs.includes(verb)) && !rule.apiGroups.includes('authorization.k8s.io'));
const envOf = (deployment: any) => Object.fromEntries(deployment.spec.template.spec.containers[0].env.map((entry: any) => [entry.name, entry.value ?? entry.valueFrom]));

beforeAll(async () => {
  harness = await startOperatorHarness();
  await harness.startInProcess();
  for (const namespace of ['skyflo', 'payments', 'checkout', 'other']) await harness.kubectl(['create', 'namespace', namespace]);
  await harness.kubectl(['apply', '-f', path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', 'skyfloapprovals.skyflo.ai.yaml')]);
});

afterAll(async () => {
  await harness?.close();
  rmSync(helmHome, { recursive: true, force: true });
});

describe('approvals.enforcement=cluster (the default for a profile that writes)', () => {
  it('cluster-admin-like: the MCP server writes nothing; the executor, its RBAC, keys, certificate and webhook are installed', async () => {
    // without the chart's executor RBAC the SkyfloAI says what is missing and the command that creates it
    const waiting = await applied({ rbac: { profile: 'cluster-admin-like' } }, (sky) => condition(sky, 'Degraded')?.reason === 'ExecutorRbacMissing');
    expect(condition(waiting, 'Degraded').message).toContain('ServiceAccount skyflo-executor');
    expect(condition(waiting, 'Degraded').message).toContain('--set skyfloai.accessProfile=cluster-admin-like --show-only templates/executor-rbac.yaml | kubectl apply -f -');
    await applyChartExecutorRbac(['skyfloai.accessProfile=cluster-admin-like']);
    const sky = await skyWhen((object) => condition(object, 'Ready')?.status === 'True', 'Ready once the executor RBAC exists');
    expect(sky.status.executor).toEqual({ phase: 'Running', readyReplicas: 1, desiredReplicas: 1 });
    expect(condition(sky, 'ApprovalsEnforced')).toMatchObject({ status: 'True', reason: 'ClusterEnforced' });

    // No standing write: the MCP server's ServiceAccount reads, and writes nothing anywhere
    expect(writesIn(await rulesOf('clusterrole', 'skyflo:skyflo:sky:mcp'))).toEqual([]);
    expect(await canI(mcp, 'list', 'pods', '-A')).toBe('yes');
    for (const [verb, resource] of [['create', 'deployments'], ['patch', 'deployments'], ['delete', 'pods'], ['patch', 'deployments/scale'], ['create', 'secrets'], ['create', 'pods/exec'], ['patch', 'nodes']]) {
      expect(await canI(mcp, verb, resource, '-n', 'other'), `${verb} ${resource}`).toBe('no');
    }

    // The executor: no write on any workload; only approvals, per-approval ServiceAccounts, their tokens and Roles
    const deployment = await harness.tryGet('deployment', 'sky-executor', 'skyflo');
    expect(deployment.spec.template.spec.serviceAccountName).toBe('skyflo-executor');
    expect(deployment.spec.template.spec.containers[0].args).toEqual(['executor']);
    expect(deployment.spec.template.spec.containers[0].image).toBe((await harness.tryGet('deployment', 'sky-engine', 'skyflo')).spec.template.spec.containers[0].image);
    expect(envOf(deployment)).toMatchObject({ SKYFLO_EXECUTOR_NAMESPACE: 'skyflo', PORT: '8443' });
    expect(envOf(deployment).SKYFLO_EXECUTOR_NAMESPACES).toBeUndefined();
    expect((await harness.tryGet('service', 'sky-executor', 'skyflo')).spec.ports).toEqual([expect.objectContaining({ port: 8443, targetPort: 'https' })]);
    // it reads Secrets (issue 73 item 6: it renders Helm previews, and helm reads a release's storage Secrets; its
    // answers hold no Secret value: executor-helm-render.test.ts); its write verbs are for previews' dry-runs only (its
    // webhook refuses its real writes: executor-credential.test.ts)
    for (const [verb, resource] of [['get', 'secrets'], ['list', 'secrets']]) expect(await canI(executor, verb, resource, '-n', 'other'), `${verb} ${resource}`).toBe('yes');
    expect(envOf(await harness.tryGet('deployment', 'sky-executor', 'skyflo')).SKYFLO_EXECUTOR_HELM_PATH).toBe('/usr/local/bin/helm');
    expect(await canI(executor, 'patch', 'deployments', '-n', 'other')).toBe('yes');
    expect(await canI(executor, 'create', 'serviceaccounts/token', '-n', 'skyflo')).toBe('yes');
    expect(await canI(executor, 'create', 'serviceaccounts', '-n', 'skyflo')).toBe('yes');
    expect(await canI(executor, 'create', 'skyfloapprovals', '-n', 'skyflo')).toBe('yes');
    expect(await canI(executor, 'update', 'skyfloapprovals', '--subresource=status', '-n', 'skyflo')).toBe('yes');
    expect(await canI(executor, 'create', 'roles', '-n', 'other')).toBe('yes');
    expect(await canI(executor, 'create', 'clusterroles')).toBe('yes');

    // The webhook: every write of this install's per-approval accounts, and only those, fails closed
    const webhook = (await harness.getJson(['get', 'validatingwebhookconfiguration', 'skyflo-skyflo-sky-approvals'])).webhooks[0];
    expect(webhook.failurePolicy).toBe('Fail');
    expect(webhook.matchConditions).toEqual([{ name: 'skyflo-approval-accounts-and-executor', expression: "request.userInfo.username.startsWith('system:serviceaccount:skyflo:skyflo-approval-') || request.userInfo.username == 'system:serviceaccount:skyflo:skyflo-executor'" }]);
    expect(webhook.clientConfig.service).toEqual({ name: 'sky-executor', namespace: 'skyflo', path: '/v1/admission', port: 8443 });
    expect(webhook.rules[0]).toMatchObject({ operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'], resources: ['*', '*/*'] });
    const tls = (await harness.getJson(['get', 'secret', 'sky-executor-tls', '-n', 'skyflo'])).data;
    const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');
    const ca = new X509Certificate(Buffer.from(webhook.clientConfig.caBundle, 'base64'));
    const serving = new X509Certificate(decode(tls['tls.crt']));
    expect(ca.ca).toBe(true);
    expect(decode(tls['ca.crt'])).toBe(Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('utf8'));
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkHost('sky-executor.skyflo.svc')).toBe('sky-executor.skyflo.svc');
    expect(serving.checkPrivateKey(createPrivateKey(decode(tls['tls.key'])))).toBe(true);

    // The engine's signing key: private in the engine only, public in the executor only; the pair matches
    const keys = (await harness.getJson(['get', 'secret', 'sky-approval-keys', '-n', 'skyflo'])).data;
    expect(createPublicKey(createPrivateKey(decode(keys['signing-key.pem']))).export({ format: 'pem', type: 'spki' })).toBe(decode(keys['public-key.pem']));
    const engine = await harness.tryGet('deployment', 'sky-engine', 'skyflo');
    const mountedKeys = (pod: any, secret = 'sky-approval-keys') => pod.spec.template.spec.volumes.filter((volume: any) => volume.secret?.secretName === secret).flatMap((volume: any) => volume.secret.items.map((item: any) => item.key)).sort();
    expect(mountedKeys(engine)).toEqual(['executor-token', 'signing-key.pem']);
    expect(mountedKeys(deployment)).toEqual(['executor-token', 'public-key.pem']);
    // Issue 73: the MCP server gets its own dry-run token, from a Secret of its own: nothing of the engine's (neither
    // the signing key nor the engine's executor token, which opens credentials and approver keys)
    const mcpServer = await harness.tryGet('deployment', 'sky-mcp', 'skyflo');
    expect(mountedKeys(mcpServer)).toEqual([]);
    expect(mountedKeys(mcpServer, 'sky-executor-dry-run')).toEqual(['dry-run-token']);
    expect(mountedKeys(deployment, 'sky-executor-dry-run')).toEqual(['dry-run-token']);
    expect(mountedKeys(engine, 'sky-executor-dry-run')).toEqual([]);
    const dryRunToken = decode((await harness.getJson(['get', 'secret', 'sky-executor-dry-run', '-n', 'skyflo'])).data['dry-run-token']);
    expect(dryRunToken.length).toBeGreaterThanOrEqual(40);
    expect(dryRunToken).not.toBe(decode(keys['executor-token']));
    expect(envOf(mcpServer)).toMatchObject({
      SKYFLO_DRY_RUN_URL: 'https://sky-executor.skyflo.svc:8443',
      SKYFLO_DRY_RUN_TOKEN_FILE: '/var/run/skyflo/dry-run-token/dry-run-token',
      NODE_EXTRA_CA_CERTS: '/var/run/skyflo/executor-ca/ca.crt',
    });
    expect(envOf(mcpServer).SKYFLO_EXECUTOR_TOKEN_FILE).toBeUndefined();
    expect(envOf(deployment)).toMatchObject({ SKYFLO_EXECUTOR_TOKEN_FILE: '/var/run/skyflo/engine-key/executor-token', SKYFLO_DRY_RUN_TOKEN_FILE: '/var/run/skyflo/dry-run-token/dry-run-token' });
    // no admission token asked for: the webhook answers the API server anonymously (docs/security.md)
    expect(envOf(deployment).SKYFLO_EXECUTOR_ADMISSION_TOKEN_FILE).toBeUndefined();
    expect(envOf(engine)).toMatchObject({
      SKYFLO_APPROVAL_ENFORCEMENT: 'cluster',
      SKYFLO_EXECUTOR_URL: 'https://sky-executor.skyflo.svc:8443',
      SKYFLO_APPROVAL_SIGNING_KEY_FILE: '/var/run/skyflo/approval-keys/signing-key.pem',
      SKYFLO_EXECUTOR_TOKEN_FILE: '/var/run/skyflo/approval-keys/executor-token',
      NODE_EXTRA_CA_CERTS: '/var/run/skyflo/executor-ca/ca.crt',
    });
  });

  it('namespaced: read-only Roles for the MCP server, the executor limited to the listed namespaces', async () => {
    // as `helm upgrade` to the namespaced profile would: the cluster-wide binding goes, RoleBindings in the namespaces come
    await harness.kubectl(['delete', 'clusterrolebinding', 'skyflo:skyflo:executor']);
    await applyChartExecutorRbac(['skyfloai.accessProfile=namespaced', 'skyfloai.namespaces={payments,checkout}']);
    // with the API server's admission token (issue 73): the executor reads it from the named Secret
    await harness.kubectl(['create', 'secret', 'generic', 'apiserver-webhook', '-n', 'skyflo', '--from-literal=bearer=the-api-servers-token']);
    await applied({ rbac: { profile: 'namespaced', namespaces: ['payments', 'checkout'] }, approvals: { admissionTokenSecretRef: { name: 'apiserver-webhook', key: 'bearer' } } });
    const withAdmission = await harness.tryGet('deployment', 'sky-executor', 'skyflo');
    expect(envOf(withAdmission).SKYFLO_EXECUTOR_ADMISSION_TOKEN_FILE).toBe('/var/run/skyflo/admission-token/admission-token');
    expect(withAdmission.spec.template.spec.volumes).toContainEqual({ name: 'admission-token', secret: { secretName: 'apiserver-webhook', defaultMode: 0o400, items: [{ key: 'bearer', path: 'admission-token' }] } });
    for (const namespace of ['payments', 'checkout']) {
      expect(writesIn(await rulesOf('role', 'skyflo:skyflo:sky:mcp', namespace)), namespace).toEqual([]);
      expect(await canI(mcp, 'get', 'deployments', '-n', namespace)).toBe('yes');
      expect(await canI(mcp, 'patch', 'deployments/scale', '-n', namespace)).toBe('no');
      expect(await canI(executor, 'create', 'roles', '-n', namespace)).toBe('yes');
    }
    expect(await canI(executor, 'create', 'roles', '-n', 'other')).toBe('no');
    expect(envOf(await harness.tryGet('deployment', 'sky-executor', 'skyflo')).SKYFLO_EXECUTOR_NAMESPACES).toBe('payments,checkout');
  });
});

describe('approvals.enforcement=engine', () => {
  it('kubectl describe sky warns ApprovalsEnforcedByEngine; the executor and its webhook are removed; the MCP server writes again', async () => {
    await applied({ rbac: { profile: 'cluster-admin-like' }, approvals: { enforcement: 'engine' } });
    const described = await harness.kubectl(['describe', 'sky', 'sky', '-n', 'skyflo']);
    expect(described).toMatch(/Warning\s+ApprovalsEnforcedByEngine/);
    expect(described).toMatch(/Reason:\s+ApprovalsEnforcedByEngine/);
    expect(described).toContain('only Skyflo\'s own approval gate stands between the model and the cluster');
    expect(await harness.tryGet('deployment', 'sky-executor', 'skyflo')).toBeUndefined();
    expect(await harness.tryGet('service', 'sky-executor', 'skyflo')).toBeUndefined();
    expect(await harness.tryGet('validatingwebhookconfiguration', 'skyflo-skyflo-sky-approvals', '')).toBeUndefined();
    expect(await canI(mcp, 'patch', 'deployments/scale', '-n', 'other')).toBe('yes');
    expect(envOf(await harness.tryGet('deployment', 'sky-engine', 'skyflo')).SKYFLO_APPROVAL_ENFORCEMENT).toBe('engine');

    // back to cluster: the webhook returns; deleting the SkyfloAI removes it with the cluster RBAC
    await applied({ rbac: { profile: 'cluster-admin-like' } });
    expect(await harness.tryGet('validatingwebhookconfiguration', 'skyflo-skyflo-sky-approvals', '')).toBeDefined();
    expect(await canI(mcp, 'patch', 'deployments/scale', '-n', 'other')).toBe('no');
    await harness.kubectl(['delete', 'sky', 'sky', '-n', 'skyflo']);
    await eventually(async () => (await harness.tryGet('validatingwebhookconfiguration', 'skyflo-skyflo-sky-approvals', '')) === undefined, { what: 'the webhook to go with the SkyfloAI' });
  });
});

/**
 * kube-sim (TLS, so kubectl sends bearer tokens) with the SkyfloApproval CRD, namespaces skyflo (the install),
 * staging and prod with deployments, the executor's own identity holding exactly the rules an install gives it
 * (src/executor/executor-rbac.ts), an engine key pair, and the real kubectl for every identity.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import type { ApprovalCredentialRequest, SkyfloApprovalDocument, SkyfloApprovalSpec } from '@skyflo/protocol';
import { approvalObjectName, toolCallHash } from '@skyflo/protocol/approval-hashes';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { stringify as toYaml } from 'yaml';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.ts';
import { executorClusterScopeRules, executorDryRunRules, executorGrantRules, executorInstallNamespaceRules, executorServiceAccountName, signApproval, startExecutor, type ExecutorOptions, type RunningExecutor } from '../../src/executor/index.ts';

export const installNamespace = 'skyflo';
export const approvalsCrdPath = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', 'skyfloapprovals.skyflo.ai.yaml');
export const approverKeysCrdPath = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', 'skyfloapproverkeys.skyflo.ai.yaml');
export const callerToken = 'engine-to-executor-test-token';
/** the MCP server's own bearer: POST /v1/dry-run only (issue 73) */
export const dryRunToken = 'mcp-to-executor-dry-run-test-token';
/** what kube-sim (as kube-apiserver with an AdmissionConfiguration) presents to the executor's webhook */
export const admissionToken = 'api-server-to-webhook-test-token';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecutorHarness {
  harness: OperatorHarness;
  /** admin kubectl; rejects on failure */
  kubectl(args: string[], input?: string): Promise<string>;
  /** kubectl authenticating with nothing but `token` */
  kubectlAs(token: string, args: string[], input?: string): Promise<KubectlResult>;
  /**
   * Starts an executor as skyflo-executor. Its grant rules are bound in `rbacNamespaces` (default: `allowedNamespaces`),
   * or cluster-wide when neither is given — as the chart binds them.
   */
  startExecutor(options?: Partial<ExecutorOptions> & { rbacNamespaces?: string[] }): Promise<RunningExecutor>;
  /**
   * The SkyfloApproval the engine would sign for `call` (issue 73): its argsHash is the call's, its name the one its
   * conversation and call give — `name`/`spec` override them for tests of forgeries. Signed with the engine's key (or
   * `signingKeyPem`).
   */
  signed(call: ApprovedCall, options?: { decision?: 'approved' | 'denied'; expiresAt?: string; signingKeyPem?: string; name?: string; spec?: Partial<SkyfloApprovalSpec>; status?: Partial<SkyfloApprovalDocument['status']> }): Promise<SkyfloApprovalDocument>;
  /** Mirrors nothing: asks `executor` for the credential of `document` with the call's arguments (the engine's request). */
  mint(executor: RunningExecutor, document: SkyfloApprovalDocument, args: Record<string, unknown>, helm?: ApprovalCredentialRequest['helm'], token?: string): Promise<{ status: number; body: any }>;
  /** the executor API with the engine's bearer */
  api(executor: RunningExecutor, method: string, pathname: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  enginePublicKeyPem: string;
  /** the engine's signing key (tests that build their own documents, e.g. with an approver's proof) */
  enginePrivateKeyPem: string;
  otherPrivateKeyPem: string;
  /** a self-signed serving certificate for 127.0.0.1 (the API server calls webhooks over HTTPS only) */
  tls(): { certPem: string; keyPem: string };
  /** the executor's own ServiceAccount token */
  executorToken: string;
  close(): Promise<void>;
}

function kubeconfigFor(server: string, token: string, namespace = 'default'): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'token',
    clusters: [{ name: 'sim', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'token', user: { token } }],
    contexts: [{ name: 'token', context: { cluster: 'sim', user: 'token', namespace } }],
  });
}

async function keyPair() {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { publicPem: await exportSPKI(publicKey), privatePem: await exportPKCS8(privateKey) };
}

/** One approved call: the tool and its exact arguments (what the engine sends the executor), in a conversation. */
export interface ApprovedCall {
  tool: string;
  args: Record<string, unknown>;
  callId: string;
  conversationId?: string;
}

/** The cluster the harness's approvals are for, and the name its executors guard. */
export const harnessCluster = { name: 'kube-sim', server: 'https://127.0.0.1' };

export function spec(call: ApprovedCall, overrides: Partial<SkyfloApprovalSpec> = {}): SkyfloApprovalSpec {
  return {
    conversationId: call.conversationId ?? 'conv-1',
    callId: call.callId,
    tool: call.tool,
    cluster: harnessCluster,
    argsHash: toolCallHash(call.tool, call.args, harnessCluster),
    requestedBy: { id: 'user-ana', email: 'ana@example.com' },
    requestedAt: new Date().toISOString(),
    ...overrides,
  };
}

/** The name the engine gives `call`'s SkyfloApproval. */
export const nameOf = (call: Pick<ApprovedCall, 'callId' | 'conversationId'>) => approvalObjectName(call.conversationId ?? 'conv-1', call.callId);

/** The k8s_scale of deployments/web in staging (the call most suites approve). */
export const scaleWeb = (callId: string, replicas = 3, namespace = 'staging'): ApprovedCall => ({ tool: 'k8s_scale', args: { name: 'web', resource_type: 'deployment', replicas, namespace }, callId });

/**
 * `admission`: `authenticated` (default, the recommended install) has kube-sim present `admissionToken` to webhooks
 * and every executor require it; `anonymous` is a stock API server that presents nothing.
 */
export async function startExecutorHarness(options: { admission?: 'authenticated' | 'anonymous' } = {}): Promise<ExecutorHarness> {
  const authenticated = (options.admission ?? 'authenticated') === 'authenticated';
  const harness = await startOperatorHarness({ tls: true, installCrd: false, ...(authenticated ? { webhookTokens: { '*': admissionToken } } : {}) });
  const kubectl = harness.kubectl;
  await kubectl(['apply', '-f', approvalsCrdPath]);
  await kubectl(['apply', '-f', approverKeysCrdPath]);
  for (const namespace of [installNamespace, 'staging', 'prod']) await kubectl(['create', 'namespace', namespace]);
  for (const [namespace, name] of [['staging', 'web'], ['staging', 'api'], ['prod', 'web']]) {
    await kubectl(['create', 'deployment', name, '-n', namespace, '--image=nginx', '--replicas=2']);
  }
  // The executor's identity, exactly as an install grants it.
  await harness.apply(
    [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: executorServiceAccountName, namespace: installNamespace } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'skyflo-executor', namespace: installNamespace }, rules: executorInstallNamespaceRules },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'skyflo-executor', namespace: installNamespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'skyflo-executor' },
        subjects: [{ kind: 'ServiceAccount', name: executorServiceAccountName, namespace: installNamespace }],
      },
      // as the chart's grant ClusterRole: creating approval Roles, and (issue 73) the dry-runs and reads a grant is computed from
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'skyflo-executor-grant' }, rules: [...executorGrantRules, ...executorDryRunRules] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'skyflo-executor-cluster-scope' }, rules: executorClusterScopeRules },
    ]
      .map((object) => toYaml(object))
      .join('---\n'),
  );
  const executorToken = (await kubectl(['create', 'token', executorServiceAccountName, '-n', installNamespace, '--duration=2h'])).trim();
  const engine = await keyPair();
  const other = await keyPair();
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: harness.directory, KUBECACHEDIR: path.join(harness.directory, 'cache') };
  const executors: RunningExecutor[] = [];
  let files = 0;

  const kubectlAs = (token: string, args: string[], input?: string) =>
    new Promise<KubectlResult>((resolve) => {
      const file = path.join(harness.directory, `token-${(files += 1)}.kubeconfig`);
      writeFileSync(file, kubeconfigFor(harness.sim.url, token), { mode: 0o600 });
      const child = execFile(kubectlPath, ['--kubeconfig', file, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
      );
      child.stdin?.end(input ?? '');
    });

  const api: ExecutorHarness['api'] = (executor, method, pathname, body, token = callerToken) => {
    const url = new URL(`${executor.url}${pathname}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method,
          // the executor's test certificate is self-signed
          rejectUnauthorized: false,
          headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          });
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  };

  return {
    harness,
    kubectl,
    kubectlAs,
    enginePublicKeyPem: engine.publicPem,
    enginePrivateKeyPem: engine.privatePem,
    otherPrivateKeyPem: other.privatePem,
    executorToken,
    tls() {
      const keyPath = path.join(harness.directory, 'executor-key.pem');
      const certPath = path.join(harness.directory, 'executor-cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=skyflo-executor', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
    },
    async startExecutor({ rbacNamespaces, ...options } = {}) {
      const bindIn = rbacNamespaces ?? options.allowedNamespaces;
      // Cluster-wide: bound by ClusterRoleBindings; namespace-limited: the grant ClusterRole only by RoleBindings there.
      const subjects = [{ kind: 'ServiceAccount', name: executorServiceAccountName, namespace: installNamespace }];
      const bindings = bindIn
        ? bindIn.map((namespace) => ({
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name: 'skyflo-executor-grant', namespace },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skyflo-executor-grant' },
            subjects,
          }))
        : ['skyflo-executor-grant', 'skyflo-executor-cluster-scope'].map((name) => ({
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
            subjects,
          }));
      await harness.apply(bindings.map((object) => toYaml(object)).join('---\n'));
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeconfigFor(harness.sim.url, executorToken, installNamespace));
      const executor = await startExecutor({ kubeConfig, namespace: installNamespace, enginePublicKeys: [engine.publicPem], callerToken, dryRunToken, ...(authenticated ? { admissionToken } : {}), port: 0, clusterName: harnessCluster.name, ...options });
      executors.push(executor);
      return executor;
    },
    async signed(call, options = {}) {
      const status = {
        decision: options.decision ?? 'approved',
        decidedBy: { id: 'user-bob', email: 'bob@example.com' },
        decidedAt: new Date().toISOString(),
        expiresAt: options.expiresAt ?? new Date(Date.now() + 15 * 60_000).toISOString(),
        ...options.status,
      } as const;
      const documentSpec = spec(call, options.spec);
      const name = options.name ?? approvalObjectName(documentSpec.conversationId, documentSpec.callId, documentSpec.revertOf ? 'revert' : undefined);
      const signature = await signApproval(options.signingKeyPem ?? engine.privatePem, name, documentSpec, status);
      return { name, spec: documentSpec, status: { ...status, signature } };
    },
    mint(executor, document, args, helm, token) {
      return api(executor, 'POST', `/v1/approvals/${document.name}/credential`, { arguments: args, ...(helm ? { helm } : {}) }, token);
    },
    api,
    async close() {
      for (const executor of executors) await executor.close();
      await harness.close();
    },
  };
}

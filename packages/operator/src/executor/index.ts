/**
 * The executor (issue 34): the one identity in a cluster that turns a signed human approval into a short-lived
 * credential for exactly the approved objects, and the admission webhook that holds that credential to the approved
 * content. `skyflo executor` runs it in its own pod; tests start it in-process.
 */
import type { AddressInfo } from 'node:net';
import { unboundClusterName } from '@skyflo/protocol';
import { createKubeRest } from '../kube/kube-rest.ts';
import { createApprovalStore } from './approval-store.ts';
import { createApproverKeyStore } from './approver-keys.ts';
import { createApproverSignatureChecker } from './approver-signature.ts';
import { silentLogger, type ExecutorOptions } from './executor-options.ts';
import { createDryRunProxy } from './dry-run-proxy.ts';
import { callerTokenProblems } from './caller-auth.ts';
import { createExecutorHttpServer } from './http-server.ts';
import { createCredentialMinter } from './mint-credential.ts';
import { createApprovalVerifier } from './verify-approval.ts';
import { createOwnKube } from './grant/own-kube.ts';
import { createPolicyCheck } from './policy-check.ts';
import { createEmergencyStopCheck } from './emergency-stop.ts';
import { approvalWebhookPath } from './webhook-configuration.ts';
import { createHelmRenderStore } from './helm/helm-render-store.ts';
import { createHelmRenderer } from './helm/helm-render.ts';

export { ExecutorError, type ExecutorOptions, type ExecutorLogger } from './executor-options.ts';
export { executorClusterScopeRules, executorDryRunRules, executorGrantRules, executorInstallNamespaceRules, executorServiceAccountName } from './executor-rbac.ts';
export { approvalWebhookConfiguration, approvalWebhookName, approvalWebhookPath } from './webhook-configuration.ts';
export { contentHash, judgeWrite } from './admission.ts';
export { rulesForAccess, approvalAccountName } from './mint-credential.ts';
export { signApproval } from './verify-approval.ts';
export { approvalChallengeOf, needsApproverSignature } from './approver-signature.ts';
export { computeGrant, grantableTools } from './grant/compute-grant.ts';
export { restartedAtPointer } from './grant/kubectl-grants.ts';
export { approverKeyObjectName } from './approver-keys.ts';

export interface RunningExecutor {
  /** the API base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** the admission webhook URL (url + /v1/admission) */
  webhookUrl: string;
  close(): Promise<void>;
}

export async function startExecutor(options: ExecutorOptions): Promise<RunningExecutor> {
  if (!options.callerToken) throw new Error('the executor needs a caller token (SKYFLO_EXECUTOR_TOKEN): the engine presents it on every request');
  const tokenProblems = callerTokenProblems({ engine: options.callerToken, dryRun: options.dryRunToken, admission: options.admissionToken });
  if (tokenProblems.length) throw new Error(`the executor's caller tokens: ${tokenProblems.join('; ')}`);
  if (!options.namespace) throw new Error('the executor needs the install namespace (SKYFLO_EXECUTOR_NAMESPACE), where SkyfloApprovals live');
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const kube = createKubeRest(options.kubeConfig);
  const verifier = await createApprovalVerifier(options.enginePublicKeys);
  const store = createApprovalStore(kube, options.namespace);
  const approverKeys = createApproverKeyStore(kube, options.namespace);
  const approverSignature = createApproverSignatureChecker({ requirement: options.approverSignature?.require ?? 'none', rpId: options.approverSignature?.rpId, origin: options.approverSignature?.origin, keys: approverKeys });
  const minter = createCredentialMinter({ kube, namespace: options.namespace, allowedNamespaces: options.allowedNamespaces, now, logger });
  const dryRun = createDryRunProxy({ kubeConfig: options.kubeConfig, allowedNamespaces: options.allowedNamespaces });
  const ownKube = createOwnKube(kube, { allowedNamespaces: options.allowedNamespaces });
  const clusterName = options.clusterName ?? unboundClusterName;
  const policyCheck = createPolicyCheck({ kube, ownKube, namespace: options.namespace, clusterName, clusterLabels: options.clusterLabels, roleMembers: options.roleMembers, logger });
  // issue 73 item 6: Helm previews rendered as the executor; the renders kept are what Helm credentials are computed from
  const helmRenders = createHelmRenderStore();
  const helmRenderer = createHelmRenderer({ helmPath: options.helmPath, kubeConfig: options.kubeConfig, allowedNamespaces: options.allowedNamespaces, store: helmRenders, listSecrets: async (namespace) => (await kube.request<{ items?: Array<{ type?: string; data?: Record<string, unknown> | null }> }>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`)).items ?? [] });
  const app = createExecutorHttpServer({ helmRenderer, helmRenders, namespace: options.namespace, callerToken: options.callerToken, dryRunToken: options.dryRunToken, admissionToken: options.admissionToken, store, verifier, minter, approverKeys, approverSignature, now, logger, tls: options.tls, dryRun, kube: ownKube, clusterName, emergencyStop: createEmergencyStopCheck(kube, options.namespace, logger), policyCheck });

  const sweep = () =>
    minter.sweep().catch((error) => logger.warn({ err: (error as Error).message }, 'sweep failed (retried at the next interval)'));
  const sweeping = setInterval(() => void sweep(), options.sweepIntervalMs ?? 60_000);
  sweeping.unref();
  void sweep();

  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, cluster: options.clusterName ?? unboundClusterName, namespace: options.namespace, allowedNamespaces: options.allowedNamespaces ?? 'cluster-wide', approverSignature: options.approverSignature?.require ?? 'none', dryRunProxy: options.dryRunToken ? 'open to the dry-run token' : 'closed (no SKYFLO_DRY_RUN_TOKEN)', helmRender: options.helmPath ? `helm at ${options.helmPath}` : 'none (no SKYFLO_EXECUTOR_HELM_PATH)', admission: options.admissionToken ? 'authenticated' : 'anonymous callers answered, refusals kept vague' }, 'executor listening');
  return {
    url,
    webhookUrl: `${url}${approvalWebhookPath}`,
    async close() {
      clearInterval(sweeping);
      minter.close();
      dryRun.close();
      await app.close();
    },
  };
}

/**
 * The ValidatingWebhookConfiguration that sends per-approval writes to the executor, written once (the chart and the
 * operator install it; the tests register it in kube-sim). failurePolicy Fail: when the executor cannot answer, the
 * approval accounts write nothing. matchConditions (GA in Kubernetes 1.30, beta and on by default from 1.28) keep every
 * other user's writes away from the webhook; on 1.26/1.27 the API server calls it for every write of the rules'
 * resources and the executor admits any user that is not a `skyflo-approval-*` account — but an executor outage then
 * blocks all writes in the cluster, so run 1.28+ (or set failurePolicy Ignore there and rely on RBAC alone).
 */
import { approvalServiceAccountPrefix } from '@skyflo/protocol';
import { executorServiceAccountName } from './executor-rbac.ts';

export const approvalWebhookName = 'approvals.executor.skyflo.ai';
export const approvalWebhookPath = '/v1/admission';

export function approvalWebhookConfiguration(options: {
  /** the install's namespace (where the approval accounts live) */
  namespace: string;
  /** metadata.name; default skyflo-approvals-<namespace> */
  name?: string;
  /** a URL (tests, out-of-cluster executors) or the executor's Service */
  url?: string;
  service?: { name: string; namespace: string; port?: number };
  /** base64 PEM of the CA that signed the executor's serving certificate */
  caBundle?: string;
  timeoutSeconds?: number;
}) {
  const accountPrefix = `system:serviceaccount:${options.namespace}:${approvalServiceAccountPrefix}`;
  const clientConfig = options.url
    ? { url: options.url }
    : { service: { name: options.service!.name, namespace: options.service!.namespace, path: approvalWebhookPath, port: options.service!.port ?? 443 } };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name ?? `skyflo-approvals-${options.namespace}`, labels: { 'app.kubernetes.io/part-of': 'skyflo', 'app.kubernetes.io/component': 'executor' } },
    webhooks: [
      {
        name: approvalWebhookName,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: options.timeoutSeconds ?? 10,
        clientConfig: { ...clientConfig, ...(options.caBundle ? { caBundle: options.caBundle } : {}) },
        rules: [{ operations: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*', '*/*'], scope: '*' }],
        // the approval accounts, and the executor itself: its write verbs exist for previews' dry-runs only
        matchConditions: [{ name: 'skyflo-approval-accounts-and-executor', expression: `request.userInfo.username.startsWith('${accountPrefix}') || request.userInfo.username == 'system:serviceaccount:${options.namespace}:${executorServiceAccountName}'` }],
      },
    ],
  };
}

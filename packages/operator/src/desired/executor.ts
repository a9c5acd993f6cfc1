/**
 * The executor of cluster-enforced approvals (issue 34), as the operator makes it for a SkyfloAI: its Deployment
 * (`skyflo executor`, the same image) running as ServiceAccount `skyflo-executor`, its Service, and the
 * ValidatingWebhookConfiguration through which the API server asks it about every write of a per-approval identity.
 * Pure, like desired-state.ts. The ServiceAccount and the executor's RBAC are the chart's (see rbac/executor-rules.ts).
 */
import { approvalWebhookConfiguration } from '../executor/webhook-configuration.ts';
import type { KubeObject } from '../kube/kube-rest.ts';
import { executorServiceAccountName } from '../rbac/executor-rules.ts';
import { accessProfileOf, type SkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { clusterOwnerLabels, executorNames, instanceLabels, ownerReference, type SkyfloAiObject } from './names.ts';

export const executorPort = 8443;
/** The keys of `<name>-approval-keys` and `<name>-executor-tls` (reconcile/executor-tls.ts makes them). */
export const approvalKeyFiles = { signingKey: 'signing-key.pem', publicKey: 'public-key.pem', executorToken: 'executor-token' } as const;
/** The key of `<name>-executor-dry-run`: the MCP server's token for the executor's dry-run proxy (issue 73). */
export const dryRunTokenFile = 'dry-run-token';
/** Where the executor reads the API server's admission token (spec.approvals.admissionTokenSecretRef). */
const admissionTokenFile = 'admission-token';
export const tlsFiles = { ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' } as const;

/** Where the engine finds its signing key and caller token, and the executor's CA (mounted read-only). */
export const engineApprovalMounts = { keys: '/var/run/skyflo/approval-keys', executorCa: '/var/run/skyflo/executor-ca' } as const;
/** Where the MCP server finds its own dry-run token (never the engine's). */
export const mcpApprovalMounts = { dryRunToken: '/var/run/skyflo/dry-run-token', executorCa: engineApprovalMounts.executorCa } as const;
const executorMounts = { keys: '/var/run/skyflo/engine-key', tls: '/var/run/skyflo/tls', dryRunToken: '/var/run/skyflo/dry-run-token', admissionToken: '/var/run/skyflo/admission-token' } as const;

const executorSelector = (owner: SkyfloAiObject) => ({ 'app.kubernetes.io/name': 'skyflo', 'app.kubernetes.io/instance': owner.metadata.name, 'app.kubernetes.io/component': 'executor' });
const labels = (owner: SkyfloAiObject) => ({ ...instanceLabels(owner), 'app.kubernetes.io/component': 'executor' });

/** The executor's URL inside the cluster (the engine's SKYFLO_EXECUTOR_URL). */
export function executorUrl(owner: SkyfloAiObject): string {
  return `https://${executorNames(owner).executor}.${owner.metadata.namespace ?? 'default'}.svc:${executorPort}`;
}

/** The engine's variables for its approvals: enforcement, the executor, and the key and token files (cluster only). */
export function engineApprovalEnv(owner: SkyfloAiObject, enforcement: 'cluster' | 'engine' | 'none') {
  if (enforcement !== 'cluster') return [{ name: 'SKYFLO_APPROVAL_ENFORCEMENT', value: 'engine' }];
  return [
    { name: 'SKYFLO_APPROVAL_ENFORCEMENT', value: 'cluster' },
    { name: 'SKYFLO_EXECUTOR_URL', value: executorUrl(owner) },
    { name: 'SKYFLO_EXECUTOR_TOKEN_FILE', value: `${engineApprovalMounts.keys}/${approvalKeyFiles.executorToken}` },
    { name: 'SKYFLO_APPROVAL_SIGNING_KEY_FILE', value: `${engineApprovalMounts.keys}/${approvalKeyFiles.signingKey}` },
    // the executor's serving certificate is signed by the install's own CA; Node's fetch trusts it through this
    { name: 'NODE_EXTRA_CA_CERTS', value: `${engineApprovalMounts.executorCa}/${tlsFiles.ca}` },
  ];
}

/** The engine's volumes for the above: the private key and token only (never the public key), the CA only (never the serving key). */
export function engineApprovalVolumes(owner: SkyfloAiObject) {
  const names = executorNames(owner);
  return {
    volumes: [
      { name: 'approval-keys', secret: { secretName: names.approvalKeys, defaultMode: 0o400, items: [{ key: approvalKeyFiles.signingKey, path: approvalKeyFiles.signingKey }, { key: approvalKeyFiles.executorToken, path: approvalKeyFiles.executorToken }] } },
      { name: 'executor-ca', secret: { secretName: names.tls, items: [{ key: tlsFiles.ca, path: tlsFiles.ca }] } },
    ],
    volumeMounts: [
      { name: 'approval-keys', mountPath: engineApprovalMounts.keys, readOnly: true },
      { name: 'executor-ca', mountPath: engineApprovalMounts.executorCa, readOnly: true },
    ],
  };
}

/**
 * The MCP server's variables (cluster only): its own identity is read-only and RBAC authorizes a server-side dry-run
 * like the write, so its previews' dry-runs go through the executor's dry-run proxy with its own dry-run token
 * (issue 73: never the engine's token, which would let it mint and release credentials and register approver keys).
 */
export function mcpApprovalEnv(owner: SkyfloAiObject, enforcement: 'cluster' | 'engine' | 'none') {
  if (enforcement !== 'cluster') return [];
  return [
    { name: 'SKYFLO_DRY_RUN_URL', value: executorUrl(owner) },
    { name: 'SKYFLO_DRY_RUN_TOKEN_FILE', value: `${mcpApprovalMounts.dryRunToken}/${dryRunTokenFile}` },
    { name: 'NODE_EXTRA_CA_CERTS', value: `${mcpApprovalMounts.executorCa}/${tlsFiles.ca}` },
  ];
}

/** The MCP server's volumes for the above: its dry-run token's own Secret (nothing of the engine's), the CA only. */
export function mcpApprovalVolumes(owner: SkyfloAiObject) {
  const names = executorNames(owner);
  return {
    volumes: [
      { name: 'dry-run-token', secret: { secretName: names.dryRunToken, defaultMode: 0o400, items: [{ key: dryRunTokenFile, path: dryRunTokenFile }] } },
      { name: 'executor-ca', secret: { secretName: names.tls, items: [{ key: tlsFiles.ca, path: tlsFiles.ca }] } },
    ],
    volumeMounts: [
      { name: 'dry-run-token', mountPath: mcpApprovalMounts.dryRunToken, readOnly: true },
      { name: 'executor-ca', mountPath: mcpApprovalMounts.executorCa, readOnly: true },
    ],
  };
}

function executorDeployment(owner: SkyfloAiObject, spec: SkyfloAiSpec, podSecurity: object, containerSecurity: object): KubeObject {
  const names = executorNames(owner);
  const namespace = owner.metadata.namespace ?? 'default';
  const namespaced = accessProfileOf(spec) === 'namespaced';
  const admissionToken = spec.approvals.admissionTokenSecretRef;
  const env = [
    { name: 'HOST', value: '0.0.0.0' },
    { name: 'PORT', value: String(executorPort) },
    { name: 'SKYFLO_EXECUTOR_NAMESPACE', value: namespace },
    ...(namespaced ? [{ name: 'SKYFLO_EXECUTOR_NAMESPACES', value: [...new Set(spec.rbac.namespaces)].join(',') }] : []),
    { name: 'SKYFLO_ENGINE_PUBLIC_KEYS_FILE', value: `${executorMounts.keys}/${approvalKeyFiles.publicKey}` },
    { name: 'SKYFLO_EXECUTOR_TOKEN_FILE', value: `${executorMounts.keys}/${approvalKeyFiles.executorToken}` },
    { name: 'SKYFLO_DRY_RUN_TOKEN_FILE', value: `${executorMounts.dryRunToken}/${dryRunTokenFile}` },
    ...(admissionToken ? [{ name: 'SKYFLO_EXECUTOR_ADMISSION_TOKEN_FILE', value: `${executorMounts.admissionToken}/${admissionTokenFile}` }] : []),
    { name: 'SKYFLO_EXECUTOR_TLS_CERT_FILE', value: `${executorMounts.tls}/${tlsFiles.cert}` },
    { name: 'SKYFLO_EXECUTOR_TLS_KEY_FILE', value: `${executorMounts.tls}/${tlsFiles.key}` },
    // issue 73 item 6: Helm previews are rendered here, as the executor (the image ships helm, see the Dockerfile)
    { name: 'SKYFLO_EXECUTOR_HELM_PATH', value: '/usr/local/bin/helm' },
    // issue 76: `cluster.labels` of the policies it judges, from the SkyfloAI (the cluster's own setting)
    ...(Object.keys(spec.approvals.clusterLabels).length > 0 ? [{ name: 'SKYFLO_EXECUTOR_CLUSTER_LABELS', value: JSON.stringify(spec.approvals.clusterLabels) }] : []),
    ...(Object.values(spec.approvals.roleMembers).some((members) => members && members.length > 0) ? [{ name: 'SKYFLO_EXECUTOR_ROLE_MEMBERS', value: JSON.stringify(spec.approvals.roleMembers) }] : []),
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: names.executor, namespace, labels: labels(owner), ownerReferences: [ownerReference(owner)] },
    spec: {
      replicas: 1,
      selector: { matchLabels: executorSelector(owner) },
      template: {
        metadata: { labels: { ...labels(owner), ...executorSelector(owner) } },
        spec: {
          serviceAccountName: executorServiceAccountName,
          automountServiceAccountToken: true,
          securityContext: podSecurity,
          ...(spec.imagePullSecrets.length > 0 ? { imagePullSecrets: spec.imagePullSecrets } : {}),
          containers: [
            {
              name: 'executor',
              image: spec.engine.image,
              imagePullPolicy: spec.engine.imagePullPolicy,
              args: ['executor'],
              ports: [{ name: 'https', containerPort: executorPort, protocol: 'TCP' }],
              env,
              // helm renders a chart in a child process: room for it beside the executor
              resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '512Mi' } },
              securityContext: containerSecurity,
              // a TCP check: the serving certificate is for the Service's names, not the pod's IP the kubelet dials
              readinessProbe: { tcpSocket: { port: 'https' }, periodSeconds: 5, failureThreshold: 3 },
              volumeMounts: [
                { name: 'engine-key', mountPath: executorMounts.keys, readOnly: true },
                { name: 'tls', mountPath: executorMounts.tls, readOnly: true },
                { name: 'dry-run-token', mountPath: executorMounts.dryRunToken, readOnly: true },
                // helm's kubeconfig, homes and the chart archive of a preview (read-only root filesystem)
                { name: 'tmp', mountPath: '/tmp' },
                ...(admissionToken ? [{ name: 'admission-token', mountPath: executorMounts.admissionToken, readOnly: true }] : []),
              ],
            },
          ],
          volumes: [
            // the public key and the caller token only: the signing key never leaves the engine's pods
            { name: 'engine-key', secret: { secretName: names.approvalKeys, defaultMode: 0o400, items: [{ key: approvalKeyFiles.publicKey, path: approvalKeyFiles.publicKey }, { key: approvalKeyFiles.executorToken, path: approvalKeyFiles.executorToken }] } },
            { name: 'tls', secret: { secretName: names.tls, defaultMode: 0o400, items: [{ key: tlsFiles.cert, path: tlsFiles.cert }, { key: tlsFiles.key, path: tlsFiles.key }] } },
            { name: 'dry-run-token', secret: { secretName: names.dryRunToken, defaultMode: 0o400, items: [{ key: dryRunTokenFile, path: dryRunTokenFile }] } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ...(admissionToken ? [{ name: 'admission-token', secret: { secretName: admissionToken.name, defaultMode: 0o400, items: [{ key: admissionToken.key, path: admissionTokenFile }] } }] : []),
          ],
        },
      },
    },
  };
}

function executorService(owner: SkyfloAiObject): KubeObject {
  const names = executorNames(owner);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.executor, namespace: owner.metadata.namespace, labels: labels(owner), ownerReferences: [ownerReference(owner)] },
    spec: { type: 'ClusterIP', selector: executorSelector(owner), ports: [{ name: 'https', port: executorPort, targetPort: 'https', protocol: 'TCP' }] },
  };
}

/**
 * failurePolicy Fail: when the executor cannot answer, a per-approval identity writes nothing. matchConditions (beta
 * and on by default in 1.28, GA in 1.30) send the API server's questions only for `skyflo-approval-*` accounts of this
 * install; an older API server drops the field and asks about every write, which the executor admits for any other user.
 */
export function approvalWebhook(owner: SkyfloAiObject, caPem: string): KubeObject {
  const names = executorNames(owner);
  const namespace = owner.metadata.namespace ?? 'default';
  const configuration = approvalWebhookConfiguration({ namespace, name: names.webhook, service: { name: names.executor, namespace, port: executorPort }, caBundle: Buffer.from(caPem).toString('base64') });
  // the operator's labels: its informers and the cleanup of a deleted SkyfloAI find the webhook by them
  return { ...configuration, metadata: { name: names.webhook, labels: { ...labels(owner), ...clusterOwnerLabels(owner) } } } as KubeObject;
}

/** The executor's namespaced objects (the webhook comes separately: it needs the CA from the kept TLS Secret). */
export function executorObjects(owner: SkyfloAiObject, spec: SkyfloAiSpec, security: { pod: object; container: object }): KubeObject[] {
  return [executorService(owner), executorDeployment(owner, spec, security.pod, security.container)];
}

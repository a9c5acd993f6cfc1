/**
 * Desired state: from a SkyfloAI and its defaulted spec, every object it should own, as plain manifests. Pure:
 * no API calls, so it is tested on its own and the reconciler only compares and applies.
 */
import type { KubeObject } from '../kube/kube-rest.ts';
import { namespacedRules, profileRules } from '../rbac/tool-permissions.ts';
import { authEngineEnv, authMcpEnv } from './auth-env.ts';
import { accessProfileOf, apiKeyVariable, approvalEnforcementOf, type SkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { approvalWebhook, engineApprovalEnv, engineApprovalVolumes, executorObjects, mcpApprovalEnv, mcpApprovalVolumes } from './executor.ts';
import { clusterOwnerLabels, executorNames, instanceLabels, instanceNames, ownerReference, selectorLabels, type Component, type SkyfloAiObject } from './names.ts';

export const enginePort = 8080;
export const mcpPort = 8888;

/**
 * How an object is kept: `sync` objects are compared on every reconcile and put back when they drift; `create-only`
 * ones are made once and then left alone (generated secrets must never change under running pods, and a volume
 * claim's spec is immutable).
 */
export interface DesiredObject {
  object: KubeObject;
  mode: 'sync' | 'create-only';
}

export interface DesiredState {
  objects: DesiredObject[];
  /** objects of kinds that come and go with the spec (PDBs, the ingress): deleted when present and not desired (stale RBAC is found by its owner labels) */
  optional: Array<{ apiVersion: string; kind: string; name: string; namespace?: string }>;
}

const secretKeys = { jwt: 'jwt-secret', encryption: 'encryption-key', mcpToken: 'mcp-token', auditSigning: 'audit-signing-key' } as const;

function secretEnv(name: string, secret: string, key: string, options: { optional?: boolean } = {}) {
  return { name, valueFrom: { secretKeyRef: { name: secret, key, ...(options.optional ? { optional: true } : {}) } } };
}

/** The container hardening every pod gets: non-root, read-only root filesystem, no privilege escalation. */
const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};
const podSecurity = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } };

/** Operator-set variables first; a user variable with the same name replaces it (the spec's env wins). */
function mergeEnv(base: Array<{ name: string }>, user: Array<{ name: string }>) {
  const overridden = new Set(user.map((entry) => entry.name));
  return [...base.filter((entry) => !overridden.has(entry.name)), ...user];
}

/** Where and how a component's pods are scheduled, and what they pull with. */
function podPlacement(owner: SkyfloAiObject, spec: SkyfloAiSpec, component: Component) {
  const settings = spec[component];
  // A spread constraint without a labelSelector would count no pods at all; the component's own pods are the point.
  const spread = settings.topologySpreadConstraints?.map((constraint) => ({ labelSelector: { matchLabels: selectorLabels(owner, component) }, ...constraint }));
  return {
    ...(settings.nodeSelector ? { nodeSelector: settings.nodeSelector } : {}),
    ...(settings.tolerations ? { tolerations: settings.tolerations } : {}),
    ...(settings.affinity ? { affinity: settings.affinity } : {}),
    ...(spread ? { topologySpreadConstraints: spread } : {}),
    ...(settings.priorityClassName ? { priorityClassName: settings.priorityClassName } : {}),
    ...(spec.imagePullSecrets.length > 0 ? { imagePullSecrets: spec.imagePullSecrets } : {}),
  };
}

/** The pod template's metadata: the user's labels and annotations, then ours (the selector must never be overridden). */
function podMetadata(owner: SkyfloAiObject, spec: SkyfloAiSpec, component: Component) {
  const settings = spec[component];
  return {
    labels: { ...settings.podLabels, ...instanceLabels(owner, component), ...selectorLabels(owner, component) },
    ...(Object.keys(settings.podAnnotations).length > 0 ? { annotations: settings.podAnnotations } : {}),
  };
}

function metadata(owner: SkyfloAiObject, name: string, component: Parameters<typeof instanceLabels>[1]) {
  return { name, namespace: owner.metadata.namespace, labels: instanceLabels(owner, component), ownerReferences: [ownerReference(owner)] };
}

function engineDeployment(owner: SkyfloAiObject, spec: SkyfloAiSpec): KubeObject {
  const names = instanceNames(owner);
  const namespace = owner.metadata.namespace ?? 'default';
  const embedded = spec.storage.type === 'embedded';
  const env = [
    { name: 'HOST', value: '0.0.0.0' },
    { name: 'PORT', value: String(enginePort) },
    { name: 'SKYFLO_DATA_DIR', value: '/data' },
    { name: 'MCP_SERVER_URL', value: `http://${names.mcp}.${namespace}.svc:${mcpPort}/mcp` },
    secretEnv('MCP_AUTH_TOKEN', names.secrets, secretKeys.mcpToken),
    secretEnv('JWT_SECRET', names.secrets, secretKeys.jwt),
    // Every engine replica seals approvals with the same key, generated once with the other secrets.
    secretEnv('SKYFLO_ENCRYPTION_KEY', names.secrets, secretKeys.encryption),
    // Every replica signs audit records with the same key, or each one's /audit/verify would report the others' records
    // as not written by the engine. Optional: a Secret made before the key existed lacks it (the Secret is never
    // rewritten); such an install signs with a key kept in the data dir until the key is added (README).
    secretEnv('SKYFLO_AUDIT_SIGNING_KEY', names.secrets, secretKeys.auditSigning, { optional: true }),
    // The engine answers only to the names it is reached by (DNS-rebinding protection): its Service and the ingress.
    { name: 'ALLOWED_HOSTS', value: [names.engine, `${names.engine}.${namespace}`, `${names.engine}.${namespace}.svc`, `${names.engine}.${namespace}.svc.cluster.local`].join(',') },
    ...(spec.ingress.enabled && spec.ingress.host ? [{ name: 'PUBLIC_URL', value: `${spec.ingress.tlsSecretName ? 'https' : 'http'}://${spec.ingress.host}` }] : []),
    { name: 'APPROVAL_POLICY', value: spec.approvalPolicy.deciders },
    { name: 'APPROVAL_FOUR_EYES', value: String(spec.approvalPolicy.fourEyes) },
    { name: 'INTEGRATIONS_SECRET_NAMESPACE', value: namespace },
    // issue 81: scheduled checks declared as SkyfloSchedule objects next to this SkyfloAI (the chart's engine Role reads them)
    { name: 'SCHEDULES_NAMESPACE', value: namespace },
    ...(spec.ingress.enabled && spec.ingress.tlsSecretName ? [{ name: 'TRUST_PROXY', value: 'true' }] : []),
    ...(spec.llm.model ? [{ name: 'LLM_MODEL', value: spec.llm.model }] : []),
    ...(spec.llm.host ? [{ name: 'LLM_HOST', value: spec.llm.host }] : []),
    ...(spec.llm.apiKeySecretRef ? [secretEnv(apiKeyVariable(spec.llm.model), spec.llm.apiKeySecretRef.name, spec.llm.apiKeySecretRef.key)] : []),
    ...(spec.storage.type === 'postgres' && spec.storage.postgres ? [secretEnv('POSTGRES_DATABASE_URL', spec.storage.postgres.urlSecretRef.name, spec.storage.postgres.urlSecretRef.key)] : []),
    ...(spec.redis ? [secretEnv('REDIS_URL', spec.redis.urlSecretRef.name, spec.redis.urlSecretRef.key)] : []),
    ...engineApprovalEnv(owner, approvalEnforcementOf(spec)),
    ...authEngineEnv(spec),
  ];
  const approvals = approvalEnforcementOf(spec) === 'cluster' ? engineApprovalVolumes(owner) : { volumes: [], volumeMounts: [] };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(owner, names.engine, 'engine'),
    spec: {
      replicas: spec.engine.replicas,
      selector: { matchLabels: selectorLabels(owner, 'engine') },
      // Embedded PGlite is one directory on one volume: the old pod must stop before the new one opens it.
      strategy: embedded ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: podMetadata(owner, spec, 'engine'),
        spec: {
          serviceAccountName: names.engine,
          // The engine never talks to the Kubernetes API itself; only the MCP server does.
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          ...podPlacement(owner, spec, 'engine'),
          containers: [
            {
              name: 'engine',
              image: spec.engine.image,
              imagePullPolicy: spec.engine.imagePullPolicy,
              args: ['serve'],
              ports: [{ name: 'http', containerPort: enginePort, protocol: 'TCP' }],
              env: mergeEnv(env, spec.engine.env),
              resources: spec.engine.resources,
              securityContext: containerSecurity,
              // Issue 75: ready only while the database, the bus, the clusters and the disk answer (/readyz: 503 while
              // degraded, so the Service stops sending users to it); alive while the process serves (/livez: a
              // dependency that is down is not fixed by a restart).
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 6 },
              volumeMounts: [
                { name: 'data', mountPath: '/data' },
                { name: 'tmp', mountPath: '/tmp' },
                ...approvals.volumeMounts,
              ],
            },
          ],
          volumes: [embedded ? { name: 'data', persistentVolumeClaim: { claimName: names.data } } : { name: 'data', emptyDir: {} }, { name: 'tmp', emptyDir: {} }, ...approvals.volumes],
        },
      },
    },
  };
}

function mcpDeployment(owner: SkyfloAiObject, spec: SkyfloAiSpec): KubeObject {
  const names = instanceNames(owner);
  const env = [
    secretEnv('MCP_AUTH_TOKEN', names.secrets, secretKeys.mcpToken),
    { name: 'INTEGRATIONS_SECRET_NAMESPACE', value: owner.metadata.namespace ?? 'default' },
    // kubectl and helm keep caches and config under HOME; the root filesystem is read-only.
    { name: 'HOME', value: '/tmp' },
    ...authMcpEnv(spec),
    ...mcpApprovalEnv(owner, approvalEnforcementOf(spec)),
  ];
  const approvals = approvalEnforcementOf(spec) === 'cluster' ? mcpApprovalVolumes(owner) : { volumes: [], volumeMounts: [] };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(owner, names.mcp, 'mcp'),
    spec: {
      replicas: spec.mcp.replicas,
      selector: { matchLabels: selectorLabels(owner, 'mcp') },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: podMetadata(owner, spec, 'mcp'),
        spec: {
          serviceAccountName: names.mcp,
          automountServiceAccountToken: true,
          securityContext: podSecurity,
          ...podPlacement(owner, spec, 'mcp'),
          containers: [
            {
              name: 'mcp',
              image: spec.mcp.image,
              imagePullPolicy: spec.mcp.imagePullPolicy,
              args: ['mcp', '--host', '0.0.0.0', '--port', String(mcpPort), ...(spec.readOnly ? ['--read-only'] : [])],
              ports: [{ name: 'mcp', containerPort: mcpPort, protocol: 'TCP' }],
              env: mergeEnv(env, spec.mcp.env),
              resources: spec.mcp.resources,
              securityContext: containerSecurity,
              readinessProbe: { httpGet: { path: '/health', port: 'mcp' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/health', port: 'mcp' }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...approvals.volumeMounts],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }, ...approvals.volumes],
        },
      },
    },
  };
}

function service(owner: SkyfloAiObject, spec: SkyfloAiSpec, component: Component): KubeObject {
  const names = instanceNames(owner);
  const port = component === 'engine' ? { name: 'http', port: enginePort, targetPort: 'http', protocol: 'TCP' } : { name: 'mcp', port: mcpPort, targetPort: 'mcp', protocol: 'TCP' };
  // Only the engine's Service may leave the cluster network: the MCP server holds the cluster credentials.
  const exposed = component === 'engine' ? spec.service : { type: 'ClusterIP', annotations: {} };
  const annotations = Object.keys(exposed.annotations).length > 0 ? { annotations: exposed.annotations } : {};
  return { apiVersion: 'v1', kind: 'Service', metadata: { ...metadata(owner, names[component], component), ...annotations }, spec: { type: exposed.type, selector: selectorLabels(owner, component), ports: [port] } };
}

function serviceAccount(owner: SkyfloAiObject, spec: SkyfloAiSpec, component: Component): KubeObject {
  const annotations = spec[component].serviceAccount.annotations;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { ...metadata(owner, instanceNames(owner)[component], component), ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    automountServiceAccountToken: component === 'mcp',
  };
}

/** MCP pods accept traffic only from this instance's engine pods: the MCP server holds the cluster credentials. */
function mcpNetworkPolicy(owner: SkyfloAiObject): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(owner, instanceNames(owner).mcp, 'mcp'),
    spec: {
      podSelector: { matchLabels: selectorLabels(owner, 'mcp') },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: selectorLabels(owner, 'engine') } }], ports: [{ protocol: 'TCP', port: mcpPort }] }],
    },
  };
}

function disruptionBudget(owner: SkyfloAiObject, component: Component): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(owner, instanceNames(owner)[component], component),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(owner, component) } },
  };
}

function ingress(owner: SkyfloAiObject, spec: SkyfloAiSpec): KubeObject {
  const names = instanceNames(owner);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { ...metadata(owner, names.ingress, 'engine'), annotations: spec.ingress.annotations },
    spec: {
      ...(spec.ingress.className ? { ingressClassName: spec.ingress.className } : {}),
      ...(spec.ingress.tlsSecretName ? { tls: [{ hosts: [spec.ingress.host], secretName: spec.ingress.tlsSecretName }] } : {}),
      rules: [{ host: spec.ingress.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: names.engine, port: { number: enginePort } } } }] } }],
    },
  };
}

/**
 * The RBAC of the MCP server's ServiceAccount, by access profile: a ClusterRole from the tool catalogue (read-only or
 * cluster-admin-like) and its binding, the user's own ClusterRole (custom), or for `namespaced` one Role and
 * RoleBinding in each listed namespace and nothing cluster-wide. Every object carries the owner labels, since none can
 * have an owner reference (cluster-scoped, or in another namespace): the reconciler finds and removes stale ones by them.
 * With cluster-enforced approvals the MCP server writes nothing with its own identity in any profile: it gets the
 * `read-only` rules (as Roles in the listed namespaces for `namespaced`; our read-only ClusterRole instead of the custom
 * one), and each approved write runs under the credential the executor mints for that approval.
 */
export function mcpRbac(owner: SkyfloAiObject, spec: SkyfloAiSpec): KubeObject[] {
  const names = instanceNames(owner);
  const enforced = approvalEnforcementOf(spec) === 'cluster';
  const configured = accessProfileOf(spec);
  const profile = enforced && configured !== 'namespaced' ? 'read-only' : configured;
  const labels = { ...instanceLabels(owner, 'rbac'), ...clusterOwnerLabels(owner), 'skyflo.ai/rbac-profile': profile };
  const subjects = [{ kind: 'ServiceAccount', name: names.mcp, namespace: owner.metadata.namespace ?? 'default' }];
  const group = 'rbac.authorization.k8s.io';
  if (profile === 'namespaced') {
    const rules = enforced ? namespacedRules(profileRules('read-only')) : namespacedRules();
    return [...new Set(spec.rbac.namespaces)].flatMap((namespace) => [
      { apiVersion: `${group}/v1`, kind: 'Role', metadata: { name: names.clusterRbac, namespace, labels }, rules },
      { apiVersion: `${group}/v1`, kind: 'RoleBinding', metadata: { name: names.clusterRbac, namespace, labels }, roleRef: { apiGroup: group, kind: 'Role', name: names.clusterRbac }, subjects },
    ]);
  }
  const roleName = profile === 'custom' ? spec.rbac.clusterRoleName! : names.clusterRbac;
  const objects: KubeObject[] = [];
  if (profile !== 'custom') {
    objects.push({ apiVersion: `${group}/v1`, kind: 'ClusterRole', metadata: { name: names.clusterRbac, labels }, rules: profileRules(profile === 'read-only' ? 'read-only' : 'operate') });
  }
  objects.push({ apiVersion: `${group}/v1`, kind: 'ClusterRoleBinding', metadata: { name: names.clusterRbac, labels }, roleRef: { apiGroup: group, kind: 'ClusterRole', name: roleName }, subjects });
  return objects;
}

/** The generated keys' Secret (values from `generate`, used only when it does not exist yet), never owned by the SkyfloAI. */
export function keptSecret(owner: SkyfloAiObject, generate: () => Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: instanceNames(owner).secrets, namespace: owner.metadata.namespace, labels: instanceLabels(owner, 'secrets') }, type: 'Opaque', stringData: generate() };
}

/** The data volume's note of the encryption key its database was first used with (a fingerprint, never the key). */
export const dataKeyAnnotation = 'skyflo.ai/encryption-key-sha256';

/**
 * Everything a valid spec asks for. `generatedSecret` makes fresh secret values (used only if the Secret is missing);
 * `dataKeyFingerprint` is recorded on a data volume created now.
 */
export function desiredState(owner: SkyfloAiObject, spec: SkyfloAiSpec, generatedSecret: () => Record<string, string>, dataKeyFingerprint?: string, executorCaPem?: string): DesiredState {
  const names = instanceNames(owner);
  const namespace = owner.metadata.namespace;
  const objects: DesiredObject[] = [];
  const sync = (object: KubeObject) => objects.push({ object, mode: 'sync' });
  const createOnly = (object: KubeObject) => objects.push({ object, mode: 'create-only' });

  // Neither the Secret nor the data volume has an owner reference, on purpose: deleting the SkyfloAI (or `helm
  // uninstall`) must not take the conversation history with it, nor the keys it is encrypted and signed with.
  createOnly(keptSecret(owner, generatedSecret));
  if (spec.storage.type === 'embedded') {
    createOnly({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: names.data, namespace, labels: instanceLabels(owner, 'data'), ...(dataKeyFingerprint ? { annotations: { [dataKeyAnnotation]: dataKeyFingerprint } } : {}) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: spec.storage.embedded.size } }, ...(spec.storage.embedded.storageClassName ? { storageClassName: spec.storage.embedded.storageClassName } : {}) },
    });
  }
  for (const component of ['engine', 'mcp'] as const) sync(serviceAccount(owner, spec, component));
  for (const object of mcpRbac(owner, spec)) sync(object);
  sync(service(owner, spec, 'mcp'));
  sync(service(owner, spec, 'engine'));
  sync(mcpNetworkPolicy(owner));
  sync(mcpDeployment(owner, spec));
  sync(engineDeployment(owner, spec));
  if (spec.engine.replicas > 1) sync(disruptionBudget(owner, 'engine'));
  if (spec.mcp.replicas > 1) sync(disruptionBudget(owner, 'mcp'));
  if (spec.ingress.enabled) sync(ingress(owner, spec));
  if (approvalEnforcementOf(spec) === 'cluster') {
    for (const object of executorObjects(owner, spec, { pod: podSecurity, container: containerSecurity })) sync(object);
    // without the CA (its Secret not made yet) there is no webhook yet: the per-approval identities then write nothing
    if (executorCaPem) sync(approvalWebhook(owner, executorCaPem));
  }

  const optional = [
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: names.engine, namespace },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: names.mcp, namespace },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: names.ingress, namespace },
    // after a switch to `engine` enforcement (or to read-only); the webhook goes with the cluster-scoped RBAC, by its labels
    { apiVersion: 'apps/v1', kind: 'Deployment', name: executorNames(owner).executor, namespace },
    { apiVersion: 'v1', kind: 'Service', name: executorNames(owner).executor, namespace },
  ];
  return { objects, optional };
}

export const generatedSecretKeys = secretKeys;

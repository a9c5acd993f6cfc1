/**
 * What the risk rules need to know about a resource type without asking the cluster: its kind, and whether it
 * is cluster-scoped. Pure on purpose (the rules run before approval, also for calls that will fail), so the
 * table covers the built-in types and common short names; an unknown type is treated as namespaced.
 */

interface KindInfo {
  kind: string;
  clusterScoped: boolean;
}

const table: Array<{ names: string[]; kind: string; clusterScoped: boolean }> = [
  { names: ['namespace', 'namespaces', 'ns'], kind: 'Namespace', clusterScoped: true },
  { names: ['node', 'nodes', 'no'], kind: 'Node', clusterScoped: true },
  { names: ['persistentvolume', 'persistentvolumes', 'pv'], kind: 'PersistentVolume', clusterScoped: true },
  { names: ['customresourcedefinition', 'customresourcedefinitions', 'crd', 'crds'], kind: 'CustomResourceDefinition', clusterScoped: true },
  { names: ['clusterrole', 'clusterroles'], kind: 'ClusterRole', clusterScoped: true },
  { names: ['clusterrolebinding', 'clusterrolebindings'], kind: 'ClusterRoleBinding', clusterScoped: true },
  { names: ['storageclass', 'storageclasses', 'sc'], kind: 'StorageClass', clusterScoped: true },
  { names: ['priorityclass', 'priorityclasses', 'pc'], kind: 'PriorityClass', clusterScoped: true },
  { names: ['mutatingwebhookconfiguration', 'mutatingwebhookconfigurations'], kind: 'MutatingWebhookConfiguration', clusterScoped: true },
  { names: ['validatingwebhookconfiguration', 'validatingwebhookconfigurations'], kind: 'ValidatingWebhookConfiguration', clusterScoped: true },
  { names: ['validatingadmissionpolicy', 'validatingadmissionpolicies'], kind: 'ValidatingAdmissionPolicy', clusterScoped: true },
  { names: ['apiservice', 'apiservices'], kind: 'APIService', clusterScoped: true },
  { names: ['csidriver', 'csidrivers'], kind: 'CSIDriver', clusterScoped: true },
  { names: ['csinode', 'csinodes'], kind: 'CSINode', clusterScoped: true },
  { names: ['volumeattachment', 'volumeattachments'], kind: 'VolumeAttachment', clusterScoped: true },
  { names: ['runtimeclass', 'runtimeclasses'], kind: 'RuntimeClass', clusterScoped: true },
  { names: ['ingressclass', 'ingressclasses'], kind: 'IngressClass', clusterScoped: true },
  { names: ['certificatesigningrequest', 'certificatesigningrequests', 'csr'], kind: 'CertificateSigningRequest', clusterScoped: true },
  { names: ['secret', 'secrets'], kind: 'Secret', clusterScoped: false },
  { names: ['role', 'roles'], kind: 'Role', clusterScoped: false },
  { names: ['rolebinding', 'rolebindings'], kind: 'RoleBinding', clusterScoped: false },
  { names: ['serviceaccount', 'serviceaccounts', 'sa'], kind: 'ServiceAccount', clusterScoped: false },
  { names: ['persistentvolumeclaim', 'persistentvolumeclaims', 'pvc'], kind: 'PersistentVolumeClaim', clusterScoped: false },
  { names: ['deployment', 'deployments', 'deploy'], kind: 'Deployment', clusterScoped: false },
  { names: ['statefulset', 'statefulsets', 'sts'], kind: 'StatefulSet', clusterScoped: false },
  { names: ['daemonset', 'daemonsets', 'ds'], kind: 'DaemonSet', clusterScoped: false },
  { names: ['replicaset', 'replicasets', 'rs'], kind: 'ReplicaSet', clusterScoped: false },
  { names: ['replicationcontroller', 'replicationcontrollers', 'rc'], kind: 'ReplicationController', clusterScoped: false },
  { names: ['rollout', 'rollouts', 'ro'], kind: 'Rollout', clusterScoped: false },
  { names: ['horizontalpodautoscaler', 'horizontalpodautoscalers', 'hpa'], kind: 'HorizontalPodAutoscaler', clusterScoped: false },
  { names: ['pod', 'pods', 'po'], kind: 'Pod', clusterScoped: false },
  { names: ['job', 'jobs'], kind: 'Job', clusterScoped: false },
  { names: ['cronjob', 'cronjobs', 'cj'], kind: 'CronJob', clusterScoped: false },
];

const byName = new Map(table.flatMap((entry) => entry.names.map((name) => [name, { kind: entry.kind, clusterScoped: entry.clusterScoped }] as const)));
const byKind = new Map(table.map((entry) => [entry.kind.toLowerCase(), { kind: entry.kind, clusterScoped: entry.clusterScoped }] as const));

/** "deployments.apps", "Deployment", "deploy" → {kind: Deployment}; undefined when the type is not in the table. */
export function kindOf(resourceType: unknown): KindInfo | undefined {
  if (typeof resourceType !== 'string' || resourceType.length === 0) return undefined;
  // "deployments.apps", "clusterroles.rbac.authorization.k8s.io", "apps/v1/deployments": the resource is the first dotted part.
  const bare = resourceType.toLowerCase().split('/').at(-1)!.split('.')[0]!;
  return byName.get(bare) ?? byKind.get(bare);
}

export const workloadKinds = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'Rollout']);

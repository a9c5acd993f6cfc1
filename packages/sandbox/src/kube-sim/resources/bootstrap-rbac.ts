import type { KubeObject } from '../cluster-types.ts';

const readVerbs = ['get', 'list', 'watch'];
const writeVerbs = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const workloadRules = [
  { apiGroups: [''], resources: ['pods', 'pods/log', 'pods/status', 'services', 'endpoints', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts', 'events', 'replicationcontrollers', 'limitranges', 'resourcequotas'] },
  { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale', 'daemonsets', 'controllerrevisions'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
];

function clusterRole(name: string, rules: unknown[]): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules,
  };
}

/** The default user-facing ClusterRoles (cluster-admin, admin, edit, view) that RoleBindings usually reference. */
export function bootstrapRbacObjects(): { clusterRoles: KubeObject[]; clusterRoleBindings: KubeObject[] } {
  const view = workloadRules.map((rule) => ({ ...rule, verbs: readVerbs }));
  const edit = [
    ...workloadRules.map((rule) => ({ ...rule, verbs: [...readVerbs, ...writeVerbs] })),
    { apiGroups: [''], resources: ['secrets'], verbs: [...readVerbs, ...writeVerbs] },
    { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward', 'pods/eviction'], verbs: ['create', 'get'] },
  ];
  const admin = [...edit, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: [...readVerbs, ...writeVerbs] }];
  return {
    clusterRoles: [
      clusterRole('cluster-admin', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]),
      clusterRole('admin', admin),
      clusterRole('edit', edit),
      clusterRole('view', view),
    ],
    clusterRoleBindings: [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
      },
    ],
  };
}

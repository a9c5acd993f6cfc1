import type { ResourceType } from '../cluster-types.ts';

const readWrite = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Spec {
  group?: string;
  version?: string;
  resource: string;
  kind: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  verbs?: string[];
}

function define(spec: Spec): ResourceType {
  return {
    group: spec.group ?? '',
    version: spec.version ?? 'v1',
    resource: spec.resource,
    singular: spec.kind.toLowerCase(),
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    namespaced: spec.namespaced ?? true,
    shortNames: spec.shortNames,
    categories: spec.categories,
    verbs: spec.verbs ?? readWrite,
    subresources: spec.subresources ?? [],
  };
}

const all = ['all'];

/**
 * The built-in resources a v1.32 cluster serves, with the short names and categories kubectl users
 * type (`po`, `deploy`, `kubectl get all`). The first version listed for a group is the preferred one.
 */
export function builtinResources(): ResourceType[] {
  return [
    define({ resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
    define({ resource: 'pods', kind: 'Pod', shortNames: ['po'], categories: all, subresources: ['status', 'log', 'exec', 'eviction', 'attach', 'portforward', 'binding', 'ephemeralcontainers'] }),
    define({ resource: 'services', kind: 'Service', shortNames: ['svc'], categories: all, subresources: ['status', 'proxy'] }),
    define({ resource: 'endpoints', kind: 'Endpoints', shortNames: ['ep'] }),
    define({ resource: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] }),
    define({ resource: 'secrets', kind: 'Secret' }),
    define({ resource: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'], subresources: ['token'] }),
    define({ resource: 'events', kind: 'Event', shortNames: ['ev'] }),
    define({ resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'] }),
    define({ resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', shortNames: ['pvc'], subresources: ['status'] }),
    define({ resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'], subresources: ['status'] }),
    define({ resource: 'limitranges', kind: 'LimitRange', shortNames: ['limits'] }),
    define({ resource: 'resourcequotas', kind: 'ResourceQuota', shortNames: ['quota'], subresources: ['status'] }),
    define({ resource: 'replicationcontrollers', kind: 'ReplicationController', shortNames: ['rc'], categories: all, subresources: ['status', 'scale'] }),

    define({ group: 'apps', resource: 'deployments', kind: 'Deployment', shortNames: ['deploy'], categories: all, subresources: ['status', 'scale'] }),
    define({ group: 'apps', resource: 'replicasets', kind: 'ReplicaSet', shortNames: ['rs'], categories: all, subresources: ['status', 'scale'] }),
    define({ group: 'apps', resource: 'statefulsets', kind: 'StatefulSet', shortNames: ['sts'], categories: all, subresources: ['status', 'scale'] }),
    define({ group: 'apps', resource: 'daemonsets', kind: 'DaemonSet', shortNames: ['ds'], categories: all, subresources: ['status'] }),
    define({ group: 'apps', resource: 'controllerrevisions', kind: 'ControllerRevision' }),

    define({ group: 'batch', resource: 'jobs', kind: 'Job', categories: all, subresources: ['status'] }),
    define({ group: 'batch', resource: 'cronjobs', kind: 'CronJob', shortNames: ['cj'], categories: all, subresources: ['status'] }),

    define({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'], categories: all, subresources: ['status'] }),
    define({ group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', shortNames: ['hpa'], categories: all, subresources: ['status'] }),

    define({ group: 'networking.k8s.io', resource: 'ingresses', kind: 'Ingress', shortNames: ['ing'], subresources: ['status'] }),
    define({ group: 'networking.k8s.io', resource: 'networkpolicies', kind: 'NetworkPolicy', shortNames: ['netpol'] }),
    define({ group: 'networking.k8s.io', resource: 'ingressclasses', kind: 'IngressClass', namespaced: false }),

    define({ group: 'rbac.authorization.k8s.io', resource: 'roles', kind: 'Role' }),
    define({ group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false }),
    define({ group: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false, subresources: ['status'] }),
    define({ group: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false }),
    define({ group: 'rbac.authorization.k8s.io', resource: 'rolebindings', kind: 'RoleBinding' }),
    define({ group: 'rbac.authorization.k8s.io', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false }),
    define({ group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false }),

    define({ group: 'policy', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', shortNames: ['pdb'], subresources: ['status'] }),
    define({ group: 'coordination.k8s.io', resource: 'leases', kind: 'Lease' }),
    define({ group: 'events.k8s.io', resource: 'events', kind: 'Event', shortNames: ['ev'] }),
    define({ group: 'storage.k8s.io', resource: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] }),
    define({ group: 'discovery.k8s.io', resource: 'endpointslices', kind: 'EndpointSlice' }),
    define({ group: 'scheduling.k8s.io', resource: 'priorityclasses', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'] }),

    define({ group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: ['status'] }),
    define({ group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] }),
    define({ group: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] }),
    define({ group: 'authorization.k8s.io', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'] }),
    define({ group: 'authentication.k8s.io', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }),
  ];
}

/** Resources whose create/update requests are answered without being stored (reviews). */
export const virtualResources = new Set([
  'authorization.k8s.io/selfsubjectaccessreviews',
  'authorization.k8s.io/selfsubjectrulesreviews',
  'authorization.k8s.io/subjectaccessreviews',
  'authentication.k8s.io/selfsubjectreviews',
]);

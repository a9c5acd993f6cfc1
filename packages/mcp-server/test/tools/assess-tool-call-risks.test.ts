/**
 * Issue 7 item 13: risk flags for mutating calls, table-tested. k8s_apply/k8s_patch accepted hostPID,
 * hostNetwork, privileged and hostPath "/" while k8s_run_pod refused them, and the approver saw only raw diff
 * lines: each row is a call and the flags (code and severity) the approval card must show for it.
 */
import { describe, expect, it } from 'vitest';
import { riskFlagSchema } from '@skyflo/protocol';
import { assessToolCallRisks } from '../../src/index.ts';

const pod = (spec: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n${spec}`;
const deployment = (podSpec: string, replicas = 2) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n${podSpec}`;
const container = '  containers: [{name: c, image: busybox}]\n';

type Row = [label: string, tool: string, args: Record<string, unknown>, expected: Array<[code: string, severity: 'high' | 'medium' | 'low']>];

const rows: Row[] = [
  // pod sandbox escapes through k8s_apply
  ['privileged container', 'k8s_apply', { content: pod('  containers: [{name: c, image: busybox, securityContext: {privileged: true}}]\n') }, [['PRIVILEGED_POD', 'high']]],
  ['hostPID', 'k8s_apply', { content: pod(`  hostPID: true\n${container}`) }, [['HOST_NAMESPACE', 'high']]],
  ['hostNetwork and hostIPC in a Deployment template', 'k8s_apply', { content: deployment(`      hostNetwork: true\n      hostIPC: true\n      containers: [{name: c, image: busybox}]\n`) }, [['HOST_NAMESPACE', 'high'], ['HOST_NAMESPACE', 'high']]],
  ['hostPath /', 'k8s_apply', { content: pod(`${container}  volumes: [{name: root, hostPath: {path: /}}]\n`) }, [['HOST_PATH', 'high']]],
  ['hostPath docker.sock', 'k8s_apply', { content: pod(`${container}  volumes: [{name: d, hostPath: {path: /var/run/docker.sock, type: Socket}}]\n`) }, [['HOST_PATH', 'high']]],
  ['hostPath /proc', 'k8s_apply', { content: pod(`${container}  volumes: [{name: d, hostPath: {path: /proc/}}]\n`) }, [['HOST_PATH', 'high']]],
  ['hostPath /etc/kubernetes', 'k8s_apply', { content: pod(`${container}  volumes: [{name: d, hostPath: {path: /etc/kubernetes}}]\n`) }, [['HOST_PATH', 'high']]],
  ['hostPath to a data directory', 'k8s_apply', { content: pod(`${container}  volumes: [{name: d, hostPath: {path: /data/cache}}]\n`) }, [['HOST_PATH', 'medium']]],
  ['SYS_ADMIN capability', 'k8s_apply', { content: pod('  containers: [{name: c, image: busybox, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]\n') }, [['ADDED_CAPABILITIES', 'high']]],
  ['NET_ADMIN capability', 'k8s_apply', { content: pod('  containers: [{name: c, image: busybox, securityContext: {capabilities: {add: [NET_ADMIN]}}}]\n') }, [['ADDED_CAPABILITIES', 'high']]],
  ['NET_BIND_SERVICE capability', 'k8s_apply', { content: pod('  containers: [{name: c, image: busybox, securityContext: {capabilities: {add: [NET_BIND_SERVICE]}}}]\n') }, [['ADDED_CAPABILITIES', 'medium']]],
  ['allowPrivilegeEscalation', 'k8s_apply', { content: pod('  containers: [{name: c, image: busybox, securityContext: {allowPrivilegeEscalation: true}}]\n') }, [['PRIVILEGE_ESCALATION', 'medium']]],
  ['runAsUser 0 and a hostPort', 'k8s_apply', { content: pod('  containers: [{name: c, image: busybox, securityContext: {runAsUser: 0}, ports: [{containerPort: 80, hostPort: 80}]}]\n') }, [['RUN_AS_ROOT', 'low'], ['HOST_PORT', 'low']]],
  ['privileged pod in a CronJob', 'k8s_apply', { content: 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: x, securityContext: {privileged: true}}]\n' }, [['PRIVILEGED_POD', 'high']]],
  ['privileged pod in an Argo Rollout', 'k8s_apply', { content: 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      hostPID: true\n      containers: [{name: c, image: x}]\n' }, [['HOST_NAMESPACE', 'high']]],
  ['a plain Deployment', 'k8s_apply', { content: deployment(`      containers: [{name: c, image: busybox}]\n`) }, []],
  ['hardened settings (false values)', 'k8s_apply', { content: pod('  hostNetwork: false\n  containers: [{name: c, image: busybox, securityContext: {privileged: false, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}]\n') }, []],
  ['a List of objects', 'k8s_apply', { content: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { hostPID: true, containers: [] } }] }) }, [['HOST_NAMESPACE', 'high']]],
  // RBAC
  [
    'ClusterRoleBinding to cluster-admin',
    'k8s_apply',
    { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: ops, namespace: ci}]\n' },
    [['CLUSTER_ADMIN_GRANT', 'high']],
  ],
  [
    'RoleBinding to cluster-admin in one namespace',
    'k8s_apply',
    { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ops, namespace: team}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: bob}]\n' },
    [['CLUSTER_ADMIN_GRANT', 'high']],
  ],
  ['ClusterRole with every verb on every resource', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: god}\nrules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]\n' }, [['CLUSTER_ADMIN_GRANT', 'high']]],
  ['Role with every verb on every resource', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: all, namespace: team}\nrules: [{apiGroups: [""], resources: ["*"], verbs: ["*"]}]\n' }, [['RBAC_GRANT', 'high']]],
  ['ClusterRole with wildcard verbs on deployments', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: deployer}\nrules: [{apiGroups: [apps], resources: [deployments], verbs: ["*"]}]\n' }, [['RBAC_GRANT', 'high']]],
  ['Role reading Secrets', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: team}\nrules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]\n' }, [['RBAC_GRANT', 'high']]],
  ['Role with escalate', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: esc}\nrules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, bind]}]\n' }, [['RBAC_GRANT', 'high']]],
  ['Role allowing pods/exec', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: ex, namespace: team}\nrules: [{apiGroups: [""], resources: [pods/exec], verbs: [create]}]\n' }, [['RBAC_GRANT', 'high']]],
  ['a narrow Role', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: view-cm, namespace: team}\nrules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]\n' }, [['RBAC_GRANT', 'medium']]],
  ['a RoleBinding to view', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: v, namespace: team}\nroleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}\nsubjects: [{kind: User, name: ann}]\n' }, [['RBAC_GRANT', 'medium']]],
  ['a ClusterRoleBinding of edit', 'k8s_apply', { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: e}\nroleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}\nsubjects: [{kind: User, name: ann}]\n' }, [['RBAC_GRANT', 'high']]],
  [
    'a binding for every authenticated user',
    'k8s_apply',
    { content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: e, namespace: team}\nroleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}\nsubjects: [{kind: Group, name: "system:authenticated"}]\n' },
    [['RBAC_GRANT', 'high']],
  ],
  // Secrets, webhooks, scale to zero, system namespaces
  ['a Secret', 'k8s_apply', { content: 'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n' }, [['SECRET_CHANGE', 'medium']]],
  ['a mutating webhook', 'k8s_apply', { content: 'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: hook}\nwebhooks: []\n' }, [['ADMISSION_WEBHOOK', 'medium']]],
  ['a Deployment with replicas 0', 'k8s_apply', { content: deployment('      containers: [{name: c, image: busybox}]\n', 0) }, [['SCALE_TO_ZERO', 'high']]],
  ['an HPA with minReplicas 0', 'k8s_apply', { content: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {minReplicas: 0, maxReplicas: 3, scaleTargetRef: {kind: Deployment, name: web, apiVersion: apps/v1}}\n' }, [['SCALE_TO_ZERO', 'high']]],
  ['anything in kube-system', 'k8s_apply', { content: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata: {a: b}\n' }, [['SYSTEM_NAMESPACE', 'medium']]],
  ['several documents, each flagged', 'k8s_apply', { content: `${pod(`  hostPID: true\n${container}`)}---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {}\n` }, [['HOST_NAMESPACE', 'high'], ['SECRET_CHANGE', 'medium']]],
  ['content that is not YAML', 'k8s_apply', { content: 'kind: [unclosed' }, [['UNREADABLE_MANIFEST', 'medium']]],
  // k8s_patch, all three patch types
  ['strategic patch adding hostNetwork', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch: '{"spec":{"template":{"spec":{"hostNetwork":true}}}}' }, [['HOST_NAMESPACE', 'high']]],
  ['merge patch making a container privileged', 'k8s_patch', { name: 'web', resource_type: 'deployments.apps', patch_type: 'merge', patch: 'spec:\n  template:\n    spec:\n      containers: [{name: c, securityContext: {privileged: true}}]\n' }, [['PRIVILEGED_POD', 'high']]],
  ['JSON patch mounting hostPath /', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"add","path":"/spec/template/spec/volumes/-","value":{"name":"root","hostPath":{"path":"/"}}}]' }, [['HOST_PATH', 'high']]],
  ['JSON patch setting privileged directly', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/privileged","value":true}]' }, [['PRIVILEGED_POD', 'high']]],
  ['JSON patch adding SYS_ADMIN', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"add","path":"/spec/template/spec/containers/0/securityContext/capabilities/add/-","value":"SYS_ADMIN"}]' }, [['ADDED_CAPABILITIES', 'high']]],
  ['JSON patch scaling to 0', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch_type: 'json', patch: '[{"op":"replace","path":"/spec/replicas","value":0}]' }, [['SCALE_TO_ZERO', 'high']]],
  ['merge patch of a Rollout to 0 replicas', 'k8s_patch', { name: 'web', resource_type: 'rollouts.argoproj.io', patch_type: 'merge', patch: '{"spec":{"replicas":0}}' }, [['SCALE_TO_ZERO', 'high']]],
  ['patch of an HPA to at most 0', 'k8s_patch', { name: 'web', resource_type: 'hpa', patch_type: 'merge', patch: '{"spec":{"maxReplicas":0}}' }, [['SCALE_TO_ZERO', 'high']]],
  ['patch of a Secret', 'k8s_patch', { name: 'db', resource_type: 'secret', patch: '{"stringData":{"password":"x"}}' }, [['SECRET_CHANGE', 'medium']]],
  ['patch binding cluster-admin', 'k8s_patch', { name: 'ops', resource_type: 'clusterrolebinding', patch_type: 'json', patch: '[{"op":"add","path":"/subjects/-","value":{"kind":"User","name":"eve"}},{"op":"replace","path":"/roleRef/name","value":"cluster-admin"}]' }, [['CLUSTER_ADMIN_GRANT', 'high']]],
  ['patch adding a wildcard rule', 'k8s_patch', { name: 'r', resource_type: 'clusterroles.rbac.authorization.k8s.io', patch_type: 'json', patch: '[{"op":"add","path":"/rules/-","value":{"apiGroups":["*"],"resources":["*"],"verbs":["*"]}}]' }, [['CLUSTER_ADMIN_GRANT', 'high']]],
  ['a harmless label patch', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch: '{"metadata":{"labels":{"tier":"edge"}}}' }, []],
  ['a patch that is not JSON or YAML', 'k8s_patch', { name: 'web', resource_type: 'deployment', patch: '{"a":' }, [['UNREADABLE_PATCH', 'medium']]],
  // deletes
  ['namespace delete', 'k8s_delete', { name: 'prod', resource_type: 'namespace' }, [['NAMESPACE_DELETE', 'high']]],
  ['namespace delete by short name', 'k8s_delete', { name: 'prod', resource_type: 'ns' }, [['NAMESPACE_DELETE', 'high']]],
  ['node delete', 'k8s_delete', { name: 'worker-1', resource_type: 'nodes' }, [['CLUSTER_SCOPED_DELETE', 'high']]],
  ['CRD delete', 'k8s_delete', { name: 'rollouts.argoproj.io', resource_type: 'crd' }, [['CLUSTER_SCOPED_DELETE', 'high']]],
  ['ClusterRole delete', 'k8s_delete', { name: 'view', resource_type: 'clusterroles.rbac.authorization.k8s.io' }, [['CLUSTER_SCOPED_DELETE', 'high'], ['RBAC_CHANGE', 'medium']]],
  ['PVC delete', 'k8s_delete', { name: 'data-db-0', resource_type: 'pvc', namespace: 'prod' }, [['DATA_LOSS', 'high']]],
  ['Secret delete', 'k8s_delete', { name: 'db', resource_type: 'secrets', namespace: 'prod' }, [['SECRET_CHANGE', 'medium']]],
  ['pod delete in kube-system', 'k8s_delete', { name: 'coredns-1', resource_type: 'pod', namespace: 'kube-system' }, [['SYSTEM_NAMESPACE', 'medium']]],
  ['a ConfigMap delete', 'k8s_delete', { name: 'cm', resource_type: 'configmap', namespace: 'prod' }, []],
  // scale, exec, run, drain, cordon, port-forward
  ['scale to 0', 'k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 0 }, [['SCALE_TO_ZERO', 'high']]],
  ['scale a Rollout to 0', 'k8s_scale', { name: 'web', resource_type: 'rollout', replicas: 0 }, [['SCALE_TO_ZERO', 'high']]],
  ['scale to 3', 'k8s_scale', { name: 'web', resource_type: 'deployment', replicas: 3 }, []],
  ['exec', 'k8s_exec', { pod_name: 'api-1', command: 'cat /etc/passwd' }, [['ARBITRARY_EXEC', 'high']]],
  ['run pod', 'k8s_run_pod', { name: 'debug', image: 'busybox', command: 'sleep 3600' }, [['RUN_IMAGE', 'medium']]],
  ['drain', 'k8s_drain', { node_name: 'worker-1' }, [['NODE_DRAIN', 'high']]],
  ['drain deleting emptyDir data', 'k8s_drain', { node_name: 'worker-1', delete_emptydir_data: true }, [['NODE_DRAIN', 'high'], ['DATA_LOSS', 'medium']]],
  ['cordon', 'k8s_cordon', { node_name: 'worker-1' }, [['NODE_CORDON', 'low']]],
  ['port forward', 'k8s_port_forward', { resource_name: 'db', ports: '5432' }, [['PORT_FORWARD', 'low']]],
  // helm
  ['helm uninstall', 'helm_uninstall', { release_name: 'shop', namespace: 'store' }, [['RELEASE_UNINSTALL', 'high']]],
  ['helm values turning on hostNetwork', 'helm_install_with_values', { release_name: 'cni', chart: 'acme/cni', values: 'hostNetwork: true\nsecurityContext:\n  privileged: true\n' }, [['HOST_NAMESPACE', 'high'], ['PRIVILEGED_POD', 'high']]],
  ['helm upgrade into kube-system', 'helm_upgrade', { release_name: 'dns', chart: 'acme/dns', namespace: 'kube-system' }, [['SYSTEM_NAMESPACE', 'medium']]],
  ['helm install of plain values', 'helm_install', { release_name: 'web', chart: 'acme/web', namespace: 'prod' }, []],
  ['helm repo add', 'helm_repo_add', { name: 'acme', url: 'https://charts.acme.example' }, [['NEW_CHART_SOURCE', 'low']]],
  // argo, jenkins
  ['argo abort', 'argo_abort_rollout', { name: 'checkout', namespace: 'prod' }, [['ROLLOUT_ABORT', 'medium']]],
  ['argo full promotion', 'argo_promote', { name: 'checkout', full: true }, [['FULL_PROMOTION', 'medium']]],
  ['argo step promotion', 'argo_promote', { name: 'checkout', full: false }, []],
  ['jenkins stop', 'jenkins_stop_build', { jobFullName: 'deploy', build: 12 }, [['BUILD_ABORT', 'low']]],
  ['a tool without rules', 'k8s_set_image', { resource_name: 'web', resource_type: 'deployment', container_images: 'c=x:1' }, []],
];

describe('assessToolCallRisks', () => {
  it.each(rows)('%s', (_label, tool, args, expected) => {
    const flags = assessToolCallRisks(tool, args);
    expect(flags.map((flag) => [flag.code, flag.severity])).toEqual(expected);
    for (const flag of flags) {
      expect(riskFlagSchema.parse(flag)).toEqual(flag);
      expect(flag.message.length).toBeGreaterThan(10);
    }
  });

  it('names what it found, and never quotes a value from the call', () => {
    const [binding] = assessToolCallRisks('k8s_apply', {
      content: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ops}\nroleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}\nsubjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]\n',
    });
    expect(binding!.message).toBe('ClusterRoleBinding ops binds cluster-admin to ServiceAccount ci/deployer (full control of the cluster).');
    const secret = assessToolCallRisks('k8s_apply', { content: 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData: {password: hunter2-very-secret}\n' });
    expect(JSON.stringify(secret)).not.toContain('hunter2');
    expect(secret[0]!.message).toContain('Secret prod/db');
  });

  it('lists the most severe first', () => {
    const flags = assessToolCallRisks('k8s_apply', { content: `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n---\n${pod(`  hostPID: true\n${container}`)}` });
    expect(flags.map((flag) => flag.severity)).toEqual(['high', 'medium']);
  });
});

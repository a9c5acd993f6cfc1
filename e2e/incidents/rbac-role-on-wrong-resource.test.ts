/**
 * Incident: a CI deployer (a ServiceAccount) cannot roll out: its Role grants `pods` but the pipeline patches
 * `deployments`. Fix: add the deployments rule to the Role (k8s_apply); `kubectl auth can-i` as the service
 * account now says yes and the call works.
 */
import { expect, it } from 'vitest';
import { incidentClusterForThisFile } from './support/incident-cluster.ts';

const cluster = incidentClusterForThisFile();

const account = 'system:serviceaccount:ci:deployer';
const role = (extraRule: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: ci}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch, update, patch]
${extraRule}`;

it('denies deployments to the service account, as can-i and the API say, until the Role grants them', async () => {
  await cluster.ok(['create', 'namespace', 'ci']);
  await cluster.apply(`apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: ci}
---
${role('')}---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: ci}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: nginx:1.27}]
`);
  const canPods = await cluster.kubectl(['auth', 'can-i', 'patch', 'pods', '-n', 'ci', '--as', account]);
  expect([canPods.code, canPods.stdout.trim()]).toEqual([0, 'yes']);
  const canDeployments = await cluster.kubectl(['auth', 'can-i', 'patch', 'deployments', '-n', 'ci', '--as', account]);
  expect([canDeployments.code, canDeployments.stdout.trim()]).toEqual([1, 'no']);
  const denied = await cluster.kubectl(['scale', 'deployment', 'api', '-n', 'ci', '--replicas=2', '--as', account]);
  // kubectl scale reads the object first and prints the API server's refusal in its own words.
  expect(denied.stderr.trim()).toBe(`error: no objects passed to scale deployments.apps "api" is forbidden: User "${account}" cannot get resource "deployments" in API group "apps" in the namespace "ci"`);
  const listed = await cluster.kubectl(['get', 'deployments', '-n', 'ci', '--as', account]);
  expect(listed.stderr.trim()).toBe(`Error from server (Forbidden): deployments.apps is forbidden: User "${account}" cannot list resource "deployments" in API group "apps" in the namespace "ci"`);

  await cluster.fix('k8s_apply', { content: role('- apiGroups: [apps]\n  resources: [deployments, deployments/scale]\n  verbs: [get, list, watch, update, patch]\n') });

  const allowed = await cluster.kubectl(['auth', 'can-i', 'patch', 'deployments', '-n', 'ci', '--as', account]);
  expect([allowed.code, allowed.stdout.trim()]).toEqual([0, 'yes']);
  expect(await cluster.ok(['scale', 'deployment', 'api', '-n', 'ci', '--replicas=2', '--as', account])).toContain('deployment.apps/api scaled');
  expect((await cluster.kubectl(['auth', 'can-i', 'delete', 'deployments', '-n', 'ci', '--as', account])).stdout.trim()).toBe('no');
});

/**
 * k8s_auth_can_i against kube-sim's RBAC, answer for answer with the real `kubectl auth can-i`: the server's
 * own identity (SelfSubjectAccessReview) and other users and service accounts (SubjectAccessReview), with
 * subresources, resource names, namespaces and cluster-scoped resources.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { kubectlPath } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

const run = promisify(execFile);
let harness: KubeHarness;
/** For kubectl, which sends no token over plain HTTP: the sim's kubeconfig that impersonates "nobody". */
let nobodyKubeconfig: string;
/** For the MCP server's HTTP client, which does send the token: authenticated as "nobody" by it alone. */
let nobodyTokenKubeconfig: string;

const RBAC = `apiVersion: v1
kind: Namespace
metadata: {name: prod}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: prod}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: prod}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [configmaps], resourceNames: [app-config], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-reads-pods, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: ServiceAccount, name: reader, namespace: prod}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-viewer}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-views-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-viewer}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: deployer}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [create, update, patch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: developers-deploy, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: deployer}
subjects: [{kind: Group, name: developers, apiGroup: rbac.authorization.k8s.io}]
`;

beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false, users: [{ name: 'nobody', token: 'nobody-token' }] });
  nobodyKubeconfig = path.join(harness.directory, 'nobody-kubeconfig');
  harness.sim.writeKubeconfig(nobodyKubeconfig, { user: 'nobody' });
  nobodyTokenKubeconfig = path.join(harness.directory, 'nobody-token-kubeconfig');
  const config = parse(readFileSync(nobodyKubeconfig, 'utf8'));
  delete config.users[0].user.as;
  writeFileSync(nobodyTokenKubeconfig, stringify(config), { mode: 0o600 });
  const applying = run(kubectlPath, ['--kubeconfig', harness.kubeconfigPath, 'apply', '-f', '-']);
  applying.child.stdin?.end(RBAC);
  await applying;
});
afterAll(() => harness?.close());

interface Question {
  verb: string;
  resource: string;
  name?: string;
  subresource?: string;
  namespace?: string;
  as_user?: string;
  as_groups?: string[];
  as_service_account?: string;
}

/** What the real kubectl answers (it impersonates the identity and sends a SelfSubjectAccessReview). */
async function kubectlAnswer(question: Question, kubeconfig = harness.kubeconfigPath): Promise<'yes' | 'no'> {
  const who = question.as_service_account
    ? ['--as', `system:serviceaccount:${question.as_service_account.replace('/', ':')}`]
    : question.as_user
      ? ['--as', question.as_user, ...(question.as_groups ?? []).flatMap((group) => ['--as-group', group])]
      : [];
  const args = ['--kubeconfig', kubeconfig, 'auth', 'can-i', question.verb, question.name ? `${question.resource}/${question.name}` : question.resource, '--namespace', question.namespace ?? 'default', ...(question.subresource ? ['--subresource', question.subresource] : []), ...who];
  try {
    return (await run(kubectlPath, args)).stdout.trim() as 'yes';
  } catch (error) {
    return (error as { stdout: string }).stdout.trim() as 'no';
  }
}

const QUESTIONS: Array<[string, Question, 'yes' | 'no']> = [
  ['a service account reads pods where its Role is bound', { verb: 'get', resource: 'pods', namespace: 'prod', as_service_account: 'prod/reader' }, 'yes'],
  ['a service account may not delete them', { verb: 'delete', resource: 'pods', namespace: 'prod', as_service_account: 'prod/reader' }, 'no'],
  ['a service account may not read pods in another namespace', { verb: 'get', resource: 'pods', namespace: 'default', as_service_account: 'prod/reader' }, 'no'],
  ['a granted subresource (pods/log)', { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'prod', as_service_account: 'prod/reader' }, 'yes'],
  ['an ungranted subresource (pods/exec)', { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'prod', as_service_account: 'prod/reader' }, 'no'],
  ['a rule limited to one resource name, for that name', { verb: 'get', resource: 'configmaps', name: 'app-config', namespace: 'prod', as_service_account: 'prod/reader' }, 'yes'],
  ['a rule limited to one resource name, for another name', { verb: 'get', resource: 'configmaps', name: 'other-config', namespace: 'prod', as_service_account: 'prod/reader' }, 'no'],
  ['a user with a ClusterRoleBinding, on a cluster-scoped resource', { verb: 'list', resource: 'nodes', as_user: 'alice' }, 'yes'],
  ['a group granted through a RoleBinding, by short name', { verb: 'create', resource: 'deploy', namespace: 'prod', as_user: 'alice', as_groups: ['developers'] }, 'yes'],
  ['the same group outside that namespace', { verb: 'create', resource: 'deployments.apps', namespace: 'default', as_user: 'alice', as_groups: ['developers'] }, 'no'],
  ['the same user without the group', { verb: 'create', resource: 'deployments', namespace: 'prod', as_user: 'alice' }, 'no'],
  ['the server itself (cluster admin)', { verb: 'delete', resource: 'nodes' }, 'yes'],
];

describe('k8s_auth_can_i', () => {
  it.each(QUESTIONS)('%s: same answer as kubectl auth can-i', async (_title, question, expected) => {
    const result = await harness.call('k8s_auth_can_i', { ...question });
    expect(result.isError, result.text).toBeFalsy();
    expect(await kubectlAnswer(question)).toBe(expected);
    expect(result.text.split(':')[0]).toBe(expected);
    expect(result.structured).toMatchObject({ allowed: expected === 'yes', review: question.as_user || question.as_service_account ? 'SubjectAccessReview' : 'SelfSubjectAccessReview' });
  });

  it('says who, what and where, and why when allowed', async () => {
    const allowed = await harness.call('k8s_auth_can_i', { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'prod', as_service_account: 'prod/reader' });
    expect(allowed.text).toMatch(/^yes: system:serviceaccount:prod:reader may get pods\/log in namespace "prod"\.\nReason: RBAC: allowed by RoleBinding "reader-reads-pods\/prod" of Role "pod-reader"$/);
    const cluster = await harness.call('k8s_auth_can_i', { verb: 'delete', resource: 'deploy', namespace: 'prod', as_user: 'alice' });
    expect(cluster.text).toMatch(/^no: alice may not delete deployments\.apps in namespace "prod"\.\nReason: no RBAC rule allows it\.$/);
    const nodes = await harness.call('k8s_auth_can_i', { verb: 'list', resource: 'nodes', namespace: 'prod', as_user: 'alice' });
    expect(nodes.text).toMatch(/^yes: alice may list nodes \(cluster-scoped\)\./);
    expect(nodes.structured).toMatchObject({ resourceAttributes: { verb: 'list', group: '', resource: 'nodes' }, user: 'alice', groups: ['system:authenticated'] });
    expect((nodes.structured as { resourceAttributes: Record<string, unknown> }).resourceAttributes).not.toHaveProperty('namespace');
  });

  it('asks as the server\'s own restricted identity, and explains when it may not ask about others', async () => {
    const deps = harness.depsWith({ kubeconfigPath: nobodyTokenKubeconfig });
    const own = await harness.call('k8s_auth_can_i', { verb: 'list', resource: 'secrets' }, deps);
    expect(own.text).toMatch(/^no: the MCP server \(its own credentials\) may not list secrets in namespace "default"\./);
    expect(await kubectlAnswer({ verb: 'list', resource: 'secrets' }, nobodyKubeconfig)).toBe('no');
    const other = await harness.call('k8s_auth_can_i', { verb: 'list', resource: 'nodes', as_user: 'alice' }, deps);
    expect(other.isError).toBe(true);
    expect(other.text).toMatch(/may not check another identity's permissions[\s\S]*Try: grant the MCP server's account "create" on subjectaccessreviews/);
    expect(other.structured).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('refuses malformed questions before asking', async () => {
    for (const [input, message] of [
      [{ verb: 'get; rm', resource: 'pods' }, /Invalid verb/],
      [{ verb: 'get', resource: 'pods/log' }, /Invalid resource "pods\/log"[\s\S]*subresource/],
      [{ verb: 'get', resource: 'pods', as_user: 'alice', as_service_account: 'prod/reader' }, /mutually exclusive/],
      [{ verb: 'get', resource: 'pods', as_groups: ['developers'] }, /as_groups needs as_user/],
      [{ verb: 'get', resource: 'pods', as_service_account: 'a/b/c' }, /Invalid as_service_account/],
    ] as const) {
      const result = await harness.call('k8s_auth_can_i', { ...input });
      expect(result.isError, JSON.stringify(input)).toBe(true);
      expect(result.text).toMatch(message);
    }
  });
});

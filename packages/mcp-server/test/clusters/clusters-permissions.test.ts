/**
 * The MCP server says at start what it may do in each cluster (issue 22, item 7): SelfSubjectRulesReview per cluster,
 * one line each. alpha: the admin (cluster-wide write); beta: a "viewer" bound to a read-only ClusterRole. The start
 * log of `skyflo mcp` (HTTP) is what an operator reads, so it is checked on the real process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { createToolDeps } from '../../src/create-tool-deps.ts';
import { describeClusterPermissions, summariseRules } from '../../src/kube/cluster-status.ts';
import { allTools } from '../../src/catalogue.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { skyfloEntry } from '@skyflo/testkit/services';

let alpha: KubeSim;
let beta: KubeSim;
let directory: string;
let kubeconfig: string;
let child: ChildProcess | undefined;

const viewerRbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: viewer}
rules:
- apiGroups: ['*']
  resources: ['*']
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: viewer}
subjects:
- {kind: User, name: viewer, apiGroup: rbac.authorization.k8s.io}
`;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'skyflo-cluster-perms-'));
  [alpha, beta] = await Promise.all([startKubeSim({ workloads: false }), startKubeSim({ workloads: false, users: [{ name: 'viewer', token: 'viewer-token' }] })]);
  const admin = path.join(directory, 'beta-admin');
  beta.writeKubeconfig(admin);
  const applied = await runTool(allTools.find((tool) => tool.name === 'k8s_apply')!, { content: viewerRbac }, createToolDeps({ kubeconfigPath: admin, kubectlPath, helmPath }), { signal: new AbortController().signal });
  expect(applied.isError, applied.text).toBeFalsy();
  kubeconfig = path.join(directory, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: alpha',
      'clusters:',
      `- {name: alpha, cluster: {server: '${alpha.url}', insecure-skip-tls-verify: true}}`,
      `- {name: beta, cluster: {server: '${beta.url}', insecure-skip-tls-verify: true}}`,
      'users:',
      `- {name: admin, user: {token: ${alpha.adminToken}}}`,
      '- {name: viewer, user: {token: viewer-token}}',
      'contexts:',
      '- {name: alpha, context: {cluster: alpha, user: admin, namespace: default}}',
      '- {name: beta, context: {cluster: beta, user: viewer, namespace: default}}',
      '',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await Promise.all([alpha?.close(), beta?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('effective permissions per cluster', () => {
  it('summarises SelfSubjectRulesReview: admin, read-only, namespaced write', () => {
    expect(summariseRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])).toBe('cluster-admin-like (* on *)');
    expect(summariseRules([{ verbs: ['get', 'list', 'watch'], resources: ['*'] }, { verbs: ['create'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] }])).toBe('read-only (get/list/watch on *)');
    expect(summariseRules([{ verbs: ['get', 'patch'], resources: ['deployments'] }])).toBe('read-write (get/patch on deployments)');
  });

  it('reads each cluster as the identity it uses there', async () => {
    const lines = await describeClusterPermissions(createToolDeps({ kubeconfigPath: kubeconfig, kubectlPath, helmPath }));
    expect(lines).toEqual([
      `cluster alpha (current): cluster-admin-like (* on *) in namespace default, at ${alpha.url}`,
      `cluster beta: read-only (get/list/watch on *) in namespace default, at ${beta.url}`,
    ]);
  });

  it('`skyflo mcp` logs one line per cluster at start, and a clear line for a cluster that does not answer', async () => {
    await beta.close();
    child = spawn(process.execPath, [skyfloEntry(), 'mcp', '--port', '0', '--kubeconfig', kubeconfig, '--auth-token', 'test-token'], {
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', HOME: directory, KUBECTL_PATH: kubectlPath, HELM_PATH: helmPath, SKYFLO_CLUSTER_LABELS: 'alpha=dev' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await vi.waitFor(
      () => {
        expect(output).toContain(`cluster alpha [dev] (current): cluster-admin-like (* on *) in namespace default, at ${alpha.url}`);
        expect(output).toContain(`cluster beta: permissions unknown: kubeconfig ${kubeconfig}: context beta: ${beta.url} did not answer: connect ECONNREFUSED`);
      },
      { timeout: 90_000, interval: 200 },
    );
    expect(output).not.toContain('skipTLSVerify');
  }, 120_000);
});

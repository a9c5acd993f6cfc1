/**
 * End to end credential flow: the integration Secret lives in kube-sim, the server's resolver reads it,
 * and jenkins-sim only accepts the request when the Secret's token was used.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startKubeSim, type KubeSim } from '@skyflo/testkit/kube-sim';
import { createJenkinsCredentialResolver } from '../src/kube/create-jenkins-credential-resolver.ts';
import type { ToolDeps } from '../src/tools/deps.ts';
import { jenkinsTools } from '../src/tools/jenkins/index.ts';
import { callTool, helmDeps } from './helm-test-env.ts';

let kube: KubeSim;
let jenkins: JenkinsSim;
let directory: string;
let deps: ToolDeps;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'skyflo-jenkins-cred-'));
  [kube, jenkins] = await Promise.all([startKubeSim({ port: 0 }), startJenkinsSim({ token: 'token-from-secret' })]);
  const secrets = kube.cluster.resourceFor({ apiVersion: 'v1', kind: 'Secret' })!;
  const namespaces = kube.cluster.resourceFor({ apiVersion: 'v1', kind: 'Namespace' })!;
  if (!kube.cluster.store.get(namespaces, undefined, 'skyflo')) kube.cluster.store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'skyflo' } });
  const encode = (value: string) => Buffer.from(value).toString('base64');
  kube.cluster.store.create(secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'jenkins-cred-0a1b2c3d4e5f60718293', namespace: 'skyflo' },
    type: 'Opaque',
    data: { username: encode('admin'), 'api-token': encode('token-from-secret') },
  });
  const file = path.join(directory, 'kubeconfig');
  kube.writeKubeconfig(file);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
  deps = helmDeps({ kubeConfig });
  deps.jenkinsCredentials = createJenkinsCredentialResolver({ kubeConfig, defaultNamespace: 'skyflo' });
});

afterAll(async () => {
  await Promise.all([kube?.close(), jenkins?.close()]);
  if (directory) await rm(directory, { recursive: true, force: true });
});

const whoami = jenkinsTools.find((definition) => definition.name === 'jenkins_whoami')!;

it('authenticates with the token stored in the integration Secret and never returns it', async () => {
  const result = await callTool(whoami, { api_url: jenkins.url, credentials_ref: 'skyflo/jenkins-cred-0a1b2c3d4e5f60718293' }, deps);
  expect(result.isError, result.text).toBeFalsy();
  expect(JSON.parse(result.text).body.id).toBe('admin');
  expect(result.text).not.toContain('token-from-secret');
  expect(jenkins.calls.at(-1)?.user).toBe('admin');
});

it('reports a missing integration Secret without calling Jenkins', async () => {
  const before = jenkins.calls.length;
  const result = await callTool(whoami, { api_url: jenkins.url, credentials_ref: 'skyflo/jenkins-cred-missing' }, deps);
  expect(result.isError).toBe(true);
  expect(result.text).toContain('does not exist');
  expect(jenkins.calls.length).toBe(before);
});

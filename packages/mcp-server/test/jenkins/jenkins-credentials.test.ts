/**
 * End to end credential flow: the integration Secret (url, username, api-token) lives in kube-sim, the
 * server's resolver reads it, and jenkins-sim only accepts the request when the Secret's token was used.
 * Issue 7 item 6: the Jenkins URL belongs to the integration, so a caller naming another host as api_url
 * never makes the server send the integration's credentials there.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJenkinsSim, type JenkinsSim } from '@skyflo/testkit/jenkins-sim';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { createJenkinsCredentialResolver } from '../../src/kube/create-jenkins-credential-resolver.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { jenkinsTools } from '../../src/tools/jenkins/index.ts';
import { callTool, helmDeps } from '../support/helm-test-env.ts';

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
    data: { url: encode(jenkins.url), username: encode('admin'), 'api-token': encode('token-from-secret') },
  });
  kube.cluster.store.create(secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'jenkins-cred-without-url', namespace: 'skyflo' },
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

describe('the Jenkins URL belongs to the integration (issue 7 item 6)', () => {
  /** A loopback server standing in for a host the caller controls: records every request it gets. */
  async function startCatcher() {
    const requests: Array<{ url?: string; authorization?: string }> = [];
    const server = http.createServer((request, response) => {
      requests.push({ url: request.url, authorization: request.headers.authorization });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"attacker"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('never sends the credentials to a caller-chosen api_url', async () => {
    const catcher = await startCatcher();
    try {
      const before = jenkins.calls.length;
      const result = await callTool(whoami, { api_url: catcher.url, credentials_ref: 'skyflo/jenkins-cred-0a1b2c3d4e5f60718293' }, deps);
      expect(result.isError).toBe(true);
      expect(result.text).toContain('is not the Jenkins of the integration');
      expect(result.text).not.toContain('token-from-secret');
      expect(catcher.requests).toEqual([]);
      expect(jenkins.calls.length).toBe(before);
    } finally {
      await catcher.close();
    }
  });

  it("uses the integration's URL when api_url is omitted, and accepts the same URL written differently", async () => {
    const omitted = await callTool(whoami, { credentials_ref: 'skyflo/jenkins-cred-0a1b2c3d4e5f60718293' }, deps);
    expect(omitted.isError, omitted.text).toBeFalsy();
    expect(JSON.parse(omitted.text).body.id).toBe('admin');
    const trailingSlash = await callTool(whoami, { api_url: `${jenkins.url.replace(/\/$/, '')}/`, credentials_ref: 'skyflo/jenkins-cred-0a1b2c3d4e5f60718293' }, deps);
    expect(trailingSlash.isError, trailingSlash.text).toBeFalsy();
  });

  it('refuses an integration Secret without a url, before any request', async () => {
    const catcher = await startCatcher();
    try {
      const result = await callTool(whoami, { api_url: catcher.url, credentials_ref: 'skyflo/jenkins-cred-without-url' }, deps);
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/has no "url" key/);
      expect(catcher.requests).toEqual([]);
    } finally {
      await catcher.close();
    }
  });
});

/**
 * `skyflo mcp` with no kubeconfig, as a pod runs it (issue 23 item 18). In a pod it must use the pod's service account
 * (token + CA mounted by the kubelet, API server from KUBERNETES_SERVICE_HOST/PORT); outside one, a missing
 * kubeconfig must say which file it looked for instead of client-node's fallback to http://localhost:8080 ("HTTP
 * protocol is not allowed when skipTLSVerify is not set"). The pod is faked: a service-account directory
 * (SKYFLO_SERVICE_ACCOUNT_DIR) with the admin token of a kube-sim serving HTTPS, and its certificate as the CA bundle.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startKubeSim, type KubeSim } from '@skyflo/sandbox/kube-sim';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skyfloEntry } from '@skyflo/testkit/services';

let sim: KubeSim;
let directory: string;
let serviceAccountDir: string;

/** The PEM of the certificate a TLS server presents (kube-sim's is self-signed, so it is its own CA). */
async function serverCertificate(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(`-----BEGIN CERTIFICATE-----\n${raw.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`);
    });
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  sim = await startKubeSim({ port: 0, tls: true, workloads: false });
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-in-cluster-'));
  serviceAccountDir = path.join(directory, 'serviceaccount');
  mkdirSync(serviceAccountDir);
  writeFileSync(path.join(serviceAccountDir, 'token'), sim.adminToken);
  writeFileSync(path.join(serviceAccountDir, 'ca.crt'), await serverCertificate(sim.port));
  writeFileSync(path.join(serviceAccountDir, 'namespace'), 'kube-system\n');
  mkdirSync(path.join(directory, 'home'));
});
afterAll(async () => {
  await sim?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

/** Runs `skyflo mcp --stdio` with exactly this environment (no KUBECONFIG, an empty HOME) and calls one tool. */
async function callTool(env: Record<string, string>, name: string, args: Record<string, unknown>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [skyfloEntry(), 'mcp', '--stdio'],
    env: { PATH: process.env.PATH ?? '', HOME: path.join(directory, 'home'), KUBECTL_PATH: kubectlPath, HELM_PATH: helmPath, ...env },
    cwd: directory,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'in-cluster-test', version: '1' });
  await client.connect(transport);
  try {
    const result = await client.callTool({ name, arguments: args });
    return { isError: Boolean(result.isError), text: JSON.stringify(result.content) };
  } finally {
    await client.close();
  }
}

describe('the cluster identity without a kubeconfig', { timeout: 60_000 }, () => {
  it('in a pod: uses the service account (token, CA, API server from the environment) and its namespace', async () => {
    const inPod = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(sim.port), SKYFLO_SERVICE_ACCOUNT_DIR: serviceAccountDir };
    const namespaces = await callTool(inPod, 'k8s_get', { resource_type: 'namespaces' });
    expect(namespaces.isError, namespaces.text).toBe(false);
    expect(namespaces.text).toContain('kube-system');
    expect(namespaces.text).not.toContain('skipTLSVerify');
    // no namespace given: the one mounted with the service account, not "default"
    const configMaps = await callTool(inPod, 'k8s_get', { resource_type: 'configmaps' });
    expect(configMaps.isError, configMaps.text).toBe(false);
    expect(configMaps.text).toContain('kube-system');
  });

  it('in a pod with a wrong token: the API server refuses it (the token file is what is sent)', async () => {
    const wrongDir = path.join(directory, 'wrong-serviceaccount');
    mkdirSync(wrongDir, { recursive: true });
    writeFileSync(path.join(wrongDir, 'token'), 'not-the-token');
    writeFileSync(path.join(wrongDir, 'ca.crt'), await serverCertificate(sim.port));
    const result = await callTool({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(sim.port), SKYFLO_SERVICE_ACCOUNT_DIR: wrongDir }, 'k8s_get', { resource_type: 'namespaces' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/401|Unauthorized/i);
  });

  it('outside a pod with no kubeconfig: the error names the file it looked for and how to fix it', async () => {
    const result = await callTool({}, 'k8s_get', { resource_type: 'namespaces' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(path.join(directory, 'home', '.kube', 'config'));
    expect(result.text).toContain('--kubeconfig');
    expect(result.text).not.toContain('skipTLSVerify');
    // retrying cannot help: the model is told to report it, not to try again
    expect(result.text).not.toMatch(/Try: retry/);
    expect(result.text).toContain('no cluster configured');
  });

  it('a kubeconfig named in KUBECONFIG that does not exist: named in the error', async () => {
    const missing = path.join(directory, 'nowhere', 'config');
    const result = await callTool({ KUBECONFIG: missing, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(sim.port), SKYFLO_SERVICE_ACCOUNT_DIR: serviceAccountDir }, 'k8s_get', { resource_type: 'namespaces' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`The kubeconfig ${missing} does not exist`);
  });
});

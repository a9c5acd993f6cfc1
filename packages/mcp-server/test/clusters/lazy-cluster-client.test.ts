/**
 * Start-up cost as a direct MCP client sees it: importing @kubernetes/client-node takes 0.5-0.8 s, more than all the
 * rest of `skyflo mcp` before tools/list (goal: answer within 400 ms). It must load on the first cluster call, not at
 * start; a static import anywhere in the server's module graph (one crept in with impersonation) loads it at start.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kubectlPath, helmPath } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';

const mainPath = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const reporter = fileURLToPath(new URL('../fixtures/report-cluster-client-loads.mjs', import.meta.url));

let harness: KubeHarness;
beforeAll(async () => {
  harness = await startKubeHarness({ workloads: false });
});
afterAll(() => harness?.close());

it('answers tools/list without loading @kubernetes/client-node, and loads it for the first cluster call', async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', '--import', reporter, mainPath, '--stdio', '--kubeconfig', harness.kubeconfigPath],
    env: { PATH: process.env.PATH ?? '', HOME: harness.directory, KUBECTL_PATH: kubectlPath, HELM_PATH: helmPath, KUBECACHEDIR: path.join(harness.directory, 'cache') },
    cwd: path.dirname(mainPath),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'lazy-load-test', version: '1' });
  await client.connect(transport);
  try {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(50);
    // the first load, with what imported it, is enough to find the culprit
    expect(/\[cluster-client-loaded\].*/.exec(stderr)?.[0]).toBeUndefined();

    const result = await client.callTool({ name: 'k8s_get', arguments: { resource_type: 'namespaces' } });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('kube-system');
    // the reporter works: the first cluster call is where the client library loads
    expect(stderr).toContain('[cluster-client-loaded]');
  } finally {
    await client.close();
  }
}, 60_000);

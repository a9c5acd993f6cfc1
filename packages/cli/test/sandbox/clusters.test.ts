/**
 * `skyflo sandbox --clusters 2` (issue 22): two kube-sims with different apps behind one kubeconfig, contexts
 * sandbox-a (current, the demo scenario) and sandbox-b (demo-b), driven with the real kubectl as a user would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath } from '@skyflo/testkit/tools';
import { parseClusterCount, provisionSandboxDataSources, sandboxClusterLines, startSandboxClusters, type DataSourceProvisioner, type SandboxClusters } from '../../src/sandbox-clusters.ts';

const run = promisify(execFile);
let directory: string;
let sandbox: SandboxClusters;

const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', sandbox.kubeconfigPath, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } })).stdout;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-clusters-'));
  sandbox = await startSandboxClusters({ count: 2, kubeconfigPath: path.join(directory, 'data', 'sandbox.kubeconfig') });
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('skyflo sandbox --clusters 2', () => {
  it('writes one kubeconfig with a context per cluster, sandbox-a current', async () => {
    expect((await kubectl('config', 'get-contexts', '-o', 'name')).split('\n').filter(Boolean)).toEqual(['sandbox-a', 'sandbox-b']);
    expect((await kubectl('config', 'current-context')).trim()).toBe('sandbox-a');
    // it holds each cluster's admin token: the file and the data dir it made are their owner's alone (0755 before)
    expect(statSync(sandbox.kubeconfigPath).mode & 0o077).toBe(0);
    expect(statSync(path.join(directory, 'data')).mode & 0o077).toBe(0);
  });

  it('serves different apps in each cluster', async () => {
    const a = await kubectl('get', 'deployments', '-A', '-o', 'name');
    const b = await kubectl('--context', 'sandbox-b', 'get', 'deployments', '-A', '-o', 'name');
    expect(a).toContain('deployment.apps/checkout');
    expect(a).not.toContain('deployment.apps/ingest');
    expect(b).toContain('deployment.apps/ingest');
    expect(b).toContain('deployment.apps/reports');
    expect(b).not.toContain('deployment.apps/checkout');
  });

  it('answers kubectl auth whoami (SelfSubjectReview) in both', async () => {
    for (const context of ['sandbox-a', 'sandbox-b']) expect(await kubectl('--context', context, 'auth', 'whoami')).toMatch(/Username\s+\S+/);
  });

  it('the banner lists both clusters with their URLs and scenarios', () => {
    const lines = sandboxClusterLines(sandbox).join('\n');
    expect(lines).toContain(`sandbox-a: ${sandbox.clusters[0]!.sim.url} (demo scenario)`);
    expect(lines).toContain(`sandbox-b: ${sandbox.clusters[1]!.sim.url} (demo-b scenario)`);
  });

  it("wires each cluster's Prometheus and Loki up as data sources of its context, with a token that works", async () => {
    const provisioned: Array<Parameters<DataSourceProvisioner['provisionDataSource']>[0]> = [];
    const lines = await provisionSandboxDataSources(sandbox, { provisionDataSource: async (input) => void provisioned.push(input) });
    expect(provisioned.map((input) => `${input.provider}/${input.cluster}`)).toEqual(['prometheus/sandbox-a', 'loki/sandbox-a', 'prometheus/sandbox-b', 'loki/sandbox-b']);
    // sandbox-b's Prometheus knows sandbox-b's deployments, and only with its token
    const prometheusB = provisioned[2]!;
    const url = `${prometheusB.apiUrl}/api/v1/query?query=${encodeURIComponent('kube_deployment_spec_replicas{deployment="ingest"}')}`;
    expect((await fetch(url)).status).toBe(401);
    const answer = (await (await fetch(url, { headers: { authorization: `Bearer ${prometheusB.credentials.api_token}` } })).json()) as { data: { result: unknown[] } };
    expect(answer.data.result).toHaveLength(1);
    // the banner names the URLs, never the tokens
    expect(lines.join('\n')).toContain(`prometheus and loki of sandbox-b: ${prometheusB.apiUrl} (wired up as integrations)`);
    expect(lines.join('\n')).not.toContain(prometheusB.credentials.api_token);
  });

  it('--clusters accepts 1 or 2 and names a bad value', () => {
    expect(parseClusterCount(undefined)).toBe(1);
    expect(parseClusterCount('2')).toBe(2);
    expect(parseClusterCount('3')).toBe('--clusters must be 1 or 2, got "3"');
    expect(parseClusterCount('two')).toBe('--clusters must be 1 or 2, got "two"');
  });
});

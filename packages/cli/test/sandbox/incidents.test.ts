/**
 * `skyflo sandbox --scenario incidents` (issue 36): the simulated cluster carries four incidents that show only in
 * its Prometheus API — every pod Running and Ready in kubectl, while the metrics show a slower rollout, a leaking
 * container, a failing canary and a noisy neighbour. Driven with the real kubectl and the Prometheus HTTP API, as
 * a user and the observability tools would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath } from '@skyflo/testkit/tools';
import { parseSandboxScenario, sandboxClusterLines, startSandboxClusters, type SandboxClusters } from '../../src/sandbox-clusters.ts';

const run = promisify(execFile);
let directory: string;
let sandbox: SandboxClusters;

const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', sandbox.kubeconfigPath, ...args], { env: { ...process.env, KUBECACHEDIR: path.join(directory, 'cache') } })).stdout;

/** An instant query, with the bearer token the sandbox seals into the engine's data sources. */
async function query(expression: string, secondsAgo = 0): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const api = sandbox.clusters[0]!.sim.observability!;
  const params = new URLSearchParams({ query: expression, time: String(Date.now() / 1000 - secondsAgo) });
  const response = await fetch(`${api.url}/api/v1/query?${params}`, { headers: { authorization: `Bearer ${api.bearerToken}` } });
  const body = (await response.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  expect(body.status).toBe('success');
  return body.data.result;
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'skyflo-sandbox-incidents-'));
  sandbox = await startSandboxClusters({ count: 1, kubeconfigPath: path.join(directory, 'sandbox.kubeconfig'), scenario: 'incidents' });
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('skyflo sandbox --scenario incidents', () => {
  it('accepts demo and incidents, refuses anything else', () => {
    expect(parseSandboxScenario(undefined)).toBe('demo');
    expect(parseSandboxScenario('incidents')).toBe('incidents');
    expect(parseSandboxScenario('nope')).toEqual({ error: '--scenario must be one of demo, incidents, got "nope"' });
    expect(sandboxClusterLines(sandbox).join('\n')).toContain('(incidents scenario)');
  });

  it('every workload rolls out and is Ready: kubectl alone shows no incident', async () => {
    for (const [namespace, deployment] of [['shop', 'checkout'], ['sessions', 'session-api'], ['prod', 'web-canary'], ['media', 'video-encoder']]) {
      await kubectl('rollout', 'status', `deployment/${deployment}`, '-n', namespace!, '--timeout=60s');
    }
    expect(await kubectl('get', 'pods', '-A', '-o', 'jsonpath={.items[*].status.phase}')).not.toMatch(/Pending|Failed/);
  }, 90_000);

  it('the metrics show the four incidents', async () => {
    const p99 = await query('histogram_quantile(0.99, sum by (le, pod) (rate(http_request_duration_seconds_bucket{namespace="shop", app="checkout"}[5m])))');
    expect(Math.max(...p99.map((sample) => Number(sample.value[1])))).toBeGreaterThan(3);
    const leak = await query('topk(1, deriv(container_memory_working_set_bytes{namespace="sessions"}[10m]))', 1800);
    expect(leak.map((sample) => [sample.metric['container'], Math.round(Number(sample.value[1]))])).toEqual([['cache', 60000]]);
    const errors = await query('round(100 * sum by (app) (rate(http_requests_total{namespace="prod", code=~"5.."}[5m])) / sum by (app) (rate(http_requests_total{namespace="prod"}[5m])))');
    expect(Object.fromEntries(errors.map((sample) => [sample.metric['app'], sample.value[1]]))).toEqual({ web: '0', 'web-canary': '25' });
    const cpu = await query('topk(1, sum by (pod, node) (rate(container_cpu_usage_seconds_total{node="worker-a"}[5m])))');
    expect(cpu[0]!.metric['pod']).toMatch(/^video-encoder-/);
    expect(Number(cpu[0]!.value[1])).toBeGreaterThan(2);
  }, 60_000);
});

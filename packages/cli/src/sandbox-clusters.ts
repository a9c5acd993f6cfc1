/**
 * The simulated clusters of `skyflo sandbox` (issue 22): one (the demo scenario) or, with --clusters 2, two kube-sims
 * with different apps (demo and demo-b) behind ONE kubeconfig with a context each, "sandbox-a" (current) and
 * "sandbox-b", so multi-cluster works without a cloud. Loaded only by the sandbox command.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { KubeSim } from '@skyflo/sandbox/kube-sim';

export interface SandboxCluster {
  /** the kubeconfig context */
  name: string;
  scenario: string;
  sim: KubeSim;
}

export interface SandboxClusters {
  clusters: SandboxCluster[];
  kubeconfigPath: string;
  close(): Promise<void>;
}

const scenarios = ['demo', 'demo-b'];
export const maxSandboxClusters = scenarios.length;

/** Parses --clusters; an error message for a bad value. */
export function parseClusterCount(value: string | undefined): number | string {
  if (value === undefined) return 1;
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > maxSandboxClusters) return `--clusters must be 1 or ${maxSandboxClusters}, got "${value}"`;
  return count;
}

export async function startSandboxClusters(options: { count: number; kubeconfigPath: string }): Promise<SandboxClusters> {
  const { startKubeSim } = await import('@skyflo/sandbox/kube-sim');
  if (options.count === 1) {
    // one cluster: the kubeconfig kube-sim writes itself (context "kube-sim"), as before --clusters existed
    const sim = await startKubeSim({ port: 0, scenario: 'demo', kubeconfigPath: options.kubeconfigPath });
    return { clusters: [{ name: 'kube-sim', scenario: 'demo', sim }], kubeconfigPath: options.kubeconfigPath, close: () => sim.close() };
  }
  const sims = await Promise.all(scenarios.slice(0, options.count).map((scenario) => startKubeSim({ port: 0, scenario })));
  const clusters = sims.map((sim, index) => ({ name: `sandbox-${String.fromCharCode(97 + index)}`, scenario: scenarios[index]!, sim }));
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusters[0]!.name,
    clusters: clusters.map(({ name, sim }) => ({ name, cluster: { server: sim.url, 'insecure-skip-tls-verify': true } })),
    users: clusters.map(({ name, sim }) => ({ name: `${name}-admin`, user: { token: sim.adminToken } })),
    contexts: clusters.map(({ name }) => ({ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } })),
    preferences: {},
  };
  mkdirSync(path.dirname(options.kubeconfigPath), { recursive: true });
  writeFileSync(options.kubeconfigPath, toYaml(config), { mode: 0o600 });
  return {
    clusters,
    kubeconfigPath: options.kubeconfigPath,
    close: async () => void (await Promise.all(sims.map((sim) => sim.close()))),
  };
}

/** The banner lines naming each simulated cluster. */
export function sandboxClusterLines(sandbox: SandboxClusters): string[] {
  if (sandbox.clusters.length === 1) return [`  simulated cluster: ${sandbox.clusters[0]!.sim.url} (demo scenario)`];
  return [
    `  simulated clusters (one kubeconfig, a context each; ${sandbox.clusters[0]!.name} is current):`,
    ...sandbox.clusters.map(({ name, scenario, sim }) => `    ${name}: ${sim.url} (${scenario} scenario)`),
  ];
}

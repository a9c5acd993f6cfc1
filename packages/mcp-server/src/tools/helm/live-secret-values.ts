/**
 * Secret values a chart's `lookup` may have copied into rendered objects. Why: previews render against the live
 * cluster (so they show what the install will create), and a template can read a Secret with lookup and print its
 * value into a ConfigMap, an annotation or an env var, where the Secret-shape redaction rules never look. The values
 * of the Secrets this server can read are collected (never returned to a caller) and every occurrence in the shown
 * manifests is replaced, in clear and base64 form alike.
 */
import { REDACTED } from '@skyflo/safety';
import { kubeEnv, kubectlGlobalArgs } from '../../kube/impersonation.ts';
import type { ToolDeps } from '../deps.ts';

/**
 * Shorter values are left alone: "true", "admin" or "8080" would blank out half a manifest. Their keys are still
 * redacted by the name rules (password:, token: …) wherever they keep their name.
 */
const minSecretLength = 6;

/** helm's own release records: large gzipped blobs that never appear in a manifest. */
const skippedTypes = new Set(['helm.sh/release.v1']);

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
      return secretValuesOf(JSON.parse(result.stdout) as SecretList);
    } catch {
      continue;
    }
  }
  return [];
}

function secretValuesOf(list: SecretList): string[] {
  const values = new Set<string>();
  const add = (value: string) => {
    const trimmed = value.trim();
    if (trimmed.length >= minSecretLength) values.add(trimmed);
  };
  for (const item of list.items ?? []) {
    if (item.type && skippedTypes.has(item.type)) continue;
    for (const encoded of Object.values(item.data ?? {})) {
      if (typeof encoded !== 'string') continue;
      add(encoded);
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      add(decoded);
      // a multi-line value (a PEM key, a config file) is printed indented line by line in YAML
      for (const line of decoded.split('\n')) add(line);
    }
  }
  // longest first, so a value that contains a shorter one is replaced whole
  return [...values].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of the given values in text. */
export function redactLiveSecretValues(text: string, values: readonly string[]): string {
  let redacted = text;
  for (const value of values) {
    if (redacted.includes(value)) redacted = redacted.split(value).join(REDACTED);
  }
  return redacted;
}

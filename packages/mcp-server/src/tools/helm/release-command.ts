import { assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../deps.ts';
import type { ToolOutput } from '../tool-definition.ts';
import { assertChartReference } from './chart-reference.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';

export interface ReleaseCommandInput {
  verb: 'install' | 'upgrade';
  releaseName: string;
  chart: string;
  namespace: string;
  version?: string;
  hasValues: boolean;
  extraFlags: string[];
}

/** argv for helm install/upgrade, validated; values always come from stdin (`--values -`). */
export function releaseCommandArgs(input: ReleaseCommandInput, deps: ToolDeps): string[] {
  assertSafeName('release_name', input.releaseName);
  assertSafeName('namespace', input.namespace);
  const chart = assertChartReference(input.chart, deps.settings.helmChartDirs);
  const args = [input.verb, input.releaseName, chart, '--namespace', input.namespace, ...input.extraFlags];
  if (input.version) {
    assertSafeArgument('version', input.version);
    args.push('--version', input.version);
  }
  if (input.hasValues) args.push('--values', '-');
  return args;
}

/** helm's own timeout plus a margin, so helm reports its timeout before the runner kills it. */
export function waitFlags(wait: boolean, timeoutSeconds: number): { flags: string[]; runnerTimeoutMs: number } {
  const flags = wait ? ['--wait', '--timeout', `${timeoutSeconds}s`] : ['--timeout', `${timeoutSeconds}s`];
  return { flags, runnerTimeoutMs: (timeoutSeconds + 30) * 1000 };
}

export interface InstallInput {
  release_name: string;
  chart: string;
  namespace: string;
  create_namespace: boolean;
  wait: boolean;
  timeout_seconds: number;
  version?: string;
  /** values YAML, passed on stdin; absent for helm_install */
  values?: string;
}

/** `helm install` as helm_install and helm_install_with_values both run it. */
export async function installRelease(input: InstallInput, deps: ToolDeps, signal: AbortSignal): Promise<ToolOutput> {
  const wait = waitFlags(input.wait, input.timeout_seconds);
  const extraFlags = [...(input.create_namespace ? ['--create-namespace'] : []), ...wait.flags];
  const hasValues = input.values !== undefined;
  const args = releaseCommandArgs(
    { verb: 'install', releaseName: input.release_name, chart: input.chart, namespace: input.namespace, version: input.version, hasValues, extraFlags },
    deps,
  );
  const outcome = await runHelm(deps, { args, ...(hasValues ? { stdin: input.values } : {}), signal, timeoutMs: wait.runnerTimeoutMs });
  if (!outcome.ok) return outcome.output;
  return helmTextOutput(outcome.stdout, deps);
}

import { assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../deps.ts';
import { assertChartReference } from './chart-reference.ts';

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

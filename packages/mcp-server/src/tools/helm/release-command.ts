import { assertSafeArgument, assertSafeName } from '../../exec/flag-guard.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import type { ToolCallResolution, ToolOutput } from '../../contract/tool-definition.ts';
import { openPinnedChart, pinChart } from './chart-cache.ts';
import { assertChartReference } from './chart-reference.ts';
import { assertChartSourceAllowed } from './chart-source-policy.ts';
import { helmTextOutput, runHelm } from './run-helm.ts';

export interface ReleaseCommandInput {
  verb: 'install' | 'upgrade';
  releaseName: string;
  /** a chart argument from prepareChart (checked reference, or the path of a verified pinned archive) */
  chart: PreparedChart;
  namespace: string;
  hasValues: boolean;
  extraFlags: string[];
}

/** What helm gets as its chart argument, after the reference and its source were checked. */
export interface PreparedChart {
  argument: string;
  /** --version to pass; none for a pinned archive (the file is the version) */
  version?: string;
  /** removes a pinned archive's private copy */
  close(): Promise<void>;
}

/**
 * The chart argument for helm: with `chart_digest`, a private copy of exactly the pinned archive (verified
 * against the digest, refused when gone or different); otherwise the checked reference, whose host must be
 * on the allow-list (chart-source-policy.ts).
 */
export async function prepareChart(deps: ToolDeps, input: { chart: string; version?: string; chart_digest?: string }, signal?: AbortSignal): Promise<PreparedChart> {
  if (input.chart_digest !== undefined) {
    assertChartReference(input.chart, deps.settings.helmChartDirs);
    if (input.version) assertSafeArgument('version', input.version);
    const opened = await openPinnedChart(deps, { digest: input.chart_digest, chart: input.chart, version: input.version }, signal);
    return { argument: opened.path, close: opened.close };
  }
  const argument = assertChartReference(input.chart, deps.settings.helmChartDirs);
  if (input.version) assertSafeArgument('version', input.version);
  await assertChartSourceAllowed(argument, deps, signal);
  return { argument, version: input.version, close: async () => {} };
}

/** argv for helm install/upgrade, validated; values always come from stdin (`--values -`). */
export function releaseCommandArgs(input: ReleaseCommandInput): string[] {
  assertSafeName('release_name', input.releaseName);
  assertSafeName('namespace', input.namespace);
  const args = [input.verb, input.releaseName, input.chart.argument, '--namespace', input.namespace, ...input.extraFlags];
  if (input.chart.version) args.push('--version', input.chart.version);
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
  chart_digest?: string;
  /** values YAML, passed on stdin; absent for helm_install */
  values?: string;
}

/** `helm install` as helm_install and helm_install_with_values both run it. */
export async function installRelease(input: InstallInput, deps: ToolDeps, signal: AbortSignal): Promise<ToolOutput> {
  assertSafeName('release_name', input.release_name);
  assertSafeName('namespace', input.namespace);
  const wait = waitFlags(input.wait, input.timeout_seconds);
  const extraFlags = [...(input.create_namespace ? ['--create-namespace'] : []), ...wait.flags];
  const hasValues = input.values !== undefined;
  const chart = await prepareChart(deps, input, signal);
  try {
    const args = releaseCommandArgs({ verb: 'install', releaseName: input.release_name, chart, namespace: input.namespace, hasValues, extraFlags });
    const outcome = await runHelm(deps, { args, ...(hasValues ? { stdin: input.values } : {}), signal, timeoutMs: wait.runnerTimeoutMs });
    if (!outcome.ok) return outcome.output;
    return helmTextOutput(outcome.stdout, deps);
  } finally {
    await chart.close();
  }
}

/**
 * The `resolve` hook of helm_install, helm_install_with_values and helm_upgrade: pins the archive helm would
 * install (exact version, sha-256) so the approved call installs exactly what the preview rendered. A call that
 * already carries chart_digest is verified and left as it is.
 */
export async function resolveChart(input: { chart: string; version?: string; chart_digest?: string }, deps: ToolDeps, signal?: AbortSignal): Promise<ToolCallResolution> {
  if (input.chart_digest !== undefined) {
    assertChartReference(input.chart, deps.settings.helmChartDirs);
    if (input.version) assertSafeArgument('version', input.version);
    const opened = await openPinnedChart(deps, { digest: input.chart_digest, chart: input.chart, version: input.version }, signal);
    await opened.close();
    if (input.version === opened.version) return { set: {}, notes: [], artifactDigest: input.chart_digest };
    // A digest with a range or no version (a hand-written call): the pinned archive decides the version.
    return { set: { version: opened.version }, notes: [`version: ${input.version ?? 'unset'} → ${opened.version} (the pinned archive)`], artifactDigest: input.chart_digest };
  }
  const pinned = await pinChart(deps, input, signal);
  const notes = [
    ...(input.version === pinned.version ? [] : [`version: ${input.version ?? 'latest'} → ${pinned.version}`]),
    `chart: ${input.chart} ${pinned.version} pinned to the archive ${pinned.digest}`,
  ];
  return { set: { version: pinned.version, chart_digest: pinned.digest }, notes, artifactDigest: pinned.digest };
}

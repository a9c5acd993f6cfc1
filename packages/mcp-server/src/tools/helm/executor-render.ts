/**
 * Issue 73 item 6: a Helm preview rendered by the cluster's executor (POST /v1/helm/render), on a cluster that enforces
 * approvals. There this server's own identity is read-only and may not read Secrets, yet every Helm preview reads the
 * release's storage Secrets (`helm get manifest`/`hooks`, `history`, `upgrade --dry-run=server`); the executor runs
 * those with its own identity and answers without any Secret value (each Secret document's values are `<redacted>`),
 * plus the digest of the unredacted manifest, which the approval binds. The chart goes as a .tgz: a pinned or local
 * archive as it is, a local chart directory through `helm package`, a repository or OCI chart through `helm pull`
 * (chart sources were checked by prepareChart). Used only when a dry-run proxy is configured for the call's cluster
 * (kube/dry-run-proxy.ts: the same executor URL and this server's own dry-run token).
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { HelmRevision, HelmStorageWrites } from '@skyflo/protocol';
import { toolError } from '../../contract/errors.ts';
import { dryRunProxyFor, type DryRunProxyTarget } from '../../kube/dry-run-proxy.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import type { ToolOutput } from '../../contract/tool-definition.ts';
import type { PreparedChart } from './release-command.ts';
import { runHelm } from './run-helm.ts';

export interface ExecutorRender {
  exists: boolean;
  /** the live release's manifest and hooks, Secret values redacted */
  liveManifest: string;
  history: Array<HelmRevision & { description?: string; chart?: string; app_version?: string }>;
  /** with a chart or to_revision: the manifest and hooks the call installs, Secret values redacted */
  manifest?: string;
  /** "sha256:<hex>" of the unredacted manifest (what the approval binds) */
  manifestDigest?: string;
  version?: number;
  storage?: HelmStorageWrites;
}

export type ExecutorRenderOutcome = { ok: true; render: ExecutorRender } | { ok: false; output: ToolOutput };

const timeoutMs = 150_000;

/** The chart as a .tgz: read, packaged or pulled into a private temp directory (removed before returning). */
export async function chartArchive(deps: ToolDeps, chart: PreparedChart, signal?: AbortSignal): Promise<{ ok: true; archive: Buffer } | { ok: false; output: ToolOutput }> {
  const info = await stat(chart.argument).catch(() => undefined);
  if (info?.isFile()) return { ok: true, archive: await readFile(chart.argument) };
  const directory = await mkdtemp(path.join(tmpdir(), 'skyflo-chart-'));
  try {
    const args = info?.isDirectory()
      ? ['package', chart.argument, '--destination', directory]
      : ['pull', chart.argument, '--destination', directory, ...(chart.version ? ['--version', chart.version] : [])];
    const made = await runHelm(deps, { args, signal });
    if (!made.ok) return made;
    const archive = (await readdir(directory)).find((name) => name.endsWith('.tgz'));
    if (!archive) return { ok: false, output: toolError(`helm ${args[0]} produced no chart archive for ${chart.argument}.`, 'check the chart reference with helm_show_values.') };
    return { ok: true, archive: await readFile(path.join(directory, archive)) };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Asks the executor to render; its refusal (or its absence) becomes a tool error saying what to do. */
export async function renderByExecutor(
  target: DryRunProxyTarget,
  request: { release: string; namespace: string; chart?: Buffer; values?: string | undefined; reuse_values?: boolean; to_revision?: number | undefined },
  signal?: AbortSignal,
): Promise<ExecutorRenderOutcome> {
  const body = {
    release: request.release,
    namespace: request.namespace,
    ...(request.chart ? { chart: { archive: request.chart.toString('base64') } } : {}),
    ...(request.values !== undefined ? { values: request.values } : {}),
    ...(request.reuse_values ? { reuse_values: true } : {}),
    ...(request.to_revision !== undefined ? { to_revision: request.to_revision } : {}),
  };
  let response: Response;
  try {
    response = await fetch(`${target.url}/v1/helm/render`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]),
    });
  } catch (error) {
    return { ok: false, output: toolError(`The cluster's executor (${target.url}) could not be reached to render the Helm preview: ${(error as Error).message}.`, "check that the executor is running; on a cluster that enforces approvals Helm previews are rendered there, this server's identity may not read release storage.") };
  }
  const text = await response.text();
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { ok: false, output: toolError(`The cluster's executor answered the Helm render with HTTP ${response.status} and no JSON.`) };
  }
  if (!response.ok) {
    const message = typeof answer['message'] === 'string' ? answer['message'] : `HTTP ${response.status}`;
    return { ok: false, output: toolError(`The cluster's executor could not render the Helm preview: ${message}`, response.status === 404 && answer['code'] === 'NOT_FOUND' ? 'list releases with helm_list_releases.' : 'fix what it names and preview again.', answer['code'] === 'NOT_FOUND' ? 'NOT_FOUND' : 'FAILED') };
  }
  const history = Array.isArray(answer['history']) ? (answer['history'] as ExecutorRender['history']) : [];
  return {
    ok: true,
    render: {
      exists: answer['exists'] === true,
      liveManifest: typeof answer['live_manifest'] === 'string' ? answer['live_manifest'] : '',
      history,
      ...(typeof answer['manifest'] === 'string' ? { manifest: answer['manifest'] } : {}),
      ...(typeof answer['manifest_digest'] === 'string' ? { manifestDigest: answer['manifest_digest'] } : {}),
      ...(typeof answer['version'] === 'number' ? { version: answer['version'] } : {}),
      ...(answer['storage'] && typeof answer['storage'] === 'object' ? { storage: answer['storage'] as HelmStorageWrites } : {}),
    },
  };
}

/**
 * The release as the cluster's executor reads it (its manifest and hooks redacted, its history), when this server's
 * cluster has one configured: there this identity may not read release storage. undefined: no executor, read it with
 * helm here. Throws the executor's refusal as an Error.
 */
export async function releaseByExecutor(deps: ToolDeps, release: string, namespace: string, signal?: AbortSignal): Promise<ExecutorRender | undefined> {
  const executor = dryRunProxyFor(deps.kubeConfig);
  if (!executor) return undefined;
  const answer = await renderByExecutor(executor, { release, namespace }, signal);
  if (!answer.ok) throw new Error(answer.output.text.split('\n')[0]);
  return answer.render;
}

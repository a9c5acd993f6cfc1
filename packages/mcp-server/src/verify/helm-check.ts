/**
 * A Helm release after install/upgrade/rollback: `deployed` (not failed or stuck pending), and the Deployments,
 * StatefulSets and DaemonSets of its manifest rolled out with healthy new pods. After an uninstall: the release is gone
 * (or kept as `uninstalled` history).
 */
import { parseAllDocuments } from 'yaml';
import type { ToolDeps } from '../deps/deps.ts';
import { runHelm } from '../tools/helm/run-helm.ts';
import { releaseByExecutor } from '../tools/helm/executor-render.ts';
import type { KubeHttp } from '../kube/create-kube-http.ts';
import { pending, type Check, type CheckState } from './check-types.ts';
import { createWorkloadCheck, workloadKindOf } from './workload-check.ts';
import type { WatchSession } from './watch-session.ts';

/** One read of a release; the engine's request allows the verification its deadline plus 30 s, not helm's 120 s default. */
const helmReadTimeoutMs = 20_000;

export interface HelmRelease {
  status: string;
  revision: number;
  description?: string;
  manifest?: string;
}

/** `helm status -o json` of a release; undefined when helm says it does not exist. */
export async function readRelease(deps: ToolDeps, release: string, namespace: string, helmArgs: string[], signal: AbortSignal): Promise<HelmRelease | undefined> {
  // issue 73 item 6: on a cluster that enforces approvals this identity may not read the release's storage Secrets;
  // the executor reads them as its own identity (its answer holds no Secret value)
  const byExecutor = await releaseByExecutor(deps, release, namespace, signal);
  if (byExecutor) {
    const last = [...byExecutor.history].sort((a, b) => a.revision - b.revision).at(-1);
    if (!byExecutor.exists || !last) return undefined;
    return { status: last.status, revision: last.revision, ...(last.description ? { description: last.description } : {}), manifest: byExecutor.liveManifest };
  }
  const outcome = await runHelm(deps, { args: ['status', release, '--namespace', namespace, '--output', 'json', ...helmArgs], signal, timeoutMs: helmReadTimeoutMs });
  if (!outcome.ok) {
    if (/not found/i.test(outcome.output.text)) return undefined;
    throw new Error(outcome.output.text.split('\n')[0]);
  }
  const parsed = JSON.parse(outcome.stdout || '{}') as { info?: { status?: string; description?: string }; version?: number; manifest?: string };
  return { status: parsed.info?.status ?? 'unknown', revision: parsed.version ?? 0, description: parsed.info?.description, manifest: parsed.manifest };
}

export function createHelmReleaseCheck(options: { deps: ToolDeps; http: KubeHttp; release: string; namespace: string; helmArgs: string[]; uninstalled?: boolean; changedAt: number }): Check {
  const label = `helm release ${options.namespace}/${options.release}`;
  let release: HelmRelease | undefined;
  let workloads: Check[] = [];
  const releaseLine = () => (release ? `revision ${release.revision}: ${release.status}${release.description ? ` (${release.description})` : ''}` : 'not found');

  function evaluate(): CheckState {
    const read = { read: `helm status ${options.release} -n ${options.namespace}`, text: releaseLine() };
    if (options.uninstalled) {
      if (!release || release.status === 'uninstalled') return { status: 'ok', summary: `${label} is uninstalled`, evidence: [read] };
      return { status: 'regressed', summary: `${label} is still ${release.status}`, evidence: [read] };
    }
    if (!release) return { status: 'regressed', summary: `${label} does not exist`, evidence: [read] };
    if (release.status === 'failed') return { status: 'regressed', summary: `${label} revision ${release.revision} failed${release.description ? `: ${release.description}` : ''}`, evidence: [read] };
    if (release.status !== 'deployed') return pending(`${label} is ${release.status}`, [read]);
    const states = workloads.map((check) => check.evaluate());
    const bad = states.find((state) => state.status === 'regressed' || state.status === 'reverted');
    if (bad) return { ...bad, evidence: [read, ...bad.evidence] };
    const waiting = states.find((state) => state.status === 'pending');
    if (waiting) return pending(waiting.summary, [read, ...waiting.evidence]);
    return { status: 'ok', summary: `${label} revision ${release.revision} deployed${workloads.length ? `, ${workloads.length} workload(s) ready` : ''}`, evidence: [read, ...states.flatMap((state) => state.evidence)] };
  }

  return {
    label,
    async start(session: WatchSession, signal) {
      release = await readRelease(options.deps, options.release, options.namespace, options.helmArgs, signal);
      if (options.uninstalled || !release?.manifest) return;
      const documents = parseAllDocuments(release.manifest).map((document) => document.toJSON() as Record<string, any> | null);
      workloads = documents.flatMap((document) => {
        const kind = workloadKindOf(document?.kind);
        if (!kind || !document?.metadata?.name) return [];
        return [createWorkloadCheck({ http: options.http, kind, namespace: document.metadata.namespace ?? options.namespace, name: document.metadata.name, changedAt: options.changedAt })];
      });
      await Promise.all(workloads.map((check) => check.start(session, signal)));
    },
    evaluate,
    atDeadline() {
      const state = evaluate();
      if (state.status !== 'pending') return state;
      for (const check of workloads) {
        const late = check.atDeadline();
        if (late.status === 'regressed') return late;
      }
      return state;
    },
    deadlineSeconds() {
      const limits = workloads.map((check) => check.deadlineSeconds?.()).filter((value): value is number => value !== undefined);
      return limits.length ? Math.max(...limits) : undefined;
    },
  };
}

/**
 * Before-states and inverses of the Helm, Argo Rollouts and Jenkins tools: the release revision (helm rollback to it),
 * the rollout revision (argo_undo to it), and why a build or an uninstall without history cannot be undone.
 */
import { assertSafeName } from '../exec/flag-guard.ts';
import { runHelm } from '../tools/helm/run-helm.ts';
import { releaseByExecutor } from '../tools/helm/executor-render.ts';
import { loadRollout, revisionOf } from '../tools/argo/rollout-api.ts';
import { notUndoable, type Baseline } from './baseline-k8s.ts';
import type { ContextDeps } from './cluster-context.ts';

type Args = Record<string, any>;

interface HistoryEntry {
  revision: number;
  status?: string;
  chart?: string;
  app_version?: string;
}

const withContext = (args: Args, inverse: Args): Args => (typeof args.context === 'string' && args.context ? { ...inverse, context: args.context } : inverse);

/** The release's history, oldest first; undefined when it does not exist (20 s at most: the engine waits 30 s for a baseline). */
async function history(context: ContextDeps, release: string, namespace: string, signal: AbortSignal): Promise<HistoryEntry[] | undefined> {
  // issue 73 item 6: on a cluster that enforces approvals the executor reads the release storage (this identity may not)
  const byExecutor = await releaseByExecutor(context.deps, release, namespace, signal);
  if (byExecutor) return byExecutor.exists ? [...byExecutor.history].sort((a, b) => a.revision - b.revision) : undefined;
  const outcome = await runHelm(context.deps, { args: ['history', release, '--namespace', namespace, '--max', '256', '--output', 'json', ...context.helmArgs], signal, timeoutMs: 20_000 });
  if (!outcome.ok) {
    if (/not found/i.test(outcome.output.text)) return undefined;
    throw new Error(`could not read the history of release ${namespace}/${release}: ${outcome.output.text.split('\n')[0]}`);
  }
  return (JSON.parse(outcome.stdout || '[]') as HistoryEntry[]).sort((a, b) => a.revision - b.revision);
}

export async function baselineRelease(tool: string, args: Args, context: ContextDeps, signal: AbortSignal): Promise<Baseline | undefined> {
  if (tool.startsWith('helm_') && !tool.startsWith('helm_repo_')) {
    assertSafeName('release_name', args.release_name);
    assertSafeName('namespace', args.namespace);
    const release = `${args.namespace}/${args.release_name}`;
    const entries = await history(context, args.release_name, args.namespace, signal);
    const current = entries?.at(-1);
    const before = { release: args.release_name, namespace: args.namespace, revision: current?.revision ?? null, status: current?.status ?? null, chart: current?.chart ?? null };
    const uninstall = { tool: 'helm_uninstall', args: withContext(args, { release_name: args.release_name, namespace: args.namespace }), summary: `helm uninstall ${args.release_name} (namespace ${args.namespace}), which the call installs` };
    const rollback = (revision: number) => ({ tool: 'helm_rollback', args: withContext(args, { release_name: args.release_name, namespace: args.namespace, revision }), summary: `helm rollback ${args.release_name} to revision ${revision}` });
    switch (tool) {
      case 'helm_install':
      case 'helm_install_with_values':
        if (current && current.status !== 'uninstalled') return notUndoable(`release ${release} already exists (revision ${current.revision}); installing it again fails`, before);
        return { undoable: true, before, inverse: uninstall };
      case 'helm_upgrade':
      case 'helm_rollback':
        if (!current || current.status === 'uninstalled') {
          if (tool === 'helm_upgrade' && args.install !== false) return { undoable: true, before, inverse: uninstall };
          return notUndoable(`release ${release} is not installed`, before);
        }
        return { undoable: true, before, inverse: rollback(current.revision) };
      case 'helm_uninstall':
        if (!current) return notUndoable(`release ${release} does not exist`, before);
        if (args.keep_history) return { undoable: true, before, inverse: rollback(current.revision) };
        return notUndoable(`helm uninstall without keep_history deletes the release's history, so there is no revision to roll back to; re-install it (chart ${current.chart ?? 'unknown'}) with helm_install, or uninstall with keep_history=true to keep it undoable`, before);
      default:
        return undefined;
    }
  }
  if (tool === 'helm_repo_add') return { undoable: true, inverse: { tool: 'helm_repo_remove', args: { name: args.name }, summary: `remove the chart repository ${args.name}` } };
  if (tool === 'helm_repo_remove') return notUndoable('the repository URL is not recorded; add it again with helm_repo_add');
  if (tool.startsWith('argo_')) return baselineArgo(tool, args, context, signal);
  if (tool.startsWith('jenkins_')) return notUndoable('a Jenkins build cannot be undone: its effects are whatever the job did; run a job that reverses them if there is one');
  return undefined;
}

async function baselineArgo(tool: string, args: Args, context: ContextDeps, signal: AbortSignal): Promise<Baseline | undefined> {
  const label = `rollout ${args.namespace}/${args.name}`;
  switch (tool) {
    case 'argo_set_image':
    case 'argo_undo':
    case 'argo_promote': {
      const { rollout, replicaSets } = await loadRollout(context.deps, { name: args.name, namespace: args.namespace }, signal);
      const current = revisionOf(rollout) || Math.max(0, ...replicaSets.map(revisionOf));
      const stable = replicaSets.find((replicaSet) => replicaSet.metadata.labels?.['rollouts-pod-template-hash'] === rollout.status?.stableRS);
      const images = Object.fromEntries(((rollout.spec?.template?.spec?.containers ?? []) as Array<{ name: string; image: string }>).map((container) => [container.name, container.image]));
      const before = { kind: 'Rollout', namespace: args.namespace, name: args.name, revision: current, stable_revision: stable ? revisionOf(stable) : null, images };
      // A promotion moves the canary forward; undoing it means going back to what was stable before it.
      const to = tool === 'argo_promote' ? (stable ? revisionOf(stable) : 0) : current;
      if (!to) return notUndoable(`${label} has no recorded ${tool === 'argo_promote' ? 'stable ' : ''}revision to go back to`, before);
      if (tool === 'argo_promote' && to === current) return notUndoable(`${label} is already fully promoted; the promotion changes nothing`, before);
      return { undoable: true, before, inverse: { tool: 'argo_undo', args: withContext(args, { name: args.name, namespace: args.namespace, to_revision: to }), summary: `roll ${label} back to revision ${to}` } };
    }
    case 'argo_pause_rollout':
      return { undoable: true, inverse: { tool: 'argo_resume_rollout', args: withContext(args, { name: args.name, namespace: args.namespace }), summary: `resume ${label}` } };
    case 'argo_resume_rollout':
      return { undoable: true, inverse: { tool: 'argo_pause_rollout', args: withContext(args, { name: args.name, namespace: args.namespace }), summary: `pause ${label}` } };
    case 'argo_rollout_restart':
      return notUndoable('a restart only replaces the pods with new ones of the same revision; there is no earlier state to put back');
    case 'argo_abort_rollout':
      return notUndoable('an abort sends traffic back to the stable version; retry the update with argo_set_image or argo_promote to go forward again');
    default:
      return undefined;
  }
}

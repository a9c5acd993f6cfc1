/** Which storage Secrets a release call writes: the plan itself lives in @skyflo/protocol (the executor computes it too). */
import type { HelmRevision } from '@skyflo/protocol';
import type { ToolDeps } from '../../deps/deps.ts';
import { runHelm } from './run-helm.ts';

export { helmDefaultMaxHistory, helmStorageWrites, type HelmRevision, type HelmStorageWrites } from '@skyflo/protocol';

/** The release's revisions and their status (`helm history`, which reads the same storage Secrets). */
export async function readHelmHistory(deps: ToolDeps, release: string, namespace: string, signal?: AbortSignal): Promise<HelmRevision[] | undefined> {
  const history = await runHelm(deps, { args: ['history', release, '--namespace', namespace, '--max', '256', '--output', 'json'], signal });
  if (!history.ok) return undefined;
  try {
    const entries = JSON.parse(history.stdout || '[]') as Array<{ revision?: unknown; status?: unknown }>;
    return entries.filter((entry) => typeof entry.revision === 'number').map((entry) => ({ revision: entry.revision as number, status: String(entry.status ?? '') }));
  } catch {
    return undefined;
  }
}

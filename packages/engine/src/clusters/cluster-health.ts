/**
 * The clusters' part of GET /health: `degraded` naming each configured cluster that is unreachable. Cheap: it reads
 * the directory's briefly cached listing, and waits at most `waitMs` for a fresh one (a slow cluster must not hang
 * the health probe), answering with the last known state meanwhile.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import type { ClusterDirectory } from './cluster-directory.ts';

export interface ClusterHealth {
  ok: boolean;
  /** "ok", or "error: beta unreachable (connect ECONNREFUSED …)" */
  detail: string;
}

export function describeClusterHealth(clusters: readonly ClusterStatus[]): ClusterHealth {
  const failing = clusters.filter((cluster) => !cluster.reachable);
  if (failing.length === 0) return { ok: true, detail: 'ok' };
  return { ok: false, detail: `error: ${failing.map((cluster) => `${cluster.name} unreachable${cluster.error ? ` (${cluster.error})` : ''}`).join('; ')}` };
}

export function createClusterHealth(deps: { directory: ClusterDirectory; waitMs?: number }) {
  const waitMs = deps.waitMs ?? 2_000;
  let last: ClusterHealth | undefined;
  return async function check(): Promise<ClusterHealth | undefined> {
    const listing = deps.directory.list().then(
      (clusters) => (last = clusters.length === 0 ? undefined : describeClusterHealth(clusters)),
      (error: unknown) => (last = { ok: false, detail: `error: the clusters could not be listed (${error instanceof Error ? error.message : String(error)})` }),
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
      timer.unref();
    });
    const outcome = await Promise.race([listing, waited]);
    clearTimeout(timer);
    return outcome === 'late' ? last : outcome;
  };
}

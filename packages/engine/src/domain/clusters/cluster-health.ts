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
  /**
   * The failure is this replica's own (credentials the API server rejects: a token file another replica has fresh),
   * so another replica would serve better — /readyz then takes it out. An unreachable cluster is not: every replica
   * sees it down, and taking them all out of the Service would cut people off while they investigate that outage.
   */
  replicaFault?: boolean;
}

export function describeClusterHealth(clusters: readonly ClusterStatus[]): ClusterHealth {
  const failing = clusters.filter((cluster) => !cluster.reachable);
  if (failing.length === 0) return { ok: true, detail: 'ok' };
  // the cause as the probe found it: unreachable, or reachable with credentials it rejects (issue 75)
  const why = (cluster: ClusterStatus) => (cluster.credentials_rejected ? 'credentials rejected' : 'unreachable');
  return {
    ok: false,
    detail: `error: ${failing.map((cluster) => `${cluster.name} ${why(cluster)}${cluster.error ? ` (${cluster.error})` : ''}`).join('; ')}`,
    ...(failing.some((cluster) => cluster.credentials_rejected) ? { replicaFault: true } : {}),
  };
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

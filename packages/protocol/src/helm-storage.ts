/**
 * Which of a release's storage Secrets (`sh.helm.release.v1.<release>.v<revision>`) a helm upgrade/install or rollback
 * writes (issue 34; shared by the MCP server's preview and the executor's own render, issue 73): the approval's credential must cover exactly these, or helm fails half-way (the API server refuses
 * its bookkeeping after it changed the objects), and no other revision's or release's. Reproduces helm v3's storage
 * rules (pkg/action/upgrade.go, rollback.go, pkg/storage/storage.go):
 * - the new revision `last + 1` is created and then updated (status pending → deployed/failed);
 * - an upgrade supersedes the release it upgrades: the latest `deployed` revision, or the last one when none is
 *   deployed (a failed or superseded last release);
 * - a rollback supersedes every `deployed` revision, and on failure marks the last one superseded;
 * - with `--history-max` (the CLI's default 10, HELM_MAX_HISTORY), creating the new revision first deletes the oldest
 *   revisions (never the latest deployed one) until `max - 1` remain.
 */
export interface HelmRevision {
  revision: number;
  status: string;
}

export interface HelmStorageWrites {
  create: number;
  update: number[];
  delete: number[];
}

/** helm's default `--history-max` (settings.MaxHistory); our helm calls do not pass the flag. */
export const helmDefaultMaxHistory = 10;

export function helmStorageWrites(history: HelmRevision[], operation: 'upgrade' | 'rollback', maxHistory = helmDefaultMaxHistory): HelmStorageWrites {
  const sorted = [...history].sort((a, b) => a.revision - b.revision);
  const last = sorted.at(-1);
  if (!last) return { create: 1, update: [], delete: [] };
  const deployed = sorted.filter((entry) => entry.status === 'deployed');
  const latestDeployed = deployed.at(-1);
  const update = new Set<number>();
  if (operation === 'rollback') {
    for (const entry of deployed) update.add(entry.revision);
    update.add(last.revision);
  } else {
    update.add((latestDeployed ?? last).revision);
  }
  const remove: number[] = [];
  if (maxHistory > 0 && sorted.length > maxHistory - 1) {
    for (const entry of sorted) {
      if (sorted.length - remove.length <= maxHistory - 1) break;
      if (entry.revision !== latestDeployed?.revision) remove.push(entry.revision);
    }
  }
  const removed = new Set(remove);
  return { create: last.revision + 1, update: [...update].filter((revision) => !removed.has(revision)).sort((a, b) => b - a), delete: remove };
}

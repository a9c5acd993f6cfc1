/**
 * Runs that died with their engine process, for the composition root (create-engine.ts): their calls are closed
 * (tool-calls/execute/reconcile-orphaned-approvals.ts) before the engine listens, and, on a shared database, again
 * on a beat as the leases of other processes' runs lapse.
 */
import type { ToolGateway } from '../platform/ports/tool-gateway.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { reconcileOrphanedApprovals } from '../domain/tool-calls/execute/reconcile-orphaned-approvals.ts';

export interface OrphanedRunsDeps {
  storage: PlatformStorage;
  /** reads what the cluster shows now for a call whose outcome is unknown */
  tools: ToolGateway;
  /** PGlite: this process holds the data dir's lock, so every run still marked running is dead */
  ownsWholeDatabase: boolean;
  /** false when a test supplies the storage: no beat then */
  ownsStorage: boolean;
  /** RUN_LEASE_MS: the beat, at least once a second */
  runLeaseMs: number;
  /** queued alert investigations (the team features): taken up on the same beat */
  alerts: { resume(): Promise<unknown> };
  logger: { error(object: unknown, message?: string): void };
}

export function createOrphanedRuns(deps: OrphanedRunsDeps) {
  const reconcile = (everyRunIsDead: boolean) => reconcileOrphanedApprovals({ storage: deps.storage, tools: deps.tools, logger: deps.logger, everyRunIsDead });
  let beat: NodeJS.Timeout | undefined;
  return {
    /**
     * Calls whose run died with the previous process are closed before the engine listens, so a conversation opened
     * right after a restart never shows one "executing" (PGlite: every run still marked running is dead; Postgres:
     * those whose lease lapsed, and again on the beat as leases lapse).
     */
    reconcileNow: () => reconcile(deps.ownsWholeDatabase),
    /**
     * Runs of other processes (Postgres) whose lease lapses after this start are closed as they lapse. On the same
     * beat, an engine with a free slot takes up queued alert investigations (their engine may have died).
     */
    startBeat() {
      if (deps.ownsWholeDatabase || !deps.ownsStorage) return;
      beat = setInterval(() => {
        void reconcile(false);
        void deps.alerts.resume();
      }, Math.max(1_000, deps.runLeaseMs));
      beat.unref();
    },
    stop: () => clearInterval(beat),
  };
}

/** Agent runs: the one-run-per-conversation guard and run lookups. */

/** One agent run (a chat turn, or the resumption after an approval decision). */
export interface RunRecord {
  runId: string;
  conversationId: string;
  userId?: string;
  status: 'running' | 'finished';
  startedAt: Date;
  finishedAt?: Date;
  /** a running run whose lease has passed belongs to a process that died; it no longer blocks its conversation */
  leaseUntil: Date;
}

/** The record of runs that every engine process shares: the one-run-per-conversation guard and run lookups. */
export interface RunStore {
  /**
   * Claims the conversation for a new running run, atomically across processes. When another run holds it
   * (and its lease is live), nothing is written and that run is returned instead. A run whose lease lapsed (its
   * process died) is ended by the claim and named in `endedLapsedRun`: the cards it left under way are then the
   * caller's to settle, since the reconciler never sees a run it did not end itself. It is named whatever the claim's
   * outcome: another claim may take the conversation it freed, or the user's limit fill, before this one inserts.
   */
  begin(input: { runId: string; conversationId: string; leaseMs: number; userId?: string; maxRunningPerUser?: number }): Promise<
    ({ ok: true } | { ok: false; reason: 'conversation_busy'; active: RunRecord } | { ok: false; reason: 'user_limit'; running: number }) & { endedLapsedRun?: string }
  >;
  /** Extends a running run's lease; false when it is no longer running. */
  renew(runId: string, leaseMs: number): Promise<boolean>;
  /** Marks the run finished, which frees its conversation for the next run. */
  finish(runId: string): Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
}

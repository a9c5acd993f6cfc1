/**
 * Issue 76 item 7: the emergency stop "makes the executor refuse every mint within one second". The executor of a
 * cluster that enforces approvals holds the cluster's own switch (the SkyfloAI annotation); this relays the engine's
 * switch to it: at once when an admin engages or lifts it here, and on a beat from every replica (an executor restarted
 * meanwhile, or a replica that missed the moment, catches up within it). What is relayed is the database's state —
 * one that cannot be read relays nothing (the executor keeps what it was told; the engine's gate refuses meanwhile).
 */
import type { ClusterEnforcement } from '../clusters/enforcement/cluster-enforcement.ts';
import type { EmergencyStop } from './emergency-stop.ts';

export interface EmergencyStopRelay {
  /** tells every executor the stop as the database holds it now */
  announce(): Promise<void>;
  close(): void;
}

export function relayEmergencyStop(deps: {
  stop: Pick<EmergencyStop, 'read'>;
  executors: Pick<ClusterEnforcement, 'announceEmergencyStop'>;
  intervalMs?: number;
  logger?: { warn(object: unknown, message?: string): void };
}): EmergencyStopRelay {
  async function announce(): Promise<void> {
    let state: Awaited<ReturnType<EmergencyStop['read']>>;
    try {
      state = await deps.stop.read();
    } catch {
      return;
    }
    const failed = await deps.executors.announceEmergencyStop(state ? { active: true, reason: state.reason, by: state.by.email, since: state.since.toISOString() } : { active: false });
    if (failed.length > 0 && state) deps.logger?.warn({ failed }, 'could not tell an executor that the emergency stop is on (its next beat tries again; the engine refuses every change meanwhile)');
  }
  const beat = setInterval(() => void announce(), deps.intervalMs ?? 5_000);
  beat.unref?.();
  return { announce, close: () => clearInterval(beat) };
}

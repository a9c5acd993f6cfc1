/**
 * Issue 76: the emergency stop as the cluster holds it: the annotation `skyflo.ai/emergency-stop` (its value the
 * reason) on a SkyfloAI object in the executor's namespace — `kubectl annotate skyfloai skyflo skyflo.ai/emergency-stop="incident 42"`.
 * While it is there the executor mints no credential, whatever the engine says, so a stop holds even against a
 * compromised engine (which cannot write SkyfloAI objects). Read on every mint: it takes effect with the next one.
 *
 * The engine's own switch (POST /api/v1/emergency-stop) reaches it too: the engine announces it here
 * (PUT /v1/emergency-stop, the engine's token only) the moment it is engaged and again every few seconds (an executor
 * restarted meanwhile learns it within that beat). Accepting it costs no safety — it can only refuse more — and the
 * engine's lift ends only the engine's stop: an annotation stays until someone removes it in the cluster.
 *
 * So that `kubectl get sky` shows a stop engaged in Skyflo too (column Stop-In-Skyflo), the executor writes what the
 * engine announced into each SkyfloAI's `status.emergencyStop` when it changes (the operator keeps the field when it
 * writes the rest of the status). It is what the executor holds, shown; never read back as the switch itself.
 */
import type { KubeObject } from '@skyflo/protocol';
import { isNotFound, type KubeRest } from '../kube/kube-rest.ts';
import { ExecutorError, type ExecutorLogger } from './executor-options.ts';

export const emergencyStopAnnotation = 'skyflo.ai/emergency-stop';

export interface EmergencyStopCheck {
  /** throws EMERGENCY_STOP while the annotation is set or the engine's stop is on (and refuses when it cannot be read) */
  check(): Promise<void>;
  /** the engine's stop as it announced it last: on (who, why, since) or off */
  fromEngine(state: EngineStop | undefined): void;
}

/** The engine's emergency stop as announced (PUT /v1/emergency-stop). */
export interface EngineStop {
  reason: string;
  by: string;
  since: string;
}

/** `status.emergencyStop` of a SkyfloAI: the stop engaged in Skyflo as the executor last heard it (absent: none). */
const stopStatusOf = (state: EngineStop | undefined) => (state ? { by: state.by, since: state.since, reason: state.reason, summary: `by ${state.by} since ${state.since}${state.reason ? `: ${state.reason}` : ''}` } : undefined);

export function createEmergencyStopCheck(kube: Pick<KubeRest, 'list' | 'replaceStatus'>, namespace: string, logger?: Pick<ExecutorLogger, 'warn'>): EmergencyStopCheck {
  let engineStop: EngineStop | undefined;
  /** what status.emergencyStop says on the SkyfloAI objects as last written (null: not written since this start) */
  let shown: string | null = null;
  let showing: Promise<void> = Promise.resolve();

  /** Writes the engine's stop into each SkyfloAI's status when it differs; a failure is retried with the next announcement. */
  async function show(state: EngineStop | undefined): Promise<void> {
    const wanted = stopStatusOf(state);
    const key = JSON.stringify(wanted ?? null);
    if (key === shown) return;
    try {
      const objects = await kube.list<KubeObject>({ apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', namespace });
      for (const object of objects) {
        const status = { ...((object.status ?? {}) as Record<string, unknown>) };
        if (JSON.stringify(status['emergencyStop'] ?? null) === key) continue;
        if (wanted) status['emergencyStop'] = wanted;
        else delete status['emergencyStop'];
        await kube.replaceStatus({ ...object, status });
      }
      shown = key;
    } catch (error) {
      // no SkyfloAI kind (an executor without the operator) shows nothing; anything else is tried again next time
      if (isNotFound(error)) shown = key;
      else logger?.warn({ reason: (error as Error).message }, "could not show the engine's emergency stop on the SkyfloAI status");
    }
  }

  return {
    fromEngine(state) {
      engineStop = state;
      // one write at a time, in the order announced (the engine re-announces every few seconds from each replica)
      showing = showing.then(() => show(state));
    },
    async check() {
      if (engineStop) {
        throw new ExecutorError('EMERGENCY_STOP', `the emergency stop is on (engaged in Skyflo by ${engineStop.by} at ${engineStop.since}${engineStop.reason ? `: ${engineStop.reason}` : ''}); nothing is minted until an admin lifts it`);
      }
      let objects: KubeObject[];
      try {
        objects = await kube.list<KubeObject>({ apiVersion: 'skyflo.ai/v1', kind: 'SkyfloAI', namespace });
      } catch (error) {
        // no SkyfloAI kind installed (the executor without the operator): there is no switch to read
        if (isNotFound(error)) return;
        throw new ExecutorError('EMERGENCY_STOP', `the emergency stop could not be read (SkyfloAI objects in ${namespace}: ${(error as Error).message}); nothing is minted until it can`);
      }
      const stopped = objects.find((object) => typeof object.metadata?.annotations?.[emergencyStopAnnotation] === 'string');
      if (!stopped) return;
      const reason = stopped.metadata!.annotations![emergencyStopAnnotation]!;
      throw new ExecutorError('EMERGENCY_STOP', `the emergency stop is on (SkyfloAI ${namespace}/${stopped.metadata?.name}, annotation ${emergencyStopAnnotation}${reason ? `: ${reason}` : ''}); nothing is minted until it is removed`);
    },
  };
}

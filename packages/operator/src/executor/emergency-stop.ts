/**
 * Issue 76: the emergency stop as the cluster holds it: the annotation `skyflo.ai/emergency-stop` (its value the
 * reason) on a SkyfloAI object in the executor's namespace — `kubectl annotate skyfloai skyflo skyflo.ai/emergency-stop="incident 42"`.
 * While it is there the executor mints no credential, whatever the engine says, so a stop holds even against a
 * compromised engine (which cannot write SkyfloAI objects). Read on every mint: it takes effect with the next one.
 */
import type { KubeObject } from '@skyflo/protocol';
import { isNotFound, type KubeRest } from '../kube/kube-rest.ts';
import { ExecutorError } from './executor-options.ts';

export const emergencyStopAnnotation = 'skyflo.ai/emergency-stop';

export interface EmergencyStopCheck {
  /** throws EMERGENCY_STOP while the annotation is set (and refuses when it cannot be read) */
  check(): Promise<void>;
}

export function createEmergencyStopCheck(kube: Pick<KubeRest, 'list'>, namespace: string): EmergencyStopCheck {
  return {
    async check() {
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

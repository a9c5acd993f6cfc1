import type { KubeObject } from '../cluster-types.ts';
import { memoryBytes } from './quantity.ts';

export type FaultKind = 'crash' | 'imagepull' | 'oom' | 'unready';

export const faultKinds: readonly FaultKind[] = ['crash', 'imagepull', 'oom', 'unready'];

/** Pod annotation that injects a fault into every container of the pod (or `container=fault,…`). */
export const faultAnnotation = 'sim.skyflo.ai/fault';

/**
 * A scenario-level fault: pods in `namespace` whose labels include `selector` get `fault` while every
 * variable in `env` has the given value (so fixing the env var fixes the pod, as it would for real).
 */
export interface FaultRule {
  fault: FaultKind;
  namespace?: string;
  selector?: Record<string, string>;
  container?: string;
  env?: Record<string, string>;
  /** only while the container runs exactly this image (so `kubectl set image` fixes it) */
  image?: string;
  /** crash output printed before the container exits, replacing the generated error */
  logs?: string[];
}

export interface ContainerFault {
  kind: FaultKind;
  logs?: string[];
}

export interface FaultRules {
  add(rule: FaultRule): void;
  list(): FaultRule[];
  /** The fault a container starts with, or undefined for a healthy container. */
  faultFor(pod: KubeObject, container: any): ContainerFault | undefined;
}

function envValue(container: any, name: string): string | undefined {
  return (container.env ?? []).find((variable: any) => variable.name === name)?.value;
}

/**
 * Order matters: an image that cannot be pulled never runs, so pull faults win over run-time faults.
 * Conventions (documented in the testkit README): image names containing `doesnotexist`, the tag
 * `:nonexistent` or the registry `invalid.registry` fail to pull; `crash` or env SIM_CRASH=1 exits 1;
 * `oom` or a memory limit below env SIM_MEMORY_MB is OOMKilled; `unready` or SIM_UNREADY=1 never gets Ready.
 */
export function faultFromImageAndEnv(container: any): FaultKind | undefined {
  const image = String(container.image ?? '');
  if (/doesnotexist/i.test(image) || /:nonexistent$/.test(image) || image.startsWith('invalid.registry/')) return 'imagepull';
  const memoryNeededMb = Number(envValue(container, 'SIM_MEMORY_MB'));
  const limit = memoryBytes(container.resources?.limits?.memory);
  if (/oom/i.test(image) || (memoryNeededMb > 0 && limit > 0 && limit < memoryNeededMb * 2 ** 20)) return 'oom';
  if (/crash/i.test(image) || envValue(container, 'SIM_CRASH') === '1') return 'crash';
  if (/unready/i.test(image) || envValue(container, 'SIM_UNREADY') === '1') return 'unready';
  return undefined;
}

function faultFromAnnotation(pod: KubeObject, containerName: string): FaultKind | undefined {
  const value = pod.metadata.annotations?.[faultAnnotation];
  if (!value) return undefined;
  for (const part of value.split(',').map((item) => item.trim())) {
    const [left, right] = part.includes('=') ? part.split('=') : [undefined, part];
    if (left !== undefined && left !== containerName) continue;
    if ((faultKinds as readonly string[]).includes(right)) return right as FaultKind;
  }
  return undefined;
}

function ruleMatches(rule: FaultRule, pod: KubeObject, container: any): boolean {
  if (rule.namespace && rule.namespace !== pod.metadata.namespace) return false;
  if (rule.container && rule.container !== container.name) return false;
  if (rule.image && rule.image !== container.image) return false;
  const labels = pod.metadata.labels ?? {};
  if (!Object.entries(rule.selector ?? {}).every(([key, value]) => labels[key] === value)) return false;
  return Object.entries(rule.env ?? {}).every(([name, value]) => envValue(container, name) === value);
}

export function createFaultRules(): FaultRules {
  const rules: FaultRule[] = [];
  return {
    add(rule) {
      rules.push(rule);
    },
    list() {
      return [...rules];
    },
    faultFor(pod, container) {
      const fromImage = faultFromImageAndEnv(container);
      if (fromImage === 'imagepull') return { kind: fromImage };
      const annotated = faultFromAnnotation(pod, container.name);
      if (annotated) return { kind: annotated };
      const rule = rules.find((candidate) => ruleMatches(candidate, pod, container));
      if (rule) return { kind: rule.fault, logs: rule.logs };
      if (fromImage === undefined) return undefined;
      return fromImage ? { kind: fromImage } : undefined;
    },
  };
}

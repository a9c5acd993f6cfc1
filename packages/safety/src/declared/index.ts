/**
 * @skyflo/safety/declared: what a SkyfloPolicy or SkyfloFreeze object (deploy/helm/skyflo/crds/) declares, read with
 * the API's own schemas (policyInputSchema, freezeInputSchema), so one object means the same to the engine — which
 * keeps it as a managed policy or freeze (packages/engine/src/app/declared/) — and to the executor, which judges it again
 * at mint (packages/operator/src/executor/policy-check.ts). The same shape is used for the files of POLICIES_DIR.
 */
import { freezeInputSchema, policyInputSchema, skyfloFreezeBreakGlassSchema, type KubeObject, type PolicyInput } from '@skyflo/protocol';
import { isTimeZone, windowProblem, type Freeze } from '../freezes/index.ts';
import type { EnabledPolicy } from '../policies/index.ts';

export { clusterKey, fileKey, managedRefusal } from './managed-by.ts';

/**
 * Whether a person is among the people a cluster object names (a SkyfloFreeze's break_glass.approvers, a SkyfloAI's
 * role members): each entry a Skyflo user id, or an email matched without case. The engine (before an admin breaks
 * glass) and the executor (on the signing key's owner) ask the same question.
 */
export const isNamedAmong = (names: readonly string[], person: { id: string; email?: string | undefined }): boolean =>
  names.some((name) => name === person.id || (person.email !== undefined && name.toLowerCase() === person.email.toLowerCase()));

export const skyfloPolicyKind = 'SkyfloPolicy';
export const skyfloFreezeKind = 'SkyfloFreeze';

type Effect = 'deny' | 'warn' | 'require_approvers' | 'require_passkey' | 'require_role';

/** The spec of a SkyfloPolicy: the API's policy with its effect's parameter beside it (a CRD schema has no unions). */
interface PolicySpec {
  expression?: unknown;
  effect?: Effect;
  approvers?: unknown;
  role?: unknown;
  message?: unknown;
  enabled?: unknown;
}

const nameOf = (object: KubeObject) => object.metadata?.name ?? '(unnamed)';

function effectOf(spec: PolicySpec): unknown {
  if (spec.effect === 'require_approvers') return { require_approvers: spec.approvers };
  if (spec.effect === 'require_role') return { require_role: spec.role };
  return spec.effect;
}

const problemOf = (error: { issues: Array<{ path: PropertyKey[]; message: string }> }) => {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || 'spec'}: ${issue?.message}`;
};

/** A SkyfloPolicy as the API would take it (POST /policies), or the reason it cannot be used. */
export function policyInputFromObject(object: KubeObject): { input: PolicyInput } | { problem: string } {
  const spec = ((object as { spec?: PolicySpec }).spec ?? {}) as PolicySpec;
  const parsed = policyInputSchema.safeParse({ name: nameOf(object), expression: spec.expression, effect: effectOf(spec), message: spec.message ?? '', enabled: spec.enabled ?? true });
  return parsed.success ? { input: parsed.data } : { problem: problemOf(parsed.error) };
}

/** A SkyfloPolicy as the evaluator takes it, or the reason it cannot be used. */
export function policyFromObject(object: KubeObject): { policy: EnabledPolicy; enabled: boolean } | { problem: string } {
  const read = policyInputFromObject(object);
  if ('problem' in read) return read;
  const { name, expression, effect, message, enabled } = read.input;
  // the object's generation plays the engine's version: a verdict names what matched
  return { policy: { name, version: object.metadata?.generation ?? 1, expression, effect, message }, enabled };
}

/**
 * A SkyfloFreeze as the API would keep it (POST /freezes, with its time zone and window checked), or the reason it
 * cannot be used. `reader` names who does not know a time zone ("this executor", "this engine").
 */
export function freezeFromObject(object: KubeObject, options: { reader?: string } = {}): { freeze: Freeze } | { problem: string } {
  const spec = ((object as { spec?: Record<string, unknown> }).spec ?? {}) as Record<string, unknown>;
  const parsed = freezeInputSchema.safeParse({ ...spec, name: nameOf(object) });
  if (!parsed.success) return { problem: problemOf(parsed.error) };
  const input = parsed.data;
  if (input.time_zone && !isTimeZone(input.time_zone)) return { problem: `time_zone "${input.time_zone}" is not an IANA time zone ${options.reader ?? 'this executor'} knows` };
  const freeze: Freeze = {
    id: object.metadata?.uid ?? nameOf(object),
    name: input.name,
    reason: input.reason,
    startsAt: new Date(input.starts_at),
    endsAt: new Date(input.ends_at),
    recurrence: input.recurrence,
    timeZone: input.time_zone,
    clusters: input.clusters,
    namespaces: input.namespaces,
  };
  const breakGlass = skyfloFreezeBreakGlassSchema.safeParse((spec as { break_glass?: unknown }).break_glass);
  if (!breakGlass.success) return { problem: `break_glass: ${problemOf(breakGlass.error)}` };
  if (breakGlass.data) freeze.breakGlassBy = breakGlass.data.approvers;
  const problem = windowProblem(freeze);
  return problem ? { problem } : { freeze };
}

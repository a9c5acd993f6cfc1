/**
 * CEL as a ValidatingAdmissionPolicy reads it, with the library kube-sim already uses for webhook matchConditions and
 * CRD validation rules (@marcbachmann/cel-js). The names are those kube-apiserver declares for policies; `authorizer`
 * is not offered (kube-sim has no authorizer object to call from CEL).
 */
import { Environment } from '@marcbachmann/cel-js';

export const policyVariableNames = ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables'] as const;

// Heterogeneous map and list literals are allowed, as in kube-apiserver's CEL ({'kind': 'X', 'spec': object.spec}).
const environment = policyVariableNames.reduce((env, name) => env.registerVariable(name, 'dyn'), new Environment({ homogeneousAggregateLiterals: false }));

/**
 * JSON numbers are doubles in JavaScript; the API server decodes whole numbers as CEL ints, so `object.spec.replicas <= 5`
 * compares ints. Strings, bools and null pass as they are.
 */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, toCel(item)]));
}

/** The library's first line, worded as cel-go words its runtime errors ("no such key: foo"). */
export function celErrorText(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Why `expression` does not compile, or undefined when it does (what the API server refuses a policy for). */
export function compileProblem(expression: string): string | undefined {
  try {
    const result = environment.check(expression) as { valid: boolean; error?: unknown };
    return result.valid ? undefined : celErrorText(result.error);
  } catch (error) {
    return celErrorText(error);
  }
}

export type Activation = Partial<Record<(typeof policyVariableNames)[number], unknown>>;

/** Evaluates one expression; a failure throws an Error worded as the API server's ("expression '…' resulted in error: …"). */
export function evaluatePolicyExpression(expression: string, activation: Activation): unknown {
  try {
    return environment.evaluate(expression, activation as Record<string, unknown>);
  } catch (error) {
    throw new Error(`expression '${expression}' resulted in error: ${celErrorText(error)}`);
  }
}

/**
 * CEL for policies (issue 76), with the maintained library kube-sim already uses (@marcbachmann/cel-js). One
 * environment declares the documented input (docs/policies.md), so a broken expression — a syntax error, an unknown
 * name, a type that cannot work — is refused when it is saved, with the library's message and its position, instead
 * of failing on every call later.
 */
import { Environment } from '@marcbachmann/cel-js';

/** The input's top-level names and their CEL types: what an expression may use. */
const inputTypes = {
  tool: 'string',
  args: 'map',
  cluster: 'map',
  namespaces: 'list<string>',
  objects: 'list',
  risks: 'list<string>',
  requester: 'map',
  now: 'google.protobuf.Timestamp',
} as const;

export type PolicyInputName = keyof typeof inputTypes;

const environmentOf = (names: readonly PolicyInputName[]) =>
  names.reduce((env, name) => env.registerVariable(name, inputTypes[name]), new Environment({ homogeneousAggregateLiterals: false, limits: { maxAstNodes: 2000, maxDepth: 50, maxListElements: 200, maxMapEntries: 200, maxCallArguments: 16 } }));

const environment = environmentOf(Object.keys(inputTypes) as PolicyInputName[]);

export interface ExpressionProblem {
  message: string;
  /** where the library points (0-based offset into the expression; 1-based line and column) */
  position?: { offset: number; line: number; column: number };
}

/** The library's message without the excerpt it appends (the position says where). */
function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

function positionOf(expression: string, error: unknown): ExpressionProblem['position'] {
  const offset = (error as { node?: { pos?: unknown } } | undefined)?.node?.pos;
  if (typeof offset !== 'number' || offset < 0) return undefined;
  const before = expression.slice(0, offset).split('\n');
  return { offset, line: before.length, column: before.at(-1)!.length + 1 };
}

/** A problem with the expression, or undefined when it parses, type-checks and yields a bool. */
export function checkExpression(expression: string): ExpressionProblem | undefined {
  let result: { valid: boolean; type?: string; error?: unknown };
  try {
    result = environment.check(expression) as typeof result;
  } catch (error) {
    return { message: messageOf(error), ...(positionOf(expression, error) ? { position: positionOf(expression, error)! } : {}) };
  }
  if (!result.valid) {
    const position = positionOf(expression, result.error);
    return { message: messageOf(result.error), ...(position ? { position } : {}) };
  }
  if (result.type !== 'bool' && result.type !== 'dyn') return { message: `the expression yields ${result.type}; a policy's expression must yield a bool (true: the policy applies)` };
  return undefined;
}

/**
 * CEL integers are 64-bit (BigInt in this library) and JSON numbers are doubles: whole numbers become ints so that
 * `args.replicas == 0` means what it says. Dates stay timestamps.
 */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, toCel(item)]));
}

export type Evaluation = { ok: true; matched: boolean } | { ok: false; message: string };

/** Evaluates a saved (checked) expression over one input; a runtime error (a key the call lacks) is reported, not thrown. */
export function evaluateExpression(expression: string, input: Record<PolicyInputName, unknown>): Evaluation {
  try {
    const result = environment.evaluate(expression, toCel(input) as Record<string, unknown>);
    if (typeof result !== 'boolean') return { ok: false, message: `the expression yielded ${typeof result}, not a bool` };
    return { ok: true, matched: result };
  } catch (error) {
    return { ok: false, message: messageOf(error) };
  }
}

/**
 * The input names an expression reads that are not among `known`, or undefined when it reads only those (it must
 * already pass checkExpression). Used to tell which policies a cluster can judge at admission, where only the objects,
 * their namespaces and the cluster are known (the operator's ValidatingAdmissionPolicies).
 */
export function namesBeyond(expression: string, known: readonly PolicyInputName[]): PolicyInputName[] | undefined {
  const unknown = (Object.keys(inputTypes) as PolicyInputName[]).filter((name) => !known.includes(name));
  // each unknown name is tried alone: the expression type-checks without it only if it does not read it
  const read = unknown.filter((name) => !(environmentOf([...known, ...unknown.filter((other) => other !== name)]).check(expression) as { valid: boolean }).valid);
  return read.length ? read : undefined;
}

/**
 * What the real API server's validation refuses in a ValidatingAdmissionPolicy or ValidatingAdmissionPolicyBinding
 * (the common mistakes, with its field paths and words): a policy without matchConstraints' resourceRules or without
 * validations, an expression that does not compile, an unknown failurePolicy; a binding without policyName or
 * validationActions, an unknown action, Deny together with Warn, a paramRef with both or neither of name and selector.
 */
import type { KubeObject } from '../../cluster-types.ts';
import type { FieldCause } from '../../errors/api-errors.ts';
import { compileProblem } from './policy-cel.ts';

type Problem = FieldCause;

const quoted = (value: unknown) => JSON.stringify(value);

function expressionProblems(entries: unknown, at: string, fields: string[]): Problem[] {
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: any, index: number) =>
    fields.flatMap((field) => {
      const expression = entry?.[field];
      if (expression === undefined || expression === '') return field === 'expression' ? [{ field: `${at}[${index}].expression`, message: 'Required value: expression is not specified', reason: 'FieldValueRequired' }] : [];
      const problem = compileProblem(String(expression));
      return problem ? [{ field: `${at}[${index}].${field}`, message: `Invalid value: ${quoted(expression)}: compilation failed: ${problem}` }] : [];
    }),
  );
}

export function policyProblems(policy: KubeObject): Problem[] {
  const spec = policy.spec ?? {};
  const problems: Problem[] = [];
  if (!spec.matchConstraints) problems.push({ field: 'spec.matchConstraints', message: 'Required value', reason: 'FieldValueRequired' });
  else if (!Array.isArray(spec.matchConstraints.resourceRules) || spec.matchConstraints.resourceRules.length === 0) {
    problems.push({ field: 'spec.matchConstraints.resourceRules', message: 'Required value', reason: 'FieldValueRequired' });
  }
  if ((spec.validations ?? []).length === 0 && (spec.auditAnnotations ?? []).length === 0) {
    problems.push({ field: 'spec.validations', message: 'Required value: validations or auditAnnotations must contain at least one item', reason: 'FieldValueRequired' });
  }
  if (spec.failurePolicy !== undefined && !['Fail', 'Ignore'].includes(spec.failurePolicy)) {
    problems.push({ field: 'spec.failurePolicy', message: `Unsupported value: ${quoted(spec.failurePolicy)}: supported values: "Fail", "Ignore"`, reason: 'FieldValueNotSupported' });
  }
  problems.push(...expressionProblems(spec.validations, 'spec.validations', ['expression', 'messageExpression']));
  problems.push(...expressionProblems(spec.matchConditions, 'spec.matchConditions', ['expression']));
  problems.push(...expressionProblems(spec.variables, 'spec.variables', ['expression']));
  return problems;
}

export function bindingProblems(binding: KubeObject): Problem[] {
  const spec = binding.spec ?? {};
  const problems: Problem[] = [];
  if (!spec.policyName) problems.push({ field: 'spec.policyName', message: 'Required value', reason: 'FieldValueRequired' });
  const actions: unknown[] = Array.isArray(spec.validationActions) ? spec.validationActions : [];
  if (actions.length === 0) problems.push({ field: 'spec.validationActions', message: 'Required value: at least one validation action is required', reason: 'FieldValueRequired' });
  actions.forEach((action, index) => {
    if (!['Deny', 'Warn', 'Audit'].includes(action as string)) {
      problems.push({ field: `spec.validationActions[${index}]`, message: `Unsupported value: ${quoted(action)}: supported values: "Audit", "Deny", "Warn"`, reason: 'FieldValueNotSupported' });
    }
  });
  if (actions.includes('Deny') && actions.includes('Warn')) {
    problems.push({ field: 'spec.validationActions', message: `Invalid value: ${quoted(actions)}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)` });
  }
  const paramRef = spec.paramRef;
  if (paramRef && !paramRef.name === !paramRef.selector) {
    problems.push({ field: 'spec.paramRef', message: `Forbidden: one of name or selector must be specified`, reason: 'FieldValueForbidden' });
  }
  if (paramRef?.parameterNotFoundAction !== undefined && !['Allow', 'Deny'].includes(paramRef.parameterNotFoundAction)) {
    problems.push({ field: 'spec.paramRef.parameterNotFoundAction', message: `Unsupported value: ${quoted(paramRef.parameterNotFoundAction)}: supported values: "Allow", "Deny"`, reason: 'FieldValueNotSupported' });
  }
  return problems;
}

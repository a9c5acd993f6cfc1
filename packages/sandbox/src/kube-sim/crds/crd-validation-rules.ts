import { evaluate } from '@marcbachmann/cel-js';
import type { KubeObject } from '../cluster-types.ts';
import type { FieldCause } from '../errors/api-errors.ts';
import { isPlainObject } from '../util/json-values.ts';
import { crdVersion } from './crd-resources.ts';

const messagePrefix: Record<string, string> = {
  FieldValueForbidden: 'Forbidden',
  FieldValueRequired: 'Required value',
};

/** Where a cause is reported: the real server prints "<nil>" for a rule on the schema's root. */
function fieldName(path: string[]): string {
  return path.length ? path.join('.') : '<nil>';
}

function causeFor(rule: any, path: string[], schemaType: string, message: string): FieldCause {
  const field = rule.fieldPath ? `${fieldName(path)}${String(rule.fieldPath).startsWith('.') ? '' : '.'}${rule.fieldPath}`.replace(/^<nil>\.?/, '') : fieldName(path);
  const reason = typeof rule.reason === 'string' ? rule.reason : 'FieldValueInvalid';
  const prefix = messagePrefix[reason];
  return { field, reason, message: prefix ? `${prefix}: ${message}` : `Invalid value: "${schemaType}": ${message}` };
}

/**
 * Evaluates one schema node's rules against `self` (and `oldSelf` for transition rules: a rule that mentions oldSelf
 * runs only on an update whose old object has a value at the same place, as the real apiextensions-apiserver does).
 */
function checkNode(schema: any, self: unknown, oldSelf: unknown, path: string[], causes: FieldCause[]): void {
  if (!isPlainObject(schema) || self === undefined) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const expression = String(rule.rule ?? '');
    const isTransition = /\boldSelf\b/.test(expression);
    if (isTransition && oldSelf === undefined) continue;
    let result: unknown;
    try {
      result = evaluate(expression, isTransition ? { self, oldSelf } : { self });
    } catch (error) {
      // Like the real server: a rule that cannot be evaluated refuses the write, naming the rule.
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      causes.push(causeFor(rule, path, schema.type ?? 'object', `${reason} evaluating rule: ${expression}`));
      continue;
    }
    if (result !== true) causes.push(causeFor(rule, path, schema.type ?? 'object', rule.message ? String(rule.message) : `failed rule: ${expression}`));
  }
  if (isPlainObject(self)) {
    const old = isPlainObject(oldSelf) ? oldSelf : undefined;
    for (const [key, child] of Object.entries(schema.properties ?? {})) checkNode(child, self[key], old?.[key], [...path, key], causes);
    if (isPlainObject(schema.additionalProperties)) {
      for (const key of Object.keys(self)) checkNode(schema.additionalProperties, self[key], old?.[key], [...path, key], causes);
    }
  }
  if (Array.isArray(self) && isPlainObject(schema.items)) {
    // List items are not correlated with the old list here (that needs listType=map keys), so no oldSelf for them.
    self.forEach((item, index) => checkNode(schema.items, item, undefined, [...path, `[${index}]`], causes));
  }
}

/** The x-kubernetes-validations (CEL) failures of a custom resource at `version`, in the API's cause shape. */
export function validationRuleCauses(crd: KubeObject, version: string, object: KubeObject, oldObject: KubeObject | undefined): FieldCause[] {
  const schema = crdVersion(crd, version)?.schema?.openAPIV3Schema;
  if (!schema) return [];
  const causes: FieldCause[] = [];
  checkNode(schema, object, oldObject, [], causes);
  return causes.map((cause) => ({ ...cause, field: cause.field.replace(/\.\[/g, '[') }));
}

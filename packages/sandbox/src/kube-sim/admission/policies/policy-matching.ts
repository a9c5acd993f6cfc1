/**
 * Which writes a ValidatingAdmissionPolicy's matchConstraints (and a binding's matchResources) select: resourceRules
 * (apiGroups, apiVersions, resources with subresources, operations, resourceNames, scope), excludeResourceRules,
 * namespaceSelector and objectSelector — the same rule language webhooks use (validating-webhooks.ts). matchPolicy
 * Equivalent's conversions are not simulated: a rule matches the group/version the write was sent in.
 */
import type { KubeObject } from '../../cluster-types.ts';
import { ruleMatches, selectorMatches, type AdmissionAttributes } from '../validating-webhooks.ts';

function namedRuleMatches(rule: any, attributes: AdmissionAttributes): boolean {
  if (!ruleMatches(rule, attributes)) return false;
  const names: unknown = rule.resourceNames;
  if (!Array.isArray(names) || names.length === 0) return true;
  const name = attributes.name ?? attributes.object?.metadata.name;
  return !!name && names.includes(name);
}

/**
 * `match` selects the write. `rulesRequired`: a policy's matchConstraints must list resourceRules; a binding without
 * any narrows nothing (it selects every write its policy selects).
 */
export function matchesResources(match: any, attributes: AdmissionAttributes, namespaceObject: KubeObject | undefined, rulesRequired: boolean): boolean {
  if (!match) return !rulesRequired;
  const rules: unknown[] = Array.isArray(match.resourceRules) ? match.resourceRules : [];
  if (rules.length === 0 ? rulesRequired : !rules.some((rule) => namedRuleMatches(rule, attributes))) return false;
  if ((match.excludeResourceRules ?? []).some((rule: any) => namedRuleMatches(rule, attributes))) return false;
  // a namespaceSelector judges namespaced writes and namespaces themselves; other cluster-scoped writes pass it
  if ((attributes.resource.namespaced || attributes.resource.resource === 'namespaces') && !selectorMatches(match.namespaceSelector, namespaceObject?.metadata.labels)) return false;
  const selector = match.objectSelector;
  return selectorMatches(selector, attributes.object?.metadata.labels) || (!!attributes.oldObject && selectorMatches(selector, attributes.oldObject.metadata.labels));
}

import { badRequest } from '../errors/api-errors.ts';

export type LabelRequirement =
  | { key: string; operator: 'in' | 'notin'; values: string[] }
  | { key: string; operator: 'exists' | 'doesnotexist' };

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

/** Splits on commas that are not inside parentheses: `a in (x,y),b` → [`a in (x,y)`, `b`]. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  terms.push(current);
  return terms.map((term) => term.trim()).filter(Boolean);
}

/** Parses the `labelSelector` query syntax: =, ==, !=, in, notin, key, !key. */
export function parseLabelSelector(selector: string | null | undefined): LabelRequirement[] {
  if (!selector) return [];
  return splitTerms(selector).map((term) => {
    let match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (match) {
      const values = match[3].split(',').map((value) => value.trim()).filter((value) => value !== '' || match![3].trim() === '');
      return { key: match[1], operator: match[2] as 'in' | 'notin', values };
    }
    match = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
    if (match) {
      return { key: match[1], operator: match[2] === '!=' ? 'notin' : 'in', values: [match[3]] };
    }
    match = /^(!?)\s*([\w./-]+)$/.exec(term);
    if (match) return { key: match[2], operator: match[1] ? 'doesnotexist' : 'exists' };
    throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesRequirements(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const present = labels ?? {};
  return requirements.every((requirement) => {
    const has = Object.prototype.hasOwnProperty.call(present, requirement.key);
    switch (requirement.operator) {
      case 'in':
        return has && requirement.values.includes(present[requirement.key]);
      case 'notin':
        return !has || !requirement.values.includes(present[requirement.key]);
      case 'exists':
        return has;
      case 'doesnotexist':
        return !has;
    }
  });
}

export function labelMatcher(selector: string | null | undefined): LabelMatcher {
  const requirements = parseLabelSelector(selector);
  return (labels) => matchesRequirements(requirements, labels);
}

/** A structured metav1.LabelSelector (`matchLabels` + `matchExpressions`), as used in specs. */
export interface StructuredLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export function matchesStructuredSelector(selector: StructuredLabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const requirements: LabelRequirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, operator: 'in', values: [value] }));
  for (const expression of selector.matchExpressions ?? []) {
    const operator = expression.operator.toLowerCase() as LabelRequirement['operator'];
    requirements.push(operator === 'in' || operator === 'notin' ? { key: expression.key, operator, values: expression.values ?? [] } : { key: expression.key, operator: operator as 'exists' });
  }
  return matchesRequirements(requirements, labels);
}

/** `app=web,tier in (a,b)`: the selector string kubectl shows for a structured selector. */
export function formatStructuredSelector(selector: StructuredLabelSelector | undefined): string {
  if (!selector) return '<none>';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    if (expression.operator === 'Exists') parts.push(expression.key);
    else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
    else parts.push(`${expression.key} ${expression.operator.toLowerCase()} (${(expression.values ?? []).join(',')})`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

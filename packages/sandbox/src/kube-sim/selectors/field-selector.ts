import type { KubeObject } from '../cluster-types.ts';
import { badRequest } from '../errors/api-errors.ts';
import { readPath } from '../util/json-values.ts';

export type FieldMatcher = (object: KubeObject) => boolean;

/**
 * Parses `fieldSelector` (`metadata.name=x,status.phase!=Failed`). Any dotted path into the object is
 * accepted (the real server allows a per-kind list; being permissive keeps the simulator simple).
 */
export function fieldMatcher(selector: string | null | undefined): FieldMatcher {
  if (!selector) return () => true;
  const terms = selector.split(',').map((term) => term.trim()).filter(Boolean).map((term) => {
    const match = /^([\w.-]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    return { path: match[1], negate: match[2] === '!=', value: match[3] };
  });
  return (object) =>
    terms.every((term) => {
      const raw = readPath(object, term.path);
      const actual = raw === undefined || raw === null ? '' : String(raw);
      return term.negate ? actual !== term.value : actual === term.value;
    });
}

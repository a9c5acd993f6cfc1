import { isPlainObject } from '../util/json-values.ts';

/**
 * Evaluates the JSONPath subset CRD printer columns use: `.a.b`, `.a[0]`, `.a[*].b`,
 * `.a[?(@.type=="Ready")].status`, and an escaped dot inside a key as the API server reads it
 * (`.metadata.annotations.skyflo\.ai/emergency-stop`). Returns every match (printer columns show the first).
 */
export function evaluateJsonPath(object: unknown, path: string): unknown[] {
  const trimmed = path.trim().replace(/^\{|\}$/g, '').replace(/^\$/, '');
  const tokens = (trimmed.match(/\.(?:\\.|[^.[\]\\])+|\[[^\]]*\]/g) ?? []).map((token) => (token.startsWith('.') ? `.${token.slice(1).replace(/\\(.)/g, '$1')}` : token));
  let current: unknown[] = [object];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const value of current) {
      if (token.startsWith('.')) {
        if (isPlainObject(value) && value[token.slice(1)] !== undefined) next.push(value[token.slice(1)]);
        continue;
      }
      const inner = token.slice(1, -1);
      if (!Array.isArray(value)) continue;
      if (inner === '*') next.push(...value);
      else if (/^-?\d+$/.test(inner)) {
        const index = Number(inner);
        const item = value[index < 0 ? value.length + index : index];
        if (item !== undefined) next.push(item);
      } else {
        const filter = /^\?\(@\.([\w.]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
        if (!filter) continue;
        for (const item of value) {
          const found = evaluateJsonPath(item, `.${filter[1]}`)[0];
          if (found !== undefined && String(found) === filter[2]) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

/**
 * Jenkins' `?tree=` and `?depth=` for the JSON API.
 *
 * Representations are built in full; objects that Jenkins shows only briefly when nested (jobs, builds) carry their
 * brief field list under {@link summaryKeys}, which JSON.stringify ignores.
 */
export const summaryKeys = Symbol('jenkins-sim.summaryKeys');

export interface TreeNode {
  name: string;
  children?: TreeNode[];
  range?: { from: number; to: number | undefined };
}

/** Thrown for a tree expression Jenkins would reject; Jenkins answers such requests with 400. */
export class TreeSyntaxError extends Error {}

/** Parses `jobs[name,url]{0,50},name` into nodes. */
export function parseTree(expression: string): TreeNode[] {
  let position = 0;
  const parseList = (closing: string | undefined): TreeNode[] => {
    const nodes: TreeNode[] = [];
    while (position < expression.length) {
      const start = position;
      while (position < expression.length && !'[]{},'.includes(expression[position])) position += 1;
      const name = expression.slice(start, position).trim();
      if (name === '') throw new TreeSyntaxError(`Malformed tree expression "${expression}" at position ${start}.`);
      const node: TreeNode = { name };
      if (expression[position] === '[') {
        position += 1;
        node.children = parseList(']');
      }
      if (expression[position] === '{') {
        const end = expression.indexOf('}', position);
        if (end === -1) throw new TreeSyntaxError(`Unclosed "{" in tree expression "${expression}".`);
        node.range = parseRange(expression.slice(position + 1, end), expression);
        position = end + 1;
      }
      nodes.push(node);
      const next = expression[position];
      if (next === ',') {
        position += 1;
        continue;
      }
      if (next === ']' && closing === ']') {
        position += 1;
        return nodes;
      }
      if (next === undefined && closing === undefined) return nodes;
      throw new TreeSyntaxError(`Malformed tree expression "${expression}" at position ${position}.`);
    }
    if (closing !== undefined) throw new TreeSyntaxError(`Unclosed "[" in tree expression "${expression}".`);
    return nodes;
  };
  return parseList(undefined);
}

function parseRange(text: string, expression: string): TreeNode['range'] {
  // Jenkins accepts {N} (only index N), {M,N} (M inclusive, N exclusive), {M,} and {,N}.
  const match = /^\s*(\d*)\s*(,?)\s*(\d*)\s*$/.exec(text);
  if (!match || (match[1] === '' && match[3] === '')) throw new TreeSyntaxError(`Bad range {${text}} in tree expression "${expression}".`);
  const from = match[1] === '' ? 0 : Number(match[1]);
  if (match[2] === '') return { from, to: from + 1 };
  return { from, to: match[3] === '' ? undefined : Number(match[3]) };
}

type Json = unknown;

function briefObject(value: Record<string, unknown>): Record<string, unknown> {
  return '_class' in value ? { _class: value._class } : {};
}

/** Keeps only the requested fields (plus `_class`, which Jenkins always sends). */
export function applyTree(value: Json, nodes: TreeNode[]): Json {
  if (Array.isArray(value)) return value.map((item) => applyTree(item, nodes));
  if (!value || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const result: Record<string, unknown> = briefObject(source);
  for (const node of nodes) {
    if (!(node.name in source)) continue;
    let field = source[node.name];
    if (node.range && Array.isArray(field)) field = field.slice(node.range.from, node.range.to);
    if (node.children) result[node.name] = applyTree(field, node.children);
    else result[node.name] = leaf(field);
  }
  return result;
}

// A field named without sub-fields shows nested objects only by class, as in Jenkins.
function leaf(value: Json): Json {
  if (Array.isArray(value)) return value.map(leaf);
  if (value && typeof value === 'object') return briefObject(value as Record<string, unknown>);
  return value;
}

/**
 * Without a tree, the requested object is shown in full and model objects nested more than `depth` levels below it
 * shrink to their summary fields (depth 0: a job's builds are `{_class, number, url}`).
 */
export function applyDepth(value: Json, depth: number): Json {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return pruneNested(value, depth, 1);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, pruneNested(item, depth, 1)]));
}

function pruneNested(value: Json, depth: number, level: number): Json {
  if (Array.isArray(value)) return value.map((item) => pruneNested(item, depth, level));
  if (!value || typeof value !== 'object') return value;
  const source = value as Record<string | symbol, unknown>;
  const brief = source[summaryKeys] as string[] | undefined;
  if (brief && level > depth) {
    return Object.fromEntries(brief.filter((key) => key in source).map((key) => [key, source[key]]));
  }
  const nextLevel = brief ? level + 1 : level;
  return Object.fromEntries(Object.entries(source).map(([key, item]) => [key, pruneNested(item, depth, nextLevel)]));
}

/** Marks an object as a model object with brief fields for depth pruning. */
export function withSummary<T extends object>(value: T, keys: string[]): T {
  Object.defineProperty(value, summaryKeys, { value: keys, enumerable: false });
  return value;
}

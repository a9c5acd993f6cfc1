/**
 * PromQL text → a small expression tree, parsed by the Prometheus project's own grammar (@prometheus-io/lezer-promql,
 * the one the Prometheus UI uses), so what kube-sim accepts is what Prometheus accepts. Only the subset the
 * evaluator implements is converted; anything else is refused by name instead of answered wrongly.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { parseErrorAt, PromQLError } from './promql-error.ts';
import { checkTypes } from './promql-functions.ts';
import { scanForSyntaxErrors, unexpectedAt } from './promql-syntax.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';
export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

/** `pos`: where the expression starts in the query (a parse error names it as Prometheus does, line:column). */
export type Expr =
  | { type: 'number'; value: number; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'selector'; matchers: Matcher[]; offset: number; pos: number }
  | { type: 'matrix'; selector: Extract<Expr, { type: 'selector' }>; range: number; pos: number }
  | { type: 'call'; fn: string; args: Expr[]; pos: number }
  | { type: 'aggregate'; op: string; by?: string[]; without?: string[]; param?: Expr; expr: Expr; pos: number }
  | { type: 'binary'; op: string; left: Expr; right: Expr; bool: boolean; on?: string[]; ignoring?: string[]; pos: number; opPos: number }
  | { type: 'unary'; expr: Expr; pos: number };

export { PromQLError } from './promql-error.ts';

const durationUnits: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** "5m", "1h30m", "90s", "1.5" (seconds) → seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^[0-9]*\.?[0-9]+$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) throw new PromQLError(`bad duration "${text}"`);
  return parts.reduce((total, part) => total + Number(part[1]) * durationUnits[part[2]!]!, 0);
}

function parseNumber(text: string): number {
  const lower = text.toLowerCase().replace(/^\+/, '');
  if (lower === 'inf' || lower === '-inf') return lower.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  if (/^-?0x[0-9a-f]+$/.test(lower)) return Number.parseInt(lower, 16);
  const value = Number(lower);
  return Number.isNaN(value) ? parseDuration(lower) : value;
}

/** A PromQL string literal: "…" and '…' with Go escapes, `…` raw. */
function unquote(text: string): string {
  const quote = text[0];
  const body = text.slice(1, -1);
  if (quote === '`') return body;
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, escape: string) => {
    if (escape.startsWith('u') && escape.length === 5) return String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    if (escape.startsWith('x') && escape.length === 3) return String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" } as Record<string, string>)[escape] ?? `\\${escape}`;
  });
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

const isExpr = (node: SyntaxNode) => node.type.is('Expr');

/** Parses and type-checks a query; a PromQLError in Prometheus' words (`1:16: parse error: …`) when it cannot. */
export function parsePromQL(query: string): Expr {
  if (query.trim() === '') throw new PromQLError('1:1: parse error: no expression found in input');
  scanForSyntaxErrors(query);
  const tree = parser.parse(query);
  let error: { from: number } | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && !error) error = { from: node.from };
    },
  });
  if (error) throw unexpectedAt(query, error.from);
  const top = tree.topNode.firstChild;
  if (!top) throw new PromQLError('1:1: parse error: no expression found in input');
  const text = (node: SyntaxNode) => query.slice(node.from, node.to);

  const labelList = (node: SyntaxNode | null): string[] =>
    node ? children(node).filter((child) => child.name === 'LabelName' || child.name === 'QuotedLabelName').map((child) => (child.name === 'QuotedLabelName' ? unquote(text(child)) : text(child))) : [];

  function selector(node: SyntaxNode): Extract<Expr, { type: 'selector' }> {
    const matchers: Matcher[] = [];
    for (const child of children(node)) {
      if (child.name === 'Identifier') matchers.push({ name: '__name__', type: '=', value: text(child) });
      if (child.name !== 'LabelMatchers') continue;
      for (const matcher of children(child)) {
        const parts = children(matcher);
        if (matcher.name === 'QuotedLabelName') {
          matchers.push({ name: '__name__', type: '=', value: unquote(text(matcher)) });
        } else if (matcher.name === 'UnquotedLabelMatcher' || matcher.name === 'QuotedLabelMatcher') {
          const [name, op, value] = parts;
          if (!name || !op || !value) throw new PromQLError(`incomplete label matcher "${text(matcher)}"`);
          matchers.push({ name: name.name === 'QuotedLabelName' ? unquote(text(name)) : text(name), type: text(op) as MatchType, value: unquote(text(value)) });
        }
      }
    }
    // Prometheus' test: some matcher must not match the empty string (`{job=~".*"}` selects everything)
    if (!matchers.some((matcher) => !matchesEmpty(matcher))) throw parseErrorAt(query, node.from, 'vector selector must contain at least one non-empty matcher');
    return { type: 'selector', matchers, offset: 0, pos: node.from };
  }

  function convert(node: SyntaxNode): Expr {
    const parts = children(node);
    const pos = node.from;
    switch (node.name) {
      case 'NumberDurationLiteral':
        return { type: 'number', value: parseNumber(text(node)), pos };
      case 'StringLiteral':
        return { type: 'string', value: unquote(text(node)), pos };
      case 'ParenExpr':
        return convert(parts.find(isExpr)!);
      case 'VectorSelector':
        return selector(node);
      case 'MatrixSelector': {
        const inner = convert(parts.find(isExpr)!);
        if (inner.type !== 'selector') throw new PromQLError('ranges only allowed for vector selectors');
        const duration = parts.find((part) => part.name === 'DurationExpr')!;
        let range: number;
        try {
          range = parseDuration(text(duration));
        } catch {
          throw parseErrorAt(query, duration.from, `bad duration syntax: ${JSON.stringify(text(duration))}`);
        }
        return { type: 'matrix', selector: inner, range, pos };
      }
      case 'OffsetExpr': {
        const inner = convert(parts.find(isExpr)!);
        const offset = parseDuration(text(parts.find((part) => part.name === 'OffsetDurationExpr')!).replace(/^\+/, ''));
        if (inner.type === 'selector') return { ...inner, offset };
        if (inner.type === 'matrix') return { ...inner, selector: { ...inner.selector, offset } };
        throw new PromQLError('offset modifier must be preceded by a selector');
      }
      case 'UnaryExpr': {
        const inner = convert(parts.find(isExpr)!);
        return text(parts[0]!) === '-' ? { type: 'unary', expr: inner, pos } : inner;
      }
      case 'FunctionCall': {
        const body = parts.find((part) => part.name === 'FunctionCallBody');
        return { type: 'call', fn: text(parts[0]!), args: body ? children(body).filter(isExpr).map(convert) : [], pos };
      }
      case 'AggregateExpr': {
        const op = text(parts.find((part) => part.name === 'AggregateOp')!);
        const modifier = parts.find((part) => part.name === 'AggregateModifier');
        const args = children(parts.find((part) => part.name === 'FunctionCallBody')!).filter(isExpr).map(convert);
        const grouping = modifier ? { [modifier.firstChild!.name === 'By' ? 'by' : 'without']: labelList(modifier.getChild('GroupingLabels')) } : {};
        if (args.length === 0) throw parseErrorAt(query, pos, `no arguments for aggregate expression provided`);
        const takesParameter = ['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio'].includes(op);
        if (args.length !== (takesParameter ? 2 : 1)) throw parseErrorAt(query, pos, `wrong number of arguments for aggregate expression provided, expected ${takesParameter ? 2 : 1}, got ${args.length}`);
        return { type: 'aggregate', op, ...grouping, ...(args.length > 1 ? { param: args[0]!, expr: args[1]! } : { expr: args[0]! }), pos };
      }
      case 'BinaryExpr': {
        const [left, right] = parts.filter(isExpr);
        const operator = parts.find((part) => !isExpr(part) && !['BoolModifier', 'MatchingModifierClause', 'FillModifier'].includes(part.name));
        if (parts.some((part) => part.name === 'FillModifier')) throw new PromQLError('fill modifiers are not supported by kube-sim');
        const matching = parts.find((part) => part.name === 'MatchingModifierClause');
        if (matching && (matching.getChild('GroupLeft') || matching.getChild('GroupRight'))) throw new PromQLError('group_left/group_right are not supported by kube-sim');
        const labels = matching ? labelList(matching.getChild('GroupingLabels')) : undefined;
        return {
          type: 'binary',
          op: text(operator!).toLowerCase(),
          left: convert(left!),
          right: convert(right!),
          bool: parts.some((part) => part.name === 'BoolModifier'),
          ...(matching ? (matching.getChild('On') ? { on: labels } : { ignoring: labels }) : {}),
          pos,
          opPos: operator!.from,
        };
      }
      default:
        throw new PromQLError(`${node.name.replace(/Expr$/, ' expressions').toLowerCase()} are not supported by kube-sim's PromQL subset`);
    }
  }
  const expr = convert(top);
  checkTypes(expr, query);
  return expr;
}

function matchesEmpty(matcher: Matcher): boolean {
  if (matcher.type === '=') return matcher.value === '';
  if (matcher.type === '!=') return matcher.value !== '';
  let matched: boolean;
  try {
    matched = new RegExp(`^(?:${matcher.value})$`).test('');
  } catch {
    return true;
  }
  return matcher.type === '=~' ? matched : !matched;
}

/**
 * PromQL's functions, aggregations and keywords as Prometheus 2.x knows them, with their argument types, and the
 * static type check Prometheus' parser runs before evaluating anything: a wrong argument count or type is a parse
 * error (HTTP 400, bad_data) in Prometheus' own words, e.g. `1:6: parse error: expected type range vector in call to
 * function "rate", got instant vector`. A function Prometheus knows but kube-sim does not evaluate is refused later,
 * by name, as kube-sim's limit (never as "unknown function").
 */
import type { Expr } from './promql-ast.ts';
import { parseErrorAt } from './promql-error.ts';

export type ValueType = 'scalar' | 'instant vector' | 'range vector' | 'string';
const V: ValueType = 'instant vector';
const M: ValueType = 'range vector';
const S: ValueType = 'scalar';
const T: ValueType = 'string';

interface Signature {
  args: ValueType[];
  /** 1: the last argument may be left out; -1: it may also repeat without bound (Prometheus' Variadic) */
  optional?: 1 | -1;
  returns: ValueType;
}

const vectorMath = ['abs', 'ceil', 'floor', 'exp', 'sqrt', 'ln', 'log2', 'log10', 'sgn', 'deg', 'rad', 'timestamp', 'sort', 'sort_desc', 'absent', 'histogram_count', 'histogram_sum', 'histogram_avg', 'histogram_stddev', 'histogram_stdvar'];
const trigonometry = ['acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh'];
const rangeFunctions = ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'absent_over_time', 'present_over_time', 'avg_over_time', 'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'stddev_over_time', 'stdvar_over_time', 'mad_over_time'];
const calendar = ['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year'];

/** Every function of Prometheus 2.x (and the 3.x names, so a newer query is refused as unsupported, not unknown). */
export const functionSignatures: Record<string, Signature> = {
  ...Object.fromEntries([...vectorMath, ...trigonometry].map((name) => [name, { args: [V], returns: V }])),
  ...Object.fromEntries(rangeFunctions.map((name) => [name, { args: [M], returns: V }])),
  ...Object.fromEntries(calendar.map((name) => [name, { args: [V], optional: 1, returns: V }])),
  quantile_over_time: { args: [S, M], returns: V },
  predict_linear: { args: [M, S], returns: V },
  holt_winters: { args: [M, S, S], returns: V },
  double_exponential_smoothing: { args: [M, S, S], returns: V },
  clamp: { args: [V, S, S], returns: V },
  clamp_max: { args: [V, S], returns: V },
  clamp_min: { args: [V, S], returns: V },
  round: { args: [V, S], optional: 1, returns: V },
  histogram_quantile: { args: [S, V], returns: V },
  histogram_fraction: { args: [S, S, V], returns: V },
  label_replace: { args: [V, T, T, T, T], returns: V },
  label_join: { args: [V, T, T, T], optional: -1, returns: V },
  sort_by_label: { args: [V, T], optional: -1, returns: V },
  sort_by_label_desc: { args: [V, T], optional: -1, returns: V },
  pi: { args: [], returns: S },
  time: { args: [], returns: S },
  scalar: { args: [V], returns: S },
  vector: { args: [S], returns: V },
};

export const aggregations = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);
/** Words that may stand before "(" without being a function call. */
export const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'start', 'end']);

function typeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case 'number':
      return S;
    case 'string':
      return T;
    case 'selector':
      return V;
    case 'matrix':
      return M;
    case 'call':
      return functionSignatures[expr.fn]?.returns ?? V;
    case 'aggregate':
      return V;
    case 'binary':
      return typeOf(expr.left) === S && typeOf(expr.right) === S ? S : V;
    case 'unary':
      return typeOf(expr.expr);
  }
}

/** Prometheus' parser checks, in its words and at its positions; throws the first problem, as Prometheus does. */
export function checkTypes(expr: Expr, query: string): void {
  const expect = (node: Expr, wanted: ValueType, context: string) => {
    const actual = typeOf(node);
    if (actual !== wanted) throw parseErrorAt(query, node.pos, `expected type ${wanted} in ${context}, got ${actual}`);
  };
  const visit = (node: Expr): void => {
    switch (node.type) {
      case 'call': {
        const signature = functionSignatures[node.fn];
        if (!signature) throw parseErrorAt(query, node.pos, `unknown function with name ${JSON.stringify(node.fn)}`);
        // Prometheus' rule: a variadic function may leave out its last listed argument (or, -1, repeat it)
        const count = node.args.length;
        const name = JSON.stringify(node.fn);
        if (!signature.optional && count !== signature.args.length) throw parseErrorAt(query, node.pos, `expected ${signature.args.length} argument(s) in call to ${name}, got ${count}`);
        if (signature.optional && count < signature.args.length - 1) throw parseErrorAt(query, node.pos, `expected at least ${signature.args.length - 1} argument(s) in call to ${name}, got ${count}`);
        if (signature.optional === 1 && count > signature.args.length) throw parseErrorAt(query, node.pos, `expected at most ${signature.args.length} argument(s) in call to ${name}, got ${count}`);
        node.args.forEach((arg, index) => {
          visit(arg);
          expect(arg, signature.args[Math.min(index, signature.args.length - 1)]!, `call to function ${JSON.stringify(node.fn)}`);
        });
        return;
      }
      case 'aggregate':
        visit(node.expr);
        if (node.param) {
          visit(node.param);
          expect(node.param, node.op === 'count_values' ? T : S, 'aggregation parameter');
        }
        expect(node.expr, V, 'aggregation expression');
        return;
      case 'binary': {
        visit(node.left);
        visit(node.right);
        const left = typeOf(node.left);
        const right = typeOf(node.right);
        if ((left !== S && left !== V) || (right !== S && right !== V)) throw parseErrorAt(query, node.pos, 'binary expression must contain only scalar and instant vector types');
        if (['and', 'or', 'unless'].includes(node.op) && (left === S || right === S)) throw parseErrorAt(query, node.pos, `set operator "${node.op}" not allowed in binary scalar expression`);
        if (left === S && right === S && ['==', '!=', '>', '<', '>=', '<='].includes(node.op) && !node.bool) throw parseErrorAt(query, node.opPos, 'comparisons between scalars must use BOOL modifier');
        return;
      }
      case 'unary':
        visit(node.expr);
        if (typeOf(node.expr) !== S && typeOf(node.expr) !== V) throw parseErrorAt(query, node.pos, `unary expression only allowed on expressions of type scalar or instant vector, got "${typeOf(node.expr)}"`);
        return;
      case 'matrix':
        visit(node.selector);
        return;
      default:
        return;
    }
  };
  visit(expr);
}

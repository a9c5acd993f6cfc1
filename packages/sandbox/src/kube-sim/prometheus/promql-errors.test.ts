/**
 * kube-sim's parse errors read as Prometheus' own: each expected message below is what Debian's Prometheus 2.42
 * answered for the same query (after `invalid parameter "query": `), captured with curl against the real binary.
 */
import { describe, expect, it } from 'vitest';
import { parsePromQL } from './promql-ast.ts';

describe('PromQL parse errors in Prometheus\' words', () => {
  it.each([
    ['sum(rate(x[5m])', '1:16: parse error: unclosed left parenthesis'],
    ['sum(rate(x[5m])))', "1:18: parse error: unexpected right parenthesis ')'"],
    ['foo(up)', '1:1: parse error: unknown function with name "foo"'],
    ['up{', '1:4: parse error: unexpected end of input inside braces'],
    ['up[5m', '1:6: parse error: unclosed left bracket'],
    ['rate(up)', '1:6: parse error: expected type range vector in call to function "rate", got instant vector'],
    ['{job=""}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['up +', '1:5: parse error: unexpected end of input'],
    ['sum by (a (up)', '1:11: parse error: unexpected "(" in grouping opts, expected "," or ")"'],
    ['1 > 2', '1:3: parse error: comparisons between scalars must use BOOL modifier'],
    ['x y', '1:3: parse error: unexpected identifier "y"'],
    ['histogram_quantile(0.9)', '1:1: parse error: expected 2 argument(s) in call to "histogram_quantile", got 1'],
    ['up]', "1:3: parse error: unexpected right bracket ']'"],
    ['up}', "1:3: parse error: unexpected character: '}'"],
    ['up{a="b', '1:6: parse error: unterminated quoted string'],
    ['up{a="b"', '1:9: parse error: unexpected end of input inside braces'],
    ['up 5', '1:4: parse error: unexpected number "5"'],
    ['sum(up) by (a', '1:14: parse error: unclosed left parenthesis'],
    ['max(up, 2)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2'],
    ['topk(up)', '1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
    ['round(up, 1, 2)', '1:1: parse error: expected at most 2 argument(s) in call to "round", got 3'],
    ['up[5m] + 1', '1:1: parse error: binary expression must contain only scalar and instant vector types'],
    ['vector(up)', '1:8: parse error: expected type scalar in call to function "vector", got instant vector'],
    ['count_values(1, up)', '1:14: parse error: expected type string in aggregation parameter, got scalar'],
    ['up and 1', '1:1: parse error: set operator "and" not allowed in binary scalar expression'],
    ['foo bar(x)', '1:5: parse error: unexpected identifier "bar"'],
  ])('%s → %s', (query, message) => {
    expect(() => parsePromQL(query)).toThrow(message);
  });

  it('accepts what Prometheus accepts around those checks', () => {
    for (const query of ['sum by (app) (rate(http_requests_total{code=~"5.."}[5m]))', 'up and on (job) (up > bool 0)', 'round(up)', 'round(up, 0.5)', 'up offset 5m', 'label_join(up, "a", ",", "b", "c")', 'day_of_week()', '1e3 * up', '0x1f + up', 'topk(3, up)']) {
      expect(() => parsePromQL(query), query).not.toThrow();
    }
  });
});

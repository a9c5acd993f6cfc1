/**
 * `$(( … ))`: integer arithmetic with + - * / % ** ( ), comparisons, && || !, and assignments
 * (`i=i+1`, `i+=1`, `i++`), enough for counters in scripts.
 */
export function evaluateArithmetic(expression: string, read: (name: string) => number, write: (name: string, value: number) => void): number {
  const tokens = expression.match(/\d+|[A-Za-z_][A-Za-z0-9_]*|\*\*|<=|>=|==|!=|&&|\|\||\+\+|--|[-+*/%]=|[-+*/%()<>!=]/g) ?? [];
  let index = 0;
  const peek = () => tokens[index];
  const next = () => tokens[index++];

  const primary = (): number => {
    const token = next();
    if (token === undefined) throw new Error('arithmetic syntax error');
    if (token === '(') {
      const value = assignment();
      if (next() !== ')') throw new Error('arithmetic syntax error: missing )');
      return value;
    }
    if (token === '-') return -primary();
    if (token === '+') return primary();
    if (token === '!') return primary() ? 0 : 1;
    if (/^\d+$/.test(token)) return Number(token);
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() === '++' || peek() === '--') {
        const value = read(token);
        write(token, value + (next() === '++' ? 1 : -1));
        return value;
      }
      return read(token);
    }
    throw new Error(`arithmetic syntax error: unexpected "${token}"`);
  };
  const binary = (operators: string[], operand: () => number, apply: (operator: string, left: number, right: number) => number) => (): number => {
    let value = operand();
    while (operators.includes(peek())) {
      const operator = next();
      value = apply(operator, value, operand());
    }
    return value;
  };
  const power = (): number => {
    const base = primary();
    if (peek() === '**') {
      next();
      return base ** power();
    }
    return base;
  };
  const product = binary(['*', '/', '%'], power, (operator, left, right) => {
    if ((operator === '/' || operator === '%') && right === 0) throw new Error('arithmetic: division by zero');
    return operator === '*' ? left * right : operator === '/' ? Math.trunc(left / right) : left % right;
  });
  const sum = binary(['+', '-'], product, (operator, left, right) => (operator === '+' ? left + right : left - right));
  const comparison = binary(['<', '>', '<=', '>='], sum, (operator, left, right) => Number(operator === '<' ? left < right : operator === '>' ? left > right : operator === '<=' ? left <= right : left >= right));
  const equality = binary(['==', '!='], comparison, (operator, left, right) => Number(operator === '==' ? left === right : left !== right));
  const and = binary(['&&'], equality, (_operator, left, right) => Number(Boolean(left) && Boolean(right)));
  const or = binary(['||'], and, (_operator, left, right) => Number(Boolean(left) || Boolean(right)));
  const assignment = (): number => {
    const name = tokens[index];
    const operator = tokens[index + 1];
    if (name && /^[A-Za-z_]/.test(name) && operator && /^([-+*/%]?=)$/.test(operator) && operator !== '==') {
      index += 2;
      const value = assignment();
      const current = read(name);
      const result = operator === '=' ? value : operator === '+=' ? current + value : operator === '-=' ? current - value : operator === '*=' ? current * value : operator === '/=' ? Math.trunc(current / value) : current % value;
      write(name, result);
      return result;
    }
    return or();
  };
  if (tokens.length === 0) return 0;
  const result = assignment();
  if (index < tokens.length) throw new Error(`arithmetic syntax error: unexpected "${tokens[index]}"`);
  return Math.trunc(result);
}

/**
 * Syntax errors in Prometheus' own words. The grammar (@prometheus-io/lezer-promql) recovers from errors and only
 * marks where; Prometheus' lexer and parser say what, and a client (or the model) reading the error acts on the words:
 * `1:16: parse error: unclosed left parenthesis`, `1:1: parse error: unknown function with name "foo"`. This scan
 * reproduces the lexer's checks left to right, the first problem winning as in Prometheus; whatever it lets through and
 * the grammar still rejects is told as Prometheus' generic `unexpected …`.
 */
import { parseErrorAt } from './promql-error.ts';
import { aggregations, functionSignatures, keywords } from './promql-functions.ts';

const identifierStart = /[A-Za-z_:]/;
const identifierPart = /[A-Za-z0-9_:]/;
const groupingKeywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Throws the first lexical problem of `query` (brackets, strings, unknown functions), or returns. */
export function scanForSyntaxErrors(query: string): void {
  const open: Array<{ char: '(' | '{' | '['; at: number; grouping: boolean }> = [];
  let afterGroupingKeyword = false;
  // after an operand (a name, number, string or closing bracket) a word cannot start a call: the grammar reports it
  let afterOperand = false;
  for (let index = 0; index < query.length; index++) {
    const char = query[index]!;
    const innermost = open.at(-1);
    if (char === '"' || char === "'" || char === '`') {
      const end = closingQuote(query, index);
      if (end === undefined) throw parseErrorAt(query, index, 'unterminated quoted string');
      index = end;
      afterOperand = true;
      continue;
    }
    if (char === '#') {
      // a comment runs to the end of the line
      const newline = query.indexOf('\n', index);
      index = newline === -1 ? query.length : newline;
      continue;
    }
    if (innermost?.char === '{') {
      if (char === '}') open.pop();
      afterOperand = true;
      continue;
    }
    if (innermost?.char === '[') {
      if (char === ']') open.pop();
      afterOperand = true;
      continue;
    }
    if (identifierStart.test(char) && !/[0-9.]/.test(query[index - 1] ?? '')) {
      let end = index;
      while (end < query.length && identifierPart.test(query[end]!)) end++;
      const word = query.slice(index, end);
      let next = end;
      while (next < query.length && /\s/.test(query[next]!)) next++;
      if (innermost?.grouping) {
        if (query[next] === '(') throw parseErrorAt(query, next, `unexpected "(" in grouping opts, expected "," or ")"`);
      } else if (!afterOperand && query[next] === '(' && !aggregations.has(word.toLowerCase()) && !keywords.has(word.toLowerCase()) && !functionSignatures[word]) {
        throw parseErrorAt(query, index, `unknown function with name ${JSON.stringify(word)}`);
      }
      const lower = word.toLowerCase();
      afterGroupingKeyword = groupingKeywords.has(lower);
      afterOperand = !keywords.has(lower) && !aggregations.has(lower);
      index = end - 1;
      continue;
    }
    if (char === '(') {
      open.push({ char, at: index, grouping: afterGroupingKeyword });
      afterGroupingKeyword = false;
      afterOperand = false;
      continue;
    }
    if (/\s/.test(char)) continue;
    afterGroupingKeyword = false;
    afterOperand = /[0-9.)\]}]/.test(char);
    if (char === '{' || char === '[') open.push({ char, at: index, grouping: false });
    else if (char === ')') {
      // Prometheus' lexer names the position after the parenthesis it could not match
      if (innermost?.char !== '(') throw parseErrorAt(query, index + 1, "unexpected right parenthesis ')'");
      open.pop();
    } else if (char === '}') throw parseErrorAt(query, index, "unexpected character: '}'");
    else if (char === ']') throw parseErrorAt(query, index, "unexpected right bracket ']'");
  }
  const unclosed = open.at(-1);
  if (unclosed?.char === '{') throw parseErrorAt(query, query.length, 'unexpected end of input inside braces');
  if (unclosed?.char === '[') throw parseErrorAt(query, query.length, 'unclosed left bracket');
  if (unclosed?.char === '(') throw parseErrorAt(query, query.length, 'unclosed left parenthesis');
}

function closingQuote(query: string, start: number): number | undefined {
  const quote = query[start];
  for (let index = start + 1; index < query.length; index++) {
    if (quote !== '`' && query[index] === '\\') index++;
    else if (query[index] === quote) return index;
    else if (quote !== '`' && query[index] === '\n') return undefined;
  }
  return undefined;
}

/** The grammar's error at `position`, in Prometheus' generic words: what token it did not expect. */
export function unexpectedAt(query: string, position: number): Error {
  const rest = query.slice(position).trimStart();
  const at = query.length - rest.length;
  if (rest === '') return parseErrorAt(query, query.length, 'unexpected end of input');
  const identifier = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(rest)?.[0];
  if (identifier) return parseErrorAt(query, at, `unexpected identifier ${JSON.stringify(identifier)}`);
  const number = /^[0-9][0-9.eE+-]*/.exec(rest)?.[0];
  if (number) return parseErrorAt(query, at, `unexpected number ${JSON.stringify(number)}`);
  return parseErrorAt(query, at, `unexpected character: '${rest[0]}'`);
}

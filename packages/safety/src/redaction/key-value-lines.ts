/**
 * The line rule: `KEY=value`, `key: value` and `"key": "value"` lines whose key names a secret have their value
 * replaced — the whole value, also when it has several words (`DB_PASSWORD:  correct horse battery staple`) or
 * holds a pair of its own (`APP_SECRET:  pwd: x`, which an inline rule may already have cut in two), and also
 * when it goes on over the following lines:
 *   - a YAML block scalar (`password: |` and the deeper lines under it),
 *   - a quoted scalar that closes on a later line (YAML folds long double-quoted strings),
 *   - a plain value continued on deeper lines (kubectl describe prints a multi-line env value aligned under its
 *     first line; YAML continues plain scalars the same way).
 */
import { REDACTED, isCount, isNameList, isSecretName, isTrivialValue, type Mask } from './names.ts';

// Keys may hold "/" (annotation and label keys such as example.com/api-token, as kubectl describe prints them).
// The prefix allows a YAML list dash ("- password: x") and a shell trace or diff marker ("+ export TOKEN=x").
const KEY_VALUE_LINE = /^(\s*(?:[+-](?=[\s"'A-Za-z_]))?\s*(?:-\s+)?(?:export\s+)?["']?)([A-Za-z_][A-Za-z0-9_./-]*)(["']?\s*[:=]\s*)(.+)$/;
// kubectl describe prints the first annotation/label on the header line: "Annotations:  example.com/api-token: x".
const DESCRIBE_MAP_HEADER = /^(\s*(?:Annotations|Labels):\s+)(\S.*)$/;
/**
 * A value that is only a mask already applied by another rule: the whole value, with nothing after it but k8s_diff's
 * "(changed)" note. Anything else after a mask ("[REDACTED] ColonPwd…": an inline rule took the first word of the
 * value) is the rest of the secret.
 */
const ONLY_MASK = /^(["']?)\[REDACTED[^\]]*\](?: \(changed\))?\1,?$/;
const BLOCK_SCALAR = /^[|>][-+]?\d*[-+]?(?:\s+#.*)?$/;

type Continuation = 'none' | 'block' | 'quoted' | 'plain';

interface LineResult {
  line: string;
  /** how the value goes on over the next lines, and the column of its key (deeper lines belong to it) */
  continuation: Continuation;
  keyColumn: number;
  quote?: string;
}

function unchanged(line: string): LineResult {
  return { line, continuation: 'none', keyColumn: 0 };
}

function redactKeyValueLine(line: string, mask: Mask, offset = 0): LineResult {
  const header = DESCRIBE_MAP_HEADER.exec(line);
  if (header) {
    const inner = redactKeyValueLine(header[2]!, mask, offset + header[1]!.length);
    return { ...inner, line: `${header[1]}${inner.line}` };
  }
  const match = KEY_VALUE_LINE.exec(line);
  if (!match) return unchanged(line);
  const [, prefix, key, separator, rest] = match as unknown as [string, string, string, string, string];
  if (!isSecretName(key)) return unchanged(line);
  const keyColumn = offset + prefix.length;
  const trimmed = rest.trim();
  if (BLOCK_SCALAR.test(trimmed)) return { line, continuation: 'block', keyColumn };
  // A YAML mapping opener ("auth:" with nothing after) or a nested block is not a value.
  if (trimmed === '' || trimmed === '{' || trimmed === '[' || isTrivialValue(trimmed) || isCount(key, trimmed) || isNameList(key, trimmed)) return unchanged(line);
  if (ONLY_MASK.test(trimmed)) return { line, continuation: 'plain', keyColumn };
  const trailingComma = trimmed.endsWith(',') ? ',' : '';
  const body = trailingComma ? trimmed.slice(0, -1) : trimmed;
  const opening = /^["']/.test(body) ? body[0]! : '';
  const closed = opening !== '' && body.length >= 2 && body.at(-1) === opening && body.at(-2) !== '\\';
  const secret = closed ? body.slice(1, -1) : opening ? body.slice(1) : body;
  const continuation: Continuation = opening && !closed ? 'quoted' : opening ? 'none' : 'plain';
  return { line: `${prefix}${key}${separator}${opening}${mask(secret)}${opening}${trailingComma}`, continuation, keyColumn, quote: opening };
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/**
 * Redacts secret key-value lines and their continuation lines. With `keepLineCount` (a diff's hunks must keep their
 * shape) each continuation line becomes a marker; otherwise continuation lines are dropped, so their number is
 * not shown either.
 */
export function redactKeyValueLines(text: string, mask: Mask, keepLineCount = false): string {
  const lines = text.split('\n');
  const output: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const result = redactKeyValueLine(lines[index]!, mask);
    output.push(result.line);
    if (result.continuation === 'none') continue;
    let next = index + 1;
    if (result.continuation === 'quoted') {
      // up to and including the line that closes the quote
      while (next < lines.length) {
        const closes = new RegExp(`(?<!\\\\)${result.quote}\\s*,?\\s*$`).test(lines[next]!);
        next += 1;
        if (closes) break;
      }
    } else {
      while (next < lines.length) {
        const candidate = lines[next]!;
        if (candidate.trim() === '' ? result.continuation !== 'block' : indentOf(candidate) <= result.keyColumn) break;
        next += 1;
      }
      // blank lines at the end of a block belong to what follows
      while (next > index + 1 && lines[next - 1]!.trim() === '') next -= 1;
    }
    for (let continued = index + 1; continued < next; continued += 1) {
      if (keepLineCount) output.push(`${' '.repeat(indentOf(lines[continued]!))}${REDACTED}`);
    }
    if (result.continuation === 'block' && next > index + 1) {
      const blockLines = lines.slice(index + 1, next);
      if (!keepLineCount) output.push(`${' '.repeat(indentOf(blockLines.find((line) => line.trim() !== '') ?? ''))}${mask(blockLines.map((line) => line.trim()).join('\n'))}`);
    }
    index = next - 1;
  }
  return output.join('\n');
}

/**
 * Redaction for every output path (objects, YAML/JSON text, logs, describe output, helm values, diffs).
 * The rules are in rules.ts; this file applies them to objects and to text. Every function takes a `mask`
 * (default "[REDACTED]") so approval cards can show a length and digest instead (redact-tool-arguments.ts).
 */
import { isSecretFlag, redactArgumentLines } from './argument-lists.ts';
import { redactKeyValueLines } from './key-value-lines.ts';
import { REDACTED, defaultMask, isCount, isSecretName, isTrivialValue, redactCommandArguments, redactTokens, type Mask } from './rules.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface RedactOptions {
  /** how a secret value is replaced (default: "[REDACTED]") */
  mask?: Mask;
  /**
   * Text shown as it was written (a model's answer, streamed piece by piece): a JSON document in it is redacted by
   * the text rules in place instead of being parsed and printed again, so its layout matches what was streamed.
   */
  keepLayout?: boolean;
}

function redactValues(map: unknown, mask: Mask): unknown {
  if (!map || typeof map !== 'object' || Array.isArray(map)) return map;
  return Object.fromEntries(Object.entries(map as Record<string, unknown>).map(([key, value]) => [key, mask(typeof value === 'string' ? value : JSON.stringify(value ?? ''))]));
}

function redactEnvList(env: unknown, mask: Mask): unknown {
  if (!Array.isArray(env)) return env;
  return env.map((entry) => {
    if (!entry || typeof entry !== 'object') return entry;
    const variable = entry as { name?: string; value?: unknown };
    if (typeof variable.value !== 'string') return entry;
    if (variable.name && isSecretName(variable.name) && !isTrivialValue(variable.value) && !isCount(variable.name, variable.value)) return { ...variable, value: mask(variable.value) };
    return { ...variable, value: redactString(variable.value, mask) };
  });
}

/**
 * Container args / command lists: the value after a secret-named flag is the secret, and the list read as one
 * command line gets the command rules (`["mysql", "-uroot", "-pPASS"]`).
 */
function redactArgumentList(list: unknown[], mask: Mask, parentKind?: string): unknown[] {
  const asCommand = list.every((item) => typeof item === 'string') ? redactCommandArguments(list as string[], mask) : undefined;
  return list.map((item, index) => {
    if (asCommand && asCommand[index] !== item) return asCommand[index];
    const previous = list[index - 1];
    if (typeof item === 'string' && typeof previous === 'string' && isSecretFlag(previous) && !item.startsWith('-') && !isTrivialValue(item)) return mask(item);
    return redactNode(item, mask, parentKind);
  });
}

// Keys that carry the value of a {name, value} pair (env vars, Jenkins parameters and their defaults, Argo args).
const PAIR_VALUE_KEY = /^(value|default|defaultValue)$/;

/** Strings inside objects get the text rules too: a log, a config file or a command line can sit in any field. */
function redactString(value: string, mask: Mask): string {
  // Fast path for the many short names, labels and numbers of a large object: nothing secret-shaped fits there.
  if (value.length < 6 || (value.length < 20 && !/[=:@\s]/.test(value))) return value;
  const trimmed = value.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const redacted = redactObject(JSON.parse(value), { mask });
      // keep the string's own layout: compact JSON stays compact
      return value.includes('\n') ? JSON.stringify(redacted, null, 2) : JSON.stringify(redacted);
    } catch {
      // not JSON; the text rules apply
    }
  }
  return redactText(value, { mask });
}

function redactNode(value: unknown, mask: Mask, parentKind?: string): unknown {
  if (typeof value === 'string') return redactString(value, mask);
  if (Array.isArray(value)) return redactArgumentList(value, mask, parentKind);
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const kind = typeof object.kind === 'string' ? object.kind : undefined;
  // In a {name: "DEPLOY_TOKEN", value: "…"} pair the sensitive word is in a value, not a key, so the key rule below
  // would print the secret; the pair's name decides instead.
  const sensitivePair = typeof object.name === 'string' && isSecretName(object.name);
  const output: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    if (sensitivePair && PAIR_VALUE_KEY.test(key) && child !== null && child !== undefined && typeof child !== 'boolean' && !(typeof child === 'string' && isTrivialValue(child)) && !isCount(object.name as string, String(child))) {
      output[key] = mask(typeof child === 'string' ? child : JSON.stringify(child));
    } else if (kind === 'Secret' && (key === 'data' || key === 'stringData')) {
      output[key] = redactValues(child, mask);
    } else if (kind === 'ConfigMap' && (key === 'data' || key === 'binaryData') && child && typeof child === 'object') {
      output[key] = Object.fromEntries(
        Object.entries(child as Record<string, unknown>).map(([dataKey, dataValue]) => [
          dataKey,
          typeof dataValue === 'string' && isSecretName(dataKey) && !isTrivialValue(dataValue) && !isCount(dataKey, dataValue) ? mask(dataValue) : typeof dataValue === 'string' ? redactText(dataValue, { mask }) : dataValue,
        ]),
      );
    } else if (key === 'env') {
      output[key] = redactNode(redactEnvList(child, mask), mask, kind);
    } else if (key === 'annotations' && child && typeof child === 'object') {
      output[key] = Object.fromEntries(
        Object.entries(child as Record<string, unknown>).map(([name, annotation]) => {
          if (name === LAST_APPLIED && typeof annotation === 'string') return [name, redactLastApplied(annotation, mask)];
          if (typeof annotation === 'string' && isSecretName(name) && !isTrivialValue(annotation)) return [name, mask(annotation)];
          return [name, typeof annotation === 'string' ? redactString(annotation, mask) : annotation];
        }),
      );
    } else if ((typeof child === 'string' || typeof child === 'number') && isSecretName(key) && !(typeof child === 'string' && isTrivialValue(child)) && !isCount(key, String(child))) {
      // Numbers too: a numeric password or PIN in JSON values is as secret as a quoted one.
      output[key] = mask(String(child));
    } else {
      output[key] = redactNode(child, mask, kind ?? parentKind);
    }
  }
  return output;
}

function redactLastApplied(annotation: string, mask: Mask): string {
  try {
    return JSON.stringify(redactNode(JSON.parse(annotation), mask));
  } catch {
    return mask(annotation);
  }
}

/** Redacts a Kubernetes object (or list, or any JSON value) per the rule set. Returns a copy. */
export function redactObject<T>(value: T, options: RedactOptions = {}): T {
  return redactNode(value, options.mask ?? defaultMask) as T;
}

/** Redacts `data:`/`stringData:` blocks of YAML documents whose kind is Secret, keeping the keys. */
function redactSecretYamlBlocks(text: string, mask: Mask): string {
  if (!/^\s*kind:\s*["']?Secret["']?\s*$/m.test(text)) return text;
  const documents = text.split(/^(?=---\s*$)/m);
  return documents
    .map((document) => {
      if (!/^\s*kind:\s*["']?Secret["']?\s*$/m.test(document)) return document;
      const lines = document.split('\n');
      let blockIndent = -1;
      return lines
        .map((line) => {
          const indent = line.length - line.trimStart().length;
          if (blockIndent >= 0) {
            if (line.trim() === '' || indent > blockIndent) {
              const entry = /^(\s*)([^:\s][^:]*):\s*(.*)$/.exec(line);
              if (entry && indent > blockIndent && entry[3] !== '') return `${entry[1]}${entry[2]}: ${mask(entry[3]!)}`;
              if (!entry && line.trim() !== '' && indent > blockIndent) return `${' '.repeat(indent)}${mask(line.trim())}`;
              return line;
            }
            blockIndent = -1;
          }
          const opener = /^(\s*)(data|stringData):\s*$/.exec(line);
          if (opener) blockIndent = opener[1]!.length;
          // a flow mapping, closed or not (a manifest cut short or written badly still hides its values)
          const inline = /^(\s*)(data|stringData):\s*(\{.*?)\s*$/.exec(line);
          if (inline) return `${inline[1]}${inline[2]}: ${mask(inline[3]!)}`;
          return line;
        })
        .join('\n');
    })
    .join('');
}

/**
 * The last-applied annotation duplicates the whole object (a Secret's data included) and tells the model
 * nothing the object doesn't, so in text it is replaced whole, including a block-scalar continuation
 * (dropped, or in a diff replaced line for line so the hunk keeps its shape).
 */
function redactLastAppliedLines(text: string, mask: Mask, keepLineCount: boolean): string {
  if (!text.includes(LAST_APPLIED)) return text;
  const output: string[] = [];
  let skipDeeperThan = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (skipDeeperThan >= 0) {
      if (line.trim() !== '' && indent > skipDeeperThan) {
        if (keepLineCount) output.push(`${' '.repeat(indent)}${REDACTED}`);
        continue;
      }
      skipDeeperThan = -1;
    }
    const match = new RegExp(`^(\\s*["']?${LAST_APPLIED.replace(/[./]/g, '\\$&')}["']?\\s*[:=]\\s*)(.*)$`).exec(line);
    if (match) {
      output.push(`${match[1]}${match[2]!.trim() === '' || /^[|>]/.test(match[2]!.trim()) ? REDACTED : mask(match[2]!)}`);
      if (/^[|>]/.test(match[2]!.trim()) || match[2]!.trim() === '') skipDeeperThan = indent;
      continue;
    }
    output.push(line);
  }
  return output.join('\n');
}

const YAML_KEY_LINE = /^(\s*)(-\s+)?(["']?)([A-Za-z_][\w-]*)\3\s*:[ \t]*(.*)$/;
const PAIR_SCAN_LINES = 64;
const PAIR_VALUE_LINE_KEYS = new Set(['value', 'default', 'defaultValue']);
const FLOW_NAMED_PAIR = /(\{\s*["']?name["']?\s*:\s*["']?([^,"'}\s]+)["']?\s*,\s*["']?(?:value|default|defaultValue)["']?\s*:\s*)("[^"]*"|'[^']*'|[^,}]+)/g;

/**
 * The text form of the {name, value} rule in redactNode: YAML like `- name: DB_PASSWORD` / `value: hunter2`
 * (env vars in helm manifests and values, probe headers, Jenkins parameters) has the sensitive word on the
 * name line and the secret on another, so the key-value line rule never sees them together. Why line-based:
 * re-serialising the YAML would lose helm's `# Source:` comments and reformat every document.
 */
function redactNamedPairLines(text: string, mask: Mask, keepLineCount: boolean): string {
  // Both forms are keyed by a literal `name` (a streamed answer is redacted at every word, and mostly has none)
  if (!text.includes('name')) return text;
  const lines = text.split('\n');
  const parsed = lines.map((line) => {
    const match = YAML_KEY_LINE.exec(line);
    if (!match) return undefined;
    return { keyIndent: match[1]!.length + (match[2]?.length ?? 0), dash: Boolean(match[2]), key: match[4]!, rest: match[5]! };
  });
  const indents = lines.map((line) => line.length - line.trimStart().length);
  const indentOf = (index: number) => indents[index]!;
  const done = new Set<number>();
  const unquote = (value: string) => value.trim().replace(/\s+#.*$/, '').replace(/^(["'])(.*)\1$/, '$2');
  const dropped = new Set<number>();
  for (let index = 0; index < lines.length; index += 1) {
    const entry = parsed[index];
    if (!entry || entry.key !== 'name' || !isSecretName(unquote(entry.rest))) continue;
    const keyIndent = entry.keyIndent;
    // The mapping the name belongs to: sibling keys at the same indent (and their nested lines), up to a new
    // list item or a line indented less.
    // Bounded both ways: {name, value} mappings are a few lines, and an unbounded scan made a text of many
    // sibling "name: password" lines quadratic (seconds for a 20k-line log).
    let start = index;
    while (!parsed[start]?.dash && start > 0 && index - start < PAIR_SCAN_LINES) {
      const previous = start - 1;
      if (lines[previous]!.trim() === '') break;
      if (indentOf(previous) > keyIndent || parsed[previous]?.keyIndent === keyIndent) start = previous;
      else break;
    }
    let end = index + 1;
    while (end < lines.length && end - index < PAIR_SCAN_LINES && lines[end]!.trim() !== '' && (indentOf(end) > keyIndent || (parsed[end]?.keyIndent === keyIndent && !parsed[end]?.dash))) end += 1;
    for (let line = start; line < end; line += 1) {
      const sibling = parsed[line];
      if (!sibling || done.has(line) || sibling.keyIndent !== keyIndent || !PAIR_VALUE_LINE_KEYS.has(sibling.key) || sibling.rest.trim() === '') continue;
      done.add(line);
      if (isTrivialValue(sibling.rest) || isCount(unquote(entry.rest), unquote(sibling.rest)) || /^["']?\[REDACTED/.test(sibling.rest.trim())) continue;
      const trimmed = sibling.rest.trim();
      const quote = /^["']/.test(trimmed) ? trimmed[0]! : '';
      const block = /^[|>]/.test(trimmed);
      const secret = quote && trimmed.endsWith(quote) ? trimmed.slice(1, -1) : trimmed;
      lines[line] = `${lines[line]!.slice(0, lines[line]!.length - sibling.rest.length)}${quote}${block ? REDACTED : mask(secret)}${quote}`;
      // A block scalar (`value: |`) continues on deeper lines: they are the secret too, and are dropped.
      if (block) {
        for (let continuation = line + 1; continuation < end && (lines[continuation]!.trim() === '' || indentOf(continuation) > keyIndent); continuation += 1) {
          if (keepLineCount) lines[continuation] = lines[continuation]!.trim() === '' ? lines[continuation]! : `${' '.repeat(indentOf(continuation))}${REDACTED}`;
          else dropped.add(continuation);
        }
      }
    }
  }
  return lines
    .filter((_, index) => !dropped.has(index))
    .join('\n')
    .replace(FLOW_NAMED_PAIR, (whole, head: string, name: string, value: string) => {
      if (!isSecretName(name) || isTrivialValue(value)) return whole;
      const quoted = /^["']/.test(value);
      return `${head}${quoted ? value[0] : ''}${mask(quoted ? value.slice(1, -1) : value)}${quoted ? value[0] : ''}`;
    });
}

const DESCRIBE_ENTRY_KEY = /^([-._A-Za-z0-9]+):$/;
const DESCRIBE_RULE = /^-{3,}$/;

/**
 * `kubectl describe configmap` prints each entry as a "key:" line, a "----" rule, then the raw value on
 * the following lines, so the key-value rule never sees a sensitive key and its value on one line.
 * A sensitive entry's value is replaced by one marker up to the next entry or section ("BinaryData",
 * "Events:"); the marker also hides how many lines the value had.
 */
function redactDescribeDataEntries(text: string, mask: Mask): string {
  if (!/^-{3,}$/m.test(text)) return text;
  const lines = text.split('\n');
  const isEntryStart = (index: number) => DESCRIBE_ENTRY_KEY.test(lines[index]!) && DESCRIBE_RULE.test(lines[index + 1] ?? '');
  const isSectionStart = (index: number) => /^Events:/.test(lines[index]!) || (/^\S/.test(lines[index]!) && /^={3,}$/.test(lines[index + 1] ?? ''));
  const output: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    output.push(lines[index]!);
    if (!isEntryStart(index) || !isSecretName(DESCRIBE_ENTRY_KEY.exec(lines[index]!)![1]!)) continue;
    output.push(lines[index + 1]!);
    index += 2;
    const valueLines: string[] = [];
    while (index < lines.length && !isEntryStart(index) && !isSectionStart(index)) valueLines.push(lines[index++]!);
    // kubectl ends each value with a blank line; keep it so the next entry still reads as one.
    const trailingBlank = valueLines.length > 1 && valueLines[valueLines.length - 1]!.trim() === '';
    output.push(mask((trailingBlank ? valueLines.slice(0, -1) : valueLines).join('\n')), ...(trailingBlank ? [''] : []));
    index -= 1;
  }
  return output.join('\n');
}

const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/m;

/**
 * A unified diff: the +/-/space marker of each hunk line is set aside, the lines are redacted as the file they
 * come from (so "+  NEW_PWD: x" is the key-value line it is), and the markers are put back. The line count is
 * kept so the hunks stay valid.
 */
function redactUnifiedDiff(text: string, mask: Mask): string {
  const lines = text.split('\n');
  let inHunk = false;
  const markers = lines.map((line) => {
    if (/^@@ /.test(line)) {
      inHunk = true;
      return '';
    }
    if (/^(?:diff |index |={3,}|--- |\+\+\+ )/.test(line)) {
      inHunk = false;
      return '';
    }
    return inHunk && /^[ +-]/.test(line) ? line[0]! : '';
  });
  const bodies = lines.map((line, index) => (markers[index] ? line.slice(1) : line));
  const redacted = redactPlainText(bodies.join('\n'), mask, true).split('\n');
  if (redacted.length !== lines.length) return redactPlainText(text, mask, false);
  return redacted.map((body, index) => `${markers[index]}${body}`).join('\n');
}

function redactPlainText(text: string, mask: Mask, keepLineCount: boolean): string {
  let result = redactSecretYamlBlocks(text, mask);
  result = redactLastAppliedLines(result, mask, keepLineCount);
  // Token shapes first: a private key folded over several lines is found whole before a line rule cuts it.
  result = redactTokens(result, mask);
  if (!keepLineCount) result = redactDescribeDataEntries(result, mask);
  result = redactNamedPairLines(result, mask, keepLineCount);
  result = redactArgumentLines(result, mask);
  return redactKeyValueLines(result, mask, keepLineCount);
}

/**
 * Redacts free text: JSON documents are redacted structurally, unified diffs line by line without their markers,
 * YAML Secret documents have their data blocks replaced, and in any text sensitive `KEY=value` lines, secret
 * flags and token-shaped strings are replaced.
 */
export function redactText(text: string, options: RedactOptions = {}): string {
  const mask = options.mask ?? defaultMask;
  const trimmed = text.trimStart();
  if (!options.keepLayout && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    try {
      return JSON.stringify(redactObject(JSON.parse(text), { mask }), null, 2);
    } catch {
      // not JSON after all; fall through to the line rules
    }
  }
  if (HUNK_HEADER.test(text)) return redactUnifiedDiff(text, mask);
  return redactPlainText(text, mask, false);
}


/**
 * Redaction for every output path (objects, YAML/JSON text, logs, describe output, helm values).
 * The rules are in rules.ts; this file applies them to objects and to text.
 */
import { REDACTED, isSensitiveName, redactTokens } from './rules.ts';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function redactValues(map: unknown): unknown {
  if (!map || typeof map !== 'object' || Array.isArray(map)) return map;
  return Object.fromEntries(Object.keys(map as Record<string, unknown>).map((key) => [key, REDACTED]));
}

function redactEnvList(env: unknown): unknown {
  if (!Array.isArray(env)) return env;
  return env.map((entry) => {
    if (!entry || typeof entry !== 'object') return entry;
    const variable = entry as { name?: string; value?: unknown };
    if (typeof variable.value !== 'string') return entry;
    if (variable.name && isSensitiveName(variable.name)) return { ...variable, value: REDACTED };
    return { ...variable, value: redactTokens(variable.value) };
  });
}

// Keys that carry the value of a {name, value} pair (env vars, Jenkins parameters and their defaults, Argo args).
const PAIR_VALUE_KEY = /^(value|default|defaultValue)$/;

function redactNode(value: unknown, parentKind?: string): unknown {
  if (typeof value === 'string') return redactTokens(value);
  if (Array.isArray(value)) return value.map((item) => redactNode(item, parentKind));
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const kind = typeof object.kind === 'string' ? object.kind : undefined;
  // In a {name: "DEPLOY_TOKEN", value: "…"} pair the sensitive word is in a value, not a key, so the key rule below
  // would print the secret; the pair's name decides instead.
  const sensitivePair = typeof object.name === 'string' && isSensitiveName(object.name);
  const output: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    if (sensitivePair && PAIR_VALUE_KEY.test(key) && child !== null && child !== undefined && typeof child !== 'boolean') {
      output[key] = REDACTED;
    } else if (kind === 'Secret' && (key === 'data' || key === 'stringData')) {
      output[key] = redactValues(child);
    } else if (kind === 'ConfigMap' && (key === 'data' || key === 'binaryData') && child && typeof child === 'object') {
      output[key] = Object.fromEntries(
        Object.entries(child as Record<string, unknown>).map(([dataKey, dataValue]) => [
          dataKey,
          isSensitiveName(dataKey) ? REDACTED : typeof dataValue === 'string' ? redactText(dataValue) : dataValue,
        ]),
      );
    } else if (key === 'env') {
      output[key] = redactNode(redactEnvList(child), kind);
    } else if (key === 'annotations' && child && typeof child === 'object') {
      output[key] = Object.fromEntries(
        Object.entries(child as Record<string, unknown>).map(([name, annotation]) => {
          if (name === LAST_APPLIED && typeof annotation === 'string') return [name, redactLastApplied(annotation)];
          if (isSensitiveName(name)) return [name, REDACTED];
          return [name, typeof annotation === 'string' ? redactTokens(annotation) : annotation];
        }),
      );
    } else if ((typeof child === 'string' || typeof child === 'number') && isSensitiveName(key) && !isStructuralKey(key)) {
      // Numbers too: a numeric password or PIN in JSON values is as secret as a quoted one.
      output[key] = REDACTED;
    } else {
      output[key] = redactNode(child, kind ?? parentKind);
    }
  }
  return output;
}

// Keys that match SENSITIVE_NAME but hold references, not secrets (secretName: my-secret, serviceAccountToken…).
function isStructuralKey(key: string): boolean {
  return /^(secretName|secretRef|tokenSecretRef|automountServiceAccountToken|authMode|authType|name|kind)$/i.test(key);
}

function redactLastApplied(annotation: string): string {
  try {
    return JSON.stringify(redactNode(JSON.parse(annotation)));
  } catch {
    return REDACTED;
  }
}

/** Redacts a Kubernetes object (or list, or any JSON value) per the rule set. Returns a copy. */
export function redactObject<T>(value: T): T {
  return redactNode(value) as T;
}

// Keys may hold "/" (annotation and label keys such as example.com/api-token, as kubectl describe prints them).
const KEY_VALUE_LINE = /^(\s*(?:export\s+)?["']?)([A-Za-z_][A-Za-z0-9_./-]*)(["']?\s*[:=]\s*)(.+)$/;
// kubectl describe prints the first annotation/label on the header line: "Annotations:  example.com/api-token: x".
const DESCRIBE_MAP_HEADER = /^(\s*(?:Annotations|Labels):\s+)(\S.*)$/;

function redactKeyValueLine(line: string): string {
  const header = DESCRIBE_MAP_HEADER.exec(line);
  if (header) return `${header[1]}${redactKeyValueLine(header[2])}`;
  const match = KEY_VALUE_LINE.exec(line);
  if (!match) return line;
  const [, prefix, key, separator, rest] = match;
  if (!isSensitiveName(key) || isStructuralKey(key)) return line;
  const trimmed = rest.trim();
  // A YAML mapping opener ("auth:" with nothing after) or a nested block is not a value.
  if (trimmed === '' || trimmed === '|' || trimmed === '>' || trimmed === '{' || trimmed === '[') return line;
  const trailingComma = trimmed.endsWith(',') ? ',' : '';
  const quoted = trimmed.startsWith('"') ? '"' : '';
  return `${prefix}${key}${separator}${quoted}${REDACTED}${quoted}${trailingComma}`;
}

/** Redacts `KEY=value`, `key: value` and `"key": "value"` lines whose key is sensitive. */
function redactKeyValueLines(text: string): string {
  return text.split('\n').map(redactKeyValueLine).join('\n');
}

/** Redacts `data:`/`stringData:` blocks of YAML documents whose kind is Secret, keeping the keys. */
function redactSecretYamlBlocks(text: string): string {
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
              if (entry && indent > blockIndent && entry[3] !== '') return `${entry[1]}${entry[2]}: ${REDACTED}`;
              if (!entry && line.trim() !== '' && indent > blockIndent) return `${' '.repeat(indent)}${REDACTED}`;
              return line;
            }
            blockIndent = -1;
          }
          const opener = /^(\s*)(data|stringData):\s*$/.exec(line);
          if (opener) blockIndent = opener[1].length;
          const inline = /^(\s*)(data|stringData):\s*\{.+\}\s*$/.exec(line);
          if (inline) return `${inline[1]}${inline[2]}: ${REDACTED}`;
          return line;
        })
        .join('\n');
    })
    .join('');
}

/**
 * The last-applied annotation duplicates the whole object (a Secret's data included) and tells the model
 * nothing the object doesn't, so in text it is replaced whole, including a block-scalar continuation.
 */
function redactLastAppliedLines(text: string): string {
  if (!text.includes(LAST_APPLIED)) return text;
  const output: string[] = [];
  let skipDeeperThan = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (skipDeeperThan >= 0) {
      if (line.trim() !== '' && indent > skipDeeperThan) continue;
      skipDeeperThan = -1;
    }
    const match = new RegExp(`^(\\s*["']?${LAST_APPLIED.replace(/[./]/g, '\\$&')}["']?\\s*[:=]\\s*)(.*)$`).exec(line);
    if (match) {
      output.push(`${match[1]}${REDACTED}`);
      if (/^[|>]/.test(match[2].trim()) || match[2].trim() === '') skipDeeperThan = indent;
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
function redactNamedPairLines(text: string): string {
  const lines = text.split('\n');
  const parsed = lines.map((line) => {
    const match = YAML_KEY_LINE.exec(line);
    if (!match) return undefined;
    return { keyIndent: match[1].length + (match[2]?.length ?? 0), dash: Boolean(match[2]), key: match[4], rest: match[5] };
  });
  const indentOf = (index: number) => lines[index].length - lines[index].trimStart().length;
  const unquote = (value: string) => value.trim().replace(/\s+#.*$/, '').replace(/^(["'])(.*)\1$/, '$2');
  const dropped = new Set<number>();
  for (let index = 0; index < lines.length; index += 1) {
    const entry = parsed[index];
    if (!entry || entry.key !== 'name' || !isSensitiveName(unquote(entry.rest))) continue;
    const keyIndent = entry.keyIndent;
    // The mapping the name belongs to: sibling keys at the same indent (and their nested lines), up to a new
    // list item or a line indented less.
    // Bounded both ways: {name, value} mappings are a few lines, and an unbounded scan made a text of many
    // sibling "name: password" lines quadratic (seconds for a 20k-line log).
    let start = index;
    while (!parsed[start]?.dash && start > 0 && index - start < PAIR_SCAN_LINES) {
      const previous = start - 1;
      if (lines[previous].trim() === '') break;
      if (indentOf(previous) > keyIndent || parsed[previous]?.keyIndent === keyIndent) start = previous;
      else break;
    }
    let end = index + 1;
    while (end < lines.length && end - index < PAIR_SCAN_LINES && lines[end].trim() !== '' && (indentOf(end) > keyIndent || (parsed[end]?.keyIndent === keyIndent && !parsed[end]?.dash))) end += 1;
    for (let line = start; line < end; line += 1) {
      const sibling = parsed[line];
      if (!sibling || sibling.keyIndent !== keyIndent || !PAIR_VALUE_LINE_KEYS.has(sibling.key) || sibling.rest.trim() === '') continue;
      const quote = /^["']/.test(sibling.rest.trim()) ? sibling.rest.trim()[0] : '';
      lines[line] = `${lines[line].slice(0, lines[line].length - sibling.rest.length)}${quote}${REDACTED}${quote}`;
      // A block scalar (`value: |`) continues on deeper lines: they are the secret too, and are dropped.
      if (/^[|>]/.test(sibling.rest.trim())) {
        for (let continuation = line + 1; continuation < end && (lines[continuation].trim() === '' || indentOf(continuation) > keyIndent); continuation += 1) {
          dropped.add(continuation);
        }
      }
    }
  }
  return lines
    .filter((_, index) => !dropped.has(index))
    .join('\n')
    .replace(FLOW_NAMED_PAIR, (whole, head: string, name: string, value: string) => (isSensitiveName(name) ? `${head}${value.startsWith('"') ? `"${REDACTED}"` : REDACTED}` : whole));
}

const DESCRIBE_ENTRY_KEY = /^([-._A-Za-z0-9]+):$/;
const DESCRIBE_RULE = /^-{3,}$/;

/**
 * `kubectl describe configmap` prints each entry as a "key:" line, a "----" rule, then the raw value on
 * the following lines, so the key-value rule never sees a sensitive key and its value on one line.
 * A sensitive entry's value is replaced by one marker up to the next entry or section ("BinaryData",
 * "Events:"); the marker also hides how many lines the value had.
 */
function redactDescribeDataEntries(text: string): string {
  if (!/^-{3,}$/m.test(text)) return text;
  const lines = text.split('\n');
  const isEntryStart = (index: number) => DESCRIBE_ENTRY_KEY.test(lines[index]) && DESCRIBE_RULE.test(lines[index + 1] ?? '');
  const isSectionStart = (index: number) => /^Events:/.test(lines[index]) || (/^\S/.test(lines[index]) && /^={3,}$/.test(lines[index + 1] ?? ''));
  const output: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    output.push(lines[index]);
    if (!isEntryStart(index) || !isSensitiveName(DESCRIBE_ENTRY_KEY.exec(lines[index])![1])) continue;
    output.push(lines[index + 1]);
    index += 2;
    const valueLines: string[] = [];
    while (index < lines.length && !isEntryStart(index) && !isSectionStart(index)) valueLines.push(lines[index++]);
    // kubectl ends each value with a blank line; keep it so the next entry still reads as one.
    const trailingBlank = valueLines.length > 1 && valueLines[valueLines.length - 1].trim() === '';
    output.push(REDACTED, ...(trailingBlank ? [''] : []));
    index -= 1;
  }
  return output.join('\n');
}

/**
 * Redacts free text: JSON documents are redacted structurally, YAML Secret documents have their data
 * blocks replaced, and in any text sensitive `KEY=value` lines and token-shaped strings are replaced.
 */
export function redactText(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(redactObject(JSON.parse(text)), null, 2);
    } catch {
      // not JSON after all; fall through to the line rules
    }
  }
  let result = redactNamedPairLines(redactDescribeDataEntries(redactLastAppliedLines(redactSecretYamlBlocks(text))));
  result = redactTokens(result);
  result = redactKeyValueLines(result);
  return result;
}


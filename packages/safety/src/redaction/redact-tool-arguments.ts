/**
 * The arguments of a tool call as an approval card may show and store them. Why: a Secret manifest proposed by
 * the model was stored in clear in approvals.args, the tool.awaiting_approval event and the timeline. The
 * approver needs to see *which* keys change and whether a value is the one they expect, never the value: each
 * secret value becomes `[REDACTED len=12 sha256:3f2a9c1b]` (its length and a digest prefix), and everything else
 * stays byte for byte as the model wrote it, so the manifest or values file stays readable.
 *
 * YAML/JSON arguments (k8s_apply content, k8s_patch patch, helm values) are edited in place: the secret scalars
 * are replaced at their positions in the source, so comments, order and layout survive. Other strings get the
 * text rules and objects the object rules of redact.ts, with the same describing mask.
 */
import { createHash, createHmac } from 'node:crypto';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Scalar } from 'yaml';
import { kindOf } from '../risk/resource-kinds.ts';
import { redactObject, redactText } from './redact.ts';
import { REDACTED, isCount, isSecretName, isTrivialValue, redactCommandArguments, type Mask } from './rules.ts';

export interface RedactToolArgumentsOptions {
  /**
   * Key for the digest (HMAC-SHA256 instead of SHA-256). Why: the digest prefix of a short password can be found
   * by guessing; with a server-side key only the server can compute it. Default: plain SHA-256.
   */
  digestKey?: string | Uint8Array;
}

/** "[REDACTED len=12 sha256:3f2a9c1b]": the length and the first 8 hex digits of the value's digest. */
export function describeSecretValue(value: string, options: RedactToolArgumentsOptions = {}): string {
  const digest = options.digestKey
    ? `hmac-sha256:${createHmac('sha256', options.digestKey).update(value).digest('hex').slice(0, 8)}`
    : `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 8)}`;
  return `[REDACTED len=${[...value].length} ${digest}]`;
}

/** Arguments holding YAML or JSON documents, by tool. */
const documentArguments: Record<string, string[]> = {
  k8s_apply: ['content'],
  k8s_patch: ['patch'],
  k8s_diff: ['content', 'patch'],
  helm_install_with_values: ['values'],
  helm_upgrade: ['values'],
  helm_template: ['values'],
  helm_upgrade_diff: ['values'],
};

const PAIR_VALUE_KEYS = new Set(['value', 'default', 'defaultValue']);
const SPLIT_FLAG = /^--?([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

interface Replacement {
  start: number;
  end: number;
  text: string;
}

interface Context {
  source: string;
  mask: Mask;
  replacements: Replacement[];
}

function scalarText(node: Scalar): string | undefined {
  if (node.value === null || node.value === undefined || typeof node.value === 'boolean') return undefined;
  return typeof node.value === 'string' ? node.value : String(node.value);
}

/** Replaces a scalar at its position in the source: double-quoted (JSON-compatible), or a block kept a block. */
function replaceScalar(node: Scalar, value: string, context: Context): void {
  if (!node.range) return;
  const [start, end] = node.range;
  const original = context.source.slice(start, end);
  let text: string;
  if ((node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') && value.includes('\n')) {
    const header = original.split('\n')[0]!;
    const indent = /\n([ \t]*)\S/.exec(original)?.[1] ?? '  ';
    const body = value.replace(/\n$/, '').split('\n').map((line) => (line ? `${indent}${line}` : line)).join('\n');
    text = `${header}\n${body}${original.endsWith('\n') ? '\n' : ''}`;
  } else {
    text = `${JSON.stringify(value)}${original.endsWith('\n') ? '\n' : ''}`;
  }
  context.replacements.push({ start, end, text });
}

function maskScalar(node: Scalar, context: Context): void {
  const value = scalarText(node);
  if (value === undefined || isTrivialValue(value)) return;
  replaceScalar(node, context.mask(value), context);
}

/** Free text inside a scalar (a config file in a ConfigMap, a command line): the text rules with the mask. */
function redactScalarText(node: Scalar, context: Context): void {
  if (typeof node.value !== 'string' || node.value.length < 6) return;
  const redacted = redactText(node.value, { mask: context.mask });
  if (redacted !== node.value) replaceScalar(node, redacted, context);
}

function visit(node: Node | null | undefined, context: Context, scope: { kind?: string; secretData?: boolean } = {}): void {
  if (!node) return;
  if (isScalar(node)) {
    if (scope.secretData) maskScalar(node, context);
    else redactScalarText(node, context);
    return;
  }
  if (isSeq(node)) {
    // A list of words is a command line too (`[mysql, -uroot, -pPASS]`): read whole, as redact.ts does.
    const words = node.items.every((item) => isScalar(item) && typeof item.value === 'string') ? node.items.map((item) => String((item as Scalar).value)) : undefined;
    const asCommand = words ? redactCommandArguments(words, context.mask) : undefined;
    node.items.forEach((item, index) => {
      if (asCommand && asCommand[index] !== words![index]) {
        replaceScalar(item as Scalar, asCommand[index]!, context);
        return;
      }
      const previous = node.items[index - 1];
      const flag = isScalar(previous) && typeof previous.value === 'string' ? SPLIT_FLAG.exec(previous.value) : null;
      if (flag && isSecretName(flag[1]!) && isScalar(item) && typeof item.value === 'string' && !item.value.startsWith('-')) maskScalar(item, context);
      else visit(item as Node, context, { kind: scope.kind });
    });
    return;
  }
  if (!isMap(node)) return;
  const valueOf = (key: string) => {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
    return pair && isScalar(pair.value) ? pair.value.value : undefined;
  };
  const kind = typeof valueOf('kind') === 'string' ? (valueOf('kind') as string) : scope.kind;
  const pairName = valueOf('name');
  const secretPair = typeof pairName === 'string' && isSecretName(pairName);
  const jsonPatchPath = typeof valueOf('op') === 'string' && typeof valueOf('path') === 'string' ? (valueOf('path') as string) : undefined;
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const value = pair.value as Node | null;
    if (scope.secretData) {
      if (isScalar(value)) maskScalar(value, context);
      else visit(value, context, scope);
    } else if (kind === 'Secret' && (key === 'data' || key === 'stringData')) {
      visit(value, context, { kind, secretData: true });
    } else if (key && isScalar(value) && ((secretPair && PAIR_VALUE_KEYS.has(key) && !isCount(pairName, String(value.value))) || (isSecretName(key) && !isCount(key, String(value.value))))) {
      maskScalar(value, context);
    } else if (key === 'value' && jsonPatchPath && isSecretPatchPath(jsonPatchPath, kind)) {
      // JSON patch: {op: add, path: /data/password, value: …} on a Secret, or a path ending in a secret name.
      if (isScalar(value)) maskScalar(value, context);
      else visit(value, context, { kind, secretData: true });
    } else {
      visit(value, context, { kind: key === 'metadata' ? undefined : kind });
    }
  }
}

function isSecretPatchPath(path: string, kind: string | undefined): boolean {
  const segments = path.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (kind === 'Secret' && (segments[0] === 'data' || segments[0] === 'stringData')) return true;
  const last = segments.at(-1) ?? '';
  return isSecretName(last);
}

/** A YAML/JSON document argument with its secret scalars replaced in place; unparsable text gets the text rules. */
function redactDocuments(source: string, mask: Mask, kind: string | undefined): string {
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(source) as Document.Parsed[];
  } catch {
    return redactText(source, { mask });
  }
  if (!Array.isArray(documents) || documents.some((document) => document.errors.length > 0)) return redactText(source, { mask });
  const context: Context = { source, mask, replacements: [] };
  for (const document of documents) visit(document.contents as Node | null, context, { kind });
  // Outermost first wins when two replacements overlap (a block scalar and a token inside it cannot both apply).
  const chosen = context.replacements
    .sort((a, b) => a.start - b.start || b.end - a.end)
    .filter((replacement, index, all) => !all.slice(0, index).some((other) => replacement.start < other.end && other.start < replacement.end));
  let result = source;
  for (const replacement of chosen.sort((a, b) => b.start - a.start)) result = `${result.slice(0, replacement.start)}${replacement.text}${result.slice(replacement.end)}`;
  return result;
}

/**
 * A copy of a tool call's arguments that is safe to show (approval card, events, timeline) and to store: every
 * secret value is replaced by its length and digest prefix, everything else is unchanged. The exact arguments
 * needed for execution are not recoverable from it (keep those encrypted, and only until the call is decided).
 */
export function redactToolArguments(tool: string, args: Record<string, unknown>, options: RedactToolArgumentsOptions = {}): Record<string, unknown> {
  return redactArgumentsWith(tool, args, (value) => describeSecretValue(value, options));
}

function redactArgumentsWith(tool: string, args: Record<string, unknown>, mask: Mask): Record<string, unknown> {
  const documents = documentArguments[tool] ?? [];
  // k8s_patch names the kind in resource_type: a patch of a Secret is a Secret fragment.
  const kind = tool === 'k8s_patch' || tool === 'k8s_diff' ? kindOf(args['resource_type'])?.kind : undefined;
  const output: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args ?? {})) {
    if ((typeof value === 'string' || typeof value === 'number') && isSecretName(key) && !(typeof value === 'string' && isTrivialValue(value))) {
      output[key] = mask(String(value));
    } else if (typeof value === 'string' && documents.includes(key)) {
      output[key] = redactDocuments(value, mask, kind);
    } else if (typeof value === 'string') {
      output[key] = value.length < 6 ? value : redactText(value, { mask });
    } else if (value && typeof value === 'object') {
      output[key] = redactObject(value, { mask });
    } else {
      output[key] = value;
    }
  }
  return output;
}

/** Shorter values are too generic to hide in free text (they would cut ordinary words out of an answer). */
const MINIMUM_PROPOSED_SECRET_LENGTH = 6;

/**
 * The secret values redactToolArguments hides in these arguments, for hiding them wherever else they appear: a
 * model that proposed a password in a manifest tends to repeat it in its answer ("I set the password to …").
 * Besides each value: each line of a multi-line value (a key file is quoted a line at a time), and the decoded
 * text of a base64 value (a Secret's `data` holds the password base64-encoded; the answer may spell it out).
 */
export function secretValuesInToolArguments(tool: string, args: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const add = (value: string) => {
    const trimmed = value.trim();
    if (trimmed.length >= MINIMUM_PROPOSED_SECRET_LENGTH && !isTrivialValue(trimmed) && !trimmed.startsWith('[REDACTED')) found.add(trimmed);
  };
  redactArgumentsWith(tool, args, (value) => {
    add(value);
    if (value.includes('\n')) for (const line of value.split('\n')) add(line);
    const decoded = decodedBase64(value.trim());
    if (decoded !== undefined) add(decoded);
    return REDACTED;
  });
  return [...found];
}

/** The text a base64 value encodes, when it is printable text (not a binary blob that only happens to decode). */
function decodedBase64(value: string): string | undefined {
  if (value.length < 8 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return /^[\x20-\x7e\t\r\n]+$/.test(decoded) ? decoded : undefined;
}

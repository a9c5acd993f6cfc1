/**
 * Small formatting helpers shared by the describers, each matching the kubectl function named in its
 * comment (k8s.io/kubectl/pkg/describe), so values read exactly as `kubectl describe` prints them.
 */
import { LEVEL_0, type DescribeWriter } from './describe-writer.ts';

/** Kubernetes objects arrive as JSON; the describers read them loosely, as kubectl's typed structs would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = Record<string, any>;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Go's time.RFC1123Z in the local zone ("Mon, 02 Jan 2006 15:04:05 -0700"); a missing time is Go's zero time. */
export function formatTime(timestamp: unknown): string {
  const parsed = typeof timestamp === 'string' ? new Date(timestamp) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) return 'Mon, 01 Jan 0001 00:00:00 +0000';
  const offset = -parsed.getTimezoneOffset();
  const zone = `${offset >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${DAYS[parsed.getDay()]}, ${pad(parsed.getDate())} ${MONTHS[parsed.getMonth()]} ${pad(parsed.getFullYear(), 4)} ${pad(parsed.getHours())}:${pad(parsed.getMinutes())}:${pad(parsed.getSeconds())} ${zone}`;
}

/** apimachinery's duration.HumanDuration. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const rest = seconds % 60;
    return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const rest = minutes % 60;
    return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const rest = hours % 24;
    return rest === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${rest}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: the age of a timestamp, or <unknown>. */
export function since(timestamp: unknown, now: number): string {
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  return Number.isNaN(time) ? '<unknown>' : humanDuration(now - time);
}

/** printBool */
export function printBool(value: unknown): string {
  return value ? 'True' : 'False';
}

/** Go's %v of a []string: "[a b]". */
export function goList(values: unknown): string {
  return `[${(Array.isArray(values) ? values : []).join(' ')}]`;
}

/** labels.FormatLabels: "k=v,k2=v2" sorted, or <none>. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length === 0 ? '<none>' : keys.map((key) => `${key}=${labels![key]}`).join(',');
}

/** metav1.LabelSelectorAsSelector(selector).String(): "" for none or everything. */
export function selectorString(selector: KubeObject | undefined | null): string {
  if (!selector) return '';
  const requirements: Array<{ key: string; text: string }> = [];
  for (const [key, value] of Object.entries((selector.matchLabels ?? {}) as Record<string, string>)) requirements.push({ key, text: `${key}=${value}` });
  for (const expression of selector.matchExpressions ?? []) {
    const values = [...(expression.values ?? [])].sort().join(',');
    const text =
      expression.operator === 'In' ? `${expression.key} in (${values})`
        : expression.operator === 'NotIn' ? `${expression.key} notin (${values})`
          : expression.operator === 'Exists' ? `${expression.key}`
            : `!${expression.key}`;
    requirements.push({ key: expression.key, text });
  }
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((requirement) => requirement.text).join(',');
}

/** Whether labels match a LabelSelector (an absent selector matches everything, as an empty query does). */
export function matchesSelector(labels: Record<string, string> | undefined, selector: KubeObject | undefined | null): boolean {
  const present = labels ?? {};
  for (const [key, value] of Object.entries((selector?.matchLabels ?? {}) as Record<string, string>)) if (present[key] !== value) return false;
  for (const expression of selector?.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(present, expression.key);
    const values: string[] = expression.values ?? [];
    if (expression.operator === 'In' && !(has && values.includes(present[expression.key]))) return false;
    if (expression.operator === 'NotIn' && has && values.includes(present[expression.key])) return false;
    if (expression.operator === 'Exists' && !has) return false;
    if (expression.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** metav1.FormatLabelSelector: like selectorString, but <none> when empty. */
export function formatLabelSelector(selector: KubeObject | undefined | null): string {
  return selectorString(selector) || '<none>';
}

/** printController: "Kind/name" of the controlling owner. */
export function controllerOf(object: KubeObject): string {
  const owner = (object.metadata?.ownerReferences ?? []).find((reference: KubeObject) => reference.controller === true);
  return owner ? `${owner.kind}/${owner.name}` : '';
}

/** printLabelsMultilineWithIndent */
export function printLabelsMultiline(writer: DescribeWriter, title: string, labels: Record<string, string> | undefined, initialIndent = '', innerIndent = '\t'): void {
  writer.write(LEVEL_0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) {
    writer.line('<none>');
    return;
  }
  keys.forEach((key, index) => {
    if (index !== 0) writer.write(LEVEL_0, `${initialIndent}${innerIndent}`);
    writer.write(LEVEL_0, `${key}=${labels![key]}\n`);
  });
}

const MAX_ANNOTATION_LENGTH = 140;
const SKIPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);

/** printAnnotationsMultiline: long or multi-line values go on their own lines, shortened to 140 characters. */
export function printAnnotationsMultiline(writer: DescribeWriter, title: string, annotations: Record<string, string> | undefined): void {
  writer.write(LEVEL_0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {}).filter((key) => !SKIPPED_ANNOTATIONS.has(key)).sort();
  if (keys.length === 0) {
    writer.line('<none>');
    return;
  }
  keys.forEach((key, index) => {
    if (index !== 0) writer.write(LEVEL_0, '\t');
    const value = String(annotations![key]).replace(/\n$/, '');
    if (Buffer.byteLength(value) + Buffer.byteLength(key) + 2 > MAX_ANNOTATION_LENGTH || value.includes('\n')) {
      writer.write(LEVEL_0, `${key}:\n`);
      for (const line of value.split('\n')) writer.write(LEVEL_0, `\t  ${shorten(line, MAX_ANNOTATION_LENGTH - 2)}\n`);
    } else {
      writer.write(LEVEL_0, `${key}: ${value}\n`);
    }
  });
}

function shorten(text: string, maxLength: number): string {
  const bytes = Buffer.from(text);
  return bytes.length > maxLength ? `${bytes.subarray(0, maxLength).toString()}...` : text;
}

/** printTolerationsMultilineWithIndent */
export function printTolerationsMultiline(writer: DescribeWriter, title: string, tolerations: KubeObject[] | undefined, initialIndent = '', innerIndent = '\t'): void {
  writer.write(LEVEL_0, `${initialIndent}${title}:${innerIndent}`);
  if (!tolerations?.length) {
    writer.line('<none>');
    return;
  }
  const sorted = [...tolerations].sort((a, b) => compareStrings(a.key ?? '', b.key ?? ''));
  sorted.forEach((toleration, index) => {
    if (index !== 0) writer.write(LEVEL_0, `${initialIndent}${innerIndent}`);
    let text = toleration.key ?? '';
    if (toleration.value) text += `=${toleration.value}`;
    if (toleration.effect) text += `:${toleration.effect}`;
    if (toleration.operator === 'Exists' && !toleration.value) text += toleration.key || toleration.effect ? ' op=Exists' : 'op=Exists';
    if (toleration.tolerationSeconds !== undefined && toleration.tolerationSeconds !== null) text += ` for ${toleration.tolerationSeconds}s`;
    writer.write(LEVEL_0, `${text}\n`);
  });
}

/** printTaintsMultilineWithIndent */
export function printTaintsMultiline(writer: DescribeWriter, title: string, taints: KubeObject[] | undefined): void {
  writer.write(LEVEL_0, `${title}:\t`);
  if (!taints?.length) {
    writer.line('<none>');
    return;
  }
  const sorted = [...taints].sort((a, b) => compareStrings(`${a.effect ?? ''},${a.key ?? ''}`, `${b.effect ?? ''},${b.key ?? ''}`));
  sorted.forEach((taint, index) => {
    if (index !== 0) writer.write(LEVEL_0, '\t');
    writer.write(LEVEL_0, `${taint.value ? `${taint.key}=${taint.value}` : taint.key}:${taint.effect}\n`);
  });
}

/** Go's string ordering (by UTF-8 bytes; code units agree for the ASCII names Kubernetes allows). */
export function compareStrings(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Go's %v of an intstr.IntOrString. */
export function intOrString(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/**
 * `kubectl describe rollout` (Argo Rollouts). kubectl has no Rollout describer: it uses its generic one,
 * which prints every field of the object (printUnstructuredContent) under labels derived from the field
 * names, then the events. This is that generic describer.
 */
import type { NativeDescriber } from './describe-context.ts';
import { eventsOrNone, referenceTo, writeEvents } from './describe-events.ts';
import { compareStrings, printAnnotationsMultiline, printLabelsMultiline, type KubeObject } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0, type DescribeWriter } from './describe-writer.ts';

const SKIPPED = new Set(['.metadata.managedFields', '.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations']);
const ACRONYMS = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);

export const describeRollout: NativeDescriber = {
  group: 'argoproj.io',
  kind: 'Rollout',
  version: 'v1alpha1',
  async describe(rollout, context) {
    const events = await eventsOrNone(context, referenceTo(rollout, rollout.kind ?? 'Rollout'));
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${rollout.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${rollout.metadata.namespace ?? ''}\n`);
    printLabelsMultiline(writer, 'Labels', rollout.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', rollout.metadata.annotations);
    printUnstructuredContent(writer, LEVEL_0, rollout, '');
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

/** printUnstructuredContent: fields in Go's sorted order, maps and lists as nested blocks, scalars as "Label:\tvalue". */
function printUnstructuredContent(writer: DescribeWriter, level: number, content: KubeObject, skipPrefix: string): void {
  for (const field of Object.keys(content).sort(compareStrings)) {
    const value = content[field];
    const path = `${skipPrefix}.${field}`;
    if (SKIPPED.has(path)) continue;
    if (Array.isArray(value)) {
      writer.write(level, `${smartLabel(field)}:\n`);
      for (const child of value) {
        if (isMap(child)) printUnstructuredContent(writer, level + 1, child, path);
        else writer.write(level + 1, `${goValue(child)}\n`);
      }
    } else if (isMap(value)) {
      writer.write(level, `${smartLabel(field)}:\n`);
      printUnstructuredContent(writer, level + 1, value, path);
    } else {
      writer.write(level, `${smartLabel(field)}:\t${goValue(value)}\n`);
    }
  }
}

function isMap(value: unknown): value is KubeObject {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

/** Go's %v of a decoded JSON scalar. */
function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  return String(value);
}

/** smartLabelFor: "podTemplateHash" → "Pod Template Hash", "apiVersion" → "API Version"; fields with digits or symbols stay as they are. */
export function smartLabel(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  return camelCaseSplit(field)
    .filter((part) => part !== '_')
    .map((part) => (ACRONYMS.has(part.toUpperCase()) ? part.toUpperCase() : part.charAt(0).toUpperCase() + part.slice(1)))
    .join(' ');
}

/** github.com/fatih/camelcase.Split */
function camelCaseSplit(text: string): string[] {
  const classOf = (character: string) => (/\p{Ll}/u.test(character) ? 1 : /\p{Lu}/u.test(character) ? 2 : /\p{Nd}/u.test(character) ? 3 : 4);
  const runs: string[][] = [];
  let last = 0;
  for (const character of text) {
    const current = classOf(character);
    if (current === last) runs[runs.length - 1].push(character);
    else runs.push([character]);
    last = current;
  }
  // "PDFL" + "oader" → "PDF" + "Loader"
  for (let index = 0; index < runs.length - 1; index += 1) {
    if (classOf(runs[index][0]) === 2 && classOf(runs[index + 1][0]) === 1) {
      runs[index + 1].unshift(runs[index].pop()!);
    }
  }
  return runs.filter((run) => run.length > 0).map((run) => run.join(''));
}

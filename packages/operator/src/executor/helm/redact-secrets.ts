/**
 * Secret values out of a rendered manifest (issue 73 item 6): what the executor's Helm render answers the MCP server.
 * Every Secret document (and every Secret item of a List) keeps its keys, each `data`/`stringData` value replaced by
 * `<redacted>` (a document that does not parse is replaced whole). The replacement is made in the text at the value's own position, so everything else (comments, `#
 * Source:` lines, layout) stays byte for byte and the live and proposed sides diff as helm printed them.
 */
import { replaceSecretValues } from '@skyflo/safety';
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';

export const redactedValue = '<redacted>';

export function redactSecretValues(manifest: string): string {
  const ranges: Array<[number, number]> = [];
  const secretValues = (node: unknown) => {
    if (!isMap(node)) return;
    const kind = node.get('kind');
    if (kind === 'Secret') {
      for (const field of ['data', 'stringData']) {
        const values = node.get(field, true);
        if (!isMap(values)) continue;
        for (const pair of values.items) {
          if (!isPair(pair)) continue;
          const value = pair.value as Node | null;
          if (value?.range && !(isScalar(value) && value.value === null && value.range[0] === value.range[1])) ranges.push([value.range[0], value.range[1]]);
        }
      }
    } else if (typeof kind === 'string' && kind.endsWith('List')) {
      const items = node.get('items', true);
      if (isSeq(items)) for (const item of items.items) secretValues(item);
    }
  };
  for (const document of parseAllDocuments(manifest)) {
    // a document that does not parse cannot be told apart from a Secret: none of it is answered
    if (document.errors.length === 0) secretValues(document.contents);
    else ranges.push([document.range[0], document.range[1]]);
  }
  let text = manifest;
  for (const [start, end] of ranges.sort((a, b) => b[0] - a[0])) {
    // a block scalar's range takes its final line break: keep it, or the next key would join this line
    text = `${text.slice(0, start)}${redactedValue}${text.slice(start, end).endsWith('\n') ? '\n' : ''}${text.slice(end)}`;
  }
  return text;
}

/** Every occurrence of `values` (secretValuesOf, @skyflo/safety) in `text` replaced by `<redacted>`. */
export const redactValues = (text: string, values: readonly string[]): string => replaceSecretValues(text, values, redactedValue);

/**
 * `kubectl describe configmap`, natively (ConfigMapDescriber). Values are printed as kubectl prints them;
 * the redaction rules that run on every tool result replace sensitive keys' values and token shapes.
 * kubectl walks the data in Go's random map order; here keys are sorted, so repeated calls read the same.
 */
import type { NativeDescriber } from './describe-context.ts';
import { searchEvents, referenceTo, writeEvents } from './describe-events.ts';
import { compareStrings, printAnnotationsMultiline, printLabelsMultiline } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0 } from './describe-writer.ts';

export const describeConfigMap: NativeDescriber = {
  group: '',
  kind: 'ConfigMap',
  version: 'v1',
  async describe(configMap, context) {
    // Unlike most describers, kubectl fails a ConfigMap describe when the events cannot be listed.
    const events = await searchEvents(context, referenceTo(configMap, 'ConfigMap'));
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${configMap.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${configMap.metadata.namespace}\n`);
    printLabelsMultiline(writer, 'Labels', configMap.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', configMap.metadata.annotations);
    writer.write(LEVEL_0, '\nData\n====\n');
    for (const key of Object.keys(configMap.data ?? {}).sort(compareStrings)) {
      writer.write(LEVEL_0, `${key}:\n----\n`);
      writer.write(LEVEL_0, `${configMap.data[key]}\n`);
      writer.write(LEVEL_0, '\n');
    }
    writer.write(LEVEL_0, '\nBinaryData\n====\n');
    for (const key of Object.keys(configMap.binaryData ?? {}).sort(compareStrings)) {
      writer.write(LEVEL_0, `${key}: ${Buffer.from(String(configMap.binaryData[key]), 'base64').length} bytes\n`);
    }
    writer.write(LEVEL_0, '\n');
    writeEvents(writer, events, context.now);
    return writer.toString();
  },
};

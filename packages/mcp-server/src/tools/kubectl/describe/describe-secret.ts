/**
 * `kubectl describe secret`, natively (SecretDescriber), without ever printing a value. kubectl prints each
 * value's size, and for a service-account token Secret the token itself; here:
 * - the token of a service-account token Secret is always [REDACTED];
 * - a value shorter than MIN_SIZED_BYTES is [REDACTED]: the length of a short, human-chosen secret (a
 *   password, a PIN) narrows a guess, so not even its size is shown;
 * - a longer value shows its size ("1708 bytes"), as kubectl does: certificates, keys, tokens and
 *   kubeconfigs have sizes fixed by their format, which tell nothing about their content.
 * Keys are sorted (kubectl walks Go's random map order). The redaction rules applied to every tool result
 * still run afterwards (e.g. a key named like a password has its line redacted whatever it shows).
 */
import type { NativeDescriber } from './describe-context.ts';
import { compareStrings, printAnnotationsMultiline, printLabelsMultiline } from './describe-format.ts';
import { createDescribeWriter, LEVEL_0 } from './describe-writer.ts';
import { REDACTED } from '@skyflo/safety';

export const MIN_SIZED_BYTES = 32;

export const describeSecret: NativeDescriber = {
  group: '',
  kind: 'Secret',
  version: 'v1',
  withoutEvents: true,
  async describe(secret) {
    const writer = createDescribeWriter();
    writer.write(LEVEL_0, `Name:\t${secret.metadata.name}\n`);
    writer.write(LEVEL_0, `Namespace:\t${secret.metadata.namespace}\n`);
    printLabelsMultiline(writer, 'Labels', secret.metadata.labels);
    printAnnotationsMultiline(writer, 'Annotations', secret.metadata.annotations);
    writer.write(LEVEL_0, `\nType:\t${secret.type ?? ''}\n`);
    writer.write(LEVEL_0, '\nData\n====\n');
    for (const key of Object.keys(secret.data ?? {}).sort(compareStrings)) {
      writer.write(LEVEL_0, `${key}:\t${sizeOrRedacted(secret, key)}\n`);
    }
    return writer.toString();
  },
};

function sizeOrRedacted(secret: Record<string, any>, key: string): string {
  if (key === 'token' && secret.type === 'kubernetes.io/service-account-token') return REDACTED;
  const bytes = Buffer.from(String(secret.data[key] ?? ''), 'base64').length;
  return bytes >= MIN_SIZED_BYTES ? `${bytes} bytes` : REDACTED;
}

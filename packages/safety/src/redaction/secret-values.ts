/**
 * Secret values a chart's `lookup` may have copied into rendered objects. Why: Helm previews render against the live
 * cluster (so they show what the install will create), and a template can read a Secret with lookup and print its value
 * into a ConfigMap, an annotation or an env var, where the Secret-shape redaction rules never look. The values of the
 * Secrets a preview's renderer can read are collected (never returned to a caller) and every occurrence in the shown
 * manifests is replaced, in clear and base64 form alike. Used by the MCP server's own previews and by the executor's
 * renders on an enforcing cluster, so both hide the same values.
 */
import { REDACTED } from './names.ts';

/**
 * Shorter values are left alone: "true", "admin" or "8080" would blank out half a manifest. Their keys are still
 * redacted by the name rules (password:, token: …) wherever they keep their name.
 */
const minSecretLength = 6;

/** helm's own release records: large gzipped blobs that never appear in a manifest. */
const skippedTypes = new Set(['helm.sh/release.v1']);

export interface SecretWithData {
  type?: string;
  data?: Record<string, unknown> | null;
}

/** The values (base64, decoded, and each line of a multi-line one) of `secrets`, longest first. */
export function secretValuesOf(secrets: readonly SecretWithData[]): string[] {
  const values = new Set<string>();
  const add = (value: string) => {
    const trimmed = value.trim();
    if (trimmed.length >= minSecretLength) values.add(trimmed);
  };
  for (const secret of secrets) {
    if (secret.type && skippedTypes.has(secret.type)) continue;
    for (const encoded of Object.values(secret.data ?? {})) {
      if (typeof encoded !== 'string') continue;
      add(encoded);
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      add(decoded);
      // a multi-line value (a PEM key, a config file) is printed indented line by line in YAML
      for (const line of decoded.split('\n')) add(line);
    }
  }
  // longest first, so a value that contains a shorter one is replaced whole
  return [...values].sort((a, b) => b.length - a.length);
}

/** Every occurrence of `values` in `text` replaced by `replacement`. */
export function replaceSecretValues(text: string, values: readonly string[], replacement: string = REDACTED): string {
  let redacted = text;
  for (const value of values) if (redacted.includes(value)) redacted = redacted.split(value).join(replacement);
  return redacted;
}

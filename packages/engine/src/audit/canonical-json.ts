/**
 * Canonical JSON (the RFC 8785 idea, for the values the audit trail stores): object keys sorted by UTF-16 code
 * units, no whitespace, `undefined` members dropped, non-finite numbers as null. Why: the same record must hash
 * the same whichever driver read it back, and jsonb does not keep the key order it was given.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** Unpaired UTF-16 surrogates and NUL: jsonb refuses both, and one odd byte must not lose a whole audit record. */
const unstorable = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/g;
const storable = (text: string) => text.replace(unstorable, '\uFFFD');

/**
 * What a value looks like once stored as jsonb and read back (Dates become strings, undefined members vanish, text
 * jsonb cannot hold becomes U+FFFD), so the hash computed before the insert matches the row read back.
 */
export function asStoredJson<T>(value: T): T {
  const text = JSON.stringify(value ?? {}, (_key, inner: unknown) =>
    typeof inner === 'string' ? storable(inner) : inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).map(([key, item]) => [storable(key), item])) : inner,
  );
  return JSON.parse(text) as T;
}

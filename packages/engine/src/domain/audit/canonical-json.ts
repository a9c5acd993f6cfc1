/**
 * Canonical JSON (the RFC 8785 idea: keys sorted by UTF-16 code units, no whitespace, `undefined` members dropped,
 * non-finite numbers as null), written once in @skyflo/protocol — the audit trail, the SkyfloApproval signature and
 * the admission content hashes all use it. Why here: the same record must hash the same whichever driver read it back,
 * and jsonb does not keep the key order it was given.
 */
export { canonicalJson } from '@skyflo/protocol';

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

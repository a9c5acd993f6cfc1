/**
 * Helm's release record, as its storage Secret holds it (issue 73 item 5): `data.release` is base64 (the API's
 * encoding of Secret bytes) of helm's own base64 of the gzipped JSON release. The webhook reads the manifest it carries
 * and compares it with the approved one by fingerprint: the objects of the manifest and its hooks, in order, as
 * canonical JSON — so layout and comments (`# Source:` lines, trailing newlines) do not matter, every field does.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { canonicalJson } from '@skyflo/protocol';

export interface HelmReleaseRecord {
  name: string;
  manifest: string;
  hooks: Array<{ path?: string; manifest?: string }>;
}

/** The release a storage Secret holds, or undefined when it holds none that parses. */
export function readHelmRelease(secret: Record<string, unknown> | null | undefined): HelmReleaseRecord | undefined {
  const encoded = (secret?.['data'] as Record<string, unknown> | undefined)?.['release'];
  if (typeof encoded !== 'string') return undefined;
  try {
    const helmEncoded = Buffer.from(encoded, 'base64').toString('utf8');
    let bytes = Buffer.from(helmEncoded, 'base64');
    // helm gzips the JSON (magic 1f 8b); older records are plain JSON
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes, { maxOutputLength: 64 * 1024 * 1024 });
    const release = JSON.parse(bytes.toString('utf8')) as { name?: unknown; manifest?: unknown; hooks?: unknown };
    if (typeof release.name !== 'string') return undefined;
    return { name: release.name, manifest: typeof release.manifest === 'string' ? release.manifest : '', hooks: Array.isArray(release.hooks) ? (release.hooks as HelmReleaseRecord['hooks']) : [] };
  } catch {
    return undefined;
  }
}

/** The fingerprint of a manifest text: its documents, in order, as canonical JSON. */
export function manifestFingerprint(manifest: string): string {
  const documents = parseAllDocuments(manifest)
    .map((document) => document.toJSON() as unknown)
    .filter((value) => value !== null && value !== undefined);
  return createHash('sha256').update(canonicalJson(documents)).digest('hex');
}

/** The fingerprint of what a release record installs: its manifest, then its hooks. */
export const releaseFingerprint = (release: HelmReleaseRecord): string =>
  manifestFingerprint([release.manifest, ...release.hooks.map((hook) => hook.manifest ?? '')].map((text) => text.replace(/\n*$/, '\n')).join('---\n'));

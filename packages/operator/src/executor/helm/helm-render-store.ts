/**
 * The executor's own Helm renders (issue 73 item 6), kept so that a Helm call's credential is computed from what the
 * executor itself rendered, never from a manifest the MCP server (which only ever sees it with Secret values redacted)
 * or anyone else sends. Keyed by the digest of the unredacted proposed manifest: the approval's signed diffHash is
 * previewHash(previewText, digest), so at mint time the render whose digest, with the approved preview text, hashes to
 * it is the approved one. Bounded (oldest dropped first) and with a TTL: an approval waits for a person, but the engine
 * re-runs the preview right before it executes, which renders again and refreshes the entry.
 */
import { previewHash } from '@skyflo/protocol/approval-hashes';
import type { HelmStorageWrites } from '@skyflo/protocol';

export interface HelmRender {
  release: string;
  namespace: string;
  /** the proposed manifest and hooks, unredacted (Secret values in clear: never leaves the executor) */
  manifest: string;
  /** the live release's manifest and hooks, unredacted ('' for an install) */
  liveManifest: string;
  storage: HelmStorageWrites;
  /** manifestDigestOf(manifest) */
  digest: string;
}

export interface HelmRenderStore {
  remember(render: HelmRender): void;
  /** The render of `release` whose digest, with the approved preview text, hashes to the approval's diffHash. */
  approved(query: { release: string; namespace: string; previewText: string; diffHash: string }): HelmRender | undefined;
}

export function createHelmRenderStore(options: { now?: () => number; maxEntries?: number; ttlMs?: number } = {}): HelmRenderStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 200;
  const ttlMs = options.ttlMs ?? 2 * 60 * 60_000;
  // Map keeps insertion order: re-inserting on each render makes the first key the least recently rendered
  const entries = new Map<string, { render: HelmRender; at: number }>();

  const drop = () => {
    for (const [key, entry] of entries) if (now() - entry.at > ttlMs) entries.delete(key);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    remember(render) {
      const key = `${render.namespace}/${render.release}/${render.digest}`;
      entries.delete(key);
      entries.set(key, { render, at: now() });
      drop();
    },
    approved({ release, namespace, previewText, diffHash }) {
      drop();
      for (const { render } of entries.values()) {
        if (render.release === release && render.namespace === namespace && previewHash(previewText, render.digest) === diffHash) return render;
      }
      return undefined;
    },
  };
}

/**
 * The row PostgresSaver's SELECT_SQL would return for a checkpoint this process just wrote, built from what it wrote
 * and the thread's previous row as the database returned it (issue 38). Why: reading the row back after each write
 * was the costliest statement of a run on the PGlite thread (~3 ms): it returns every channel's blob, and the
 * `messages` blob is the whole conversation, so it grew with every turn.
 *
 * Built only when it is exactly the database's answer:
 *   - a channel's blob is the one this write inserted (the blob insert says, with RETURNING, that it inserted every one;
 *     otherwise a blob of that version was already there and the database keeps its own) or, for a channel whose
 *     version did not change, the previous row's (the database's own answer for that version);
 *   - the JSON columns are what PostgreSQL's jsonb returns for what was sent: the same values, keys in jsonb's order
 *     (shorter first, then by their bytes);
 *   - the pending writes are read in the same transaction (a cheap query: no blobs of channels);
 * and never for a version that is not a plain integer or string (jsonb would print it differently). Anything else is
 * read back as before.
 */
import type { CheckpointRow } from './latest-checkpoint-cache.ts';

type Blob = [threadId: string, checkpointNs: string, channel: string, version: string, type: string, value: Uint8Array | undefined];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** jsonb's key order: shorter keys first, then by their UTF-8 bytes. */
function jsonbKeyOrder(a: string, b: string): number {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length - right.length || Buffer.compare(left, right);
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(source).sort(jsonbKeyOrder).map((key) => [key, sortedKeys(source[key])]));
}

/** What a jsonb column returns for `value` sent as JSON. */
export function asJsonb(value: unknown): unknown {
  return sortedKeys(JSON.parse(JSON.stringify(value)));
}

/** A version jsonb prints as String() does: a safe integer or a string. */
const plainVersion = (version: unknown): version is number | string => typeof version === 'string' || (typeof version === 'number' && Number.isSafeInteger(version));

export interface WrittenCheckpoint {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
  parentId: string | undefined;
  /** the checkpoint column as sent (PostgresSaver's _dumpCheckpoint) */
  checkpoint: { channel_versions?: Record<string, unknown> } & Record<string, unknown>;
  /** the metadata column as sent */
  metadata: unknown;
  /** the blob rows this write inserts (PostgresSaver's _dumpBlobs) */
  blobs: Blob[];
}

/**
 * Returns how to finish the row once the write's transaction answered (its pending writes), or undefined when a
 * channel's blob is known neither from this write nor from `previous` (the thread's row before it, as the database
 * returned it; null: the thread had none).
 */
export function planWrittenRow(written: WrittenCheckpoint, previous: CheckpointRow | null): ((pendingWrites: unknown) => CheckpointRow) | undefined {
  const versions = written.checkpoint.channel_versions ?? {};
  const previousVersions = ((previous?.['checkpoint'] as { channel_versions?: Record<string, unknown> } | undefined)?.channel_versions ?? {}) as Record<string, unknown>;
  const previousBlobs = new Map(((previous?.['channel_values'] as Array<[Uint8Array, Uint8Array, Uint8Array | null]> | null | undefined) ?? []).map((entry) => [decoder.decode(entry[0]), entry]));
  const inserted = new Map(written.blobs.map((blob) => [`${blob[2]}\u0000${blob[3]}`, blob]));
  const channelValues: Array<[Uint8Array, Uint8Array, Uint8Array | null]> = [];
  for (const channel of Object.keys(versions).sort(jsonbKeyOrder)) {
    const version = versions[channel];
    if (!plainVersion(version)) return undefined;
    const ours = inserted.get(`${channel}\u0000${String(version)}`);
    if (ours) {
      channelValues.push([encoder.encode(channel), encoder.encode(ours[4]), ours[5] ?? null]);
      continue;
    }
    const before = previousVersions[channel];
    const kept = previousBlobs.get(channel);
    if (!kept || !plainVersion(before) || String(before) !== String(version)) return undefined;
    channelValues.push(kept);
  }
  const checkpoint = asJsonb(written.checkpoint);
  const metadata = asJsonb(written.metadata);
  return (pendingWrites) => ({
    thread_id: written.threadId,
    checkpoint,
    checkpoint_ns: written.checkpointNs,
    checkpoint_id: written.checkpointId,
    parent_checkpoint_id: written.parentId ?? null,
    metadata,
    channel_values: channelValues.length > 0 ? channelValues : null,
    pending_writes: pendingWrites ?? null,
  });
}

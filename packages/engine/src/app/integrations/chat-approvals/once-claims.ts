/**
 * Each inbound chat request accepted once across every engine on the database (a Slack signature, a Teams activity
 * id): a settings claim whose key is `<prefix><time, 12 digits>.<sha256 of the id>`, the first writer of a key winning
 * (putIfAbsent is one INSERT … ON CONFLICT DO NOTHING), so two processes given the same request cannot both accept
 * it, nor one after a restart. The time (Slack's request timestamp, the Teams token's expiry) is what the chat's own
 * check refuses a request by once it is old; claims older than that check are pruned by key range, so the table does
 * not grow with every click ever made.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ExpiringSettings, SettingsStore } from '../../../platform/ports/index.ts';

/** At most this many claims are removed per prune (one bounded DELETE); a full batch prunes again on the next request. */
const PRUNE_BATCH = 500;
/** How often one engine prunes (only when requests arrive: claims are written by requests only). */
const PRUNE_INTERVAL_MS = 60_000;

export interface OnceClaimsOptions {
  settings: Pick<SettingsStore, 'putIfAbsent'> & ExpiringSettings;
  prefix: string;
  /** a claim is pruned once its time is this much older than now (when every engine's own check refuses it anyway) */
  pruneAfterSeconds: number;
  /** logged when a prune fails, e.g. 'could not prune old Slack click signatures' */
  pruneFailure: string;
  logger?: { error(object: unknown, message?: string): void };
}

export interface OnceClaims {
  /** true the first time `id` is claimed at `time` (seconds), on any engine; prunes old claims now and then */
  claim(time: number, id: string, nowSeconds: number): Promise<boolean>;
}

export function createOnceClaims(options: OnceClaimsOptions): OnceClaims {
  let lastPrunedAt = Number.NEGATIVE_INFINITY;
  /** the keys of claims at this time start with this; every older claim's key sorts before it */
  const claimsAt = (time: number) => `${options.prefix}${String(time).padStart(12, '0')}.`;

  /** Removes claims the chat's check refuses anyway; a failure is logged, never turned into a refused request. */
  async function prune(nowSeconds: number): Promise<void> {
    const nowMs = nowSeconds * 1000;
    if (nowMs - lastPrunedAt < PRUNE_INTERVAL_MS) return;
    lastPrunedAt = nowMs;
    try {
      const removed = await options.settings.removeKeysBefore(options.prefix, claimsAt(nowSeconds - options.pruneAfterSeconds), PRUNE_BATCH);
      if (removed === PRUNE_BATCH) lastPrunedAt = Number.NEGATIVE_INFINITY;
    } catch (error) {
      options.logger?.error({ err: error }, options.pruneFailure);
    }
  }

  return {
    async claim(time, id, nowSeconds) {
      const mine = { at: nowSeconds, claim: randomUUID() };
      const stored = (await options.settings.putIfAbsent(`${claimsAt(time)}${createHash('sha256').update(id).digest('hex')}`, mine)) as { claim?: string } | null;
      await prune(nowSeconds);
      return stored?.claim === mine.claim;
    },
  };
}

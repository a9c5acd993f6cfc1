/**
 * Verifies a request Slack sends (a button click): the app's signing secret (v0 HMAC over `v0:<timestamp>:<body>`),
 * a timestamp within Slack's 5-minute tolerance, and each signature accepted once. The accepted signatures are
 * remembered in the database, not in one process's memory, so a click replayed to another engine process, or after a
 * restart, is refused too; they are pruned once their timestamp is so old that the timestamp check refuses them
 * anyway, so the table does not grow with every click ever made.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ExpiringSettings, SettingsStore } from '../../ports/index.ts';

/**
 * Settings key prefix of accepted signatures, shared by every engine on the database. The key is
 * `<prefix><timestamp, 12 digits>.<sha256 of the signature>`: the zero-padded timestamp lets expired claims be
 * removed by key range.
 */
export const SLACK_SIGNATURE_PREFIX = 'slack.click_signature.';
/** Slack's tolerance: a request whose timestamp is further from now than this is refused (Slack's documented rule). */
export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 300;
/**
 * A claim is pruned once its timestamp is older than twice the tolerance: by then every engine's timestamp check
 * refuses it, even one whose clock is up to 5 minutes behind the engine that prunes.
 */
const PRUNE_AFTER_SECONDS = 2 * SLACK_TIMESTAMP_TOLERANCE_SECONDS;
/** At most this many claims are removed per prune (one bounded DELETE); a full batch prunes again on the next click. */
const PRUNE_BATCH = 500;
/** How often one engine prunes (only when clicks arrive: claims are written by clicks only). */
const PRUNE_INTERVAL_MS = 60_000;

export interface SlackRequestVerifierDeps {
  settings: Pick<SettingsStore, 'putIfAbsent'> & ExpiringSettings;
  now: () => Date;
  logger?: { error(object: unknown, message?: string): void };
}

export interface SlackRequestVerifier {
  /** why the request is refused, or undefined when it is Slack's, fresh, and seen for the first time */
  verify(signingSecret: string, headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<string | undefined>;
}

/** the keys of claims with this timestamp start with this; every older claim's key sorts before it */
const claimsAt = (timestamp: number) => `${SLACK_SIGNATURE_PREFIX}${String(timestamp).padStart(12, '0')}.`;
const claimKey = (timestamp: number, signature: string) => `${claimsAt(timestamp)}${createHash('sha256').update(signature).digest('hex')}`;

export function createSlackRequestVerifier(deps: SlackRequestVerifierDeps): SlackRequestVerifier {
  let lastPrunedAt = Number.NEGATIVE_INFINITY;

  /**
   * Claims a signature once for every engine on the database: the first writer of its key wins (putIfAbsent is one
   * INSERT … ON CONFLICT DO NOTHING), so two processes given the same click cannot both accept it.
   */
  async function claim(timestamp: number, signature: string, nowSeconds: number): Promise<boolean> {
    const mine = { at: nowSeconds, claim: randomUUID() };
    const stored = (await deps.settings.putIfAbsent(claimKey(timestamp, signature), mine)) as { claim?: string } | null;
    return stored?.claim === mine.claim;
  }

  /** Removes claims the timestamp check refuses anyway; a failure is logged, never turned into a refused click. */
  async function prune(nowSeconds: number): Promise<void> {
    const nowMs = nowSeconds * 1000;
    if (nowMs - lastPrunedAt < PRUNE_INTERVAL_MS) return;
    lastPrunedAt = nowMs;
    try {
      const removed = await deps.settings.removeKeysBefore(SLACK_SIGNATURE_PREFIX, claimsAt(nowSeconds - PRUNE_AFTER_SECONDS), PRUNE_BATCH);
      if (removed === PRUNE_BATCH) lastPrunedAt = Number.NEGATIVE_INFINITY;
    } catch (error) {
      deps.logger?.error({ err: error }, 'could not prune old Slack click signatures');
    }
  }

  return {
    async verify(signingSecret, headers, rawBody) {
      const timestamp = Number(headers['x-slack-request-timestamp']);
      const signature = String(headers['x-slack-signature'] ?? '');
      if (!Number.isInteger(timestamp) || timestamp < 0 || !signature.startsWith('v0=')) return 'missing or malformed Slack signature headers';
      const nowSeconds = Math.floor(deps.now().getTime() / 1000);
      if (Math.abs(nowSeconds - timestamp) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) return 'the request timestamp is more than 5 minutes away (a replay, or a wrong clock)';
      const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'the Slack signature does not match (not signed with this app\'s signing secret)';
      // outside the window the timestamp check refuses it anyway; inside it, the stored claim does
      const first = await claim(timestamp, signature, nowSeconds);
      await prune(nowSeconds);
      return first ? undefined : 'this signed request was already received (a replay)';
    },
  };
}

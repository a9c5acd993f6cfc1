/**
 * Verifies a request Slack sends (a button click): the app's signing secret (v0 HMAC over `v0:<timestamp>:<body>`),
 * a timestamp within Slack's 5-minute tolerance, and each signature accepted once. The accepted signatures are
 * remembered in the database, not in one process's memory, so a click replayed to another engine process, or after a
 * restart, is refused too; they are pruned once their timestamp is so old that the timestamp check refuses them
 * anyway, so the table does not grow with every click ever made.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ExpiringSettings, SettingsStore } from '../../../platform/ports/index.ts';
import { createOnceClaims } from '../../../app/integrations/chat-approvals/once-claims.ts';

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

export interface SlackRequestVerifierDeps {
  settings: Pick<SettingsStore, 'putIfAbsent'> & ExpiringSettings;
  now: () => Date;
  logger?: { error(object: unknown, message?: string): void };
}

export interface SlackRequestVerifier {
  /** why the request is refused, or undefined when it is Slack's, fresh, and seen for the first time */
  verify(signingSecret: string, headers: Record<string, string | string[] | undefined>, rawBody: string): Promise<string | undefined>;
}

export function createSlackRequestVerifier(deps: SlackRequestVerifierDeps): SlackRequestVerifier {
  const claims = createOnceClaims({ settings: deps.settings, prefix: SLACK_SIGNATURE_PREFIX, pruneAfterSeconds: PRUNE_AFTER_SECONDS, pruneFailure: 'could not prune old Slack click signatures', ...(deps.logger ? { logger: deps.logger } : {}) });

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
      const first = await claims.claim(timestamp, signature, nowSeconds);
      return first ? undefined : 'this signed request was already received (a replay)';
    },
  };
}

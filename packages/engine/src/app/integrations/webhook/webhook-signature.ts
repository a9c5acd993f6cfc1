/**
 * Webhook signatures: `X-Skyflo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The
 * timestamp is inside the signed text, so a receiver that refuses old timestamps (default: 5 minutes) is safe from a
 * replayed delivery; `X-Skyflo-Delivery` (the delivery id) lets it drop duplicates of a retry within the window.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signWebhookBody(secret: string, body: string, at: Date = new Date()): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** Why a signature is not acceptable, or undefined when it is (for receivers and tests). */
export function webhookSignatureProblem(secret: string, header: string | undefined, body: string, now: Date = new Date(), toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): string | undefined {
  if (!header) return 'missing signature';
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts['t']);
  if (!Number.isInteger(timestamp) || !parts['v1']) return 'malformed signature';
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return 'timestamp outside the tolerance (replayed or clock skew)';
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
  const given = Buffer.from(parts['v1'], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'signature does not match the body';
}

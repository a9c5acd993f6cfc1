import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ParsedScenario } from '../scenario/scenario-schema.ts';

export type Authentication = { kind: 'user'; id: string; fullName: string } | { kind: 'anonymous' } | { kind: 'invalid'; id: string };

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Basic auth with user id + API token, as Jenkins accepts from scripts. */
export function authenticate(users: ParsedScenario['users'], header: string | undefined): Authentication {
  const encoded = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return { kind: 'anonymous' };
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  const id = separator === -1 ? decoded : decoded.slice(0, separator);
  const token = separator === -1 ? '' : decoded.slice(separator + 1);
  const user = users.find((candidate) => candidate.id === id);
  if (!user || !safeEqual(user.token, token)) return { kind: 'invalid', id };
  return { kind: 'user', id: user.id, fullName: user.fullName ?? user.id };
}

/**
 * CSRF crumbs bound to the user, like Jenkins' DefaultCrumbIssuer: a crumb fetched as one user is not valid for another,
 * and crumbs from an earlier sim instance are not valid (fresh secret per start).
 */
export function createCrumbIssuer() {
  const secret = randomBytes(32);
  const crumbFor = (userId: string) => createHmac('sha256', secret).update(`crumb:${userId}`).digest('hex');
  return {
    crumbFor,
    isValid: (userId: string, crumb: string | undefined) => crumb !== undefined && safeEqual(crumbFor(userId), crumb),
  };
}

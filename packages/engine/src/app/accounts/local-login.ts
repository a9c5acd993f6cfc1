/**
 * LOCAL_LOGIN=false (issue 35; issue 74 item 7): company sign-in only. What it turns off is every way a local
 * account keeps a session, not only the password form: its refresh tokens and its API tokens too — an account an
 * admin meant to be governed by the identity provider must not live on through a token issued before. The one
 * exception is the break-glass admin (LOCAL_LOGIN_BREAK_GLASS_EMAIL), kept for when the provider is down; each use of
 * its sessions and tokens is audited.
 */
import type { User } from '../../platform/ports/index.ts';

export interface LocalLoginPolicy {
  enabled: boolean;
  /** LOCAL_LOGIN_BREAK_GLASS_EMAIL, lower-cased */
  breakGlassEmail?: string | undefined;
  /** OIDC_PROVIDER_NAME, for the words people read */
  providerName?: string | undefined;
}

/** Whether `email` is the break-glass admin's. */
export const isBreakGlass = (policy: LocalLoginPolicy | undefined, email: string): boolean =>
  policy?.breakGlassEmail !== undefined && email.trim().toLowerCase() === policy.breakGlassEmail;

/**
 * Why a session or token of `user` that did not come from the provider is refused, or undefined when it may be used
 * (local logins on, the break-glass admin, or a provider session). `via`: what was presented, for the words.
 */
export function localAccountRefusal(policy: LocalLoginPolicy | undefined, user: Pick<User, 'email'>, via: 'refresh token' | 'API token'): string | undefined {
  if (!policy || policy.enabled || isBreakGlass(policy, user.email)) return undefined;
  return `Local accounts are turned off on this installation (LOCAL_LOGIN=false): this ${via} was issued to a session that did not come from ${policy.providerName ?? 'your company sign-in'}; sign in with ${policy.providerName ?? 'your company account'}.`;
}

/**
 * Company sign-in on the login page (issue 35): the "Sign in with <provider>" button when the engine has an OpenID
 * provider, and what each `?oidc_error=` the engine's callback redirects with means to the person who got it.
 */
import type { OidcInfo } from '@skyflo/protocol';
import { useQuery } from '@tanstack/react-query';
import { API_BASE, ApiError, skyflo } from '../../lib/api.ts';

/** An engine that does not answer /auth/oidc/info (an older one) has passwords only. */
const passwordsOnly: OidcInfo = { enabled: false, provider_name: null, local_login: true, break_glass: false };

export function useOidcInfo() {
  return useQuery({
    queryKey: ['oidc-info'],
    queryFn: () => skyflo.oidcInfo().catch((error: unknown) => (error instanceof ApiError && error.status === 404 ? passwordsOnly : Promise.reject(error))),
    staleTime: 5 * 60_000,
  });
}

const explanations: Record<string, string> = {
  wrong_audience: 'The identity provider issued the sign-in for another application (audience mismatch). Ask your admin to check OIDC_CLIENT_ID.',
  wrong_issuer: 'The sign-in came from another identity provider than the one configured (issuer mismatch). Ask your admin to check OIDC_ISSUER_URL.',
  nonce_mismatch: 'The sign-in answer did not belong to this attempt (nonce mismatch). Start again from this page.',
  token_expired: 'The identity provider’s answer had already expired. Start again; if it keeps happening, the provider’s or the engine’s clock is wrong.',
  provider_error: 'The identity provider refused or failed the sign-in. Try again, or ask your admin.',
  unmapped_user: 'Your company account is not in any group allowed to use Skyflo. Ask your admin to add you to one.',
  invalid_state: 'This sign-in link was stale or was started in another browser. Start again from this page.',
  no_email: 'The identity provider did not share your email address, which Skyflo needs. Ask your admin to allow the "email" scope.',
  account_disabled: 'Your Skyflo account is deactivated. Ask an admin to reactivate it.',
  identity_mismatch: 'The Skyflo account with your email address belongs to another person at your identity provider (it was linked to them when they signed in). Ask an admin.',
  email_unverified: 'Your identity provider has not verified your email address, so Skyflo will not link it to the existing account with that address. Verify it with your provider, or ask an admin.',
  link_required:
    'A Skyflo account with your email address already exists and is not linked to your company sign-in. Skyflo never links accounts by email alone: sign in to that account and link it under Settings → Profile, or ask an admin.',
  session_ended: 'Your identity provider no longer renews your session. Sign in again.',
};

export function oidcErrorMessage(code: string | null): string | undefined {
  if (!code) return undefined;
  return explanations[code] ?? 'Company sign-in failed. Try again, or ask your admin.';
}

export function OidcSignInButton({ providerName }: { providerName: string }) {
  // A full-page navigation: the engine redirects to the provider and back, setting the session cookies.
  return (
    <a
      href={`${API_BASE}/auth/oidc/login`}
      className="flex w-full items-center justify-center rounded-md border border-slate-600 px-4 py-2 text-sm font-medium hover:bg-slate-800"
    >
      Sign in with {providerName}
    </a>
  );
}

/**
 * After the Skyflo logout: the provider's logout page when company sign-in is on and the provider advertises one
 * (returns true when the browser is being sent there); otherwise nothing (404 without a provider).
 */
export async function endProviderSession(): Promise<boolean> {
  const body = await skyflo.oidcLogout().catch(() => undefined);
  if (!body?.end_session_url) return false;
  window.location.assign(body.end_session_url);
  return true;
}

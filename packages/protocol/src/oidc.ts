/**
 * Company sign-in (issue 35): what the login page asks before it draws itself, and what the logout answers when the
 * identity provider has its own logout page.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

export const oidcInfoSchema = deferred(() => z.object({
  /** an OpenID provider is configured */
  enabled: z.boolean(),
  /** the login button's "Sign in with …" */
  provider_name: z.string().nullable(),
  /** false: password registration and sign-in are refused (LOCAL_LOGIN=false) */
  local_login: z.boolean(),
  /** a break-glass admin may still sign in with a password */
  break_glass: z.boolean(),
}));
export type OidcInfo = z.infer<typeof oidcInfoSchema>;

export const oidcLogoutResponseSchema = deferred(() => z.object({
  success: z.literal(true),
  /** the provider's end_session_endpoint, with the way back to the login page; absent when it has none */
  end_session_url: z.string().optional(),
}));
export type OidcLogoutResponse = z.infer<typeof oidcLogoutResponseSchema>;

/**
 * Issue 74 item 7: POST /auth/oidc/link — where the signed-in owner of an account goes to link it to their company
 * sign-in (the browser opens it; the engine links the person who signs in there, if the provider vouches for the same
 * verified e-mail, and lands on /settings?oidc_link=linked or ?oidc_link_error=<code>).
 */
export const oidcLinkResponseSchema = deferred(() => z.object({ url: z.string() }));
export type OidcLinkResponse = z.infer<typeof oidcLinkResponseSchema>;

/** Company sign-in through an OpenID Connect provider (issue 35), and turning local passwords off. */
import { z } from 'zod';
import { booleanFlag } from './boolean-flag.ts';

const roleSchema = z.enum(['admin', 'approver', 'member']);

/** `{"sre-leads":"approver","platform-admins":"admin"}`: a group name to the role it grants. */
const roleMappingSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON, e.g. {"sre-leads":"approver","platform-admins":"admin"}' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), roleSchema, { error: 'must map group names to "admin", "approver" or "member"' }));

export const oidcConfigSchema = z
  .object({
    /** The provider's issuer; its /.well-known/openid-configuration is read at start-up. Unset → no company sign-in. */
    OIDC_ISSUER_URL: z.url('must be the provider issuer URL, e.g. https://login.example.com/realms/acme').optional(),
    OIDC_CLIENT_ID: z.string().optional(),
    /** OIDC_CLIENT_SECRET_FILE supported; unset → a public client (PKCE only). */
    OIDC_CLIENT_SECRET: z.string().optional(),
    OIDC_SCOPES: z.string().default('openid email profile groups'),
    /** Shown on the sign-in button: "Sign in with <name>". */
    OIDC_PROVIDER_NAME: z.string().default('SSO'),
    /** Where the provider sends the browser back; default PUBLIC_URL + /api/v1/auth/oidc/callback. */
    OIDC_REDIRECT_URL: z.url().optional(),
    OIDC_ROLE_MAPPING: roleMappingSchema.optional(),
    /** The ID-token claim that lists the user's groups. */
    OIDC_GROUPS_CLAIM: z.string().default('groups'),
    /** Refuse a provider user none of whose groups is in OIDC_ROLE_MAPPING (instead of making them a member). */
    OIDC_REQUIRE_MAPPED_GROUP: booleanFlag.default(false),
    /** false: password registration and sign-in are refused, except for LOCAL_LOGIN_BREAK_GLASS_EMAIL. */
    LOCAL_LOGIN: booleanFlag.default(true),
    /**
     * The one local account that keeps password sign-in with LOCAL_LOGIN=false (the break-glass admin, for when the
     * provider is down). It may also register while no account exists, so a fresh install can still be set up.
     */
    LOCAL_LOGIN_BREAK_GLASS_EMAIL: z.email().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.OIDC_ISSUER_URL && !env.OIDC_CLIENT_ID) ctx.addIssue({ code: 'custom', path: ['OIDC_CLIENT_ID'], message: 'is required with OIDC_ISSUER_URL' });
    if (!env.LOCAL_LOGIN && !env.OIDC_ISSUER_URL) {
      ctx.addIssue({ code: 'custom', path: ['LOCAL_LOGIN'], message: 'false needs OIDC_ISSUER_URL (otherwise nobody but the break-glass admin could sign in)' });
    }
  })
  .transform((env) => ({
    oidc: env.OIDC_ISSUER_URL && env.OIDC_CLIENT_ID
      ? {
          issuerUrl: env.OIDC_ISSUER_URL,
          clientId: env.OIDC_CLIENT_ID,
          clientSecret: env.OIDC_CLIENT_SECRET,
          scopes: env.OIDC_SCOPES,
          providerName: env.OIDC_PROVIDER_NAME,
          redirectUrl: env.OIDC_REDIRECT_URL,
          roleMapping: env.OIDC_ROLE_MAPPING ?? {},
          groupsClaim: env.OIDC_GROUPS_CLAIM,
          requireMappedGroup: env.OIDC_REQUIRE_MAPPED_GROUP,
        }
      : undefined,
    localLogin: env.LOCAL_LOGIN,
    breakGlassEmail: env.LOCAL_LOGIN_BREAK_GLASS_EMAIL?.trim().toLowerCase(),
  }));

export type OidcConfig = z.output<typeof oidcConfigSchema>;

/**
 * The SkyfloAI fields for company sign-in (OIDC), PagerDuty and Teams alerts, and OAuth on the MCP server. Kept apart
 * from skyfloai-spec.ts so the main spec only names them. Secret values are never spec fields: only references to a
 * Secret in the SkyfloAI's namespace, which the pods read through secretKeyRef (see desired/auth-env.ts).
 */
import { z } from 'zod';

const ref = (defaultKey: string) =>
  z.object({
    /** Secret in the SkyfloAI's namespace */
    name: z.string().min(1),
    key: z.string().min(1).default(defaultKey),
  });

const httpUrl = (example: string) => z.string().regex(/^https?:\/\/\S+$/, `must be an http(s) URL, e.g. ${example}`);
const email = z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address');

/** spec.auth: the engine's OIDC_* and LOCAL_LOGIN* variables (packages/engine/src/platform/config/oidc.ts). */
export const authSpecSchema = z
  .object({
    oidc: z
      .object({
        issuerUrl: httpUrl('https://login.example.com/realms/acme'),
        clientId: z.string().min(1),
        /** unset: a public client (PKCE only) */
        clientSecretRef: ref('client-secret').optional(),
        providerName: z.string().min(1).optional(),
        scopes: z.string().min(1).optional(),
        redirectUrl: httpUrl('https://skyflo.example.com/api/v1/auth/oidc/callback').optional(),
        /** group name → role: {"sre-leads": "approver", "platform-admins": "admin"} */
        roleMapping: z.record(z.string(), z.enum(['admin', 'approver', 'member'], { error: 'a role is "admin", "approver" or "member"' })).optional(),
        groupsClaim: z.string().min(1).optional(),
        requireMappedGroup: z.boolean().optional(),
      })
      .optional(),
    /** false: password sign-in is refused except for breakGlassEmail (needs oidc) */
    localLogin: z.boolean().optional(),
    breakGlassEmail: email.optional(),
  })
  .optional();

/** spec.alerts: PagerDuty webhooks and Teams (packages/engine/src/platform/config/integrations.ts). */
export const alertsSpecSchema = z
  .object({
    pagerDuty: z
      .object({
        /** the v3 webhook subscription's signing secret */
        webhookSecretRef: ref('webhook-secret'),
        /** the Skyflo account PagerDuty investigations belong to */
        runAs: email,
        /** a REST API token to post notes back on the incident; needs `from` */
        apiTokenRef: ref('api-token').optional(),
        from: email.optional(),
        apiUrl: httpUrl('https://api.pagerduty.com').optional(),
      })
      .optional(),
    teams: z.object({ openIdMetadataUrl: httpUrl('https://login.botframework.com/v1/.well-known/openidconfiguration').optional() }).optional(),
  })
  .optional();

/** spec.mcp.oauth: remote MCP clients with access tokens of this authorization server (MCP_OAUTH_*). */
export const mcpOAuthSpecSchema = z
  .object({
    issuer: httpUrl('https://login.example.com/realms/acme'),
    audience: z.string().min(1).optional(),
    requiredScopes: z.array(z.string().regex(/^\S+$/, 'one scope, without spaces')).optional(),
  })
  .optional();

export interface AuthSpecParts {
  auth?: z.output<typeof authSpecSchema>;
  alerts?: z.output<typeof alertsSpecSchema>;
  mcp: { oauth?: z.output<typeof mcpOAuthSpecSchema> };
}

/** Combinations the engine would refuse at start-up, said on the SkyfloAI instead of in a crash-looping pod's log. */
export function authSpecProblems(spec: AuthSpecParts): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (spec.auth?.localLogin === false && !spec.auth.oidc) {
    problems.push({ field: 'spec.auth.localLogin', message: 'auth.localLogin is false: set auth.oidc too (otherwise nobody but the break-glass admin could sign in)' });
  }
  const pagerDuty = spec.alerts?.pagerDuty;
  if (pagerDuty?.apiTokenRef && !pagerDuty.from) {
    problems.push({ field: 'spec.alerts.pagerDuty.from', message: 'alerts.pagerDuty.apiTokenRef is set: set alerts.pagerDuty.from to the email of the PagerDuty user the notes are posted as' });
  }
  return problems;
}

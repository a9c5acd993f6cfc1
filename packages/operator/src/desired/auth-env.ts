/**
 * The engine's and the MCP server's environment for company sign-in, PagerDuty, Teams and MCP OAuth. Settings are plain
 * variables; secrets (the OIDC client secret, the PagerDuty signing secret and API token) only ever as secretKeyRef, so
 * their values stay in the user's Secret: never in the SkyfloAI, a ConfigMap or the Deployment.
 */
import type { SkyfloAiSpec } from '../spec/skyfloai-spec.ts';

type EnvVar = { name: string; value: string } | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/** A Secret a pod reads a key from, with the spec field that names it (for the missing-Secret condition). */
export interface AuthSecretReference {
  field: string;
  name: string;
  key: string;
  /** what the value looks like, for the suggested `kubectl create secret` */
  example: string;
}

const plain = (name: string, value: string | boolean | undefined): EnvVar[] => (value === undefined ? [] : [{ name, value: String(value) }]);
const fromSecret = (name: string, ref: { name: string; key: string } | undefined): EnvVar[] => (ref ? [{ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }] : []);

export function authEngineEnv(spec: SkyfloAiSpec): EnvVar[] {
  const oidc = spec.auth?.oidc;
  const pagerDuty = spec.alerts?.pagerDuty;
  return [
    ...plain('OIDC_ISSUER_URL', oidc?.issuerUrl),
    ...plain('OIDC_CLIENT_ID', oidc?.clientId),
    ...fromSecret('OIDC_CLIENT_SECRET', oidc?.clientSecretRef),
    ...plain('OIDC_PROVIDER_NAME', oidc?.providerName),
    ...plain('OIDC_SCOPES', oidc?.scopes),
    ...plain('OIDC_REDIRECT_URL', oidc?.redirectUrl),
    // The engine reads the mapping as JSON; keys sorted so the same mapping always renders the same (no needless rollout).
    ...plain('OIDC_ROLE_MAPPING', oidc?.roleMapping ? JSON.stringify(Object.fromEntries(Object.entries(oidc.roleMapping).sort(([a], [b]) => a.localeCompare(b)))) : undefined),
    ...plain('OIDC_GROUPS_CLAIM', oidc?.groupsClaim),
    ...plain('OIDC_REQUIRE_MAPPED_GROUP', oidc?.requireMappedGroup),
    ...plain('LOCAL_LOGIN', spec.auth?.localLogin),
    ...plain('LOCAL_LOGIN_BREAK_GLASS_EMAIL', spec.auth?.breakGlassEmail),
    ...fromSecret('PAGERDUTY_WEBHOOK_SECRET', pagerDuty?.webhookSecretRef),
    ...plain('PAGERDUTY_RUN_AS', pagerDuty?.runAs),
    ...fromSecret('PAGERDUTY_API_TOKEN', pagerDuty?.apiTokenRef),
    ...plain('PAGERDUTY_FROM', pagerDuty?.from),
    ...plain('PAGERDUTY_API_URL', pagerDuty?.apiUrl),
    ...plain('TEAMS_OPENID_METADATA_URL', spec.alerts?.teams?.openIdMetadataUrl),
  ];
}

export function authMcpEnv(spec: SkyfloAiSpec): EnvVar[] {
  const oauth = spec.mcp.oauth;
  return [
    ...plain('MCP_OAUTH_ISSUER', oauth?.issuer),
    ...plain('MCP_OAUTH_AUDIENCE', oauth?.audience),
    ...plain('MCP_OAUTH_REQUIRED_SCOPES', oauth?.requiredScopes?.length ? oauth.requiredScopes.join(' ') : undefined),
  ];
}

export function authSecretReferences(spec: SkyfloAiSpec): AuthSecretReference[] {
  const list: AuthSecretReference[] = [];
  const oidc = spec.auth?.oidc;
  const pagerDuty = spec.alerts?.pagerDuty;
  if (oidc?.clientSecretRef) list.push({ field: 'spec.auth.oidc.clientSecretRef', ...oidc.clientSecretRef, example: '<the OIDC client secret>' });
  if (pagerDuty) list.push({ field: 'spec.alerts.pagerDuty.webhookSecretRef', ...pagerDuty.webhookSecretRef, example: '<the webhook signing secret>' });
  if (pagerDuty?.apiTokenRef) list.push({ field: 'spec.alerts.pagerDuty.apiTokenRef', ...pagerDuty.apiTokenRef, example: '<the PagerDuty REST API token>' });
  return list;
}

import { describe, expect, it } from 'vitest';
import { parseSkyfloAiSpec } from '../spec/skyfloai-spec.ts';
import { authEngineEnv, authMcpEnv, authSecretReferences } from './auth-env.ts';

const parse = (raw: unknown) => {
  const result = parseSkyfloAiSpec(raw);
  if (!result.spec) throw new Error(JSON.stringify(result.problems));
  return result;
};

describe('auth env', () => {
  it('is empty for a spec without the settings', () => {
    const { spec } = parse({});
    expect(authEngineEnv(spec)).toEqual([]);
    expect(authMcpEnv(spec)).toEqual([]);
    expect(authSecretReferences(spec)).toEqual([]);
  });

  it('maps settings to plain variables and secrets to secretKeyRef with the default keys', () => {
    const { spec } = parse({
      auth: { oidc: { issuerUrl: 'https://idp.example.com', clientId: 'skyflo', clientSecretRef: { name: 'oidc' }, roleMapping: { z: 'admin', a: 'member' }, requireMappedGroup: true } },
      alerts: { pagerDuty: { webhookSecretRef: { name: 'pd' }, runAs: 'oncall@example.com', apiTokenRef: { name: 'pd' }, from: 'bot@example.com', apiUrl: 'http://pd.local' }, teams: { openIdMetadataUrl: 'http://teams.local/meta' } },
      mcp: { oauth: { issuer: 'https://idp.example.com', audience: 'aud', requiredScopes: ['a', 'b'] } },
    });
    const env = authEngineEnv(spec);
    expect(env).toContainEqual({ name: 'OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'oidc', key: 'client-secret' } } });
    expect(env).toContainEqual({ name: 'PAGERDUTY_WEBHOOK_SECRET', valueFrom: { secretKeyRef: { name: 'pd', key: 'webhook-secret' } } });
    expect(env).toContainEqual({ name: 'PAGERDUTY_API_TOKEN', valueFrom: { secretKeyRef: { name: 'pd', key: 'api-token' } } });
    expect(env).toContainEqual({ name: 'OIDC_ROLE_MAPPING', value: '{"a":"member","z":"admin"}' });
    expect(env).toContainEqual({ name: 'OIDC_REQUIRE_MAPPED_GROUP', value: 'true' });
    expect(env).toContainEqual({ name: 'TEAMS_OPENID_METADATA_URL', value: 'http://teams.local/meta' });
    expect(authMcpEnv(spec)).toEqual([
      { name: 'MCP_OAUTH_ISSUER', value: 'https://idp.example.com' },
      { name: 'MCP_OAUTH_AUDIENCE', value: 'aud' },
      { name: 'MCP_OAUTH_REQUIRED_SCOPES', value: 'a b' },
    ]);
    expect(authSecretReferences(spec).map((reference) => reference.field)).toEqual(['spec.auth.oidc.clientSecretRef', 'spec.alerts.pagerDuty.webhookSecretRef', 'spec.alerts.pagerDuty.apiTokenRef']);
  });

  it('reports combinations the engine would refuse at start-up', () => {
    expect(parse({ auth: { localLogin: false } }).problems.map((problem) => problem.field)).toEqual(['spec.auth.localLogin']);
    expect(parse({ alerts: { pagerDuty: { webhookSecretRef: { name: 'pd' }, runAs: 'a@example.com', apiTokenRef: { name: 'pd' } } } }).problems.map((problem) => problem.field)).toEqual(['spec.alerts.pagerDuty.from']);
    expect(parseSkyfloAiSpec({ auth: { oidc: { issuerUrl: 'idp.example.com', clientId: 'x' } } }).problems[0]).toMatchObject({ field: 'spec.auth.oidc.issuerUrl' });
  });
});

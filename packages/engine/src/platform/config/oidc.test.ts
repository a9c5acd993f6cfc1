/** OIDC settings: the role mapping and LOCAL_LOGIN are checked at start-up, naming the variable; the secret may be a file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';

const issuesOf = (env: Record<string, string>) => {
  try {
    loadConfig({ LOG_LEVEL: 'silent', ...env });
    return [];
  } catch (error) {
    return (error as ConfigError).issues.map((issue) => issue.variable);
  }
};

describe('OIDC configuration', () => {
  it('parses the provider, the mapping and the secret file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oidc-config-'));
    writeFileSync(path.join(dir, 'secret'), 'from-a-file\n');
    const config = loadConfig({ LOG_LEVEL: 'silent', OIDC_ISSUER_URL: 'https://login.acme.test', OIDC_CLIENT_ID: 'skyflo', OIDC_CLIENT_SECRET_FILE: path.join(dir, 'secret'), OIDC_ROLE_MAPPING: '{"sre-leads":"approver"}', LOCAL_LOGIN: 'false' });
    expect(config.oidc.oidc).toMatchObject({ clientSecret: 'from-a-file', roleMapping: { 'sre-leads': 'approver' }, groupsClaim: 'groups' });
    expect(config.oidc.localLogin).toBe(false);
  });

  it('refuses a mapping that is not JSON or names an unknown role, and LOCAL_LOGIN=false without a provider', () => {
    expect(issuesOf({ OIDC_ISSUER_URL: 'https://login.acme.test', OIDC_CLIENT_ID: 'x', OIDC_ROLE_MAPPING: '{sre-leads:approver}' })).toEqual(['OIDC_ROLE_MAPPING']);
    expect(issuesOf({ OIDC_ISSUER_URL: 'https://login.acme.test', OIDC_CLIENT_ID: 'x', OIDC_ROLE_MAPPING: '{"sre-leads":"root"}' })).toEqual(['OIDC_ROLE_MAPPING']);
    expect(issuesOf({ LOCAL_LOGIN: 'false' })).toEqual(['LOCAL_LOGIN']);
    expect(issuesOf({ OIDC_ISSUER_URL: 'https://login.acme.test' })).toEqual(['OIDC_CLIENT_ID']);
  });
});

/** loadConfig: defaults, every bad variable named at once, *_FILE secrets, and no secret echoed in errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';

function issuesOf(env: Record<string, string>): ConfigError['issues'] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.server).toMatchObject({ port: 8080, host: '127.0.0.1', logLevel: 'info', bodyLimitBytes: 1_048_576, mcpServerUrl: undefined });
    expect(config.storage).toEqual({ dataDir: path.resolve('.skyflo'), postgresUrl: undefined, postgresTimeouts: { statementMs: 30_000, lockMs: 10_000, idleInTransactionMs: 5_000 } });
    expect(config.auth).toMatchObject({ jwtSecret: undefined, accessTokenMinutes: 15, refreshTokenDays: 7, allowRegistration: false });
    expect(config.bus.redisUrl).toBeUndefined();
    expect(config.llm.model).toBeUndefined();
  });

  it('treats empty strings as unset and accepts the reference spelling of log levels', () => {
    const config = loadConfig({ PORT: '', LOG_LEVEL: 'DEBUG', ALLOW_REGISTRATION: 'TRUE', CORS_ORIGINS: 'http://a.test, http://b.test' });
    expect(config.server.port).toBe(8080);
    expect(config.server.logLevel).toBe('debug');
    expect(config.auth.allowRegistration).toBe(true);
    expect(config.server.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
  });

  it('reports every bad variable by name in one error', () => {
    const issues = issuesOf({
      PORT: 'eighty',
      BODY_LIMIT_BYTES: '-1',
      POSTGRES_DATABASE_URL: 'mysql://nope',
      ALLOW_REGISTRATION: 'maybe',
      MCP_SERVER_URL: 'not a url',
      JWT_SECRET: 'short',
      LLM_MAX_ITERATIONS: '0',
    });
    expect(issues.map((issue) => issue.variable).sort()).toEqual(
      ['ALLOW_REGISTRATION', 'BODY_LIMIT_BYTES', 'JWT_SECRET', 'LLM_MAX_ITERATIONS', 'MCP_SERVER_URL', 'PORT', 'POSTGRES_DATABASE_URL'].sort(),
    );
    expect(issues.find((issue) => issue.variable === 'PORT')?.message).toMatch(/got "eighty"/);
    // Secrets are named but never echoed.
    const message = new ConfigError(issues).message;
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters/);
    expect(message).not.toMatch(/short"/);
    expect(message).not.toMatch(/mysql:\/\/nope/);
  });

  it('parses SKYFLO_CLUSTER_LABELS for its embedded MCP server, and refuses a bad one at start (issue 80 item 3)', () => {
    expect(loadConfig({ SKYFLO_CLUSTER_LABELS: 'prod-eu=prod,dev=dev' }).server.clusterLabels).toEqual({ 'prod-eu': 'prod', dev: 'dev' });
    expect(loadConfig({}).server.clusterLabels).toEqual({});
    const issues = issuesOf({ SKYFLO_CLUSTER_LABELS: 'prod' });
    expect(issues).toEqual([expect.objectContaining({ variable: 'SKYFLO_CLUSTER_LABELS', message: expect.stringContaining('"prod" is not one') })]);
  });

  it('PagerDuty: names the missing partner variable, never echoes the secret, and splits rotated secrets', () => {
    const issues = issuesOf({ PAGERDUTY_WEBHOOK_SECRET: 'pd-webhook-secret-0123456789', PAGERDUTY_API_TOKEN: 'pd-api-token-0123' });
    expect(issues.map((issue) => issue.variable).sort()).toEqual(['PAGERDUTY_FROM', 'PAGERDUTY_RUN_AS']);
    expect(new ConfigError(issues).message).not.toContain('pd-webhook-secret-0123456789');
    const config = loadConfig({ PAGERDUTY_WEBHOOK_SECRET: 'old-secret-0123456789, new-secret-0123456789', PAGERDUTY_RUN_AS: 'sre@example.com' });
    expect(config.integrations.pagerDuty).toEqual({ webhookSecrets: ['old-secret-0123456789', 'new-secret-0123456789'], runAs: 'sre@example.com', apiUrl: 'https://api.pagerduty.com' });
  });

  it('PagerDuty: every secret of a rotation list is at least 16 characters, not the list as a whole (issue 74 item 6)', () => {
    const issues = issuesOf({ PAGERDUTY_WEBHOOK_SECRET: 'pd-webhook-secret-0123456789,ab', PAGERDUTY_RUN_AS: 'sre@example.com' });
    expect(issues).toEqual([expect.objectContaining({ variable: 'PAGERDUTY_WEBHOOK_SECRET', message: expect.stringContaining('secret 2 of 2 (comma-separated) is 2 characters; each must be at least 16 characters') })]);
    expect(new ConfigError(issues).message).not.toContain('pd-webhook-secret-0123456789');
    expect(issuesOf({ PAGERDUTY_WEBHOOK_SECRET: 'short', PAGERDUTY_RUN_AS: 'sre@example.com' })).toEqual([expect.objectContaining({ variable: 'PAGERDUTY_WEBHOOK_SECRET', message: expect.stringContaining('the secret must be at least 16') })]);
    expect(issuesOf({ PAGERDUTY_WEBHOOK_SECRET: ' , ', PAGERDUTY_RUN_AS: 'sre@example.com' }).map((issue) => issue.variable)).toEqual(['PAGERDUTY_WEBHOOK_SECRET']);
    // a trailing comma left by an edit is not a secret
    expect(loadConfig({ PAGERDUTY_WEBHOOK_SECRET: 'pd-webhook-secret-0123456789,', PAGERDUTY_RUN_AS: 'sre@example.com' }).integrations.pagerDuty?.webhookSecrets).toEqual(['pd-webhook-secret-0123456789']);
  });

  it('reads secrets from *_FILE and refuses both forms or an unreadable file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'skyflo-config-'));
    const secretFile = path.join(dir, 'jwt');
    writeFileSync(secretFile, 'a-secret-from-a-mounted-file-0123456789\n');
    const urlFile = path.join(dir, 'db');
    writeFileSync(urlFile, 'postgres://postgres@127.0.0.1:5432/skyflo');
    const config = loadConfig({ JWT_SECRET_FILE: secretFile, POSTGRES_DATABASE_URL_FILE: urlFile });
    expect(config.auth.jwtSecret).toBe('a-secret-from-a-mounted-file-0123456789');
    expect(config.storage.postgresUrl).toBe('postgres://postgres@127.0.0.1:5432/skyflo');

    const both = issuesOf({ JWT_SECRET_FILE: secretFile, JWT_SECRET: 'x'.repeat(40) });
    expect(both).toEqual([{ variable: 'JWT_SECRET_FILE', message: expect.stringMatching(/set both JWT_SECRET and JWT_SECRET_FILE/) }]);
    const missing = issuesOf({ MCP_AUTH_TOKEN_FILE: path.join(dir, 'absent') });
    expect(missing).toEqual([{ variable: 'MCP_AUTH_TOKEN_FILE', message: expect.stringMatching(/cannot read .*absent \(ENOENT\)/) }]);
  });

  it('refuses the reference placeholder secret', () => {
    const issues = issuesOf({ JWT_SECRET: 'CHANGE_ME_IN_PRODUCTION' });
    expect(new Set(issues.map((issue) => issue.variable))).toEqual(new Set(['JWT_SECRET']));
    expect(issues.some((issue) => /documented placeholder/.test(issue.message))).toBe(true);
  });
});

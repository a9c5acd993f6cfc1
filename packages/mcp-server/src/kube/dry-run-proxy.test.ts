import { describe, expect, it } from 'vitest';
import { dryRunProxySettingsFromEnv } from './dry-run-proxy.ts';

describe('the dry-run proxy settings', () => {
  it("use the MCP server's own dry-run token, per context", () => {
    const settings = dryRunProxySettingsFromEnv({ SKYFLO_DRY_RUN_URL: 'https://executor:8443/', SKYFLO_DRY_RUN_URLS: '{"b":"https://executor-b:8443"}', SKYFLO_DRY_RUN_TOKEN: 'mcp-token' });
    expect(settings?.targetFor('a')).toEqual({ url: 'https://executor:8443', token: 'mcp-token' });
    expect(settings?.targetFor('b')).toEqual({ url: 'https://executor-b:8443', token: 'mcp-token' });
    expect(dryRunProxySettingsFromEnv({ SKYFLO_DRY_RUN_TOKEN: 'mcp-token' })).toBeUndefined();
  });

  it("never fall back to the engine's executor token (issue 73), and say so", () => {
    expect(() => dryRunProxySettingsFromEnv({ SKYFLO_DRY_RUN_URL: 'https://executor:8443', SKYFLO_EXECUTOR_TOKEN: 'engine-token' })).toThrow(
      "SKYFLO_DRY_RUN_URL(S) needs SKYFLO_DRY_RUN_TOKEN or SKYFLO_DRY_RUN_TOKEN_FILE: this server's own dry-run token, which the executor expects (SKYFLO_EXECUTOR_TOKEN is the engine's and does not open the dry-run proxy)",
    );
  });
});

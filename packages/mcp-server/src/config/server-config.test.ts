import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from './server-config.ts';

const configOf = (flags: Parameters<typeof loadServerConfig>[0], env: Record<string, string> = {}) => {
  const loaded = loadServerConfig(flags, env);
  if ('problems' in loaded) throw new Error(loaded.problems.join('\n'));
  return loaded.config;
};
const problemsOf = (flags: Parameters<typeof loadServerConfig>[0], env: Record<string, string> = {}) => {
  const loaded = loadServerConfig(flags, env);
  return 'problems' in loaded ? loaded.problems : [];
};

describe("skyflo mcp's configuration", () => {
  it('has working defaults and reads nothing it was not given', () => {
    expect(configOf({})).toEqual({
      port: 8888,
      host: '127.0.0.1',
      readOnly: false,
      stdio: false,
      dataDir: path.resolve('./.skyflo'),
      confirm: 'elicit',
      helmAllowedRegistries: [],
      clusterLabels: {},
    });
  });

  it('takes a flag over its variable, and says where the client token came from', () => {
    const config = configOf(
      { port: '0', confirm: 'deny', 'client-token': 'from-flag', 'helm-allowed-registries': 'ghcr.io' },
      { MCP_CONFIRM: 'allow', MCP_CLIENT_TOKEN: 'from-env', HELM_ALLOWED_REGISTRIES: 'quay.io', MCP_AUTH_TOKEN: 'engine', SKYFLO_CLUSTER_LABELS: 'prod-eu=prod, dev=dev', HPA_SYNC_PERIOD_SECONDS: '15', KUBECONFIG: '/a:/b' },
    );
    expect(config).toMatchObject({ port: 0, confirm: 'deny', clientToken: { value: 'from-flag', from: '--client-token' }, helmAllowedRegistries: ['ghcr.io'], authToken: 'engine', clusterLabels: { 'prod-eu': 'prod', dev: 'dev' }, hpaSyncPeriodSeconds: 15, kubeconfigPath: '/a:/b' });
    expect(configOf({}, { MCP_CLIENT_TOKEN: 'from-env' }).clientToken).toEqual({ value: 'from-env', from: 'MCP_CLIENT_TOKEN' });
  });

  it('hands the dry-run proxy its variables as given, and none when there are none', () => {
    expect(configOf({}, { SKYFLO_DRY_RUN_URL: 'https://executor:8443', SKYFLO_DRY_RUN_TOKEN_FILE: '/run/token' }).dryRunProxyEnv).toEqual({ SKYFLO_DRY_RUN_URL: 'https://executor:8443', SKYFLO_DRY_RUN_TOKEN_FILE: '/run/token' });
    expect(configOf({}).dryRunProxyEnv).toBeUndefined();
  });

  it('names every problem at once: the flag or variable, what was wrong, what was given', () => {
    expect(problemsOf({ port: '70000', confirm: 'maybe' }, { HELM_ALLOWED_REGISTRIES: 'ghcr.io,https://evil', SKYFLO_CLUSTER_LABELS: 'prod', HPA_SYNC_PERIOD_SECONDS: 'soon' })).toEqual([
      '--port must be a number between 0 and 65535, got "70000".',
      '--confirm must be one of elicit, deny, allow, skyflo, got "maybe".',
      'HELM_ALLOWED_REGISTRIES must list hosts (host or host:port), comma-separated; "https://evil" is not one.',
      'HPA_SYNC_PERIOD_SECONDS must be a number of seconds above 0.',
      'SKYFLO_CLUSTER_LABELS must be "context=label" pairs separated by commas (e.g. "prod-eu=prod,dev=dev"); "prod" is not one.',
    ]);
    expect(problemsOf({}, { MCP_CONFIRM: 'yes' })).toEqual(['MCP_CONFIRM must be one of elicit, deny, allow, skyflo, got "yes".']);
  });

  it('--confirm=skyflo needs the engine and a token to propose with, and names each missing one', () => {
    expect(configOf({ confirm: 'skyflo', 'engine-url': 'http://127.0.0.1:8080' }, { SKYFLO_ENGINE_URL: 'http://ignored', SKYFLO_ENGINE_TOKEN: 'sky_abc' }).engineApprovals).toEqual({ url: 'http://127.0.0.1:8080', token: 'sky_abc' });
    expect(configOf({}, { MCP_CONFIRM: 'skyflo', SKYFLO_ENGINE_URL: 'https://skyflo.example.com', SKYFLO_ENGINE_TOKEN: 'sky_abc' }).engineApprovals).toEqual({ url: 'https://skyflo.example.com', token: 'sky_abc' });
    expect(problemsOf({ confirm: 'skyflo' })).toEqual([
      "--confirm=skyflo needs the engine's address: give --engine-url or SKYFLO_ENGINE_URL (e.g. http://127.0.0.1:8080).",
      '--confirm=skyflo needs SKYFLO_ENGINE_TOKEN: an API token with the chat scope (Settings → API tokens) of the person the calls are proposed for.',
    ]);
    expect(problemsOf({ confirm: 'skyflo', 'engine-url': 'skyflo:8080' }, { SKYFLO_ENGINE_TOKEN: 'sky_abc' })).toEqual(['--engine-url must be an http(s) address, got "skyflo:8080".']);
    // the token is read only for that mode: another mode never carries it
    expect(configOf({ confirm: 'elicit' }, { SKYFLO_ENGINE_URL: 'http://e', SKYFLO_ENGINE_TOKEN: 'sky_abc' }).engineApprovals).toBeUndefined();
  });

  it('--confirm=skyflo seals its handles with MCP_STATE_KEY when set (long enough to be a secret), else with a key from the engine token', () => {
    const env = { SKYFLO_ENGINE_URL: 'http://127.0.0.1:8080', SKYFLO_ENGINE_TOKEN: 'sky_abc' };
    const stateKey = 'k'.repeat(32);
    expect(configOf({ confirm: 'skyflo' }, { ...env, MCP_STATE_KEY: stateKey }).engineApprovals).toEqual({ url: 'http://127.0.0.1:8080', token: 'sky_abc', stateKey });
    expect(configOf({ confirm: 'skyflo' }, { ...env, MCP_STATE_KEY: ' ' }).engineApprovals).toEqual({ url: 'http://127.0.0.1:8080', token: 'sky_abc' });
    expect(problemsOf({ confirm: 'skyflo' }, { ...env, MCP_STATE_KEY: 'short' })).toEqual(['MCP_STATE_KEY must be at least 32 characters (e.g. `openssl rand -base64 48`), got 5.']);
  });
});

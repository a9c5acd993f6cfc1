/**
 * Company sign-in (OIDC), PagerDuty and MCP OAuth on Kubernetes: the chart puts them on the SkyfloAI with secrets only
 * as references, values.schema.json refuses a secret value or a bad setting, and the operator turns them into the
 * engine's and the MCP server's environment (secrets by secretKeyRef only), says when a referenced Secret is missing,
 * and rolls the engine when one is rotated. Cluster state is read back through the real kubectl and helm.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { helmPath, repoRoot } from '@skyflo/testkit/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition, crdPath, eventually, startOperatorHarness, type OperatorHarness } from './support/operator-harness.ts';

const crd = parseAllDocuments(readFileSync(crdPath, 'utf8'))[0].toJSON();
const validateSkyfloAi = new Ajv({ strict: false, allErrors: true }).compile(crd.spec.versions[0].schema.openAPIV3Schema);

const run = promisify(execFile);
const chart = path.join(repoRoot, 'deploy', 'helm', 'skyflo');
const helmHome = mkdtempSync(path.join(tmpdir(), 'skyflo-helm-auth-'));
const helmEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: helmHome, HELM_CACHE_HOME: path.join(helmHome, 'cache'), HELM_CONFIG_HOME: path.join(helmHome, 'config'), HELM_DATA_HOME: path.join(helmHome, 'data') };

async function helmTemplate(valuesYaml: string): Promise<{ stdout: string; stderr: string; code: number }> {
  const file = path.join(mkdtempSync(path.join(helmHome, 'values-')), 'values.yaml');
  writeFileSync(file, valuesYaml);
  try {
    const { stdout, stderr } = await run(helmPath, ['template', 'skyflo', chart, '--namespace', 'skyflo', '--values', file], { env: helmEnv, maxBuffer: 16 * 1024 * 1024 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', code: typeof failed.code === 'number' ? failed.code : 1 };
  }
}

const settingsValues = `
skyfloai:
  mcp:
    oauth: {issuer: "https://login.example.com/realms/acme", audience: "https://mcp.example.com/mcp", requiredScopes: ["mcp:tools", "mcp:read"]}
  auth:
    oidc:
      issuerUrl: https://login.example.com/realms/acme
      clientId: skyflo
      clientSecretRef: {name: skyflo-oidc, key: client-secret}
      providerName: Acme SSO
      roleMapping: {sre-leads: approver, platform-admins: admin}
      requireMappedGroup: true
    localLogin: false
    breakGlassEmail: admin@example.com
  alerts:
    pagerDuty:
      webhookSecretRef: {name: skyflo-pagerduty, key: webhook-secret}
      runAs: oncall@example.com
      apiTokenRef: {name: skyflo-pagerduty, key: api-token}
      from: pd-bot@example.com
`;

afterAll(() => rmSync(helmHome, { recursive: true, force: true }));

describe('the chart', () => {
  it('puts the settings on the SkyfloAI with the secrets only as references', async () => {
    const result = await helmTemplate(settingsValues);
    expect(result.code, result.stderr).toBe(0);
    const documents = parseAllDocuments(result.stdout).map((document) => document.toJSON()).filter(Boolean);
    const sky = documents.find((document: any) => document.kind === 'SkyfloAI');
    expect(sky.spec.auth.oidc).toMatchObject({ issuerUrl: 'https://login.example.com/realms/acme', clientId: 'skyflo', clientSecretRef: { name: 'skyflo-oidc', key: 'client-secret' }, roleMapping: { 'sre-leads': 'approver', 'platform-admins': 'admin' } });
    expect(sky.spec.auth).toMatchObject({ localLogin: false, breakGlassEmail: 'admin@example.com' });
    expect(sky.spec.alerts.pagerDuty).toEqual({ webhookSecretRef: { name: 'skyflo-pagerduty', key: 'webhook-secret' }, runAs: 'oncall@example.com', apiTokenRef: { name: 'skyflo-pagerduty', key: 'api-token' }, from: 'pd-bot@example.com' });
    expect(sky.spec.mcp.oauth).toEqual({ issuer: 'https://login.example.com/realms/acme', audience: 'https://mcp.example.com/mcp', requiredScopes: ['mcp:tools', 'mcp:read'] });
    expect(sky.spec.engine.oauth).toBeUndefined();
    expect(validateSkyfloAi(sky), JSON.stringify(validateSkyfloAi.errors)).toBe(true);
    // Nothing the chart renders is a Secret or a ConfigMap holding these settings.
    expect(documents.filter((document: any) => document.kind === 'Secret' || document.kind === 'ConfigMap')).toEqual([]);
  });

  it('renders no auth, alerts or oauth fields by default', async () => {
    const result = await helmTemplate('{}');
    expect(result.code, result.stderr).toBe(0);
    const sky = parseAllDocuments(result.stdout).map((document) => document.toJSON()).find((document: any) => document?.kind === 'SkyfloAI');
    expect(sky.spec.auth).toBeUndefined();
    expect(sky.spec.alerts).toBeUndefined();
    expect(sky.spec.mcp.oauth).toBeUndefined();
  });

  it('refuses a secret value in the values, and a bad setting, naming the field', async () => {
    const secretValue = await helmTemplate('skyfloai:\n  auth:\n    oidc: {issuerUrl: "https://login.example.com", clientId: skyflo, clientSecret: "s3cr3t-value"}\n');
    expect(secretValue.code).not.toBe(0);
    expect(secretValue.stderr).toMatch(/skyfloai\.auth\.oidc/);
    expect(secretValue.stderr).toMatch(/clientSecret/);
    expect(secretValue.stdout).not.toContain('s3cr3t-value');

    const badUrl = await helmTemplate('skyfloai:\n  auth:\n    oidc: {issuerUrl: "login.example.com", clientId: skyflo}\n');
    expect(badUrl.code).not.toBe(0);
    expect(badUrl.stderr).toMatch(/issuerUrl/);

    const badRole = await helmTemplate('skyfloai:\n  auth:\n    oidc: {issuerUrl: "https://login.example.com", clientId: skyflo, roleMapping: {sre: superuser}}\n');
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toMatch(/roleMapping[\s\S]*(admin|approver|member)/);

    const tokenInline = await helmTemplate('skyfloai:\n  alerts:\n    pagerDuty: {runAs: oncall@example.com, webhookSecretRef: {name: pd}, apiToken: "u+abcdefgh"}\n');
    expect(tokenInline.code).not.toBe(0);
    expect(tokenInline.stderr).toMatch(/apiToken/);
  });
});

describe('the operator', () => {
  let harness: OperatorHarness;

  beforeAll(async () => {
    harness = await startOperatorHarness();
    await harness.startInProcess();
  });
  afterAll(async () => {
    await harness?.close();
  });

  const engineEnv = async (name: string) => {
    const deployment = await harness.tryGet('deployment', `${name}-engine`);
    return deployment?.spec.template.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: any }> | undefined;
  };
  const skyfloAi = (name: string) => `apiVersion: skyflo.ai/v1
kind: SkyfloAI
metadata: {name: ${name}, namespace: default}
spec:
  mcp:
    oauth: {issuer: "https://login.example.com/realms/acme", requiredScopes: ["mcp:tools", "mcp:read"]}
  auth:
    oidc:
      issuerUrl: https://login.example.com/realms/acme
      clientId: skyflo
      clientSecretRef: {name: ${name}-oidc}
      roleMapping: {sre-leads: approver}
    localLogin: false
    breakGlassEmail: admin@example.com
  alerts:
    pagerDuty:
      webhookSecretRef: {name: ${name}-pagerduty}
      runAs: oncall@example.com
`;

  it('gives the engine and the MCP server the settings, secrets only through secretKeyRef, and rolls the engine when a secret is rotated', async () => {
    await harness.kubectl(['create', 'secret', 'generic', 'corp-oidc', '--from-literal=client-secret=oidc-client-secret-value']);
    await harness.kubectl(['create', 'secret', 'generic', 'corp-pagerduty', '--from-literal=webhook-secret=pagerduty-signing-secret-value']);
    await harness.apply(skyfloAi('corp'));
    const sky = await eventually(async () => {
      const object = await harness.tryGet('skyfloai', 'corp');
      return condition(object, 'Ready')?.status === 'True' ? object : undefined;
    }, { what: 'SkyfloAI corp Ready' });
    expect(JSON.stringify(sky)).not.toContain('oidc-client-secret-value');

    const env = (await engineEnv('corp'))!;
    const byName = Object.fromEntries(env.map((entry) => [entry.name, entry]));
    expect(byName.OIDC_ISSUER_URL).toEqual({ name: 'OIDC_ISSUER_URL', value: 'https://login.example.com/realms/acme' });
    expect(byName.OIDC_CLIENT_ID.value).toBe('skyflo');
    expect(JSON.parse(byName.OIDC_ROLE_MAPPING.value!)).toEqual({ 'sre-leads': 'approver' });
    expect(byName.LOCAL_LOGIN.value).toBe('false');
    expect(byName.LOCAL_LOGIN_BREAK_GLASS_EMAIL.value).toBe('admin@example.com');
    expect(byName.PAGERDUTY_RUN_AS.value).toBe('oncall@example.com');
    expect(byName.OIDC_CLIENT_SECRET).toEqual({ name: 'OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'corp-oidc', key: 'client-secret' } } });
    expect(byName.PAGERDUTY_WEBHOOK_SECRET).toEqual({ name: 'PAGERDUTY_WEBHOOK_SECRET', valueFrom: { secretKeyRef: { name: 'corp-pagerduty', key: 'webhook-secret' } } });
    expect(byName.PAGERDUTY_API_TOKEN).toBeUndefined();

    const mcp = await harness.tryGet('deployment', 'corp-mcp');
    const mcpEnv = Object.fromEntries(mcp.spec.template.spec.containers[0].env.map((entry: any) => [entry.name, entry.value]));
    expect(mcpEnv.MCP_OAUTH_ISSUER).toBe('https://login.example.com/realms/acme');
    expect(mcpEnv.MCP_OAUTH_REQUIRED_SCOPES).toBe('mcp:tools mcp:read');
    expect(mcpEnv.MCP_OAUTH_AUDIENCE).toBeUndefined();

    // No secret value anywhere the operator wrote: Deployments, ConfigMaps, the SkyfloAI.
    const written = await harness.kubectl(['get', 'deployments,configmaps,skyfloais', '-o', 'json']);
    expect(written).not.toContain('oidc-client-secret-value');
    expect(written).not.toContain('pagerduty-signing-secret-value');

    // Rotation: a new client secret changes the engine's pod template (a rollout), without a spec change.
    const before = (await harness.tryGet('deployment', 'corp-engine')).spec.template.metadata.annotations?.['skyflo.ai/referenced-secrets-sha256'];
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    await harness.apply('apiVersion: v1\nkind: Secret\nmetadata: {name: corp-oidc, namespace: default}\nstringData: {client-secret: rotated-oidc-client-secret}\n');
    const after = await eventually(async () => {
      const value = (await harness.tryGet('deployment', 'corp-engine')).spec.template.metadata.annotations?.['skyflo.ai/referenced-secrets-sha256'];
      return value && value !== before ? value : undefined;
    }, { what: 'the engine pod template to change after the Secret was rotated' });
    expect(after).toMatch(/^[0-9a-f]{64}$/);
    expect(await harness.kubectl(['get', 'deployments', '-o', 'json'])).not.toContain('rotated-oidc-client-secret');
  });

  it('says which Secret is missing in a Degraded condition and an event (kubectl describe sky)', async () => {
    await harness.kubectl(['create', 'secret', 'generic', 'lost-oidc', '--from-literal=client-secret=value']);
    await harness.apply(skyfloAi('lost'));
    const sky = await eventually(async () => {
      const object = await harness.tryGet('skyfloai', 'lost');
      return condition(object, 'Degraded')?.reason === 'SecretMissing' ? object : undefined;
    }, { what: 'a SecretMissing condition' });
    const degraded = condition(sky, 'Degraded');
    expect(degraded.status).toBe('True');
    expect(degraded.message).toContain('Secret default/lost-pagerduty (spec.alerts.pagerDuty.webhookSecretRef) does not exist');
    expect(degraded.message).not.toContain('lost-oidc');
    const described = await eventually(async () => {
      const output = await harness.kubectl(['describe', 'sky', 'lost']);
      return output.includes('SecretMissing') && output.includes('lost-pagerduty') ? output : undefined;
    }, { what: 'kubectl describe sky to show the SecretMissing event' });
    expect(described).toMatch(/Warning\s+SecretMissing/);

    // Creating the Secret clears it without touching the SkyfloAI (the operator watches the Secrets it references).
    await harness.kubectl(['create', 'secret', 'generic', 'lost-pagerduty', '--from-literal=webhook-secret=0123456789abcdef']);
    await eventually(async () => condition(await harness.tryGet('skyfloai', 'lost'), 'Degraded')?.status === 'False', { what: 'the condition to clear' });
  });

  it('refuses localLogin=false without oidc at admission, saying why', async () => {
    const error = await harness.apply('apiVersion: skyflo.ai/v1\nkind: SkyfloAI\nmetadata: {name: nologin, namespace: default}\nspec:\n  auth: {localLogin: false}\n').catch((failure: Error) => failure.message);
    expect(error).toContain('auth.localLogin=false needs auth.oidc');
  });
});

/**
 * `skyflo chat` on two clusters (issue 22), against a real engine whose kubeconfig has the contexts `staging`
 * (current) and `prod-eu` (labelled prod), each a kube-sim: an unknown --context is refused listing the known
 * clusters; in a real pseudo-terminal (tmux), --context prod-eu pins the conversation there (/context lists both and
 * marks it), the approval card names "prod-eu · namespace payments" under its title, and the change lands in prod-eu
 * only; /context staging starts a new conversation whose change lands in staging only. Read back with real kubectl.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { startTwoClusters, type TwoClusters } from '@skyflo/testkit/two-clusters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, PASSWORD, runCli, skyfloBin } from './harness.ts';
import { startTerminal, type Terminal } from './tmux.ts';

const TEST_TIMEOUT = 300_000;
let dir: string;
let clusters: TwoClusters;
let llm: LlmSim;
let engine: Engine;
let url: string;
let token: string;
let terminal: Terminal;

const scaleTo = (count: number) => ({
  rules: [
    { match: { lastRole: 'user' as const }, reply: { toolCalls: [{ name: 'load_toolset', arguments: { toolset: 'k8s', include_write_tools: true } }] } },
    { match: { toolName: 'load_toolset' }, reply: { toolCalls: [{ name: 'k8s_scale', arguments: { name: 'web', resource_type: 'deployment', replicas: count, namespace: 'payments' } }] } },
    { match: { toolName: 'k8s_scale' }, reply: `Scaled web to ${count}.` },
  ],
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'skyflo-chat-clusters-'));
  [clusters, llm] = await Promise.all([startTwoClusters(dir), startLlmSim({ port: 0 })]);
  engine = await createEngine(
    loadConfig({ PORT: '0', SKYFLO_DATA_DIR: path.join(dir, 'data'), LLM_MODEL: 'openai-compatible/sim-model', LLM_HOST: llm.url, LLM_MAX_RETRIES: '2', LLM_RETRY_BASE_DELAY_MS: '10', KUBECONFIG: clusters.kubeconfig, SKYFLO_CLUSTER_LABELS: 'prod-eu=prod', TITLE_GENERATION_ENABLED: 'false', LOG_LEVEL: 'silent' }),
    { logger: false },
  );
  url = await engine.listen();
  const registered = await fetch(`${url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: EMAIL, password: PASSWORD }) });
  expect(registered.status).toBe(201);
  const login = await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: EMAIL, password: PASSWORD }) });
  token = ((await login.json()) as { access_token: string }).access_token;
}, 240_000);

afterAll(async () => {
  await terminal?.kill();
  await engine?.close();
  await llm?.close();
  await clusters?.staging.close();
  await clusters?.prod.close();
}, 120_000);

describe('skyflo chat on two clusters', () => {
  it('an unknown --context is refused before anything is asked, listing the known clusters', async () => {
    const result = await runCli(['chat', '--url', url, '--context', 'gamma', '-p', 'scale web'], { env: { SKYFLO_TOKEN: token } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('skyflo chat: unknown cluster "gamma". Known clusters: staging (default), prod-eu [prod]');
    expect(llm.calls.length).toBe(0);
  }, TEST_TIMEOUT);

  it('--context prod-eu: /context marks it, the approval card names it, and the change lands in prod-eu only', async () => {
    terminal = await startTerminal({ dir, command: [process.execPath, skyfloBin, 'chat', '--url', url, '--context', 'prod-eu'], env: { SKYFLO_TOKEN: token, NO_COLOR: '1', TERM: 'xterm-256color', XDG_CONFIG_HOME: path.join(dir, 'config') } });
    const start = await terminal.waitFor(/^› $/m);
    expect(start).toMatch(/cluster prod-eu/);
    await terminal.type('/context');
    await terminal.keys('Enter');
    const list = await terminal.waitAfter('› /context', /Current: prod-eu\./);
    expect(list).toMatch(/^ {2}staging\s+reachable .*\(default\)$/m);
    expect(list).toMatch(/^▸ prod-eu\s+PROD\s+reachable/m);

    llm.reset(scaleTo(4));
    await terminal.type('scale web in payments to 4');
    await terminal.keys('Enter');
    const card = await terminal.waitAfter('scale web in payments to 4', /\[a\] approve/);
    const lines = card.split('\n');
    const title = lines.findIndex((line) => /Approval needed: .*\(k8s_scale\)/.test(line));
    expect(lines[title + 1]).toMatch(/^│ CLUSTER\s+prod-eu · namespace payments\s+PROD\s+http:\/\/127\.0\.0\.1:\d+$/);
    await terminal.type('a');
    await terminal.waitAfter('scale web in payments to 4', /Scaled web to 4\./);
    expect(await clusters.replicas('prod-eu')).toBe('4');
    expect(await clusters.replicas('staging')).toBe('2');
    await terminal.waitAfter('scale web in payments to 4', /^› $/m);
  }, TEST_TIMEOUT);

  it('/context staging starts a new conversation there: its change lands in staging only', async () => {
    await terminal.type('/context staging');
    await terminal.keys('Enter');
    await terminal.waitAfter('› /context staging', /New conversation on staging\./);
    llm.reset(scaleTo(3));
    await terminal.type('scale web in payments to 3');
    await terminal.keys('Enter');
    const card = await terminal.waitAfter('scale web in payments to 3', /\[a\] approve/);
    expect(card).toMatch(/^│ CLUSTER\s+staging · namespace payments\s+http:\/\/127\.0\.0\.1:\d+$/m);
    await terminal.type('a');
    await terminal.waitAfter('scale web in payments to 3', /Scaled web to 3\./);
    expect(await clusters.replicas('staging')).toBe('3');
    expect(await clusters.replicas('prod-eu')).toBe('4');
  }, TEST_TIMEOUT);
});

/**
 * Issue 81: `skyflo schedule` against a real engine (PGlite, llm-sim): add a read-only check, list it, run it now, and
 * read its runs with what changed; a member's command never reaches another member's schedule. In-process (the same
 * function bin/skyflo.mjs runs), signed in with SKYFLO_TOKEN.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, loadConfig, type Engine } from '@skyflo/engine';
import { startLlmSim, type LlmSim } from '@skyflo/testkit/llm-sim';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { schedule } from '../../src/schedule/schedule-command.ts';

let sim: LlmSim;
let engine: Engine;
let url: string;
const tokens: Record<string, string> = {};

async function signIn(email: string): Promise<string> {
  const password = 'correct horse battery';
  await fetch(`${url}/api/v1/auth/register/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return ((await (await fetch(`${url}/api/v1/auth/jwt/login`, { method: 'POST', body: new URLSearchParams({ username: email, password }) })).json()) as { access_token: string }).access_token;
}

async function cli(who: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await schedule([...argv, '--url', url], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { SKYFLO_TOKEN: tokens[who]!, SKYFLO_CONFIG_DIR: mkdtempSync(path.join(tmpdir(), 'skyflo-cli-')) },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  sim = await startLlmSim({ port: 0 });
  sim.reset({ rules: [], fallback: 'Checked.\n\n- web-1 is Pending' });
  const config = loadConfig({
    PORT: '0',
    SKYFLO_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'skyflo-cli-schedule-')),
    ALLOW_REGISTRATION: 'true',
    LLM_MODEL: 'openai-compatible/sim-model',
    LLM_HOST: sim.url,
    TITLE_GENERATION_ENABLED: 'false',
    LOG_LEVEL: 'silent',
  });
  engine = await createEngine(config, { logger: false });
  url = await engine.listen();
  tokens['ada'] = await signIn('ada@example.com');
  tokens['bob'] = await signIn('bob@example.com');
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await sim?.close();
});

describe('skyflo schedule', () => {
  it('adds, lists, runs now and shows the runs; another member cannot reach it', async () => {
    const added = await cli('ada', 'add', '--name', 'morning', '--cron', '0 8 * * 1-5', '--tz', 'Europe/Berlin', '--prompt', 'Anything pending?', '--namespaces', 'shop,payments');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^Added: [0-9a-f-]{36} {2}morning {2}"0 8 \* \* 1-5" Europe\/Berlin {2}read-only {2}shop,payments {2}next /);

    const listed = await cli('ada', 'list');
    expect(listed.stdout).toContain('morning');

    const ran = await cli('ada', 'run', 'morning');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^Running morning now/);
    await vi.waitFor(async () => expect((await cli('ada', 'runs', 'morning')).stdout).toContain('completed'), { timeout: 30_000 });
    const runs = await cli('ada', 'runs', 'morning');
    expect(runs.stdout).toContain('(run by hand)');
    expect(runs.stdout).toContain('* web-1 is Pending');
    const json = JSON.parse((await cli('ada', 'runs', 'morning', '--json')).stdout) as { data: Array<{ findings: string[] }> };
    expect(json.data[0]!.findings).toEqual(['web-1 is Pending']);

    // bob sees none of it and cannot run it by name
    expect((await cli('bob', 'list')).stdout).toBe('No schedules.\n');
    const refused = await cli('bob', 'run', 'morning');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('No schedule "morning"');

    const bad = await cli('ada', 'add', '--name', 'bad', '--cron', 'every day', '--prompt', 'x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('five fields');

    expect((await cli('ada', 'delete', 'morning')).stdout).toBe('Deleted morning.\n');
    expect((await cli('ada', 'list')).stdout).toBe('No schedules.\n');
  });
});

/**
 * Review finding: helm output is text, and an env var rendered as `- name: DB_PASSWORD` / `value: …` keeps
 * the sensitive word and the secret on different lines, so helm_template printed the value.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmTools } from '../../src/tools/helm/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { redactText } from '@skyflo/safety';
import { callTool, chartsDir, createHelmHome, helmDeps, type HelmTestEnv } from '../support/helm-test-env.ts';

const tool = (name: string) => helmTools.find((candidate) => candidate.name === name)!;
let env: HelmTestEnv;
let deps: ToolDeps;

beforeAll(async () => {
  env = await createHelmHome();
  deps = helmDeps({ helmEnv: env.helmEnv });
});
afterAll(async () => {
  await env?.cleanup();
});

describe('review: {name, value} pairs in YAML text', () => {
  it('helm_template hides the value of a sensitive env var and keeps the others', async () => {
    const values = [
      'extraEnv:',
      '  - name: DB_PASSWORD',
      '    value: pa55-in-env',
      '  - value: tok-before-name',
      '    name: API_TOKEN',
      '  - name: LOG_LEVEL',
      '    value: debug',
      '',
    ].join('\n');
    const result = await callTool(tool('helm_template'), { release_name: 'shop', chart: path.join(chartsDir, 'env-app'), values }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(result.text).not.toContain('pa55-in-env');
    expect(result.text).not.toContain('tok-before-name');
    expect(result.text).toMatch(/- name: DB_PASSWORD\n\s+value: "?\[REDACTED\]"?/);
    expect(result.text).toMatch(/- name: LOG_LEVEL\n\s+value: "?debug"?/);
    expect(result.text).toContain('# Source: env-app/templates/deployment.yaml');
  });

  it.each([
    ['flow mappings', '- {name: DB_PASSWORD, value: hunter2}\n- {name: COLOR, value: blue}', ['hunter2'], ['value: blue']],
    ['block scalars', '- name: "SECRET_KEY"\n  value: |\n    hunter2\n    hunter3\n- name: other\n  value: fine', ['hunter2', 'hunter3'], ['value: fine']],
    ['probe headers', 'httpHeaders:\n  - name: Authorization\n    value: Token abcdef123456\n  - name: Accept\n    value: text/plain', ['abcdef123456'], ['value: text/plain']],
  ])('%s', (_label, text, hidden, kept) => {
    const redacted = redactText(text);
    for (const secret of hidden) expect(redacted).not.toContain(secret);
    for (const visible of kept) expect(redacted).toContain(visible);
    expect(redacted).toContain('[REDACTED]');
  });
});

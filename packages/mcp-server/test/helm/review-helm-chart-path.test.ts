/**
 * Review finding: helm loads a chart from a local path before it looks in repositories, so a "repo/chart"
 * reference that also names a directory under the server's working directory bypassed the chart-directory
 * allow-list (helm_show_values / helm_template read charts from anywhere under the cwd).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmTools } from '../../src/tools/helm/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { callTool, createHelmHome, helmDeps, type HelmTestEnv } from '../support/helm-test-env.ts';

const tool = (name: string) => helmTools.find((candidate) => candidate.name === name)!;
let env: HelmTestEnv;
let deps: ToolDeps;
let workingDirectory: string;
const originalCwd = process.cwd();

beforeAll(async () => {
  env = await createHelmHome();
  deps = helmDeps({ helmEnv: env.helmEnv });
  workingDirectory = mkdtempSync(path.join(tmpdir(), 'skyflo-cwd-'));
  const chart = path.join(workingDirectory, 'outside', 'chart');
  mkdirSync(path.join(chart, 'templates'), { recursive: true });
  writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: chart\nversion: 0.1.0\n');
  writeFileSync(path.join(chart, 'values.yaml'), 'marker: read-from-outside-the-allow-list\n');
  // helm runs in the server's working directory; the test puts a chart at "outside/chart" relative to it.
  process.chdir(workingDirectory);
});
afterAll(async () => {
  process.chdir(originalCwd);
  rmSync(workingDirectory, { recursive: true, force: true });
  await env?.cleanup();
});

describe('review: "repo/chart" that is also a local path', () => {
  it.each(['helm_show_values', 'helm_template'])('%s refuses it instead of letting helm read the local chart', async (name) => {
    const result = await callTool(tool(name), { chart: 'outside/chart', release_name: 'probe' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).not.toContain('read-from-outside-the-allow-list');
    expect(result.text).toContain('not inside an allowed chart directory');
  });
});

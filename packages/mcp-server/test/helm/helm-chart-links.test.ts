/**
 * Issue 74 item 1, for chart directories (HELM_CHART_DIRS): helm reads a local chart whole and follows every link in
 * it, so a chart in an allowed directory whose `values.yaml` links to a key file outside (or `files/key` read with
 * .Files.Get) rendered that key into a read-only tool's answer, and a FIFO in the chart hung helm. Every file of a
 * local chart must now be a regular file inside the chart directory; links that stay inside still work.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmTools } from '../../src/tools/helm/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { callTool, createHelmHome, helmDeps, type HelmTestEnv } from '../support/helm-test-env.ts';

const KEY = 'engine-key-9d2f7c4a1e';
const tool = (name: string) => helmTools.find((candidate) => candidate.name === name)!;

let env: HelmTestEnv;
let base: string;
let charts: string;
let deps: ToolDeps;

async function chart(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(charts, name);
  await mkdir(path.join(dir, 'templates'), { recursive: true });
  await writeFile(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  await writeFile(path.join(dir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  note: {{ .Values.note | default "none" | quote }}\n  file: {{ .Files.Get "files/key" | quote }}\n');
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
  return dir;
}

beforeAll(async () => {
  env = await createHelmHome();
  base = await mkdtemp(path.join(tmpdir(), 'skyflo-chart-links-'));
  await writeFile(path.join(base, 'values-outside.yaml'), `note: ${KEY}\n`);
  await writeFile(path.join(base, 'key'), KEY);
  charts = path.join(base, 'charts');
  const leakyValues = await chart('leaky-values', {});
  await symlink(path.join(base, 'values-outside.yaml'), path.join(leakyValues, 'values.yaml'));
  const leakyFile = await chart('leaky-file', { 'values.yaml': 'note: fine\n' });
  await mkdir(path.join(leakyFile, 'files'));
  await symlink(path.join(base, 'key'), path.join(leakyFile, 'files', 'key'));
  const blocking = await chart('blocking', { 'values.yaml': 'note: fine\n' });
  execFileSync('mkfifo', [path.join(blocking, 'README.md')]);
  // a link that stays inside the chart directory is fine
  const tidy = await chart('tidy', { 'shared-values.yaml': 'note: shared-inside\n' });
  await symlink('shared-values.yaml', path.join(tidy, 'values.yaml'));
  deps = helmDeps({ helmEnv: env.helmEnv, settings: { helmChartDirs: [charts] } });
});

afterAll(async () => {
  await env?.cleanup();
  if (base) await rm(base, { recursive: true, force: true });
});

describe('a local chart with links out of its chart directory', () => {
  it.each([
    ['helm_show_values', 'leaky-values', 'leaky-values/values.yaml'],
    ['helm_template', 'leaky-values', 'leaky-values/values.yaml'],
    ['helm_template', 'leaky-file', 'leaky-file/files/key'],
  ])('%s of %s is refused, naming the link, and shows nothing of its target', async (name, chartName, link) => {
    const result = await callTool(tool(name), { chart: path.join(charts, chartName), release_name: 'probe' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).not.toContain(KEY);
    expect(result.text).toContain(`The local chart is not used: ${link} in the chart directory ${charts} leads outside the folder (a symbolic link to another place)`);
  });

  it('a FIFO in the chart is refused before helm runs (helm would block on it)', async () => {
    const result = await callTool(tool('helm_template'), { chart: path.join(charts, 'blocking'), release_name: 'probe' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('blocking/README.md in the chart directory');
    expect(result.text).toContain('is a FIFO');
  });

  it('a link that stays inside the chart directory still renders', async () => {
    const result = await callTool(tool('helm_template'), { chart: path.join(charts, 'tidy'), release_name: 'probe' }, deps);
    expect(result.isError).toBeFalsy();
    expect(result.text).toContain('note: "shared-inside"');
  });
});

/**
 * The helm tools that need no cluster, against the real helm binary: rendering a local chart and the
 * repository lifecycle against a chart repository served on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmTools } from '../../src/tools/helm/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { callTool, createHelmHome, demoChartDir, helmDeps, startChartRepository, type ChartRepository, type HelmTestEnv } from '../support/helm-test-env.ts';

const tool = (name: string) => helmTools.find((candidate) => candidate.name === name)!;

let env: HelmTestEnv;
let repository: ChartRepository;
let deps: ToolDeps;

beforeAll(async () => {
  env = await createHelmHome();
  repository = await startChartRepository(env);
  deps = helmDeps({ helmEnv: env.helmEnv });
});

afterAll(async () => {
  await repository?.close();
  await env?.cleanup();
});

describe('helm_template and helm_show_values (real helm, local chart)', () => {
  it('renders the chart with the given values and redacts the Secret', async () => {
    const result = await callTool(tool('helm_template'), { release_name: 'shop', chart: demoChartDir, values: 'replicaCount: 4\ndbPassword: pa55-from-values\n' }, deps);
    expect(result.isError).toBeFalsy();
    expect(result.text).toContain('name: shop-web');
    expect(result.text).toContain('replicas: 4');
    expect(result.text).toContain('kind: Secret');
    expect(result.text).not.toContain('pa55-from-values');
  });

  it('fails clearly on a values document that is not YAML', async () => {
    const result = await callTool(tool('helm_template'), { release_name: 'shop', chart: demoChartDir, values: 'replicaCount: [1,\n  broken' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/YAML/);
  });

  it('shows default values with the password redacted', async () => {
    const result = await callTool(tool('helm_show_values'), { chart: demoChartDir }, deps);
    expect(result.isError).toBeFalsy();
    expect(result.text).toContain('repository: nginx');
    expect(result.text).toContain('dbPassword: [REDACTED]');
    expect(result.text).not.toContain('changeme-default-password');
  });

  it('explains a chart that is not in any added repository', async () => {
    const result = await callTool(tool('helm_show_values'), { chart: 'nowhere/nothing' }, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/No chart repository named "nowhere" is configured/);
  });
});

describe('helm repositories (local repository on 127.0.0.1)', () => {
  it('adds, updates, searches and removes a repository', async () => {
    const added = await callTool(tool('helm_repo_add'), { name: 'local', url: repository.url }, deps);
    expect(added.isError, added.text).toBeFalsy();
    expect(added.text).toContain('"local" has been added');
    expect(repository.requests).toContain('/index.yaml');

    const updated = await callTool(tool('helm_repo_update'), {}, deps);
    expect(updated.isError, updated.text).toBeFalsy();
    expect(updated.text).toContain('Successfully got an update from the "local" chart repository');

    const found = await callTool(tool('helm_search_repo'), { keyword: 'demo' }, deps);
    expect(found.text).toContain('local/demo-app');
    expect(found.text).toContain('0.1.0');

    const none = await callTool(tool('helm_search_repo'), { keyword: 'no-such-chart-anywhere' }, deps);
    expect(none.isError).toBeFalsy();
    expect(none.text).toContain('No charts match');

    const values = await callTool(tool('helm_show_values'), { chart: 'local/demo-app' }, deps);
    expect(values.text).toContain('greeting: hello');

    const removed = await callTool(tool('helm_repo_remove'), { name: 'local' }, deps);
    expect(removed.text).toContain('"local" has been removed');
    const gone = await callTool(tool('helm_search_repo'), { keyword: 'demo' }, deps);
    expect(gone.text).not.toContain('local/demo-app');
  });

  it('reports an unreachable repository and removing an unknown one as errors', async () => {
    const unreachable = await callTool(tool('helm_repo_add'), { name: 'dead', url: 'http://127.0.0.1:9/charts' }, deps);
    expect(unreachable.isError).toBe(true);
    expect(unreachable.text).toContain('helm said');
    const unknown = await callTool(tool('helm_repo_remove'), { name: 'never-added' }, deps);
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/no repo named|not configured/i);
  });
});

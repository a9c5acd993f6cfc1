/**
 * Unit tests of the helm family with a fake CommandRunner: the argv each tool builds, input defences,
 * error mapping and redaction. The real binary is exercised in helm-offline / helm-cluster tests.
 */
import { describe, expect, it } from 'vitest';
import type { CommandRequest } from '../../src/exec/command-runner.ts';
import { createFakeCommandRunner } from '../../src/exec/fake-command-runner.ts';
import { helmTools } from '../../src/tools/helm/index.ts';
import { callTool, demoChartDir, helmDeps } from '../support/helm-test-env.ts';

const tool = (name: string) => {
  const found = helmTools.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};

describe('helm catalogue', () => {
  it('has the 16 original tools plus helm_upgrade_diff, with annotations that match what they do', () => {
    const names = helmTools.map((definition) => definition.name).sort();
    expect(names).toEqual(
      [
        'helm_get_manifest', 'helm_get_values', 'helm_history', 'helm_install', 'helm_install_with_values', 'helm_list_releases',
        'helm_repo_add', 'helm_repo_remove', 'helm_repo_update', 'helm_rollback', 'helm_search_repo', 'helm_show_values',
        'helm_status', 'helm_template', 'helm_uninstall', 'helm_upgrade', 'helm_upgrade_diff',
      ].sort(),
    );
    const readOnly = helmTools.filter((definition) => definition.annotations.readOnlyHint).map((definition) => definition.name);
    expect(readOnly.sort()).toEqual(
      ['helm_get_manifest', 'helm_get_values', 'helm_history', 'helm_list_releases', 'helm_search_repo', 'helm_show_values', 'helm_status', 'helm_template', 'helm_upgrade_diff'].sort(),
    );
    const destructive = helmTools.filter((definition) => definition.annotations.destructiveHint).map((definition) => definition.name);
    expect(destructive.sort()).toEqual(['helm_rollback', 'helm_uninstall', 'helm_upgrade']);
    for (const definition of helmTools) {
      expect(definition.toolset).toBe('helm');
      expect(definition.title.length).toBeGreaterThan(3);
      for (const [field, schema] of Object.entries(definition.inputSchema)) {
        expect((schema as { description?: string }).description, `${definition.name}.${field}`).toBeTruthy();
      }
    }
  });

  it('helm_upgrade, helm_install_with_values and helm_rollback are previewed by helm_upgrade_diff', () => {
    expect(tool('helm_upgrade').preview?.tool).toBe('helm_upgrade_diff');
    expect(tool('helm_upgrade').preview?.mapArguments({ release_name: 'web', chart: 'repo/web', namespace: 'prod', values: 'a: 1', reuse_values: true })).toMatchObject({
      release_name: 'web',
      chart: 'repo/web',
      namespace: 'prod',
      values: 'a: 1',
      reuse_values: true,
    });
    expect(tool('helm_install_with_values').preview?.tool).toBe('helm_upgrade_diff');
    expect(tool('helm_rollback').preview?.mapArguments({ release_name: 'web', namespace: 'prod', revision: 2 })).toEqual({ release_name: 'web', namespace: 'prod', to_revision: 2 });
  });
});

describe('helm argv', () => {
  it('passes values on stdin, never on the command line, and adds --kubeconfig and the helm env', async () => {
    // `helm repo list` first: "bitnami/…" is allowed only because bitnami is a configured repository.
    const runner = createFakeCommandRunner((request) =>
      request.args[0] === 'repo' ? { stdout: '[{"name":"bitnami","url":"https://charts.bitnami.com/bitnami"}]' } : { stdout: 'NAME: web\nSTATUS: deployed\n' },
    );
    const deps = helmDeps({ runner, helmEnv: { HELM_CACHE_HOME: '/tmp/x' }, settings: { kubeconfigPath: '/etc/skyflo/kubeconfig' } });
    const values = 'dbPassword: hunter2-secret\nreplicaCount: 3\n';
    const result = await callTool(tool('helm_install_with_values'), { release_name: 'web', chart: 'bitnami/nginx', values, namespace: 'shop' }, deps);
    expect(result.isError, result.text).toBeFalsy();
    expect(runner.calls[0]!.args.slice(0, 2)).toEqual(['repo', 'list']);
    const call = runner.calls[1] as CommandRequest;
    expect(call.args).toEqual([
      'install', 'web', 'bitnami/nginx', '--namespace', 'shop', '--create-namespace', '--wait', '--timeout', '300s', '--values', '-',
      '--kubeconfig', '/etc/skyflo/kubeconfig',
    ]);
    expect(call.stdin).toBe(values);
    expect(call.args.join(' ')).not.toContain('hunter2');
    expect(call.env).toEqual({ HELM_CACHE_HOME: '/tmp/x' });
  });

  it('helm_upgrade defaults to --install --wait and honours reuse_values', async () => {
    const runner = createFakeCommandRunner(() => ({ stdout: 'Release "web" has been upgraded.' }));
    await callTool(tool('helm_upgrade'), { release_name: 'web', chart: 'oci://registry.example.com/charts/web', reuse_values: true, wait: false }, helmDeps({ runner, settings: { helmAllowedRegistries: ['registry.example.com'] } }));
    expect(runner.calls[0].args).toEqual(['upgrade', 'web', 'oci://registry.example.com/charts/web', '--namespace', 'default', '--install', '--reuse-values', '--timeout', '300s']);
  });

  it('helm_list_releases refuses namespace together with all_namespaces', async () => {
    const runner = createFakeCommandRunner();
    const result = await callTool(tool('helm_list_releases'), { namespace: 'a', all_namespaces: true }, helmDeps({ runner }));
    expect(result.isError).toBe(true);
    expect(result.text).toContain('cannot be used together');
    expect(runner.calls).toHaveLength(0);
  });
});

describe('helm input defences', () => {
  const hostile: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['release name that is a flag', 'helm_status', { release_name: '--kubeconfig=/tmp/evil' }, /Invalid release_name/],
    ['namespace with a path', 'helm_history', { release_name: 'web', namespace: '../kube-system' }, /Invalid namespace/],
    ['chart from an arbitrary URL', 'helm_install', { release_name: 'web', chart: 'https://evil.example.com/x.tgz' }, /unsupported scheme/],
    ['chart that is a flag', 'helm_show_values', { chart: '--repo=https://evil.example.com' }, /flag/],
    ['local chart outside the allowed directories', 'helm_template', { release_name: 'web', chart: '/etc' }, /not inside an allowed chart directory/],
    ['repo URL with credentials', 'helm_repo_add', { name: 'private', url: 'https://user:pa55@charts.example.com' }, /must not contain credentials/],
    ['repo URL with a file scheme', 'helm_repo_add', { name: 'local', url: 'file:///etc' }, /http or https/],
    ['search keyword that is a flag', 'helm_search_repo', { keyword: '--regexp' }, /Invalid keyword/],
    ['version that is a flag', 'helm_upgrade', { release_name: 'web', chart: 'repo/web', version: '--devel' }, /Invalid version/],
  ];
  it.each(hostile)('rejects a %s before running helm', async (_label, name, input, message) => {
    const runner = createFakeCommandRunner();
    const result = await callTool(tool(name), input, helmDeps({ runner }));
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(message);
    expect(runner.calls).toHaveLength(0);
  });

  it('accepts a local chart under an allowed directory, resolved to its real path', async () => {
    const runner = createFakeCommandRunner(() => ({ stdout: 'replicaCount: 1' }));
    const result = await callTool(tool('helm_show_values'), { chart: demoChartDir }, helmDeps({ runner }));
    expect(result.isError).toBeFalsy();
    expect(runner.calls[0].args.slice(0, 3)).toEqual(['show', 'values', demoChartDir]);
  });

  it('refuses mutating tools in read-only mode without running helm', async () => {
    const runner = createFakeCommandRunner();
    const result = await callTool(tool('helm_uninstall'), { release_name: 'web' }, helmDeps({ runner, settings: { readOnly: true } }));
    expect(result.isError).toBe(true);
    expect(result.text).toContain('read-only');
    expect(runner.calls).toHaveLength(0);
  });
});

describe('helm failures and redaction', () => {
  it('explains a missing release with a next step', async () => {
    const runner = createFakeCommandRunner(() => ({ exitCode: 1, stderr: 'Error: release: not found\n' }));
    const result = await callTool(tool('helm_status'), { release_name: 'ghost', namespace: 'shop' }, helmDeps({ runner }));
    expect(result.isError).toBe(true);
    expect(result.text).toContain('The Helm release was not found');
    expect(result.text).toContain('Try: list releases with helm_list_releases');
  });

  it('reports a timeout as such', async () => {
    const runner = createFakeCommandRunner(() => ({ exitCode: 1, timedOut: true }));
    const result = await callTool(tool('helm_rollback'), { release_name: 'web', revision: 1 }, helmDeps({ runner }));
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/did not finish within 330 s/);
  });

  it('reports a missing helm binary clearly', async () => {
    const deps = helmDeps({ settings: { helmPath: '/nonexistent/helm' } });
    const result = await callTool(tool('helm_list_releases'), {}, deps);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/helm binary (is not available|was not found)/i);
  });

  it('redacts secrets in helm get values and manifests', async () => {
    const runner = createFakeCommandRunner((request) =>
      request.args[1] === 'values'
        ? { stdout: 'dbPassword: hunter2-secret\nreplicaCount: 3\n' }
        : { stdout: '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\nstringData:\n  password: "hunter2-secret"\n' },
    );
    const deps = helmDeps({ runner });
    const values = await callTool(tool('helm_get_values'), { release_name: 'web' }, deps);
    expect(values.text).toContain('replicaCount: 3');
    expect(values.text).not.toContain('hunter2');
    const manifest = await callTool(tool('helm_get_manifest'), { release_name: 'web' }, deps);
    expect(manifest.text).toContain('name: web-db');
    expect(manifest.text).not.toContain('hunter2');
  });

  it('keeps a huge manifest within the output budget with a note', async () => {
    const big = Array.from({ length: 5000 }, (_, index) => `  key${index}: value-${index}`).join('\n');
    const runner = createFakeCommandRunner(() => ({ stdout: `apiVersion: v1\nkind: ConfigMap\ndata:\n${big}\n` }));
    const result = await callTool(tool('helm_get_manifest'), { release_name: 'web' }, helmDeps({ runner, settings: { outputBudgetBytes: 4096 } }));
    expect(Buffer.byteLength(result.text)).toBeLessThanOrEqual(4096);
    expect(result.text).toContain('output cut');
  });
});

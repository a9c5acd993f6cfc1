/**
 * The injection corpus fed through the tools that start processes: every hostile value is refused with
 * a clear error and the command runner neither runs nor starts anything.
 */
import { describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { createFakeCommandRunner } from '../../src/exec/fake-command-runner.ts';
import { runTool } from '../../src/tools/run-tool.ts';
import { kubectlTools } from '../../src/tools/kubectl/index.ts';
import type { ToolDeps } from '../../src/deps/deps.ts';
import { hostileValues } from '../support/hostile-values.ts';
import { createPortForwards } from '../../src/port-forward/create-port-forwards.ts';

function fakeDeps() {
  const runner = createFakeCommandRunner(() => ({ stdout: 'should never run' }));
  const kubeConfig = new KubeConfig();
  // Points at a closed port: a tool that got past its guards would fail loudly rather than reach a cluster.
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const deps: ToolDeps = {
    settings: { kubectlPath: '/bin/false', helmPath: '/bin/false', outputBudgetBytes: 24_000, readOnly: false, integrationsNamespace: 'default' },
    kubeConfig,
    runner,
    jenkinsCredentials: { resolve: async () => { throw new Error('unused'); } },
    portForwards: createPortForwards({ runner }),
  };
  return { deps, runner };
}

const tool = (name: string) => kubectlTools.find((candidate) => candidate.name === name)!;
const signal = new AbortController().signal;

// For optional fields an empty string means "not given" (like omitting the flag), so it is not hostile there.
const targets: Array<{ tool: string; optional?: boolean; input: (value: string) => Record<string, unknown> }> = [
  { tool: 'k8s_describe', optional: true, input: (value) => ({ resource_type: 'pod', name: value }) },
  { tool: 'k8s_describe', input: (value) => ({ resource_type: value, name: 'web' }) },
  { tool: 'k8s_describe', optional: true, input: (value) => ({ resource_type: 'pod', name: 'web', namespace: value }) },
  { tool: 'k8s_exec', input: (value) => ({ pod_name: value, command: 'ls' }) },
  { tool: 'k8s_exec', optional: true, input: (value) => ({ pod_name: 'web', command: 'ls', container_name: value }) },
  { tool: 'k8s_exec', optional: true, input: (value) => ({ pod_name: 'web', command: 'ls', namespace: value }) },
  { tool: 'k8s_port_forward', input: (value) => ({ resource_name: value, ports: '8080:80' }) },
  { tool: 'k8s_port_forward', optional: true, input: (value) => ({ resource_name: 'web', ports: '8080:80', namespace: value }) },
  { tool: 'k8s_port_forward', input: (value) => ({ resource_name: 'web', ports: value }) },
];

describe('hostile values through process-starting tools', () => {
  for (const target of targets) {
    const values = target.optional ? hostileValues.filter((value) => value !== '') : hostileValues;
    it(`${target.tool} ${JSON.stringify(target.input('X'))} refuses all ${values.length} hostile values without running anything`, async () => {
      const { deps, runner } = fakeDeps();
      for (const value of values) {
        const result = await runTool(tool(target.tool), target.input(value), deps, { signal });
        expect(result.isError, JSON.stringify(value)).toBe(true);
        expect(result.text, JSON.stringify(value)).toMatch(/^(Invalid|Invalid arguments)|Try:/);
      }
      expect(runner.calls).toEqual([]);
      expect(runner.started).toEqual([]);
    });
  }

  it('passes command words after "--" so they can never become kubectl flags', async () => {
    const { deps, runner } = fakeDeps();
    await runTool(tool('k8s_exec'), { pod_name: 'web', command: "--kubeconfig=/tmp/x sh -c 'id; ls'" }, deps, { signal });
    expect(runner.calls).toHaveLength(1);
    const args = runner.calls[0].args;
    const separator = args.indexOf('--');
    expect(separator).toBeGreaterThan(0);
    expect(args.slice(separator + 1)).toEqual(['--kubeconfig=/tmp/x', 'sh', '-c', 'id; ls']);
    expect(args.slice(0, separator).filter((arg) => arg.startsWith('--kubeconfig'))).toEqual([]);
  });
});

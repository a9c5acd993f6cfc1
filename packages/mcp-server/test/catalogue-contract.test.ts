/**
 * What every listed tool promises a client (issue 3): a title, all four annotation hints as booleans, a
 * toolset tag (preview_tool_call alone is toolset-neutral), a description on every input field, and in
 * read-only mode nothing but readOnlyHint tools — none of which can print a kubeconfig or pass raw commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectInProcess } from '../src/connect-in-process.ts';
import { createFakeCommandRunner } from '../src/exec/fake-command-runner.ts';
import type { ToolDeps } from '../src/tools/deps.ts';

const deps: ToolDeps = {
  settings: { kubectlPath: 'kubectl', helmPath: 'helm', outputBudgetBytes: 24_000, readOnly: false, integrationsNamespace: 'default' },
  kubeConfig: new KubeConfig(),
  runner: createFakeCommandRunner(),
  jenkinsCredentials: { resolve: async () => { throw new Error('unused'); } },
};

type Listed = Awaited<ReturnType<Client['listTools']>>['tools'];
let full: Listed;
let readOnly: Listed;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  for (const [mode, assign] of [[false, (tools: Listed) => (full = tools)], [true, (tools: Listed) => (readOnly = tools)]] as const) {
    const { client, close } = await connectInProcess({ deps, readOnly: mode });
    closers.push(close);
    assign((await client.listTools()).tools);
  }
});
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

describe('every listed tool', () => {
  it('has a title, all four hints, a toolset tag and described fields', () => {
    expect(full.length).toBeGreaterThanOrEqual(67);
    const problems: string[] = [];
    for (const tool of full) {
      if (!tool.title) problems.push(`${tool.name}: no title`);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        if (typeof tool.annotations?.[hint] !== 'boolean') problems.push(`${tool.name}: ${hint} not set`);
      }
      const toolset = tool._meta?.['skyflo/toolset'];
      if (tool.name !== 'preview_tool_call' && !['k8s', 'helm', 'argo', 'jenkins'].includes(String(toolset))) problems.push(`${tool.name}: no toolset tag`);
      for (const [field, schema] of Object.entries((tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>)) {
        if (!schema.description) problems.push(`${tool.name}.${field}: no description`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('says openWorldHint true only for tools that reach outside the cluster', () => {
    const open = full.filter((tool) => tool.annotations?.openWorldHint).map((tool) => tool.name);
    expect(open.filter((name) => !name.startsWith('jenkins_') && !name.startsWith('helm_'))).toEqual([]);
    expect(full.filter((tool) => tool.name.startsWith('jenkins_')).every((tool) => tool.annotations?.openWorldHint === true)).toBe(true);
    expect(open).toEqual(expect.arrayContaining(['helm_repo_add', 'helm_install', 'jenkins_get_build']));
  });
});

describe('read-only mode', () => {
  it('lists exactly the readOnlyHint tools, and none that could export credentials or run arbitrary commands', () => {
    expect(readOnly.map((tool) => tool.name).sort()).toEqual(full.filter((tool) => tool.annotations?.readOnlyHint === true).map((tool) => tool.name).sort());
    const names = readOnly.map((tool) => tool.name);
    for (const name of ['k8s_exec', 'k8s_run_pod', 'k8s_port_forward', 'helm_repo_add']) expect(names).not.toContain(name);
    expect(names.filter((name) => /kubeconfig|config_view|raw|passthrough|kubectl$/.test(name))).toEqual([]);
  });
});

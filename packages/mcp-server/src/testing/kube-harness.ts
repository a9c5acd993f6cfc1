/** Shared set-up for tests against kube-sim: a sim, a kubeconfig in a temp dir, ToolDeps, and `call`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKubeSim, type KubeSim, type StartKubeSimOptions } from '@skyflo/sandbox/kube-sim';
import { kubectlPath, helmPath } from '@skyflo/testkit/tools';
import { vi } from 'vitest';
import { createToolDeps } from '../create-tool-deps.ts';
import { runTool } from '../tools/run-tool.ts';
import { allTools } from '../catalogue.ts';
import type { ToolDeps, ToolSettings } from '../deps/deps.ts';
import type { ToolOutput } from '../contract/tool-definition.ts';
import type { CommandRunner } from '../exec/command-runner.ts';

export interface KubeHarness {
  sim: KubeSim;
  deps: ToolDeps;
  kubeconfigPath: string;
  directory: string;
  call(name: string, input: Record<string, unknown>, deps?: ToolDeps): Promise<ToolOutput>;
  /** deps with different settings or runner, same cluster */
  depsWith(settings: Partial<ToolSettings> & { runner?: CommandRunner }): ToolDeps;
  close(): Promise<void>;
}

export async function startKubeHarness(options: StartKubeSimOptions = {}): Promise<KubeHarness> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-mcp-'));
  // kubectl caches discovery per cluster; a fresh cache per suite keeps suites independent.
  process.env.KUBECACHEDIR = path.join(directory, 'cache');
  const kubeconfigPath = path.join(directory, 'kubeconfig');
  const sim = await startKubeSim({ kubeconfigPath, settings: { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100, jobDurationMs: 50 }, ...options });
  // Pinned chart archives go to the suite's directory, never to the developer's ~/.cache.
  const depsWith = (settings: Partial<ToolSettings> & { runner?: CommandRunner }) =>
    createToolDeps({ kubeconfigPath, kubectlPath, helmPath, helmChartCacheDir: path.join(directory, 'chart-cache'), ...settings });
  const deps = depsWith({});
  const call = (name: string, input: Record<string, unknown>, callDeps: ToolDeps = deps) => {
    const tool = allTools.find((candidate) => candidate.name === name);
    if (!tool) throw new Error(`no tool ${name}`);
    return runTool(tool, input, callDeps, { signal: new AbortController().signal });
  };
  return {
    sim,
    deps,
    kubeconfigPath,
    directory,
    call,
    depsWith,
    async close() {
      await sim.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** vi.waitFor until `check` passes (for controllers that act asynchronously); rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000): Promise<T> {
  return vi.waitFor(check, { timeout: timeoutMs, interval: 25 });
}

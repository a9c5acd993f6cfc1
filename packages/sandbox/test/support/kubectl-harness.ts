import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kubectlPath } from '@skyflo/testkit/tools';
import { startKubeSim, type KubeSim, type StartKubeSimOptions } from '../../src/kube-sim/index.ts';
import { vi } from 'vitest';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface KubectlHarness {
  sim: KubeSim;
  kubeconfig: string;
  /** Runs the real kubectl against the simulator (argv only, no shell); `input` goes to stdin. */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Like kubectl() but throws with stderr when the exit code is not 0. */
  ok(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  close(): Promise<void>;
}

/** Small delays so suites stay fast on two cores. */
export const fastSettings = { startDelayMs: 20, readinessDelayMs: 40, crashBackoffMs: 60, jobDurationMs: 60, terminationDelayMs: 30, logIntervalMs: 50, secondMs: 20 };

export async function startHarness(options: StartKubeSimOptions = {}): Promise<KubectlHarness> {
  const directory = mkdtempSync(path.join(tmpdir(), 'kube-sim-workloads-'));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const sim = await startKubeSim({ port: 0, ...options, settings: { ...fastSettings, ...options.settings }, kubeconfigPath: kubeconfig });
  const cacheDir = path.join(directory, 'cache');
  const kubectl = (args: string[], runOptions: { input?: string; timeoutMs?: number } = {}) =>
    new Promise<KubectlResult>((resolve) => {
      const child = execFile(
        kubectlPath,
        ['--kubeconfig', kubeconfig, ...args],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: directory, KUBECACHEDIR: cacheDir }, timeout: runOptions.timeoutMs ?? 20_000, maxBuffer: 8 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : 1) : 0;
          resolve({ stdout: String(stdout), stderr: String(stderr), code });
        },
      );
      if (runOptions.input !== undefined) child.stdin?.end(runOptions.input);
      else child.stdin?.end();
    });
  return {
    sim,
    kubeconfig,
    kubectl,
    async ok(args, runOptions) {
      const result = await kubectl(args, runOptions);
      if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
      return result.stdout;
    },
    async close() {
      await sim.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * vi.waitFor until `check` returns a truthy value; after `timeoutMs` fails with the last error `check` threw, or says
 * the condition was not met. Kept as a wrapper because many suites (and e2e/incidents) pass falsy-means-not-yet checks.
 */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (!value) throw new Error(`condition not met within ${timeoutMs} ms`);
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { helmPath, kubectlPath } from '@skyflo/testkit/tools';
import { startKubeSim, type KubeSim, type StartKubeSimOptions } from '../../src/kube-sim/index.ts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubeSimHarness {
  sim: KubeSim;
  directory: string;
  kubeconfig: string;
  /** runs the real kubectl against the sim (argv only) */
  kubectl(args: string[], options?: { kubeconfig?: string; input?: string }): Promise<CommandResult>;
  /** runs the real helm against the sim with private cache/config/data dirs */
  helm(args: string[]): Promise<CommandResult>;
  /** writes a file into the harness directory and returns its path */
  file(name: string, content: string): string;
  close(): Promise<void>;
}

const fastSettings = { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100, jobDurationMs: 50 };

function run(binary: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(binary, args, { env, timeout: 30_000, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Starts a sim with small delays, a temp kubeconfig and a private kubectl discovery cache. */
export async function startHarness(options: StartKubeSimOptions = {}): Promise<KubeSimHarness> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'kube-sim-test-'));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const sim = await startKubeSim({ settings: fastSettings, ...options, kubeconfigPath: kubeconfig });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: directory,
    KUBECACHEDIR: path.join(directory, 'kube-cache'),
    HELM_CACHE_HOME: path.join(directory, 'helm-cache'),
    HELM_CONFIG_HOME: path.join(directory, 'helm-config'),
    HELM_DATA_HOME: path.join(directory, 'helm-data'),
    KUBECONFIG: kubeconfig,
  };
  return {
    sim,
    directory,
    kubeconfig,
    kubectl: (args, runOptions = {}) => run(kubectlPath, ['--kubeconfig', runOptions.kubeconfig ?? kubeconfig, ...args], env, runOptions.input),
    helm: (args) => run(helmPath, ['--kubeconfig', kubeconfig, ...args], env),
    file(name, content) {
      const file = path.join(directory, name);
      writeFileSync(file, content);
      return file;
    },
    async close() {
      await sim.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

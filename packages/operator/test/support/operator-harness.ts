/**
 * kube-sim with the SkyfloAI CRD installed, the real kubectl against it, and the operator (in this process or as
 * `skyflo operator` child processes). Everything asserted is read back through kubectl, as a user would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeSim, writeAdmissionControlConfig, type KubeSim, type SimUserConfig } from '@skyflo/sandbox/kube-sim';
import { kubectlPath, repoRoot } from '@skyflo/testkit/tools';
import { parse as parseYaml } from 'yaml';
import { startOperator, type Operator } from '../../src/index.ts';
import { vi } from 'vitest';
import { skyfloEntry } from '@skyflo/testkit/services';

/** A schema with every x-kubernetes-validations rule removed, at any depth. */
function withoutValidationRules(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutValidationRules);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'x-kubernetes-validations').map(([key, child]) => [key, withoutValidationRules(child)]));
}

export const crdPath = path.join(repoRoot, 'deploy', 'helm', 'skyflo', 'crds', 'skyfloais.skyflo.ai.yaml');
const fastSettings = { startDelayMs: 20, readinessDelayMs: 40, crashBackoffMs: 60, jobDurationMs: 60, terminationDelayMs: 30, logIntervalMs: 50 };

export interface OperatorHarness {
  sim: KubeSim;
  kubeconfig: string;
  directory: string;
  kubectl(args: string[], input?: string): Promise<string>;
  /** kubectl ... -o json, parsed */
  getJson<T = any>(args: string[]): Promise<T>;
  /** kubectl get; undefined when it does not exist */
  tryGet<T = any>(kind: string, name: string, namespace?: string): Promise<T | undefined>;
  apply(yaml: string): Promise<string>;
  /**
   * Runs `write` (kubectl calls) as on an API server without CEL validation (older than 1.25), which ignores the CRD's
   * x-kubernetes-validations and stores what they would refuse — the case where only the operator's own check stands —
   * then puts the CRD back as shipped.
   */
  withoutCrdValidationRules<T>(write: () => Promise<T>): Promise<T>;
  startInProcess(): Promise<Operator>;
  /** `skyflo operator --kubeconfig ...` as a child process, through the CLI's bin */
  spawnOperator(args: string[], env?: Record<string, string>, kubeconfig?: string): { child: ChildProcess; output(): string };
  close(): Promise<void>;
}

export async function startOperatorHarness(
  options: { users?: SimUserConfig[]; installCrd?: boolean; tls?: boolean; /** bearer tokens kube-sim presents to webhooks, by host ('*': any) */ webhookTokens?: Record<string, string> } = {},
): Promise<OperatorHarness> {
  const directory = mkdtempSync(path.join(tmpdir(), 'skyflo-operator-'));
  const kubeconfig = path.join(directory, 'kubeconfig');
  const admissionControlConfigFile = options.webhookTokens ? writeAdmissionControlConfig(path.join(directory, 'admission'), options.webhookTokens) : undefined;
  const sim = await startKubeSim({ port: 0, kubeconfigPath: kubeconfig, settings: fastSettings, users: options.users, tls: options.tls, ...(admissionControlConfigFile ? { admissionControlConfigFile } : {}) });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: directory, KUBECACHEDIR: path.join(directory, 'cache') };
  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(" ")}: ${stdout}${stderr || error.message}`));
        else resolve(String(stdout));
      });
      child.stdin?.end(input ?? '');
    });
  if (options.installCrd !== false) await kubectl(['apply', '-f', crdPath]);
  const operators: Operator[] = [];
  const children: ChildProcess[] = [];
  return {
    sim,
    kubeconfig,
    directory,
    kubectl,
    async getJson(args) {
      return JSON.parse(await kubectl([...args, '-o', 'json']));
    },
    async withoutCrdValidationRules(write) {
      const shipped = parseYaml(readFileSync(crdPath, 'utf8')) as unknown;
      await kubectl(['apply', '-f', '-'], JSON.stringify(withoutValidationRules(shipped)));
      try {
        return await write();
      } finally {
        await kubectl(['apply', '-f', crdPath]);
      }
    },
    async tryGet(kind, name, namespace = 'default') {
      const output = await kubectl(['get', kind, name, '-n', namespace, '-o', 'json', '--ignore-not-found']);
      return output.trim() ? JSON.parse(output) : undefined;
    },
    async apply(yaml) {
      const file = path.join(directory, `manifest-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
      writeFileSync(file, yaml);
      return kubectl(['apply', '-f', file]);
    },
    async startInProcess() {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(kubeconfig);
      const operator = await startOperator({ kubeConfig });
      operators.push(operator);
      return operator;
    },
    spawnOperator(args, extraEnv = {}, operatorKubeconfig = kubeconfig) {
      const child = spawn(process.execPath, [skyfloEntry(), 'operator', '--kubeconfig', operatorKubeconfig, ...args], {
        env: { PATH: env.PATH, HOME: directory, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      return { child, output: () => output };
    },
    async close() {
      for (const operator of operators) await operator.stop();
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await sim.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** vi.waitFor until `check` returns a truthy value (or stops throwing), then returns it; the failure names `what`. */
export async function eventually<T>(check: () => Promise<T>, options: { timeoutMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  let lastError: unknown;
  try {
    return await vi.waitFor(
      async () => {
        let value: T;
        try {
          value = await check();
        } catch (error) {
          lastError = error;
          throw error;
        }
        if (!value) throw new Error('not yet');
        return value as NonNullable<T>;
      },
      { timeout: options.timeoutMs ?? 30_000, interval: 100 },
    );
  } catch {
    throw new Error(`timed out waiting for ${options.what ?? 'a condition'}${lastError ? `: ${lastError instanceof Error ? lastError.message : String(lastError)}` : ''}`);
  }
}

export const condition = (object: any, type: string) => object?.status?.conditions?.find((entry: any) => entry.type === type);

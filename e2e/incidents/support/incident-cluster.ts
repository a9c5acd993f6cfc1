/**
 * One classic incident per test file: a kube-sim cluster with short delays, the real kubectl to set the fault up
 * and to check it as an SRE would (status, events, describe), and Skyflo's MCP tools (through the MCP server's
 * kube harness) to apply the fix.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { StartKubeSimOptions, SimulationSettings } from '@skyflo/sandbox/kube-sim';
import { kubectlPath } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '@skyflo/mcp-server/testing';
import { waitFor as pollUntil } from '@skyflo/sandbox/testing';
import { afterAll, beforeAll } from 'vitest';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface IncidentCluster {
  harness: KubeHarness;
  /** the real kubectl against the cluster (argv only); `input` goes to stdin */
  kubectl(args: string[], input?: string): Promise<CommandResult>;
  /** like kubectl() but throws with stderr unless the exit code is 0 */
  ok(args: string[], input?: string): Promise<string>;
  /** `kubectl … -o json`, parsed */
  json(args: string[]): Promise<any>;
  /** `kubectl apply -f -` */
  apply(yaml: string): Promise<string>;
  /** one MCP tool call; fails the test when the tool reports an error */
  fix(tool: string, input: Record<string, unknown>): Promise<string>;
  /** event messages of one object, as `TYPE REASON FROM MESSAGE` lines */
  events(name: string, namespace?: string): Promise<string>;
  close(): Promise<void>;
}

/** Delays short enough for a test, long enough to be seen; HPA and provisioning included. */
const fastSettings: Partial<SimulationSettings> = {
  readinessDelayMs: 20,
  startDelayMs: 10,
  crashBackoffMs: 100,
  jobDurationMs: 50,
  terminationDelayMs: 30,
  hpaSyncPeriodMs: 150,
  hpaDownscaleStabilizationMs: 1_000,
  provisionDelayMs: 30,
};

export async function startIncidentCluster(options: StartKubeSimOptions = {}): Promise<IncidentCluster> {
  const harness = await startKubeHarness({ ...options, settings: { ...fastSettings, ...options.settings } });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: harness.directory, KUBECACHEDIR: path.join(harness.directory, 'kubectl-cache'), KUBECONFIG: harness.kubeconfigPath };
  const kubectl = (args: string[], input?: string) =>
    new Promise<CommandResult>((resolve) => {
      const child = execFile(kubectlPath, args, { env, timeout: 30_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      child.stdin?.end(input ?? '');
    });
  const ok = async (args: string[], input?: string) => {
    const result = await kubectl(args, input);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  return {
    harness,
    kubectl,
    ok,
    json: async (args) => JSON.parse(await ok([...args, '-o', 'json'])),
    apply: (yaml) => ok(['apply', '-f', '-'], yaml),
    async fix(tool, input) {
      const result = await harness.call(tool, input);
      if (result.isError) throw new Error(`${tool} failed: ${result.text}`);
      return result.text;
    },
    events: (name, namespace = 'default') =>
      ok(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,FROM:.source.component,MESSAGE:.message', '--no-headers']),
    close: () => harness.close(),
  };
}

/**
 * The incident cluster of a test file: started in beforeAll, closed in afterAll. What it returns stands for the
 * running cluster, to be used inside the file's tests.
 */
export function incidentClusterForThisFile(options: StartKubeSimOptions = {}): IncidentCluster {
  let started: IncidentCluster | undefined;
  beforeAll(async () => {
    started = await startIncidentCluster(options);
  });
  afterAll(() => started?.close());
  const running = () => {
    if (!started) throw new Error('the incident cluster starts in beforeAll: use it inside a test');
    return started;
  };
  return {
    get harness() {
      return running().harness;
    },
    kubectl: (args, input) => running().kubectl(args, input),
    ok: (args, input) => running().ok(args, input),
    json: (args) => running().json(args),
    apply: (yaml) => running().apply(yaml),
    fix: (tool, input) => running().fix(tool, input),
    events: (name, namespace) => running().events(name, namespace),
    close: () => running().close(),
  };
}

/** vi.waitFor (through the kube-sim harness) until `check` returns a truthy value (rethrowing the last error after `timeoutMs`). */
export function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  return pollUntil(check, timeoutMs, intervalMs);
}

/** A HorizontalPodAutoscaler condition by type. */
export const conditionOf = (object: any, type: string) => (object?.status?.conditions ?? []).find((condition: any) => condition.type === type);

/**
 * Set-up for the classic-incident scenarios: a kube-sim with short delays, the real kubectl against it
 * (to break things and to check them, as an SRE would) and the MCP tools (to fix them, as the agent does).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { kubectlPath } from '@skyflo/testkit/tools';
import { startKubeHarness, type KubeHarness } from '@skyflo/mcp-server/testing';
import { waitFor as pollUntil } from './incident-cluster.ts';

/** One second of container time lasts 20 ms: probe periods, `sleep` and client timeouts stay short. */
export const incidentSettings = { readinessDelayMs: 20, startDelayMs: 10, crashBackoffMs: 100, jobDurationMs: 50, terminationDelayMs: 30, logIntervalMs: 200, secondMs: 20 };

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface IncidentHarness {
  mcp: KubeHarness;
  /** the real kubectl against the sim (argv only) */
  kubectl(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout */
  ok(args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** applies manifests with kubectl (the broken set-up) */
  apply(manifest: string): Promise<void>;
  /** runs an MCP tool the way the agent would; fails the test when the tool reports an error */
  fix(tool: string, input: Record<string, unknown>): Promise<string>;
  /** `kubectl exec POD -- …` in a namespace */
  exec(pod: string, command: string[], namespace?: string): Promise<KubectlResult>;
  close(): Promise<void>;
}

export async function startIncident(setup: string): Promise<IncidentHarness> {
  const mcp = await startKubeHarness({ settings: incidentSettings });
  const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: mcp.directory, KUBECACHEDIR: path.join(mcp.directory, 'kubectl-cache') };
  const kubectl = (args: string[], options: { input?: string; timeoutMs?: number } = {}) =>
    new Promise<KubectlResult>((resolve) => {
      const child = execFile(kubectlPath, ['--kubeconfig', mcp.kubeconfigPath, ...args], { env: environment, timeout: options.timeoutMs ?? 30_000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      child.stdin?.end(options.input ?? '');
    });
  const ok = async (args: string[], options?: { input?: string; timeoutMs?: number }) => {
    const result = await kubectl(args, options);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const harness: IncidentHarness = {
    mcp,
    kubectl,
    ok,
    async apply(manifest) {
      await ok(['apply', '-f', '-'], { input: manifest });
    },
    async fix(tool, input) {
      const output = await mcp.call(tool, input);
      if (output.isError) throw new Error(`${tool} failed: ${output.text}`);
      return output.text;
    },
    exec: (pod, command, namespace = 'default') => kubectl(['exec', '-n', namespace, pod, '--', ...command]),
    close: () => mcp.close(),
  };
  await harness.apply(setup);
  return harness;
}

/** vi.waitFor (through the kube-sim harness) until `check` returns something truthy; rethrows its last error after `timeoutMs`. */
export function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  return pollUntil(check, timeoutMs, intervalMs);
}

/** The pods of an app that are not being deleted, from one listing. */
export async function livePods(harness: IncidentHarness, selector: string, namespace = 'default'): Promise<any[]> {
  return JSON.parse(await harness.ok(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'])).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
}

/** A busybox pod to send traffic from, ready to exec into. */
export function clientPod(name = 'client', namespace = 'default', labels: Record<string, string> = { app: name }): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: ${JSON.stringify(labels)}}
spec:
  containers: [{name: shell, image: "busybox:1.36", command: [sleep, infinity]}]
`;
}

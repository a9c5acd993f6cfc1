/** /health/ready: are the CLIs the tools need installed, and does the cluster answer? */
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { clusterNameOf, clusterRegistryOf } from '../kube/context-deps.ts';
import { unreachableReason } from '../kube/cluster-status.ts';
import { kubeClientsFor } from '../kube/kube-clients.ts';
import type { ToolDeps } from '../deps/deps.ts';

export interface Readiness {
  ready: boolean;
  /** missing binaries by name (kubectl, helm) */
  missing: string[];
  /**
   * 'reachable', or "unreachable: " and why, naming the kubeconfig and context as the engine's cluster list does
   * ("unreachable: kubeconfig /x/config: context prod: https://10.0.0.1:6443 is unreachable: ECONNREFUSED …")
   */
  cluster: 'reachable' | string;
}

/** A path, or a bare name looked up on PATH the way execFile will. */
async function isExecutable(binary: string): Promise<boolean> {
  const candidates = binary.includes(path.sep) ? [binary] : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((directory) => path.join(directory, binary));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return true;
    } catch {
      // try the next PATH entry
    }
  }
  return false;
}

function whyUnreachable(deps: ToolDeps, error: unknown): string {
  try {
    return unreachableReason(clusterRegistryOf(deps).entry(clusterNameOf(deps)), error);
  } catch {
    // a kubeconfig without a current context: there is no entry to name
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}

export async function checkReadiness(deps: ToolDeps, options: { timeoutMs?: number } = {}): Promise<Readiness> {
  const binaries = { kubectl: deps.settings.kubectlPath, helm: deps.settings.helmPath };
  const missing: string[] = [];
  await Promise.all(
    Object.entries(binaries).map(async ([name, binaryPath]) => {
      if (!(await isExecutable(binaryPath))) missing.push(name);
    }),
  );
  let cluster = 'reachable';
  try {
    // /api, not /version: /version answers anyone, and credentials the API server rejects fail every call (issue 75)
    const response = await kubeClientsFor(deps.kubeConfig).http.request({ path: '/api', timeoutMs: options.timeoutMs ?? 3000 });
    if (response.status === 401) cluster = 'unreachable: the API server rejected the credentials (HTTP 401); refresh or replace them in the kubeconfig';
    else if (response.status >= 400) cluster = `unreachable: HTTP ${response.status}`;
  } catch (error) {
    cluster = `unreachable: ${whyUnreachable(deps, error)}`;
  }
  return { ready: missing.length === 0 && cluster === 'reachable', missing: missing.sort(), cluster };
}

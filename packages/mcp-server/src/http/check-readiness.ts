/** /health/ready: are the CLIs the tools need installed, and does the cluster answer? */
import { access, constants } from 'node:fs/promises';
import { kubeClientsFor } from '../kube/kube-clients.ts';
import type { ToolDeps } from '../tools/deps.ts';

export interface Readiness {
  ready: boolean;
  /** missing binaries by name (kubectl, helm) */
  missing: string[];
  cluster: 'reachable' | string;
}

export async function checkReadiness(deps: ToolDeps, options: { timeoutMs?: number } = {}): Promise<Readiness> {
  const binaries = { kubectl: deps.settings.kubectlPath, helm: deps.settings.helmPath };
  const missing: string[] = [];
  await Promise.all(
    Object.entries(binaries).map(async ([name, binaryPath]) => {
      try {
        await access(binaryPath, constants.X_OK);
      } catch {
        missing.push(name);
      }
    }),
  );
  let cluster = 'reachable';
  try {
    const response = await kubeClientsFor(deps.kubeConfig).http.request({ path: '/version', timeoutMs: options.timeoutMs ?? 3000 });
    if (response.status >= 400) cluster = `unreachable: HTTP ${response.status}`;
  } catch (error) {
    cluster = `unreachable: ${(error as { code?: string }).code ?? (error as Error).message}`;
  }
  return { ready: missing.length === 0 && cluster === 'reachable', missing: missing.sort(), cluster };
}

/**
 * The start-up report (issue 22): every cluster with its effective permissions, one line each, and every kubeconfig
 * problem naming the file and context. A missing or broken kubeconfig used to be silent until the first tool call
 * failed with "HTTP protocol is not allowed when skipTLSVerify is not set".
 */
import type { ToolDeps } from '../deps/deps.ts';
import { describeClusterPermissions } from './cluster-status.ts';
import { clusterRegistryOf } from './context-deps.ts';

export async function reportClusters(deps: ToolDeps, log: (line: string) => void): Promise<void> {
  try {
    const registry = clusterRegistryOf(deps);
    for (const warning of registry.warnings()) log(`kubeconfig: ${warning}`);
    const current = registry.currentName();
    if (!current) log(`kubeconfig: no current-context; calls without "context" cannot run (clusters: ${registry.clusters().map((entry) => entry.name).join(', ') || 'none'}).`);
    for (const line of await describeClusterPermissions(deps)) log(line);
  } catch (error) {
    log(`Could not load the kubeconfig: ${(error as Error).message}`);
  }
}

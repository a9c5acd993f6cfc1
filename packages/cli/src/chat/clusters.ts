/**
 * Clusters in the terminal (issue 22): `skyflo chat --context NAME` and `/context [NAME]` pin a new conversation to
 * a cluster (the chat request's `context`), checked against GET /clusters first so a typo is a clear error listing
 * the clusters the engine knows, never a conversation on the wrong cluster.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import type { ApiClient } from './api-client.ts';
import { ChatError } from './chat-error.ts';
import type { Palette } from './colors.ts';

/** "alpha (default), beta [prod], gamma (unreachable)" */
export function clusterNames(clusters: ClusterStatus[]): string {
  return clusters.map((cluster) => `${cluster.name}${cluster.label ? ` [${cluster.label}]` : ''}${cluster.current ? ' (default)' : ''}${cluster.reachable ? '' : ' (unreachable)'}`).join(', ');
}

/** The engine's clusters, or a ChatError saying this engine has none to choose from. */
export async function knownClusters(client: ApiClient): Promise<ClusterStatus[]> {
  try {
    return (await client.clusters()).clusters;
  } catch (error) {
    if (error instanceof ChatError && error.status === 404) throw new ChatError('HTTP_ERROR', 'this engine does not list clusters (GET /api/v1/clusters is missing): it acts on its one kubeconfig context', 404);
    throw error;
  }
}

/** `name` when the engine knows a cluster by that name; otherwise an error naming the known ones. */
export function checkContext(clusters: ClusterStatus[], name: string): ClusterStatus {
  const found = clusters.find((cluster) => cluster.name === name);
  if (found) return found;
  throw new ChatError('INVALID_OPTIONS', `unknown cluster "${name}". Known clusters: ${clusters.length > 0 ? clusterNames(clusters) : '(none)'}`);
}

/** The cluster list of `/context`: one line each, the session's cluster marked with ▸. */
export function formatClusterList(clusters: ClusterStatus[], current: string | undefined, palette: Palette): string {
  const active = current ?? clusters.find((cluster) => cluster.current)?.name;
  const width = Math.max(0, ...clusters.map((cluster) => cluster.name.length));
  const lines = clusters.map((cluster) => {
    const mark = cluster.name === active ? palette.bold(palette.cyan('▸')) : ' ';
    const label = cluster.label ? ` ${clusterLabel(cluster.label, palette)}` : '';
    const state = cluster.reachable ? palette.green('reachable') + palette.dim(`${cluster.version ? ` ${cluster.version}` : ''}${cluster.default_namespace ? ` · ns ${cluster.default_namespace}` : ''}`) : palette.red(`unreachable: ${cluster.error ?? 'no reason given'}`);
    return `${mark} ${palette.bold(cluster.name.padEnd(width))}${label}  ${state}${cluster.current ? palette.dim(' (default)') : ''}`;
  });
  return [...lines, palette.dim(`Current: ${active ?? '(none)'}. /context <name> starts a new conversation on that cluster.`)].join('\n');
}

/** A label such as PROD, red for production-like labels. */
export function clusterLabel(label: string, palette: Palette): string {
  const text = ` ${label.toUpperCase()} `;
  return /^(prod|production|prd|live)/i.test(label) ? palette.bgRed(palette.white(palette.bold(text))) : palette.bold(`[${label.toUpperCase()}]`);
}

/**
 * Which hosts helm may contact for a chart. Why: read-only tools (helm_template, helm_show_values,
 * helm_upgrade_diff, preview resolution) run without approval, so an `oci://attacker.example/…` reference
 * would let a prompt-injected model make the server resolve and fetch from any host, carrying data in the path.
 * Only repositories in helm's repositories.yaml (added through the approved helm_repo_add, or by an operator)
 * and hosts listed in HELM_ALLOWED_REGISTRIES are allowed; the check runs before helm does.
 */
import { ToolInputError } from '../../contract/errors.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { assertLocalChartConfined } from './chart-reference.ts';
import { runHelm } from './run-helm.ts';

export interface ConfiguredRepository {
  name: string;
  url: string;
}

/** The repositories helm knows (`helm repo list`); none configured is an empty list, not an error. */
export async function listRepositories(deps: ToolDeps, signal?: AbortSignal): Promise<ConfiguredRepository[]> {
  const outcome = await runHelm(deps, { args: ['repo', 'list', '--output', 'json'], signal });
  if (!outcome.ok) {
    if (/no repositories/i.test(outcome.stderr ?? '')) return [];
    throw new ToolInputError(`Could not read the configured Helm repositories: ${outcome.output.text.split('\n')[0]}`, { code: 'FAILED', hint: 'check the helm configuration of the MCP server' });
  }
  try {
    const parsed = JSON.parse(outcome.stdout || '[]') as Array<{ name?: unknown; url?: unknown }>;
    return parsed.filter((entry) => typeof entry.name === 'string' && typeof entry.url === 'string').map((entry) => ({ name: entry.name as string, url: entry.url as string }));
  } catch {
    throw new ToolInputError('helm repo list did not return JSON.', { code: 'FAILED', hint: 'check the helm binary the MCP server uses' });
  }
}

/** "Registry.Example.com:5000" → "registry.example.com:5000"; URL-style entries are reduced to their host. */
export function normaliseHost(entry: string): string {
  const trimmed = entry.trim().toLowerCase();
  try {
    return trimmed.includes('://') ? new URL(trimmed).host : new URL(`https://${trimmed}`).host;
  } catch {
    return trimmed;
  }
}

/** An entry with a port allows that host:port only; an entry without one allows the host on any port. */
function hostAllowed(host: string, allowed: string[]): boolean {
  const hostname = host.replace(/:\d+$/, '');
  return allowed.some((entry) => (entry.includes(':') ? entry === host : entry === hostname));
}

/**
 * Refuses a chart reference that would make helm contact a host outside the allow-list, or read outside a chart
 * directory. `chart` is the reference as assertChartReference returned it (a resolved local path, "repo/chart" or
 * "oci://…").
 */
export async function assertChartSourceAllowed(chart: string, deps: ToolDeps, signal?: AbortSignal): Promise<void> {
  const isLocal = chart.startsWith('/');
  // a local chart contacts no host, but helm reads it whole: nothing in it may lead out of its chart directory
  if (isLocal) return assertLocalChartConfined(chart, deps.settings.helmChartDirs);
  if (chart.startsWith('oci://')) {
    const host = normaliseHost(chart.slice('oci://'.length).split('/')[0]!);
    const allowed = (deps.settings.helmAllowedRegistries ?? []).map(normaliseHost).filter(Boolean);
    if (hostAllowed(host, allowed)) return;
    const repositories = await listRepositories(deps, signal);
    if (repositories.some((repository) => normaliseHost(repository.url) === host)) return;
    throw new ToolInputError(
      `Chart "${chart}" is on ${host}, which this server may not contact: only repositories added with helm_repo_add and registries listed in HELM_ALLOWED_REGISTRIES are allowed${allowed.length > 0 ? ` (allowed registries: ${allowed.join(', ')})` : ' (none are listed)'}.`,
      { hint: `ask an operator to add ${host} to HELM_ALLOWED_REGISTRIES (comma-separated hosts) on the MCP server, or use a chart from an added repository`, code: 'FORBIDDEN' },
    );
  }
  const repositoryName = chart.split('/')[0]!;
  const repositories = await listRepositories(deps, signal);
  if (repositories.some((repository) => repository.name === repositoryName)) return;
  throw new ToolInputError(
    `No chart repository named "${repositoryName}" is configured on this server${repositories.length > 0 ? ` (configured: ${repositories.map((repository) => repository.name).join(', ')})` : ''}.`,
    { hint: 'add it with helm_repo_add (it needs approval), then helm_repo_update', code: 'NOT_FOUND' },
  );
}

/**
 * A listing across all namespaces by a member limited to some namespaces (issue 22): the call runs once per allowed
 * namespace of the cluster instead, and the answers are merged under a line that says the listing was limited, and
 * to which namespaces. Objects of other namespaces are never fetched for the member, so their names cannot reach the
 * model, the stream or the database. Globs in the scope ("pay-*") are matched against the cluster's namespaces,
 * listed by the engine itself (names only; the list is not shown).
 */
import type { ToolCallOutcome, ToolGateway } from '../../platform/ports/tool-gateway.ts';
import { globMatches } from '@skyflo/safety/patterns';

export interface NamespaceLimit {
  /** the scope's namespace patterns */
  patterns: string[];
  /** the cluster (context) the listing is for */
  cluster: string;
}

/** Namespaces listed at once: enough to hide latency, few enough not to flood one API server. */
const parallel = 4;

type CallInput = Parameters<ToolGateway['callTool']>[0];

/** The namespaces of the cluster the patterns allow: literal names as they are, globs against the cluster's namespaces. */
async function allowedNamespaces(tools: Pick<ToolGateway, 'callTool'>, limit: NamespaceLimit, request: CallInput): Promise<{ ok: true; namespaces: string[] } | { ok: false; text: string }> {
  const literal = limit.patterns.filter((pattern) => !pattern.includes('*'));
  const globs = limit.patterns.filter((pattern) => pattern.includes('*'));
  const found = new Set(literal);
  if (globs.length > 0) {
    const listed = await tools.callTool({
      name: 'k8s_get',
      args: { resource_type: 'namespaces', output: 'name', context: limit.cluster },
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
    });
    if (listed.isError) return { ok: false, text: `Not run: your scope allows the namespaces ${limit.patterns.join(', ')}, and the namespaces of cluster ${limit.cluster} could not be listed to match them (${listed.text}). Ask for one namespace by name instead.` };
    for (const line of listed.text.split('\n')) {
      const name = line.trim().replace(/^namespaces?\//, '');
      if (/^[a-z0-9][a-z0-9-]*$/.test(name) && globs.some((glob) => globMatches(glob, name))) found.add(name);
    }
  }
  return { ok: true, namespaces: [...found].sort() };
}

/** The line every limited listing starts with: what was asked, what was listed, and why. */
export function limitedLine(namespaces: readonly string[], patterns: readonly string[]): string {
  const listed = namespaces.length > 0 ? namespaces.join(', ') : 'none';
  const pattern = patterns.some((entry) => entry.includes('*')) ? ` (matching ${patterns.join(', ')})` : '';
  return `Listing limited to the namespaces ${listed}${pattern} by your scope: all namespaces were asked for, and namespaces outside your scope were not listed.`;
}

/**
 * A gateway whose callTool answers a listing across all namespaces by listing each allowed namespace: the same
 * arguments with `namespace` set and `all_namespaces` off, merged into one answer (an error in one namespace is shown
 * in its section; the answer is an error only when every namespace failed).
 */
export function limitedToNamespaces(tools: Pick<ToolGateway, 'callTool'>, limit: NamespaceLimit): Pick<ToolGateway, 'callTool'> {
  return {
    async callTool(request) {
      const allowed = await allowedNamespaces(tools, limit, request);
      if (!allowed.ok) return { text: allowed.text, isError: true };
      const header = limitedLine(allowed.namespaces, limit.patterns);
      if (allowed.namespaces.length === 0) return { text: `${header}\nNo namespace of cluster ${limit.cluster} is in your scope, so nothing was listed.`, isError: false };
      const { all_namespaces: _ignored, ...base } = request.args;
      const outcomes: Array<{ namespace: string; outcome: ToolCallOutcome }> = [];
      for (let index = 0; index < allowed.namespaces.length; index += parallel) {
        const batch = allowed.namespaces.slice(index, index + parallel);
        outcomes.push(
          ...(await Promise.all(batch.map(async (namespace) => ({ namespace, outcome: await tools.callTool({ ...request, args: { ...base, namespace } }) })))),
        );
        if (request.signal?.aborted) break;
      }
      const sections = outcomes.map(({ namespace, outcome }) => `Namespace ${namespace}:\n${outcome.isError ? `Error: ${outcome.text}` : outcome.text}`);
      return { text: [header, ...sections].join('\n\n'), isError: outcomes.every(({ outcome }) => outcome.isError), structured: { limited_to_namespaces: allowed.namespaces } };
    },
  };
}

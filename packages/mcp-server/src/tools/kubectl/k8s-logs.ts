import { z } from 'zod';
import { defineTool } from '../../contract/tool-definition.ts';
import type { ToolDeps } from '../../deps/deps.ts';
import { ToolInputError } from '../../contract/errors.ts';
import { statusError } from '../../kube/create-kube-http.ts';
import { applyOutputBudget } from '../../budgets/apply-output-budget.ts';
import { assertSafeName, clients, namespaceField, namespaceOf } from './kubectl-common.ts';
import { textOutputShape } from '../output-shapes.ts';

/** kubectl-style relative duration (5s, 2m, 3h, 1h30m) → seconds. */
export function parseDuration(since: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(since.trim());
  if (!match || since.trim() === '') {
    throw new ToolInputError(`Invalid since "${since}".`, { hint: 'use a relative duration such as 30s, 5m, 2h or 1h30m' });
  }
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

export const k8sLogs = defineTool({
  name: 'k8s_logs',
  title: 'Get Kubernetes Pod Logs',
  description: 'Read the last lines of a pod container log (like `kubectl logs --tail`). Tokens and passwords in log lines are redacted.',
  toolset: 'k8s',
  tags: ['logs'],
  inputSchema: {
    pod_name: z.string().min(1).describe('Name of the pod'),
    namespace: namespaceField,
    num_lines: z.number().int().min(1).max(10_000).optional().default(50).describe('Tail lines to return (default 50, max 10000)'),
    container_name: z.string().optional().describe('Container to read from. Required for multi-container pods.'),
    since: z.string().optional().describe('Only lines newer than this relative duration: 5s, 2m, 3h'),
    previous: z.boolean().optional().default(false).describe('Read logs from the previous (crashed) container instance'),
  },
  outputSchema: textOutputShape,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  async handler(input, deps: ToolDeps, context) {
    assertSafeName('pod_name', input.pod_name);
    if (input.container_name) assertSafeName('container_name', input.container_name);
    const namespace = namespaceOf(deps, input.namespace);
    const sinceSeconds = input.since ? parseDuration(input.since) : undefined;
    const { http } = clients(deps);
    const podPath = `/api/v1/namespaces/${namespace}/pods/${input.pod_name}`;
    let container = input.container_name;
    if (!container) {
      // Like kubectl: a single-container pod needs no container name; a multi-container one does.
      const pod = await http.json<{ spec?: { containers?: Array<{ name: string }> } }>({ path: podPath, signal: context.signal });
      const names = pod.spec?.containers?.map((entry) => entry.name) ?? [];
      if (names.length > 1) {
        throw new ToolInputError(`Pod "${input.pod_name}" has ${names.length} containers: ${names.join(', ')}.`, { hint: `pass container_name, e.g. "${names[0]}"` });
      }
      container = names[0];
    }
    const response = await http.request({
      path: `${podPath}/log`,
      query: {
        container,
        tailLines: input.num_lines,
        sinceSeconds,
        previous: input.previous ? true : undefined,
      },
      accept: 'text/plain, */*',
      signal: context.signal,
    });
    if (response.status >= 400) throw statusError(response);
    const text = response.text.replace(/\n$/, '');
    return { text: text === '' ? `(no log lines from ${input.pod_name}${container ? `/${container}` : ''}${input.since ? ` in the last ${input.since}` : ''})` : applyOutputBudget(text, { budgetBytes: deps.settings.outputBudgetBytes, kind: 'log', hint: 'lower num_lines or use since to see less.' }) };
  },
});

/**
 * A schedule's input as the store keeps it, and what a member's scope (issue 22) allows it to look at — said once for
 * the API (routes/schedules) and for schedules declared in the cluster (cluster-schedules.ts): a member limited to
 * clusters or namespaces schedules only inside them (the run is held to the scope by the gate as well). An admin has
 * no limit.
 */
import type { MemberScope, ParsedScheduleInput } from '@skyflo/protocol';
import { clusterInScope, namespaceInScope } from '../../domain/clusters/member-scope.ts';

/** Why `input` is outside `scope`, in the words the API answers with; undefined when it is inside. */
export function scheduleOutOfScope(input: Pick<ParsedScheduleInput, 'cluster' | 'namespaces'>, scope: MemberScope | undefined): string | undefined {
  if (scope?.clusters && !input.cluster) return 'Your access is limited to some clusters: name the cluster the schedule looks at.';
  if (input.cluster && !clusterInScope(scope, input.cluster)) return `Cluster ${input.cluster} is outside your access.`;
  if (scope?.namespaces && !input.namespaces?.length) return 'Your access is limited to some namespaces: name the namespaces the schedule looks at.';
  const outside = (input.namespaces ?? []).filter((namespace) => !namespaceInScope(scope, namespace));
  if (outside.length > 0) return `Namespaces outside your access: ${outside.join(', ')}.`;
  return undefined;
}

/** The store's columns for a parsed input (the owner and the timestamps are the caller's). */
export const scheduleColumns = (input: ParsedScheduleInput) => ({
  name: input.name,
  schedule: input.schedule,
  timeZone: input.time_zone,
  prompt: input.prompt,
  cluster: input.cluster ?? null,
  namespaces: input.namespaces ?? [],
  mode: input.mode,
  notify: [...new Set(input.notify)],
  enabled: input.enabled,
});

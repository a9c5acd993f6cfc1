/**
 * The `context` argument (a cluster name) of the call being captured or verified: the reads go to that cluster, as the
 * call did, through the same registry every tool uses (kube/context-deps.ts: an unknown name is an error, never
 * another cluster). helm gets --kube-context from the derived deps' settings (run-helm.ts), so no extra flags here.
 */
import { depsForContext } from '../kube/context-deps.ts';
import { kubeClientsFor, type KubeClients } from '../kube/kube-clients.ts';
import { ToolInputError } from '../contract/errors.ts';
import type { ToolDeps } from '../deps/deps.ts';

export interface ContextDeps {
  deps: ToolDeps;
  clients: KubeClients;
  /** extra helm flags for this context (none: the deps carry it) */
  helmArgs: string[];
}

export function contextDeps(deps: ToolDeps, context: unknown): ContextDeps {
  if (context !== undefined && context !== null && typeof context !== 'string') throw new ToolInputError('context must be a cluster name.', { hint: 'omit it for the default cluster' });
  const derived = depsForContext(deps, typeof context === 'string' && context !== '' ? context : undefined);
  return { deps: derived, clients: kubeClientsFor(derived.kubeConfig), helmArgs: [] };
}

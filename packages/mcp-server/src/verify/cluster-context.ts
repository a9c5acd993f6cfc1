/**
 * The `context` argument (a kubeconfig context name) of the call being captured or verified: the reads go to that
 * cluster, as the call did. Until the server has a cluster registry every tool shares, this switches the current
 * context of a copy of the server's KubeConfig (keeping impersonation) and tells helm with --kube-context.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ToolInputError } from '../errors.ts';
import { impersonatingDeps } from '../kube/impersonation.ts';
import { kubeClientsFor, type KubeClients } from '../kube/kube-clients.ts';
import { withToolDeps, type ToolDeps } from '../tools/deps.ts';

export interface ContextDeps {
  deps: ToolDeps;
  clients: KubeClients;
  /** extra helm flags for this context */
  helmArgs: string[];
}

const memo = new WeakMap<ToolDeps, Map<string, ToolDeps>>();

export function contextDeps(deps: ToolDeps, context: unknown): ContextDeps {
  if (context === undefined || context === null || context === '' || context === deps.kubeConfig.getCurrentContext()) {
    return { deps, clients: kubeClientsFor(deps.kubeConfig), helmArgs: [] };
  }
  if (typeof context !== 'string' || !/^[A-Za-z0-9@:._/-]{1,253}$/.test(context)) throw new ToolInputError('context must be a kubeconfig context name.', { hint: 'omit it for the default cluster' });
  if (!deps.kubeConfig.getContexts().some((candidate) => candidate.name === context)) {
    throw new ToolInputError(`The kubeconfig has no context "${context}".`, { hint: `known contexts: ${deps.kubeConfig.getContexts().map((candidate) => candidate.name).join(', ') || 'none'}`, code: 'NOT_FOUND' });
  }
  let byContext = memo.get(deps);
  if (!byContext) memo.set(deps, (byContext = new Map()));
  let derived = byContext.get(context);
  if (!derived) {
    // the loaded config's own class: importing @kubernetes/client-node here would load it at start-up
    const KubeConfigClass = deps.kubeConfig.constructor as new () => KubeConfig;
    const kubeConfig = new KubeConfigClass();
    kubeConfig.loadFromOptions({ clusters: deps.kubeConfig.clusters, users: deps.kubeConfig.users, contexts: deps.kubeConfig.contexts, currentContext: context });
    derived = withToolDeps(deps, { kubeConfig });
    if (deps.settings.impersonation) derived = impersonatingDeps(derived, deps.settings.impersonation);
    byContext.set(context, derived);
  }
  return { deps: derived, clients: kubeClientsFor(derived.kubeConfig), helmArgs: ['--kube-context', context] };
}

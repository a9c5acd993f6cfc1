/**
 * Issue 73 item 1: the executor alone decides what a credential may write. From the approved tool and its exact
 * arguments (which must hash to the signed argsHash) — and for a Helm call the manifest the approved preview digested —
 * it derives, with its own identity, every object the call writes, the verbs and the content; the MCP server's preview
 * is shown to people and never consulted here. A tool it cannot derive is refused: no credential, nothing runs.
 */
import type { ApprovalCredentialRequest, ApprovedAccess } from '@skyflo/protocol';
import { ExecutorError } from '../executor-options.ts';
import { argoGrants } from './argo-grants.ts';
import type { ComputedGrant, GrantContext } from './grant-entry.ts';
import { helmGrants } from './helm-grants.ts';
import { kubectlGrants } from './kubectl-grants.ts';
import { nodeGrants } from './node-grants.ts';
import type { OwnKube } from './own-kube.ts';
import type { HelmRenderStore } from '../helm/helm-render-store.ts';

type Derivation = (args: Record<string, unknown>, context: GrantContext & { helm?: ApprovalCredentialRequest['helm']; diffHash?: string }) => Promise<ApprovedAccess[] | ComputedGrant>;

const derivations: Record<string, Derivation> = { ...kubectlGrants, ...nodeGrants, ...argoGrants, ...helmGrants };

/** Tools that write through a connection (exec, port-forward), which an approval's account may never open. */
const connections: Record<string, string> = {
  k8s_exec: 'runs a command in a container (a CONNECT), which no approval account may do: what the command changes cannot be bound ahead',
  k8s_port_forward: 'opens a port-forward (a CONNECT), which no approval account may do',
};

/** The tools the executor can bind (listed in the README's security model). */
export const grantableTools = Object.keys(derivations).sort();

export async function computeGrant(call: { tool: string; diffHash?: string | undefined; request: ApprovalCredentialRequest }, kube: OwnKube, helmRenders?: HelmRenderStore): Promise<ComputedGrant> {
  const connection = connections[call.tool];
  if (connection) throw new ExecutorError('UNSUPPORTED', `${call.tool} ${connection}; on a cluster that enforces approvals run it with your own credentials`);
  const derive = derivations[call.tool];
  if (!derive) throw new ExecutorError('UNSUPPORTED', `the executor does not know what ${call.tool} writes, so it cannot bind a credential to it (it binds: ${grantableTools.join(', ')})`);
  const derived = await derive(call.request.arguments, { kube, tool: call.tool, ...(helmRenders ? { helmRenders } : {}), ...(call.request.helm ? { helm: call.request.helm } : {}), ...(call.diffHash ? { diffHash: call.diffHash } : {}) });
  const grant = Array.isArray(derived) ? { access: derived, reads: [] } : derived;
  if (grant.access.length === 0) throw new ExecutorError('UNSUPPORTED', `the approved ${call.tool} call writes nothing, so there is nothing to grant`);
  return grant;
}

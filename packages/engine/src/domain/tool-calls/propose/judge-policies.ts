/**
 * Issue 76: the gate's question to the team's policies about one proposed call (policies/): the first `deny` that
 * matched (the call is refused before anyone is asked), else the verdicts recorded with the call and the flags its
 * card shows. A gate whose policies cannot be read refuses the call (fail closed): a deny nobody can read could be the
 * one that applies.
 */
import type { PolicyVerdict, RiskFlag } from '@skyflo/protocol';
import { deniedText, demandsOf, policyObjectsOf, policyRiskFlags } from '@skyflo/safety/policies';
import type { ClusterBinding } from '../../clusters/cluster-gate.ts';
import type { ToolCallDeps, ToolCallRun } from '../core/deps.ts';

export type PolicyJudgement = { denied: PolicyVerdict; text: string } | { denied?: undefined; verdicts: PolicyVerdict[]; flags: RiskFlag[] };

export async function judgePolicies(
  deps: Pick<ToolCallDeps, 'policies'>,
  run: Pick<ToolCallRun, 'requester'>,
  call: { tool: string; args: Record<string, unknown>; binding: ClusterBinding | undefined; namespaces: string[] | undefined; previewObjects: unknown; risks: readonly RiskFlag[] },
): Promise<PolicyJudgement> {
  if (!deps.policies) return { verdicts: [], flags: [] };
  const namespaces = call.namespaces ?? (call.binding?.namespace ? [call.binding.namespace] : []);
  let judgement;
  try {
    judgement = await deps.policies.judge({
      tool: call.tool,
      args: call.args,
      cluster: call.binding ? { name: call.binding.cluster.name, label: call.binding.cluster.label } : undefined,
      namespaces,
      objects: policyObjectsOf(call.previewObjects),
      risks: call.risks,
      requester: run.requester,
    });
  } catch (error) {
    const verdict: PolicyVerdict = { name: 'policies unavailable', version: 0, effect: 'deny', message: `the policies could not be read (${error instanceof Error ? error.message : String(error)}); try again when the database answers` };
    return { denied: verdict, text: deniedText(call.tool, verdict) };
  }
  const denied = demandsOf(judgement.verdicts).denied;
  if (denied) return { denied, text: deniedText(call.tool, denied) };
  return { verdicts: judgement.verdicts, flags: policyRiskFlags(judgement) };
}

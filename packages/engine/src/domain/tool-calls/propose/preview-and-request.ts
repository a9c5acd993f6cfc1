/**
 * Step 1 of the gate for a call that needs a human: preview it (the MCP server's dry-run diff and risks), make it
 * exact (relative arguments resolved by the preview), seal the exact arguments, record the approval as awaiting
 * and send tool.awaiting_approval. Every such call of a model turn goes through this before the run pauses, so each
 * one's preview is on screen (and listed under Pending approvals) before any of them can be decided.
 */
import { isExternalToolName, previewFailedRiskCode, previewRequiredRiskCode, type AgentEventPayload } from '@skyflo/protocol';
import { previewHash as previewHashOf } from '@skyflo/protocol/approval-hashes';
import { mergeRisks } from '@skyflo/safety';
import { approvalFacts } from './approval-facts.ts';
import { decideApproval } from './approval-policy.ts';
import { canonicalJson, hashToolCall, sealContext } from '../core/hash-tool-call.ts';
import { isJenkinsTool, stripJenkinsArgs } from '../../tools/jenkins-args.ts';
import { baselineAtPreview } from '../core/baseline.ts';
import { sealedInverseArgs } from '../core/sealed-inverse.ts';
import { inverseRisks, revertPolicyOf, secondPersonNote } from '../decide/auto-revert-rules.ts';
import type { ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import { writtenObjectsOf, type WrittenObject } from '../../clusters/manifest-scope.ts';
import type { ApprovalPolicyApplied, ApprovalRecord, RiskFlag } from '../../../platform/ports/index.ts';
import type { ToolCallDeps, ToolCallRun, PendingCall } from '../core/deps.ts';
import { errorText, sha256, type CallOutcome, type GateTools } from '../core/gate-tools.ts';
import { enforcementFor } from '../core/enforced-approval.ts';
import { judgePolicies } from './judge-policies.ts';
import { emergencyStopCode, stoppedText } from '../../emergency-stop/emergency-stop.ts';
import { frozenCode } from '@skyflo/safety/freezes';
import { frozenHoldText } from '../decide/stop-rules.ts';

/** What a preview says beyond its text (our MCP server's preview_tool_call structured result). */
export interface PreviewFacts {
  resolvedArguments?: Record<string, unknown>;
  resolution: string[];
  artifactDigest?: string;
  /** digest of the full, unredacted rendered manifest (helm previews): bound to the approval with the text */
  manifestDigest?: string;
  /** the Kubernetes objects a Helm call writes or deletes, from the manifest the digest covers (issue 31) */
  objects?: WrittenObject[];
  risks: RiskFlag[];
}

export function previewFacts(structured: Record<string, unknown> | undefined): PreviewFacts {
  const resolved = structured?.['resolved_arguments'];
  const resolution = structured?.['resolution'];
  const digest = structured?.['artifact_digest'];
  const manifestDigest = structured?.['manifest_digest'];
  const risks = structured?.['risks'];
  const objects = writtenObjectsOf(structured?.['objects']);
  return {
    ...(resolved && typeof resolved === 'object' && !Array.isArray(resolved) ? { resolvedArguments: resolved as Record<string, unknown> } : {}),
    resolution: Array.isArray(resolution) ? resolution.filter((note): note is string => typeof note === 'string') : [],
    ...(typeof digest === 'string' ? { artifactDigest: digest } : {}),
    ...(typeof manifestDigest === 'string' ? { manifestDigest } : {}),
    ...(objects ? { objects } : {}),
    risks: Array.isArray(risks)
      ? risks.filter((risk): risk is RiskFlag => !!risk && typeof risk.code === 'string' && typeof risk.message === 'string' && ['high', 'medium', 'low'].includes(risk.severity))
      : [],
  };
}

/**
 * The hash an approval is bound to: the preview text, and the rendered manifest's digest when the preview reports
 * one (a helm preview shows a redacted diff; a change hidden by the redaction still changes the digest).
 */
export function previewHash(text: string, structured: Record<string, unknown> | undefined): string {
  return previewHashOf(text, previewFacts(structured).manifestDigest);
}

/** The machine-readable code of a failed tool result (our MCP server's `{error: {code}}`), if it has one. */
function errorCodeOf(structured: Record<string, unknown> | undefined): string | undefined {
  const error = structured?.['error'];
  const code = error && typeof error === 'object' ? (error as Record<string, unknown>)['code'] : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The tool result of a call refused because its dry run found no target. */
export function targetNotFoundText(tool: string, previewError: string): string {
  return `Not executed: the dry-run preview of ${tool} found no target, so nobody was asked to approve it and nothing was changed.\n${previewError}\nCheck the name, namespace and cluster (list what exists with k8s_get) and propose the call again.`;
}

/** How long a preview error may be inside the risk flag (the card shows the whole error beside it). */
const previewErrorInRisk = 300;

/**
 * The risk flag of a call whose preview failed: high, so four-eyes applies, and its code asks for an acknowledgement.
 * `enforcedOn`: the cluster enforces approvals (issue 73 item 6): its executor writes only what it computes from an
 * approved preview, so the call can never run there and the flag says so, and what to do, instead (PREVIEW_REQUIRED).
 */
export function previewFailedRisk(previewError: string, enforcedOn?: { cluster: string | undefined }): RiskFlag {
  // the first line, without its full stop: it is quoted inside the flag's own sentence
  const firstLine = (previewError.split('\n')[0] ?? '').replace(/\.\s*$/, '');
  const cause = firstLine.length > previewErrorInRisk ? `${firstLine.slice(0, previewErrorInRisk)}…` : firstLine;
  if (enforcedOn) {
    const cluster = enforcedOn.cluster !== undefined ? `Cluster ${enforcedOn.cluster}` : 'This cluster';
    return {
      code: previewRequiredRiskCode,
      severity: 'high',
      message:
        `The dry-run preview failed (${cause}). ${cluster} enforces approvals: its executor runs only a change whose preview was approved, so this call cannot be approved there, not even without a preview. ` +
        `Fix the cause shown (for example, the MCP server's identity lacks a read or dry-run permission it needs) and ask for the change again, or deny it.`,
    };
  }
  return {
    code: previewFailedRiskCode,
    severity: 'high',
    message: `The dry-run preview failed (${cause}), so nobody has seen what this call would change; approving it needs "approve without a preview", recorded in the audit trail.`,
  };
}

/** The approval reason, followed by the policy that decides who may approve it (issue 22). */
function withPolicySource(reason: string, policy: ApprovalPolicyApplied | undefined): string {
  return policy ? `${reason} — approval policy ${policy.mode.replace('_', '-')} (${policy.source})` : reason;
}

export function createApprovalRequests(deps: ToolCallDeps, run: ToolCallRun, gate: GateTools) {
  /**
   * Previews the call, makes it exact, seals it and asks for a decision. `lookAhead`: a later call of the same turn
   * previewed while an earlier one waits; a problem that stops it from being previewed (no Jenkins integration) is
   * reported when the gate reaches it, not twice.
   */
  async function requestApproval(call: PendingCall, info: ToolInfo | undefined, options: { lookAhead?: boolean } = {}): Promise<CallOutcome> {
    // Issue 76: while the emergency stop is on, no change is proposed (nobody could approve it).
    const stopped = await deps.emergencyStop?.state();
    if (stopped) return options.lookAhead ? { kind: 'await' } : gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, call.args)), stoppedText(stopped, 'Not proposed'), emergencyStopCode);
    // Issue 21: an Undo proposed by the engine: its exact arguments are the inverse sealed with the original's
    // before-state (the checkpoint and the model only ever hold the shown ones).
    const undoArgs = call.undoOf ? await sealedInverseArgs(deps, run.conversationId, call.undoOf, call.tool) : undefined;
    if (call.undoOf && !undoArgs) return gate.fail(gate.identityOf(call, info, call.args), `Undo not proposed: the recorded before-state of ${call.undoOf} can no longer be read.`, 'NOT_EXECUTED');
    // Issue 22: the cluster goes into the arguments before the preview, so the preview, the hash and the run agree.
    const located = await gate.resolveCluster(undoArgs ? { ...call, args: undoArgs } : call, info, true);
    if (!located.ok) return options.lookAhead ? { kind: 'await' } : gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, call.args)), located.text, located.code);
    const modelArgs = located.args;
    const injected = await gate.withInjected(call.tool, modelArgs);
    if (!injected.ok) return options.lookAhead ? { kind: 'await' } : gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, modelArgs)), injected.text);
    let diff: string | undefined;
    let diffHash: string | undefined;
    let previewError: string | undefined;
    let previewErrorCode: string | undefined;
    /** the dry run said the call would change nothing (structured `changed: false`) */
    let unchanged = false;
    let facts: PreviewFacts = { resolution: [], risks: [] };
    /** the preview's `objects` as it reported them (before/after when it has them): what policies read */
    let previewObjects: unknown;
    try {
      const preview = await deps.tools.preview({ name: call.tool, args: injected.args, signal: run.signal, ...(injected.credentials ? { jenkinsCredentials: injected.credentials } : {}) });
      if (preview && !preview.isError) {
        diff = preview.text;
        unchanged = preview.structured?.['changed'] === false;
        diffHash = previewHash(preview.text, preview.structured);
        facts = previewFacts(preview.structured);
        previewObjects = preview.structured?.['objects'];
      } else if (preview) {
        previewError = preview.text;
        previewErrorCode = errorCodeOf(preview.structured);
      }
    } catch (error) {
      previewError = `preview failed: ${errorText(error)}`;
    }
    // Issue 31 item 10: a dry run that found no target (404) means the call could only fail or act on something else
    // than the approver would think; it is refused now, as a result the model reads, and nobody is asked about it.
    // A later call of the turn is refused when the gate reaches it (its result comes in the model's order).
    if (previewErrorCode === 'NOT_FOUND') {
      if (options.lookAhead) return { kind: 'await' };
      return gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, modelArgs)), targetNotFoundText(call.tool, previewError ?? ''), 'TARGET_NOT_FOUND');
    }
    // Issue 37 item 8: an undo whose dry run changes nothing finds the live object already back (a controller, or a
    // person, set it back since): it says so instead of asking for an approval of an empty change.
    if (call.undoOf && unchanged) {
      if (options.lookAhead) return { kind: 'await' };
      return gate.fail(gate.identityOf(call, info, gate.shownArgsOf(call.tool, modelArgs)), `Already back: the live state already matches what it was before ${call.undoOf}, so there is nothing to undo (a controller or someone else set it back).`, 'ALREADY_BACK');
    }
    // The approval is for the exact call the preview resolved (absolute revision, pinned chart), never the relative one.
    const resolvedArgs = isJenkinsTool(call.tool) ? stripJenkinsArgs(facts.resolvedArguments ?? modelArgs) : (facts.resolvedArguments ?? modelArgs);
    // A preview's resolved arguments never drop or change the cluster the call was located in.
    const exactArgs = typeof modelArgs['context'] === 'string' ? { ...resolvedArgs, context: modelArgs['context'] } : resolvedArgs;
    const shown = gate.shownArgsOf(call.tool, exactArgs);
    // Issue 31: a Helm call is judged on every object of the manifest its preview rendered (the one the digest binds),
    // not only on its release namespace: outside the requester's scope, it is refused before any approval is asked.
    const writes = await gate.judgeWrites(call.tool, located.binding, facts.objects);
    if (!writes.ok) return options.lookAhead ? { kind: 'await' } : gate.fail(gate.identityOf(call, info, shown), writes.text, writes.code);
    const binding = writes.binding ?? located.binding;
    const argsHash = hashToolCall(call.tool, exactArgs, binding?.cluster);
    let risks: RiskFlag[];
    try {
      risks = mergeRisks(deps.inspector.risks(call.tool, exactArgs), facts.risks, writes.risks);
    } catch (error) {
      risks = [{ code: 'RISK_CHECK_FAILED', message: `The risk check failed (${errorText(error)}); review the arguments carefully.`, severity: 'high' }];
    }
    // Issue 74 item 10: what an external server's tool does is unknown, so it is destructive unless its admin declared
    // it is not (external-catalogue.ts sets destructiveHint from that declaration alone, never from the server's).
    const destructive = gate.destructive(call.tool, exactArgs, risks) || (isExternalToolName(call.tool) && info?.annotations?.destructiveHint !== false);
    // Issue 31 item 10: any other failed preview leaves the approver nothing to review: a high risk (four-eyes applies),
    // and approving needs an explicit "approve without a preview" (tool-calls/decide).
    // Issue 73 item 6: where the cluster enforces approvals, such a call can never run: the flag says so (not approvable).
    if (previewError !== undefined) risks = [previewFailedRisk(previewError, enforcementFor(deps, binding ? { cluster: binding.cluster } : {}) ? { cluster: binding?.cluster.name } : undefined), ...risks];
    // Issue 76 item 6: a change freeze holding for the call's cluster and namespaces holds its card: it is proposed (the
    // team sees what waits), flagged with the freeze, and only an admin's break-glass approves it while the freeze holds
    // (tool-calls/decide/stop-rules.ts); the decision and the execution read the freeze again, live.
    const frozen = await deps.freezes?.activeFor({ cluster: binding?.cluster.name, namespaces: writes.namespaces ?? (binding?.namespace ? [binding.namespace] : []) });
    if (frozen) risks = [{ code: frozenCode, severity: 'medium', message: frozenHoldText(frozen, 'Held') }, ...risks];
    // Issue 76: the team's policies over what the call would do: a deny refuses it before anyone is asked; the
    // others are recorded with it (the decision rules read them) and shown on its card.
    const judged = await judgePolicies(deps, run, { tool: call.tool, args: shown, binding, namespaces: writes.namespaces, previewObjects, risks });
    if (judged.denied) {
      if (options.lookAhead) return { kind: 'await' };
      await deps.policies?.recordDenial({ conversationId: run.conversationId, callId: call.callId, tool: call.tool, requesterId: run.requester.id, verdict: judged.denied }).catch(() => undefined);
      return gate.fail(gate.identityOf(call, info, shown), judged.text, 'POLICY_DENIED');
    }
    risks = [...risks, ...judged.flags];
    // Issue 21: the before-state now, and the inverse that would restore it, shown on the card (Undo, automatic revert).
    const baseline = isJenkinsTool(call.tool)
      ? {}
      : await baselineAtPreview(deps, { conversationId: run.conversationId, callId: call.callId, tool: call.tool, exactArgs, ...(diff !== undefined ? { diff } : {}), signal: run.signal, shownArgsOf: gate.shownArgsOf, hash: (tool, args) => hashToolCall(tool, args), assess: (inverse) => {
          const inverseRiskFlags = inverseRisks(deps.inspector, inverse, []);
          const facts = { risks: inverseRiskFlags, destructive: gate.destructive(inverse.tool, inverse.args, inverseRiskFlags) };
          // Issue 31: under the policy this call is recorded with (its cluster's, else the environment's, as the agent
          // service defaults it), whether choosing automatic revert is only for someone other than the requester
          const note = secondPersonNote(revertPolicyOf(deps.approvalPolicy ?? { policy: 'self', fourEyes: false }, { policy: located.binding?.policy }), facts);
          return { ...facts, ...(note ? { secondPersonRequired: note } : {}) };
        } });
    const record = await deps.approvals.request({
      ...baseline,
      ...(call.undoOf ? { undoOf: call.undoOf } : {}),
      conversationId: run.conversationId,
      callId: call.callId,
      runId: run.runId,
      tool: call.tool,
      args: shown,
      argsHash,
      exactArgsSealed: deps.secretBox.seal(canonicalJson(exactArgs), sealContext(run.conversationId, call.callId)),
      ...(diff !== undefined && diffHash !== undefined ? { diff, diffHash } : {}),
      ...(facts.artifactDigest ? { artifactDigest: facts.artifactDigest } : {}),
      // issue 37 item 8: a Jenkins card says which Jenkins (the integration's name and host) before what it resolved
      resolution: injected.target ? [injected.target, ...facts.resolution] : facts.resolution,
      risks,
      destructive,
      // Said about the exact call (shown arguments: no Secret value reaches the reason).
      policyReason: withPolicySource(decideApproval({ tool: call.tool, info, args: shown }).reason, binding?.policy),
      requestedBy: run.requester.id,
      ...(run.requester.alert !== undefined ? { requestedByAlert: run.requester.alert } : {}),
      ...(binding ? { cluster: binding.cluster, ...(binding.namespace ? { namespace: binding.namespace } : {}), ...(binding.policy ? { policy: binding.policy } : {}) } : {}),
      ...(writes.namespaces ? { namespaces: writes.namespaces } : {}),
      ...(writes.clusterScoped ? { clusterScopedWrites: true } : {}),
      ...(judged.verdicts.length > 0 ? { policyVerdicts: judged.verdicts } : {}),
    });
    await emitAwaiting(call, info, record, previewError);
    return { kind: 'await' };
  }

  async function emitAwaiting(call: PendingCall, info: ToolInfo | undefined, record: ApprovalRecord, previewError?: string): Promise<void> {
    // The facts come from the one builder the pending list also uses (propose/approval-facts.ts): add new facts there.
    const requesterId = record.requestedBy ?? run.requester.id;
    const payload: AgentEventPayload<'tool.awaiting_approval'> = {
      ...approvalFacts(record, {
        title: info?.title ?? call.tool,
        requesterIdFallback: run.requester.id,
        // this run knows its requester's email; a call requested by someone else is shown by id
        ...(requesterId === run.requester.id ? { requester: { email: run.requester.email } } : {}),
        previewError,
      }),
      context: { conversation_id: run.conversationId, approval_decisions: { ...run.decisions } },
    };
    await run.emit('tool.awaiting_approval', payload);
  }

  /**
   * The calls of the turn after the one the run pauses at: each one needing a human is previewed and recorded now
   * (or, already awaiting, shown again), so every decision is made with every preview of the turn on screen.
   * They still execute in the model's order, each once it is decided.
   */
  async function previewTheRest(rest: PendingCall[], infoOf: (call: PendingCall) => ToolInfo | undefined, needsApproval: (call: PendingCall) => boolean): Promise<void> {
    for (const call of rest) {
      if (run.signal.aborted) return;
      if (!needsApproval(call)) continue;
      const info = infoOf(call);
      const record = await deps.approvals.get(run.conversationId, call.callId);
      if (!record) await requestApproval(call, info, { lookAhead: true });
      else if (record.status === 'awaiting') await emitAwaiting(call, info, record);
    }
  }

  return { requestApproval, emitAwaiting, previewTheRest };
}

/**
 * Automatic revert (issue 21, opt-in per approval): the approver approved with `auto_revert` having seen the inverse
 * on the card, and the verification ended `regressed`. The recorded inverse is recorded as a new call (`undo_of`),
 * previewed, decided automatically in the approver's name (audited as such: `automatic`, reason), executed once
 * (claimed like any approved call) and verified. Returns what the model reads about it.
 */
import { canonicalJson, hashToolCall } from '../approvals/hash-tool-call.ts';
import type { GraphDeps, RunContext } from '../graph/run-context.ts';
import type { GateTools } from '../graph/nodes/gate/gate-tools.ts';
import { previewHash } from '../graph/nodes/gate/preview-and-request.ts';
import { approverImpersonation, sealContext } from '../graph/nodes/gate/gate-tools.ts';
import type { ApprovalRecord } from '../ports/index.ts';
import type { InverseCall } from '../verification/baseline.ts';
import { verificationLine } from '../verification/verify-change.ts';
import { runVerification } from '../verification/verify-executed.ts';

export async function runAutoRevert(deps: GraphDeps, run: RunContext, gate: GateTools, input: { original: ApprovalRecord; inverse: InverseCall; callId: string }): Promise<string> {
  const { original, inverse, callId } = input;
  const shown = gate.shownArgsOf(inverse.tool, inverse.args);
  const identity = { call_id: callId, tool: inverse.tool, title: inverse.summary, args: shown };
  let diff: string | undefined;
  let diffHash: string | undefined;
  try {
    const preview = await deps.tools.preview({ name: inverse.tool, args: inverse.args, signal: run.signal });
    if (preview && !preview.isError) {
      diff = preview.text;
      diffHash = previewHash(preview.text, preview.structured);
    }
  } catch {
    // the revert is still the inverse the approver saw; its preview is only shown
  }
  const reason = `Automatic revert: the verification of ${original.callId} ended regressed and it was approved with automatic revert.`;
  await deps.approvals.request({
    conversationId: run.conversationId,
    callId,
    runId: run.runId,
    tool: inverse.tool,
    args: shown,
    // bound to the original's cluster (name and API server) like any approved call (issue 22): checked again before it runs
    argsHash: hashToolCall(inverse.tool, inverse.args, original.cluster),
    exactArgsSealed: deps.secretBox.seal(canonicalJson(inverse.args), sealContext(run.conversationId, callId)),
    ...(diff !== undefined && diffHash !== undefined ? { diff, diffHash } : {}),
    resolution: [],
    risks: [],
    destructive: gate.destructive(inverse.tool, inverse.args),
    policyReason: `Restores the before-state of ${original.callId}: ${inverse.summary}`,
    ...(original.requestedBy ? { requestedBy: original.requestedBy } : {}),
    undoOf: original.callId,
    ...(original.cluster ? { cluster: original.cluster, ...(original.namespace ? { namespace: original.namespace } : {}), ...(original.policy ? { policy: original.policy } : {}) } : {}),
  });
  const decidedBy = original.decidedBy ?? run.requester.id;
  const decided = await deps.approvals.decide({ conversationId: run.conversationId, callId, approve: true, decidedBy, reason, automatic: true, decisionRunId: run.runId });
  if (!decided) return `Automatic revert ${callId} was not run: it was already decided.`;
  await run.emit('tools.pending', { tools: [{ ...identity, requires_approval: true, destructive: decided.destructive, timestamp: Date.now() }] });
  const email = run.approver && run.approver.id === decidedBy ? run.approver.email : undefined;
  await run.emit('tool.approved', { ...identity, decided_by: decidedBy, ...(email ? { decided_by_email: email } : {}), decided_at: (decided.decidedAt ?? new Date()).getTime(), reason, automatic: true });
  if (!(await deps.approvals.claimExecution({ conversationId: run.conversationId, callId, runId: run.runId }))) return `Automatic revert ${callId} was not run: another run claimed it.`;
  const actingAs = approverImpersonation(deps, run, decidedBy);
  if (!actingAs.ok) {
    const text = 'Not executed: EXECUTE_AS_APPROVER is on, but this run does not know the approver, so the automatic revert cannot run as them. Use Undo.';
    await deps.approvals.markExecuted({ conversationId: run.conversationId, callId, ok: false, resultSummary: text });
    await gate.fail(identity, text, 'NOT_EXECUTED');
    return `Automatic revert (${inverse.summary}): ${text}`;
  }
  const outcome = await gate.execute({ callId, tool: inverse.tool, args: inverse.args }, identity, inverse.args, actingAs.impersonate ? { impersonate: actingAs.impersonate } : {});
  await deps.approvals.markExecuted({ conversationId: run.conversationId, callId, ok: !outcome.isError, resultSummary: outcome.text.slice(0, 500) });
  if (outcome.isError) return `Automatic revert (${inverse.summary}, call ${callId}) failed: ${outcome.text}`;
  const { result } = await runVerification(
    deps,
    { conversationId: run.conversationId, callId, tool: inverse.tool, args: inverse.args, undoOf: original.callId },
    { emit: (payload) => run.emit('tool.verification', payload), signal: run.signal },
  );
  return `Automatic revert ran (${inverse.summary}, call ${callId}). ${verificationLine(result)}`;
}

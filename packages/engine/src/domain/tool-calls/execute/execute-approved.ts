/**
 * Step 2 of the gate, for a call that was decided: a denial becomes the model's tool result; an approval runs
 * only with the sealed exact arguments, once (the claim is atomic), and only if its re-run preview still matches
 * the one the approver saw (else TARGET_CHANGED). Every decision event says who decided, when and why.
 */
import { recordApproval } from '../../../platform/observability/tracing/spans.ts';
import { closedCallCode, clusterNoteFor } from './reconcile-orphaned-approvals.ts';
import { approvalObjectOf, closeNotExecuted, sendExecutionClaim, takeClaim } from './execution-claim.ts';
import { hashToolCall, sealContext } from '../core/hash-tool-call.ts';
import type { JenkinsCallCredentials, ToolInfo } from '../../../platform/ports/tool-gateway.ts';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';
import type { ApprovalCredentialRequest } from '@skyflo/protocol';
import type { ToolCallDeps, ToolCallRun, PendingCall } from '../core/deps.ts';
import { approverImpersonation, deniedText, errorText, runEndedCause, type CallOutcome, type GateTools } from '../core/gate-tools.ts';
import { isDatabaseUnavailable } from '../../../platform/storage-faults/database-unavailable.ts';
import { previewHash } from '../propose/preview-and-request.ts';
import type { WritesAtExecution } from '../../clusters/cluster-gate.ts';
import { writtenObjectsOf } from '../../clusters/manifest-scope.ts';
import { createGateVerification } from '../verify/gate-verification.ts';
import { captureBaseline } from '../core/baseline.ts';
import { enforcedDecision, enforcedGrant, enforcementFor, grantRequestOf } from '../core/enforced-approval.ts';
import { emergencyStopCode, stoppedText } from '../../emergency-stop/emergency-stop.ts';
import { frozenCode, frozenText } from '@skyflo/safety/freezes';
import { freezeHold, holdApproved, stopHold } from './hold-approved.ts';

/** A decided call's outcome: as any call's, or held for re-confirmation by a change freeze or the emergency stop (its row awaiting again). */
export type DecidedOutcome = CallOutcome | { kind: 'held'; record: ApprovalRecord };

/** How much of a changed preview to quote back when refusing (the model and the user both read it). */
const changedPreviewQuoteChars = 4000;

/** Preview failures that say the target itself is different now: gone, changed under it, its approved artifact changed. */
const targetChangedCodes = new Set(['NOT_FOUND', 'CONFLICT', 'INVALID_INPUT', 'ARTIFACT_CHANGED', 'ARTIFACT_MISSING']);

/**
 * A preview that failed because the target could not be asked (the API server unreachable or failing, an admission
 * webhook down, a timeout, a permission), not because the target is different now (issue 75: those read "the target
 * changed after it was approved"). A failure without a code (an older server) still counts as a change.
 */
function checkFailed(structured: Record<string, unknown> | undefined): boolean {
  const code = (structured?.['error'] as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !targetChangedCodes.has(code);
}

export function createDecidedCalls(deps: ToolCallDeps, run: ToolCallRun, gate: GateTools) {
  const verification = createGateVerification(deps, run, gate);
  /** Who decided, when and why, for tool.approved / tool.denied (the email when this run's approver decided it). */
  function decisionFields(record: ApprovalRecord) {
    const email = run.approver && run.approver.id === record.decidedBy ? run.approver.email : undefined;
    return {
      ...(record.decidedBy ? { decided_by: record.decidedBy } : {}),
      ...(email ? { decided_by_email: email } : {}),
      ...(record.decidedAt ? { decided_at: record.decidedAt.getTime() } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
    };
  }

  /** Opens the sealed exact arguments and checks they are the ones the approval's hash names. */
  function exactArgsOf(record: ApprovalRecord): Record<string, unknown> | undefined {
    if (!record.exactArgsSealed) return undefined;
    try {
      const args = JSON.parse(deps.secretBox.open(record.exactArgsSealed, sealContext(record.conversationId, record.callId))) as Record<string, unknown>;
      // The cluster (name and API server) is part of the hash: a row whose cluster was edited does not open.
      return hashToolCall(record.tool, args, record.cluster) === record.argsHash ? args : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Re-runs the preview of an approved call: `change` is undefined when it still matches what the approver saw. Then
   * its objects (a Helm call's, issue 31) are those of the approved manifest — the hash covers the manifest's digest —
   * and the scope check judges them (`writes`).
   */
  async function targetChange(call: PendingCall, record: ApprovalRecord, execArgs: Record<string, unknown>, exact: Record<string, unknown>, credentials?: JenkinsCallCredentials): Promise<{ change?: string; unchecked?: string; writes: WritesAtExecution; grantRequest: ApprovalCredentialRequest }> {
    const changed = (change: string) => ({ change, writes: { matched: false }, grantRequest: grantRequestOf(exact) });
    // Issue 75: the check could not be made (the run ended, the MCP server or the API server did not answer): that is
    // the cause the card names, not "the target changed".
    const unchecked = (cause: string) => ({ unchecked: cause, writes: { matched: false }, grantRequest: grantRequestOf(exact) });
    // no preview was approved: there are no objects to judge (a scope limited to namespaces refuses a Helm call then)
    if (!record.diffHash) return { writes: { matched: true }, grantRequest: grantRequestOf(exact) };
    let preview;
    try {
      preview = await deps.tools.preview({ name: call.tool, args: execArgs, signal: run.signal, ...(credentials ? { jenkinsCredentials: credentials } : {}) });
    } catch (error) {
      if (run.signal.aborted) return unchecked(runEndedCause(run.signal));
      return unchecked(`its preview could not be re-run to check the target (${errorText(error)})`);
    }
    if (run.signal.aborted) return unchecked(runEndedCause(run.signal));
    if (!preview) return changed('its preview is no longer available');
    if (preview.isError && checkFailed(preview.structured)) return unchecked(`its preview could not be re-run to check the target: ${preview.text.split('\n')[0]}`);
    if (preview.isError) return changed(`its preview now fails: ${preview.text}`);
    if (previewHash(preview.text, preview.structured) === record.diffHash) {
      const objects = writtenObjectsOf(preview.structured?.['objects']);
      // issue 73: what the executor computes the grant from — the exact arguments and, for a Helm call, the manifest
      // this matching preview rendered (its digest is in the approved diffHash, which the executor checks)
      return { writes: { matched: true, ...(objects ? { objects } : {}) }, grantRequest: grantRequestOf(exact, preview) };
    }
    if (preview.text === record.diff) return changed('the rendered manifest differs from the one that was approved (the shown diff hides the change, e.g. a redacted value).');
    const quoted = preview.text.length > changedPreviewQuoteChars ? `${preview.text.slice(0, changedPreviewQuoteChars)}\n…` : preview.text;
    return changed(`the preview differs from the one that was approved. Preview now:\n${quoted}`);
  }

  /**
   * The outcome of a claimed call, in its row. A database that is briefly unreachable (a restart) is waited for, up to
   * a run lease: by then the reconciler of another process records the call `unknown`, which this run still settles
   * to what the tool answered (markExecuted accepts its own run's unknown row).
   */
  async function recordOutcome(callId: string, outcome: { ok: boolean; unknown?: boolean; resultSummary: string }): Promise<void> {
    const input = { conversationId: run.conversationId, callId, runId: run.runId, ...outcome };
    const giveUpAt = Date.now() + deps.config.runLeaseMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await deps.approvals.markExecuted(input);
        return;
      } catch (error) {
        if (!isDatabaseUnavailable(error) || Date.now() >= giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * (attempt + 1), 1_000)));
      }
    }
  }

  async function executeApproved(call: PendingCall, info: ToolInfo | undefined, record: ApprovalRecord): Promise<DecidedOutcome> {
    const identity = gate.identityOf(call, info, record.args);
    // Issue 76: an approval given before the emergency stop was engaged does not run while it is on: held, not lost
    // (hold-approved.ts) — it runs only if approved again once the stop is lifted.
    const stopped = await deps.emergencyStop?.state();
    if (stopped) {
      const held = await holdApproved(deps, run, record, stopHold(stopped));
      if (held) return { kind: 'held', record: held };
      const text = `${stoppedText(stopped, 'Not executed')} Nothing was changed; propose it again once the stop is lifted.`;
      await closeNotExecuted(deps, run, call.callId, text);
      return gate.fail(identity, text, emergencyStopCode);
    }
    // Issue 76: nor while a change freeze holds for it (approved before the freeze began)
    const frozen = await deps.freezes?.activeFor({ cluster: record.cluster?.name, namespaces: record.namespaces ?? (record.namespace !== undefined ? [record.namespace] : []) });
    // Issue 76 item 6: an admin's break-glass overrode that freeze for this call only (another freeze still stops it).
    if (frozen && record.breakGlass?.freeze !== frozen.name) {
      // Held, not lost: back to awaiting, to run only if approved again (hold-approved.ts); closed only by a store
      // that cannot hold, or when the row was decided elsewhere meanwhile.
      const held = await holdApproved(deps, run, record, freezeHold(frozen));
      if (held) return { kind: 'held', record: held };
      const text = `${frozenText(frozen, 'Not executed')} Nothing was changed; propose it again once the freeze has ended.`;
      await closeNotExecuted(deps, run, call.callId, text);
      return gate.fail(identity, text, frozenCode);
    }
    const exact = exactArgsOf(record);
    if (!exact) {
      const text = `Not executed: the exact arguments approved for ${call.callId} are not available (they are kept encrypted with SKYFLO_ENCRYPTION_KEY; a changed key or a tampered row makes them unreadable). Propose the change again.`;
      await closeNotExecuted(deps, run, call.callId, text);
      return gate.fail(identity, text, 'NOT_EXECUTED');
    }
    const identityToUse = approverImpersonation(deps, run, record.decidedBy);
    if (!identityToUse.ok) {
      const text = 'Not executed: EXECUTE_AS_APPROVER is on, but this run does not know who approved the call, so it cannot run as them. Decide it again.';
      await closeNotExecuted(deps, run, call.callId, text);
      return gate.fail(identity, text, 'NOT_EXECUTED');
    }
    const actingAs = identityToUse.impersonate;
    // Issue 34: on a cluster that enforces approvals, this one is mirrored as a SkyfloApproval of this name.
    const enforced = enforcementFor(deps, record);
    const approvalObject = approvalObjectOf(deps, record);
    run.decisions[call.callId] = true;
    recordApproval({ tool: record.tool, decision: 'approved', requestedAt: record.requestedAt, ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}), automatic: record.automatic });
    const approvedEvent = () => run.emit('tool.approved', { ...identity, ...decisionFields(record), ...(record.automatic ? { automatic: true } : {}), ...(record.autoRevert ? { auto_revert: true } : {}), ...(approvalObject ? { approval_object: approvalObject } : {}) });
    const injected = await gate.withInjected(call.tool, exact);
    if (!injected.ok) {
      await approvedEvent();
      await closeNotExecuted(deps, run, call.callId, injected.text);
      return gate.fail(identity, injected.text, 'NOT_EXECUTED');
    }
    // Claim first, execute second: if two runs ever resume the same approved call, only one wins the claim. The call
    // this run's decision approved was claimed as the run started (execution-claim.ts); any other is claimed now, before
    // the tool.approved event (P4: its database round trip then overlaps the event and the checks' MCP round trips).
    // Its answer is awaited below, before any check's verdict. Its audit record (tool.execution_started) is written by
    // the same statement: no execution without its record.
    const claimed = takeClaim(run, call.callId) ?? sendExecutionClaim(deps, run, record);
    await approvedEvent();
    // The checks before execution start once the approval is announced (what changed up to then is seen) and run while
    // the claim is made (their MCP and database round trips overlap instead of adding up). They only read; their
    // verdicts are awaited below, after the claim, in this order, and nothing runs before all of them say go.
    // Issue 22: a call approved for one cluster never runs on another (a context repointed at another API server),
    // nor outside the scope an admin has since given the requester or the approver.
    const targetCheck = targetChange(call, record, injected.args, exact, injected.credentials);
    // Issue 31: a Helm call's scope is judged on the objects of the re-run preview (the approved manifest when it matched).
    const writes = targetCheck.then((checked) => checked.writes).catch((): WritesAtExecution => ({ matched: true }));
    const clusterCheck = gate.clusterGate?.checkAtExecution(record, exact, { ...(run.scope ? { scope: run.scope } : {}), ...(run.approver ? { approverId: run.approver.id } : {}) }, writes);
    clusterCheck?.catch(() => undefined); // awaited below
    // Issue 21's before-state is read now too (a read; it is recorded only once the checks pass, below).
    const baseline = captureBaseline(deps.tools, { tool: record.tool, args: exact, signal: run.signal });
    if (!(await claimed)) {
      return gate.fail(identity, 'This call is already being executed by another run and is not run again.', 'NOT_EXECUTED');
    }
    /** Closes the claimed call unsent, naming why (issue 75: the real cause, never "the target changed" for it). */
    const notExecuted = async (cause: string, code: 'CANCELLED' | 'NOT_EXECUTED') => {
      const text = `Not executed: ${cause}.\nNothing was changed. Propose the change again once that is resolved, if it is still right.`;
      await recordOutcome(call.callId, { ok: false, resultSummary: text.slice(0, 500) });
      return gate.fail(identity, text, code);
    };
    // The run ended (a stop, the event bus or the database failing) before the call was sent: it is not sent now.
    if (run.signal.aborted) return notExecuted(runEndedCause(run.signal), 'CANCELLED');
    const refused = await clusterCheck;
    if (refused !== undefined) {
      await recordOutcome(call.callId, { ok: false, resultSummary: refused.text.slice(0, 500) });
      return gate.fail(identity, refused.text, refused.code);
    }
    const { change, unchecked, grantRequest } = await targetCheck;
    if (run.signal.aborted) return notExecuted(runEndedCause(run.signal), 'CANCELLED');
    if (unchecked !== undefined) return notExecuted(unchecked, 'NOT_EXECUTED');
    if (change !== undefined) {
      const text = `Not executed: the target of ${call.tool} changed after it was approved — ${change}\nNothing was changed. Inspect the current state and propose the change again if it is still right.`;
      await recordOutcome(call.callId, { ok: false, resultSummary: text.slice(0, 500) });
      return gate.fail(identity, text, 'TARGET_CHANGED');
    }
    // Issue 21: the before-state is recorded right before the change (Undo), and the change verified right after it.
    const before = await verification.beforeExecute(record, exact, baseline);
    // Issue 34: the approval's own credential, minted right before the call and released right after; no credential,
    // no call (fail closed). Impersonation does not apply then: the per-approval identity is the one that writes.
    const grant = enforced ? await enforcedGrant(enforced, record, grantRequest, decisionFields(record)) : undefined;
    if (grant && !grant.ok) {
      await recordOutcome(call.callId, { ok: false, resultSummary: grant.text.slice(0, 500) });
      return gate.fail(identity, grant.text, 'NOT_EXECUTED');
    }
    // the last moment a stop still keeps the change from being sent
    if (run.signal.aborted) {
      await grant?.release();
      return notExecuted(runEndedCause(run.signal), 'CANCELLED');
    }
    let outcome;
    try {
      // Issue 75: from here on a stop (or any end of the run) does not cut the change short: it runs to its answer and
      // that answer is recorded, or `unknown` when it was lost.
      outcome = await gate.execute(call, identity, injected.args, {
        ...(actingAs && !grant ? { impersonate: actingAs } : {}),
        ...(grant ? { credential: grant.credential } : {}),
        ...(injected.credentials ? { credentials: injected.credentials } : {}),
        ...(before.undoAvailable ? { undoAvailable: true } : {}),
        change: true,
      });
    } finally {
      await grant?.release();
    }
    if (outcome.outcomeUnknown) {
      // what the cluster shows now, as the reconciler adds it to an unknown outcome (a read, bounded)
      const note = await clusterNoteFor(deps.tools, record).catch(() => undefined);
      const text = note ? `${outcome.text} ${note}` : outcome.text;
      await recordOutcome(call.callId, { ok: false, unknown: true, resultSummary: text.slice(0, 500) });
      return { kind: 'done', text, isError: true };
    }
    await recordOutcome(call.callId, { ok: !outcome.isError, resultSummary: outcome.text.slice(0, 500) });
    // a stopped run ends here: the change is recorded as it went, and its verification is not started
    if (outcome.isError || outcome.cancelled || run.signal.aborted) return { kind: 'done', ...outcome };
    const verdict = await verification.afterExecute(record, exact, before);
    return { kind: 'done', ...outcome, ...(verdict ? { text: `${outcome.text}\n\n${verdict}` } : {}) };
  }

  /** A call whose approval record is no longer awaiting: denied, approved, or already dealt with. */
  async function handleDecided(call: PendingCall, info: ToolInfo | undefined, record: ApprovalRecord): Promise<DecidedOutcome> {
    const identity = gate.identityOf(call, info, record.args);
    // The approver saw exactly one tool; a record for another tool under this call id is not an approval of this call.
    if (record.tool !== call.tool) return gate.fail(identity, `Not executed: the approval for ${call.callId} is for another tool.`, 'APPROVAL_MISMATCH');
    if (record.status === 'denied') {
      run.decisions[call.callId] = false;
      recordApproval({ tool: record.tool, decision: 'denied', requestedAt: record.requestedAt, ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}) });
      // Issue 34: a denial is mirrored too, so the cluster's record of decisions is complete (it runs nothing either way).
      const enforced = enforcementFor(deps, record);
      if (enforced) await enforced.mirrorDenial(enforcedDecision(record, decisionFields(record)));
      const approvalObject = approvalObjectOf(deps, record);
      await run.emit('tool.denied', { ...identity, ...decisionFields(record), ...(approvalObject ? { approval_object: approvalObject } : {}) });
      return { kind: 'done', text: record.reason ? `${deniedText}: ${record.reason}` : deniedText, isError: true };
    }
    if (record.status !== 'approved') {
      // executed, failed, unknown or cancelled: a previous run dealt with it (or the engine lost it). Never run it twice.
      const text = `This call was already ${record.status === 'executed' ? 'executed' : 'closed'} and is not run again.${record.resultSummary ? ` ${record.resultSummary}` : ''}`;
      return gate.fail(identity, text, closedCallCode(record));
    }
    return executeApproved(call, info, record);
  }

  return { handleDecided };
}

/**
 * Verify, then undo, in the gate (issue 21): around the execution of an approved call (execute/
 * execute-approved.ts), record its before-state just before it runs, and verify it once it ran; with automatic
 * revert chosen and a `regressed` verdict, run the recorded inverse (verify/auto-revert.ts). What the model reads as
 * the call's result ends with the verdict, so its answer says what really happened.
 */
import { whileNotStopped } from '../../emergency-stop/stop-signal.ts';
import { traceVerification } from '../../../platform/observability/tracing/spans.ts';
import { hashToolCall } from '../core/hash-tool-call.ts';
import type { ToolCallDeps, ToolCallRun } from '../core/deps.ts';
import type { GateTools } from '../core/gate-tools.ts';
import type { ApprovalRecord, RecordedUndo } from '../../../platform/ports/index.ts';
import { autoRevertInRun, type PreparedRevert } from './auto-revert.ts';
import { captureBaseline, openBefore, sealBefore, type Baseline, type SealedBefore } from '../core/baseline.ts';
import { jenkinsTarget, jenkinsVerifyInput } from './jenkins-result.ts';
import { verificationLine } from './verify-change.ts';
import { canVerify, runVerification } from './verify-executed.ts';
import { isJenkinsTool } from '../../tools/jenkins-args.ts';

export interface BeforeExecute {
  sealed?: SealedBefore;
  /** an inverse is recorded: tool.result says undo_available */
  undoAvailable: boolean;
  /** the inverse recorded now is the one the approver was shown (automatic revert may run it) */
  inverseAsShown: boolean;
  /** when the call was about to run (unix seconds): the symptom's "before" */
  at?: number;
}

export function createGateVerification(deps: ToolCallDeps, run: ToolCallRun, gate: GateTools) {
  /**
   * The before-state right before execution (the preview's may be older). When it implies another inverse than the
   * one the card showed, that one is kept for Undo (previewed again anyway) but automatic revert will not run it.
   */
  async function beforeExecute(record: ApprovalRecord, exactArgs: Record<string, unknown>, captured?: Promise<Baseline | undefined>): Promise<BeforeExecute> {
    return { ...(await recordBefore(record, exactArgs, captured)), at: Date.now() / 1000 };
  }

  async function recordBefore(record: ApprovalRecord, exactArgs: Record<string, unknown>, captured?: Promise<Baseline | undefined>): Promise<BeforeExecute> {
    const atPreview = openBefore(deps.secretBox, record.conversationId, record.callId, record.beforeSealed);
    // `captured`: the read already started by the gate while it re-checked the call (P4); recording waits for the checks.
    const baseline = await (captured ?? captureBaseline(deps.tools, { tool: record.tool, args: exactArgs, signal: run.signal }));
    if (!baseline) {
      return { ...(atPreview ? { sealed: atPreview } : {}), undoAvailable: !!atPreview?.inverse, inverseAsShown: !!atPreview?.inverse };
    }
    const sealed: SealedBefore = { args: exactArgs, ...(baseline.before ? { before: baseline.before } : {}), ...(baseline.undoable && baseline.inverse ? { inverse: baseline.inverse } : {}) };
    const inverseHash = sealed.inverse ? hashToolCall(sealed.inverse.tool, sealed.inverse.args) : undefined;
    const inverseAsShown = inverseHash !== undefined && inverseHash === record.undo?.argsHash;
    const undo: RecordedUndo | undefined =
      sealed.inverse && !inverseAsShown ? { tool: sealed.inverse.tool, args: gate.shownArgsOf(sealed.inverse.tool, sealed.inverse.args), summary: sealed.inverse.summary, argsHash: inverseHash! } : undefined;
    try {
      await deps.approvals.recordBaseline({ conversationId: record.conversationId, callId: record.callId, beforeSealed: sealBefore(deps.secretBox, record.conversationId, record.callId, sealed), ...(undo ? { undo } : {}) });
    } catch {
      // not recorded: the call offers no Undo, but the approved change still runs
      return { undoAvailable: false, inverseAsShown: false };
    }
    return { sealed, undoAvailable: !!sealed.inverse, inverseAsShown };
  }

  /** Verifies the executed call; the text to append to its result, or undefined when the MCP server cannot verify. */
  async function afterExecute(record: ApprovalRecord, exactArgs: Record<string, unknown>, before: BeforeExecute): Promise<string | undefined> {
    if (!(await canVerify(deps.tools))) return undefined;
    const autoRevert = record.autoRevert === true && before.inverseAsShown && before.sealed?.inverse !== undefined;
    const revertCallId = `${record.callId}-revert`;
    const revert = autoRevert ? autoRevertInRun(deps, run, gate, { original: record, inverse: before.sealed!.inverse!, callId: revertCallId }) : undefined;
    let prepared: PreparedRevert | undefined;
    // A Jenkins call is followed through the build its result names (stored on the row by markExecuted).
    const jenkins = await jenkinsVerifyInput(
      { tool: record.tool, args: exactArgs, ...(isJenkinsTool(record.tool) ? { resultSummary: (await deps.approvals.get(record.conversationId, record.callId))?.resultSummary } : {}) },
      deps.jenkinsIntegration,
    );
    const symptom = await symptomOf(record);
    // Issue 76: the emergency stop ends the verification (and so the automatic revert it would start), not the run.
    const { result, signal } = await whileNotStopped(deps.emergencyStopSignal, run.signal, async (watched = run.signal) => ({ signal: watched, ...(await traceVerification(record.tool, () => runVerification(
      deps,
      {
        conversationId: record.conversationId,
        callId: record.callId,
        tool: record.tool,
        args: exactArgs,
        ...(before.sealed?.before ? { before: before.sealed.before } : {}),
        ...(record.undoOf ? { undoOf: record.undoOf } : {}),
        ...jenkinsTarget(jenkins),
        ...(autoRevert ? { autoRevert: true } : {}),
        ...(symptom && before.at !== undefined ? { symptom: { ...symptom, before: before.at } } : {}),
      },
      {
        emit: (payload) => run.emit('tool.verification', payload),
        signal: watched,
        // a revert that will not run on its own (issue 31) is not announced as the automatic revert
        afterVerdict: async (verdict) => {
          if (verdict.outcome !== 'regressed' || !revert || watched.aborted) return undefined;
          prepared = await revert.prepare();
          return prepared.withheld ? undefined : revertCallId;
        },
      },
    )))}));
    let extra: string | undefined;
    if (result.outcome === 'regressed' && record.autoRevert === true && !autoRevert) {
      extra = 'Automatic revert was chosen but not run: the inverse recorded before execution is not the one the approver was shown. Offer Undo instead.';
    }
    if (result.outcome === 'regressed' && autoRevert && !signal.aborted) {
      extra = await revert!.run(prepared);
    }
    return verificationLine(result, extra);
  }

  /** The conversation's symptom query and the cluster's data sources, when both exist (issue 78 item 7). */
  async function symptomOf(record: ApprovalRecord) {
    if (!deps.symptomQuery || !deps.observabilitySources) return undefined;
    try {
      const [query, sources] = await Promise.all([deps.symptomQuery(record.conversationId), deps.observabilitySources(run.cluster)]);
      return query && sources?.prometheus ? { query, sources: { prometheus: sources.prometheus } } : undefined;
    } catch {
      // no symptom to compare: the change is verified as before
      return undefined;
    }
  }

  return { beforeExecute, afterExecute };
}

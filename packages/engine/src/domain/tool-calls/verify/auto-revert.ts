/**
 * Automatic revert (issue 21, opt-in per approval): the approver approved with `auto_revert` having seen the inverse
 * on the card, and the verification ended `regressed`. The recorded inverse is recorded as a new call (`undo_of`),
 * previewed, its risks assessed like any call's, decided automatically in the approver's name (audited as such:
 * `automatic`, reason), executed once (claimed like any approved call) and verified. Returns what the model reads.
 *
 * It runs in two places: inside the run that executed the change (runAutoRevert, through the gate's tools), and after
 * an engine restart, when a resumed verification ends `regressed` (verify/resume-verifications.ts) with no run
 * at all. Both go through revertAutomatically with where they stand (RevertSurroundings).
 */
import type { AgentEventPayload, AgentEventType, MemberScope } from '@skyflo/protocol';
import { canonicalJson, hashToolCall, sealContext } from '../core/hash-tool-call.ts';
import type { ToolCallInspector } from '../core/tool-call-inspector.ts';
import type { ClusterGate, WritesAtExecution } from '../../clusters/cluster-gate.ts';
import type { WrittenObject } from '../../clusters/manifest-scope.ts';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { ApprovalCredentialRequest, ToolCallCredential } from '@skyflo/protocol';
import type { ClusterEnforcement } from '../../clusters/enforcement/cluster-enforcement.ts';
import { enforcedGrant, enforcementFor, grantRequestOf } from '../core/enforced-approval.ts';
import type { ToolCallDeps, ToolCallRun } from '../core/deps.ts';
import { emergencyStopCode, stoppedText, type EmergencyStop } from '../../emergency-stop/emergency-stop.ts';
import type { GateTools, Identity, ToolRunOutcome } from '../core/gate-tools.ts';
import { previewFacts, previewHash } from '../propose/preview-and-request.ts';
import { approverImpersonation } from '../core/gate-tools.ts';
import { executionStartedRecord } from '../../audit/run-event-auditor.ts';
import type { ToolGateway } from '../../../platform/ports/tool-gateway.ts';
import type { ApprovalRecord, ApprovalStore, RiskFlag } from '../../../platform/ports/index.ts';
import type { InverseCall } from '../core/baseline.ts';
import { verificationLine } from './verify-change.ts';
import { runVerification, type VerifyExecutedDeps } from './verify-executed.ts';
import { type EnvironmentPolicy, inverseDiffChanged, inverseNeedsSecondPerson, inverseRisks, revertPolicyOf } from '../decide/auto-revert-rules.ts';

export interface AutoRevertDeps {
  tools: ToolGateway;
  /** issue 34: approvals the cluster enforces (see ToolCallDeps.enforcement) */
  enforcement?: ClusterEnforcement | undefined;
  approvals: ApprovalStore;
  secretBox: SecretBox;
  inspector: ToolCallInspector;
  config: VerifyExecutedDeps['config'];
  /**
   * APPROVAL_POLICY and APPROVAL_FOUR_EYES (issue 31): whether the inverse would need a second person. Unknown, four-eyes
   * is assumed (fails closed: a destructive inverse chosen by its requester waits for Undo).
   */
  approvalPolicy?: EnvironmentPolicy | undefined;
  /** issue 76: while the emergency stop is on, no automatic revert runs (Undo stays available to a person afterwards) */
  emergencyStop?: Pick<EmergencyStop, 'state'> | undefined;
}

/**
 * Why the automatic revert must not run on its own now (issue 31), with the code its card shows, or undefined: the
 * inverse needs a second person and the one who chose automatic revert asked for the change (6), or its fresh
 * preview is not the diff shown on the card because the object changed since (7).
 */
function withheld(deps: AutoRevertDeps, input: { original: ApprovalRecord; inverse: InverseCall; risks: RiskFlag[]; destructive: boolean; diff: string | undefined }): { code: string; text: string } | undefined {
  const { original, inverse } = input;
  const undo = `Undo on ${original.callId} proposes it (${inverse.summary}) with its current diff, gated like any change.`;
  const cause = inverseNeedsSecondPerson(revertPolicyOf(deps.approvalPolicy, original), { destructive: input.destructive, risks: input.risks });
  const chooser = original.decidedBy;
  if (cause && (chooser === undefined || original.requestedBy === undefined || chooser === original.requestedBy)) {
    return {
      code: 'FOUR_EYES_REQUIRED',
      text: `Not run automatically: ${cause}, and automatic revert was chosen by ${chooser ?? 'an unknown approver'}, who asked for the change; someone other than them must approve the inverse.
${undo}`,
    };
  }
  if (inverseDiffChanged(original.undo?.diff, input.diff)) {
    const now = input.diff === undefined ? 'its preview could not be produced now' : `its preview now differs from the diff shown on the approval card:
${input.diff.slice(0, 2000)}`;
    return {
      code: 'INVERSE_CHANGED',
      text: `Not run automatically: the object changed since the approval (someone else edited it during verification), so the inverse would overwrite that edit; ${now}
${undo}`,
    };
  }
  return undefined;
}

/** Where the revert runs: the events it emits, the run it belongs to, how it executes and as whom. */
export interface RevertSurroundings {
  conversationId: string;
  runId: string;
  emit: <T extends AgentEventType>(type: T, payload: AgentEventPayload<T>) => Promise<void>;
  signal?: AbortSignal;
  /** the approver's email, for tool.approved, when known */
  approverEmail?: string;
  /** EXECUTE_AS_APPROVER for the original's approver (fails closed when the approver is not known) */
  actingAs: { ok: true; impersonate?: { user: string; groups: string[] } } | { ok: false };
  /** runs the call (tool.executing, then tool.result or tool.error) */
  /** runs the inverse as an approved change (callToolWithEvents `change`): never cut short; `outcomeUnknown` when its answer was lost */
  execute(identity: Identity, args: Record<string, unknown>, impersonate?: { user: string; groups: string[] }, credential?: ToolCallCredential): Promise<ToolRunOutcome>;
  /** reports a call that will not run (tool.error with a code) */
  fail(identity: Identity, text: string, code: string): Promise<unknown>;
  /** the gate's check at execution (issue 22): the cluster is still the one the original was approved on (clusterCheckOf) */
  checkCluster: ClusterCheck;
}

/** Why the call must not run on its cluster now, or undefined when it may. */
export type ClusterCheck = (record: ApprovalRecord, exactArgs: Record<string, unknown>, writes?: Promise<WritesAtExecution>) => Promise<{ code: string; text: string } | undefined>;

/**
 * The cluster check an automatic revert runs, twice: before anything reaches the cluster (its preview may carry a
 * recorded Secret manifest, which must not be sent to an API server the change was never approved for) and right
 * before it executes. It is the gate's own check (clusters/cluster-gate.ts checkAtExecution): same cluster name and
 * API server as on the original's approval, not read-only since, and still inside the requester's and the approver's
 * scope. Without the cluster gate a revert bound to a cluster fails closed: where it would run cannot be confirmed.
 */
export function clusterCheckOf(gate: Pick<ClusterGate, 'checkAtExecution'> | undefined, run: { scope?: MemberScope; approverId?: string }): ClusterCheck {
  return async (record, exactArgs, writes) => {
    // the gate's check fails closed itself (a check that throws is a refusal)
    if (gate) return gate.checkAtExecution(record, exactArgs, run, writes);
    if (!record.cluster) return undefined;
    return { code: 'CLUSTER_CHANGED', text: `Not executed: the engine cannot read its clusters here, so it cannot confirm that cluster ${record.cluster.name} still points at ${record.cluster.server} as approved.\nNothing was changed.` };
  };
}

function shownArgs(inspector: ToolCallInspector, inverse: InverseCall): Record<string, unknown> {
  try {
    return inspector.displayArgs(inverse.tool, inverse.args);
  } catch {
    return {}; // fail closed: show nothing rather than something unredacted
  }
}

function isDestructive(inspector: ToolCallInspector, inverse: InverseCall, risks: RiskFlag[]): boolean {
  try {
    return inspector.destructive(inverse.tool, inverse.args, risks);
  } catch {
    return true;
  }
}

/** The revert as it stands when it falls due: where it may run, its fresh preview, its risks, and why it must wait. */
export interface PreparedRevert {
  /** the cluster it was approved on is not the one it would reach (issue 22): nothing was previewed */
  refusedBefore?: { code: string; text: string } | undefined;
  diff?: string | undefined;
  diffHash?: string | undefined;
  risks: RiskFlag[];
  destructive: boolean;
  /** it must not run on its own (issue 31): a second person is needed, or the object changed since the card */
  withheld?: { code: string; text: string } | undefined;
  /** what the fresh preview says the inverse writes (a Helm rollback's objects), judged right before it runs */
  objects?: WrittenObject[] | undefined;
  /** issue 73: what the executor computes the revert's grant from (a Helm rollback's rendered manifest, from the fresh preview) */
  grantRequest?: ApprovalCredentialRequest | undefined;
}

type RevertInput = { original: ApprovalRecord; inverse: InverseCall; callId: string };

/**
 * Checks the cluster, previews the inverse against the live state and assesses it, before the verdict is stored: a
 * revert that will not run on its own is then never announced (`auto_revert_call_id`, audited `approval.auto_reverted`).
 */
export async function prepareRevert(deps: AutoRevertDeps, at: Pick<RevertSurroundings, 'checkCluster' | 'signal'>, input: RevertInput): Promise<PreparedRevert> {
  const { original, inverse, callId } = input;
  // Issue 22: the revert is bound to the original's cluster; a context repointed (or made read-only) since the
  // approval stops it before its preview reaches any API server.
  // (a Helm inverse's objects are not known before its preview: they are judged at the check right before it runs)
  const refusedBefore = await at.checkCluster({ ...original, callId, tool: inverse.tool }, inverse.args, Promise.resolve({ matched: false }));
  let diff: string | undefined;
  let diffHash: string | undefined;
  let previewRisks: RiskFlag[] = [];
  let objects: WrittenObject[] | undefined;
  let grantRequest: ApprovalCredentialRequest | undefined;
  if (!refusedBefore) {
    try {
      const preview = await deps.tools.preview({ name: inverse.tool, args: inverse.args, ...(at.signal ? { signal: at.signal } : {}) });
      if (preview && !preview.isError) {
        diff = preview.text;
        diffHash = previewHash(preview.text, preview.structured);
        ({ risks: previewRisks, objects } = previewFacts(preview.structured));
        grantRequest = grantRequestOf(inverse.args, preview);
      }
    } catch {
      // no fresh preview: a card that showed a diff then withholds the revert (inverseDiffChanged fails closed)
    }
  }
  const risks = inverseRisks(deps.inspector, inverse, previewRisks);
  const destructive = isDestructive(deps.inspector, inverse, risks);
  // Issue 31: not in the approver's name when the inverse needs a second person or is no longer the one shown.
  const refusal = refusedBefore ? undefined : withheld(deps, { original, inverse, risks, destructive, diff });
  return { refusedBefore, diff, diffHash, risks, destructive, withheld: refusal, objects, ...(grantRequest ? { grantRequest } : {}) };
}

export async function revertAutomatically(deps: AutoRevertDeps, at: RevertSurroundings, input: RevertInput, prepared?: PreparedRevert): Promise<string> {
  const { original, inverse, callId } = input;
  const shown = shownArgs(deps.inspector, inverse);
  const identity: Identity = { call_id: callId, tool: inverse.tool, title: inverse.summary, args: shown };
  const { refusedBefore, diff, diffHash, risks, destructive, withheld, objects, grantRequest } = prepared ?? (await prepareRevert(deps, at, input));
  // Issue 76: the emergency stop ends automatic reverts too: recorded and refused like a withheld one
  const stopped = withheld ? undefined : await deps.emergencyStop?.state();
  const refusal = withheld ?? (stopped ? { code: emergencyStopCode, text: `${stoppedText(stopped, 'Not run')} Undo on ${original.callId} stays available to a person once it is lifted.` } : undefined);
  const reason = `Automatic revert: the verification of ${original.callId} ended regressed and it was approved with automatic revert.`;
  await deps.approvals.request({
    conversationId: at.conversationId,
    callId,
    runId: at.runId,
    tool: inverse.tool,
    args: shown,
    // bound to the original's cluster (name and API server) like any approved call (issue 22): checked again before it runs
    argsHash: hashToolCall(inverse.tool, inverse.args, original.cluster),
    exactArgsSealed: deps.secretBox.seal(canonicalJson(inverse.args), sealContext(at.conversationId, callId)),
    ...(diff !== undefined && diffHash !== undefined ? { diff, diffHash } : {}),
    resolution: [],
    // what the approval row and its audit show: the inverse can carry risks of its own (a restored Secret, scale to 0)
    risks,
    destructive,
    policyReason: `Restores the before-state of ${original.callId}: ${inverse.summary}`,
    ...(original.requestedBy ? { requestedBy: original.requestedBy } : {}),
    undoOf: original.callId,
    ...(original.cluster ? { cluster: original.cluster, ...(original.namespace ? { namespace: original.namespace } : {}), ...(original.policy ? { policy: original.policy } : {}) } : {}),
  });
  if (refusal) {
    const denied = await deps.approvals.decide({ conversationId: at.conversationId, callId, approve: false, decidedBy: 'system', reason: refusal.text.slice(0, 500), automatic: true, decisionRunId: at.runId });
    if (!denied) return `Automatic revert ${callId} was not run: it was already decided.`;
    await at.emit('tools.pending', { tools: [{ ...identity, requires_approval: true, destructive, timestamp: Date.now() }] });
    await at.fail(identity, refusal.text, refusal.code);
    return `Automatic revert (${inverse.summary}): ${refusal.text}`;
  }
  const decidedBy = original.decidedBy ?? original.requestedBy ?? 'system';
  const decided = await deps.approvals.decide({ conversationId: at.conversationId, callId, approve: true, decidedBy, reason, automatic: true, decisionRunId: at.runId });
  if (!decided) return `Automatic revert ${callId} was not run: it was already decided.`;
  await at.emit('tools.pending', { tools: [{ ...identity, requires_approval: true, destructive: decided.destructive, timestamp: Date.now() }] });
  // Issue 34: on a cluster that enforces approvals the revert has its own SkyfloApproval (`r-…`), bound to the
  // original's, which records that a human approved the change with automatic revert.
  const revertApprovalObject = enforcementFor(deps, decided)?.nameOf(at.conversationId, callId, 'revert');
  await at.emit('tool.approved', { ...identity, decided_by: decidedBy, ...(at.approverEmail ? { decided_by_email: at.approverEmail } : {}), decided_at: (decided.decidedAt ?? new Date()).getTime(), reason, automatic: true, ...(revertApprovalObject ? { approval_object: revertApprovalObject } : {}) });
  const claimAudit = executionStartedRecord({ conversationId: at.conversationId, callId, runId: at.runId, tool: inverse.tool, decidedBy, startedAt: new Date(), ...(revertApprovalObject ? { approvalObject: revertApprovalObject } : {}) });
  if (!(await deps.approvals.claimExecution({ conversationId: at.conversationId, callId, runId: at.runId, audit: claimAudit }))) return `Automatic revert ${callId} was not run: another run claimed it.`;
  if (!at.actingAs.ok) {
    const text = 'Not executed: EXECUTE_AS_APPROVER is on, but the engine does not know the approver here, so the automatic revert cannot run as them. Use Undo.';
    await deps.approvals.markExecuted({ conversationId: at.conversationId, callId, ok: false, resultSummary: text });
    await at.fail(identity, text, 'NOT_EXECUTED');
    return `Automatic revert (${inverse.summary}): ${text}`;
  }
  // Checked again right before it runs, as the gate does: the cluster may have changed while it was recorded.
  // Issue 31: a Helm inverse (a rollback) is judged on the objects its preview rendered; none (no preview): a scope
  // limited to namespaces refuses it.
  const refused = refusedBefore ?? (await at.checkCluster(decided, inverse.args, Promise.resolve({ matched: true, ...(objects ? { objects } : {}) })));
  if (refused) {
    const text = `${refused.text}\nThe automatic revert of ${original.callId} did not run; Undo on it stays available to a person.`;
    await deps.approvals.markExecuted({ conversationId: at.conversationId, callId, ok: false, resultSummary: text.slice(0, 500) });
    await at.fail(identity, text, refused.code);
    return `Automatic revert (${inverse.summary}): ${text}`;
  }
  // Issue 34: an automatic revert is an approval too: on a cluster that enforces approvals it runs with its own
  // SkyfloApproval's credential, minted now and released after; without one it does not run (fail closed).
  const enforced = enforcementFor(deps, decided);
  const revertOf = { approval: enforced?.nameOf(at.conversationId, original.callId) ?? '', callId: original.callId };
  const grant = enforced ? await enforcedGrant(enforced, decided, grantRequest ?? grantRequestOf(inverse.args), { decided_by: decidedBy, decided_at: (decided.decidedAt ?? new Date()).getTime() }, revertOf) : undefined;
  if (grant && !grant.ok) {
    await deps.approvals.markExecuted({ conversationId: at.conversationId, callId, ok: false, resultSummary: grant.text.slice(0, 500) });
    await at.fail(identity, grant.text, 'NOT_EXECUTED');
    return `Automatic revert (${inverse.summary}): ${grant.text}`;
  }
  let outcome;
  try {
    outcome = await at.execute(identity, inverse.args, grant ? undefined : at.actingAs.impersonate, grant?.credential);
  } finally {
    await grant?.release();
  }
  await deps.approvals.markExecuted({ conversationId: at.conversationId, callId, ok: !outcome.isError, ...(outcome.outcomeUnknown ? { unknown: true } : {}), runId: at.runId, resultSummary: outcome.text.slice(0, 500) });
  if (outcome.isError) return `Automatic revert (${inverse.summary}, call ${callId}) failed: ${outcome.text}`;
  const { result } = await runVerification(
    deps,
    { conversationId: at.conversationId, callId, tool: inverse.tool, args: inverse.args, undoOf: original.callId },
    { emit: (payload) => at.emit('tool.verification', payload), ...(at.signal ? { signal: at.signal } : {}) },
  );
  return `Automatic revert ran (${inverse.summary}, call ${callId}). ${verificationLine(result)}`;
}

/**
 * The automatic revert inside the run that executed the change: the gate's execution, the run's approver. `prepare`
 * runs before the verdict is stored (it decides whether the revert is announced), `run` once it is.
 */
export function autoRevertInRun(deps: ToolCallDeps, run: ToolCallRun, gate: GateTools, input: RevertInput): { prepare(): Promise<PreparedRevert>; run(prepared?: PreparedRevert): Promise<string> } {
  const decidedBy = input.original.decidedBy ?? run.requester.id;
  const email = run.approver && run.approver.id === decidedBy ? run.approver.email : undefined;
  // the agent service decides with APPROVAL_POLICY=self and no four-eyes when it is given no policy: so does the revert
  const revertDeps: AutoRevertDeps = { ...deps, approvalPolicy: deps.approvalPolicy ?? { policy: 'self', fourEyes: false } };
  const at: RevertSurroundings = {
    conversationId: run.conversationId,
    runId: run.runId,
    emit: run.emit,
    signal: run.signal,
    ...(email ? { approverEmail: email } : {}),
    actingAs: approverImpersonation(deps, run, decidedBy),
    execute: (identity, args, impersonate, credential) => gate.execute({ callId: identity.call_id, tool: identity.tool, args }, identity, args, { ...(impersonate ? { impersonate } : {}), ...(credential ? { credential } : {}), change: true }),
    fail: (identity, text, code) => gate.fail(identity, text, code),
    checkCluster: clusterCheckOf(gate.clusterGate, { ...(run.scope ? { scope: run.scope } : {}), approverId: decidedBy }),
  };
  const job = { ...input, original: { ...input.original, decidedBy } };
  return { prepare: () => prepareRevert(revertDeps, at, job), run: (prepared) => revertAutomatically(revertDeps, at, job, prepared) };
}

/**
 * Turns a run's events into audit records: each tool call proposed (tool, arguments as shown, arguments hash, diff,
 * policy reason), and each execution (start, end, digest of the result, error). Decisions are recorded where they
 * are made (agent service), chat requests where they arrive. Events reach this after the run scrubbed them, and
 * carry the display form of the arguments (Secret values replaced by key, length and digest), so no secret does.
 */
import { createHash } from 'node:crypto';
import type { AgentEvent } from '@skyflo/protocol';
import type { AuditLog, NewAuditEvent } from '../../platform/ports/index.ts';
import { canonicalJson } from './canonical-json.ts';

export interface RunEventAuditorDeps {
  audit: AuditLog;
  /** the conversation's owner: who asked for the calls its runs propose */
  ownerOf(conversationId: string): Promise<string | undefined>;
  logger?: { error(object: unknown, message?: string): void };
}

export interface RunEventAuditor {
  /** synchronous and never throws (called on the run's hot path); records are written in event order */
  observe(event: AgentEvent): void;
  /** resolves once every record observed so far is written */
  flush(): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The audit record of an approved call's execution start. Written by the approval store with the execution claim, in
 * the same statement (issue 32.3: a call that ran always has its record), so before the last checks at execution
 * (cluster, target); when those refuse, the call's tool.failed record says `executed: false`.
 */
export function executionStartedRecord(input: { conversationId: string; callId: string; runId: string; tool: string; decidedBy?: string | undefined; startedAt: Date; /** issue 34: the SkyfloApproval the cluster enforces it with */ approvalObject?: string }): NewAuditEvent {
  return {
    ...(input.decidedBy ? { actorId: input.decidedBy } : {}),
    action: 'tool.execution_started',
    tool: input.tool,
    subjectType: 'tool_call',
    subjectId: input.callId,
    conversationId: input.conversationId,
    details: { run_id: input.runId, call_id: input.callId, tool: input.tool, started_at: input.startedAt.toISOString(), claimed: true, ...(input.approvalObject ? { approval_object: input.approvalObject } : {}) },
  };
}

/** Bounded, so a long-lived engine does not keep every call it ever saw. */
const MAX_TRACKED_CALLS = 10_000;

export function createRunEventAuditor(deps: RunEventAuditorDeps): RunEventAuditor {
  let queue: Promise<void> = Promise.resolve();
  const owners = new Map<string, string | undefined>();
  /** call id → when it started executing and who approved it */
  const calls = new Map<string, { startedAt?: number; decidedBy?: string; approved?: boolean }>();
  /** call id → who approved it, kept past its result (its verification comes after) */
  const approvers = new Map<string, string>();

  const track = (callId: string, patch: { startedAt?: number; decidedBy?: string; approved?: boolean }) => {
    if (!calls.has(callId) && calls.size >= MAX_TRACKED_CALLS) calls.delete(calls.keys().next().value!);
    calls.set(callId, { ...calls.get(callId), ...patch });
  };

  async function ownerOf(conversationId: string): Promise<string | undefined> {
    if (!owners.has(conversationId)) {
      if (owners.size >= MAX_TRACKED_CALLS) owners.delete(owners.keys().next().value!);
      owners.set(conversationId, await deps.ownerOf(conversationId).catch(() => undefined));
    }
    return owners.get(conversationId);
  }

  /** The records one event produces; `actor` says whose action it was. */
  function recordsOf(event: AgentEvent): Array<{ actor: 'owner' | string | undefined; record: Omit<NewAuditEvent, 'actorId'> }> {
    const conversationId = event.type === 'ready' || event.type === 'heartbeat' ? undefined : event.conversation_id;
    const base = (tool: string, callId: string) => ({ tool, subjectType: 'tool_call', subjectId: callId, ...(conversationId ? { conversationId } : {}) });
    const runId = 'run_id' in event ? event.run_id : undefined;
    switch (event.type) {
      case 'tools.pending':
        // Mutating calls are recorded at tool.awaiting_approval, with what the approver is shown.
        return event.tools
          .filter((tool) => !tool.requires_approval)
          .map((tool) => ({
            actor: 'owner',
            record: {
              ...base(tool.tool, tool.call_id),
              action: 'tool.proposed',
              details: { run_id: runId, call_id: tool.call_id, tool: tool.tool, title: tool.title, args: tool.args, args_hash: sha256(canonicalJson({ tool: tool.tool, args: tool.args })), requires_approval: false },
            },
          }));
      case 'tool.awaiting_approval':
        return [
          {
            actor: event.requested_by?.id ?? 'owner',
            record: {
              ...base(event.tool, event.call_id),
              action: 'tool.proposed',
              details: {
                run_id: runId,
                call_id: event.call_id,
                tool: event.tool,
                title: event.title,
                args: event.args,
                args_hash: event.args_hash,
                diff: event.diff,
                diff_hash: event.diff_hash,
                preview_error: event.preview_error,
                artifact_digest: event.artifact_digest,
                risks: event.risks,
                destructive: event.destructive,
                policy_reason: event.policy_reason,
                // the cluster (name, API server) and namespace the call changes (issue 22)
                cluster: event.cluster,
                namespace: event.namespace,
                namespaces: event.namespaces,
                cluster_scoped: event.cluster_scoped,
                requested_by: event.requested_by?.id,
                requires_approval: true,
              },
            },
          },
        ];
      case 'tool.approved':
        track(event.call_id, { approved: true, ...(event.decided_by ? { decidedBy: event.decided_by } : {}) });
        if (event.decided_by) {
          if (approvers.size >= MAX_TRACKED_CALLS) approvers.delete(approvers.keys().next().value!);
          approvers.set(event.call_id, event.decided_by);
        }
        return [];
      case 'tool.executing':
        track(event.call_id, { startedAt: event.timestamp ?? Date.now() });
        // An approved call's start was recorded with its execution claim (executionStartedRecord); only calls that
        // needed no approval are recorded here.
        if (calls.get(event.call_id)?.approved) return [];
        return [{ actor: calls.get(event.call_id)?.decidedBy ?? 'owner', record: { ...base(event.tool, event.call_id), action: 'tool.execution_started', details: { run_id: runId, call_id: event.call_id, tool: event.tool, started_at: new Date(event.timestamp ?? Date.now()).toISOString() } } }];
      case 'tool.result':
      case 'tool.error': {
        const tracked = calls.get(event.call_id);
        calls.delete(event.call_id);
        const endedAt = event.timestamp ?? Date.now();
        const timing = tracked?.startedAt !== undefined ? { started_at: new Date(tracked.startedAt).toISOString(), duration_ms: endedAt - tracked.startedAt } : {};
        const actor = tracked?.decidedBy ?? 'owner';
        if (event.type === 'tool.result') {
          const text = event.result.map((part) => part.text).join('');
          return [{ actor, record: { ...base(event.tool, event.call_id), action: 'tool.executed', details: { run_id: runId, call_id: event.call_id, tool: event.tool, ...timing, ended_at: new Date(endedAt).toISOString(), result_digest: `sha256:${sha256(text)}`, result_chars: text.length } } }];
        }
        return [
          {
            actor,
            record: {
              ...base(event.tool, event.call_id),
              // issue 75: a change sent whose answer was lost did not fail: nobody knows whether it was applied
              action: event.code === 'UNKNOWN_OUTCOME' ? 'tool.outcome_unknown' : 'tool.failed',
              details: { run_id: runId, call_id: event.call_id, tool: event.tool, ...timing, ended_at: new Date(endedAt).toISOString(), error: event.error, code: event.code, executed: tracked?.startedAt !== undefined },
            },
          },
        ];
      }
      case 'tool.verification': {
        // Issue 21: the verdict joins the call's audit record; `verifying` is only progress.
        if (event.outcome === 'verifying') return [];
        const approver = approvers.get(event.call_id) ?? 'owner';
        const details = {
          run_id: runId,
          call_id: event.call_id,
          tool: event.tool,
          outcome: event.outcome,
          summary: event.summary,
          evidence: event.evidence,
          ...(event.controller ? { controller: event.controller } : {}),
          ...(event.undo_of ? { undo_of: event.undo_of } : {}),
          ...(event.auto_revert_call_id ? { auto_revert_call_id: event.auto_revert_call_id } : {}),
          ...(event.started_at !== undefined ? { started_at: new Date(event.started_at).toISOString() } : {}),
          ...(event.finished_at !== undefined ? { finished_at: new Date(event.finished_at).toISOString() } : {}),
        };
        const records: ReturnType<typeof recordsOf> = [{ actor: approver, record: { ...base(event.tool, event.call_id), action: 'tool.verified', details } }];
        if (event.auto_revert_call_id) {
          // the automatic revert is the approver's decision, made when they approved with auto_revert
          records.push({
            actor: approver,
            record: { ...base(event.tool, event.auto_revert_call_id), action: 'approval.auto_reverted', details: { run_id: runId, call_id: event.auto_revert_call_id, undo_of: event.call_id, automatic: true, reason: `verification of ${event.call_id} ended regressed` } },
          });
        }
        return records;
      }
      default:
        return [];
    }
  }

  return {
    observe(event) {
      let records: ReturnType<typeof recordsOf>;
      try {
        records = recordsOf(event);
      } catch (error) {
        deps.logger?.error({ err: error }, 'could not build the audit record of a run event');
        return;
      }
      if (records.length === 0) return;
      const conversationId = 'conversation_id' in event ? event.conversation_id : undefined;
      queue = queue
        .then(async () => {
          for (const { actor, record } of records) {
            const actorId = actor === 'owner' ? (conversationId ? await ownerOf(conversationId) : undefined) : actor;
            await deps.audit.record({ ...record, ...(actorId ? { actorId } : {}) });
          }
        })
        .catch((error: unknown) => deps.logger?.error({ err: error, type: event.type }, 'could not record a run event in the audit trail'));
    },
    flush: () => queue,
  };
}

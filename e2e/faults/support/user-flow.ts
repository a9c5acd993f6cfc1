/**
 * One user of the fault suite's workload, following the protocol as the Command Center does: ask on one replica,
 * approve on another, and when a stream breaks, re-attach with Last-Event-ID on the next replica that answers.
 * It records what it saw (frames in arrival order, statuses, errors); the suite's checks compare that with what the
 * cluster, the audit trail and every replica say afterwards.
 */
import { iterateSse, type SseFrame } from '@skyflo/engine/testing';
import type { Replica } from './replicas.ts';

export interface FlowUser {
  email: string;
  token: string;
}

export interface FlowPlan {
  user: FlowUser;
  deployment: string;
  replicas: number;
  /** the replica asked first, the one that approves; re-attachment goes round all of them */
  askOn: number;
  approveOn: number;
  /** the answer the model streams once the call ran (the scripted model's text) */
  expectedAnswer: string;
}

/**
 * Told of every frame a flow receives, so a fault can be injected at a chosen point of a run — or a user can act on
 * it (Stop needs the run, its conversation and the user's token).
 */
export type FlowObserver = (event: { stage: 'ask' | 'approve'; frame: SseFrame; replica: string; user: FlowUser; conversationId?: string; runId?: string }) => void;

export interface FlowRecord {
  plan: FlowPlan;
  callId: string;
  conversationId?: string;
  /** every frame of the approval run, in arrival order across re-attachments */
  approvalFrames: SseFrame[];
  /** true once a POST /agent/approvals answered 2xx (or 409 because an earlier attempt of ours had decided it) */
  decided: boolean;
  /**
   * Issue 75: the decision was refused with 409 RUN_NOT_RESUMABLE (the run that proposed the call died before saving
   * its turn): what it said. The flow ends there, as a user told to ask again would.
   */
  notResumable?: string;
  /**
   * The call's dry-run preview failed (a fault took the MCP server down while it was being previewed): the approval
   * was refused with 400 PREVIEW_NOT_ACKNOWLEDGED, what it said. The flow ends there, as a user who is shown no
   * preview would end it: nobody approves a change nobody has seen (approving it needs "approve without a preview").
   */
  previewFailed?: string;
  /** the statuses the decision POSTs answered, in order (0: no answer) */
  decisionStatuses: number[];
  reattachments: number;
  errors: string[];
}

/** Gives up after this many attempts at one step (each waits a little longer): a fault lasts seconds, not minutes. */
const maxAttempts = 120;
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(100 * (attempt + 1), 1_000)));

function headers(user: FlowUser, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...extra };
}

/**
 * Reads a run's events until `completed`, re-attaching after a broken stream (a killed or frozen replica, a bus
 * outage) on the replicas in turn. Frames are appended as they arrive, so a replayed duplicate shows in `frames`.
 */
async function followRun(options: {
  first: Response | undefined;
  replicas: () => Replica[];
  start: number;
  user: FlowUser;
  frames: SseFrame[];
  record: FlowRecord;
  conversationId: () => string | undefined;
  stage: 'ask' | 'approve';
  observe?: FlowObserver;
}): Promise<void> {
  let response = options.first;
  let runId: string | undefined;
  let lastId: number | undefined;
  let replicaName = options.replicas()[options.start % options.replicas().length]!.name;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (response?.ok) {
      try {
        for await (const frame of iterateSse(response)) {
          options.frames.push(frame);
          if (frame.event === 'ready' && typeof frame.data['run_id'] === 'string') runId = frame.data['run_id'];
          options.observe?.({ stage: options.stage, frame, replica: replicaName, user: options.user, ...(options.conversationId() ? { conversationId: options.conversationId() } : {}), ...(runId ? { runId } : {}) });
          if (frame.id !== undefined) lastId = frame.id;
          if (frame.event === 'completed') return;
        }
      } catch (error) {
        options.record.errors.push(`stream broke: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else if (response) {
      options.record.errors.push(`re-attach answered ${response.status}: ${(await response.text().catch(() => '')).slice(0, 200)}`);
      if (response.status === 404) return;
    }
    if (!runId) return;
    await pause(attempt);
    const replicas = options.replicas();
    const replica = replicas[(options.start + attempt + 1) % replicas.length]!;
    replicaName = replica.name;
    options.record.reattachments += 1;
    response = await fetch(`${replica.url}/agent/runs/${runId}/events?conversation_id=${options.conversationId() ?? ''}`, {
      headers: headers(options.user, lastId === undefined ? {} : { 'last-event-id': String(lastId) }),
      signal: AbortSignal.timeout(60_000),
    }).catch(() => undefined);
  }
  options.record.errors.push(`gave up following run ${runId} after ${maxAttempts} attempts`);
}

/** Asks for the change, then approves it on another replica; never throws (what went wrong is in `errors`). */
export async function runUserFlow(plan: FlowPlan, replicas: () => Replica[], callId: string, observe?: FlowObserver): Promise<FlowRecord> {
  const record: FlowRecord = { plan, callId, approvalFrames: [], decided: false, decisionStatuses: [], reattachments: 0, errors: [] };
  const askFrames: SseFrame[] = [];
  try {
    // 1. ask: retried on another replica while one refuses or is gone, and asked again (a new conversation) when a run
    //    ended before its approval card (a database outage ends runs with STORAGE_UNAVAILABLE)
    let awaiting: SseFrame | undefined;
    let conversationsStarted = 0;
    for (let attempt = 0; attempt < maxAttempts && !awaiting && conversationsStarted < 5; attempt++) {
      const replica = replicas()[(plan.askOn + attempt) % replicas().length]!;
      const response = await fetch(`${replica.url}/agent/chat`, {
        method: 'POST',
        headers: headers(plan.user),
        body: JSON.stringify({ messages: [{ role: 'user', content: `scale ${plan.deployment} to ${plan.replicas}` }] }),
        signal: AbortSignal.timeout(60_000),
      }).catch((error: unknown) => (record.errors.push(`ask: ${String(error)}`), undefined));
      if (!response?.ok) {
        if (response) record.errors.push(`ask answered ${response.status}`);
        await pause(attempt);
        continue;
      }
      askFrames.length = 0;
      conversationsStarted += 1;
      await followRun({ first: response, replicas, start: plan.askOn + attempt, user: plan.user, frames: askFrames, record, conversationId: () => String(askFrames[0]?.data['conversation_id'] ?? ''), stage: 'ask', observe });
      awaiting = askFrames.find((frame) => frame.event === 'tool.awaiting_approval' && frame.data['call_id'] === callId);
      if (awaiting) record.conversationId = String(askFrames.find((frame) => frame.event === 'ready')?.data['conversation_id'] ?? '') || undefined;
      else record.errors.push(`ask ended without the card: ${askFrames.map((frame) => frame.event).join(',')}`);
    }
    if (!awaiting || !record.conversationId) {
      record.errors.push(`no approval card for ${callId} (saw ${askFrames.map((frame) => frame.event).join(',')})`);
      return record;
    }
    // 2. approve: a refused connection or a 503 is retried; 409 after an attempt of ours that got no answer means
    //    that attempt decided it, and the run is followed from the conversation instead
    for (let attempt = 0; attempt < maxAttempts && !record.decided; attempt++) {
      const replica = replicas()[(plan.approveOn + attempt) % replicas().length]!;
      const response = await fetch(`${replica.url}/agent/approvals/${callId}`, {
        method: 'POST',
        headers: headers(plan.user),
        body: JSON.stringify({ approve: true, conversation_id: record.conversationId, args_hash: awaiting.data['args_hash'] }),
        signal: AbortSignal.timeout(60_000),
      }).catch(() => undefined);
      record.decisionStatuses.push(response?.status ?? 0);
      if (response?.ok) {
        record.decided = true;
        await followRun({ first: response, replicas, start: plan.approveOn + attempt, user: plan.user, frames: record.approvalFrames, record, conversationId: () => record.conversationId, stage: 'approve', observe });
        continue;
      }
      const detail = response ? await response.text().catch(() => '') : '';
      if (response?.status === 409 && detail.includes('"code":"RUN_NOT_RESUMABLE"')) {
        record.notResumable = detail;
        break;
      }
      if (response?.status === 400 && detail.includes('"code":"PREVIEW_NOT_ACKNOWLEDGED"')) {
        record.previewFailed = detail;
        break;
      }
      // "already decided" after an attempt of ours that got no answer: that attempt decided it (a 409 for a run still
      // holding the conversation, RUN_IN_PROGRESS, is not a decision: asked again once the run lets go)
      if (response?.status === 409 && /was already \w+; nothing was executed again/.test(detail) && record.decisionStatuses.slice(0, -1).some((status) => status === 0 || status >= 500)) {
        record.decided = true;
      } else {
        if (response) record.errors.push(`approve answered ${response.status}: ${detail.slice(0, 200)}`);
        await pause(attempt);
      }
    }
  } catch (error) {
    record.errors.push(`flow failed: ${error instanceof Error ? error.stack : String(error)}`);
  }
  return record;
}

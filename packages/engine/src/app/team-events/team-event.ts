/**
 * What the notifiers (the per-user stream, webhooks, Slack) are told about: one shape per event, built from a run's
 * (already scrubbed) events and the stored approval record. Arguments are the display form shown on approval cards
 * (Secret values replaced by key, length and digest), so nothing here carries a secret.
 */
import type { RiskFlag, VerificationEvidence, VerificationOutcome } from '@skyflo/protocol';
import { redactText } from '@skyflo/safety';

export type TeamEventType = 'approval.requested' | 'approval.decided' | 'run.completed' | 'tool.verification' | 'alert.investigated' | 'schedule.completed' | 'freeze.break_glass';

export interface TeamEvent {
  type: TeamEventType;
  /** epoch ms */
  at: number;
  conversation_id: string;
  conversation_title?: string;
  /** the Command Center page of the conversation */
  conversation_url: string;
  run_id?: string;
  call_id?: string;
  tool?: string;
  args?: Record<string, unknown>;
  args_hash?: string;
  diff_hash?: string;
  diff?: string;
  risks?: RiskFlag[];
  destructive?: boolean;
  policy_reason?: string;
  requested_by?: { id: string; email?: string };
  /**
   * approval.decided: the decision — or `cancelled`, a call closed while it awaited one (its run stopped, its MCP client
   * withdrew it; `reason` says which); tool.verification: the final verdict (never `verifying`)
   */
  outcome?: DecisionOutcome | Exclude<VerificationOutcome, 'verifying'>;
  decided_by?: { id: string; email?: string };
  reason?: string;
  /** run.completed */
  status?: string;
  awaiting_approval?: boolean;
  /** tool.verification: one line, and what the engine read to reach it (redacted like every tool output) */
  summary?: string;
  evidence?: VerificationEvidence[];
  /** tool.verification, outcome reverted_by_controller: who set the fields back */
  controller?: string;
  /** tool.verification of an undo (or automatic revert) of this call */
  undo_of?: string;
  /** tool.verification, regressed with automatic revert chosen: the inverse call the engine now runs */
  auto_revert_call_id?: string;
  /** alert.investigated: the agent's conclusion; schedule.completed: what is new, resolved and persists (issue 81) */
  conclusion?: string;
  /** schedule.completed: the schedule's name */
  schedule?: string;
  /** freeze.break_glass (issue 76 item 6): the change freeze an admin broke for this call (`reason`: why, `decided_by`: who) */
  freeze?: string;
}

/** An outgoing channel team events go to (a webhook, Slack). Must not throw: failures are its own to record. */
export interface TeamEventSink {
  name: string;
  deliver(event: TeamEvent): Promise<void>;
}

/** The free text of a team event: model-written (an investigation's conclusion, a title) or built from it. */
const FREE_TEXT_FIELDS = ['conversation_title', 'summary', 'reason', 'conclusion', 'policy_reason'] as const;

/**
 * Defence in depth before an event leaves the engine (webhooks, Slack): its free text is redacted again, though the
 * answer, the title and tool outputs it comes from already were, so a path that forgets cannot send a secret out.
 */
export function redactTeamEventText(event: TeamEvent): TeamEvent {
  const redacted: TeamEvent = { ...event };
  for (const field of FREE_TEXT_FIELDS) {
    const value = redacted[field];
    if (typeof value === 'string') redacted[field] = redactText(value);
  }
  return redacted;
}

/** How an awaited call ended, as approval.decided says it. */
export type DecisionOutcome = 'approved' | 'denied' | 'cancelled';

/** The line a decided card ends with (Slack, Teams): who decided, or why nobody did. */
export function decidedLine(outcome: DecisionOutcome, by: string, reason?: string): string {
  if (outcome === 'cancelled') return `Closed without a decision${reason ? `: ${reason.replace(/^Not executed:\s*/, '')}` : ''}`;
  return `${outcome === 'approved' ? 'Approved' : 'Denied'} by ${by}`;
}

export const isDecisionOutcome = (outcome: TeamEvent['outcome']): outcome is DecisionOutcome => outcome === 'approved' || outcome === 'denied' || outcome === 'cancelled';

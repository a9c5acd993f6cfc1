/**
 * What the notifiers (the per-user stream, webhooks, Slack) are told about: one shape per event, built from a run's
 * (already scrubbed) events and the stored approval record. Arguments are the display form shown on approval cards
 * (Secret values replaced by key, length and digest), so nothing here carries a secret.
 */
import type { RiskFlag } from '@skyflo/protocol';

export type TeamEventType = 'approval.requested' | 'approval.decided' | 'run.completed' | 'alert.investigated';

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
  /** approval.decided */
  outcome?: 'approved' | 'denied';
  decided_by?: { id: string; email?: string };
  reason?: string;
  /** run.completed */
  status?: string;
  awaiting_approval?: boolean;
  /** alert.investigated: the agent's conclusion */
  conclusion?: string;
}

/** A place team events go (the per-user stream, webhooks, Slack). Must not throw: failures are its own to record. */
export interface NotificationSink {
  name: string;
  deliver(event: TeamEvent): Promise<void>;
}

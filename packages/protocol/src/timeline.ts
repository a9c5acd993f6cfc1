/**
 * The conversation timeline as the engine stores and returns it (GET /conversations/:id `messages`, the reference's
 * `messages_json`): what the engine folds run events into, and what a client renders after a reload.
 */
import type { RiskFlag } from './events.ts';
import type { PastIncidentRef, RunbookRef } from './runbooks.ts';
import type { UndoProposal, VerificationEvidence, VerificationOutcome } from './verification.ts';

/** The engine's verification of an executed change (tool.verification), as the card shows it (issue 21). */
export interface ToolVerification {
  outcome: VerificationOutcome;
  summary: string;
  evidence: VerificationEvidence[];
  controller?: string;
  started_at?: number;
  finished_at?: number;
  /** the approver chose automatic revert and the outcome was `regressed`: this call id is the revert */
  auto_revert_call_id?: string;
}

/**
 * The alert an investigation was opened for (issue 37 item 9), as its first entry shows it: what fired, with its
 * labels, annotations and links (runbook_url, the rule's generatorURL). Redacted like the rest of the alert.
 */
export interface AlertCard {
  title: string;
  status: 'firing' | 'resolved';
  source: 'alertmanager' | 'generic' | 'pagerduty';
  receiver: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links: Array<{ label: string; url: string }>;
  /** how many alerts the group holds (Alertmanager groups several) */
  count: number;
  /** how many of them were left out of the card and of what the investigation was told (issue 78: only the first 100) */
  truncated_alerts?: number;
  /**
   * Lines added to the card after it was shown (issue 78 item 8): a repeat notification with the same alerts firing
   * ("Fired again: the same 3 alerts"), or what changed when a new set is investigated.
   */
  notes?: Array<{ at: number; text: string }>;
}

/** A timeline entry (`messages_json` in the reference spec §4). */
export type TimelineEntry =
  | { id: string; type: 'user'; content: string; timestamp: number }
  /** an alert investigation's alert, shown instead of the instruction the model is given (`content`: its description) */
  | { id: string; type: 'alert'; content: string; timestamp: number; alert: AlertCard }
  | {
      id: string;
      type: 'assistant';
      content: string;
      timestamp: number;
      segments: TimelineSegment[];
      token_usage?: Record<string, unknown>;
      /** a stop (POST /agent/stop) interrupted this answer: what it holds is where it stopped */
      stopped?: boolean;
      /**
       * the failure that ended this answer (workflow.error: the model call failed after its retries, the iteration
       * limit), kept apart from the answer's text so clients show it as an error (with Retry), live and reloaded alike
       */
      error?: string;
      /** workflow.error's machine-readable code, when it had one */
      error_code?: string;
      /** the team runbooks the model was given for this answer (runbook.used) */
      runbooks?: RunbookRef[];
      /** the past incidents the model was given for this answer (memory.used, issue 81) */
      seen_before?: PastIncidentRef[];
    };

export type TimelineSegment =
  /** `streaming`: a live client is still receiving its tokens (never stored: the engine folds completed text only) */
  | { kind: 'text'; id: string; text: string; timestamp?: number; streaming?: boolean }
  /** `startedAt`: when a live client saw its first token (`isComplete` false until `thinking.complete`) */
  | { kind: 'thinking'; id: string; text: string; isComplete: boolean; durationMs?: number; startedAt?: number; timestamp?: number }
  | { kind: 'tool'; id: string; toolExecution: ToolExecutionRecord };

export type ToolStatus = 'pending' | 'awaiting_approval' | 'approved' | 'denied' | 'executing' | 'completed' | 'error';

export interface ToolExecutionRecord {
  call_id: string;
  tool: string;
  title: string;
  args: Record<string, unknown>;
  status: ToolStatus;
  requires_approval?: boolean;
  result?: Array<{ type: 'text'; text: string }>;
  /** a PromQL range result to draw (tool.result `chart`, issue 36) */
  chart?: import('./events.ts').ToolResultChart;
  error?: string;
  /** machine-readable cause of an error the engine reported (tool.error `code`, e.g. TARGET_CHANGED) */
  error_code?: string;
  diff?: string;
  /** why the gate could not produce a dry-run preview (tool.awaiting_approval `preview_error`) */
  preview_error?: string;
  /** the approval card's facts, from tool.awaiting_approval, so a reloaded page shows the same card */
  args_hash?: string;
  diff_hash?: string;
  artifact_digest?: string;
  resolution?: string[];
  risks?: RiskFlag[];
  destructive?: boolean;
  policy_reason?: string;
  requested_by?: { id: string; email?: string; name?: string | null };
  /** the cluster the approval is bound to and the namespace it targets (tool.awaiting_approval), shown on the card */
  cluster?: { name: string; server: string; label?: string };
  namespace?: string;
  /** every namespace the call writes when more than `namespace`, and whether it writes cluster-scoped objects too */
  namespaces?: string[];
  cluster_scoped?: boolean;
  decided_by?: string;
  /** the decider's email, when (epoch ms) and why, from tool.approved / tool.denied */
  decided_by_email?: string;
  decided_at?: number;
  reason?: string;
  automatic?: boolean;
  /** issue 21: the engine's verification of this change (`verifying` until its verdict) */
  verification?: ToolVerification;
  /** the change executed with a recorded before-state: POST /agent/approvals/{call_id}/undo proposes its inverse */
  undo_available?: boolean;
  /** the inverse shown on the approval card (what Undo and automatic revert run) */
  undo?: UndoProposal;
  /** this call is the undo (or automatic revert) of that call id */
  undo_of?: string;
  /** approved with automatic revert */
  auto_revert?: boolean;
  timestamp: number;
}


/**
 * The agent service's shape (create-agent-service.ts composes it from the use cases beside it): what the routes call,
 * what a started run hands back, and what the service is built from. Types only, so every use case can name them
 * without importing the service that imports it.
 */
import type { AlertCard, ApiTokenScope, ApprovalWebauthn, DeviceSignature, ExternalCallState, MemberScope } from '@skyflo/protocol';
import type { AuditLog, AuthenticatedUser, Conversation } from '../../platform/ports/index.ts';
import type { AgentStorage } from '../graph/checkpoints.ts';
import type { ApprovalPolicyName } from '../../domain/tool-calls/decide/decision-authority.ts';
import type { ExternalCallInput } from '../../domain/tool-calls/propose/propose-external-call.ts';
import type { PasskeyApprovals } from '../../domain/passkeys/passkey-approvals.ts';
import type { RunAgentDeps, RunResult } from './run-agent-types.ts';

export interface StartedRun {
  runId: string;
  conversationId: string;
  /** starts the run; call after subscribing to the run's events */
  start(): Promise<RunResult>;
}

export interface AgentService {
  /** `context`: the cluster a new conversation is pinned to (default: the current context) */
  /** `alert`: an alert investigation's run (the alert's receiver), whose calls the alert asks for (issue 37 item 9) */
  /** `alertCard`: the alert the timeline shows instead of the message (which the model still receives) */
  /** `schedule`: a scheduled check's run (issue 81): attributed "schedule: <name>" in the audit trail; read-only ones propose nothing */
  prepareChat(input: { user: AuthenticatedUser; conversationId?: string; message: string; context?: string; ip?: string; alert?: string; alertCard?: AlertCard; schedule?: { name: string; readOnly: boolean } }): Promise<StartedRun>;
  /**
   * Decides a call whose preview was shown: refused unless it is awaiting (previewed), an approval echoes the
   * args_hash it was shown (and, when sent, its diff_hash), and no earlier call of its turn still waits.
   */
  prepareDecision(input: {
    user: AuthenticatedUser;
    /** the API token the request was made with, if any: deciding needs its approvals:write scope */
    apiToken?: { name: string; scopes: readonly ApiTokenScope[] };
    conversationId: string;
    callId: string;
    approve: boolean;
    reason?: string;
    argsHash?: string;
    diffHash?: string;
    automatic?: boolean;
    autoRevert?: boolean;
    /** "approve without a preview": required to approve a call whose dry-run preview failed */
    withoutPreview?: boolean;
    /** issue 35: the approver's passkey assertion over the call's facts (required where the cluster asks for one) */
    webauthn?: ApprovalWebauthn;
    /** issue 35: a confirmed device key's signature of the call's facts (`skyflo chat`), in place of `webauthn` */
    deviceSignature?: DeviceSignature;
    /** issue 74 item 2: the channel that names who clicked without proving it (Teams): its approvals count only for the requester */
    unverifiedClicker?: string;
    /** issue 76 item 6: an admin's break-glass approval during a change freeze (with `webauthn` or `deviceSignature`) */
    breakGlass?: { reason: string };
    ip?: string;
  }): Promise<StartedRun>;
  /**
   * Issue 21: proposes the inverse of an executed call (its recorded before-state) as a new call awaiting approval in
   * the same conversation (tool-calls/undo/propose-undo.ts). 404 for an unknown or unexecuted call, 409 when no inverse was recorded.
   */
  prepareUndo(input: { user: AuthenticatedUser; conversationId: string; callId: string; ip?: string }): Promise<StartedRun & { undoCallId: string }>;
  /**
   * Issue 77 item 2: a call an MCP client outside Skyflo made, proposed through the gate in a conversation of its own
   * (tool-calls/propose/propose-external-call.ts); answers once it awaits a decision (or was refused, or was a read).
   */
  proposeExternalCall(input: ExternalCallInput): Promise<ExternalCallState>;
  /** where an external call stands; 404 unless `user` proposed it */
  externalCallState(input: { user: AuthenticatedUser; conversationId: string; callId: string }): Promise<ExternalCallState>;
  /** the proposer withdraws an external call still awaiting a decision (its MCP client cancelled the task) */
  cancelExternalCall(input: { user: AuthenticatedUser; conversationId: string; callId: string; ip?: string }): Promise<ExternalCallState>;
  stop(input: { user: AuthenticatedUser; conversationId: string; runId: string }): Promise<void>;
  /** 404 unless the run exists in the user's conversation and its events are still kept */
  assertRunEvents(input: { user: AuthenticatedUser; conversationId: string; runId: string }): Promise<void>;
  /** resolves when every run started by this service has finished (for shutdown and tests) */
  idle(): Promise<void>;
  /** stops background work (the reconciler) and waits for runs to finish */
  close(): Promise<void>;
}

export interface AgentServiceDeps extends RunAgentDeps {
  /** the stores and the graph's checkpoints (RunAgentDeps' storage, with the checkpoints the graph resumes from) */
  storage: AgentStorage;
  /** where decisions are recorded (the platform's audit log); optional for agent-only tests */
  audit?: AuditLog;
  /** who may decide calls (APPROVAL_POLICY, APPROVAL_FOUR_EYES); default: the requester decides */
  approvalPolicy?: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** a user's cluster/namespace scope (issue 22); absent: nobody is limited */
  scopeOf?: (userId: string) => Promise<MemberScope | undefined>;
  /** issue 35: which calls need the approver's passkey, and the assertion's check; absent: none does */
  passkeys?: PasskeyApprovals;
}

/** What a request needs of its conversation (agent service): not its timeline. */
export type ConversationFacts = Pick<Conversation, 'id' | 'userId' | 'title' | 'cluster'>;

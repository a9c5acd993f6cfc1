/**
 * The life of an approval request in a chat (Slack, Teams), once for every chat: the request is posted when a call
 * awaits approval (once, however often it is re-announced), remembered (posted-approvals.ts), and the message shows
 * the outcome once the call is decided, cancelled or expired, on whichever engine process it happens; a click is
 * mapped to the Skyflo user with the same e-mail and decided through the agent service's prepareDecision — the same
 * gate as the HTTP decision (visibility, APPROVAL_POLICY, four-eyes, the stored args_hash and diff_hash); every post
 * and click is in the audit trail (`<chat>.posted`, `<chat>.click_accepted`, `<chat>.click_refused`).
 *
 * What differs per chat is the port: the platform (its name, what its clicks prove) in ChatApprovalChannel, a
 * connection to the configured workspace (post, show decided) in ChatConnection, and an inbound click, already
 * verified and parsed by the chat's adapter, in ChatClick.
 */
import type { AgentService } from '../../agent/create-agent-service.ts';
import { AgentRequestError } from '../../../platform/errors/agent-request-error.ts';
import { passkeyFactsOf, type PasskeyApprovals } from '../../../domain/passkeys/passkey-approvals.ts';
import type { ApprovalStore, AuditLog, AuthenticatedUser, SettingsStore, UserStore } from '../../../platform/ports/index.ts';
import { isDecisionOutcome, type DecisionOutcome, type TeamEvent } from '../../team-events/team-event.ts';
import { moreApprovalsNeededCode } from '../../../domain/tool-calls/decide/co-approval.ts';
import { createPostedApprovals, requestFacts, type PostedApproval, type RequestFacts } from './posted-approvals.ts';

/** The platform: what the shared logic needs to know of a chat. */
export interface ChatApprovalChannel {
  /** 'slack', 'teams': the audit actions' prefix and the clicker's subject type (`slack_user`) */
  name: string;
  /** 'Slack', 'Teams': in refusals and in the decision's reason ("decided in Slack") */
  label: string;
  /** the settings key prefix of the posted-approvals map */
  mapPrefix: string;
  /** what people click on: 'button' (Slack), 'card' (Teams) */
  clickedOn: string;
  /** the chat does not prove who clicked: the decision counts that click as nobody's second pair of eyes */
  unverifiedClicker?: boolean;
}

/** The configured workspace: where requests are posted. */
export interface ChatConnection<Posted extends PostedApproval> {
  /** posts the request (`passkeyPage`: the call needs a passkey, so the message links there instead of deciding) */
  post(request: RequestFacts, link: string, passkeyPage?: string): Promise<{ posted: Posted; where: Record<string, unknown> }>;
  /** shows the outcome in place of the posted request, without decision actions */
  showDecided(posted: Posted, outcome: DecisionOutcome, by: string, link: string, reason?: string): Promise<void>;
}

/** An inbound click the chat has verified and parsed; `Answer` is what the chat's endpoint answers with. */
export interface ChatClick<Posted extends PostedApproval, Answer> {
  /** 'approve', 'deny', or what else the click named (refused as an unknown action) */
  verb: string;
  /** the click's action in the audit of a refusal ({ action } in Slack, { verb } in Teams) */
  action: Record<string, unknown>;
  /** the call the card names; undefined when it carries none */
  call: { conversationId: string; callId: string } | undefined;
  /** who clicked, in the chat's own terms: the audit subject and details ({ slack_user }) */
  clicker: { id: string; details: Record<string, unknown> };
  /** why the click is refused before anyone is looked up (a card outside the configured conversation) */
  misplaced?: { reason: string; audit: Record<string, unknown> };
  /** the clicker's e-mail as the chat knows it, or why it could not be asked */
  identify(): Promise<{ email: string | undefined } | { refusal: string; audit: Record<string, unknown> }>;
  /** the message clicked, when the map has none (posted before the map kept it) */
  clicked(request: RequestFacts): Posted | undefined;
  /** tells the clicker why nothing was recorded */
  refused(reason: string, request: RequestFacts, link: string): Promise<Answer>;
  /**
   * Issue 76: tells the clicker their approval is recorded and more are needed. A chat without it refuses such a
   * click (the approval a policy needs more of is not recorded from there).
   */
  coApproved?(message: string): Promise<Answer>;
  /** the answer to a decided click */
  decided(request: RequestFacts, outcome: DecisionOutcome, by: string, link: string): Answer;
}

export interface ChatApprovalDeps {
  settings: Pick<SettingsStore, 'get' | 'put' | 'putIfAbsent'>;
  audit: AuditLog;
  users: Pick<UserStore, 'findByEmail'>;
  approvals: Pick<ApprovalStore, 'get'>;
  /** the agent service (loaded after start-up): decisions go through its prepareDecision */
  agent: () => Pick<AgentService, 'prepareDecision'> | undefined;
  /** absolute link to a conversation (PUBLIC_URL), for the message */
  conversationUrl(conversationId: string): string;
  /**
   * Issue 35: which calls need the approver's passkey. Such a call's message links to its approval page in the
   * Command Center instead of deciding, and a click for it is refused.
   */
  passkeys?: () => PasskeyApprovals | undefined;
  now: () => Date;
  logger?: { error(object: unknown, message?: string): void };
}

export type ChatApprovalService<Posted extends PostedApproval> = ReturnType<typeof createChatApprovalService<Posted>>;

export function createChatApprovalService<Posted extends PostedApproval>(channel: ChatApprovalChannel, deps: ChatApprovalDeps) {
  const posts = createPostedApprovals<Posted>(deps.settings, channel.mapPrefix);

  /** an approval.requested or approval.decided event (other events are not about approvals: nothing happens) */
  async function deliver(event: TeamEvent, connection: ChatConnection<Posted>): Promise<void> {
    if ((event.type !== 'approval.requested' && event.type !== 'approval.decided') || !event.call_id) return;
    const link = deps.conversationUrl(event.conversation_id);
    if (event.type === 'approval.requested') {
      // re-announced (the gate re-sends a call still waiting, or another engine process restarted): posted once
      if (await posts.get(event.conversation_id, event.call_id)) return;
      const record = await deps.approvals.get(event.conversation_id, event.call_id);
      // a call that needs a passkey is approved on its Command Center page, never by a click in the chat (issue 35)
      const passkey = record ? await passkeyFactsOf(deps.passkeys?.(), record) : undefined;
      const request: RequestFacts = { ...requestFacts(event), ...(record?.cluster?.name ? { cluster: record.cluster.name } : {}) };
      const sent = await connection.post(request, link, passkey?.approveAt);
      await posts.remember(event.conversation_id, event.call_id, sent.posted);
      await deps.audit.record({ action: `${channel.name}.posted`, subjectType: 'tool_call', subjectId: event.call_id, conversationId: event.conversation_id, details: { conversation_id: event.conversation_id, call_id: event.call_id, tool: event.tool, ...sent.where } });
      return;
    }
    if (!isDecisionOutcome(event.outcome)) return;
    const entry = await posts.get(event.conversation_id, event.call_id);
    if (!entry || entry.decided || !(await posts.markDecided(event.conversation_id, event.call_id, entry))) return;
    await connection.showDecided(entry, event.outcome, event.decided_by?.email ?? 'someone', link, event.reason);
  }

  async function decide<Answer>(click: ChatClick<Posted, Answer>, connection: ChatConnection<Posted>, ip?: string): Promise<Answer> {
    const conversationId = click.call?.conversationId ?? '';
    const callId = click.call?.callId ?? '';
    const link = deps.conversationUrl(conversationId);
    const record = click.call ? await deps.approvals.get(conversationId, callId) : undefined;
    const posted = click.call ? await posts.get(conversationId, callId) : undefined;
    // the request as posted; else (posted before the map kept it) the stored call's facts
    const request: RequestFacts = posted?.request ?? requestFacts({ type: 'approval.requested', at: deps.now().getTime(), conversation_id: conversationId, conversation_url: link, call_id: callId, ...(record ? { tool: record.tool, ...(record.diff ? { diff: record.diff } : {}), risks: record.risks, ...(record.policyReason ? { policy_reason: record.policyReason } : {}) } : {}) });
    const withIp = ip ? { ip } : {};

    const refuse = async (reason: string, audit: Record<string, unknown>, actorId?: string): Promise<Answer> => {
      await deps.audit.record({ ...(actorId ? { actorId } : {}), action: `${channel.name}.click_refused`, subjectType: `${channel.name}_user`, subjectId: click.clicker.id, details: { ...click.clicker.details, ...click.action, reason, ...audit }, ...withIp });
      return click.refused(reason, request, link);
    };
    const accepted = (user: AuthenticatedUser, email: string | undefined, decision: string) =>
      deps.audit.record({ actorId: user.id, action: `${channel.name}.click_accepted`, subjectType: 'tool_call', subjectId: callId, conversationId, details: { conversation_id: conversationId, call_id: callId, ...click.clicker.details, email, decision }, ...withIp });

    if (click.verb !== 'approve' && click.verb !== 'deny') return refuse('unknown action', {});
    if (!click.call) return refuse(`the ${channel.clickedOn} carries no call`, {});
    const about = { conversation_id: conversationId, call_id: callId };
    if (click.misplaced) return refuse(click.misplaced.reason, { ...about, ...click.misplaced.audit });
    const identity = await click.identify();
    if ('refusal' in identity) return refuse(identity.refusal, { ...about, ...identity.audit });
    const { email } = identity;
    const account = email ? await deps.users.findByEmail(email) : undefined;
    if (!account || !account.isActive) {
      return refuse(`your ${channel.label} account${email ? ` (${email})` : ''} has no active Skyflo account with the same e-mail; decide in the Command Center instead.`, { ...about, email: email ?? null });
    }
    const user: AuthenticatedUser = { id: account.id, email: account.email, role: account.role };
    const agent = deps.agent();
    if (!agent) return refuse('the agent is still starting; try again in a moment.', about, user.id);
    const approve = click.verb === 'approve';
    // Issue 35: a call that needs a passkey was posted with a link, not buttons; a click for it (forged, or on a message
    // posted before its cluster asked for one) decides nothing, either way. The approval itself refuses it too.
    const passkey = record && record.status === 'awaiting' ? await passkeyFactsOf(deps.passkeys?.(), record) : undefined;
    if (passkey) {
      return refuse(`PASSKEY_REQUIRED: tool call ${callId} needs the approver's passkey (${passkey.required}); a click in ${channel.label} does not decide it. Approve or deny it in the Command Center: ${passkey.approveAt}`, { ...about, code: 'PASSKEY_REQUIRED' }, user.id);
    }
    try {
      // unverifiedClicker: the chat does not authenticate who clicked (Teams' `from` is a body field its token does not
      // cover), so the decision counts that click as nobody's second pair of eyes (tool-calls/decide unverifiedClickerRule)
      const run = await agent.prepareDecision({ user, conversationId, callId, approve, ...(approve && record ? { argsHash: record.argsHash } : {}), ...(record?.diffHash ? { diffHash: record.diffHash } : {}), reason: `decided in ${channel.label}`, ...(channel.unverifiedClicker ? { unverifiedClicker: channel.label } : {}), ...withIp });
      void run.start();
    } catch (error) {
      // Issue 76: an approval a policy needs more of is recorded; the call keeps waiting (and its message its buttons)
      if (click.coApproved && error instanceof AgentRequestError && error.code === moreApprovalsNeededCode) {
        await accepted(user, email, 'co_approved');
        return click.coApproved(error.message);
      }
      if (error instanceof AgentRequestError) return refuse(error.message, { ...about, code: error.code }, user.id);
      throw error;
    }
    const outcome = approve ? 'approved' : 'denied';
    await accepted(user, email, outcome);
    const entry = posted ?? click.clicked(request);
    if (entry && !entry.decided && (await posts.markDecided(conversationId, callId, entry))) {
      // the decision is made: a chat that fails now leaves the posted request behind, not the decision
      await connection.showDecided(entry, outcome, user.email, link).catch((error: unknown) => deps.logger?.error({ err: error, call_id: callId }, `could not update the ${channel.label} message of a decided call`));
    }
    return click.decided(request, outcome, user.email, link);
  }

  return { deliver, decide };
}

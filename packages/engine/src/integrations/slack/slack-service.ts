/**
 * Slack as an integration (provider "slack", one per installation): approval requests are posted to a channel with
 * Approve / Deny buttons (slack-messages.ts); a click is verified with the app's signing secret (slack-request-
 * verifier.ts: v0 HMAC, 5-minute window, each signature accepted once across every engine on the database), mapped to
 * the Skyflo user with the same e-mail (users.info), and decided through the agent service's prepareDecision — the
 * same gate as the HTTP decision (visibility, APPROVAL_POLICY, four-eyes, the stored args_hash and diff_hash). A
 * refusal is an ephemeral reply to the clicker; an accepted decision, made on any engine process, updates the message
 * (slack-message-map.ts keeps which message shows which call in the database). Every click is in the audit trail.
 * The bot token and signing secret are sealed with the engine's key in the settings table; only the token's last four
 * characters are shown.
 */
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { AgentService } from '../../agent/create-agent-service.ts';
import { AgentRequestError } from '../../errors/agent-request-error.ts';
import { moreApprovalsNeededCode } from '../../tool-calls/decide/co-approval.ts';
import { isDecisionOutcome, type TeamEventSink, type TeamEvent } from '../../team-events/team-event.ts';
import type { ApprovalStore, AuditLog, AuthenticatedUser, ExpiringSettings, SettingsStore, UserStore } from '../../ports/index.ts';
import { IntegrationError, requireIntegrationAdmin } from '../integration-service.ts';
import type { CheckIntegrationUrl } from '../integration-url-guard.ts';
import { createSlackClient, type SlackClient } from './slack-client.ts';
import { createSlackMessageMap, requestFacts, type PostedMessage } from './slack-message-map.ts';
import { approvalRequestMessage, decidedMessage, type ButtonValue } from './slack-messages.ts';
import { createSlackRequestVerifier } from './slack-request-verifier.ts';
import { passkeyFactsOf, type PasskeyApprovals } from '../../passkeys/passkey-approvals.ts';

export const SLACK_SETTINGS_KEY = 'integration.slack';

interface StoredSlack {
  id: string;
  name: string;
  channel: string;
  api_url: string;
  sealed: string;
  bot_token_last4: string;
  status: 'active' | 'disabled';
  created_at: string;
  updated_at: string;
}

export interface SlackIntegrationView {
  id: string;
  provider: 'slack';
  name: string;
  metadata: { channel: string; api_url: string };
  status: 'active' | 'disabled';
  credentials: { set: true; bot_token_last4: string };
  created_at: string;
  updated_at: string;
}

export interface CreateSlackInput {
  name: string;
  channel: string;
  apiUrl?: string;
  botToken: string;
  signingSecret: string;
}

export interface SlackServiceDeps {
  settings: SettingsStore & ExpiringSettings;
  secretBox: SecretBox;
  audit: AuditLog;
  users: Pick<UserStore, 'findByEmail'>;
  approvals: Pick<ApprovalStore, 'get'>;
  checkUrl: CheckIntegrationUrl;
  /** the pinned fetch of integration-egress.ts */
  fetch: typeof fetch;
  /** the agent service (loaded after start-up): decisions go through its prepareDecision */
  agent: () => Pick<AgentService, 'prepareDecision'> | undefined;
  /** absolute link to a conversation (PUBLIC_URL), for the message */
  conversationUrl(conversationId: string): string;
  /**
   * Issue 35: which calls need the approver's passkey. Such a call's message gets a link button to its approval page
   * in the Command Center instead of Approve / Deny, and a click forged for it is refused by the decision itself.
   */
  passkeys?: () => PasskeyApprovals | undefined;
  now?: () => Date;
  logger?: { error(object: unknown, message?: string): void };
}

const sealContext = (id: string, apiUrl: string) => `slack:${id}:${apiUrl}`;
const toView = (stored: StoredSlack): SlackIntegrationView => ({
  id: stored.id,
  provider: 'slack',
  name: stored.name,
  metadata: { channel: stored.channel, api_url: stored.api_url },
  status: stored.status,
  credentials: { set: true, bot_token_last4: stored.bot_token_last4 },
  created_at: stored.created_at,
  updated_at: stored.updated_at,
});

export type SlackService = ReturnType<typeof createSlackService>;

export function createSlackService(deps: SlackServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const messages = createSlackMessageMap(deps.settings);
  const requests = createSlackRequestVerifier({ settings: deps.settings, now, ...(deps.logger ? { logger: deps.logger } : {}) });

  const load = async (): Promise<StoredSlack | undefined> => (await deps.settings.get(SLACK_SETTINGS_KEY)) as StoredSlack | undefined;
  const open = (stored: StoredSlack) => JSON.parse(deps.secretBox.open(stored.sealed, sealContext(stored.id, stored.api_url))) as { bot_token: string; signing_secret: string };
  const clientOf = (stored: StoredSlack): SlackClient => createSlackClient({ apiUrl: stored.api_url, botToken: open(stored).bot_token, fetch: deps.fetch });
  const requireAdmin = requireIntegrationAdmin;

  const sink: TeamEventSink = {
    name: 'slack',
    async deliver(event) {
      if (event.type === 'schedule.completed') {
        const stored = await load();
        if (!stored || stored.status !== 'active') return;
        const link = deps.conversationUrl(event.conversation_id);
        await clientOf(stored).postMessage({ channel: stored.channel, text: `Scheduled check ${event.schedule ?? ''} ran`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*Scheduled check: <${link}|${event.schedule ?? 'open the conversation'}>*\n${(event.conclusion ?? '').slice(0, 2800)}` } }] });
        return;
      }
      if (event.type === 'freeze.break_glass') {
        const stored = await load();
        if (!stored || stored.status !== 'active') return;
        const link = deps.conversationUrl(event.conversation_id);
        await clientOf(stored).postMessage({ channel: stored.channel, text: `Break-glass: change freeze ${event.freeze ?? ''} overridden`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*:rotating_light: Break-glass: <${link}|${event.tool ?? 'a call'}>*\n${(event.summary ?? '').slice(0, 2800)}` } }] });
        return;
      }
      if (event.type === 'alert.investigated') {
        const stored = await load();
        if (!stored || stored.status !== 'active') return;
        const link = deps.conversationUrl(event.conversation_id);
        await clientOf(stored).postMessage({ channel: stored.channel, text: `Skyflo investigated ${event.conversation_title ?? 'an alert'}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*Alert investigated: <${link}|${event.conversation_title ?? 'open the conversation'}>*\n${(event.conclusion ?? '').slice(0, 2800)}` } }] });
        return;
      }
      if (event.type !== 'approval.requested' && event.type !== 'approval.decided') return;
      const stored = await load();
      if (!stored || stored.status !== 'active' || !event.call_id) return;
      const link = deps.conversationUrl(event.conversation_id);
      const client = clientOf(stored);
      if (event.type === 'approval.requested') {
        // re-announced (the gate re-sends a call still waiting, or another engine process restarted): posted once
        if (await messages.get(event.conversation_id, event.call_id)) return;
        // a call that needs a passkey is approved on its Command Center page, never by a click here (issue 35)
        const record = deps.passkeys ? await deps.approvals.get(event.conversation_id, event.call_id) : undefined;
        const passkey = record ? await passkeyFactsOf(deps.passkeys?.(), record) : undefined;
        const message = approvalRequestMessage(event, link, passkey?.approveAt);
        const sent = await client.postMessage({ channel: stored.channel, ...message });
        await messages.remember(event.conversation_id, event.call_id, { channel: sent.channel, ts: sent.ts, request: requestFacts(event), decided: false });
        await deps.audit.record({ action: 'slack.posted', subjectType: 'tool_call', subjectId: event.call_id, conversationId: event.conversation_id, details: { conversation_id: event.conversation_id, call_id: event.call_id, tool: event.tool, channel: sent.channel, ts: sent.ts } });
        return;
      }
      if (!isDecisionOutcome(event.outcome)) return;
      const entry = await messages.get(event.conversation_id, event.call_id);
      if (!entry || entry.decided || !(await messages.markDecided(event.conversation_id, event.call_id, entry))) return;
      await client.update({ channel: entry.channel, ts: entry.ts, ...decidedMessage(entry.request, event.outcome, event.decided_by?.email ?? 'someone', link, event.reason) });
    },
  };

  async function decideFromClick(stored: StoredSlack, payload: SlackClickPayload, ip?: string): Promise<string | undefined> {
    const action = payload.actions?.[0];
    const client = clientOf(stored);
    const refuse = async (reason: string, audit: Record<string, unknown>, actorId?: string) => {
      await deps.audit.record({ ...(actorId ? { actorId } : {}), action: 'slack.click_refused', subjectType: 'slack_user', subjectId: payload.user?.id ?? 'unknown', details: { slack_user: payload.user?.id, action: action?.action_id, reason, ...audit }, ...(ip ? { ip } : {}) });
      if (payload.response_url) await client.respond(payload.response_url, `Skyflo did not record your decision: ${reason}`).catch(() => undefined);
      return reason;
    };
    // the link button of a passkey call (issue 35) opens the Command Center; Slack still reports its click: nothing to do
    if (action?.action_id === 'open_approval') return undefined;
    if (!action || (action.action_id !== 'approve' && action.action_id !== 'deny')) return refuse('unknown action', {});
    let value: ButtonValue;
    try {
      value = JSON.parse(String(action.value)) as ButtonValue;
    } catch {
      return refuse('the button carries no call', {});
    }
    const about = { conversation_id: value.conversation_id, call_id: value.call_id };
    const email = payload.user?.id ? await client.emailOf(payload.user.id) : undefined;
    const account = email ? await deps.users.findByEmail(email) : undefined;
    if (!account || !account.isActive) {
      return refuse(`your Slack account${email ? ` (${email})` : ''} has no active Skyflo account with the same e-mail; decide in the Command Center instead.`, { ...about, email: email ?? null });
    }
    const user: AuthenticatedUser = { id: account.id, email: account.email, role: account.role };
    // the hashes of the STORED approval: the message showed exactly that call and preview
    const record = await deps.approvals.get(value.conversation_id, value.call_id);
    const agent = deps.agent();
    if (!agent) return refuse('the agent is still starting; try again in a moment.', about, user.id);
    const approve = action.action_id === 'approve';
    // Issue 35: a call that needs a passkey was posted with a link, not buttons; a click for it (forged, or on a message
    // posted before its cluster asked for one) decides nothing, either way. The approval itself refuses it too.
    const passkey = record && record.status === 'awaiting' ? await passkeyFactsOf(deps.passkeys?.(), record) : undefined;
    if (passkey) {
      return refuse(`PASSKEY_REQUIRED: tool call ${value.call_id} needs the approver's passkey (${passkey.required}); a click in Slack does not decide it. Approve or deny it in the Command Center: ${passkey.approveAt}`, { ...about, code: 'PASSKEY_REQUIRED' }, user.id);
    }
    try {
      const run = await agent.prepareDecision({ user, conversationId: value.conversation_id, callId: value.call_id, approve, ...(approve && record ? { argsHash: record.argsHash } : {}), ...(record?.diffHash ? { diffHash: record.diffHash } : {}), reason: 'decided in Slack', ...(ip ? { ip } : {}) });
      void run.start();
    } catch (error) {
      // Issue 76: an approval a policy needs more of is recorded; the call keeps waiting (and its message its buttons)
      if (error instanceof AgentRequestError && error.code === moreApprovalsNeededCode) {
        await deps.audit.record({ actorId: user.id, action: 'slack.click_accepted', subjectType: 'tool_call', subjectId: value.call_id, conversationId: value.conversation_id, details: { ...about, slack_user: payload.user?.id, email, decision: 'co_approved' }, ...(ip ? { ip } : {}) });
        if (payload.response_url) await client.respond(payload.response_url, error.message).catch(() => undefined);
        return undefined;
      }
      if (error instanceof AgentRequestError) return refuse(error.message, { ...about, code: error.code }, user.id);
      throw error;
    }
    await deps.audit.record({ actorId: user.id, action: 'slack.click_accepted', subjectType: 'tool_call', subjectId: value.call_id, conversationId: value.conversation_id, details: { ...about, slack_user: payload.user?.id, email, decision: approve ? 'approved' : 'denied' }, ...(ip ? { ip } : {}) });
    // the message as posted; else (posted before this map kept it) the message clicked, with the stored call's facts
    const entry: PostedMessage | undefined =
      (await messages.get(value.conversation_id, value.call_id)) ??
      (payload.channel?.id && payload.message?.ts ? { channel: payload.channel.id, ts: payload.message.ts, request: requestFacts({ type: 'approval.requested', at: Date.now(), conversation_id: value.conversation_id, conversation_url: deps.conversationUrl(value.conversation_id), call_id: value.call_id, ...(record ? { tool: record.tool, ...(record.diff ? { diff: record.diff } : {}), risks: record.risks, ...(record.policyReason ? { policy_reason: record.policyReason } : {}) } : {}) }), decided: false } : undefined);
    if (entry && !entry.decided && (await messages.markDecided(value.conversation_id, value.call_id, entry))) {
      await client.update({ channel: entry.channel, ts: entry.ts, ...decidedMessage(entry.request, approve ? 'approved' : 'denied', user.email, deps.conversationUrl(value.conversation_id)) });
    }
    return undefined;
  }

  return {
    sink,
    async view(): Promise<SlackIntegrationView | undefined> {
      const stored = await load();
      return stored ? toView(stored) : undefined;
    },
    async create(actor: AuthenticatedUser, input: CreateSlackInput, ip?: string): Promise<SlackIntegrationView> {
      requireAdmin(actor);
      if (await load()) throw new IntegrationError('ALREADY_EXISTS', 'a Slack integration already exists; delete it first to connect another workspace', 409);
      const apiUrl = input.apiUrl ?? 'https://slack.com/api';
      const refusal = await deps.checkUrl(apiUrl);
      if (refusal) throw new IntegrationError('INVALID_URL', `${refusal}; use Slack's API URL.`, 400);
      const id = randomUUID();
      const at = new Date().toISOString();
      const stored: StoredSlack = { id, name: input.name, channel: input.channel, api_url: apiUrl, sealed: deps.secretBox.seal(JSON.stringify({ bot_token: input.botToken, signing_secret: input.signingSecret }), sealContext(id, apiUrl)), bot_token_last4: input.botToken.slice(-4), status: 'active', created_at: at, updated_at: at };
      await deps.settings.put(SLACK_SETTINGS_KEY, stored);
      await deps.audit.record({ actorId: actor.id, action: 'integration.created', subjectType: 'integration', subjectId: id, details: { provider: 'slack', name: input.name, channel: input.channel, api_url: apiUrl, bot_token_last4: stored.bot_token_last4 }, ...(ip ? { ip } : {}) });
      return toView(stored);
    },
    /**
     * POST /integrations/:id/test: the bot token is valid (auth.test) and can post in the channel (a short test
     * message there, which is what approval requests need). Undefined when `id` is not the Slack integration.
     */
    async test(id: string): Promise<{ ok: boolean; latencyMs: number; user?: string; error?: string } | undefined> {
      const stored = await load();
      if (!stored || stored.id !== id) return undefined;
      const started = now().getTime();
      try {
        const client = clientOf(stored);
        const who = await client.whoAmI();
        await client.postMessage({ channel: stored.channel, text: 'Skyflo test: approval requests will be posted in this channel.', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Skyflo test: approval requests will be posted in this channel.' } }] });
        return { ok: true, latencyMs: now().getTime() - started, user: `${who.user}${who.team ? ` in ${who.team}` : ''}` };
      } catch (error) {
        return { ok: false, latencyMs: now().getTime() - started, error: error instanceof Error ? error.message : String(error) };
      }
    },
    async remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<boolean> {
      const stored = await load();
      if (!stored || stored.id !== id) return false;
      requireAdmin(actor);
      await deps.settings.put(SLACK_SETTINGS_KEY, null);
      await deps.audit.record({ actorId: actor.id, action: 'integration.deleted', subjectType: 'integration', subjectId: id, details: { provider: 'slack', name: stored.name }, ...(ip ? { ip } : {}) });
      return true;
    },
    /**
     * POST /integrations/slack/interactions (public: Slack calls it). Answers 401 for an unverifiable request; 200
     * otherwise (Slack shows errors on non-200), the outcome going to the clicker as an ephemeral reply.
     */
    async interaction(rawBody: string, headers: Record<string, string | string[] | undefined>, ip?: string): Promise<{ status: number; detail: string }> {
      const stored = await load();
      if (!stored || stored.status !== 'active') return { status: 404, detail: 'Slack is not connected to this Skyflo' };
      const problem = await requests.verify(open(stored).signing_secret, headers, rawBody);
      if (problem) {
        await deps.audit.record({ action: 'slack.request_rejected', subjectType: 'integration', subjectId: stored.id, details: { reason: problem }, ...(ip ? { ip } : {}) });
        return { status: 401, detail: problem };
      }
      let payload: SlackClickPayload;
      try {
        payload = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '') as SlackClickPayload;
      } catch {
        return { status: 400, detail: 'payload is not JSON' };
      }
      const refusal = await decideFromClick(stored, payload, ip);
      return { status: 200, detail: refusal ?? 'decided' };
    },
  };
}

interface SlackClickPayload {
  type?: string;
  user?: { id?: string };
  channel?: { id?: string };
  message?: { ts?: string };
  response_url?: string;
  actions?: Array<{ action_id?: string; value?: string }>;
}

/**
 * Slack as an integration (provider "slack", one per installation), an adapter of the chat approvals
 * (../chat-approvals/chat-approval-service.ts: posting, who may decide, the decision, the audit): approval requests are
 * posted to a channel with Approve / Deny buttons (slack-messages.ts); a click is verified with the app's signing
 * secret (slack-request-verifier.ts: v0 HMAC, 5-minute window, each signature accepted once across every engine on the
 * database) and its clicker is known by the e-mail users.info gives. A refusal is an ephemeral reply to the clicker;
 * an accepted decision, made on any engine process, updates the message. The stored integration, its test and the
 * team-event sink are the shared chat integration's (../chat-approvals/chat-integration.ts).
 * The bot token and signing secret are sealed with the engine's key in the settings table; only the token's last four
 * characters are shown.
 */
import type { AuthenticatedUser } from '../../../platform/ports/index.ts';
import { IntegrationError } from '../../../app/integrations/integration-service.ts';
import { createSlackClient, type SlackClient } from './slack-client.ts';
import { approvalRequestMessage, decidedMessage, type ButtonValue } from './slack-messages.ts';
import { createSlackRequestVerifier } from './slack-request-verifier.ts';
import { chatIntegrationView, createChatIntegration, type ChatServiceDeps, type ChatWorkspace, type StoredChatIntegration } from '../../../app/integrations/chat-approvals/chat-integration.ts';
import type { PostedApproval } from '../../../app/integrations/chat-approvals/posted-approvals.ts';
import type { CreateSlackInput, SlackIntegrationView } from '../../../app/integrations/chat-approvals/chat-endpoints.ts';

export const SLACK_SETTINGS_KEY = 'integration.slack';
/** the settings key prefix of which message shows which call (../chat-approvals/posted-approvals.ts) */
export const SLACK_MESSAGE_PREFIX = 'slack.message.';

/** where a request was posted: the channel and the message's timestamp */
export interface PostedMessage extends PostedApproval {
  channel: string;
  ts: string;
}

interface StoredSlack extends StoredChatIntegration {
  channel: string;
  api_url: string;
  sealed: string;
  bot_token_last4: string;
}

export type SlackServiceDeps = ChatServiceDeps;

const sealContext = (id: string, apiUrl: string) => `slack:${id}:${apiUrl}`;
const toView = (stored: StoredSlack): SlackIntegrationView => chatIntegrationView('slack', stored, { channel: stored.channel, api_url: stored.api_url }, { bot_token_last4: stored.bot_token_last4 });

export type SlackService = ReturnType<typeof createSlackService>;

export function createSlackService(deps: SlackServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const requests = createSlackRequestVerifier({ settings: deps.settings, now, ...(deps.logger ? { logger: deps.logger } : {}) });
  const open = (stored: StoredSlack) => JSON.parse(deps.secretBox.open(stored.sealed, sealContext(stored.id, stored.api_url))) as { bot_token: string; signing_secret: string };
  const clientOf = (stored: StoredSlack): SlackClient => createSlackClient({ apiUrl: stored.api_url, botToken: open(stored).bot_token, fetch: deps.fetch });
  const section = (text: string) => [{ type: 'section', text: { type: 'mrkdwn', text } }];

  const connect = (stored: StoredSlack): ChatWorkspace<PostedMessage> => {
    const client = clientOf(stored);
    const post = (text: string, blocks: unknown[]) => client.postMessage({ channel: stored.channel, text, blocks });
    return {
      async post(request, link, passkeyPage) {
        const sent = await client.postMessage({ channel: stored.channel, ...approvalRequestMessage(request, link, passkeyPage) });
        return { posted: { channel: sent.channel, ts: sent.ts, request, decided: false }, where: { channel: sent.channel, ts: sent.ts } };
      },
      async showDecided(posted, outcome, by, link, reason) {
        await client.update({ channel: posted.channel, ts: posted.ts, ...decidedMessage(posted.request, outcome, by, link, reason) });
      },
      async notify(event, link) {
        if (event.type === 'schedule.completed') await post(`Scheduled check ${event.schedule ?? ''} ran`, section(`*Scheduled check: <${link}|${event.schedule ?? 'open the conversation'}>*\n${(event.conclusion ?? '').slice(0, 2800)}`));
        if (event.type === 'freeze.break_glass') await post(`Break-glass: change freeze ${event.freeze ?? ''} overridden`, section(`*:rotating_light: Break-glass: <${link}|${event.tool ?? 'a call'}>*\n${(event.summary ?? '').slice(0, 2800)}`));
        if (event.type === 'alert.investigated') await post(`Skyflo investigated ${event.conversation_title ?? 'an alert'}`, section(`*Alert investigated: <${link}|${event.conversation_title ?? 'open the conversation'}>*\n${(event.conclusion ?? '').slice(0, 2800)}`));
      },
      // the bot token is valid (auth.test) and can post in the channel, which is what approval requests need
      async selfTest() {
        const who = await client.whoAmI();
        await post('Skyflo test: approval requests will be posted in this channel.', section('Skyflo test: approval requests will be posted in this channel.'));
        return `${who.user}${who.team ? ` in ${who.team}` : ''}`;
      },
    };
  };
  const integration = createChatIntegration<StoredSlack, PostedMessage, SlackIntegrationView>(
    { name: 'slack', label: 'Slack', mapPrefix: SLACK_MESSAGE_PREFIX, clickedOn: 'button', settingsKey: SLACK_SETTINGS_KEY, connects: 'workspace', notices: new Set(['schedule.completed', 'freeze.break_glass', 'alert.investigated']), toView, connect },
    { ...deps, now },
  );

  async function decideFromClick(stored: StoredSlack, payload: SlackClickPayload, ip?: string): Promise<string | undefined> {
    const action = payload.actions?.[0];
    // the link button of a passkey call (issue 35) opens the Command Center; Slack still reports its click: nothing to do
    if (action?.action_id === 'open_approval') return undefined;
    const client = clientOf(stored);
    let value: ButtonValue | undefined;
    try {
      value = JSON.parse(String(action?.value)) as ButtonValue;
    } catch {
      value = undefined;
    }
    const tell = async (text: string) => {
      if (payload.response_url) await client.respond(payload.response_url, text).catch(() => undefined);
    };
    return integration.approvals.decide<string | undefined>(
      {
        verb: action?.action_id ?? '',
        action: { action: action?.action_id },
        call: value ? { conversationId: value.conversation_id, callId: value.call_id } : undefined,
        clicker: { id: payload.user?.id ?? 'unknown', details: { slack_user: payload.user?.id } },
        identify: async () => ({ email: payload.user?.id ? await client.emailOf(payload.user.id) : undefined }),
        // the message clicked, with the stored call's facts
        clicked: (request) => (payload.channel?.id && payload.message?.ts ? { channel: payload.channel.id, ts: payload.message.ts, request, decided: false } : undefined),
        refused: async (reason) => {
          await tell(`Skyflo did not record your decision: ${reason}`);
          return reason;
        },
        coApproved: async (message) => {
          await tell(message);
          return undefined;
        },
        decided: () => undefined,
      },
      connect(stored),
      ip,
    );
  }

  return {
    sink: integration.sink,
    view: integration.view,
    test: integration.test,
    remove: integration.remove,
    async create(actor: AuthenticatedUser, input: CreateSlackInput, ip?: string): Promise<SlackIntegrationView> {
      return integration.create(
        actor,
        async (id, at) => {
          const apiUrl = input.apiUrl ?? 'https://slack.com/api';
          const refusal = await deps.checkUrl(apiUrl);
          if (refusal) throw new IntegrationError('INVALID_URL', `${refusal}; use Slack's API URL.`, 400);
          const stored: StoredSlack = { id, name: input.name, channel: input.channel, api_url: apiUrl, sealed: deps.secretBox.seal(JSON.stringify({ bot_token: input.botToken, signing_secret: input.signingSecret }), sealContext(id, apiUrl)), bot_token_last4: input.botToken.slice(-4), status: 'active', created_at: at, updated_at: at };
          return { stored, details: { channel: input.channel, api_url: apiUrl, bot_token_last4: stored.bot_token_last4 } };
        },
        ip,
      );
    },
    /**
     * POST /integrations/slack/interactions (public: Slack calls it). Answers 401 for an unverifiable request; 200
     * otherwise (Slack shows errors on non-200), the outcome going to the clicker as an ephemeral reply.
     */
    async interaction(rawBody: string, headers: Record<string, string | string[] | undefined>, ip?: string): Promise<{ status: number; detail: string }> {
      const received = await integration.receive((stored) => requests.verify(open(stored).signing_secret, headers, rawBody), ip);
      if (!('stored' in received)) return received;
      let payload: SlackClickPayload;
      try {
        payload = JSON.parse(new URLSearchParams(rawBody).get('payload') ?? '') as SlackClickPayload;
      } catch {
        return { status: 400, detail: 'payload is not JSON' };
      }
      const refusal = await decideFromClick(received.stored, payload, ip);
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

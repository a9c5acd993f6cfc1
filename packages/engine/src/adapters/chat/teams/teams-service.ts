/**
 * Microsoft Teams as an integration (provider "teams", one per installation), an adapter of the chat approvals as
 * Slack is (../chat-approvals/chat-approval-service.ts: posting, who may decide, the decision, the audit): approval
 * requests are posted to a configured conversation as Adaptive Cards (teams-cards.ts) through the Bot Framework
 * connector (teams-connector.ts); a click comes back to the bot's messaging endpoint as an activity, verified with
 * Microsoft's Bot Framework authentication (teams-activity-verifier.ts: the channel's JWT, audience the app id, each
 * activity once), and its clicker is known by the conversation member's e-mail, read from the connector as
 * TeamsInfo.getMember does (the activity's own fields are not trusted for it). The stored integration, its test and
 * the team-event sink are the shared chat integration's (../chat-approvals/chat-integration.ts). A refusal is shown on the card to the clicker (the invoke answer); an accepted decision, made on any
 * engine process or anywhere else (Command Center, Slack, terminal), updates the card for everyone. Every click is in
 * the audit trail. The app password is sealed with the engine's key; only its last four characters are shown.
 */
import type { AuthenticatedUser } from '../../../platform/ports/index.ts';
import { IntegrationError } from '../../../app/integrations/integration-service.ts';
import { chatIntegrationView, createChatIntegration, type ChatServiceDeps, type ChatWorkspace, type StoredChatIntegration } from '../../../app/integrations/chat-approvals/chat-integration.ts';
import type { PostedApproval } from '../../../app/integrations/chat-approvals/posted-approvals.ts';
import type { CreateTeamsInput, TeamsIntegrationView } from '../../../app/integrations/chat-approvals/chat-endpoints.ts';
import { createTeamsActivityVerifier, type TeamsActivity } from './teams-activity-verifier.ts';
import { approvalRequestCard, cardActivity, decidedCard, invokeCardResponse, refusedCard, type CardActionData } from './teams-cards.ts';
import { createTeamsConnector, TeamsApiError, type TeamsConnector } from './teams-connector.ts';

export const TEAMS_SETTINGS_KEY = 'integration.teams';
/** the settings key prefix of which card shows which call (../chat-approvals/posted-approvals.ts) */
export const TEAMS_CARD_PREFIX = 'teams.card.';

/** where a request was posted: the conversation and the card's activity id there */
export interface PostedCard extends PostedApproval {
  conversation: string;
  activity_id: string;
}
const DEFAULT_SERVICE_URL = 'https://smba.trafficmanager.net/teams/';
const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';

interface StoredTeams extends StoredChatIntegration {
  app_id: string;
  tenant_id: string;
  conversation_id: string;
  service_url: string;
  login_url: string;
  sealed: string;
  app_password_last4: string;
}

export interface TeamsServiceDeps extends ChatServiceDeps {
  /** TEAMS_OPENID_METADATA_URL: where the channel's signing keys are published (default Microsoft's) */
  openIdMetadataUrl: string;
}

const sealContext = (id: string, appId: string) => `teams:${id}:${appId}`;
const toView = (stored: StoredTeams): TeamsIntegrationView => chatIntegrationView('teams', stored, { app_id: stored.app_id, tenant_id: stored.tenant_id, conversation_id: stored.conversation_id, service_url: stored.service_url, login_url: stored.login_url }, { app_password_last4: stored.app_password_last4 });
/** "19:abc@thread.tacv2;messageid=123" (a reply thread in a channel) is the channel "19:abc@thread.tacv2" */
const baseConversation = (id: string | undefined) => (id ?? '').split(';')[0]!;

export type TeamsService = ReturnType<typeof createTeamsService>;

export function createTeamsService(deps: TeamsServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const verifier = createTeamsActivityVerifier({ openIdMetadataUrl: deps.openIdMetadataUrl, settings: deps.settings, now, ...(deps.logger ? { logger: deps.logger } : {}) });
  const connectors = new Map<string, TeamsConnector>();

  const passwordOf = (stored: StoredTeams) => (JSON.parse(deps.secretBox.open(stored.sealed, sealContext(stored.id, stored.app_id))) as { app_password: string }).app_password;
  /** one connector per stored integration: it caches the bot's access token */
  const connectorOf = (stored: StoredTeams): TeamsConnector => {
    const key = `${stored.id}:${stored.updated_at}`;
    let connector = connectors.get(key);
    if (!connector) {
      connectors.clear();
      connector = createTeamsConnector({ serviceUrl: stored.service_url, loginUrl: stored.login_url, tenantId: stored.tenant_id, appId: stored.app_id, appPassword: passwordOf(stored), fetch: deps.fetch });
      connectors.set(key, connector);
    }
    return connector;
  };
  const connect = (stored: StoredTeams): ChatWorkspace<PostedCard> => {
    const connector = connectorOf(stored);
    const say = (text: string) => connector.send(stored.conversation_id, { type: 'message', textFormat: 'markdown', text });
    return {
      async post(request, link) {
        const sent = await connector.send(stored.conversation_id, cardActivity(approvalRequestCard(request, link), `Skyflo: ${request.tool ?? 'a call'} waits for approval`));
        return { posted: { conversation: stored.conversation_id, activity_id: sent.id, request, decided: false }, where: { teams_conversation: stored.conversation_id, activity_id: sent.id } };
      },
      async showDecided(posted, outcome, by, link, reason) {
        await connector.update(posted.conversation, posted.activity_id, cardActivity(decidedCard(posted.request, outcome, by, link, reason), `Skyflo: ${posted.request.tool ?? 'a call'} ${outcome}`));
      },
      async notify(event, link) {
        // a scheduled check's result, where its schedule asked for Teams (issue 81): what changed since the last run
        if (event.type === 'schedule.completed') await say(`**Scheduled check: [${event.schedule ?? 'open the conversation'}](${link})**\n\n${(event.conclusion ?? '').slice(0, 2800)}`);
        if (event.type === 'freeze.break_glass') await say(`**Break-glass: [${event.tool ?? 'a call'}](${link})**\n\n${(event.summary ?? '').slice(0, 2800)}`);
      },
      // a token for the bot, and a short test message in the conversation
      async selfTest() {
        await connector.token();
        await connector.send(stored.conversation_id, { type: 'message', text: 'Skyflo test: approval requests will be posted in this conversation.' });
        return `bot ${stored.app_id}`;
      },
    };
  };
  // Teams does not prove who clicked (the activity's `from` is a body field its token does not cover)
  const integration = createChatIntegration<StoredTeams, PostedCard, TeamsIntegrationView>(
    { name: 'teams', label: 'Teams', mapPrefix: TEAMS_CARD_PREFIX, clickedOn: 'card', unverifiedClicker: true, settingsKey: TEAMS_SETTINGS_KEY, connects: 'bot', notices: new Set(['schedule.completed', 'freeze.break_glass']), toView, connect, removed: () => connectors.clear() },
    { ...deps, now },
  );

  /** the verb and the call a click names: Action.Execute (invoke) or Action.Submit (a message with value) */
  function clickOf(activity: TeamsActivity): { verb: string; data: Partial<CardActionData>; invoke: boolean } | undefined {
    if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
      const action = (activity.value as { action?: { verb?: unknown; data?: unknown } } | undefined)?.action;
      return { verb: String(action?.verb ?? ''), data: (action?.data ?? {}) as Partial<CardActionData>, invoke: true };
    }
    if (activity.type === 'message' && activity.value && typeof activity.value === 'object') {
      const value = activity.value as Partial<CardActionData> & { verb?: unknown };
      return { verb: String(value.verb ?? ''), data: value, invoke: false };
    }
    return undefined;
  }

  async function decideFromClick(stored: StoredTeams, activity: TeamsActivity, click: { verb: string; data: Partial<CardActionData>; invoke: boolean }, ip?: string): Promise<{ status: number; body: unknown }> {
    const connector = connectorOf(stored);
    const teamsUser = activity.from?.aadObjectId ?? activity.from?.id ?? 'unknown';
    const conversationId = String(click.data.conversation_id ?? '');
    const callId = String(click.data.call_id ?? '');
    return integration.approvals.decide<{ status: number; body: unknown }>(
      {
        verb: click.verb,
        action: { verb: click.verb },
        call: conversationId && callId ? { conversationId, callId } : undefined,
        clicker: { id: teamsUser, details: { teams_user: teamsUser } },
        ...(baseConversation(activity.conversation?.id) !== stored.conversation_id ? { misplaced: { reason: 'the card is not in the Teams conversation Skyflo posts to', audit: { teams_conversation: activity.conversation?.id ?? null } } } : {}),
        async identify() {
          try {
            return { email: activity.from?.id ? await connector.emailOf(stored.conversation_id, activity.from.id) : undefined };
          } catch (error) {
            // Microsoft's connector is down or refused: say so on the card (not a database outage, not a bare 500)
            return { refusal: `Teams could not be asked who clicked (${error instanceof Error ? error.message : String(error)}); try again in a moment, or decide in the Command Center.`, audit: { code: error instanceof TeamsApiError ? error.code : 'TEAMS_UNAVAILABLE' } };
          }
        },
        // the card clicked
        clicked: (request) => (activity.replyToId ? { conversation: stored.conversation_id, activity_id: activity.replyToId, request, decided: false } : undefined),
        async refused(reason, request, link) {
          if (click.invoke) return { status: 200, body: invokeCardResponse(refusedCard(request, reason, link)) };
          // Action.Submit has no answer card: the refusal is a reply under the card
          if (activity.replyToId) await connector.send(stored.conversation_id, { type: 'message', text: `Skyflo did not record the decision of ${activity.from?.name ?? 'a user'}: ${reason}`, replyToId: activity.replyToId }).catch(() => undefined);
          return { status: 200, body: {} };
        },
        // the clicker gets the decided card in the invoke answer, even when the posted card could not be updated
        decided: (request, outcome, by, link) => ({ status: 200, body: click.invoke ? invokeCardResponse(decidedCard(request, outcome, by, link)) : {} }),
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
    async create(actor: AuthenticatedUser, input: CreateTeamsInput, ip?: string): Promise<TeamsIntegrationView> {
      return integration.create(
        actor,
        async (id, at) => {
          const serviceUrl = input.serviceUrl ?? DEFAULT_SERVICE_URL;
          const loginUrl = input.loginUrl ?? DEFAULT_LOGIN_URL;
          for (const [url, what] of [[serviceUrl, 'the Bot Framework service URL'], [loginUrl, "Microsoft's login URL"]] as const) {
            const refusal = await deps.checkUrl(url);
            if (refusal) throw new IntegrationError('INVALID_URL', `${refusal}; use ${what}.`, 400);
          }
          const stored: StoredTeams = { id, name: input.name, app_id: input.appId, tenant_id: input.tenantId, conversation_id: input.conversationId, service_url: serviceUrl, login_url: loginUrl, sealed: deps.secretBox.seal(JSON.stringify({ app_password: input.appPassword }), sealContext(id, input.appId)), app_password_last4: input.appPassword.slice(-4), status: 'active', created_at: at, updated_at: at };
          return { stored, details: { app_id: input.appId, tenant_id: input.tenantId, conversation_id: input.conversationId, service_url: serviceUrl, login_url: loginUrl, app_password_last4: stored.app_password_last4 } };
        },
        ip,
      );
    },
    /**
     * POST /integrations/teams/messages (public: the Bot Framework calls it). 401 for an activity that is not the
     * channel's (or a replay); 200 otherwise, a click's outcome on the card (Action.Execute) or under it (Submit).
     */
    async activity(activity: TeamsActivity, authorization: string | undefined, ip?: string): Promise<{ status: number; body: unknown }> {
      const received = await integration.receive((stored) => verifier.verify({ appId: stored.app_id, appPassword: passwordOf(stored), tenantId: stored.tenant_id }, authorization, activity), ip);
      if (!('stored' in received)) return { status: received.status, body: { detail: received.detail } };
      const click = clickOf(activity);
      // other activities (the bot added to a team, a message typed to it) need no answer
      if (!click) return { status: 200, body: {} };
      return decideFromClick(received.stored, activity, click, ip);
    },
  };
}

/**
 * Microsoft Teams as an integration (provider "teams", one per installation), the same gate as Slack
 * (slack-service.ts): approval requests are posted to a configured conversation as Adaptive Cards (teams-cards.ts)
 * through the Bot Framework connector (teams-connector.ts); a click comes back to the bot's messaging endpoint as an
 * activity, verified with Microsoft's Bot Framework authentication (teams-activity-verifier.ts: the channel's JWT,
 * audience the app id, each activity once), mapped to the Skyflo user with the same e-mail (the conversation member's
 * e-mail, read from the connector as TeamsInfo.getMember does; the activity's own fields are not trusted for it), and
 * decided through the agent service's prepareDecision: visibility, APPROVAL_POLICY, four-eyes, the stored args_hash
 * and diff_hash. A refusal is shown on the card to the clicker (the invoke answer); an accepted decision, made on any
 * engine process or anywhere else (Command Center, Slack, terminal), updates the card for everyone. Every click is in
 * the audit trail. The app password is sealed with the engine's key; only its last four characters are shown.
 */
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { AgentService } from '../../agent/create-agent-service.ts';
import { AgentRequestError } from '../../errors/agent-request-error.ts';
import { isDecisionOutcome, type TeamEventSink } from '../../team-events/team-event.ts';
import type { ApprovalStore, AuditLog, AuthenticatedUser, ExpiringSettings, SettingsStore, UserStore } from '../../ports/index.ts';
import { IntegrationError, requireIntegrationAdmin } from '../integration-service.ts';
import type { CheckIntegrationUrl } from '../integration-url-guard.ts';
import { requestFacts } from '../slack/slack-message-map.ts';
import { createTeamsActivityVerifier, type TeamsActivity } from './teams-activity-verifier.ts';
import { createTeamsCardMap, type PostedCard } from './teams-card-map.ts';
import { approvalRequestCard, cardActivity, decidedCard, invokeCardResponse, refusedCard, type CardActionData, type CardFacts } from './teams-cards.ts';
import { createTeamsConnector, TeamsApiError, type TeamsConnector } from './teams-connector.ts';

export const TEAMS_SETTINGS_KEY = 'integration.teams';
const DEFAULT_SERVICE_URL = 'https://smba.trafficmanager.net/teams/';
const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';

interface StoredTeams {
  id: string;
  name: string;
  app_id: string;
  tenant_id: string;
  conversation_id: string;
  service_url: string;
  login_url: string;
  sealed: string;
  app_password_last4: string;
  status: 'active' | 'disabled';
  created_at: string;
  updated_at: string;
}

export interface TeamsIntegrationView {
  id: string;
  provider: 'teams';
  name: string;
  metadata: { app_id: string; tenant_id: string; conversation_id: string; service_url: string; login_url: string };
  status: 'active' | 'disabled';
  credentials: { set: true; app_password_last4: string };
  created_at: string;
  updated_at: string;
}

export interface CreateTeamsInput {
  name: string;
  appId: string;
  tenantId: string;
  conversationId: string;
  serviceUrl?: string;
  loginUrl?: string;
  appPassword: string;
}

export interface TeamsServiceDeps {
  settings: SettingsStore & ExpiringSettings;
  secretBox: SecretBox;
  audit: AuditLog;
  users: Pick<UserStore, 'findByEmail'>;
  approvals: Pick<ApprovalStore, 'get'>;
  checkUrl: CheckIntegrationUrl;
  /** the pinned fetch of integration-egress.ts */
  fetch: typeof fetch;
  /** TEAMS_OPENID_METADATA_URL: where the channel's signing keys are published (default Microsoft's) */
  openIdMetadataUrl: string;
  agent: () => Pick<AgentService, 'prepareDecision'> | undefined;
  conversationUrl(conversationId: string): string;
  now?: () => Date;
  logger?: { error(object: unknown, message?: string): void };
}

const sealContext = (id: string, appId: string) => `teams:${id}:${appId}`;
const toView = (stored: StoredTeams): TeamsIntegrationView => ({
  id: stored.id,
  provider: 'teams',
  name: stored.name,
  metadata: { app_id: stored.app_id, tenant_id: stored.tenant_id, conversation_id: stored.conversation_id, service_url: stored.service_url, login_url: stored.login_url },
  status: stored.status,
  credentials: { set: true, app_password_last4: stored.app_password_last4 },
  created_at: stored.created_at,
  updated_at: stored.updated_at,
});
/** "19:abc@thread.tacv2;messageid=123" (a reply thread in a channel) is the channel "19:abc@thread.tacv2" */
const baseConversation = (id: string | undefined) => (id ?? '').split(';')[0]!;

export type TeamsService = ReturnType<typeof createTeamsService>;

export function createTeamsService(deps: TeamsServiceDeps) {
  const now = deps.now ?? (() => new Date());
  const cards = createTeamsCardMap(deps.settings);
  const verifier = createTeamsActivityVerifier({ openIdMetadataUrl: deps.openIdMetadataUrl, settings: deps.settings, now, ...(deps.logger ? { logger: deps.logger } : {}) });
  const connectors = new Map<string, TeamsConnector>();

  const load = async (): Promise<StoredTeams | undefined> => ((await deps.settings.get(TEAMS_SETTINGS_KEY)) ?? undefined) as StoredTeams | undefined;
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

  const sink: TeamEventSink = {
    name: 'teams',
    async deliver(event) {
      if (event.type === 'schedule.completed') {
        // a scheduled check's result, where its schedule asked for Teams (issue 81): what changed since the last run
        const stored = await load();
        if (!stored || stored.status !== 'active') return;
        const link = deps.conversationUrl(event.conversation_id);
        await connectorOf(stored).send(stored.conversation_id, { type: 'message', textFormat: 'markdown', text: `**Scheduled check: [${event.schedule ?? 'open the conversation'}](${link})**\n\n${(event.conclusion ?? '').slice(0, 2800)}` });
        return;
      }
      if (event.type === 'freeze.break_glass') {
        const stored = await load();
        if (!stored || stored.status !== 'active') return;
        const link = deps.conversationUrl(event.conversation_id);
        await connectorOf(stored).send(stored.conversation_id, { type: 'message', textFormat: 'markdown', text: `**Break-glass: [${event.tool ?? 'a call'}](${link})**\n\n${(event.summary ?? '').slice(0, 2800)}` });
        return;
      }
      if (event.type !== 'approval.requested' && event.type !== 'approval.decided') return;
      const stored = await load();
      if (!stored || stored.status !== 'active' || !event.call_id) return;
      const link = deps.conversationUrl(event.conversation_id);
      const connector = connectorOf(stored);
      if (event.type === 'approval.requested') {
        if (await cards.get(event.conversation_id, event.call_id)) return;
        const record = await deps.approvals.get(event.conversation_id, event.call_id);
        const request: CardFacts = { ...requestFacts(event), ...(record?.cluster?.name ? { cluster: record.cluster.name } : {}) };
        const sent = await connector.send(stored.conversation_id, cardActivity(approvalRequestCard(request, link), `Skyflo: ${request.tool ?? 'a call'} waits for approval`));
        await cards.remember(event.conversation_id, event.call_id, { conversation: stored.conversation_id, activity_id: sent.id, request, decided: false });
        await deps.audit.record({ action: 'teams.posted', subjectType: 'tool_call', subjectId: event.call_id, conversationId: event.conversation_id, details: { conversation_id: event.conversation_id, call_id: event.call_id, tool: event.tool, teams_conversation: stored.conversation_id, activity_id: sent.id } });
        return;
      }
      if (!isDecisionOutcome(event.outcome)) return;
      const entry = await cards.get(event.conversation_id, event.call_id);
      if (!entry || entry.decided || !(await cards.markDecided(event.conversation_id, event.call_id, entry))) return;
      await connector.update(entry.conversation, entry.activity_id, cardActivity(decidedCard(entry.request, event.outcome, event.decided_by?.email ?? 'someone', link, event.reason), `Skyflo: ${entry.request.tool ?? 'a call'} ${event.outcome}`));
    },
  };

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
    const link = deps.conversationUrl(conversationId);
    const record = conversationId && callId ? await deps.approvals.get(conversationId, callId) : undefined;
    const posted = conversationId && callId ? await cards.get(conversationId, callId) : undefined;
    const request: CardFacts = posted?.request ?? requestFacts({ type: 'approval.requested', at: now().getTime(), conversation_id: conversationId, conversation_url: link, call_id: callId, ...(record ? { tool: record.tool, ...(record.diff ? { diff: record.diff } : {}), risks: record.risks, ...(record.policyReason ? { policy_reason: record.policyReason } : {}) } : {}) });

    const refuse = async (reason: string, audit: Record<string, unknown>, actorId?: string) => {
      await deps.audit.record({ ...(actorId ? { actorId } : {}), action: 'teams.click_refused', subjectType: 'teams_user', subjectId: teamsUser, details: { teams_user: teamsUser, verb: click.verb, reason, ...audit }, ...(ip ? { ip } : {}) });
      if (click.invoke) return { status: 200, body: invokeCardResponse(refusedCard(request, reason, link)) };
      // Action.Submit has no answer card: the refusal is a reply under the card
      if (activity.replyToId) await connector.send(stored.conversation_id, { type: 'message', text: `Skyflo did not record the decision of ${activity.from?.name ?? 'a user'}: ${reason}`, replyToId: activity.replyToId }).catch(() => undefined);
      return { status: 200, body: {} };
    };

    if (click.verb !== 'approve' && click.verb !== 'deny') return refuse('unknown action', {});
    if (!conversationId || !callId) return refuse('the card carries no call', {});
    const about = { conversation_id: conversationId, call_id: callId };
    if (baseConversation(activity.conversation?.id) !== stored.conversation_id) return refuse('the card is not in the Teams conversation Skyflo posts to', { ...about, teams_conversation: activity.conversation?.id ?? null });
    let email: string | undefined;
    try {
      email = activity.from?.id ? await connector.emailOf(stored.conversation_id, activity.from.id) : undefined;
    } catch (error) {
      // Microsoft's connector is down or refused: say so on the card (not a database outage, not a bare 500)
      return refuse(`Teams could not be asked who clicked (${error instanceof Error ? error.message : String(error)}); try again in a moment, or decide in the Command Center.`, { ...about, code: error instanceof TeamsApiError ? error.code : 'TEAMS_UNAVAILABLE' });
    }
    const account = email ? await deps.users.findByEmail(email) : undefined;
    if (!account || !account.isActive) {
      return refuse(`your Teams account${email ? ` (${email})` : ''} has no active Skyflo account with the same e-mail; decide in the Command Center instead.`, { ...about, email: email ?? null });
    }
    const user: AuthenticatedUser = { id: account.id, email: account.email, role: account.role };
    const agent = deps.agent();
    if (!agent) return refuse('the agent is still starting; try again in a moment.', about, user.id);
    const approve = click.verb === 'approve';
    try {
      // Teams does not authenticate who clicked (the activity's `from` is a body field its token does not cover): the
      // decision counts that click as nobody's second pair of eyes (tool-calls/decide unverifiedClickerRule).
      const run = await agent.prepareDecision({ user, conversationId, callId, approve, ...(approve && record ? { argsHash: record.argsHash } : {}), ...(record?.diffHash ? { diffHash: record.diffHash } : {}), reason: 'decided in Teams', unverifiedClicker: 'Teams', ...(ip ? { ip } : {}) });
      void run.start();
    } catch (error) {
      if (error instanceof AgentRequestError) return refuse(error.message, { ...about, code: error.code }, user.id);
      throw error;
    }
    await deps.audit.record({ actorId: user.id, action: 'teams.click_accepted', subjectType: 'tool_call', subjectId: callId, conversationId, details: { ...about, teams_user: teamsUser, email, decision: approve ? 'approved' : 'denied' }, ...(ip ? { ip } : {}) });
    const decided = decidedCard(request, approve ? 'approved' : 'denied', user.email, link);
    // the card as posted; else (posted before the map kept it) the card clicked
    const entry: PostedCard | undefined = posted ?? (activity.replyToId ? { conversation: stored.conversation_id, activity_id: activity.replyToId, request, decided: false } : undefined);
    if (entry && !entry.decided && (await cards.markDecided(conversationId, callId, entry))) {
      // the decision is made: a connector that fails now leaves the posted card behind, not the decision (the clicker
      // still gets the decided card in the invoke answer)
      await connector.update(entry.conversation, entry.activity_id, cardActivity(decided, `Skyflo: ${request.tool ?? 'a call'} ${approve ? 'approved' : 'denied'}`)).catch((error: unknown) => deps.logger?.error({ err: error, call_id: callId }, 'could not update the Teams card of a decided call'));
    }
    return { status: 200, body: click.invoke ? invokeCardResponse(decided) : {} };
  }

  return {
    sink,
    async view(): Promise<TeamsIntegrationView | undefined> {
      const stored = await load();
      return stored ? toView(stored) : undefined;
    },
    async create(actor: AuthenticatedUser, input: CreateTeamsInput, ip?: string): Promise<TeamsIntegrationView> {
      requireIntegrationAdmin(actor);
      if (await load()) throw new IntegrationError('ALREADY_EXISTS', 'a Teams integration already exists; delete it first to connect another bot', 409);
      const serviceUrl = input.serviceUrl ?? DEFAULT_SERVICE_URL;
      const loginUrl = input.loginUrl ?? DEFAULT_LOGIN_URL;
      for (const [url, what] of [[serviceUrl, 'the Bot Framework service URL'], [loginUrl, "Microsoft's login URL"]] as const) {
        const refusal = await deps.checkUrl(url);
        if (refusal) throw new IntegrationError('INVALID_URL', `${refusal}; use ${what}.`, 400);
      }
      const id = randomUUID();
      const at = now().toISOString();
      const stored: StoredTeams = { id, name: input.name, app_id: input.appId, tenant_id: input.tenantId, conversation_id: input.conversationId, service_url: serviceUrl, login_url: loginUrl, sealed: deps.secretBox.seal(JSON.stringify({ app_password: input.appPassword }), sealContext(id, input.appId)), app_password_last4: input.appPassword.slice(-4), status: 'active', created_at: at, updated_at: at };
      await deps.settings.put(TEAMS_SETTINGS_KEY, stored);
      await deps.audit.record({ actorId: actor.id, action: 'integration.created', subjectType: 'integration', subjectId: id, details: { provider: 'teams', name: input.name, app_id: input.appId, tenant_id: input.tenantId, conversation_id: input.conversationId, service_url: serviceUrl, login_url: loginUrl, app_password_last4: stored.app_password_last4 }, ...(ip ? { ip } : {}) });
      return toView(stored);
    },
    /** POST /integrations/:id/test: a token for the bot, and a short test card in the conversation. Undefined when `id` is not Teams. */
    async test(id: string): Promise<{ ok: boolean; latencyMs: number; user?: string; error?: string } | undefined> {
      const stored = await load();
      if (!stored || stored.id !== id) return undefined;
      const started = now().getTime();
      try {
        const connector = connectorOf(stored);
        await connector.token();
        await connector.send(stored.conversation_id, { type: 'message', text: 'Skyflo test: approval requests will be posted in this conversation.' });
        return { ok: true, latencyMs: now().getTime() - started, user: `bot ${stored.app_id}` };
      } catch (error) {
        return { ok: false, latencyMs: now().getTime() - started, error: error instanceof Error ? error.message : String(error) };
      }
    },
    async remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<boolean> {
      const stored = await load();
      if (!stored || stored.id !== id) return false;
      requireIntegrationAdmin(actor);
      await deps.settings.put(TEAMS_SETTINGS_KEY, null);
      connectors.clear();
      await deps.audit.record({ actorId: actor.id, action: 'integration.deleted', subjectType: 'integration', subjectId: id, details: { provider: 'teams', name: stored.name }, ...(ip ? { ip } : {}) });
      return true;
    },
    /**
     * POST /integrations/teams/messages (public: the Bot Framework calls it). 401 for an activity that is not the
     * channel's (or a replay); 200 otherwise, a click's outcome on the card (Action.Execute) or under it (Submit).
     */
    async activity(activity: TeamsActivity, authorization: string | undefined, ip?: string): Promise<{ status: number; body: unknown }> {
      const stored = await load();
      if (!stored || stored.status !== 'active') return { status: 404, body: { detail: 'Teams is not connected to this Skyflo' } };
      const problem = await verifier.verify({ appId: stored.app_id, appPassword: passwordOf(stored), tenantId: stored.tenant_id }, authorization, activity);
      if (problem) {
        await deps.audit.record({ action: 'teams.request_rejected', subjectType: 'integration', subjectId: stored.id, details: { reason: problem }, ...(ip ? { ip } : {}) });
        return { status: 401, body: { detail: problem } };
      }
      const click = clickOf(activity);
      // other activities (the bot added to a team, a message typed to it) need no answer
      if (!click) return { status: 200, body: {} };
      return decideFromClick(stored, activity, click, ip);
    },
  };
}

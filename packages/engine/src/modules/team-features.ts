/**
 * The team features in one place for the composition root (create-engine.ts): API tokens for automation, the
 * per-user notification stream and the team-event dispatcher that feeds it and the sinks (webhooks, Slack, Teams).
 */
import type { AgentEvent } from '@skyflo/protocol';
import { createApiTokenService, type ApiTokenService } from '../app/accounts/api-token-service.ts';
import type { LocalLoginPolicy } from '../app/accounts/local-login.ts';
import type { ApprovalPolicyName } from '../domain/tool-calls/decide/decision-authority.ts';
import type { MountedRoutes } from '../http/app.ts';
import { apiTokenRoutes, type ApiTokenRouteDeps } from '../http/routes/auth-tokens/index.ts';
import { notificationRoutes, type NotificationRouteDeps } from '../http/routes/notifications/index.ts';
import type { EventBus, PlatformStorage } from '../platform/ports/index.ts';
import type { SecretBox } from '../platform/crypto/secret-box.ts';
import type { ResolveHost } from '../app/integrations/integration-url-guard.ts';
import { createIntegrationEgress } from '../app/integrations/integration-egress.ts';
import { createWebhookService, type WebhookService } from '../app/integrations/webhook/webhook-service.ts';
import { createWebhookSink, type WebhookSink } from '../app/integrations/webhook/webhook-sink.ts';
import { createSlackService, type SlackService } from '../adapters/chat/slack/slack-service.ts';
import { slackInteractionRoutes, type SlackInteractionRouteDeps } from '../http/routes/integrations/slack-interactions.ts';
import { createTeamsService, type TeamsService } from '../adapters/chat/teams/teams-service.ts';
import { BOT_FRAMEWORK_OPENID_METADATA_URL } from '../adapters/chat/teams/teams-activity-verifier.ts';
import { teamsMessageRoutes, type TeamsMessageRouteDeps } from '../http/routes/integrations/teams-messages.ts';
import type { AgentService } from '../app/agent/create-agent-service.ts';
import { createAlertInvestigator } from '../app/alerts/alert-investigator.ts';
import { alertRoutes, type AlertRouteDeps } from '../http/routes/alerts/index.ts';
import { pagerDutyAlertRoutes, type PagerDutyRouteDeps } from '../http/routes/alerts/pagerduty.ts';
import { createPagerDutyNotesSink } from '../app/alerts/pagerduty/pagerduty-notes.ts';
import type { Config } from '../platform/config/index.ts';
import type { IntegrationsConfig } from '../platform/config/integrations.ts';
import { createUserNotificationHub, type UserNotificationHub } from '../app/team-events/user-notification-hub.ts';
import { createTeamEventDispatcher, type TeamEventDispatcher } from '../app/team-events/team-event-dispatcher.ts';
import type { TeamEventSink } from '../app/team-events/team-event.ts';
import { createPublicUrlService, type PublicUrlService } from '../app/public-url/public-url-service.ts';
import { publicUrlRoutes, type PublicUrlRouteDeps } from '../http/routes/settings/public-url.ts';
import type { PasskeyApprovals } from '../domain/passkeys/passkey-approvals.ts';
import type { DecisionFactsGatherer } from '../domain/tool-calls/decide/gather-facts.ts';

export interface TeamFeaturesDeps {
  storage: PlatformStorage;
  bus: EventBus;
  policy: { policy: ApprovalPolicyName; fourEyes: boolean };
  /** PUBLIC_URL: links in notifications point there; without it, the stored public address (public-url/) */
  publicUrl?: string;
  heartbeatMs: number;
  /** seals webhook secrets (the engine's encryption key) */
  secretBox: SecretBox;
  /** how webhook and Slack host names resolve, for the URL guard and for connecting (default: the system's DNS) */
  resolveHost?: ResolveHost;
  /** webhook retries: attempts and first delay (default 5, 1 s, doubling) */
  webhookRetry?: { maxAttempts: number; baseDelayMs: number };
  /** the agent service, once the composition root has it: Slack decisions go through its prepareDecision */
  agent: () => Pick<AgentService, 'prepareDecision' | 'prepareChat'> | undefined;
  /** TEAMS_OPENID_METADATA_URL: where the Bot Framework channel publishes its signing keys (default Microsoft's) */
  teamsOpenIdMetadataUrl?: string;
  /** issue 35: which calls need a passkey (their Slack button opens the approval page instead of deciding) */
  passkeys?: () => PasskeyApprovals | undefined;
  /** LOCAL_LOGIN and the break-glass admin: with local accounts off, their API tokens are refused (issue 74 item 7) */
  localLogin?: LocalLoginPolicy;
  /** what a decision reads about a call (tool-calls/decide/gather-facts.ts), once the composition root has it */
  decisionFacts?: () => DecisionFactsGatherer | undefined;
  /** ALERT_MAX_CONCURRENT_INVESTIGATIONS (default 2) */
  alertConcurrency?: number;
  /** ALERT_QUEUE_LIMIT (default 20) */
  alertQueueLimit?: number;
  /** ALERT_REINVESTIGATE (default on_change) */
  alertReinvestigate?: import('../app/alerts/alert-investigator.ts').Reinvestigate;
  /** PAGERDUTY_*: incidents open investigations, conclusions go back as incident notes */
  pagerDuty?: IntegrationsConfig['pagerDuty'];
  logger: { error(object: unknown, message?: string): void; warn(object: unknown, message?: string): void };
}

export interface TeamFeatures {
  apiTokens: ApiTokenService;
  hub: UserNotificationHub;
  notifier: TeamEventDispatcher;
  /** give to the agent service: sees every run event */
  observeEvent(event: AgentEvent): void;
  /** mounted under /api/v1 behind the auth hook */
  routes: MountedRoutes<any>[];
  /** adds a sink (webhooks, Slack) */
  addSink(sink: TeamEventSink): void;
  webhooks: WebhookService;
  webhookSink: WebhookSink;
  slack: SlackService;
  teams: TeamsService;
  alerts: ReturnType<typeof createAlertInvestigator>;
  /** the address links point to (load() before serving) */
  publicUrl: PublicUrlService;
  /** lets investigations, notifications and deliveries in progress finish (queued investigations stay queued) */
  close(): Promise<void>;
}

/** The team features' settings from the configuration (PUBLIC_URL, TEAMS_OPENID_METADATA_URL, ALERT_*, PAGERDUTY_*). */
export function teamFeaturesConfig(config: Pick<Config, 'server' | 'agent' | 'integrations'>) {
  const { server, integrations } = config;
  return {
    heartbeatMs: config.agent.heartbeatMs,
    ...(server.publicUrl ? { publicUrl: server.publicUrl } : {}),
    ...(integrations.teamsOpenIdMetadataUrl ? { teamsOpenIdMetadataUrl: integrations.teamsOpenIdMetadataUrl } : {}),
    alertConcurrency: integrations.alertMaxConcurrentInvestigations,
    alertQueueLimit: integrations.alertQueueLimit,
    alertReinvestigate: integrations.alertReinvestigate,
    ...(integrations.pagerDuty ? { pagerDuty: integrations.pagerDuty } : {}),
  } satisfies Partial<TeamFeaturesDeps>;
}

export function createTeamFeatures(deps: TeamFeaturesDeps): TeamFeatures {
  const apiTokens = createApiTokenService({ tokens: deps.storage.apiTokens, users: deps.storage.users, audit: deps.storage.audit, logger: deps.logger, ...(deps.localLogin ? { localLogin: deps.localLogin } : {}) });
  const hub = createUserNotificationHub({ bus: deps.bus, logger: deps.logger });
  const egress = createIntegrationEgress(deps.resolveHost ? { resolve: deps.resolveHost } : {});
  const checkUrl = egress.checkUrl;
  const webhooks = createWebhookService({ store: deps.storage.webhooks, secretBox: deps.secretBox, audit: deps.storage.audit, checkUrl });
  const webhookSink = createWebhookSink({ store: deps.storage.webhooks, secretBox: deps.secretBox, audit: deps.storage.audit, fetch: egress.fetch, ...deps.webhookRetry, logger: deps.logger });
  // relative links only while no public address is known (neither PUBLIC_URL nor the first admin's browser origin)
  const publicUrl = createPublicUrlService({ settings: deps.storage.settings, audit: deps.storage.audit, ...(deps.publicUrl ? { environment: deps.publicUrl } : {}), logger: deps.logger });
  const conversationUrl = (id: string) => `${publicUrl.base()}/chat/${id}`;
  // Slack and Teams are both chat integrations (integrations/chat-approvals/): the same dependencies
  const chat = { settings: deps.storage.settings, secretBox: deps.secretBox, audit: deps.storage.audit, users: deps.storage.users, approvals: deps.storage.approvals, checkUrl, fetch: egress.fetch, agent: deps.agent, conversationUrl, logger: deps.logger };
  const slack = createSlackService({ ...chat, ...(deps.passkeys ? { passkeys: deps.passkeys } : {}) });
  const teams = createTeamsService({ ...chat, openIdMetadataUrl: deps.teamsOpenIdMetadataUrl ?? BOT_FRAMEWORK_OPENID_METADATA_URL });
  const sinks: TeamEventSink[] = [webhookSink, slack.sink, teams.sink];
  const pagerDuty = deps.pagerDuty;
  if (pagerDuty?.notes) sinks.push(createPagerDutyNotesSink({ apiUrl: pagerDuty.apiUrl, ...pagerDuty.notes, conversations: deps.storage.conversations, audit: deps.storage.audit, fetch: egress.fetch, logger: deps.logger }));
  const notifier = createTeamEventDispatcher({
    conversations: deps.storage.conversations,
    approvals: deps.storage.approvals,
    users: deps.storage.users,
    hub,
    sinks: () => sinks,
    policy: deps.policy,
    ...(deps.decisionFacts ? { decisionFacts: deps.decisionFacts } : {}),
    conversationUrl,
    logger: deps.logger,
  });
  const alerts = createAlertInvestigator({
    conversations: deps.storage.conversations,
    settings: deps.storage.settings,
    queue: deps.storage.alertQueue,
    users: deps.storage.users,
    audit: deps.storage.audit,
    agent: deps.agent,
    announce: (event) => notifier.announce(event),
    conversationUrl,
    maxConcurrent: deps.alertConcurrency ?? 2,
    queueLimit: deps.alertQueueLimit ?? 20,
    ...(deps.alertReinvestigate ? { reinvestigate: deps.alertReinvestigate } : {}),
    logger: deps.logger,
  });
  return {
    apiTokens,
    hub,
    notifier,
    observeEvent: (event) => {
      // undici loads on first use (start-up time); a run's first event is the cue, well before its notifications
      egress.warm();
      notifier.observe(event);
    },
    routes: [
      { plugin: apiTokenRoutes, options: { apiTokens } satisfies ApiTokenRouteDeps },
      { plugin: notificationRoutes, options: { hub, heartbeatMs: deps.heartbeatMs } satisfies NotificationRouteDeps },
      { plugin: slackInteractionRoutes, options: { slack } satisfies SlackInteractionRouteDeps },
      { plugin: teamsMessageRoutes, options: { teams } satisfies TeamsMessageRouteDeps },
      { plugin: alertRoutes, options: { investigator: alerts } satisfies AlertRouteDeps },
      { plugin: pagerDutyAlertRoutes, options: { investigator: alerts, users: deps.storage.users, settings: deps.storage.settings, ...(pagerDuty ? { config: { webhookSecrets: pagerDuty.webhookSecrets, runAs: pagerDuty.runAs } } : {}) } satisfies PagerDutyRouteDeps },
      { plugin: publicUrlRoutes, options: { publicUrl } satisfies PublicUrlRouteDeps },
    ],
    addSink: (sink) => void sinks.push(sink),
    webhooks,
    webhookSink,
    slack,
    teams,
    alerts,
    publicUrl,
    async close() {
      await alerts.close();
      await notifier.flush();
      await webhookSink.close();
      await egress.close();
    },
  };
}

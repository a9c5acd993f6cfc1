/**
 * A chat connected as an integration (Slack, Teams: one per installation), once for every chat: the stored
 * integration (settings, credentials sealed with the engine's key), its view, create / test / remove by an admin with
 * the audit, the team-event sink (approval requests through the chat approvals, chat-approval-service.ts, and the
 * notices the chat posts), and the first steps of an inbound request (connected, then verified by the chat, or refused
 * with the audit). The chat's adapter (slack/slack-service.ts, teams/teams-service.ts) supplies the platform.
 */
import { randomUUID } from 'node:crypto';
import type { SecretBox } from '../../../platform/crypto/secret-box.ts';
import type { AuthenticatedUser, ExpiringSettings, SettingsStore } from '../../../platform/ports/index.ts';
import type { TeamEvent, TeamEventSink } from '../../team-events/team-event.ts';
import { IntegrationError, requireIntegrationAdmin } from '../integration-service.ts';
import type { CheckIntegrationUrl } from '../integration-url-guard.ts';
import { createChatApprovalService, type ChatApprovalChannel, type ChatApprovalDeps, type ChatConnection } from './chat-approval-service.ts';
import type { PostedApproval } from './posted-approvals.ts';

/** what every stored chat integration has (the chat adds its own fields and sealed credentials) */
export interface StoredChatIntegration {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  created_at: string;
  updated_at: string;
}

/** what the admin sees of a chat integration (the credentials only as their last characters) */
export interface ChatIntegrationView<Provider extends string, Metadata, Credentials> {
  id: string;
  provider: Provider;
  name: string;
  metadata: Metadata;
  status: 'active' | 'disabled';
  credentials: { set: true } & Credentials;
  created_at: string;
  updated_at: string;
}

export const chatIntegrationView = <Provider extends string, Metadata, Credentials>(provider: Provider, stored: StoredChatIntegration, metadata: Metadata, credentials: Credentials): ChatIntegrationView<Provider, Metadata, Credentials> => ({
  id: stored.id,
  provider,
  name: stored.name,
  metadata,
  status: stored.status,
  credentials: { set: true, ...credentials },
  created_at: stored.created_at,
  updated_at: stored.updated_at,
});

/** The configured workspace, beyond the approvals. */
export interface ChatWorkspace<Posted extends PostedApproval> extends ChatConnection<Posted> {
  /** posts the notice of a team event the platform lists in `notices` */
  notify(event: TeamEvent, link: string): Promise<void>;
  /** checks the credentials and posts a short test message; who the bot is, for the admin */
  selfTest(): Promise<string>;
}

export interface ChatPlatform<Stored extends StoredChatIntegration, Posted extends PostedApproval, View> extends ChatApprovalChannel {
  /** the settings key the integration is stored under */
  settingsKey: string;
  /** what a second integration would connect, in the refusal: 'workspace', 'bot' */
  connects: string;
  /** the team events other than approvals the chat posts a notice of (a scheduled check's result, a break-glass) */
  notices: ReadonlySet<TeamEvent['type']>;
  toView(stored: Stored): View;
  connect(stored: Stored): ChatWorkspace<Posted>;
  /** after the integration is deleted (a cache of clients to drop) */
  removed?(): void;
}

export interface ChatIntegrationDeps extends Omit<ChatApprovalDeps, 'settings' | 'now'> {
  settings: SettingsStore;
  now?: () => Date;
}

/** what a chat's service (Slack, Teams) is given by the composition root (modules/team-features.ts) */
export interface ChatServiceDeps extends ChatIntegrationDeps {
  settings: SettingsStore & ExpiringSettings;
  /** seals the credentials with the engine's key */
  secretBox: SecretBox;
  checkUrl: CheckIntegrationUrl;
  /** the pinned fetch of integration-egress.ts */
  fetch: typeof fetch;
}

export function createChatIntegration<Stored extends StoredChatIntegration, Posted extends PostedApproval, View>(platform: ChatPlatform<Stored, Posted, View>, deps: ChatIntegrationDeps) {
  const now = deps.now ?? (() => new Date());
  const approvals = createChatApprovalService<Posted>(platform, { ...deps, now });
  const load = async (): Promise<Stored | undefined> => ((await deps.settings.get(platform.settingsKey)) ?? undefined) as Stored | undefined;

  const sink: TeamEventSink = {
    name: platform.name,
    async deliver(event) {
      const approval = event.type === 'approval.requested' || event.type === 'approval.decided';
      if (!approval && !platform.notices.has(event.type)) return;
      const stored = await load();
      if (!stored || stored.status !== 'active') return;
      if (!approval) return platform.connect(stored).notify(event, deps.conversationUrl(event.conversation_id));
      if (event.call_id) await approvals.deliver(event, platform.connect(stored));
    },
  };

  return {
    sink,
    approvals,
    async view(): Promise<View | undefined> {
      const stored = await load();
      return stored ? platform.toView(stored) : undefined;
    },
    /** `build`: the stored integration (URLs checked, credentials sealed) and what the audit says of it beyond its name */
    async create(actor: AuthenticatedUser, build: (id: string, at: string) => Promise<{ stored: Stored; details: Record<string, unknown> }>, ip?: string): Promise<View> {
      requireIntegrationAdmin(actor);
      if (await load()) throw new IntegrationError('ALREADY_EXISTS', `a ${platform.label} integration already exists; delete it first to connect another ${platform.connects}`, 409);
      const { stored, details } = await build(randomUUID(), now().toISOString());
      await deps.settings.put(platform.settingsKey, stored);
      await deps.audit.record({ actorId: actor.id, action: 'integration.created', subjectType: 'integration', subjectId: stored.id, details: { provider: platform.name, name: stored.name, ...details }, ...(ip ? { ip } : {}) });
      return platform.toView(stored);
    },
    /** POST /integrations/:id/test: the credentials work and a test message is posted. Undefined when `id` is not this chat's. */
    async test(id: string): Promise<{ ok: boolean; latencyMs: number; user?: string; error?: string } | undefined> {
      const stored = await load();
      if (!stored || stored.id !== id) return undefined;
      const started = now().getTime();
      try {
        const user = await platform.connect(stored).selfTest();
        return { ok: true, latencyMs: now().getTime() - started, user };
      } catch (error) {
        return { ok: false, latencyMs: now().getTime() - started, error: error instanceof Error ? error.message : String(error) };
      }
    },
    async remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<boolean> {
      const stored = await load();
      if (!stored || stored.id !== id) return false;
      requireIntegrationAdmin(actor);
      await deps.settings.put(platform.settingsKey, null);
      platform.removed?.();
      await deps.audit.record({ actorId: actor.id, action: 'integration.deleted', subjectType: 'integration', subjectId: id, details: { provider: platform.name, name: stored.name }, ...(ip ? { ip } : {}) });
      return true;
    },
    /**
     * An inbound request from the chat: the connected integration once `verify` (the chat's own check of the request)
     * accepts it; else the status to answer (404 not connected, 401 refused, in the audit as `<chat>.request_rejected`).
     */
    async receive(verify: (stored: Stored) => Promise<string | undefined>, ip?: string): Promise<{ stored: Stored } | { status: 404 | 401; detail: string }> {
      const stored = await load();
      if (!stored || stored.status !== 'active') return { status: 404, detail: `${platform.label} is not connected to this Skyflo` };
      const problem = await verify(stored);
      if (!problem) return { stored };
      await deps.audit.record({ action: `${platform.name}.request_rejected`, subjectType: 'integration', subjectId: stored.id, details: { reason: problem }, ...(ip ? { ip } : {}) });
      return { status: 401, detail: problem };
    },
  };
}

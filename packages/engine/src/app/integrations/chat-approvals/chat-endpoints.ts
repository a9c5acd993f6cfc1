/**
 * What the HTTP routes need of each chat integration: the Slack and Teams adapters (adapters/chat) implement these,
 * modules/ passes them to the routes, and the routes never import an adapter (the engine's floors, issue 80).
 */
import type { AuthenticatedUser } from '../../../platform/ports/index.ts';
import type { ChatIntegrationView } from './chat-integration.ts';

export type SlackIntegrationView = ChatIntegrationView<'slack', { channel: string; api_url: string }, { bot_token_last4: string }>;
export type TeamsIntegrationView = ChatIntegrationView<'teams', { app_id: string; tenant_id: string; conversation_id: string; service_url: string; login_url: string }, { app_password_last4: string }>;

export interface CreateSlackInput {
  name: string;
  channel: string;
  apiUrl?: string;
  botToken: string;
  signingSecret: string;
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

/** The integration's life as the admin pages see it: one per installation. */
interface ChatIntegrationEndpoint<View, CreateInput> {
  view(): Promise<View | undefined>;
  create(actor: AuthenticatedUser, input: CreateInput, ip?: string): Promise<View>;
  /** false when `id` is not this chat's integration */
  remove(actor: AuthenticatedUser, id: string, ip?: string): Promise<boolean>;
  /** undefined when `id` is not this chat's integration */
  test(id: string): Promise<{ ok: boolean; latencyMs: number; user?: string; error?: string } | undefined>;
}

export interface SlackEndpoint extends ChatIntegrationEndpoint<SlackIntegrationView, CreateSlackInput> {
  /** a button clicked in Slack: the raw form body Slack signed, verified before anything in it is used */
  interaction(rawBody: string, headers: Record<string, string | string[] | undefined>, ip?: string): Promise<{ status: number; detail: string }>;
}

export interface TeamsEndpoint extends ChatIntegrationEndpoint<TeamsIntegrationView, CreateTeamsInput> {
  /** an activity the Bot Framework posted, with the channel's JWT; verified before anything in it is used */
  activity(activity: object, authorization: string | undefined, ip?: string): Promise<{ status: number; body: unknown }>;
}

/**
 * The typed client's routes for the workspace around the chat: session set-up, settings, team, API tokens,
 * integrations, audit and analytics (the Command Center's pages). Each answer is checked with its protocol schema
 * like every other answer of the client, so a page shows "answered something this client cannot read" instead of
 * rendering a shape it does not know. Kept apart from skyflo-client.ts, which owns the transport and the run streams.
 */
import type { z } from 'zod';
import type { AddMemberRequest, AnalyticsResponse, AuditListResponse, AuditVerifyResponse, CreateIntegrationRequest, IntegrationTestResult, LlmProvider, LlmSettings, LlmTestResult, Member, OllamaModelsResponse, UpdateIntegrationRequest, UpdateLlmSettingsRequest } from '../governance.ts';
import type { ApiToken, CreateApiTokenRequest, CreatedApiToken, CreateSlackRequest, CreateWebhookRequest, PublicUrlSettings, UpdatePublicUrlRequest } from '../notifications.ts';
import type { AnyIntegration, ApiTokensResponse, WebhookDeliveriesResponse } from '../responses.ts';
import type { Protocol, RequestInput } from './skyflo-client.ts';

/** What the routes need from the client: a checked JSON answer, or an answer whose body is not read. */
export interface RouteCaller {
  json<T>(input: RequestInput, schemaOf: (protocol: Protocol) => z.ZodType<T>): Promise<T>;
  none(input: RequestInput): Promise<void>;
}

/** a query as a record (empty values left out) or an already encoded query string */
type Query = Record<string, string | undefined> | string;
const withQuery = (path: string, query: Query = {}) => {
  const params = typeof query === 'string' ? new URLSearchParams(query) : new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  return params.size > 0 ? `${path}?${params}` : path;
};
const id = (value: string) => encodeURIComponent(value);

export interface WorkspaceRoutes {
  /** GET /auth/is_admin_user (public): whether the first admin exists, and whether creating it needs the setup token */
  isAdminUser(): Promise<z.infer<Protocol['isAdminUserResponseSchema']>>;
  /** PATCH /auth/me: your full name (only); answers the profile fields */
  updateMe(input: { full_name: string | null }): Promise<z.infer<Protocol['updateMeResponseSchema']>>;
  /** PATCH /auth/users/me/password (ends every other session) */
  changePassword(input: { current_password: string; new_password: string }): Promise<void>;
  /** POST /conversations: a new, empty conversation */
  createConversation(): Promise<z.infer<Protocol['createConversationResponseSchema']>>;

  llmSettings(): Promise<LlmSettings>;
  llmProviders(): Promise<LlmProvider[]>;
  ollamaModels(): Promise<OllamaModelsResponse>;
  testLlmSettings(input: Partial<UpdateLlmSettingsRequest>): Promise<LlmTestResult>;
  saveLlmSettings(input: UpdateLlmSettingsRequest): Promise<LlmSettings>;
  /** GET /settings/public-url: the address links in webhooks and Slack start with, and where it comes from */
  publicUrl(): Promise<PublicUrlSettings>;
  /** PUT /settings/public-url (admin): `from_browser` only fills it in while unknown */
  savePublicUrl(input: UpdatePublicUrlRequest): Promise<PublicUrlSettings>;

  apiTokens(): Promise<ApiTokensResponse>;
  createApiToken(input: CreateApiTokenRequest): Promise<CreatedApiToken>;
  revokeApiToken(tokenId: string): Promise<ApiToken>;

  members(): Promise<Member[]>;
  addMember(input: AddMemberRequest): Promise<Member>;
  setMemberRole(memberId: string, role: string): Promise<Member>;
  removeMember(memberId: string): Promise<void>;

  /** GET /integrations: Jenkins, webhooks and Slack, told apart by `provider` */
  integrations(): Promise<AnyIntegration[]>;
  createIntegration(input: CreateIntegrationRequest | CreateWebhookRequest | CreateSlackRequest): Promise<AnyIntegration>;
  updateIntegration(integrationId: string, input: UpdateIntegrationRequest): Promise<AnyIntegration>;
  deleteIntegration(integrationId: string): Promise<void>;
  testIntegration(integrationId: string): Promise<IntegrationTestResult>;
  webhookDeliveries(integrationId: string): Promise<WebhookDeliveriesResponse>;

  /** GET /audit with the page's filters (user, action, tool, conversation, from, to, limit, cursor) */
  audit(query: Query): Promise<AuditListResponse>;
  verifyAudit(): Promise<AuditVerifyResponse>;
  /** GET /analytics/metrics for a range (from, to, bucket) */
  analytics(query: Query): Promise<AnalyticsResponse>;
}

export function workspaceRoutes({ json, none }: RouteCaller): WorkspaceRoutes {
  return {
    isAdminUser: () => json({ method: 'GET', path: '/auth/is_admin_user', anonymous: true }, (p) => p.isAdminUserResponseSchema),
    updateMe: (input) => json({ method: 'PATCH', path: '/auth/me', json: input }, (p) => p.updateMeResponseSchema),
    changePassword: (input) => none({ method: 'PATCH', path: '/auth/users/me/password', json: input }),
    createConversation: () => json({ method: 'POST', path: '/conversations', json: {} }, (p) => p.createConversationResponseSchema),

    llmSettings: () => json({ method: 'GET', path: '/settings/llm' }, (p) => p.llmSettingsSchema),
    llmProviders: () => json({ method: 'GET', path: '/settings/llm/providers' }, (p) => p.llmProvidersResponseSchema),
    ollamaModels: () => json({ method: 'GET', path: '/settings/llm/ollama-models' }, (p) => p.ollamaModelsResponseSchema),
    testLlmSettings: (input) => json({ method: 'POST', path: '/settings/llm/test', json: input }, (p) => p.llmTestResultSchema),
    saveLlmSettings: (input) => json({ method: 'PUT', path: '/settings/llm', json: input }, (p) => p.llmSettingsSchema),
    publicUrl: () => json({ method: 'GET', path: '/settings/public-url' }, (p) => p.publicUrlSettingsSchema),
    savePublicUrl: (input) => json({ method: 'PUT', path: '/settings/public-url', json: input }, (p) => p.publicUrlSettingsSchema),

    apiTokens: () => json({ method: 'GET', path: '/auth/tokens' }, (p) => p.apiTokensResponseSchema),
    createApiToken: (input) => json({ method: 'POST', path: '/auth/tokens', json: input }, (p) => p.createdApiTokenSchema),
    revokeApiToken: (tokenId) => json({ method: 'DELETE', path: `/auth/tokens/${id(tokenId)}` }, (p) => p.apiTokenSchema),

    members: () => json({ method: 'GET', path: '/team/members' }, (p) => p.membersResponseSchema),
    addMember: (input) => json({ method: 'POST', path: '/team/members', json: input }, (p) => p.memberSchema),
    setMemberRole: (memberId, role) => json({ method: 'PATCH', path: `/team/members/${id(memberId)}`, json: { role } }, (p) => p.memberSchema),
    removeMember: (memberId) => none({ method: 'DELETE', path: `/team/members/${id(memberId)}` }),

    integrations: () => json({ method: 'GET', path: '/integrations' }, (p) => p.integrationListResponseSchema),
    createIntegration: (input) => json({ method: 'POST', path: '/integrations', json: input }, (p) => p.anyIntegrationSchema),
    updateIntegration: (integrationId, input) => json({ method: 'PATCH', path: `/integrations/${id(integrationId)}`, json: input }, (p) => p.anyIntegrationSchema),
    deleteIntegration: (integrationId) => none({ method: 'DELETE', path: `/integrations/${id(integrationId)}` }),
    testIntegration: (integrationId) => json({ method: 'POST', path: `/integrations/${id(integrationId)}/test` }, (p) => p.integrationTestResultSchema),
    webhookDeliveries: (integrationId) => json({ method: 'GET', path: `/integrations/${id(integrationId)}/deliveries` }, (p) => p.webhookDeliveriesResponseSchema),

    audit: (query) => json({ method: 'GET', path: withQuery('/audit', query) }, (p) => p.auditListResponseSchema),
    verifyAudit: () => json({ method: 'GET', path: '/audit/verify' }, (p) => p.auditVerifyResponseSchema),
    analytics: (query) => json({ method: 'GET', path: withQuery('/analytics/metrics', query) }, (p) => p.analyticsResponseSchema),
  };
}

/**
 * The typed client's routes for the workspace around the chat: session set-up, settings, team, API tokens,
 * integrations, audit and analytics (the Command Center's pages). Each answer is checked with its protocol schema
 * like every other answer of the client, so a page shows "answered something this client cannot read" instead of
 * rendering a shape it does not know. Kept apart from skyflo-client.ts, which owns the transport and the run streams.
 */
import type { z } from 'zod';
import type { AddMemberRequest, AnalyticsResponse, AuditListResponse, AuditVerifyResponse, AuditVerifyStreamLine, CreateIntegrationRequest, IntegrationTestResult, LlmProvider, LlmSettings, LlmTestResult, Member, OllamaModelsResponse, UpdateIntegrationRequest, UpdateLlmSettingsRequest } from '../governance.ts';
import type { ApiToken, CreateApiTokenRequest, CreatedApiToken, CreateSlackRequest, CreateTeamsRequest, CreateWebhookRequest, PublicUrlSettings, UpdatePublicUrlRequest } from '../notifications.ts';
import type { CreateExternalMcpServerRequest, ExternalMcpOauthStartResponse, ExternalMcpServer, ExternalMcpServerListResponse, ExternalMcpTestResult, UpdateExternalMcpServerRequest } from '../external-mcp.ts';
import type { AnyIntegration, ApiTokensResponse, WebhookDeliveriesResponse } from '../responses.ts';
import type { ConfirmDeviceKeyRequest, DeviceKey, DeviceKeyConfirmOptions, DeviceKeysResponse, RegisterDeviceKeyRequest } from '../device-keys.ts';
import type { ApprovalPasskeyOptions, ClusterPasskeyPolicies, ClusterPasskeyPolicyView, Passkey, PasskeyRegistrationOptions, PasskeysResponse, RegisterPasskeyRequest } from '../passkeys.ts';
import type { Protocol, RequestInput } from './skyflo-client.ts';

/** What the routes need from the client: a checked JSON answer, an answer whose body is not read, or JSON lines. */
export interface RouteCaller {
  json<T>(input: RequestInput, schemaOf: (protocol: Protocol) => z.ZodType<T>): Promise<T>;
  none(input: RequestInput): Promise<void>;
  /** an application/x-ndjson answer: each line checked with the schema and handed to `each` as it arrives */
  ndjson<T>(input: RequestInput, schemaOf: (protocol: Protocol) => z.ZodType<T>, each: (line: T) => void): Promise<void>;
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

  /** GET /integrations: Jenkins, webhooks, Slack and Teams, told apart by `provider` */
  integrations(): Promise<AnyIntegration[]>;
  createIntegration(input: CreateIntegrationRequest | CreateWebhookRequest | CreateSlackRequest | CreateTeamsRequest): Promise<AnyIntegration>;
  updateIntegration(integrationId: string, input: UpdateIntegrationRequest): Promise<AnyIntegration>;
  deleteIntegration(integrationId: string): Promise<void>;
  testIntegration(integrationId: string): Promise<IntegrationTestResult>;
  webhookDeliveries(integrationId: string): Promise<WebhookDeliveriesResponse>;

  /** POST /auth/device-keys: a terminal's Ed25519 key, pending until confirmed with a passkey */
  registerDeviceKey(input: RegisterDeviceKeyRequest): Promise<DeviceKey>;
  deviceKeys(): Promise<DeviceKeysResponse>;
  deviceKey(keyId: string): Promise<DeviceKey>;
  /** POST /auth/device-keys/:id/confirm-options: passkey options whose challenge is derived from the key */
  deviceKeyConfirmOptions(keyId: string): Promise<DeviceKeyConfirmOptions>;
  /** POST /auth/device-keys/:id/confirm: activates the key (audited, announced to the other admins) */
  confirmDeviceKey(keyId: string, input: ConfirmDeviceKeyRequest): Promise<DeviceKey>;
  removeDeviceKey(keyId: string): Promise<void>;
  /** GET /auth/passkeys: your registered passkeys */
  passkeys(): Promise<PasskeysResponse>;
  /** POST /auth/passkeys/registration-options: needs a sign-in within the last minutes (else 403 FRESH_SIGN_IN_REQUIRED) */
  passkeyRegistrationOptions(): Promise<PasskeyRegistrationOptions>;
  /** POST /auth/passkeys: stores the new passkey (audited, announced to the other admins) */
  registerPasskey(input: RegisterPasskeyRequest): Promise<Passkey>;
  removePasskey(passkeyId: string): Promise<void>;
  /** POST /approvals/:call_id/passkey-options: the assertion options whose challenge is the call's facts */
  approvalPasskeyOptions(callId: string, conversationId: string): Promise<ApprovalPasskeyOptions>;
  /** GET /clusters/passkey-policies: when an approval on each cluster needs a passkey */
  clusterPasskeyPolicies(): Promise<ClusterPasskeyPolicyView>;
  /** PUT /clusters/passkey-policies (admin) */
  saveClusterPasskeyPolicies(input: ClusterPasskeyPolicies): Promise<ClusterPasskeyPolicyView>;
  /** GET /integrations/mcp-servers (admin): the MCP servers an admin connected, their status and tools (never a secret) */
  externalMcpServers(): Promise<ExternalMcpServerListResponse>;
  /** POST /integrations/mcp-servers (admin): connects it first; refused with the reason when it cannot be reached */
  createExternalMcpServer(input: CreateExternalMcpServerRequest): Promise<ExternalMcpServer>;
  /** PATCH /integrations/mcp-servers/:id (admin): enable or disable */
  updateExternalMcpServer(serverId: string, input: UpdateExternalMcpServerRequest): Promise<ExternalMcpServer>;
  deleteExternalMcpServer(serverId: string): Promise<void>;
  /** POST /integrations/mcp-servers/:id/test (admin): connects and lists its tools now */
  testExternalMcpServer(serverId: string): Promise<ExternalMcpTestResult>;
  /** POST /integrations/mcp-servers/:id/oauth/start (admin): the authorization page to open for an OAuth server */
  startExternalMcpOauth(serverId: string): Promise<ExternalMcpOauthStartResponse>;

  /** GET /audit with the page's filters (user, action, tool, conversation, from, to, limit, cursor) */
  audit(query: Query): Promise<AuditListResponse>;
  verifyAudit(): Promise<AuditVerifyResponse>;
  /**
   * GET /audit/verify streamed (issue 79): `onLine` sees each progress line (with a checkpoint) and then the report;
   * `resume`: a progress line's checkpoint to go on from. Resolves once the answer ended.
   */
  verifyAuditStreaming(input: { resume?: string; progressEvery?: number; signal?: AbortSignal; onLine(line: AuditVerifyStreamLine): void }): Promise<void>;
  /** GET /analytics/metrics for a range (from, to, bucket) */
  analytics(query: Query): Promise<AnalyticsResponse>;
}

export function workspaceRoutes(caller: RouteCaller): WorkspaceRoutes {
  const { json, none } = caller;
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

    registerDeviceKey: (input) => json({ method: 'POST', path: '/auth/device-keys', json: input }, (p) => p.deviceKeySchema),
    deviceKeys: () => json({ method: 'GET', path: '/auth/device-keys' }, (p) => p.deviceKeysResponseSchema),
    deviceKey: (keyId) => json({ method: 'GET', path: `/auth/device-keys/${id(keyId)}` }, (p) => p.deviceKeySchema),
    deviceKeyConfirmOptions: (keyId) => json({ method: 'POST', path: `/auth/device-keys/${id(keyId)}/confirm-options`, json: {} }, (p) => p.deviceKeyConfirmOptionsSchema),
    confirmDeviceKey: (keyId, input) => json({ method: 'POST', path: `/auth/device-keys/${id(keyId)}/confirm`, json: input }, (p) => p.deviceKeySchema),
    removeDeviceKey: (keyId) => none({ method: 'DELETE', path: `/auth/device-keys/${id(keyId)}` }),
    passkeys: () => json({ method: 'GET', path: '/auth/passkeys' }, (p) => p.passkeysResponseSchema),
    passkeyRegistrationOptions: () => json({ method: 'POST', path: '/auth/passkeys/registration-options', json: {} }, (p) => p.passkeyRegistrationOptionsSchema),
    registerPasskey: (input) => json({ method: 'POST', path: '/auth/passkeys', json: input }, (p) => p.passkeySchema),
    removePasskey: (passkeyId) => none({ method: 'DELETE', path: `/auth/passkeys/${id(passkeyId)}` }),
    approvalPasskeyOptions: (callId, conversationId) => json({ method: 'POST', path: `/approvals/${id(callId)}/passkey-options`, json: { conversation_id: conversationId } }, (p) => p.approvalPasskeyOptionsSchema),
    clusterPasskeyPolicies: () => json({ method: 'GET', path: '/clusters/passkey-policies' }, (p) => p.clusterPasskeyPolicyViewSchema),
    saveClusterPasskeyPolicies: (input) => json({ method: 'PUT', path: '/clusters/passkey-policies', json: input }, (p) => p.clusterPasskeyPolicyViewSchema),
    externalMcpServers: () => json({ method: 'GET', path: '/integrations/mcp-servers' }, (p) => p.externalMcpServerListResponseSchema),
    createExternalMcpServer: (input) => json({ method: 'POST', path: '/integrations/mcp-servers', json: input }, (p) => p.externalMcpServerSchema),
    updateExternalMcpServer: (serverId, input) => json({ method: 'PATCH', path: `/integrations/mcp-servers/${id(serverId)}`, json: input }, (p) => p.externalMcpServerSchema),
    deleteExternalMcpServer: (serverId) => none({ method: 'DELETE', path: `/integrations/mcp-servers/${id(serverId)}` }),
    testExternalMcpServer: (serverId) => json({ method: 'POST', path: `/integrations/mcp-servers/${id(serverId)}/test` }, (p) => p.externalMcpTestResultSchema),
    startExternalMcpOauth: (serverId) => json({ method: 'POST', path: `/integrations/mcp-servers/${id(serverId)}/oauth/start`, json: {} }, (p) => p.externalMcpOauthStartResponseSchema),

    audit: (query) => json({ method: 'GET', path: withQuery('/audit', query) }, (p) => p.auditListResponseSchema),
    verifyAudit: () => json({ method: 'GET', path: '/audit/verify' }, (p) => p.auditVerifyResponseSchema),
    verifyAuditStreaming: ({ resume, progressEvery, signal, onLine }) =>
      caller.ndjson(
        { method: 'GET', path: withQuery('/audit/verify', { resume, progress_every: progressEvery === undefined ? undefined : String(progressEvery) }), headers: { accept: 'application/x-ndjson' }, ...(signal ? { signal } : {}) },
        (p) => p.auditVerifyStreamLineSchema,
        onLine,
      ),
    analytics: (query) => json({ method: 'GET', path: withQuery('/analytics/metrics', query) }, (p) => p.analyticsResponseSchema),
  };
}

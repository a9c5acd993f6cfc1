/**
 * What the OpenAPI document says about each route: its summary and the zod schemas (from @skyflo/protocol) of its
 * body, query and answers. Kept beside each other so one glance shows the API; the handlers still validate with
 * the same schemas themselves (their errors name the field), so these are documentation, not a second validator.
 */
import { runbookDraftSchema, scheduleInputSchema, scheduleListSchema, scheduleRunListSchema, scheduleRunSchema, scheduleSchema } from '@skyflo/protocol';
import { clusterPoliciesSchema, clustersResponseSchema, clustersUnavailableSchema, memberScopeSchema, runbookDetailSchema, runbookListSchema, runbookSummarySchema, uploadRunbookRequestSchema } from '@skyflo/protocol';
import { oidcInfoSchema, oidcLinkResponseSchema, oidcLogoutResponseSchema } from '@skyflo/protocol';
import { confirmDeviceKeyRequestSchema, deviceKeyConfirmOptionsSchema, deviceKeySchema, deviceKeysResponseSchema, registerDeviceKeyRequestSchema } from '@skyflo/protocol';
import { approvalPasskeyOptionsRequestSchema, approvalPasskeyOptionsSchema, clusterPasskeyPoliciesSchema, clusterPasskeyPolicyViewSchema, passkeyRegistrationOptionsSchema, passkeySchema, passkeysResponseSchema, registerPasskeyRequestSchema } from '@skyflo/protocol';
import { freezeInputSchema, freezeSchema, emergencyStopRequestSchema, emergencyStopStateSchema, policyEvaluateRequestSchema, policyEvaluateResponseSchema, policyInputSchema, policySchema } from '@skyflo/protocol';
import {
  addMemberRequestSchema,
  analyticsQuerySchema,
  analyticsResponseSchema,
  auditExportQuerySchema,
  auditHeadResponseSchema,
  auditListResponseSchema,
  auditQuerySchema,
  auditVerifyQuerySchema,
  auditVerifyResponseSchema,
  auditVerifySignedHeadRequestSchema,
  auditVerifySignedHeadResponseSchema,
  approvalRequestSchema, undoRequestSchema, externalCallRequestSchema, externalCallCancelSchema, externalCallStateSchema,
  chatRequestSchema,
  createConversationRequestSchema,
  createConversationResponseSchema,
  createIntegrationRequestSchema,
  integrationSchema,
  errorResponseSchema,
  publicUrlSettingsSchema,
  updatePublicUrlRequestSchema,
  integrationTestResultSchema,
  isAdminUserResponseSchema,
  listConversationsQuerySchema,
  searchConversationsQuerySchema,
  searchConversationsResponseSchema,
  listConversationsResponseSchema,
  memberSchema,
  membersResponseSchema,
  passwordChangeRequestSchema,
  pendingApprovalsResponseSchema,
  refreshIssueResponseSchema,
  registerRequestSchema,
  stopRequestSchema,
  stopResponseSchema,
  tokenResponseSchema,
  toolsResponseSchema,
  updateConversationRequestSchema,
  updateIntegrationRequestSchema,
  updateMeRequestSchema,
  updateMeResponseSchema,
  updateMemberRequestSchema,
  userReadSchema,
  adminUpdateUserRequestSchema,
  llmProvidersResponseSchema,
  llmSettingsSchema,
  llmTestResultSchema,
  ollamaModelsResponseSchema,
  testLlmSettingsRequestSchema,
  updateLlmSettingsRequestSchema,
} from '@skyflo/protocol';
import { z } from 'zod';
import { createExternalMcpServerRequestSchema, externalMcpOauthStartResponseSchema, externalMcpServerListResponseSchema, externalMcpServerSchema, externalMcpTestResultSchema, updateExternalMcpServerRequestSchema } from '@skyflo/protocol';
import { anyIntegrationSchema, apiTokenSchema, apiTokensResponseSchema, createApiTokenRequestSchema, createdApiTokenSchema, integrationListResponseSchema, webhookDeliveriesResponseSchema } from '@skyflo/protocol';
import { alertmanagerPayloadSchema, genericAlertSchema } from '../../app/alerts/alert-payloads.ts';
import { pagerDutyWebhookSchema } from '../../app/alerts/pagerduty/pagerduty-webhook.ts';

const alertOutcomeSchema = z.object({ status: z.enum(['investigating', 'queued', 'noted', 'closed', 'ignored', 'refused']), conversation_id: z.string().optional(), queued: z.literal(false).optional(), position: z.number().optional(), detail: z.string() });

export interface RouteDoc {
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** the answers, by status code: the success answer, and any error with a body of its own (the rest are errorSchema) */
  responses?: Record<number, z.ZodType | 'text/event-stream' | 'empty'>;
  /** true for routes that need no sign-in */
  public?: boolean;
}

const sse = 'text/event-stream' as const;

export const routeDocs: Record<string, RouteDoc> = {
  'GET /api/v1/health': { tag: 'health', summary: 'Liveness and component health (database, bus, MCP tools)', public: true },
  'GET /api/v1/health/database': { tag: 'health', summary: 'Database round trip', public: true },

  'GET /api/v1/auth/is_admin_user': { tag: 'auth', summary: 'Whether an admin exists yet (first-run setup)', public: true, responses: { 200: isAdminUserResponseSchema } },
  'POST /api/v1/auth/register/register': { tag: 'auth', summary: 'Create the first admin (or register, when ALLOW_REGISTRATION=true)', public: true, body: registerRequestSchema, responses: { 201: userReadSchema } },
  'POST /api/v1/auth/jwt/login': { tag: 'auth', summary: 'Sign in (form: username, password); sets HttpOnly cookies', public: true, responses: { 200: tokenResponseSchema } },
  'POST /api/v1/auth/refresh/issue': { tag: 'auth', summary: 'Issue a refresh token for the signed-in user', responses: { 200: refreshIssueResponseSchema } },
  'POST /api/v1/auth/refresh': { tag: 'auth', summary: 'Rotate a refresh token (cookie or body) for a new access token', public: true, responses: { 200: tokenResponseSchema } },
  'POST /api/v1/auth/logout': { tag: 'auth', summary: 'Revoke the refresh token and clear the cookies', public: true },
  'GET /api/v1/auth/oidc/info': { tag: 'auth', summary: 'Whether company sign-in (OIDC) is on, its name, and whether password sign-in still is', public: true, responses: { 200: oidcInfoSchema } },
  'GET /api/v1/auth/oidc/login': { tag: 'auth', summary: 'Start company sign-in: redirects to the identity provider (Authorization Code with PKCE)', public: true },
  'GET /api/v1/auth/oidc/callback': { tag: 'auth', summary: "The identity provider's redirect back: sets the session cookies, or redirects to /login?oidc_error=<code>", public: true },
  'POST /api/v1/auth/oidc/link': { tag: 'auth', summary: "Link your (signed-in) account to your company sign-in: answers the identity provider's URL to open; the provider must vouch for the same, verified e-mail. Never the break-glass account", responses: { 200: oidcLinkResponseSchema } },
  'POST /api/v1/auth/oidc/logout': { tag: 'auth', summary: "Sign out and name the identity provider's logout page, when it has one", public: true, responses: { 200: oidcLogoutResponseSchema } },
  'GET /api/v1/auth/me': { tag: 'auth', summary: 'The signed-in user', responses: { 200: userReadSchema } },
  'PATCH /api/v1/auth/me': { tag: 'auth', summary: 'Change your full name (only)', body: updateMeRequestSchema, responses: { 200: updateMeResponseSchema } },
  'PATCH /api/v1/auth/users/me/password': { tag: 'auth', summary: 'Change your password (ends every other session)', body: passwordChangeRequestSchema },
  'GET /api/v1/auth/users/:id': { tag: 'auth', summary: 'A user (admin)', responses: { 200: userReadSchema } },
  'PATCH /api/v1/auth/users/:id': { tag: 'auth', summary: 'Change a user (admin)', body: adminUpdateUserRequestSchema, responses: { 200: userReadSchema } },

  'GET /api/v1/team/members': { tag: 'team', summary: 'Team members (admin)', responses: { 200: membersResponseSchema } },
  'POST /api/v1/team/members': { tag: 'team', summary: 'Add a member with an initial password, or reactivate a removed one (admin)', body: addMemberRequestSchema, responses: { 201: memberSchema, 200: memberSchema } },
  'PATCH /api/v1/team/members/:id': { tag: 'team', summary: "Change a member's role (admin; never the last admin)", body: updateMemberRequestSchema, responses: { 200: memberSchema } },
  'DELETE /api/v1/team/members/:id': { tag: 'team', summary: 'Remove a member: soft delete that ends their sessions (admin)', responses: { 204: 'empty' } },
  'PATCH /api/v1/team/members/:id/scope': { tag: 'team', summary: 'Limit a member to clusters and namespaces (globs; {} = no limit) (admin)', body: memberScopeSchema, responses: { 200: memberSchema } },
  'GET /api/v1/clusters': { tag: 'clusters', summary: "The configured clusters in the caller's scope: reachability and why not, version, identity, approval policy (?refresh=true skips the brief cache); 503 CLUSTERS_UNAVAILABLE says why none can be listed (no kubeconfig…) and what to do", responses: { 200: clustersResponseSchema, 503: clustersUnavailableSchema } },
  'GET /api/v1/clusters/policies': { tag: 'clusters', summary: 'Approval policy per cluster and namespace pattern (admin)', responses: { 200: clusterPoliciesSchema } },
  'PUT /api/v1/clusters/policies': { tag: 'clusters', summary: 'Replace the approval policies: read_only, self, approver or four_eyes per cluster, optionally per namespace glob (admin)', body: clusterPoliciesSchema, responses: { 200: clusterPoliciesSchema } },

  'GET /api/v1/conversations': { tag: 'conversations', summary: 'Your conversations, newest first, paged by cursor, searchable', query: listConversationsQuerySchema, responses: { 200: listConversationsResponseSchema } },
  'POST /api/v1/conversations': { tag: 'conversations', summary: 'Start a conversation', body: createConversationRequestSchema, responses: { 200: createConversationResponseSchema } },
  'GET /api/v1/conversations/search': {
    tag: 'conversations',
    summary: 'Full-text search over the titles and content (messages, answers, tool calls) of the conversations you may read, newest activity first and paged by cursor, with relevance, highlighted snippets and filters',
    query: searchConversationsQuerySchema,
    responses: { 200: searchConversationsResponseSchema },
  },
  'GET /api/v1/conversations/:id': { tag: 'conversations', summary: 'A conversation with its timeline' },
  'PATCH /api/v1/conversations/:id': { tag: 'conversations', summary: 'Rename a conversation', body: updateConversationRequestSchema },
  'DELETE /api/v1/conversations/:id': { tag: 'conversations', summary: 'Delete a conversation with its runs, pending approvals and checkpoints' },

  'POST /api/v1/agent/chat': { tag: 'agent', summary: 'Send a message; streams the run as server-sent events', body: chatRequestSchema, responses: { 200: sse } },
  'POST /api/v1/agent/approvals/:call_id': { tag: 'agent', summary: 'Approve or deny a pending tool call; streams the resumed run (API tokens need approvals:write; a call whose preview failed needs approve_without_preview)', body: approvalRequestSchema, responses: { 200: sse } },
  'POST /api/v1/agent/approvals/:call_id/undo': { tag: 'agent', summary: 'Propose the inverse of an executed change (its recorded before-state) as a new call awaiting approval; streams that run', body: undoRequestSchema, responses: { 200: sse } },
  'POST /api/v1/agent/external-calls': { tag: 'agent', summary: "Propose a tool call an MCP client outside Skyflo made (skyflo mcp --confirm=skyflo) through the approval gate, in your name and a conversation of its own; answers where it stands (awaiting, with the approval page). Deciding it is POST /agent/approvals/:call_id", body: externalCallRequestSchema, responses: { 201: externalCallStateSchema } },
  'POST /api/v1/agent/external-calls/:call_id/cancel': { tag: 'agent', summary: 'Withdraw an external call you proposed while it still awaits a decision (its MCP client cancelled the task): closed as cancelled, never run. Anyone else is told it does not exist; a call already decided is left as it is', body: externalCallCancelSchema, responses: { 200: externalCallStateSchema } },
  'GET /api/v1/agent/external-calls/:call_id': { tag: 'agent', summary: 'Where an external call you proposed stands (awaiting, executed with its result, denied by whom…)', responses: { 200: externalCallStateSchema } },
  'POST /api/v1/agent/stop': { tag: 'agent', summary: 'Stop a running run (from any engine)', body: stopRequestSchema, responses: { 200: stopResponseSchema } },
  'GET /api/v1/agent/runs/:run_id/events': { tag: 'agent', summary: 'Re-attach to a run (Last-Event-ID replays what was missed)', responses: { 200: sse } },
  'GET /api/v1/agent/tools': { tag: 'agent', summary: 'The tool catalogue with annotations', responses: { 200: toolsResponseSchema } },

  'POST /api/v1/approvals/:call_id/passkey-options': { tag: 'approvals', summary: "WebAuthn assertion options for approving a call with your passkey: the challenge is base64url(sha256(canonicalJson({callId, argsHash, diffHash, cluster, expiresAt, conversationId}))); send the assertion and expires_at as `webauthn` with the approval (a session, not a token)", body: approvalPasskeyOptionsRequestSchema, responses: { 200: approvalPasskeyOptionsSchema } },
  'POST /api/v1/auth/device-keys': { tag: 'auth', summary: "Register a device key (`skyflo chat`'s Ed25519 public key, SPKI DER base64url): pending until you confirm it with your passkey at confirm_url", body: registerDeviceKeyRequestSchema, responses: { 201: deviceKeySchema } },
  'GET /api/v1/auth/device-keys': { tag: 'auth', summary: 'Your device keys (pending and active)', responses: { 200: deviceKeysResponseSchema } },
  'GET /api/v1/auth/device-keys/:id': { tag: 'auth', summary: 'One of your device keys (the CLI polls it until it is active)', responses: { 200: deviceKeySchema } },
  'POST /api/v1/auth/device-keys/:id/confirm-options': { tag: 'auth', summary: "Passkey options confirming a pending device key: the challenge is base64url(sha256(canonicalJson({purpose:'skyflo-device-key', keyId, fingerprint, userId}))) (a session, not a token)", responses: { 200: deviceKeyConfirmOptionsSchema } },
  'POST /api/v1/auth/device-keys/:id/confirm': { tag: 'auth', summary: 'Confirm a device key with the passkey assertion over it: it can then sign passkey-required approvals (audited; the other admins are notified)', body: confirmDeviceKeyRequestSchema, responses: { 200: deviceKeySchema } },
  'DELETE /api/v1/auth/device-keys/:id': { tag: 'auth', summary: 'Remove one of your device keys (audited): its signatures approve nothing any more', responses: { 204: 'empty' } },
  'GET /api/v1/auth/passkeys': { tag: 'auth', summary: 'Your registered passkeys', responses: { 200: passkeysResponseSchema } },
  'POST /api/v1/auth/passkeys/registration-options': { tag: 'auth', summary: 'WebAuthn registration options for a new passkey; needs a sign-in within the last 5 minutes (403 FRESH_SIGN_IN_REQUIRED)', responses: { 200: passkeyRegistrationOptionsSchema } },
  'POST /api/v1/auth/passkeys': { tag: 'auth', summary: 'Register the passkey the browser created (audited; the other admins are notified)', body: registerPasskeyRequestSchema, responses: { 201: passkeySchema } },
  'DELETE /api/v1/auth/passkeys/:id': { tag: 'auth', summary: 'Remove one of your passkeys (audited)', responses: { 204: 'empty' } },
  'GET /api/v1/clusters/passkey-policies': { tag: 'clusters', summary: "When approving on each cluster needs a passkey: every_approval, destructive_and_high_risk (default on clusters labelled production) or never", responses: { 200: clusterPasskeyPolicyViewSchema } },
  'PUT /api/v1/clusters/passkey-policies': { tag: 'clusters', summary: 'Set the passkey policy per cluster (admin, audited)', body: clusterPasskeyPoliciesSchema, responses: { 200: clusterPasskeyPolicyViewSchema } },
  'GET /api/v1/approvals/pending': { tag: 'approvals', summary: 'Calls waiting for a decision that you may see (across conversations in approver mode)', responses: { 200: pendingApprovalsResponseSchema } },

  'GET /api/v1/integrations': { tag: 'integrations', summary: 'Integrations: Jenkins, webhooks, Slack and Teams (metadata only; credentials are never returned)', responses: { 200: integrationListResponseSchema } },
  'POST /api/v1/integrations': { tag: 'integrations', summary: 'Add a Jenkins integration; the credentials are checked against Jenkins first (admin)', body: createIntegrationRequestSchema, responses: { 201: integrationSchema } },
  'PATCH /api/v1/integrations/:id': { tag: 'integrations', summary: 'Change, disable or re-key an integration (admin)', body: updateIntegrationRequestSchema, responses: { 200: anyIntegrationSchema } },
  'DELETE /api/v1/integrations/:id': { tag: 'integrations', summary: 'Delete an integration (admin)', responses: { 204: 'empty' } },
  'GET /api/v1/audit': { tag: 'audit', summary: 'The audit trail, newest first: filter by user, conversation, tool, action, time; paged by cursor (admin)', query: auditQuerySchema, responses: { 200: auditListResponseSchema } },
  'GET /api/v1/audit/export': { tag: 'audit', summary: 'Every matching audit record, oldest first, streamed as JSON lines or CSV (admin)', query: auditExportQuerySchema },
  'GET /api/v1/audit/verify': { tag: 'audit', summary: 'Re-walk the audit hash chain and report the first broken link; optionally check a head kept elsewhere (admin)', query: auditVerifyQuerySchema, responses: { 200: auditVerifyResponseSchema } },
  'GET /api/v1/audit/head': { tag: 'audit', summary: 'The audit chain head, signed with the engine\'s Ed25519 audit key: keep signed_head outside Skyflo (admin)', responses: { 200: auditHeadResponseSchema } },
  'POST /api/v1/audit/verify': { tag: 'audit', summary: 'Re-walk the audit hash chain and check it still holds a signed head published earlier; rewritten: true when it does not (admin)', body: auditVerifySignedHeadRequestSchema, responses: { 200: auditVerifySignedHeadResponseSchema } },
  'GET /api/v1/analytics/metrics': { tag: 'analytics', summary: 'Tokens, cost, TTFT/TTR, cache hit rate, approvals and tool calls per bucket (your own; admins: everyone\'s)', query: analyticsQuerySchema, responses: { 200: analyticsResponseSchema } },

  'POST /api/v1/integrations/:id/test': { tag: 'integrations', summary: 'Check the stored credentials now: Jenkins (whoami), Slack (auth.test and a test message in the channel), Teams (a bot token and a test message in the conversation)', responses: { 200: integrationTestResultSchema } },
  'GET /api/v1/settings/public-url': { tag: 'settings', summary: 'The public address links in webhooks and Slack start with: PUBLIC_URL, the stored one, or unknown (links relative)', responses: { 200: publicUrlSettingsSchema } },
  'PUT /api/v1/settings/public-url': { tag: 'settings', summary: 'Set the public address (admin); from_browser only fills it in while unknown, and must be the request\'s Origin', body: updatePublicUrlRequestSchema, responses: { 200: publicUrlSettingsSchema } },

  'GET /api/v1/settings/llm': { tag: 'settings', summary: 'The model settings in effect and where they come from (the key only as set/not set)', responses: { 200: llmSettingsSchema } },
  'PUT /api/v1/settings/llm': { tag: 'settings', summary: 'Choose provider, model and key (admin); applies to the next model call unless LLM_MODEL is set', body: updateLlmSettingsRequestSchema, responses: { 200: llmSettingsSchema } },
  'POST /api/v1/settings/llm/test': { tag: 'settings', summary: 'One tiny model request with the saved settings or a candidate (admin)', body: testLlmSettingsRequestSchema, responses: { 200: llmTestResultSchema } },
  'GET /api/v1/settings/llm/providers': { tag: 'settings', summary: 'Supported providers and what each needs', responses: { 200: llmProvidersResponseSchema } },
  'GET /api/v1/settings/llm/ollama-models': { tag: 'settings', summary: 'Models of a local Ollama server (admin)', responses: { 200: ollamaModelsResponseSchema } },

  // policies as code (issue 76): admins only
  'GET /api/v1/policies': { tag: 'settings', summary: 'The policies (admin)', responses: { 200: z.object({ data: z.array(policySchema) }) } },
  'POST /api/v1/policies': { tag: 'settings', summary: 'Create a policy (admin, audited); a broken expression is refused with its position', body: policyInputSchema, responses: { 201: policySchema } },
  'PUT /api/v1/policies/:id': { tag: 'settings', summary: 'Change a policy (admin, audited); its version increments', body: policyInputSchema, responses: { 200: policySchema } },
  'DELETE /api/v1/policies/:id': { tag: 'settings', summary: 'Delete a policy (admin, audited)', responses: { 204: 'empty' } },
  'POST /api/v1/policies/evaluate': { tag: 'settings', summary: 'What would this draft policy have done to the last N recorded calls (admin)', body: policyEvaluateRequestSchema, responses: { 200: policyEvaluateResponseSchema } },
  // the emergency stop (issue 76)
  'GET /api/v1/emergency-stop': { tag: 'settings', summary: 'Whether the emergency stop is on (any signed-in person)', responses: { 200: emergencyStopStateSchema } },
  'POST /api/v1/emergency-stop': { tag: 'settings', summary: 'Engage the emergency stop on every replica: nothing is approved or executed until it is lifted (admin, audited)', body: emergencyStopRequestSchema, responses: { 200: emergencyStopStateSchema } },
  'DELETE /api/v1/emergency-stop': { tag: 'settings', summary: 'Lift the emergency stop (admin, audited)', responses: { 200: emergencyStopStateSchema.extend({ lifted: z.boolean() }) } },
  // change freezes (issue 76)
  'GET /api/v1/freezes': { tag: 'settings', summary: 'The change freezes, with the end of the window holding now (any signed-in person)', responses: { 200: z.object({ data: z.array(freezeSchema) }) } },
  'POST /api/v1/freezes': { tag: 'settings', summary: 'Create a change freeze: mutating calls in scope are refused (FROZEN) during its window (admin, audited)', body: freezeInputSchema, responses: { 201: freezeSchema } },
  'PUT /api/v1/freezes/:id': { tag: 'settings', summary: 'Change a freeze (admin, audited)', body: freezeInputSchema, responses: { 200: freezeSchema } },
  'DELETE /api/v1/freezes/:id': { tag: 'settings', summary: 'Delete a freeze (admin, audited)', responses: { 204: 'empty' } },
  // team runbooks (issue 36)
  'GET /api/v1/runbooks': { tag: 'runbooks', summary: 'The team runbooks: RUNBOOKS_DIR files (read-only) and uploaded ones', responses: { 200: runbookListSchema } },
  'GET /api/v1/runbooks/:name': { tag: 'runbooks', summary: 'One runbook, redacted as the model sees it (a "/" in the name as %2F)', responses: { 200: runbookDetailSchema } },
  'POST /api/v1/runbooks': { tag: 'runbooks', summary: 'Upload or replace a runbook by name (admin)', body: uploadRunbookRequestSchema, responses: { 201: runbookSummarySchema } },
  // scheduled checks and runbook drafts (issue 81)
  'GET /api/v1/schedules': { tag: 'schedules', summary: 'Scheduled checks: an admin sees all, anyone else their own', responses: { 200: scheduleListSchema } },
  'POST /api/v1/schedules': { tag: 'schedules', summary: 'Create a scheduled check (cron in a time zone, prompt, read_only or propose)', body: scheduleInputSchema, responses: { 201: scheduleSchema } },
  'GET /api/v1/schedules/:id': { tag: 'schedules', summary: 'One scheduled check (its owner or an admin)', responses: { 200: scheduleSchema } },
  'PUT /api/v1/schedules/:id': { tag: 'schedules', summary: 'Replace a scheduled check (its owner or an admin)', body: scheduleInputSchema, responses: { 200: scheduleSchema } },
  'DELETE /api/v1/schedules/:id': { tag: 'schedules', summary: 'Delete a scheduled check (its owner or an admin)', responses: { 204: 'empty' } },
  'GET /api/v1/schedules/:id/runs': { tag: 'schedules', summary: "A schedule's runs, newest first, with findings and what changed since the previous run", responses: { 200: scheduleRunListSchema } },
  'POST /api/v1/schedules/:id/run': { tag: 'schedules', summary: 'Run a scheduled check now', responses: { 202: scheduleRunSchema } },
  'POST /api/v1/conversations/:id/runbook-draft': { tag: 'runbooks', summary: 'Draft a runbook from a resolved conversation (not stored; save it with POST /runbooks)', responses: { 200: runbookDraftSchema } },
  'DELETE /api/v1/runbooks/:name': { tag: 'runbooks', summary: 'Delete an uploaded runbook (admin); RUNBOOKS_DIR files are changed where they live', responses: { 204: 'empty' } },

  // team notifications (issue 24)
  'GET /api/v1/auth/tokens': { tag: 'auth', summary: 'Your API tokens (never the token itself), with their last use', responses: { 200: apiTokensResponseSchema } },
  'POST /api/v1/auth/tokens': { tag: 'auth', summary: 'Create an API token with scopes and an expiry; the token is in this answer only (a session, not a token, is needed)', body: createApiTokenRequestSchema, responses: { 201: createdApiTokenSchema } },
  'DELETE /api/v1/auth/tokens/:id': { tag: 'auth', summary: 'Revoke one of your API tokens', responses: { 200: apiTokenSchema } },
  'GET /api/v1/notifications/stream': { tag: 'notifications', summary: 'Your notifications as SSE: calls waiting for you, decisions, runs ended (Last-Event-ID resumes; API tokens need approvals:read)', responses: { 200: sse } },
  'POST /api/v1/alerts/alertmanager': { tag: 'alerts', summary: "Alertmanager's webhook: one read-only investigation per firing group, any number of alerts (the first 100 shown, the rest counted); a repeat with the same alerts firing adds a line to it, a changed set is investigated again (ALERT_REINVESTIGATE), resolved closes the caller's own; 429 with queued: false when the queue is full (ALERT_QUEUE_LIMIT) or past CONVERSATIONS_PER_MINUTE (API tokens need alerts:write)", body: alertmanagerPayloadSchema, responses: { 202: alertOutcomeSchema } },
  'POST /api/v1/alerts/pagerduty': { tag: 'alerts', summary: "A PagerDuty v3 webhook subscription's endpoint, verified by X-PagerDuty-Signature (PAGERDUTY_WEBHOOK_SECRET): incident.triggered/reopened opens a read-only investigation owned by PAGERDUTY_RUN_AS, incident.resolved closes it, each event id is taken once; the conclusion is posted back as an incident note when PAGERDUTY_API_TOKEN is set", public: true, body: pagerDutyWebhookSchema, responses: { 200: alertOutcomeSchema, 202: alertOutcomeSchema } },
  'POST /api/v1/alerts': { tag: 'alerts', summary: 'A generic alert {title, description, labels}: investigated like an Alertmanager group (API tokens need alerts:write)', body: genericAlertSchema, responses: { 202: alertOutcomeSchema } },
  'GET /api/v1/integrations/mcp-servers': { tag: 'integrations', summary: 'External MCP servers: their status, toolset and tools (admin; tokens and env values are never returned)', responses: { 200: externalMcpServerListResponseSchema } },
  'POST /api/v1/integrations/mcp-servers': { tag: 'integrations', summary: 'Connect an external MCP server (stdio argv or Streamable HTTP URL with a bearer token); it is connected and listed before it is saved (admin)', body: createExternalMcpServerRequestSchema, responses: { 201: externalMcpServerSchema } },
  'PATCH /api/v1/integrations/mcp-servers/:id': { tag: 'integrations', summary: "Enable or disable an external MCP server, or change where its tools act (acts_on) and which are not destructive; disabling or redeclaring denies its tools' undecided approvals (admin)", body: updateExternalMcpServerRequestSchema, responses: { 200: externalMcpServerSchema } },
  'DELETE /api/v1/integrations/mcp-servers/:id': { tag: 'integrations', summary: "Remove an external MCP server; its tools' undecided approvals are denied (admin)", responses: { 204: 'empty' } },
  'POST /api/v1/integrations/mcp-servers/:id/test': { tag: 'integrations', summary: 'Connect to an external MCP server and list its tools now (admin)', responses: { 200: externalMcpTestResultSchema } },
  'GET /api/v1/integrations/mcp-servers/oauth/client-metadata.json': { tag: 'integrations', summary: "Skyflo's OAuth client ID metadata document (CIMD): its URL is the client_id Skyflo uses with an external MCP server's authorization server; needs an https PUBLIC_URL", public: true },
  'POST /api/v1/integrations/mcp-servers/:id/oauth/start': { tag: 'integrations', summary: 'Start signing in to an OAuth MCP server: the authorization page to open (PKCE; single-use state bound to this admin and server, 10 minutes) (admin)', responses: { 200: externalMcpOauthStartResponseSchema } },
  'GET /api/v1/integrations/mcp-servers/oauth/callback': { tag: 'integrations', summary: "The authorization server's redirect back (the admin who started, by session cookie): checks state and iss (RFC 9207), stores the tokens sealed per issuer, then redirects to /integrations (admin)" },
  'GET /api/v1/integrations/:id/deliveries': { tag: 'integrations', summary: "A webhook's recent deliveries: event, status, attempts, answer", responses: { 200: webhookDeliveriesResponseSchema } },
  'POST /api/v1/integrations/teams/messages': { tag: 'integrations', summary: "The Azure Bot's messaging endpoint (Teams card clicks: Action.Execute invokes, Action.Submit messages), verified by the Bot Framework channel's JWT; an invoke is answered with the card to show", public: true, responses: { 200: z.record(z.string(), z.unknown()), 401: z.object({ detail: z.string() }), 404: z.object({ detail: z.string() }) } },
  'POST /api/v1/integrations/slack/interactions': { tag: 'integrations', summary: "The Slack app's interactivity Request URL (Approve / Deny clicks), verified by Slack's signature", public: true, responses: { 200: z.object({ detail: z.string() }) } },
};

export const errorSchema = errorResponseSchema;

/**
 * The one typed client of the engine's /api/v1 and its event streams, used by the Command Center, `skyflo chat`
 * and the evals: a route or a wire type that changes is a compile error in every client. JSON answers are checked
 * with the protocol's schemas (loaded on first use, so a browser keeps zod out of its initial bundle); streams come
 * back as typed AgentEvents with their SSE ids, for Last-Event-ID resume.
 *
 * Authentication is a dependency: the CLI sends a bearer token and renews it with its refresh token; the browser
 * sends its HttpOnly cookies (fetch's default) and renews them with POST /auth/refresh. Either way a 401 triggers
 * one renewal (single-flight is the caller's `renew`) and one retry.
 */
import type { z } from 'zod';
import type { ApprovalRequest, ChatRequest, StopResponse, ToolSummary } from '../api.ts';
import type { ClusterPolicy, ClustersResponse, HealthResponse, MemberScope } from '../clusters.ts';
import type { UndoRequest } from '../verification.ts';
import type { RunbookDetail, RunbookDraft, RunbookList, RunbookSummary, UploadRunbookRequest } from '../runbooks.ts';
import type { Schedule, ScheduleInput, ScheduleList, ScheduleRun, ScheduleRunList } from '../schedules.ts';
import type { OidcInfo, OidcLinkResponse, OidcLogoutResponse } from '../oidc.ts';
import type { ConversationDetail } from '../conversation-detail.ts';
import type { PendingApprovalsQuery, PendingApprovalsResponse } from '../governance.ts';
import type { SearchConversationsQuery, SearchConversationsResponse } from '../conversation-search.ts';
import { readAgentEvents, type StreamedEvent } from './agent-event-stream.ts';
import { SkyfloApiError, SkyfloClientError, unreachableError } from './client-errors.ts';
import { workspaceRoutes, type RouteCaller, type WorkspaceRoutes } from './workspace-routes.ts';
import { guardrailRoutes, type GuardrailRoutes } from './guardrail-routes.ts';

export const API_PREFIX = '/api/v1';

export interface SkyfloClientAuth {
  /** headers that carry the session (a bearer token); none when the browser's cookies do */
  headers?(): Record<string, string>;
  /** after a 401: renew the session; true sends the request once more */
  renew?(): Promise<boolean>;
  /** a 401 that renewing did not cure */
  onUnauthorized?(): void;
}

export interface SkyfloClientOptions {
  /** the engine's origin, e.g. http://127.0.0.1:8080; '' for the page's own origin */
  baseUrl: string;
  fetch?: typeof fetch;
  auth?: SkyfloClientAuth;
}

export type Protocol = typeof import('../index.ts');
let protocolLoading: Promise<Protocol> | undefined;
const loadProtocol = () => (protocolLoading ??= import('../index.ts'));

export type UserRead = z.infer<Protocol['userReadSchema']>;
export type ConversationPage = z.infer<Protocol['listConversationsResponseSchema']>;
export type { ConversationDetail };
export type { SearchConversationsResponse };
/** GET /conversations/search's query; every field optional here (the engine answers 400 naming what is missing) */
export type SearchConversationsInput = Partial<SearchConversationsQuery>;

/**
 * One frame of GET /notifications/stream (an EventSource in the browser), checked with the protocol's schema:
 * undefined for a frame that is not a notification, which a client skips like a stream's unknown event.
 */
export async function readNotification(data: string): Promise<z.infer<Protocol['notificationSchema']> | undefined> {
  const parsed = (await loadProtocol()).notificationSchema.safeParse(safeJson(data));
  return parsed.success ? parsed.data : undefined;
}

/** An event stream of one run; iterate it, or leave the loop to let go (the run goes on). */
export type AgentEventStream = AsyncGenerator<StreamedEvent>;

export interface StreamOptions {
  signal?: AbortSignal;
  /** a frame that is not a valid event: 'throw' (default) or 'skip' */
  invalid?: 'throw' | 'skip';
}

/** A call that must not renew the session on a 401 (the page decides what a 401 means, e.g. "signed out"). */
export interface NoRenew {
  renew?: false;
}

export interface SkyfloClient extends WorkspaceRoutes, GuardrailRoutes {
  readonly baseUrl: string;
  /** `setupToken`: the first admin's one-time token from the engine's start-up log, when GET /auth/is_admin_user asks for it */
  register(input: { email: string; password: string; fullName?: string; setupToken?: string }): Promise<UserRead>;
  /** POST /auth/jwt/login (form); returns the access token */
  login(input: { email: string; password: string }): Promise<{ access_token: string }>;
  /** POST /auth/refresh/issue: a refresh token for a client without cookies */
  issueRefreshToken(options?: NoRenew): Promise<{ refresh_token: string }>;
  /** POST /auth/refresh with a refresh token; the engine rotates it */
  refresh(input: { refreshToken: string }): Promise<{ access_token: string; refresh_token: string }>;
  /** POST /auth/logout: revokes `refreshToken`, or (a browser) the refresh cookie, and clears the cookies */
  logout(input?: { refreshToken?: string }): Promise<void>;
  /** GET /auth/oidc/info: whether company sign-in is on and whether passwords still are (the login page) */
  oidcInfo(): Promise<OidcInfo>;
  /** POST /auth/oidc/logout: ends the session and names the provider's logout page, when it has one */
  oidcLogout(): Promise<OidcLogoutResponse>;
  /** POST /auth/oidc/link (issue 74): where to link your account to your company sign-in (open it in the browser) */
  oidcLink(): Promise<OidcLinkResponse>;
  me(options?: NoRenew): Promise<UserRead>;
  listConversations(input?: { limit?: number; cursor?: string | null; query?: string }): Promise<ConversationPage>;
  /** GET /conversations/search (issue 37): titles and content of the conversations you may read, best match first */
  searchConversations(input: SearchConversationsInput): Promise<SearchConversationsResponse>;
  getConversation(id: string): Promise<ConversationDetail>;
  renameConversation(id: string, title: string): Promise<void>;
  deleteConversation(id: string): Promise<void>;
  tools(): Promise<ToolSummary[]>;
  /** GET /approvals/pending: a page of the queue (oldest first, with the total), in the protocol's one shape */
  pendingApprovals(input?: PendingApprovalsQuery): Promise<PendingApprovalsResponse>;
  /**
   * POST /agent/chat; the engine creates the conversation when `conversationId` is omitted. `context` pins a new
   * conversation to that cluster (a kubeconfig context name); later turns keep the conversation's cluster.
   */
  chat(input: { message: string; conversationId?: string; context?: string } & StreamOptions): Promise<AgentEventStream>;
  /**
   * POST /agent/approvals/:call_id; the stream is the run the decision resumes. `decision.auto_revert: true` approves
   * with automatic revert (only for a call whose card showed an inverse, `undo`; the engine refuses it otherwise).
   */
  decide(input: { callId: string; decision: ApprovalRequest } & StreamOptions): Promise<AgentEventStream>;
  /**
   * POST /agent/approvals/:call_id/undo: proposes the inverse of an executed change (`tool.result.undo_available`) as
   * a new call in the same conversation. The stream is a run like a chat turn's; the inverse arrives as a
   * `tool.awaiting_approval` with `undo_of` and is decided like any other call.
   */
  undo(input: { callId: string; conversationId: string } & StreamOptions): Promise<AgentEventStream>;
  /** GET /agent/runs/:run_id/events: a run's events after `lastEventId` (0 replays it from the start) */
  runEvents(input: { conversationId: string; runId: string; lastEventId: number } & StreamOptions): Promise<AgentEventStream>;
  stop(input: { conversationId: string; runId: string }): Promise<StopResponse>;
  /** GET /clusters: every cluster Skyflo may act on, reachable or not (and why), with the approval policy for writes */
  clusters(): Promise<ClustersResponse>;
  /** GET /health: `degraded` names the failing database, bus or cluster */
  health(): Promise<HealthResponse>;
  /** GET /clusters/policies (admin): the approval policy per cluster, optionally narrowed by a namespace pattern */
  clusterPolicies(): Promise<{ policies: ClusterPolicy[] }>;
  /** PUT /clusters/policies (admin): replaces every policy */
  setClusterPolicies(policies: ClusterPolicy[]): Promise<{ policies: ClusterPolicy[] }>;
  /** PATCH /team/members/:id/scope (admin): the clusters and namespaces a member may touch (absent = everything) */
  setMemberScope(memberId: string, scope: MemberScope): Promise<void>;
  /** GET /runbooks: the team's runbooks (RUNBOOKS_DIR's files and the uploaded ones) */
  runbooks(): Promise<RunbookList>;
  /** GET /runbooks/{name}: one runbook, redacted as the model sees it */
  runbook(name: string): Promise<RunbookDetail>;
  /** POST /runbooks (admin): uploads or replaces a runbook by name */
  uploadRunbook(input: UploadRunbookRequest): Promise<RunbookSummary>;
  /** DELETE /runbooks/{name} (admin): uploaded runbooks only */
  deleteRunbook(name: string): Promise<void>;
  /** POST /conversations/{id}/runbook-draft: a runbook drafted from a resolved conversation (not stored) */
  runbookDraft(conversationId: string): Promise<RunbookDraft>;
  /** GET /schedules: an admin's: everyone's; anyone else's: their own */
  schedules(): Promise<ScheduleList>;
  createSchedule(input: ScheduleInput): Promise<Schedule>;
  /** PUT /schedules/{id}: the whole schedule again */
  updateSchedule(id: string, input: ScheduleInput): Promise<Schedule>;
  deleteSchedule(id: string): Promise<void>;
  /** GET /schedules/{id}/runs: newest first */
  scheduleRuns(id: string, limit?: number): Promise<ScheduleRunList>;
  /** POST /schedules/{id}/run: runs it now */
  runSchedule(id: string): Promise<ScheduleRun>;
}

export interface RequestInput {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** public routes: sent without the session, never renewed */
  anonymous?: boolean;
  /** sent with the session, but a 401 is the caller's to handle: no renewal, no onUnauthorized */
  noRenew?: boolean;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function refusal(response: Response, input: RequestInput): Promise<SkyfloApiError> {
  const text = await response.text().catch(() => '');
  const body = safeJson(text) as { detail?: unknown } | undefined;
  const detail = typeof body?.detail === 'string' ? body.detail : text.slice(0, 300) || `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const retryAfter = Number(response.headers.get('retry-after'));
  return new SkyfloApiError(response.status, detail, { method: input.method, path: `${API_PREFIX}${input.path}` }, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}

export function createSkyfloClient(options: SkyfloClientOptions): SkyfloClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const auth = options.auth ?? {};

  async function send(input: RequestInput): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream', ...input.headers, ...(input.anonymous ? {} : auth.headers?.()) };
    let body: string | undefined;
    if (input.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.json);
    } else if (input.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(input.form).toString();
    }
    const doFetch = options.fetch ?? globalThis.fetch;
    try {
      return await doFetch(`${baseUrl}${API_PREFIX}${input.path}`, { method: input.method, headers, ...(body !== undefined ? { body } : {}), ...(input.signal ? { signal: input.signal } : {}) });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw unreachableError(error);
    }
  }

  async function request(input: RequestInput): Promise<Response> {
    let response = await send(input);
    if (response.status === 401 && !input.anonymous && !input.noRenew) {
      if (auth.renew) {
        await response.body?.cancel().catch(() => undefined);
        if (await auth.renew()) response = await send(input);
      }
      if (response.status === 401) {
        auth.onUnauthorized?.();
        throw await refusal(response, input);
      }
    }
    if (!response.ok) throw await refusal(response, input);
    return response;
  }

  async function json<T>(input: RequestInput, schemaOf: (protocol: Protocol) => z.ZodType<T>): Promise<T> {
    const response = await request(input);
    const text = await response.text();
    const schema = schemaOf(await loadProtocol());
    const parsed = schema.safeParse(safeJson(text));
    if (!parsed.success) {
      const { prettifyError } = await import('zod');
      throw new SkyfloClientError('MALFORMED_RESPONSE', `${input.method} ${API_PREFIX}${input.path} answered something this client cannot read: ${prettifyError(parsed.error).slice(0, 400)}`);
    }
    return parsed.data;
  }

  async function none(input: RequestInput): Promise<void> {
    const response = await request(input);
    await response.body?.cancel().catch(() => undefined);
  }

  async function stream(input: RequestInput, invalid: StreamOptions['invalid']): Promise<AgentEventStream> {
    const response = await request(input);
    const type = response.headers.get('content-type') ?? '';
    // Issue 76: 202 MORE_APPROVALS_NEEDED: the approval was recorded but starts no run (a policy asks for more
    // approvers); its words reach the caller as the answer's detail, status 202
    if (response.status === 202 && type.startsWith('application/json')) throw await refusal(response, input);
    if (!type.startsWith('text/event-stream') || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new SkyfloClientError('MALFORMED_RESPONSE', `${input.method} ${API_PREFIX}${input.path} did not answer with an event stream (content-type "${type}").`);
    }
    return readAgentEvents(response.body, { invalid });
  }

  async function ndjson<T>(input: RequestInput, schemaOf: (protocol: Protocol) => z.ZodType<T>, each: (line: T) => void): Promise<void> {
    const response = await request(input);
    const schema = schemaOf(await loadProtocol());
    if (!response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const take = async (text: string) => {
      if (!text.trim()) return;
      const parsed = schema.safeParse(safeJson(text));
      if (!parsed.success) {
        const { prettifyError } = await import('zod');
        throw new SkyfloClientError('MALFORMED_RESPONSE', `${input.method} ${API_PREFIX}${input.path} answered a line this client cannot read: ${prettifyError(parsed.error).slice(0, 400)}`);
      }
      each(parsed.data);
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        await take(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    }
    await take(buffer);
  }

  const caller: RouteCaller = { json, none, ndjson };
  return {
    baseUrl,
    ...workspaceRoutes(caller),
    ...guardrailRoutes(caller),
    register: ({ email, password, fullName, setupToken }) =>
      json(
        { method: 'POST', path: '/auth/register/register', json: { email, password, ...(fullName ? { full_name: fullName } : {}), ...(setupToken ? { setup_token: setupToken } : {}) }, anonymous: true },
        (p) => p.userReadSchema,
      ),
    login: ({ email, password }) => json({ method: 'POST', path: '/auth/jwt/login', form: { username: email, password }, anonymous: true }, (p) => p.tokenResponseSchema),
    issueRefreshToken: (options = {}) => json({ method: 'POST', path: '/auth/refresh/issue', noRenew: options.renew === false }, (p) => p.refreshIssueResponseSchema),
    refresh: ({ refreshToken }) =>
      json({ method: 'POST', path: '/auth/refresh', json: { refresh_token: refreshToken }, anonymous: true }, (p) => p.tokenResponseSchema.extend({ refresh_token: p.refreshIssueResponseSchema.shape.refresh_token })),
    logout: ({ refreshToken } = {}) => none({ method: 'POST', path: '/auth/logout', ...(refreshToken ? { json: { refresh_token: refreshToken } } : {}), anonymous: true }),
    oidcInfo: () => json({ method: 'GET', path: '/auth/oidc/info', anonymous: true }, (p) => p.oidcInfoSchema),
    oidcLogout: () => json({ method: 'POST', path: '/auth/oidc/logout', anonymous: true }, (p) => p.oidcLogoutResponseSchema),
    oidcLink: () => json({ method: 'POST', path: '/auth/oidc/link' }, (p) => p.oidcLinkResponseSchema),
    me: (options = {}) => json({ method: 'GET', path: '/auth/me', noRenew: options.renew === false }, (p) => p.userReadSchema),
    listConversations: ({ limit, cursor, query } = {}) => {
      const params = new URLSearchParams();
      if (limit !== undefined) params.set('limit', String(limit));
      if (cursor) params.set('cursor', cursor);
      if (query) params.set('query', query);
      return json({ method: 'GET', path: `/conversations${params.size > 0 ? `?${params}` : ''}` }, (p) => p.listConversationsResponseSchema);
    },
    searchConversations: (input) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(input)) if (value !== undefined && value !== '') params.set(key, String(value));
      return json({ method: 'GET', path: `/conversations/search?${params}` }, (p) => p.searchConversationsResponseSchema);
    },
    getConversation: (id) => json({ method: 'GET', path: `/conversations/${encodeURIComponent(id)}` }, (p) => p.conversationDetailSchema),
    renameConversation: (id, title) => none({ method: 'PATCH', path: `/conversations/${encodeURIComponent(id)}`, json: { title } }),
    deleteConversation: (id) => none({ method: 'DELETE', path: `/conversations/${encodeURIComponent(id)}` }),
    tools: () => json({ method: 'GET', path: '/agent/tools' }, (p) => p.toolsResponseSchema),
    pendingApprovals: (input = {}) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(input)) if (value !== undefined && value !== '') params.set(key, String(value));
      const query = params.toString() ? `?${params}` : '';
      return json({ method: 'GET', path: `/approvals/pending${query}` }, (p) => p.pendingApprovalsResponseSchema);
    },
    chat: ({ message, conversationId, context, signal, invalid }) => {
      const body: ChatRequest = { messages: [{ role: 'user', content: message }], ...(conversationId ? { conversation_id: conversationId } : {}), ...(context ? { context } : {}) };
      return stream({ method: 'POST', path: '/agent/chat', json: body, signal }, invalid);
    },
    // typed, not re-validated here: the engine checks the request and answers 400 with what is wrong
    decide: ({ callId, decision, signal, invalid }) => stream({ method: 'POST', path: `/agent/approvals/${encodeURIComponent(callId)}`, json: decision, signal }, invalid),
    undo: ({ callId, conversationId, signal, invalid }) => {
      const body: UndoRequest = { conversation_id: conversationId };
      return stream({ method: 'POST', path: `/agent/approvals/${encodeURIComponent(callId)}/undo`, json: body, signal }, invalid);
    },
    runEvents: ({ conversationId, runId, lastEventId, signal, invalid }) =>
      stream(
        { method: 'GET', path: `/agent/runs/${encodeURIComponent(runId)}/events?conversation_id=${encodeURIComponent(conversationId)}`, headers: { 'last-event-id': String(lastEventId) }, signal },
        invalid,
      ),
    stop: ({ conversationId, runId }) => json({ method: 'POST', path: '/agent/stop', json: { conversation_id: conversationId, run_id: runId } }, (p) => p.stopResponseSchema),
    clusters: () => json({ method: 'GET', path: '/clusters' }, (p) => p.clustersResponseSchema),
    health: () => json({ method: 'GET', path: '/health', anonymous: true }, (p) => p.healthResponseSchema),
    clusterPolicies: () => json({ method: 'GET', path: '/clusters/policies' }, (p) => p.clusterPoliciesSchema),
    setClusterPolicies: (policies) => json({ method: 'PUT', path: '/clusters/policies', json: { policies } }, (p) => p.clusterPoliciesSchema),
    setMemberScope: (memberId, scope) => none({ method: 'PATCH', path: `/team/members/${encodeURIComponent(memberId)}/scope`, json: scope }),
    // a runbook name may hold "/" (a path under RUNBOOKS_DIR): sent as %2F, one path segment
    runbooks: () => json({ method: 'GET', path: '/runbooks' }, (p) => p.runbookListSchema),
    runbook: (name) => json({ method: 'GET', path: `/runbooks/${encodeURIComponent(name)}` }, (p) => p.runbookDetailSchema),
    uploadRunbook: (input) => json({ method: 'POST', path: '/runbooks', json: input }, (p) => p.runbookSummarySchema),
    deleteRunbook: (name) => none({ method: 'DELETE', path: `/runbooks/${encodeURIComponent(name)}` }),
    runbookDraft: (conversationId) => json({ method: 'POST', path: `/conversations/${encodeURIComponent(conversationId)}/runbook-draft` }, (p) => p.runbookDraftSchema),
    schedules: () => json({ method: 'GET', path: '/schedules' }, (p) => p.scheduleListSchema),
    createSchedule: (input) => json({ method: 'POST', path: '/schedules', json: input }, (p) => p.scheduleSchema),
    updateSchedule: (id, input) => json({ method: 'PUT', path: `/schedules/${encodeURIComponent(id)}`, json: input }, (p) => p.scheduleSchema),
    deleteSchedule: (id) => none({ method: 'DELETE', path: `/schedules/${encodeURIComponent(id)}` }),
    scheduleRuns: (id, limit = 20) => json({ method: 'GET', path: `/schedules/${encodeURIComponent(id)}/runs?limit=${limit}` }, (p) => p.scheduleRunListSchema),
    runSchedule: (id) => json({ method: 'POST', path: `/schedules/${encodeURIComponent(id)}/run` }, (p) => p.scheduleRunSchema),
  };
}

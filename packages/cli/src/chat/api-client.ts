/**
 * A typed client of the engine's HTTP API (/api/v1), the same paths the README's curl session uses. Every
 * response is validated with @skyflo/protocol's schemas; streams come back as typed AgentEvents. An expired
 * access token is renewed once with the refresh token (rotated by the engine) and the request retried.
 */
import {
  approvalRequestSchema,
  errorResponseSchema,
  listConversationsResponseSchema,
  refreshIssueResponseSchema,
  stopResponseSchema,
  tokenResponseSchema,
  toolsResponseSchema,
  userReadSchema,
  type ApprovalRequest,
  type StopResponse,
  type ToolSummary,
} from '@skyflo/protocol';
import { z } from 'zod';
import { ChatError } from './chat-error.ts';
import { readAgentEvents, type StreamedEvent } from './sse-reader.ts';

export const API_PREFIX = '/api/v1';

export interface Session {
  accessToken: string;
  refreshToken?: string;
}

export type UserRead = z.infer<typeof userReadSchema>;
export type ConversationPage = z.infer<typeof listConversationsResponseSchema>;

const refreshResponseSchema = tokenResponseSchema.extend({ refresh_token: z.string() });

/**
 * GET /conversations/{id}. The protocol has no schema for the stored timeline yet, so only the fields this
 * client shows are checked here (loosely: unknown entry kinds are kept and ignored).
 */
const timelineToolSchema = z.looseObject({
  call_id: z.string(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()).default({}),
  status: z.string(),
  diff: z.string().optional(),
  error: z.string().optional(),
});
const timelineEntrySchema = z.looseObject({
  type: z.string(),
  content: z.string().default(''),
  segments: z.array(z.looseObject({ kind: z.string(), text: z.string().optional(), toolExecution: timelineToolSchema.optional() })).optional(),
});
export const conversationDetailSchema = z.looseObject({
  id: z.string(),
  title: z.string(),
  updated_at: z.string(),
  messages: z.array(timelineEntrySchema).default([]),
});
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;

export interface ApiClientOptions {
  /** engine base URL, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  session?: Session;
  /** called after a refresh rotated the tokens, so they can be stored */
  onSessionRenewed?: (session: Session) => void | Promise<void>;
  fetch?: typeof fetch;
}

export interface ApiClient {
  readonly baseUrl: string;
  session(): Session | undefined;
  setSession(session: Session | undefined): void;
  register(input: { email: string; password: string; fullName?: string }): Promise<UserRead>;
  /** Logs in and asks for a refresh token, so a later expired access token can be renewed without a password. */
  login(input: { email: string; password: string }): Promise<Session>;
  logout(): Promise<void>;
  me(): Promise<UserRead>;
  listConversations(input?: { limit?: number; cursor?: string }): Promise<ConversationPage>;
  getConversation(id: string): Promise<ConversationDetail>;
  tools(): Promise<ToolSummary[]>;
  /** POST /agent/chat; the conversation is created by the engine when `conversationId` is omitted. */
  chat(input: { message: string; conversationId?: string; signal?: AbortSignal }): Promise<AsyncGenerator<StreamedEvent>>;
  /** POST /agent/approvals/{call_id}; the stream is the resumed run. */
  decide(input: { callId: string; decision: ApprovalRequest; signal?: AbortSignal }): Promise<AsyncGenerator<StreamedEvent>>;
  stop(input: { conversationId: string; runId: string }): Promise<StopResponse>;
}

interface RequestInput {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  json?: unknown;
  form?: Record<string, string>;
  signal?: AbortSignal;
  /** public routes are sent without a token and never trigger a refresh */
  anonymous?: boolean;
}

function describeStatus(status: number, body: string): string {
  const parsed = errorResponseSchema.safeParse(safeJson(body));
  return parsed.success ? parsed.data.detail : body.slice(0, 300) || `HTTP ${status}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  let session = options.session;
  let refreshing: Promise<boolean> | undefined;

  async function send(input: RequestInput, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
    let body: string | undefined;
    if (input.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.json);
    } else if (input.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(input.form).toString();
    }
    if (token) headers['authorization'] = `Bearer ${token}`;
    try {
      return await doFetch(`${baseUrl}${API_PREFIX}${input.path}`, { method: input.method, headers, ...(body !== undefined ? { body } : {}), ...(input.signal ? { signal: input.signal } : {}) });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ChatError('ENGINE_UNREACHABLE', `Cannot reach the Skyflo engine at ${baseUrl} (${reason}). Start it with \`skyflo serve\`, or pass --url.`);
    }
  }

  /** One refresh at a time; concurrent 401s wait for the same renewal. */
  function renew(): Promise<boolean> {
    refreshing ??= (async () => {
      const refreshToken = session?.refreshToken;
      if (!refreshToken) return false;
      const response = await send({ method: 'POST', path: '/auth/refresh', json: { refresh_token: refreshToken }, anonymous: true }, undefined);
      if (!response.ok) return false;
      const parsed = refreshResponseSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) return false;
      session = { accessToken: parsed.data.access_token, refreshToken: parsed.data.refresh_token };
      await options.onSessionRenewed?.(session);
      return true;
    })().finally(() => (refreshing = undefined));
    return refreshing;
  }

  async function request(input: RequestInput): Promise<Response> {
    if (!input.anonymous && !session) {
      throw new ChatError('NOT_LOGGED_IN', 'Not logged in: run `skyflo chat --login` in a terminal, or set SKYFLO_TOKEN.');
    }
    let response = await send(input, input.anonymous ? undefined : session?.accessToken);
    if (response.status === 401 && !input.anonymous) {
      await response.body?.cancel().catch(() => undefined);
      if (await renew()) response = await send(input, session?.accessToken);
      if (response.status === 401) {
        const detail = describeStatus(401, await response.text().catch(() => ''));
        throw new ChatError('NOT_LOGGED_IN', `The engine refused the stored credentials (${detail}). Log in again with \`skyflo chat --login\`, or set SKYFLO_TOKEN.`, 401);
      }
    }
    if (!response.ok) {
      const detail = describeStatus(response.status, await response.text().catch(() => ''));
      throw new ChatError('HTTP_ERROR', `${input.method} ${API_PREFIX}${input.path} failed with ${response.status}: ${detail}`, response.status);
    }
    return response;
  }

  async function json<T>(input: RequestInput, schema: z.ZodType<T>): Promise<T> {
    const response = await request(input);
    const text = await response.text();
    const parsed = schema.safeParse(safeJson(text));
    if (!parsed.success) {
      throw new ChatError('MALFORMED_RESPONSE', `${input.method} ${API_PREFIX}${input.path} answered something this client cannot read: ${z.prettifyError(parsed.error).slice(0, 400)}`);
    }
    return parsed.data;
  }

  async function stream(input: RequestInput): Promise<AsyncGenerator<StreamedEvent>> {
    const response = await request(input);
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !response.body) {
      throw new ChatError('MALFORMED_RESPONSE', `${input.method} ${API_PREFIX}${input.path} did not answer with an event stream (content-type "${type}").`);
    }
    return readAgentEvents(response.body);
  }

  return {
    baseUrl,
    session: () => session,
    setSession(next) {
      session = next;
    },
    register: ({ email, password, fullName }) =>
      json({ method: 'POST', path: '/auth/register/register', json: { email, password, ...(fullName ? { full_name: fullName } : {}) }, anonymous: true }, userReadSchema),
    async login({ email, password }) {
      const token = await json({ method: 'POST', path: '/auth/jwt/login', form: { username: email, password }, anonymous: true }, tokenResponseSchema).catch((error: unknown) => {
        if (error instanceof ChatError && error.code === 'HTTP_ERROR') throw new ChatError('LOGIN_FAILED', `Login failed: ${error.message.replace(/^.*failed with \d+: /, '')}`, error.status);
        throw error;
      });
      session = { accessToken: token.access_token };
      const refresh = await json({ method: 'POST', path: '/auth/refresh/issue' }, refreshIssueResponseSchema);
      session = { accessToken: token.access_token, refreshToken: refresh.refresh_token };
      return session;
    },
    async logout() {
      if (session?.refreshToken) {
        await send({ method: 'POST', path: '/auth/logout', json: { refresh_token: session.refreshToken }, anonymous: true }, undefined).catch(() => undefined);
      }
      session = undefined;
    },
    me: () => json({ method: 'GET', path: '/auth/me' }, userReadSchema),
    listConversations: ({ limit, cursor } = {}) => {
      const query = new URLSearchParams();
      if (limit !== undefined) query.set('limit', String(limit));
      if (cursor) query.set('cursor', cursor);
      const suffix = query.size > 0 ? `?${query}` : '';
      return json({ method: 'GET', path: `/conversations${suffix}` }, listConversationsResponseSchema);
    },
    getConversation: (id) => json({ method: 'GET', path: `/conversations/${encodeURIComponent(id)}` }, conversationDetailSchema),
    tools: () => json({ method: 'GET', path: '/agent/tools' }, toolsResponseSchema),
    chat: ({ message, conversationId, signal }) =>
      stream({ method: 'POST', path: '/agent/chat', json: { messages: [{ role: 'user', content: message }], ...(conversationId ? { conversation_id: conversationId } : {}) }, signal }),
    decide: ({ callId, decision, signal }) =>
      stream({ method: 'POST', path: `/agent/approvals/${encodeURIComponent(callId)}`, json: approvalRequestSchema.parse(decision), signal }),
    stop: ({ conversationId, runId }) => json({ method: 'POST', path: '/agent/stop', json: { conversation_id: conversationId, run_id: runId } }, stopResponseSchema),
  };
}

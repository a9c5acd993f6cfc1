/**
 * `skyflo chat`'s session on the engine's API: the protocol's typed client (`@skyflo/protocol/client`, the same one
 * the Command Center and the evals use) with a bearer token, and its failures worded for a terminal user as
 * ChatErrors. An expired access token is renewed once with the refresh token (rotated by the engine) and the
 * request retried.
 */
import type { DeviceKey, PendingApprovalsQuery, PendingApprovalsResponse, RegisterDeviceKeyRequest } from '@skyflo/protocol';
import type { ApprovalRequest, ClustersResponse, ConversationDetail, StopResponse, ToolSummary } from '@skyflo/protocol';
import { API_PREFIX, createSkyfloClient, SkyfloApiError, SkyfloClientError, type ConversationPage, type StreamedEvent, type UserRead } from '@skyflo/protocol/client';
import { ChatError } from './chat-error.ts';
import { translateStream } from './sse-reader.ts';

export { API_PREFIX };
export { conversationDetailSchema } from '@skyflo/protocol';
export type { ConversationDetail, ConversationPage, UserRead };

export interface Session {
  accessToken: string;
  refreshToken?: string;
}

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
  /** `context` pins a new conversation to that cluster (ignored by the engine for an existing conversation) */
  chat(input: { message: string; conversationId?: string; context?: string; signal?: AbortSignal }): Promise<AsyncGenerator<StreamedEvent>>;
  /** GET /clusters: the clusters the engine may act on */
  clusters(): Promise<ClustersResponse>;
  /** POST /agent/approvals/{call_id}; the stream is the resumed run. */
  decide(input: { callId: string; decision: ApprovalRequest; signal?: AbortSignal }): Promise<AsyncGenerator<StreamedEvent>>;
  /** POST /agent/approvals/{call_id}/undo; the stream is a run that proposes the call's inverse for approval. */
  undo(input: { callId: string; conversationId: string; signal?: AbortSignal }): Promise<AsyncGenerator<StreamedEvent>>;
  stop(input: { conversationId: string; runId: string }): Promise<StopResponse>;
  /** GET /agent/runs/{run_id}/events with Last-Event-ID: re-attach to a run whose stream broke, from the next event */
  runEvents(input: { conversationId: string; runId: string; lastEventId: number; signal?: AbortSignal }): Promise<AsyncGenerator<StreamedEvent>>;
  /** GET /approvals/pending: a page of the calls waiting (oldest first, with the total), or one conversation's */
  pendingApprovals(input?: PendingApprovalsQuery): Promise<PendingApprovalsResponse>;
  /** POST /auth/device-keys: this terminal's public key, pending until confirmed with a passkey (issue 35) */
  registerDeviceKey(input: RegisterDeviceKeyRequest): Promise<DeviceKey>;
  /** GET /auth/device-keys/:id */
  deviceKey(keyId: string): Promise<DeviceKey>;
  /** any other call of the typed client, with this session (renewed when it expired) and failures in terminal words */
  call<T>(work: (client: ReturnType<typeof createSkyfloClient>) => Promise<T>): Promise<T>;
}

/** An engine nobody answers at, in words for the terminal: what was tried, why it failed, and what to do. */
export function engineUnreachable(baseUrl: string, reason: string): ChatError {
  return new ChatError('ENGINE_UNREACHABLE', `Cannot reach the Skyflo engine at ${baseUrl} (${reason}). Start it with \`skyflo serve\`, or pass --url.`);
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  let session = options.session;
  let refreshing: Promise<boolean> | undefined;
  let client: ReturnType<typeof createSkyfloClient>;

  /** One refresh at a time; concurrent 401s wait for the same renewal. */
  function renew(): Promise<boolean> {
    refreshing ??= (async () => {
      const refreshToken = session?.refreshToken;
      if (!refreshToken) return false;
      const renewed = await client.refresh({ refreshToken }).catch(() => undefined);
      if (!renewed) return false;
      session = { accessToken: renewed.access_token, refreshToken: renewed.refresh_token };
      await options.onSessionRenewed?.(session);
      return true;
    })().finally(() => (refreshing = undefined));
    return refreshing;
  }

  client = createSkyfloClient({
    baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    auth: { headers: (): Record<string, string> => (session ? { authorization: `Bearer ${session.accessToken}` } : {}), renew },
  });

  /** The engine's and the connection's failures, in words for the terminal. */
  function translate(error: unknown): unknown {
    if (error instanceof SkyfloApiError) {
      if (error.status === 401 && error.request.path !== `${API_PREFIX}/auth/jwt/login`) {
        return new ChatError('NOT_LOGGED_IN', `The engine refused the stored credentials (${error.detail}). Log in again with \`skyflo chat --login\`, or set SKYFLO_TOKEN.`, 401);
      }
      return new ChatError('HTTP_ERROR', `${error.request.method} ${error.request.path} failed with ${error.status}: ${error.detail}`, error.status);
    }
    if (error instanceof SkyfloClientError) {
      if (error.code === 'UNREACHABLE') return engineUnreachable(baseUrl, error.message);
      return new ChatError(error.code, error.message);
    }
    return error;
  }

  function signedIn<T>(call: () => Promise<T>): Promise<T> {
    if (!session) return Promise.reject(new ChatError('NOT_LOGGED_IN', 'Not logged in: run `skyflo chat --login` in a terminal, or set SKYFLO_TOKEN.'));
    return call().catch((error: unknown) => {
      throw translate(error);
    });
  }

  async function streamed(open: () => Promise<AsyncGenerator<StreamedEvent>>): Promise<AsyncGenerator<StreamedEvent>> {
    return translateStream(await signedIn(open));
  }

  return {
    baseUrl,
    call: (work) => signedIn(() => work(client)),
    session: () => session,
    setSession(next) {
      session = next;
    },
    register: (input) =>
      client.register(input).catch((error: unknown) => {
        throw translate(error);
      }),
    async login({ email, password }) {
      const token = await client.login({ email, password }).catch((error: unknown) => {
        const translated = translate(error);
        if (translated instanceof ChatError && translated.code === 'HTTP_ERROR') throw new ChatError('LOGIN_FAILED', `Login failed: ${translated.message.replace(/^.*failed with \d+: /, '')}`, translated.status);
        throw translated;
      });
      session = { accessToken: token.access_token };
      const refresh = await signedIn(() => client.issueRefreshToken());
      session = { accessToken: token.access_token, refreshToken: refresh.refresh_token };
      return session;
    },
    async logout() {
      if (session?.refreshToken) await client.logout({ refreshToken: session.refreshToken }).catch(() => undefined);
      session = undefined;
    },
    me: () => signedIn(() => client.me()),
    listConversations: (input = {}) => signedIn(() => client.listConversations(input)),
    getConversation: (id) =>
      signedIn(() => client.getConversation(id)).catch((error: unknown) => {
        // the engine answers 404 for a conversation that does not exist and for another user's alike
        if (error instanceof ChatError && error.status === 404) throw new ChatError('HTTP_ERROR', `No conversation ${id} that you can open (it does not exist, or it is another user's): skyflo chat --list, or /list in a session, shows yours.`, 404);
        throw error;
      }),
    tools: () => signedIn(() => client.tools()),
    chat: ({ message, conversationId, context, signal }) => streamed(() => client.chat({ message, ...(conversationId ? { conversationId } : {}), ...(context ? { context } : {}), ...(signal ? { signal } : {}) })),
    clusters: () => signedIn(() => client.clusters()),
    decide: ({ callId, decision, signal }) => streamed(() => client.decide({ callId, decision, ...(signal ? { signal } : {}) })),
    undo: ({ callId, conversationId, signal }) => streamed(() => client.undo({ callId, conversationId, ...(signal ? { signal } : {}) })),
    stop: (input) => signedIn(() => client.stop(input)),
    runEvents: ({ conversationId, runId, lastEventId, signal }) => streamed(() => client.runEvents({ conversationId, runId, lastEventId, ...(signal ? { signal } : {}) })),
    pendingApprovals: (input) => signedIn(() => client.pendingApprovals(input)),
    registerDeviceKey: (input) => signedIn(() => client.registerDeviceKey(input)),
    deviceKey: (keyId) => signedIn(() => client.deviceKey(keyId)),
  };
}

/**
 * The few Bot Framework connector calls Skyflo makes as a Teams bot: send an activity to a conversation, replace one
 * (the decided card), and read a conversation member (TeamsInfo.getMember: the e-mail a click is mapped by), each
 * with the bot's access token from the Entra token service (client credentials, scope api.botframework.com).
 *
 * Why not botframework-connector's ConnectorClient and MSAL here: MSAL refuses any authority that is not https (so no
 * loopback test channel), and every outgoing integration request must go through the pinned fetch of
 * integration-egress.ts (the URL guard at connect time, the same addresses at call time), which the connector's own
 * HTTP pipeline would bypass. The incoming side, where a hand-written check would be a risk, is Microsoft's package
 * (teams-activity-verifier.ts).
 */
import { SkyfloError } from '../../../platform/errors/skyflo-error.ts';
import { readCappedJson, smallAnswerMaxBytes } from '../../../app/integrations/integration-egress.ts';

/** Every answer of the Bot Framework and Entra is read with a byte cap (issue 74): they are small JSON documents. */
const readAnswer = (response: Response) => readCappedJson(response, { maxBytes: smallAnswerMaxBytes, what: 'Microsoft Teams' });

/** The Bot Framework's token scope for calling the connector (Microsoft's documented value). */
export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';

export interface TeamsConnector {
  /** checks the credentials: a token from the token service */
  token(): Promise<string>;
  send(conversationId: string, activity: Record<string, unknown>): Promise<{ id: string }>;
  update(conversationId: string, activityId: string, activity: Record<string, unknown>): Promise<void>;
  /** the member's e-mail (or UPN), lower-cased; undefined when the conversation has no such member */
  emailOf(conversationId: string, userId: string): Promise<string | undefined>;
}

export class TeamsApiError extends SkyfloError {
  readonly code = 'TEAMS_API_ERROR';
  /** a failure of Microsoft's service (or the way to it), not of the request that needed it */
  readonly statusCode = 502;
  constructor(
    readonly operation: string,
    /** the HTTP status Teams answered; 0 when it could not be reached */
    readonly status: number,
    detail: string,
  ) {
    super(status === 0 ? `Teams ${operation} failed: the Bot Framework could not be reached (${detail})` : `Teams ${operation} failed: HTTP ${status}${detail ? ` ${detail}` : ''}`);
  }
}

/** What fetch threw (its `cause` says why: a refused connection, a timeout), in a few words without credentials. */
const unreachable = (error: unknown) => {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  return String(cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : error)).slice(0, 200);
};

export interface TeamsConnectorOptions {
  serviceUrl: string;
  loginUrl: string;
  tenantId: string;
  appId: string;
  appPassword: string;
  /** the pinned fetch of integration-egress.ts */
  fetch: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}

/** a short, credential-free reason from an error answer (the Bot Framework's {error:{message}}, Entra's error_description) */
async function detailOf(response: Response): Promise<string> {
  const body = ((await readAnswer(response).catch(() => undefined)) ?? {}) as { error?: { message?: unknown } | string; error_description?: unknown };
  const text = typeof body.error === 'object' ? body.error?.message : (body.error_description ?? body.error);
  return typeof text === 'string' ? text.slice(0, 200) : '';
}

export function createTeamsConnector(options: TeamsConnectorOptions): TeamsConnector {
  const now = options.now ?? (() => Date.now());
  const timeout = () => AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const service = options.serviceUrl.endsWith('/') ? options.serviceUrl : `${options.serviceUrl}/`;
  let cached: { token: string; until: number } | undefined;

  async function token(): Promise<string> {
    if (cached && cached.until > now()) return cached.token;
    const response = await options
      .fetch(`${options.loginUrl.replace(/\/$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`, {
        method: 'POST',
        redirect: 'manual',
        signal: timeout(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: options.appId, client_secret: options.appPassword, scope: BOT_FRAMEWORK_SCOPE }).toString(),
      })
      .catch((error: unknown) => {
        throw new TeamsApiError('token', 0, unreachable(error));
      });
    if (!response.ok) throw new TeamsApiError('token', response.status, await detailOf(response));
    const body = ((await readAnswer(response)) ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new TeamsApiError('token', response.status, 'no access_token in the answer');
    // renewed a minute before it expires, so a request never carries a token that lapses in flight
    cached = { token: body.access_token, until: now() + (Number(body.expires_in) || 3600) * 1000 - 60_000 };
    return cached.token;
  }

  async function call(operation: string, method: string, path: string, body?: unknown): Promise<Response> {
    const authorization = `Bearer ${await token()}`;
    return options
      .fetch(`${service}${path}`, {
        method,
        redirect: 'manual',
        signal: timeout(),
        headers: { authorization, ...(body ? { 'content-type': 'application/json; charset=utf-8' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
      .catch((error: unknown) => {
        throw new TeamsApiError(operation, 0, unreachable(error));
      });
  }

  const conversationPath = (conversationId: string) => `v3/conversations/${encodeURIComponent(conversationId)}`;

  return {
    token,
    async send(conversationId, activity) {
      const response = await call('send', 'POST', `${conversationPath(conversationId)}/activities`, activity);
      if (!response.ok) throw new TeamsApiError('send', response.status, await detailOf(response));
      const body = ((await readAnswer(response)) ?? {}) as { id?: unknown };
      return { id: String(body.id ?? '') };
    },
    async update(conversationId, activityId, activity) {
      const response = await call('update', 'PUT', `${conversationPath(conversationId)}/activities/${encodeURIComponent(activityId)}`, { ...activity, id: activityId });
      if (!response.ok) throw new TeamsApiError('update', response.status, await detailOf(response));
    },
    async emailOf(conversationId, userId) {
      const response = await call('member', 'GET', `${conversationPath(conversationId)}/members/${encodeURIComponent(userId)}`);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new TeamsApiError('member', response.status, await detailOf(response));
      const member = ((await readAnswer(response)) ?? {}) as { email?: unknown; userPrincipalName?: unknown };
      const email = typeof member.email === 'string' && member.email ? member.email : member.userPrincipalName;
      return typeof email === 'string' && email.includes('@') ? email.toLowerCase() : undefined;
    },
  };
}

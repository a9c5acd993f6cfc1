/**
 * A Microsoft Teams channel simulator for tests (binds 127.0.0.1, port 0 by default). It plays both sides of the Bot
 * Framework that a bot talks to:
 * - the channel's token issuer: OpenID metadata at `/v1/.well-known/openidconfiguration` and its JWKS at `/keys`
 *   (an RSA key endorsed for "msteams"), so an engine configured with `openIdMetadataUrl` validates what it signs;
 * - the Entra token endpoint (`/<tenant>/oauth2/v2.0/token`, client credentials with the bot's app id and password);
 * - the connector at `serviceUrl`: `POST /v3/conversations/:id/activities` (a message, recorded), `PUT …/:activityId`
 *   (an update, recorded) and `GET /v3/conversations/:id/members/:userId` (the member's e-mail, as TeamsInfo.getMember
 *   reads it);
 * - Teams itself when a user clicks a card's button: `click` sends the Action.Execute invoke (or the Action.Submit
 *   message) to the bot's messaging endpoint with `Authorization: Bearer <JWT>` signed with its key, audience the
 *   bot's app id, issuer https://api.botframework.com and the serviceUrl claim, as Bot Framework does.
 */
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { postClick, sendJson, startSimServer, type SentClick } from '../chat-sim/sim-server.ts';

/** The issuer of the Bot Framework channel's tokens (Microsoft's documented value; the sim signs with it too). */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

export interface TeamsSimActivity {
  /** the activity id the connector gave it */
  id: string;
  conversationId: string;
  /** the activity as the bot last sent it (an update replaces it) */
  activity: Record<string, unknown>;
  /** the activity as first posted (what a client that has not refreshed still shows) */
  posted: Record<string, unknown>;
  /** the card's updates, oldest first (the original is not included) */
  updates: Array<Record<string, unknown>>;
}

export interface TeamsSimUser {
  /** the Teams user id (29:…) the activity's `from.id` carries */
  id: string;
  aadObjectId: string;
  email: string;
  name: string;
}

export interface TeamsClickInput {
  /** the bot's messaging endpoint */
  url: string;
  /** which posted card */
  card: TeamsSimActivity;
  /** the Action.Execute verb or Action.Submit data.verb (e.g. "approve", "deny") */
  verb: string;
  /** the clicker (see addUser); an unknown id is a user the sim has no e-mail for */
  userId: string;
  /** click the card as first posted, not as last updated: a stale card still on someone's screen */
  stale?: boolean;
  /** Action.Submit (a message activity with `value`) instead of Action.Execute (an adaptiveCard/action invoke) */
  submit?: boolean;
  /** JWT overrides, to forge: another audience, an expiry in the past, another signing key, no token at all */
  audience?: string;
  expiresInSeconds?: number;
  signWithForeignKey?: boolean;
  /** a JWT whose serviceurl claim differs from the activity's serviceUrl */
  serviceUrlClaim?: string;
  omitToken?: boolean;
}

export interface TeamsClickResult {
  status: number;
  body: string;
  /** what was signed and sent, so a test can send it again (a replay) */
  sent: SentClick;
}

export interface TeamsSim {
  url: string;
  /** the channel's OpenID metadata: the engine's TEAMS_OPENID_METADATA_URL in tests */
  openIdMetadataUrl: string;
  /** the connector base URL (ends with /): the Teams integration's service_url */
  serviceUrl: string;
  /** the token service base URL: the Teams integration's login_url */
  loginUrl: string;
  /** every card the bot posted, in order */
  activities: TeamsSimActivity[];
  /** token requests and connector calls, for assertions on authentication */
  calls: Array<{ method: string; path: string; token?: string }>;
  addUser(user: TeamsSimUser): void;
  click(input: TeamsClickInput): Promise<TeamsClickResult>;
  /** sends a previously sent activity again, byte for byte (same token) */
  resend(sent: TeamsClickResult['sent'], url: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export interface TeamsSimOptions {
  port?: number;
  host?: string;
  /** the bot's Microsoft App ID and password the token endpoint accepts, and the audience of what the sim signs */
  appId: string;
  appPassword: string;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An RS256 JWT, as the channel signs them (header kid names the JWKS key). */
export function signChannelJwt(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const head = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, x5t: kid }))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(head).sign(privateKey);
  return `${head}.${base64url(signature)}`;
}

export async function startTeamsSim(options: TeamsSimOptions): Promise<TeamsSim> {
  const activities: TeamsSimActivity[] = [];
  const calls: TeamsSim['calls'] = [];
  const users = new Map<string, TeamsSimUser>();
  const issuedTokens = new Set<string>();
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `teams-sim-${randomUUID().slice(0, 8)}`;
  const jwk = key.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  let base = '';

  const sim = await startSimServer(
    options,
    async (request, response, text) => {
      const url = new URL(request.url ?? '/', 'http://teams-sim');
      const path = url.pathname;
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      calls.push({ method: request.method ?? 'GET', path, ...(token ? { token } : {}) });
      if (path === '/v1/.well-known/openidconfiguration') {
        return sendJson(response, 200, { issuer: BOT_FRAMEWORK_ISSUER, authorization_endpoint: `${base}/v1/authorize`, jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'] });
      }
      if (path === '/keys') return sendJson(response, 200, { keys: [{ kty: 'RSA', use: 'sig', kid, x5t: kid, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }] });
      const tokenPath = /^\/[^/]+\/oauth2\/v2\.0\/token$/.exec(path);
      if (tokenPath && request.method === 'POST') {
        const form = new URLSearchParams(text);
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== options.appId || form.get('client_secret') !== options.appPassword) {
          return sendJson(response, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        }
        const accessToken = `teams-sim-access-${randomUUID()}`;
        issuedTokens.add(accessToken);
        return sendJson(response, 200, { token_type: 'Bearer', expires_in: 3599, access_token: accessToken });
      }
      const connector = /^\/v3\/conversations\/([^/]+)\/(activities|members)(?:\/([^/]+))?$/.exec(path);
      if (connector) {
        if (!token || !issuedTokens.has(token)) return sendJson(response, 401, { error: { code: 'Unauthorized', message: 'Authorization has been denied for this request.' } });
        const conversationId = decodeURIComponent(connector[1]!);
        const item = connector[3] ? decodeURIComponent(connector[3]) : undefined;
        if (connector[2] === 'members' && item && request.method === 'GET') {
          const user = users.get(item);
          return user ? sendJson(response, 200, { id: user.id, aadObjectId: user.aadObjectId, email: user.email, userPrincipalName: user.email, name: user.name }) : sendJson(response, 404, { error: { code: 'MemberNotFoundInConversation', message: 'The member was not found' } });
        }
        if (connector[2] === 'activities' && !item && request.method === 'POST') {
          const activity = JSON.parse(text) as Record<string, unknown>;
          const id = `1700000000${String(activities.length + 1).padStart(3, '0')}`;
          activities.push({ id, conversationId, activity, posted: activity, updates: [] });
          return sendJson(response, 201, { id });
        }
        if (connector[2] === 'activities' && item && request.method === 'PUT') {
          const posted = activities.find((entry) => entry.id === item && entry.conversationId === conversationId);
          if (!posted) return sendJson(response, 404, { error: { code: 'ActivityNotFound', message: 'no such activity' } });
          posted.activity = JSON.parse(text) as Record<string, unknown>;
          posted.updates.push(posted.activity);
          return sendJson(response, 200, { id: item });
        }
      }
      return sendJson(response, 404, { error: { code: 'NotFound', message: `${request.method} ${path}` } });
    },
    (error) => ({ error: { code: 'SimError', message: String(error) } }),
  );
  base = sim.base;
  const serviceUrl = `${base}/`;

  return {
    url: base,
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    serviceUrl,
    loginUrl: base,
    activities,
    calls,
    addUser: (user) => void users.set(user.id, user),
    async click(input) {
      const card = ((input.stale ? input.card.posted : input.card.activity)['attachments'] as Array<{ content?: { actions?: Array<{ type?: string; verb?: string; data?: Record<string, unknown> }> } }> | undefined)?.[0]?.content;
      const action = card?.actions?.find((candidate) => candidate.verb === input.verb || candidate.data?.['verb'] === input.verb);
      if (!action) throw new Error(`card ${input.card.id} has no action ${input.verb}`);
      const user = users.get(input.userId);
      const common = {
        id: `f:${randomUUID()}`,
        timestamp: new Date().toISOString(),
        channelId: 'msteams',
        serviceUrl,
        from: { id: input.userId, name: user?.name ?? 'Someone', ...(user ? { aadObjectId: user.aadObjectId } : {}) },
        recipient: { id: `28:${options.appId}`, name: 'Skyflo' },
        conversation: { id: `${input.card.conversationId};messageid=${input.card.id}`, conversationType: 'channel', tenantId: 'teams-sim-tenant' },
        replyToId: input.card.id,
        channelData: { tenant: { id: 'teams-sim-tenant' } },
      };
      const activity = input.submit
        ? { ...common, type: 'message', value: { ...action.data, verb: input.verb } }
        : { ...common, type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: input.verb, data: action.data ?? {} }, trigger: 'manual' } };
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: BOT_FRAMEWORK_ISSUER, aud: input.audience ?? options.appId, serviceurl: input.serviceUrlClaim ?? serviceUrl, nbf: now - 60, iat: now - 60, exp: now + (input.expiresInSeconds ?? 3600) };
      const jwt = signChannelJwt(input.signWithForeignKey ? foreign.privateKey : key.privateKey, kid, claims);
      const sent = { body: JSON.stringify(activity), headers: { 'content-type': 'application/json', ...(input.omitToken ? {} : { authorization: `Bearer ${jwt}` }) } };
      return { ...(await postClick(input.url, sent)), sent };
    },
    resend: (sent, url) => postClick(url, sent),
    close: sim.close,
  };
}

/**
 * A Slack Web API simulator for tests (binds 127.0.0.1, port 0 by default): it answers the calls Skyflo makes —
 * `chat.postMessage`, `chat.update`, `users.info` — records each one, serves `response_url`s (ephemeral replies), and
 * sends interaction payloads (a click on a button) to an app's Request URL signed as Slack does: `v0=` HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with the app's signing secret, in X-Slack-Signature with X-Slack-Request-Timestamp.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { postClick, sendJson, startSimServer, type SentClick } from '../chat-sim/sim-server.ts';

export interface SlackSimCall {
  method: string;
  /** the JSON or form body, parsed */
  body: Record<string, unknown>;
  /** the bearer token it came with */
  token?: string;
}

export interface SlackSimMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

export interface ClickInput {
  /** the app's interaction Request URL */
  url: string;
  signingSecret: string;
  /** Slack user id of the clicker (see addUser) */
  userId: string;
  /** which message's button */
  message: SlackSimMessage;
  /** the button's action_id (e.g. "approve", "deny") */
  actionId: string;
  /** sign with this timestamp (seconds) instead of now: an old one is what a replay looks like */
  timestamp?: number;
  /** send exactly this signature (a forged click) */
  signature?: string;
}

export interface ClickResult {
  status: number;
  body: string;
  /** what was signed and sent, so a test can send it again (a replay) */
  sent: SentClick;
}

export interface SlackSim {
  url: string;
  /** the Web API base URL (what Skyflo's Slack integration calls): `${url}/api` */
  apiUrl: string;
  calls: SlackSimCall[];
  /** messages by ts, as last posted or updated */
  messages: Map<string, SlackSimMessage>;
  /** ephemeral replies sent to response_urls, in order */
  ephemeral: Array<{ userId: string; text: string }>;
  addUser(id: string, email: string): void;
  click(input: ClickInput): Promise<ClickResult>;
  /** sends a previously sent click again, byte for byte */
  resend(sent: ClickResult['sent'], url: string): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export interface SlackSimOptions {
  port?: number;
  host?: string;
  /** the bot token the API accepts (default: any token starting with xoxb-) */
  botToken?: string;
}

function parse(request: IncomingMessage, text: string): Record<string, unknown> {
  if (!text) return {};
  if ((request.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(text));
}

export const slackSignature = (secret: string, timestamp: number, body: string) => `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

export async function startSlackSim(options: SlackSimOptions = {}): Promise<SlackSim> {
  const calls: SlackSimCall[] = [];
  const messages = new Map<string, SlackSimMessage>();
  const users = new Map<string, string>();
  const ephemeral: SlackSim['ephemeral'] = [];
  const responseUrls = new Map<string, string>();
  let sequence = 0;
  let base = '';

  const sim = await startSimServer(
    options,
    async (request, response, text) => {
      const url = new URL(request.url ?? '/', 'http://slack-sim');
      if (url.pathname.startsWith('/response/')) {
        const userId = responseUrls.get(url.pathname.slice('/response/'.length));
        if (!userId) return sendJson(response, 404, { ok: false, error: 'unknown response_url' });
        const body = parse(request, text);
        ephemeral.push({ userId, text: String(body['text'] ?? '') });
        return sendJson(response, 200, { ok: true });
      }
      const method = url.pathname.replace(/^\/api\//, '');
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      const body = { ...Object.fromEntries(url.searchParams), ...parse(request, text) };
      calls.push({ method, body, ...(token ? { token } : {}) });
      const tokenOk = options.botToken ? token === options.botToken : token?.startsWith('xoxb-') === true;
      if (!tokenOk) return sendJson(response, 200, { ok: false, error: 'invalid_auth' });
      switch (method) {
        case 'auth.test':
          return sendJson(response, 200, { ok: true, team: 'Skyflo Sim', user: 'skyflo', user_id: 'U_SKYFLO_BOT' });
        case 'chat.postMessage': {
          sequence += 1;
          const ts = `1700000000.${String(sequence).padStart(6, '0')}`;
          const message = { channel: String(body['channel']), ts, text: String(body['text'] ?? ''), blocks: (body['blocks'] as unknown[]) ?? [] };
          messages.set(ts, message);
          return sendJson(response, 200, { ok: true, channel: message.channel, ts, message });
        }
        case 'chat.update': {
          const ts = String(body['ts']);
          const existing = messages.get(ts);
          if (!existing) return sendJson(response, 200, { ok: false, error: 'message_not_found' });
          const message = { ...existing, text: String(body['text'] ?? existing.text), blocks: (body['blocks'] as unknown[]) ?? existing.blocks };
          messages.set(ts, message);
          return sendJson(response, 200, { ok: true, channel: message.channel, ts });
        }
        case 'users.info': {
          const id = String(body['user']);
          const email = users.get(id);
          return email ? sendJson(response, 200, { ok: true, user: { id, profile: { email } } }) : sendJson(response, 200, { ok: false, error: 'user_not_found' });
        }
        default:
          return sendJson(response, 200, { ok: false, error: 'unknown_method' });
      }
    },
    (error) => ({ ok: false, error: String(error) }),
  );
  base = sim.base;

  return {
    url: base,
    apiUrl: `${base}/api`,
    calls,
    messages,
    ephemeral,
    addUser: (id, email) => void users.set(id, email),
    async click(input) {
      const responseId = randomUUID();
      responseUrls.set(responseId, input.userId);
      const action = (input.message.blocks as Array<{ type?: string; elements?: Array<{ action_id?: string; value?: string }> }>)
        .flatMap((block) => block.elements ?? [])
        .find((element) => element.action_id === input.actionId);
      if (!action) throw new Error(`message ${input.message.ts} has no button ${input.actionId}`);
      const payload = {
        type: 'block_actions',
        user: { id: input.userId },
        channel: { id: input.message.channel },
        message: { ts: input.message.ts },
        response_url: `${base}/response/${responseId}`,
        actions: [{ action_id: input.actionId, value: action.value }],
      };
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': input.signature ?? slackSignature(input.signingSecret, timestamp, body),
      };
      const sent = { body, headers };
      return { ...(await postClick(input.url, sent)), sent };
    },
    resend: (sent, url) => postClick(url, sent),
    close: sim.close,
  };
}

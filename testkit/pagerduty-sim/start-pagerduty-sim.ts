/**
 * A PagerDuty simulator for tests (binds 127.0.0.1, port 0 by default). Its REST side answers what Skyflo calls —
 * `POST /incidents/{id}/notes` — checking the `Authorization: Token token=…` and `From` headers as PagerDuty does,
 * and records each note. Its webhook side sends v3 webhook events to a subscription URL signed as PagerDuty signs
 * them: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body with the subscription's secret>`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PagerDutySimOptions {
  port?: number;
  host?: string;
  /** the REST API key Skyflo must present (default `pd-sim-api-key`) */
  apiToken?: string;
  /** the PagerDuty users whose email may be the From header (default `oncall@example.com`) */
  users?: string[];
  /** called with each note accepted (the CLI prints them) */
  onNote?: (note: PagerDutyNote) => void;
}

export interface PagerDutyNote {
  incidentId: string;
  content: string;
  from: string;
}

export interface IncidentInput {
  id?: string;
  title: string;
  /** incident.triggered (default), incident.resolved, incident.acknowledged, incident.reopened, pagey.ping … */
  eventType?: string;
  service?: string;
  urgency?: 'high' | 'low';
  number?: number;
}

export interface SendResult {
  status: number;
  body: string;
  /** what was signed and sent, so a test can send it again byte for byte (a replay) */
  sent: { body: string; headers: Record<string, string> };
}

export interface PagerDutySim {
  url: string;
  /** the REST API base URL (PAGERDUTY_API_URL) */
  apiUrl: string;
  notes: PagerDutyNote[];
  /** every REST request, refused ones too */
  requests: Array<{ method: string; path: string; status: number }>;
  /** a v3 webhook event for an incident, as PagerDuty builds it */
  incidentEvent(input: IncidentInput): Record<string, unknown>;
  /** POSTs `event` to `url` signed with `secrets` (several: one v1= signature each, as during a rotation) */
  send(url: string, secrets: string | string[], event: Record<string, unknown>, options?: { signature?: string }): Promise<SendResult>;
  /** sends exactly what was sent before */
  resend(url: string, sent: SendResult['sent']): Promise<SendResult>;
  /** resolves once `predicate` holds for the notes received */
  waitForNote(predicate: (note: PagerDutyNote) => boolean): Promise<PagerDutyNote>;
  close(): Promise<void>;
}

export function pagerDutySignature(secret: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPagerDutySim(options: PagerDutySimOptions = {}): Promise<PagerDutySim> {
  const apiToken = options.apiToken ?? 'pd-sim-api-key';
  const users = new Set((options.users ?? ['oncall@example.com']).map((email) => email.toLowerCase()));
  const notes: PagerDutyNote[] = [];
  const requests: PagerDutySim['requests'] = [];
  const waiters = new Set<() => void>();
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const path = (request.url ?? '/').split('?')[0]!;
    const answer = (status: number, payload: unknown) => {
      requests.push({ method: request.method ?? '', path, status });
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const match = /^\/incidents\/([A-Za-z0-9]+)\/notes$/.exec(path);
    if (request.method !== 'POST' || !match) return answer(404, { error: { message: 'Not Found', code: 2100 } });
    if (request.headers.authorization !== `Token token=${apiToken}`) return answer(401, { error: { message: 'Unauthorized', code: 2006 } });
    const from = String(request.headers.from ?? '').toLowerCase();
    if (!users.has(from)) return answer(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: ['Requester User Not Found (From header)'] } });
    let content: unknown;
    try {
      content = (JSON.parse(body) as { note?: { content?: unknown } }).note?.content;
    } catch {
      content = undefined;
    }
    if (typeof content !== 'string' || content.trim() === '') return answer(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: ['Note content is required'] } });
    const note = { incidentId: match[1]!, content, from };
    notes.push(note);
    options.onNote?.(note);
    answer(201, { note: { id: randomUUID(), content, created_at: new Date().toISOString(), user: { summary: from } } });
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  let counter = 0;

  const post = async (target: string, sent: SendResult['sent']): Promise<SendResult> => {
    const response = await fetch(target, { method: 'POST', headers: sent.headers, body: sent.body });
    return { status: response.status, body: await response.text(), sent };
  };

  return {
    url,
    apiUrl: url,
    notes,
    requests,
    incidentEvent(input) {
      counter += 1;
      const id = input.id ?? `Q${String(counter).padStart(6, '0')}SIM`;
      const eventType = input.eventType ?? 'incident.triggered';
      const status = eventType === 'incident.resolved' ? 'resolved' : eventType === 'incident.acknowledged' ? 'acknowledged' : 'triggered';
      return {
        event: {
          id: randomUUID().replace(/-/g, '').toUpperCase(),
          event_type: eventType,
          resource_type: 'incident',
          occurred_at: new Date().toISOString(),
          agent: { id: 'PSIMUSR', type: 'user_reference', summary: 'PagerDuty sim' },
          client: null,
          data: {
            id,
            type: 'incident',
            self: `${url}/incidents/${id}`,
            html_url: `https://example.pagerduty.com/incidents/${id}`,
            number: input.number ?? counter,
            status,
            incident_key: randomUUID(),
            created_at: new Date().toISOString(),
            title: input.title,
            service: { id: 'PSIMSVC', type: 'service_reference', summary: input.service ?? 'checkout', html_url: 'https://example.pagerduty.com/services/PSIMSVC' },
            assignees: [],
            escalation_policy: { id: 'PSIMEP', type: 'escalation_policy_reference', summary: 'Default' },
            teams: [],
            priority: null,
            urgency: input.urgency ?? 'high',
            conference_bridge: null,
            resolve_reason: null,
          },
        },
      };
    },
    send(target, secrets, event, sendOptions = {}) {
      const body = JSON.stringify(event);
      const signature = sendOptions.signature ?? (Array.isArray(secrets) ? secrets : [secrets]).map((secret) => pagerDutySignature(secret, body)).join(',');
      return post(target, { body, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature, 'user-agent': 'PagerDuty-Webhook/V3.0' } });
    },
    resend: post,
    waitForNote(predicate) {
      return new Promise((resolve) => {
        const check = () => {
          const found = notes.find(predicate);
          if (!found) return false;
          waiters.delete(wake);
          resolve(found);
          return true;
        };
        const wake = () => void check();
        if (!check()) waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

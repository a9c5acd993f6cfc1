/**
 * PagerDuty's v3 webhooks (issue 39): an incident event becomes an AlertGroup like an Alertmanager group, so a
 * triggered incident opens an investigation and a resolved one closes it. PagerDuty signs each delivery with the
 * subscription's secret: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>` (comma-separated during a
 * secret rotation, one per secret). The body is verified before it is parsed, and every field is redacted by the
 * rules tool output gets before anything stores or sends it (incident titles are written by whoever raised them).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { redactText } from '@skyflo/safety';
import { z } from 'zod';
import type { AlertGroup } from '../alert-payloads.ts';

/** The header PagerDuty signs with. */
export const pagerDutySignatureHeader = 'x-pagerduty-signature';

/**
 * True when one of the header's `v1=` signatures is the HMAC of `rawBody` with one of `secrets` (several during a
 * rotation, on either side). Compared in constant time.
 */
export function verifyPagerDutySignature(secrets: readonly string[], header: string | string[] | undefined, rawBody: string): boolean {
  const given = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'utf8'));
  if (given.length === 0) return false;
  return secrets.some((secret) => {
    const expected = Buffer.from(createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex'), 'utf8');
    return given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
  });
}

const reference = z.looseObject({ summary: z.string().optional(), html_url: z.string().optional() }).nullish();

/** What Skyflo reads of a v3 webhook event (PagerDuty adds fields over time: the rest is ignored). */
export const pagerDutyWebhookSchema = z.object({
  event: z.looseObject({
    id: z.string().min(1, 'event.id is required (PagerDuty sends it)'),
    event_type: z.string().min(1, 'event.event_type is required'),
    resource_type: z.string().optional(),
    occurred_at: z.string().optional(),
    data: z
      .looseObject({
        id: z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'event.data.id must be a PagerDuty incident id'),
        type: z.string().optional(),
        html_url: z.string().optional(),
        number: z.number().optional(),
        status: z.string().optional(),
        title: z.string().max(1024).optional(),
        urgency: z.string().optional(),
        service: reference,
        priority: reference,
        escalation_policy: reference,
      })
      .optional(),
  }),
});
export type PagerDutyWebhook = z.infer<typeof pagerDutyWebhookSchema>;

const firingEvents = new Set(['incident.triggered', 'incident.reopened']);
const resolvedEvents = new Set(['incident.resolved']);

/** The AlertGroup key of a PagerDuty incident (the notes sink reads the incident id back from it). */
export const pagerDutyGroupKey = (incidentId: string) => `pd:${incidentId}`;
export function incidentIdOfGroupKey(key: unknown): string | undefined {
  return typeof key === 'string' && /^pd:[A-Za-z0-9]{1,64}$/.test(key) ? key.slice(3) : undefined;
}

const httpLink = (url: string | undefined) => (url && /^https?:\/\//i.test(url) ? url : undefined);

/** The incident as an AlertGroup, or why it is not one (an acknowledgement, a ping, a non-incident event). */
export function fromPagerDuty(payload: PagerDutyWebhook): AlertGroup | { ignored: string } {
  const { event } = payload;
  const status = firingEvents.has(event.event_type) ? 'firing' : resolvedEvents.has(event.event_type) ? 'resolved' : undefined;
  if (!status) return { ignored: `${event.event_type} events do not open or close investigations (incident.triggered, incident.reopened and incident.resolved do)` };
  const incident = event.data;
  if (!incident || (incident.type !== undefined && incident.type !== 'incident')) return { ignored: `${event.event_type} carries no incident` };
  const title = redactText(incident.title?.trim() || `PagerDuty incident ${incident.id}`).slice(0, 200);
  const service = incident.service?.summary ? redactText(incident.service.summary) : undefined;
  const facts: Record<string, string> = {
    incident: `${incident.number !== undefined ? `#${incident.number} ` : ''}${incident.id}`,
    ...(service ? { service } : {}),
    ...(incident.urgency ? { urgency: redactText(incident.urgency) } : {}),
    ...(incident.priority?.summary ? { priority: redactText(incident.priority.summary) } : {}),
    ...(incident.escalation_policy?.summary ? { escalation_policy: redactText(incident.escalation_policy.summary) } : {}),
  };
  const links = [
    ...(httpLink(incident.html_url) ? [{ label: 'PagerDuty incident', url: httpLink(incident.html_url)! }] : []),
    ...(httpLink(incident.service?.html_url ?? undefined) ? [{ label: 'PagerDuty service', url: httpLink(incident.service?.html_url ?? undefined)! }] : []),
  ];
  const receiver = `pagerduty${service ? `: ${service}` : ''}`.slice(0, 120);
  return {
    key: pagerDutyGroupKey(incident.id),
    status,
    title,
    description: [`PagerDuty incident: ${title}`, ...Object.entries(facts).map(([key, value]) => `${key}: ${value}`)].join('\n'),
    source: 'pagerduty',
    receiver,
    card: { title, status, source: 'pagerduty', receiver, labels: facts, annotations: {}, links, count: 1 },
  };
}

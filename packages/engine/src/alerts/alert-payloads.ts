/**
 * The alert payloads the engine accepts: Alertmanager's webhook (version 4) and a generic {title, description,
 * labels}. Both become AlertGroups: one per Alertmanager groupKey (or per title + labels for generic alerts).
 * Every field is redacted first, by the rules tool output gets (@skyflo/safety): alert text is written by whoever
 * configured the rule, and an annotation such as `postgres://app:PASS@db` or `password=PASS` would otherwise reach
 * the model, the conversation, the audit trail, Slack and webhooks in clear.
 */
import { createHash } from 'node:crypto';
import type { AlertCard } from '@skyflo/protocol';
import { redactObject, redactText } from '@skyflo/safety';
import { z } from 'zod';

const labels = z.record(z.string(), z.string()).default({});

export const alertmanagerPayloadSchema = z.object({
  version: z.string().optional(),
  groupKey: z.string().min(1, 'groupKey is required (Alertmanager sends it)'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels,
  externalURL: z.string().optional(),
  alerts: z
    .array(z.object({ status: z.enum(['firing', 'resolved']), labels, annotations: labels, startsAt: z.string().optional(), endsAt: z.string().optional(), generatorURL: z.string().optional() }))
    .max(100, 'at most 100 alerts per group'),
});

export const genericAlertSchema = z.object({
  title: z.string().trim().min(1, 'title is required').max(200),
  description: z.string().max(4000).default(''),
  labels,
  status: z.enum(['firing', 'resolved']).default('firing'),
});

export interface AlertGroup {
  /** stable per group: repeats of the same group go to the same investigation */
  key: string;
  status: 'firing' | 'resolved';
  title: string;
  /** what the investigation is told: alert names, labels and annotations, redacted */
  description: string;
  source: 'alertmanager' | 'generic' | 'pagerduty';
  /** who the alert is from: Alertmanager's receiver, else its source (its calls are "asked by alert: <receiver>") */
  receiver: string;
  /** the alert as the investigation's first entry shows it (issue 37 item 9), redacted like the description */
  card: AlertCard;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const describeLabels = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');

/** Links worth a click: runbook_url (and other *_url annotations) and each rule's generatorURL, http(s) only. */
function linksOf(annotations: Record<string, string>, generatorUrls: readonly string[]): AlertCard['links'] {
  const links = [
    ...Object.entries(annotations).filter(([key]) => key.endsWith('_url') || key.endsWith('URL')).map(([key, url]) => ({ label: key, url })),
    ...generatorUrls.map((url) => ({ label: 'rule (generatorURL)', url })),
  ].filter((link) => /^https?:\/\//i.test(link.url));
  return links.filter((link, index) => links.findIndex((other) => other.url === link.url) === index);
}

const runbookUrls = (payload: z.infer<typeof alertmanagerPayloadSchema>) => [...new Set([payload.commonAnnotations['runbook_url'], ...payload.alerts.map((alert) => alert.annotations['runbook_url'])].filter((url): url is string => Boolean(url)))].map((url) => `runbook_url: ${url}`);

export function fromAlertmanager(received: z.infer<typeof alertmanagerPayloadSchema>): AlertGroup {
  const payload = redactObject(received) as typeof received;
  const name = payload.commonLabels['alertname'] ?? payload.groupLabels['alertname'] ?? 'Alert';
  const where = [payload.commonLabels['namespace'], payload.commonLabels['pod'] ?? payload.commonLabels['deployment']].filter(Boolean).join('/');
  const lines = payload.alerts.map((alert) => `- ${alert.status}: ${describeLabels(alert.labels)}${alert.annotations['summary'] ? ` — ${alert.annotations['summary']}` : ''}${alert.annotations['description'] ? ` (${alert.annotations['description']})` : ''}${alert.generatorURL ? ` [rule: ${alert.generatorURL}]` : ''}`);
  return {
    key: `am:${digest(payload.groupKey)}`,
    status: payload.status,
    title: `${name}${where ? ` ${where}` : ''}`.slice(0, 200),
    // runbook_url is named, never fetched: the runbooks module follows it only to a configured runbook (issue 36)
    description: [payload.commonAnnotations['summary'], payload.commonAnnotations['description'], ...lines, ...runbookUrls(payload)].filter(Boolean).join('\n'),
    source: 'alertmanager',
    receiver: payload.receiver?.trim() || 'alertmanager',
    card: {
      title: name,
      status: payload.status,
      source: 'alertmanager',
      receiver: payload.receiver?.trim() || 'alertmanager',
      // what the group's alerts share, else the first alert's own (a group of one)
      labels: Object.keys(payload.commonLabels).length > 0 ? payload.commonLabels : (payload.alerts[0]?.labels ?? payload.groupLabels),
      annotations: Object.keys(payload.commonAnnotations).length > 0 ? payload.commonAnnotations : (payload.alerts[0]?.annotations ?? {}),
      links: linksOf({ ...payload.commonAnnotations, ...Object.assign({}, ...payload.alerts.map((alert) => alert.annotations)) }, [...new Set(payload.alerts.map((alert) => alert.generatorURL).filter((url): url is string => Boolean(url)))]),
      count: payload.alerts.length,
    },
  };
}

export function fromGeneric(received: z.infer<typeof genericAlertSchema>): AlertGroup {
  const alert = { ...received, title: redactText(received.title), description: redactText(received.description), labels: redactObject(received.labels) as Record<string, string> };
  return {
    key: `gen:${digest(`${alert.title}\u0000${describeLabels(alert.labels)}`)}`,
    status: alert.status,
    title: alert.title,
    description: [alert.description, Object.keys(alert.labels).length > 0 ? `Labels: ${describeLabels(alert.labels)}` : ''].filter(Boolean).join('\n'),
    source: 'generic',
    receiver: 'generic',
    card: { title: alert.title, status: alert.status, source: 'generic', receiver: 'generic', labels: alert.labels, annotations: alert.description ? { description: alert.description } : {}, links: [], count: 1 },
  };
}

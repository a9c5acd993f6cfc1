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
  // Any number: Alertmanager never retries a 4xx, so a group refused for its size would be lost (issue 78 item 8).
  // The first `alertsShown` are told and shown; the rest are counted (card.truncated_alerts).
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels,
      annotations: labels,
      startsAt: z.string().optional(),
      endsAt: z.string().optional(),
      generatorURL: z.string().optional(),
      /** Alertmanager's id of the alert (a hash of its labels) */
      fingerprint: z.string().optional(),
    }),
  ),
});

/** How many of a group's alerts the investigation is told and the card shows; the rest are counted. */
export const alertsShown = 100;

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
  /**
   * What is firing (issue 78 item 8): an id per firing alert, sorted. A repeat with the same set adds a line to the
   * open investigation; a changed set is a change to investigate. Undefined: every repeat is investigated (PagerDuty).
   */
  firing?: string[];
  /** firing or resolved alert id → a short description ("pod=web-1, namespace=prod"), for the change's words */
  alertNames?: Record<string, string>;
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

/** An alert's id: Alertmanager's fingerprint, else a digest of its labels (what Alertmanager's fingerprint hashes). */
const alertId = (alert: { labels: Record<string, string>; fingerprint?: string | undefined }) =>
  alert.fingerprint?.trim() ||
  digest(
    Object.keys(alert.labels)
      .sort()
      .map((key) => `${key}\u0000${alert.labels[key]}`)
      .join('\u0001'),
  ).slice(0, 16);

/** What tells one alert of a group from the others: its labels less those the group shares. */
function nameOf(labels: Record<string, string>, common: Record<string, string>): string {
  const own = Object.entries(labels).filter(([key, value]) => common[key] !== value);
  return describeLabels(Object.fromEntries(own.length > 0 ? own : Object.entries(labels))).slice(0, 200) || 'an alert';
}

export function fromAlertmanager(received: z.infer<typeof alertmanagerPayloadSchema>): AlertGroup {
  const redacted = redactObject(received) as typeof received;
  // ids from the payload as received (a fingerprint is a hash, never a secret); everything shown is redacted
  const ids = received.alerts.map(alertId);
  const firing = [...new Set(ids.filter((_, index) => received.alerts[index]!.status === 'firing'))].sort();
  const truncated = Math.max(0, redacted.alerts.length - alertsShown);
  const payload = { ...redacted, alerts: redacted.alerts.slice(0, alertsShown) };
  const name = payload.commonLabels['alertname'] ?? payload.groupLabels['alertname'] ?? 'Alert';
  const where = [payload.commonLabels['namespace'], payload.commonLabels['pod'] ?? payload.commonLabels['deployment']].filter(Boolean).join('/');
  const alertNames = Object.fromEntries(redacted.alerts.slice(0, 1000).map((alert, index) => [ids[index]!, nameOf(alert.labels, redacted.commonLabels)]));
  const lines = payload.alerts.map((alert) => `- ${alert.status}: ${describeLabels(alert.labels)}${alert.annotations['summary'] ? ` — ${alert.annotations['summary']}` : ''}${alert.annotations['description'] ? ` (${alert.annotations['description']})` : ''}${alert.generatorURL ? ` [rule: ${alert.generatorURL}]` : ''}`);
  return {
    key: `am:${digest(payload.groupKey)}`,
    status: payload.status,
    title: `${name}${where ? ` ${where}` : ''}`.slice(0, 200),
    // runbook_url is named, never fetched: the runbooks module follows it only to a configured runbook (issue 36)
    description: [
      payload.commonAnnotations['summary'],
      payload.commonAnnotations['description'],
      ...lines,
      truncated > 0 ? `… and ${truncated} more alert(s) of this group not listed (${redacted.alerts.length} in all, ${firing.length} firing)` : '',
      ...runbookUrls(payload),
    ]
      .filter(Boolean)
      .join('\n'),
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
      count: redacted.alerts.length,
      ...(truncated > 0 ? { truncated_alerts: truncated } : {}),
    },
    firing,
    alertNames,
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
    // one alert: sent again while firing, it is the same alert still firing (a line, not a new run)
    firing: alert.status === 'firing' ? ['generic'] : [],
  };
}

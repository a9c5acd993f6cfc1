/**
 * The alert payloads the engine accepts: Alertmanager's webhook (version 4) and a generic {title, description,
 * labels}. Both become AlertGroups: one per Alertmanager groupKey (or per title + labels for generic alerts).
 */
import { createHash } from 'node:crypto';
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
  /** what the investigation is told: alert names, labels and annotations (never credentials: they are not in alerts) */
  description: string;
  source: 'alertmanager' | 'generic';
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const describeLabels = (values: Record<string, string>) =>
  Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');

export function fromAlertmanager(payload: z.infer<typeof alertmanagerPayloadSchema>): AlertGroup {
  const name = payload.commonLabels['alertname'] ?? payload.groupLabels['alertname'] ?? 'Alert';
  const where = [payload.commonLabels['namespace'], payload.commonLabels['pod'] ?? payload.commonLabels['deployment']].filter(Boolean).join('/');
  const lines = payload.alerts.map((alert) => `- ${alert.status}: ${describeLabels(alert.labels)}${alert.annotations['summary'] ? ` — ${alert.annotations['summary']}` : ''}${alert.annotations['description'] ? ` (${alert.annotations['description']})` : ''}`);
  return {
    key: `am:${digest(payload.groupKey)}`,
    status: payload.status,
    title: `${name}${where ? ` ${where}` : ''}`.slice(0, 200),
    description: [payload.commonAnnotations['summary'], payload.commonAnnotations['description'], ...lines].filter(Boolean).join('\n'),
    source: 'alertmanager',
  };
}

export function fromGeneric(alert: z.infer<typeof genericAlertSchema>): AlertGroup {
  return {
    key: `gen:${digest(`${alert.title}\u0000${describeLabels(alert.labels)}`)}`,
    status: alert.status,
    title: alert.title,
    description: [alert.description, Object.keys(alert.labels).length > 0 ? `Labels: ${describeLabels(alert.labels)}` : ''].filter(Boolean).join('\n'),
    source: 'generic',
  };
}

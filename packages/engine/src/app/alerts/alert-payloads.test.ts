/**
 * Alert payloads become AlertGroups with every field redacted (issue 31, item 4): a secret in any field an alert
 * source fills — labels, annotations, the rule link, a generic alert's title, description or labels — is masked in
 * the group's title and description (what is stored, audited and sent to the model) and does not shape its key.
 */
import { describe, expect, it } from 'vitest';
import { alertmanagerPayloadSchema, alertsShown, fromAlertmanager, fromGeneric, genericAlertSchema } from './alert-payloads.ts';
import { describeFiringChange } from './alert-investigator.ts';

const SECRET = 'Pa55-w0rd-of-the-payments-db';

const alertmanager = (change: (payload: Record<string, any>) => void) => {
  const payload: Record<string, any> = {
    groupKey: '{}:{alertname="DbDown"}',
    status: 'firing',
    groupLabels: { alertname: 'DbDown' },
    commonLabels: { alertname: 'DbDown', namespace: 'payments' },
    commonAnnotations: { summary: 'The database does not answer' },
    alerts: [{ status: 'firing', labels: { alertname: 'DbDown' }, annotations: {}, generatorURL: 'http://prometheus/graph?g0.expr=up' }],
  };
  change(payload);
  return fromAlertmanager(alertmanagerPayloadSchema.parse(payload));
};

describe('alert fields are redacted', () => {
  it.each([
    ['a common annotation with a DSN', (p: Record<string, any>) => (p.commonAnnotations.summary = `cannot reach postgres://app:${SECRET}@db:5432/app`), 'postgres://app:[REDACTED]@db:5432/app'],
    ['a common annotation with password=', (p: Record<string, any>) => (p.commonAnnotations.description = `login failed password=${SECRET}`), 'password=[REDACTED]'],
    ["an alert's annotation", (p: Record<string, any>) => (p.alerts[0].annotations.description = `PGPASSWORD=${SECRET}`), 'PGPASSWORD=[REDACTED]'],
    ["an alert's label named like a secret", (p: Record<string, any>) => (p.alerts[0].labels.db_password = SECRET), 'db_password=[REDACTED]'],
    ["an alert's label holding a URL with credentials", (p: Record<string, any>) => (p.alerts[0].labels.upstream = `https://svc:${SECRET}@api.internal/v1`), 'upstream=https://svc:[REDACTED]@api.internal/v1'],
    ['the rule link', (p: Record<string, any>) => (p.alerts[0].generatorURL = `http://grafana/explore?api_key=${SECRET}`), 'api_key=[REDACTED]'],
  ])('Alertmanager: %s', (_, change, shown) => {
    const group = alertmanager(change);
    expect(JSON.stringify(group)).not.toContain(SECRET);
    expect(group.description).toContain(shown);
  });

  it.each([
    ['the title', { title: `backup failed password=${SECRET}` }, 'password=[REDACTED]'],
    ['the description', { title: 'backup failed', description: `pg_dump postgres://backup:${SECRET}@db/payments` }, 'postgres://backup:[REDACTED]@db/payments'],
    ['a label', { title: 'backup failed', labels: { token: SECRET } }, 'token=[REDACTED]'],
  ])('generic: %s', (_, alert, shown) => {
    const group = fromGeneric(genericAlertSchema.parse(alert));
    expect(JSON.stringify(group)).not.toContain(SECRET);
    expect(`${group.title}\n${group.description}`).toContain(shown);
  });

  it('keeps ordinary alert text as it is, and the same group under the same key', () => {
    const group = alertmanager(() => undefined);
    expect(group).toEqual({
      key: alertmanager(() => undefined).key,
      firing: [expect.stringMatching(/^[0-9a-f]{16}$/)],
      alertNames: { [group.firing![0]!]: 'alertname=DbDown' },
      status: 'firing',
      title: 'DbDown payments',
      description: 'The database does not answer\n- firing: alertname=DbDown [rule: http://prometheus/graph?g0.expr=up]',
      source: 'alertmanager',
      // no receiver in the payload: the alert is named by its source
      receiver: 'alertmanager',
      // issue 37 item 9: the alert as the investigation's first entry shows it, with the rule's link
      card: {
        title: 'DbDown',
        status: 'firing',
        source: 'alertmanager',
        receiver: 'alertmanager',
        labels: { alertname: 'DbDown', namespace: 'payments' },
        annotations: { summary: 'The database does not answer' },
        links: [{ label: 'rule (generatorURL)', url: 'http://prometheus/graph?g0.expr=up' }],
        count: 1,
      },
    });
    expect(alertmanager((p) => (p.commonAnnotations.runbook_url = 'https://runbooks.example/db-down')).card.links).toEqual([
      { label: 'runbook_url', url: 'https://runbooks.example/db-down' },
      { label: 'rule (generatorURL)', url: 'http://prometheus/graph?g0.expr=up' },
    ]);
    expect(alertmanager((p) => (p.receiver = 'pager')).receiver).toBe('pager');
    expect(alertmanager((p) => (p.groupKey = '{}:{alertname="Other"}')).key).not.toBe(group.key);
  });
});

describe('alert groups at real volume (issue 78 item 8)', () => {
  const pods = (count: number, status: 'firing' | 'resolved' = 'firing') =>
    Array.from({ length: count }, (_, index) => ({ status, labels: { alertname: 'KubePodCrashLooping', namespace: 'prod', pod: `web-${index}` }, annotations: { summary: `pod web-${index} restarts` }, fingerprint: `f${String(index).padStart(4, '0')}` }));

  it('accepts a group of any size: the first 100 are told and shown, the rest counted', () => {
    const group = fromAlertmanager(alertmanagerPayloadSchema.parse({ groupKey: 'g', status: 'firing', commonLabels: { alertname: 'KubePodCrashLooping', namespace: 'prod' }, alerts: pods(1500) }));
    expect(group.card.count).toBe(1500);
    expect(group.card.truncated_alerts).toBe(1500 - alertsShown);
    expect(group.description.split('\n').filter((line) => line.startsWith('- firing:'))).toHaveLength(alertsShown);
    expect(group.description).toContain('… and 1400 more alert(s) of this group not listed (1500 in all, 1500 firing)');
    // what fires is every alert, not only the ones shown
    expect(group.firing).toHaveLength(1500);
  });

  it('names what fires by Alertmanager\'s fingerprint, resolved alerts excluded, in a stable order', () => {
    const group = fromAlertmanager(alertmanagerPayloadSchema.parse({ groupKey: 'g', status: 'firing', commonLabels: { alertname: 'KubePodCrashLooping', namespace: 'prod' }, alerts: [...pods(3).reverse(), ...pods(1, 'resolved').map((alert) => ({ ...alert, fingerprint: 'gone' }))] }));
    expect(group.firing).toEqual(['f0000', 'f0001', 'f0002']);
    expect(group.alertNames?.['f0001']).toBe('pod=web-1');
  });

  it('says what changed in a firing set, naming at most five of each side', () => {
    expect(describeFiringChange(['a', 'b'], ['b', 'c'], { a: 'pod=web-1', c: 'pod=web-3' })).toBe('1 started firing: pod=web-3; 1 stopped: pod=web-1 (2 firing now)');
    const many = Array.from({ length: 8 }, (_, index) => `n${index}`);
    expect(describeFiringChange([], many)).toBe('8 started firing: alert n0; alert n1; alert n2; alert n3; alert n4; and 3 more (8 firing now)');
  });
});

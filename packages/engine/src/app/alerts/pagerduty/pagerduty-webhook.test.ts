import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromPagerDuty, incidentIdOfGroupKey, pagerDutyWebhookSchema, verifyPagerDutySignature } from './pagerduty-webhook.ts';

const sign = (secret: string, body: string) => `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('verifyPagerDutySignature', () => {
  const body = '{"event":{"id":"E1"}}';
  it('accepts the v1 HMAC of the exact body with any configured secret, among several signatures', () => {
    expect(verifyPagerDutySignature(['old-secret', 'new-secret'], sign('new-secret', body), body)).toBe(true);
    expect(verifyPagerDutySignature(['new-secret'], `${sign('old-secret', body)}, ${sign('new-secret', body)}`, body)).toBe(true);
  });
  it('refuses another secret, another body, a missing header and a signature without its v1= scheme', () => {
    expect(verifyPagerDutySignature(['new-secret'], sign('guess', body), body)).toBe(false);
    expect(verifyPagerDutySignature(['new-secret'], sign('new-secret', body), `${body} `)).toBe(false);
    expect(verifyPagerDutySignature(['new-secret'], undefined, body)).toBe(false);
    expect(verifyPagerDutySignature(['new-secret'], sign('new-secret', body).slice(3), body)).toBe(false);
  });
});

describe('fromPagerDuty', () => {
  const event = (eventType: string, title = 'checkout down') =>
    pagerDutyWebhookSchema.parse({ event: { id: 'E1', event_type: eventType, data: { id: 'PABC123', type: 'incident', number: 7, title, urgency: 'high', html_url: 'https://acme.pagerduty.com/incidents/PABC123', service: { summary: 'checkout' } } } });
  it('a triggered incident is a firing group keyed by its incident, redacted, linking back to PagerDuty', () => {
    const group = fromPagerDuty(event('incident.triggered', 'db down: password=hunter2-hunter2'));
    expect(group).toMatchObject({ key: 'pd:PABC123', status: 'firing', source: 'pagerduty', receiver: 'pagerduty: checkout' });
    if ('ignored' in group) throw new Error('ignored');
    expect(group.title).toBe('db down: password=[REDACTED]');
    expect(group.description).toContain('incident: #7 PABC123');
    expect(group.card.links).toEqual([{ label: 'PagerDuty incident', url: 'https://acme.pagerduty.com/incidents/PABC123' }]);
    expect(incidentIdOfGroupKey(group.key)).toBe('PABC123');
  });
  it('resolved closes, reopened fires again, an acknowledgement is ignored with the reason', () => {
    expect(fromPagerDuty(event('incident.resolved'))).toMatchObject({ status: 'resolved' });
    expect(fromPagerDuty(event('incident.reopened'))).toMatchObject({ status: 'firing' });
    expect(fromPagerDuty(event('incident.acknowledged'))).toEqual({ ignored: expect.stringContaining('incident.acknowledged events do not open') });
  });
  it('an incident id that is not one is refused by the schema (it becomes part of a URL path)', () => {
    expect(() => pagerDutyWebhookSchema.parse({ event: { id: 'E1', event_type: 'incident.triggered', data: { id: '../../users' } } })).toThrow();
    expect(incidentIdOfGroupKey('pd:../x')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '@skyflo/protocol';
import { freezeFromObject, policyFromObject } from './policy-check.ts';

const policy = (spec: Record<string, unknown>, generation = 3) => ({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloPolicy', metadata: { name: 'p1', generation }, spec }) as unknown as KubeObject;
const freeze = (spec: Record<string, unknown>) => ({ apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloFreeze', metadata: { name: 'f1', uid: 'u1' }, spec }) as unknown as KubeObject;

describe('SkyfloPolicy and SkyfloFreeze objects read as the engine stores its own', () => {
  it("a policy's effect takes its parameter from beside it; the generation names the version; enabled and message default", () => {
    expect(policyFromObject(policy({ expression: 'true', effect: 'require_approvers', approvers: 2 }))).toEqual({ policy: { name: 'p1', version: 3, expression: 'true', effect: { require_approvers: 2 }, message: '' }, enabled: true });
    expect(policyFromObject(policy({ expression: 'true', effect: 'require_role', role: 'admin', enabled: false }))).toMatchObject({ policy: { effect: { require_role: 'admin' } }, enabled: false });
    expect(policyFromObject(policy({ expression: 'true', effect: 'deny', message: 'no' }))).toMatchObject({ policy: { effect: 'deny', message: 'no' } });
  });

  it('a policy the engine would refuse is a problem, saying which field', () => {
    expect(policyFromObject(policy({ expression: 'true', effect: 'require_approvers' }))).toEqual({ problem: expect.stringMatching(/^effect/) });
    expect(policyFromObject(policy({ effect: 'deny' }))).toEqual({ problem: expect.stringMatching(/^expression: /) });
  });

  it('a freeze has the fields of POST /api/v1/freezes; a bad window or zone is a problem', () => {
    expect(freezeFromObject(freeze({ starts_at: '2026-03-20T16:00:00+01:00', ends_at: '2026-03-23T08:00:00+01:00', recurrence: 'weekly', time_zone: 'Europe/Berlin', namespaces: ['pay*'], reason: 'weekend' }))).toEqual({
      freeze: { id: 'u1', name: 'f1', reason: 'weekend', startsAt: new Date('2026-03-20T15:00:00Z'), endsAt: new Date('2026-03-23T07:00:00Z'), recurrence: 'weekly', timeZone: 'Europe/Berlin', clusters: undefined, namespaces: ['pay*'] },
    });
    expect(freezeFromObject(freeze({ starts_at: '2026-03-23T08:00:00+01:00', ends_at: '2026-03-20T16:00:00+01:00', reason: 'x' }))).toEqual({ problem: 'ends_at must be after starts_at' });
    expect(freezeFromObject(freeze({ starts_at: '2026-03-20T16:00:00+01:00', ends_at: '2026-03-23T08:00:00+01:00', reason: 'x', time_zone: 'Nowhere/City' }))).toEqual({ problem: 'time_zone "Nowhere/City" is not an IANA time zone this executor knows' });
    expect(freezeFromObject(freeze({ starts_at: 'friday', ends_at: '2026-03-23T08:00:00+01:00', reason: 'x' }))).toEqual({ problem: expect.stringMatching(/^starts_at: must be an ISO date-time/) });
  });
});

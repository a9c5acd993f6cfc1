import { describe, expect, it } from 'vitest';
import { passkeyModeOf, passkeyRequirement } from './passkey-policy.ts';

const prod = { name: 'prod', server: 'https://prod', label: 'production' };
const staging = { name: 'staging', server: 'https://staging' };

describe('when an approval needs a passkey', () => {
  it.each<[string, Parameters<typeof passkeyModeOf>[0], Parameters<typeof passkeyModeOf>[1], string]>([
    ['a cluster labelled production, no setting', [], prod, 'destructive_and_high_risk'],
    ['a cluster labelled prod, no setting', [], { ...prod, label: 'prod' }, 'destructive_and_high_risk'],
    ['an unlabelled cluster, no setting', [], staging, 'never'],
    ['the admin turned it off on production', [{ cluster: 'prod', mode: 'never' }], prod, 'never'],
    ['the admin asks on every approval on staging', [{ cluster: 'staging', mode: 'every_approval' }], staging, 'every_approval'],
    ['a glob entry', [{ cluster: 'stag*', mode: 'every_approval' }], staging, 'every_approval'],
    ['an exact entry wins over a glob', [{ cluster: '*', mode: 'every_approval' }, { cluster: 'prod', mode: 'never' }], prod, 'never'],
    ['a call bound to no cluster follows only "*"', [{ cluster: 'prod', mode: 'every_approval' }], undefined, 'never'],
    ['a call bound to no cluster under "*"', [{ cluster: '*', mode: 'every_approval' }], undefined, 'every_approval'],
  ])('%s', (_case, policies, cluster, mode) => {
    expect(passkeyModeOf(policies, cluster)).toBe(mode);
  });

  it('destructive and high-risk: a destructive call or a high risk needs one, a plain change does not', () => {
    const call = { destructive: false, risks: [], cluster: prod };
    expect(passkeyRequirement('destructive_and_high_risk', call)).toBeUndefined();
    expect(passkeyRequirement('destructive_and_high_risk', { ...call, destructive: true })).toBe('cluster prod asks for a passkey on destructive calls, and this one is destructive');
    expect(passkeyRequirement('destructive_and_high_risk', { ...call, risks: [{ code: 'SCALE_TO_ZERO', severity: 'high', message: 'x' }] })).toBe('cluster prod asks for a passkey on high-risk calls, and this one carries SCALE_TO_ZERO');
    expect(passkeyRequirement('destructive_and_high_risk', { ...call, risks: [{ code: 'LOW', severity: 'low', message: 'x' }] })).toBeUndefined();
    expect(passkeyRequirement('every_approval', call)).toBe('cluster prod asks for a passkey on every approval');
    expect(passkeyRequirement('never', { ...call, destructive: true })).toBeUndefined();
  });
});

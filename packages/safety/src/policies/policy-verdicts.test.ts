import { describe, expect, it } from 'vitest';
import type { PolicyVerdict } from '@skyflo/protocol';
import { checkExpression } from './cel-expression.ts';
import { policyInput, policyObjectsOf } from './policy-input.ts';
import { demandsOf, judge, policyRiskFlags, type EnabledPolicy } from './policy-verdicts.ts';

const input = (patch: Partial<Parameters<typeof policyInput>[0]> = {}) =>
  policyInput(
    {
      tool: 'k8s_scale',
      args: { name: 'web', replicas: 0 },
      cluster: { name: 'prod' },
      namespaces: ['shop'],
      objects: [{ before: { kind: 'Deployment', spec: { replicas: 3 } }, after: { kind: 'Deployment', spec: { replicas: 0 } } }],
      risks: [{ code: 'SCALE_TO_ZERO' }],
      requester: { email: 'mia@example.com', role: 'member', groups: ['skyflo:members'] },
      now: new Date('2026-11-27T15:30:00Z'), // a Friday
      ...patch,
    },
    { prod: { env: 'prod' } },
  );

const policy = (name: string, expression: string, effect: EnabledPolicy['effect']): EnabledPolicy => ({ name, version: 1, expression, effect, message: '' });

describe('policies over the documented input', () => {
  it.each([
    ['the issue\'s example over the dry run\'s objects', 'objects.exists(o, o.after.kind == "Deployment" && o.after.spec.replicas == 0) && cluster.labels.env == "prod"', true],
    ['arguments (JSON numbers are CEL ints)', 'tool == "k8s_scale" && args.replicas == 0', true],
    ['the requester', 'requester.role == "member" && "skyflo:members" in requester.groups && requester.email.endsWith("@example.com")', true],
    ['risks and namespaces', '"SCALE_TO_ZERO" in risks && namespaces.exists(n, n == "shop")', true],
    ['the time in a time zone: "no scale to zero in prod on Fridays"', 'now.getDayOfWeek("Europe/Berlin") == 5 && args.replicas == 0', true],
    ['a before-state', 'objects.all(o, o.before.spec.replicas > 2)', true],
    ['not matched', 'tool == "k8s_delete"', false],
  ])('%s', (_name, expression, matched) => {
    expect(checkExpression(expression)).toBeUndefined();
    expect(judge([policy('p', expression, 'deny')], input())).toEqual(matched ? { verdicts: [expect.objectContaining({ name: 'p' })], errors: [] } : { verdicts: [], errors: [] });
  });

  it('a field the call lacks is an error of that policy on that call, shown on the card, not a match', () => {
    const judgement = judge([policy('needs replicas', 'args.replicas == 0', 'deny')], input({ tool: 'k8s_delete', args: { name: 'web' } }));
    expect(judgement).toEqual({ verdicts: [], errors: [{ name: 'needs replicas', version: 1, message: 'No such key: replicas' }] });
    expect(policyRiskFlags(judgement)).toEqual([{ code: 'POLICY_ERROR', severity: 'medium', message: 'Policy "needs replicas" (v1) could not be evaluated on this call (No such key: replicas); it did not apply.' }]);
  });

  it('a preview that lists only references gives them as objects after (or before, when removed) the change', () => {
    expect(policyObjectsOf([{ kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', name: 'r', namespace: 'a' }, { kind: 'Secret', name: 's', removed: true }])).toEqual([
      { before: null, after: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'a' } } },
      { before: { kind: 'Secret', metadata: { name: 's' } }, after: null },
    ]);
  });
});

describe('several policies combine to the strictest', () => {
  const verdict = (name: string, effect: PolicyVerdict['effect']): PolicyVerdict => ({ name, version: 1, effect, message: '' });
  it.each<[string, PolicyVerdict[], ReturnType<typeof demandsOf>]>([
    ['none', [], { approvers: 0 }],
    ['a deny wins over everything', [verdict('w', 'warn'), verdict('d', 'deny'), verdict('a', { require_approvers: 3 })], { denied: verdict('d', 'deny'), approvers: 3, approversBy: verdict('a', { require_approvers: 3 }) }],
    ['the most approvers', [verdict('two', { require_approvers: 2 }), verdict('three', { require_approvers: 3 }), verdict('one', { require_approvers: 1 })], { approvers: 3, approversBy: verdict('three', { require_approvers: 3 }) }],
    ['admin beats approver', [verdict('r1', { require_role: 'approver' }), verdict('r2', { require_role: 'admin' })], { approvers: 0, role: { role: 'admin', by: verdict('r2', { require_role: 'admin' }) } }],
    ['a passkey', [verdict('p', 'require_passkey')], { approvers: 0, passkeyBy: verdict('p', 'require_passkey') }],
  ])('%s', (_name, verdicts, demands) => {
    expect(demandsOf(verdicts)).toEqual(demands);
  });
});

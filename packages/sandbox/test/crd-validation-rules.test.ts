import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/kube-sim/cluster-types.ts';
import { validationRuleCauses } from '../src/kube-sim/crds/crd-validation-rules.ts';

const decisionRule = { rule: "self.decision == oldSelf.decision || oldSelf.decision == 'Pending'", message: 'decision is immutable once decided' };
const decidedByRule = { rule: '!has(oldSelf.decidedBy) || self.decidedBy == oldSelf.decidedBy' };
const replicasRule = { rule: '!has(self.replicas) || self.replicas <= 5', fieldPath: '.replicas', reason: 'FieldValueForbidden', message: 'at most 5' };

const crd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'approvals.example.io' },
  spec: {
    versions: [
      {
        name: 'v1',
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-validations': [replicasRule] },
              status: { type: 'object', 'x-kubernetes-validations': [decisionRule, decidedByRule] },
            },
          },
        },
      },
    ],
  },
};

const approval = (spec: object, status?: object): KubeObject => ({ apiVersion: 'example.io/v1', kind: 'Approval', metadata: { name: 'a' }, spec, ...(status ? { status } : {}) });

describe('validationRuleCauses', () => {
  it.each([
    ['create skips transition rules', approval({ replicas: 1 }, { decision: 'Denied' }), undefined, []],
    ['Pending may be decided', approval({}, { decision: 'Approved', decidedBy: 'ana' }), approval({}, { decision: 'Pending' }), []],
    ['unchanged decision passes', approval({}, { decision: 'Approved', decidedBy: 'ana' }), approval({}, { decision: 'Approved', decidedBy: 'ana' }), []],
    ['a decided decision cannot flip', approval({}, { decision: 'Denied', decidedBy: 'ana' }), approval({}, { decision: 'Approved', decidedBy: 'ana' }), ['status: Invalid value: "object": decision is immutable once decided']],
    [
      'a rule without a message names the rule',
      approval({}, { decision: 'Approved', decidedBy: 'eve' }),
      approval({}, { decision: 'Approved', decidedBy: 'ana' }),
      ['status: Invalid value: "object": failed rule: !has(oldSelf.decidedBy) || self.decidedBy == oldSelf.decidedBy'],
    ],
    ['a plain rule runs on create, with fieldPath and reason', approval({ replicas: 9 }), undefined, ['spec.replicas: Forbidden: at most 5']],
    ['a rule that cannot be evaluated refuses the write', approval({}, { decidedBy: 'ana' }), approval({}, { decidedBy: 'ana' }), [expect.stringMatching(/^status: Invalid value: "object": .*decision.* evaluating rule: self\.decision == oldSelf\.decision/)]],
  ])('%s', (_label, object, oldObject, expected) => {
    expect(validationRuleCauses(crd, 'v1', object, oldObject).map((cause) => `${cause.field}: ${cause.message}`)).toEqual(expected);
  });
});

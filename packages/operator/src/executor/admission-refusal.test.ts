import { describe, expect, it } from 'vitest';
import type { AdmissionRequest } from './admission.ts';
import { refusalMessage } from './admission-refusal.ts';

const request = (username: string): AdmissionRequest => ({
  uid: 'review-1',
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  subResource: 'scale',
  name: 'web',
  namespace: 'prod',
  operation: 'UPDATE',
  userInfo: { username },
});
const approvalAccount = 'system:serviceaccount:skyflo:skyflo-approval-a-1';
const detailed = { allowed: false, message: 'SkyfloApproval "a-1" was denied' };

describe("the webhook's refusal message", () => {
  it.each([
    ['an authenticated API server gets the reason', approvalAccount, true, 'SkyfloApproval "a-1" was denied'],
    ['an anonymous caller gets the same words for any approval', approvalAccount, false, `the Skyflo executor refused UPDATE of deployments.apps/scale prod/web by ${approvalAccount}: it is not the write this approval account may make; the executor's log gives the reason under admission review review-1`],
    ["the executor's own writes say nothing about approvals, so they keep their reason", 'system:serviceaccount:skyflo:skyflo-executor', false, 'SkyfloApproval "a-1" was denied'],
  ])('%s', (_name, username, authenticated, expected) => {
    expect(refusalMessage(request(username), detailed, { authenticated, namespace: 'skyflo' })).toBe(expected);
  });

  it('says nothing for an admitted write', () => {
    expect(refusalMessage(request(approvalAccount), { allowed: true }, { authenticated: false, namespace: 'skyflo' })).toBeUndefined();
  });
});

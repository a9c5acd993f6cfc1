import { describe, expect, it } from 'vitest';
import type { ApprovedAccess } from '@skyflo/protocol';
import { needsApproverSignature } from './approver-signature.ts';

const scale: ApprovedAccess = { apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'] };

describe('which approvals need the approver\'s passkey signature', () => {
  it('`destructive`: a delete, a cluster-scoped object or several namespaces; not a change in one namespace', () => {
    expect(needsApproverSignature('destructive', [scale])).toBe(false);
    expect(needsApproverSignature('destructive', [{ ...scale, subresource: undefined, verbs: ['delete'] }])).toBe(true);
    expect(needsApproverSignature('destructive', [{ apiGroup: '', resource: 'namespaces', name: 'prod', verbs: ['patch'] }])).toBe(true);
    expect(needsApproverSignature('destructive', [scale, { ...scale, namespace: 'prod' }])).toBe(true);
  });

  it('`all` always, `none` never', () => {
    expect(needsApproverSignature('all', [scale])).toBe(true);
    expect(needsApproverSignature('none', [{ ...scale, verbs: ['delete'] }])).toBe(false);
  });
});

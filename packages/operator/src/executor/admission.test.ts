import { describe, expect, it } from 'vitest';
import type { SkyfloApprovalDocument } from '@skyflo/protocol';
import { approvalOfUser, contentHash, judgeWrite, reviewAdmission, type AdmissionRequest } from './admission.ts';
import type { ApprovalStore } from './approval-store.ts';
import { ExecutorError } from './executor-options.ts';

const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'staging', uid: 'u1', resourceVersion: '7' }, spec: { replicas: 3 }, status: { replicas: 2 } };

const document = (overrides: Partial<SkyfloApprovalDocument['status']> = {}): SkyfloApprovalDocument => ({
  name: 'a1',
  spec: {
    conversationId: 'c',
    callId: 'k',
    tool: 'k8s_scale',
    cluster: { name: 'prod-eu', server: '' },
    argsHash: 'x',
    requestedAt: '2026-01-01T00:00:00Z',
    access: [
      { apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'], contentHash: contentHash(scale) },
      { apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'old', verbs: ['delete'] },
    ],
  },
  status: { decision: 'approved', decidedAt: '2026-01-01T00:00:00Z', expiresAt: '2100-01-01T00:00:00Z', signature: 'sig', ...overrides },
});

const request = (overrides: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: 'r1',
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  subResource: 'scale',
  name: 'web',
  namespace: 'staging',
  operation: 'UPDATE',
  userInfo: { username: 'system:serviceaccount:skyflo:skyflo-approval-a1' },
  object: scale,
  ...overrides,
});

describe('judgeWrite', () => {
  it('admits the approved object, verb and content, whatever server-set metadata and status it carries', () => {
    expect(judgeWrite(document(), request({ object: { ...scale, metadata: { ...scale.metadata, resourceVersion: '8' }, status: { replicas: 3 } } }))).toEqual({ allowed: true });
    expect(judgeWrite(document(), request({ resource: { group: '', version: 'v1', resource: 'configmaps' }, subResource: undefined, name: 'old', operation: 'DELETE', object: null }))).toEqual({ allowed: true });
  });

  it('refuses other content, naming the object', () => {
    const verdict = judgeWrite(document(), request({ object: { ...scale, spec: { replicas: 5 } } }));
    expect(verdict.allowed).toBe(false);
    expect(verdict.message).toMatch(/^the content written to deployments\.apps\/scale staging\/web differs from the dry-run approved in SkyfloApproval "a1"/);
  });

  it('refuses another object, namespace or verb', () => {
    expect(judgeWrite(document(), request({ name: 'api' })).message).toBe(
      'SkyfloApproval "a1" does not cover UPDATE of deployments.apps/scale staging/api; it approved only: patch deployments.apps/scale staging/web; delete configmaps staging/old',
    );
    expect(judgeWrite(document(), request({ namespace: 'prod' })).allowed).toBe(false);
    expect(judgeWrite(document(), request({ subResource: undefined })).allowed).toBe(false);
    expect(judgeWrite(document(), request({ resource: { group: '', version: 'v1', resource: 'configmaps' }, subResource: undefined, name: 'old', operation: 'UPDATE', object: {} })).message).toBe(
      'SkyfloApproval "a1" approved delete of configmaps staging/old, not UPDATE',
    );
  });
});

describe('reviewAdmission', () => {
  const store = (stored: SkyfloApprovalDocument | undefined | Error): ApprovalStore => ({
    read: async () => {
      if (stored instanceof Error) throw stored;
      return stored ? { object: { apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloApproval', metadata: { name: stored.name } }, document: stored } : undefined;
    },
    mirror: async () => ({ created: false }),
    markReleased: async () => undefined,
  });
  const verifier = { verify: async (candidate: SkyfloApprovalDocument) => void (candidate.status.signature === 'bad' ? (() => { throw new ExecutorError('BAD_SIGNATURE', 'not signed by the engine'); })() : undefined) };
  const deps = (stored: SkyfloApprovalDocument | undefined | Error) => ({ namespace: 'skyflo', store: store(stored), verifier, now: () => new Date('2026-06-01T00:00:00Z') });

  it('leaves other users alone and fails closed for approval accounts', async () => {
    expect(await reviewAdmission(request({ userInfo: { username: 'alice' } }), deps(new Error('unreachable')))).toEqual({ allowed: true });
    expect(await reviewAdmission(request({ userInfo: { username: 'system:serviceaccount:other:skyflo-approval-a1' } }), deps(undefined))).toEqual({ allowed: true });
    expect(await reviewAdmission(request(), deps(document()))).toEqual({ allowed: true });
    expect((await reviewAdmission(request(), deps(undefined))).message).toBe('SkyfloApproval "a1" does not exist in namespace skyflo; its account may write nothing');
    expect((await reviewAdmission(request(), deps(new Error('connection refused')))).message).toBe('the executor could not check it: connection refused');
    expect((await reviewAdmission(request(), deps(document({ signature: 'bad' })))).message).toBe('not signed by the engine');
    expect((await reviewAdmission(request(), deps(document({ decision: 'denied' })))).allowed).toBe(false);
    expect((await reviewAdmission(request(), deps(document({ expiresAt: '2026-05-01T00:00:00Z' })))).message).toBe('SkyfloApproval "a1" expired at 2026-05-01T00:00:00Z');
  });

  it('reads the approval name from the account name', () => {
    expect(approvalOfUser('system:serviceaccount:skyflo:skyflo-approval-abc-1', 'skyflo')).toBe('abc-1');
    expect(approvalOfUser('system:serviceaccount:skyflo:skyflo-executor', 'skyflo')).toBeUndefined();
    expect(approvalOfUser(undefined, 'skyflo')).toBeUndefined();
  });
});

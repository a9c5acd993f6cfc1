import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import type { ApprovedAccess, SkyfloApprovalDocument } from '@skyflo/protocol';
import { approvalOfUser, contentHash, judgeWrite, reviewAdmission, type AdmissionRequest } from './admission.ts';
import type { ApprovalStore } from './approval-store.ts';
import { ExecutorError } from './executor-options.ts';
import { releaseFingerprint } from './helm-release-record.ts';

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
  },
  status: { decision: 'approved', decidedAt: '2026-01-01T00:00:00Z', expiresAt: '2100-01-01T00:00:00Z', signature: 'sig', ...overrides },
});

/** What the executor computed and recorded when it minted (issue 73): the webhook judges writes against this. */
const grant: ApprovedAccess[] = [
  { apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'staging', name: 'web', verbs: ['patch'], contentHash: contentHash(scale) },
  { apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'old', verbs: ['delete'] },
];

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
    expect(judgeWrite(document(), grant, request({ object: { ...scale, metadata: { ...scale.metadata, resourceVersion: '8' }, status: { replicas: 3 } } }))).toEqual({ allowed: true });
    expect(judgeWrite(document(), grant, request({ resource: { group: '', version: 'v1', resource: 'configmaps' }, subResource: undefined, name: 'old', operation: 'DELETE', object: null }))).toEqual({ allowed: true });
  });

  it('refuses other content, naming the object', () => {
    const verdict = judgeWrite(document(), grant, request({ object: { ...scale, spec: { replicas: 5 } } }));
    expect(verdict.allowed).toBe(false);
    expect(verdict.message).toMatch(/^the content written to deployments\.apps\/scale staging\/web differs from the dry-run approved in SkyfloApproval "a1"/);
  });

  it('holds a write no dry-run could fix ahead to the fields the approved call changes, and their fixed values', () => {
    const live = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'staging', generation: 3 }, spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } };
    const restart: ApprovedAccess[] = [{ apiGroup: 'apps', resource: 'deployments', namespace: 'staging', name: 'web', verbs: ['patch'], change: { within: ['/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt'] } }];
    const update = (object: Record<string, unknown>) => request({ subResource: undefined, oldObject: live, object });
    const restarted = structuredClone(live) as any;
    restarted.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-11-29T12:00:00Z' };
    restarted.metadata.generation = 4;
    expect(judgeWrite(document(), restart, update(restarted))).toEqual({ allowed: true });
    // the attack: a restart's credential used to change the image (or anything else) is refused, naming the field
    const swapped = structuredClone(restarted);
    swapped.spec.template.spec.containers[0].image = 'evil:latest';
    expect(judgeWrite(document(), restart, update(swapped)).message).toMatch(/is not the change approved in SkyfloApproval "a1": it changes \/spec\/template\/spec\/containers\/0\/image, outside/);
    // a value the approved arguments fix (argo pause: paused true, nothing else)
    const pause: ApprovedAccess[] = [{ apiGroup: 'apps', resource: 'deployments', namespace: 'staging', name: 'web', verbs: ['patch'], change: { within: ['/spec/paused'], values: { '/spec/paused': true } } }];
    expect(judgeWrite(document(), pause, update({ ...live, spec: { ...live.spec, paused: true } }))).toEqual({ allowed: true });
    expect(judgeWrite(document(), pause, update({ ...live, spec: { ...live.spec, paused: false } })).message).toMatch(/sets \/spec\/paused to something else than the approved value/);
    // a create is never a change of an existing object
    expect(judgeWrite(document(), restart, request({ subResource: undefined, operation: 'CREATE', object: live })).allowed).toBe(false);
  });

  it("holds a Helm release's storage Secret to the approved manifest, and a superseded revision to its own", () => {
    const record = (manifest: string, name = 'shop') => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `sh.helm.release.v1.${name}.v2`, namespace: 'staging' }, data: { release: Buffer.from(gzipSync(JSON.stringify({ name, manifest, hooks: [] })).toString('base64')).toString('base64') } });
    const approved = '---\n# Source: shop/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  replicas: 2\n';
    const entry = (helmRelease: ApprovedAccess['helmRelease']): ApprovedAccess[] => [{ apiGroup: '', resource: 'secrets', namespace: 'staging', name: 'sh.helm.release.v1.shop.v2', verbs: ['create', 'update', 'patch'], helmRelease }];
    const write = (object: Record<string, unknown>, operation: AdmissionRequest['operation'] = 'CREATE', oldObject?: Record<string, unknown>) =>
      request({ resource: { group: '', version: 'v1', resource: 'secrets' }, subResource: undefined, name: 'sh.helm.release.v1.shop.v2', operation, object, ...(oldObject ? { oldObject } : {}) });
    const created = entry({ release: 'shop', manifestDigest: releaseFingerprint({ name: 'shop', manifest: approved, hooks: [] }) });
    // the same objects in another layout (no comments, another trailing newline) are the approved manifest
    expect(judgeWrite(document(), created, write(record('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec: {replicas: 2}')))).toEqual({ allowed: true });
    // the attack: a forged release record (another manifest, or another release's) is refused
    expect(judgeWrite(document(), created, write(record(approved.replace('replicas: 2', 'replicas: 2\n  template: {spec: {hostNetwork: true}}')))).message).toMatch(/carries another manifest than the one approved/);
    expect(judgeWrite(document(), created, write(record(approved, 'other'))).message).toMatch(/does not hold a record of release shop/);
    // an older revision helm marks superseded keeps the manifest it had
    const superseded = entry({ release: 'shop' });
    expect(judgeWrite(document(), superseded, write(record(approved), 'UPDATE', record(approved)))).toEqual({ allowed: true });
    expect(judgeWrite(document(), superseded, write(record('kind: Pod'), 'UPDATE', record(approved))).message).toMatch(/changes the manifest that revision recorded/);
  });

  it('refuses an update bound to no content at all', () => {
    const bare: ApprovedAccess[] = [{ apiGroup: '', resource: 'configmaps', namespace: 'staging', name: 'cfg', verbs: ['patch'] }];
    expect(judgeWrite(document(), bare, request({ resource: { group: '', version: 'v1', resource: 'configmaps' }, subResource: undefined, name: 'cfg', object: {} })).message).toMatch(/binds no content for configmaps staging\/cfg/);
  });

  it('refuses another object, namespace or verb', () => {
    expect(judgeWrite(document(), grant, request({ name: 'api' })).message).toBe(
      'SkyfloApproval "a1" does not cover UPDATE of deployments.apps/scale staging/api; it approved only: patch deployments.apps/scale staging/web; delete configmaps staging/old',
    );
    expect(judgeWrite(document(), grant, request({ namespace: 'prod' })).allowed).toBe(false);
    expect(judgeWrite(document(), grant, request({ subResource: undefined })).allowed).toBe(false);
    expect(judgeWrite(document(), grant, request({ resource: { group: '', version: 'v1', resource: 'configmaps' }, subResource: undefined, name: 'old', operation: 'UPDATE', object: {} })).message).toBe(
      'SkyfloApproval "a1" approved delete of configmaps staging/old, not UPDATE',
    );
  });
});

describe('reviewAdmission', () => {
  const store = (stored: SkyfloApprovalDocument | undefined | Error, recorded: ApprovedAccess[] | undefined): ApprovalStore => ({
    read: async () => {
      if (stored instanceof Error) throw stored;
      return stored ? { object: { apiVersion: 'skyflo.ai/v1alpha1', kind: 'SkyfloApproval', metadata: { name: stored.name } }, document: stored, ...(recorded ? { grant: recorded } : {}) } : undefined;
    },
    mirror: async () => ({ created: false }),
    markReleased: async () => undefined,
    recordGrant: async () => undefined,
  });
  const verifier = { verify: async (candidate: SkyfloApprovalDocument) => void (candidate.status.signature === 'bad' ? (() => { throw new ExecutorError('BAD_SIGNATURE', 'not signed by the engine'); })() : undefined) };
  const deps = (stored: SkyfloApprovalDocument | undefined | Error, recorded?: ApprovedAccess[] | null) => ({ namespace: 'skyflo', store: store(stored, recorded === null ? undefined : (recorded ?? grant)), verifier, now: () => new Date('2026-06-01T00:00:00Z') });

  it('leaves other users alone and fails closed for approval accounts', async () => {
    expect(await reviewAdmission(request({ userInfo: { username: 'alice' } }), deps(new Error('unreachable')))).toEqual({ allowed: true });
    expect(await reviewAdmission(request({ userInfo: { username: 'system:serviceaccount:other:skyflo-approval-a1' } }), deps(undefined))).toEqual({ allowed: true });
    expect(await reviewAdmission(request(), deps(document()))).toEqual({ allowed: true });
    expect((await reviewAdmission(request(), deps(undefined))).message).toBe('SkyfloApproval "a1" does not exist in namespace skyflo; its account may write nothing');
    expect((await reviewAdmission(request(), deps(new Error('connection refused')))).message).toBe('the executor could not check it: connection refused');
    expect((await reviewAdmission(request(), deps(document({ signature: 'bad' })))).message).toBe('not signed by the engine');
    expect((await reviewAdmission(request(), deps(document({ decision: 'denied' })))).allowed).toBe(false);
    expect((await reviewAdmission(request(), deps(document({ expiresAt: '2026-05-01T00:00:00Z' })))).message).toBe('SkyfloApproval "a1" expired at 2026-05-01T00:00:00Z');
    // issue 73: an approval the executor never minted for (no grant recorded) admits nothing, whatever it is
    expect((await reviewAdmission(request(), deps(document(), null))).message).toBe('SkyfloApproval "a1" has no grant recorded by the executor; its account may write nothing');
  });

  it('reads the approval name from the account name', () => {
    expect(approvalOfUser('system:serviceaccount:skyflo:skyflo-approval-abc-1', 'skyflo')).toBe('abc-1');
    expect(approvalOfUser('system:serviceaccount:skyflo:skyflo-executor', 'skyflo')).toBeUndefined();
    expect(approvalOfUser(undefined, 'skyflo')).toBeUndefined();
  });
});

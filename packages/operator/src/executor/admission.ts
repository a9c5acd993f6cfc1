/**
 * The executor's validating admission webhook. RBAC limits a per-approval account to verbs on named objects; it
 * cannot bind an object's content, nor the name of an object being created. So the API server asks here about
 * every write by a `skyflo-approval-*` account, and this answers "allowed" only for an object of the grant the
 * executor computed and recorded for that approval when it minted (issue 73: never the preview's claim), with that
 * verb, and with exactly the approved content — sha256(canonicalJson(normaliseForAdmission(request.object))) equal to
 * the entry's contentHash; or, where no dry-run could know it ahead, a change only where the grant allows
 * (`change`); or, for a Helm release's storage Secret, a release record carrying exactly the approved manifest.
 */
import { approvalServiceAccountPrefix, type ApprovedAccess, type SkyfloApprovalDocument } from '@skyflo/protocol';
import { readHelmRelease, releaseFingerprint } from './helm-release-record.ts';
import { outsideChange } from './object-changes.ts';
import type { ApprovalStore } from './approval-store.ts';
import { executorServiceAccountName } from './executor-rbac.ts';
import { ExecutorError } from './executor-options.ts';
import type { ApprovalVerifier } from './verify-approval.ts';

export interface AdmissionRequest {
  uid: string;
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo: { username?: string; groups?: string[] };
  object?: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  dryRun?: boolean;
}

export interface AdmissionVerdict {
  allowed: boolean;
  message?: string;
}

export { admissionContentHash as contentHash } from '@skyflo/protocol/approval-hashes';
import { admissionContentHash as contentHash } from '@skyflo/protocol/approval-hashes';

const verbsFor: Record<string, string[]> = { CREATE: ['create'], UPDATE: ['update', 'patch'], DELETE: ['delete'] };

function describe(entry: Pick<ApprovedAccess, 'apiGroup' | 'resource' | 'subresource' | 'namespace' | 'name'>): string {
  const resource = `${entry.resource}${entry.apiGroup ? `.${entry.apiGroup}` : ''}${entry.subresource ? `/${entry.subresource}` : ''}`;
  return `${resource} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`;
}

/** The executor's own username in the install's namespace. */
export const executorUsername = (namespace: string) => `system:serviceaccount:${namespace}:${executorServiceAccountName}`;

/** The approval whose account made the request, or undefined for any other user (not ours to judge). */
export function approvalOfUser(username: string | undefined, namespace: string): string | undefined {
  const prefix = `system:serviceaccount:${namespace}:${approvalServiceAccountPrefix}`;
  return username?.startsWith(prefix) ? username.slice(prefix.length) : undefined;
}

export function judgeWrite(document: Pick<SkyfloApprovalDocument, 'name'>, grant: ApprovedAccess[], request: AdmissionRequest): AdmissionVerdict {
  const objectName = request.name || String((request.object?.metadata as Record<string, unknown> | undefined)?.name ?? '');
  const wanted = { apiGroup: request.resource.group, resource: request.resource.resource, subresource: request.subResource || undefined, namespace: request.namespace || undefined, name: objectName };
  const verbs = verbsFor[request.operation] ?? [];
  const entry = grant.find(
    (candidate) =>
      candidate.apiGroup === wanted.apiGroup &&
      candidate.resource === wanted.resource &&
      (candidate.subresource ?? undefined) === wanted.subresource &&
      (candidate.namespace ?? undefined) === wanted.namespace &&
      candidate.name === wanted.name,
  );
  const approvedList = grant.map((candidate) => `${candidate.verbs.join('/')} ${describe(candidate)}`).join('; ');
  if (!entry) {
    return { allowed: false, message: `SkyfloApproval "${document.name}" does not cover ${request.operation} of ${describe(wanted)}; it approved only: ${approvedList}` };
  }
  if (!entry.verbs.some((verb) => verbs.includes(verb))) {
    return { allowed: false, message: `SkyfloApproval "${document.name}" approved ${entry.verbs.join('/')} of ${describe(wanted)}, not ${request.operation}` };
  }
  if (request.operation === 'DELETE') return { allowed: true };
  if (entry.contentHash) {
    if (!request.object) return { allowed: false, message: `the ${request.operation} of ${describe(wanted)} carries no object to compare with the approved dry-run` };
    const actual = contentHash(request.object);
    if (actual !== entry.contentHash) {
      return {
        allowed: false,
        message: `the content written to ${describe(wanted)} differs from the dry-run approved in SkyfloApproval "${document.name}" (normalised sha256 ${actual.slice(0, 12)}…, approved ${entry.contentHash.slice(0, 12)}…); only the approved change may be written`,
      };
    }
  }
  if (entry.change) {
    if (request.operation !== 'UPDATE') return { allowed: false, message: `SkyfloApproval "${document.name}" approved only a change of the existing ${describe(wanted)}, not a ${request.operation}` };
    const outside = outsideChange(request.oldObject, request.object, entry.change);
    if (outside) return { allowed: false, message: `the write to ${describe(wanted)} is not the change approved in SkyfloApproval "${document.name}": ${outside}` };
  }
  if (entry.helmRelease) {
    const release = readHelmRelease(request.object);
    if (!release || release.name !== entry.helmRelease.release) {
      return { allowed: false, message: `${describe(wanted)} written under SkyfloApproval "${document.name}" does not hold a record of release ${entry.helmRelease.release}` };
    }
    if (entry.helmRelease.manifestDigest) {
      if (releaseFingerprint(release) !== entry.helmRelease.manifestDigest) {
        return { allowed: false, message: `the release record written to ${describe(wanted)} carries another manifest than the one approved in SkyfloApproval "${document.name}"; only the approved manifest may be recorded` };
      }
    } else {
      const before = readHelmRelease(request.oldObject);
      if (!before || releaseFingerprint(before) !== releaseFingerprint(release)) {
        return { allowed: false, message: `the update of ${describe(wanted)} under SkyfloApproval "${document.name}" changes the manifest that revision recorded; helm only marks an older revision superseded` };
      }
    }
  }
  if (!entry.contentHash && !entry.change && !entry.helmRelease && request.operation === 'UPDATE') {
    // an update must be bound to its content one way or another; only a create the executor could not dry-run (an
    // eviction, an object in a namespace the same call creates) is bound by name and verb alone
    return { allowed: false, message: `SkyfloApproval "${document.name}" binds no content for ${describe(wanted)}, so no update of it is admitted` };
  }
  return { allowed: true };
}

/**
 * Judges one AdmissionReview request. Fails closed: an approval that cannot be read, is not validly signed, was not
 * approved or has expired admits nothing for its account.
 */
/** What the executor itself writes for real: its bookkeeping (approval records, per-approval accounts and their RBAC). */
const executorBookkeeping: ReadonlyArray<{ group: string; resources: readonly string[]; operations: readonly AdmissionRequest['operation'][]; inInstallNamespace: boolean }> = [
  { group: '', resources: ['serviceaccounts'], operations: ['CREATE', 'DELETE'], inInstallNamespace: true },
  // an approval record is never deleted by the executor (the audit trail in the cluster)
  { group: 'skyflo.ai', resources: ['skyfloapprovals'], operations: ['CREATE', 'UPDATE'], inInstallNamespace: true },
  { group: 'skyflo.ai', resources: ['skyfloapproverkeys'], operations: ['CREATE', 'UPDATE', 'DELETE'], inInstallNamespace: true },
  { group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], operations: ['CREATE', 'UPDATE', 'DELETE'], inInstallNamespace: false },
];

/**
 * The executor's own identity holds write verbs so that previews' server-side dry-runs can run through it (RBAC
 * authorizes a dry-run like the write; executor/dry-run-proxy.ts). The webhook makes that power dry-run only: any
 * real write by the executor outside its bookkeeping is refused by the API server.
 */
export function judgeExecutorWrite(request: AdmissionRequest, namespace: string): AdmissionVerdict {
  if (request.dryRun) return { allowed: true };
  const bookkeeping = executorBookkeeping.some(
    (entry) => entry.group === request.resource.group && entry.resources.includes(request.resource.resource) && entry.operations.includes(request.operation) && (!entry.inInstallNamespace || request.namespace === namespace),
  );
  if (bookkeeping) return { allowed: true };
  const target = `${request.resource.resource}${request.resource.group ? `.${request.resource.group}` : ''}${request.subResource ? `/${request.subResource}` : ''} ${request.namespace ? `${request.namespace}/` : ''}${request.name ?? ''}`;
  return { allowed: false, message: `the executor (${request.userInfo.username}) writes only dry-runs outside its own approval records and per-approval accounts; refused ${request.operation} of ${target}` };
}

export async function reviewAdmission(request: AdmissionRequest, deps: { namespace: string; store: ApprovalStore; verifier: ApprovalVerifier; now: () => Date }): Promise<AdmissionVerdict> {
  if (request.userInfo?.username === executorUsername(deps.namespace)) return judgeExecutorWrite(request, deps.namespace);
  const approval = approvalOfUser(request.userInfo?.username, deps.namespace);
  // Other users are outside the executor's concern (the webhook's matchConditions should not even send them).
  if (approval === undefined) return { allowed: true };
  if (request.operation === 'CONNECT') return { allowed: false, message: `${request.userInfo.username} may not CONNECT (exec, attach, port-forward): approvals cover writes only` };
  try {
    const stored = await deps.store.read(approval);
    if (!stored) return { allowed: false, message: `SkyfloApproval "${approval}" does not exist in namespace ${deps.namespace}; its account may write nothing` };
    if (!stored.document) return { allowed: false, message: `SkyfloApproval "${approval}" is not a valid approval (${stored.problem}); its account may write nothing` };
    await deps.verifier.verify(stored.document);
    if (stored.document.status.decision !== 'approved') return { allowed: false, message: `SkyfloApproval "${approval}" was ${stored.document.status.decision}` };
    if (Date.parse(stored.document.status.expiresAt) <= deps.now().getTime()) return { allowed: false, message: `SkyfloApproval "${approval}" expired at ${stored.document.status.expiresAt}` };
    // what the executor computed and minted for (issue 73); none recorded: its account may write nothing
    if (!stored.grant) return { allowed: false, message: `SkyfloApproval "${approval}" has no grant recorded by the executor; its account may write nothing` };
    return judgeWrite(stored.document, stored.grant, request);
  } catch (error) {
    const reason = error instanceof ExecutorError ? error.message : `the executor could not check it: ${(error as Error).message}`;
    return { allowed: false, message: reason };
  }
}

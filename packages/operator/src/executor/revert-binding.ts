/**
 * An automatic revert's approval (issue 34 × 21). Nobody clicks Approve on it: the engine decides it in the name of the
 * person who approved the original change "with automatic revert". The engine's signature alone must not be enough
 * for that — a signed approval that merely says "automatic" would let the engine (or whoever holds its key) mint write
 * access no human asked for. So the executor mints for a revert only when the SkyfloApproval it names in
 * `spec.revertOf` is itself signed, approved with automatic revert (`status.autoRevert`), by the same person, for the
 * same conversation and cluster, and the inverse writes only objects the original's grant named (an inverse restores
 * what the change wrote; a Helm rollback's storage Secrets are those of the same release).
 */
import { type ApprovedAccess, type SkyfloApprovalDocument } from '@skyflo/protocol';
import type { ApprovalStore } from './approval-store.ts';
import { ExecutorError } from './executor-options.ts';
import type { ApprovalVerifier } from './verify-approval.ts';

/** The engine's revert approvals are named `r-…` (approvalObjectName with purpose 'revert'). */
const revertNamePrefix = 'r-';
const helmStoragePattern = /^sh\.helm\.release\.v1\.(.+)\.v\d+$/;

const objectKey = (entry: ApprovedAccess) => `${entry.apiGroup}|${entry.resource}|${entry.namespace ?? ''}|${entry.name}`;
const helmReleaseOf = (entry: ApprovedAccess) => (entry.apiGroup === '' && entry.resource === 'secrets' ? helmStoragePattern.exec(entry.name)?.[1] : undefined);

/**
 * Throws NOT_APPROVED unless `document` is a plain approval or a revert bound to an approval with automatic revert,
 * whose inverse (`access`, as the executor computed it) writes only what the original's recorded grant wrote.
 */
export async function checkRevertBinding(document: SkyfloApprovalDocument, access: ApprovedAccess[], deps: { store: ApprovalStore; verifier: ApprovalVerifier }): Promise<void> {
  const { name, spec, status } = document;
  const revertOf = spec.revertOf;
  if (!revertOf) {
    if (name.startsWith(revertNamePrefix)) {
      throw new ExecutorError('NOT_APPROVED', `SkyfloApproval "${name}" is an automatic revert that names no approved change (spec.revertOf); nothing is minted for it`);
    }
    return;
  }
  const refuse = (why: string) => new ExecutorError('NOT_APPROVED', `SkyfloApproval "${name}" claims to be the automatic revert of "${revertOf.approval}", but ${why}; nothing is minted for it`);
  if (revertOf.approval === name) throw refuse('an approval cannot revert itself');
  const original = await deps.store.read(revertOf.approval);
  if (!original) throw refuse('no such SkyfloApproval exists');
  if (!original.document) throw refuse(`it is not a signed approval (${original.problem})`);
  await deps.verifier.verify(original.document).catch(() => Promise.reject(refuse('its signature does not verify')));
  const { spec: originalSpec, status: originalStatus } = original.document;
  if (originalSpec.revertOf) throw refuse('it is itself a revert');
  if (originalStatus.decision !== 'approved') throw refuse(`it was ${originalStatus.decision}`);
  if (originalStatus.autoRevert !== true) throw refuse('it was not approved with automatic revert');
  if (originalSpec.callId !== revertOf.callId || originalSpec.conversationId !== spec.conversationId) throw refuse('it is another conversation’s or call’s approval');
  if (originalSpec.cluster.name !== spec.cluster.name || originalSpec.cluster.server !== spec.cluster.server) throw refuse('it was approved on another cluster');
  if (status.decidedBy?.id === undefined || originalStatus.decidedBy?.id !== status.decidedBy.id) throw refuse('it was approved by someone else than the revert is decided for');
  if (status.automatic !== true) throw refuse('the revert is not marked automatic');
  // what the original really wrote: the grant the executor computed and recorded when it minted for it
  if (!original.grant) throw refuse('it never had a credential minted (no grant recorded), so it wrote nothing to revert');
  const objects = new Set(original.grant.map(objectKey));
  const releases = new Set(original.grant.map((entry) => (helmReleaseOf(entry) ? `${entry.namespace ?? ''}|${helmReleaseOf(entry)}` : undefined)).filter(Boolean));
  const outside = access.filter((entry) => {
    if (objects.has(objectKey(entry))) return false;
    const release = helmReleaseOf(entry);
    return !(release && releases.has(`${entry.namespace ?? ''}|${release}`));
  });
  if (outside.length > 0) {
    throw refuse(`its inverse would write ${outside.map((entry) => `${entry.resource} ${entry.namespace ? `${entry.namespace}/` : ''}${entry.name}`).join(', ')}, which the approved change did not touch`);
  }
}


/**
 * What the webhook tells its caller when it refuses a write (issue 73). The detailed reason names facts of the stored
 * approval: whether it exists, its decision and expiry, and which objects it approved. An authenticated API server
 * (SKYFLO_EXECUTOR_ADMISSION_TOKEN) relays it to the writer, who holds that approval's credential anyway. Without an
 * admission token the webhook must answer anonymous callers too, and anyone able to reach it could post a made-up
 * AdmissionReview to learn which approvals exist; so then every refusal of an approval account reads the same,
 * built only from what the request itself says, and the reason goes to the executor's log under the review's uid
 * (which the writer sees in the message).
 */
import type { AdmissionRequest, AdmissionVerdict } from './admission.ts';
import { approvalOfUser } from './admission.ts';

function targetOf(request: AdmissionRequest): string {
  const resource = `${request.resource.resource}${request.resource.group ? `.${request.resource.group}` : ''}${request.subResource ? `/${request.subResource}` : ''}`;
  const name = request.name || String((request.object?.metadata as Record<string, unknown> | undefined)?.name ?? '');
  return `${resource} ${request.namespace ? `${request.namespace}/` : ''}${name}`;
}

/** The message to send for a refused write, given whether the caller proved to be the API server. */
export function refusalMessage(request: AdmissionRequest, verdict: AdmissionVerdict, options: { authenticated: boolean; namespace: string }): string | undefined {
  if (verdict.allowed) return undefined;
  if (options.authenticated || approvalOfUser(request.userInfo?.username, options.namespace) === undefined) return verdict.message;
  return `the Skyflo executor refused ${request.operation} of ${targetOf(request)} by ${request.userInfo?.username}: it is not the write this approval account may make; the executor's log gives the reason under admission review ${request.uid}`;
}

import { ApiError, type KubeObject } from '../cluster-types.ts';
import { existingOrNotFound, type ResourceRequest } from './request-context.ts';

/** kube-apiserver's maxRetryWhenPatchConflicts: how often a write that lost a race is applied again before the 409. */
export const conflictRetries = 5;

/**
 * The real API server's GuaranteedUpdate: a write that names no resourceVersion (a patch or a PUT without one, a
 * server-side apply, a scale) is applied to the object as it is when it is stored, not as it was when the request
 * arrived. Admission runs in between (a validating webhook is an HTTP round trip), and a controller can write the
 * object meanwhile (a deployment's status as its pods start); the server then reads it again and applies the request
 * again, admission included, instead of answering 409 to a client that asked for no precondition. `write` gets the
 * object as it is now: `existing` (read when the request was checked) on the first attempt, read again before each
 * further one. A write that names a resourceVersion (`conditional`) gets the Conflict at once.
 */
export async function retryUnconditionalWrite<T>(context: ResourceRequest, existing: KubeObject, conditional: boolean, write: (current: KubeObject) => Promise<T>): Promise<T> {
  let current = existing;
  for (let retries = 0; ; retries += 1) {
    try {
      return await write(current);
    } catch (error) {
      const lostRace = error instanceof ApiError && error.code === 409 && error.reason === 'Conflict';
      if (conditional || !lostRace || retries >= conflictRetries) throw error;
      current = existingOrNotFound(context);
    }
  }
}

/**
 * Whether the signed-in user may decide a call, as the engine says it in GET /approvals/pending (`can_decide`, and
 * `cannot_decide_reason` when false: the words a refused decision answers 403 with). The terminal then shows
 * "waiting for an approver (…)" as the web UI's card does, instead of keys the engine would refuse (issue 37).
 * The list is read by field name only, so a change to the rest of its shape does not break the prompt.
 */

/**
 * Issue 35: whether approving `callId` needs the approver's passkey (`passkey_required`), and the call's approval page
 * in the Command Center; undefined when it does not (or the call is not listed: the engine still decides).
 */
export function passkeyNeed(pending: unknown, callId: string): { approveAt: string | undefined } | undefined {
  const data = Array.isArray(pending) ? pending : (pending as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return undefined;
  const item = data.find((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && (entry as { call_id?: unknown }).call_id === callId);
  if (!item || item['passkey_required'] !== true) return undefined;
  return { approveAt: typeof item['approve_at'] === 'string' ? item['approve_at'] : undefined };
}

/**
 * The engine's reason when `callId` is listed and cannot be decided by this user; undefined when it can (or is not
 * listed). `decidedFirst`: calls of the same turn this terminal decides (and sends) before `callId` — the engine's
 * DECIDE_IN_ORDER refusal ("decide the earlier call first") is then met by the terminal itself, so it is no reason.
 */
export function cannotDecideReason(pending: unknown, callId: string, decidedFirst: readonly string[] = []): string | undefined {
  const data = Array.isArray(pending) ? pending : (pending as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return undefined;
  const item = data.find((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && (entry as { call_id?: unknown }).call_id === callId);
  if (!item || item['can_decide'] !== false) return undefined;
  if (item['cannot_decide_code'] === 'DECIDE_IN_ORDER' && decidedFirst.length > 0) return undefined;
  const reason = item['cannot_decide_reason'];
  return typeof reason === 'string' && reason.trim() ? reason.trim() : 'you are not allowed to decide this call; ask an approver or an admin';
}

/**
 * Issue 73 item 6: whether this user may deny `callId` though they cannot approve it (`can_deny`): nobody can approve it
 * as it is (its preview failed on a cluster that enforces approvals, or its cluster is stale), and Deny clears it.
 */
export function mayDenyOnly(pending: unknown, callId: string): boolean {
  const data = Array.isArray(pending) ? pending : (pending as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data)) return false;
  const item = data.find((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && (entry as { call_id?: unknown }).call_id === callId);
  return !!item && item['can_decide'] === false && item['can_deny'] === true;
}

/**
 * Sealing a proposed call: the exact arguments an approval is bound to, by hash, and the context their sealed
 * (encrypted) copy is bound to, so execution opens exactly what the approver was shown.
 */

/** JSON with object keys sorted at every level (one definition, @skyflo/protocol's), so the same arguments always hash the same. */
export { canonicalJson } from '@skyflo/protocol';

/** The args hash (@skyflo/protocol/approval-hashes: the executor recomputes the same). */
export { toolCallHash as hashToolCall } from '@skyflo/protocol/approval-hashes';

/** The sealed arguments are bound to their row: a value copied into another call's row does not open. */
export const sealContext = (conversationId: string, callId: string) => `approval:${conversationId}:${callId}`;

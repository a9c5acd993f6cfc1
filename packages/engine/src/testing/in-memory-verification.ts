/** The in-memory approval store's verify-and-undo methods (same contract as storage/verification-store.ts). */
import type { ApprovalRecord, ApprovalStore, RunStore } from '../platform/ports/index.ts';

type VerificationMethods = Pick<ApprovalStore, 'recordBaseline' | 'setAutoRevert' | 'saveVerification' | 'claimStaleVerifications' | 'regressedConversations'>;

export function inMemoryVerificationMethods(records: Map<string, ApprovalRecord>, key: (conversationId: string, callId: string) => string, options: { runs?: RunStore }): VerificationMethods {
  const leases = new Map<string, number>();
  const copy = (record: ApprovalRecord) => structuredClone(record);
  return {
    async recordBaseline({ conversationId, callId, beforeSealed, undo }) {
      const record = records.get(key(conversationId, callId));
      if (!record) return false;
      Object.assign(record, { beforeSealed }, undo ? { undo: structuredClone(undo) } : {});
      return true;
    },
    async setAutoRevert({ conversationId, callId, autoRevert }) {
      const record = records.get(key(conversationId, callId));
      if (!record) return false;
      record.autoRevert = autoRevert;
      return true;
    },
    async saveVerification({ conversationId, callId, verification }) {
      const record = records.get(key(conversationId, callId));
      if (!record) return false;
      if (verification.outcome !== 'verifying' && record.verification?.outcome !== 'verifying') return false;
      record.verification = structuredClone(verification);
      if (verification.outcome !== 'verifying') leases.delete(key(conversationId, callId));
      return true;
    },
    async claimStaleVerifications({ leaseMs, everyRunIsDead }) {
      const claimed: ApprovalRecord[] = [];
      for (const [id, record] of records) {
        if (record.verification?.outcome !== 'verifying') continue;
        if ((leases.get(id) ?? 0) >= Date.now()) continue;
        if (!everyRunIsDead && record.decisionRunId && options.runs) {
          const run = await options.runs.get(record.decisionRunId);
          if (run && run.status === 'running' && run.leaseUntil.getTime() >= Date.now()) continue;
        }
        leases.set(id, Date.now() + leaseMs);
        claimed.push(copy(record));
      }
      return claimed;
    },
    async regressedConversations(conversationIds) {
      const wanted = new Set(conversationIds);
      const undone = new Set([...records.values()].filter((record) => record.undoOf && record.status === 'executed').map((record) => key(record.conversationId, record.undoOf!)));
      const regressed = new Set<string>();
      for (const [id, record] of records) {
        if (wanted.has(record.conversationId) && record.verification?.outcome === 'regressed' && !undone.has(id)) regressed.add(record.conversationId);
      }
      return regressed;
    },
  };
}

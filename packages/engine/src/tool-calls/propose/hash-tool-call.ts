/**
 * Sealing a proposed call: the exact arguments an approval is bound to, by hash, and the context their sealed
 * (encrypted) copy is bound to, so execution opens exactly what the approver was shown.
 */
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so the same arguments always hash the same no matter
 * the order the model (or a client) wrote them in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * sha-256 of the canonical JSON of {tool, args} and, for a call on a cluster, {cluster: {name, server}}. An approval is
 * bound to this hash: the gate re-computes it before executing and refuses when the call differs from what the
 * approver was shown. The cluster's API server URL is in it, so the same arguments approved for one cluster (or for a
 * context whose server was since repointed) are a different call. The label is not: relabelling changes no target.
 */
export function hashToolCall(tool: string, args: Record<string, unknown>, cluster?: { name: string; server: string }): string {
  const bound = cluster ? { tool, args, cluster: { name: cluster.name, server: cluster.server } } : { tool, args };
  return createHash('sha256').update(canonicalJson(bound)).digest('hex');
}

/** The sealed arguments are bound to their row: a value copied into another call's row does not open. */
export const sealContext = (conversationId: string, callId: string) => `approval:${conversationId}:${callId}`;

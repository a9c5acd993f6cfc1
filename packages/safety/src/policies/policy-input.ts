/**
 * The one documented input a policy's expression reads (docs/policies.md): built the same way for a call the gate is
 * proposing and for a recorded call "what would this have done" replays, so a draft behaves there as it will live.
 */
import type { PolicyInputName } from './cel-expression.ts';

export interface PolicyObject {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface PolicyFacts {
  tool: string;
  /** the arguments as the card shows them (Secret values replaced by their digest) */
  args: Record<string, unknown>;
  cluster?: { name: string; label?: string | undefined } | undefined;
  /** every namespace the call writes, its own first */
  namespaces: readonly string[];
  /** what the dry run said each object is before and would be after (the preview's `objects`) */
  objects: readonly PolicyObject[];
  risks: readonly { code: string }[];
  requester: { email: string; role: string; groups: readonly string[] };
  now: Date;
}

/** The labels policies see on a cluster: its configured label (`label`), then CLUSTER_LABELS' entry for it. */
export function clusterLabelsOf(cluster: PolicyFacts['cluster'], configured: Readonly<Record<string, Record<string, string>>>): Record<string, string> {
  if (!cluster) return {};
  return { ...(cluster.label ? { label: cluster.label } : {}), ...configured[cluster.name] };
}

export function policyInput(facts: PolicyFacts, clusterLabels: Readonly<Record<string, Record<string, string>>> = {}): Record<PolicyInputName, unknown> {
  return {
    tool: facts.tool,
    args: facts.args,
    // a call without a cluster (an external tool declared nowhere) still has the fields, empty
    cluster: { name: facts.cluster?.name ?? '', labels: clusterLabelsOf(facts.cluster, clusterLabels) },
    namespaces: [...facts.namespaces],
    objects: facts.objects.map((object) => ({ before: object.before, after: object.after })),
    risks: [...new Set(facts.risks.map((risk) => risk.code))],
    requester: { email: facts.requester.email, role: facts.requester.role, groups: [...facts.requester.groups] },
    now: facts.now,
  };
}

const record = (value: unknown): Record<string, unknown> | null => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null);

/**
 * The preview's `objects` as {before, after}: a preview that reports both states gives them as they are; one that
 * lists only references (a Helm manifest's objects) gives what it knows, the reference as a Kubernetes object
 * (apiVersion, kind, metadata.name/namespace) after the change, or before it for an object the change removes.
 */
export function policyObjectsOf(value: unknown): PolicyObject[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const entry = record(item) ?? {};
    if ('before' in entry || 'after' in entry) return { before: record(entry['before']), after: record(entry['after']) };
    const text = (field: unknown) => (typeof field === 'string' ? field : undefined);
    const metadata = { ...(text(entry['name']) ? { name: text(entry['name']) } : {}), ...(text(entry['namespace']) ? { namespace: text(entry['namespace']) } : {}) };
    const reference = { ...(text(entry['apiVersion']) ? { apiVersion: text(entry['apiVersion']) } : {}), ...(text(entry['kind']) ? { kind: text(entry['kind']) } : {}), metadata };
    return entry['removed'] === true ? { before: reference, after: null } : { before: null, after: reference };
  });
}

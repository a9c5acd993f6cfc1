/**
 * The hashes an approval is bound to, written once for every side that computes them (issue 73): the engine when it
 * records and executes a call, the executor when it checks that the arguments it is given are the approved ones, and
 * tests. Node only (node:crypto): imported as `@skyflo/protocol/approval-hashes`, never by the browser.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, normaliseForAdmission, type ApprovedAccess, type ApprovedVerb } from './skyflo-approval.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * sha-256 of the canonical JSON of {tool, args} and, for a call on a cluster, {cluster: {name, server}}. An approval is
 * bound to this hash: the gate re-computes it before executing and refuses when the call differs from what the
 * approver was shown, and the executor re-computes it from the arguments it computes the grant from. The cluster's API
 * server URL is in it, so the same arguments approved for one cluster (or for a context whose server was since
 * repointed) are a different call. The label is not: relabelling changes no target.
 */
export function toolCallHash(tool: string, args: Record<string, unknown>, cluster?: { name: string; server: string }): string {
  const bound = cluster ? { tool, args, cluster: { name: cluster.name, server: cluster.server } } : { tool, args };
  return sha256(canonicalJson(bound));
}

/**
 * The SkyfloApproval object's name for a call (issue 34): DNS-safe, at most 40 characters (the executor's
 * ServiceAccount `skyflo-approval-<name>` stays within Kubernetes' 63), and stable — the same conversation and call
 * always give the same name. The executor recomputes it from the spec, so one signed decision names one object only
 * (issue 73: a signature cannot be spent on other approvals). `purpose` keeps an automatic revert's approval apart.
 */
export function approvalObjectName(conversationId: string, callId: string, purpose?: 'revert'): string {
  const digest = createHash('sha256').update(`${conversationId}\u0000${callId}\u0000${purpose ?? ''}`).digest('hex');
  return `${purpose === 'revert' ? 'r' : 'a'}-${digest.slice(0, 30)}`;
}

/**
 * The hash an approval's preview is bound to (`diffHash`): the preview text, and the rendered manifest's digest when
 * the preview reports one (a Helm preview shows a redacted diff; a change hidden by the redaction still changes the
 * digest). The executor recomputes it from the preview text and manifest a Helm call sends.
 */
export function previewHash(text: string, manifestDigest: string | undefined): string {
  return manifestDigest === undefined ? sha256(text) : sha256(`${text}\n\u0000manifest_digest:${manifestDigest}`);
}

/** `sha256:<hex>` of a rendered manifest, as a Helm preview's `manifest_digest`. */
export const manifestDigestOf = (manifest: string): string => `sha256:${sha256(manifest)}`;

/** sha256 hex of an object as the admission webhook judges it (normaliseForAdmission): the approved content's hash. */
export function admissionContentHash(object: Record<string, unknown>): string {
  return sha256(canonicalJson(normaliseForAdmission(object)));
}

/**
 * One object a call writes, its verbs and what binds its content: `object` (a dry-run result) gives its contentHash;
 * `change` and `helmRelease` bind a write no dry-run can fix ahead. The MCP server's preview shows these to people;
 * the cluster's executor computes its own and grants only those.
 */
export function accessEntry(
  info: { group: string; resource: string },
  target: { namespace?: string | undefined; name: string; subresource?: string | undefined; verbs: ApprovedVerb[]; object?: Record<string, unknown> | undefined; change?: ApprovedAccess['change']; helmRelease?: ApprovedAccess['helmRelease'] },
): ApprovedAccess {
  return {
    apiGroup: info.group,
    resource: info.resource,
    ...(target.subresource ? { subresource: target.subresource } : {}),
    ...(target.namespace ? { namespace: target.namespace } : {}),
    name: target.name,
    verbs: target.verbs,
    ...(target.object ? { contentHash: admissionContentHash(target.object) } : {}),
    ...(target.change ? { change: target.change } : {}),
    ...(target.helmRelease ? { helmRelease: target.helmRelease } : {}),
  };
}

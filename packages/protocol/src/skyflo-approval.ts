/**
 * Issue 34: the cluster enforces the approval. The contract between the engine (which decides and signs), the
 * executor (a separate identity in each cluster that verifies the signature and mints a per-approval credential)
 * and the MCP server (which runs the one approved call with that credential). Written once here; the engine, the
 * executor (packages/operator/src/executor) and the MCP server all read it.
 *
 * Flow for one approved call on a cluster with `enforcement: cluster`:
 *  1. the engine sends the signed decision to the executor: `POST {executor}/v1/approvals` (every decision, denials
 *     too, is mirrored as a `SkyfloApproval` object in the install's namespace);
 *  2. for an approval, the engine asks `POST {executor}/v1/approvals/{name}/credential` with the call's exact
 *     arguments (and, for a Helm call, the rendered manifest the approved preview digested): the executor re-reads the
 *     object from the cluster, verifies the signature over spec + status, the decision, the expiry, the name, the
 *     cluster, that the arguments hash to the signed `argsHash`, and the approver's own signature; then it computes
 *     itself, under its own identity, what exactly those arguments write (issue 73: never what the MCP server's preview
 *     says), records that grant on the object (once: a second mint is refused), creates ServiceAccount
 *     `skyflo-approval-{name}` with Roles/ClusterRole granting exactly it, and mints a token (TokenRequest, ≤ 10 min);
 *  3. the engine passes the token to the MCP server in the tools/call `_meta[mcpMetaKeys.credential]`; kubectl/helm
 *     run with it for that one call;
 *  4. the engine calls `DELETE {executor}/v1/approvals/{name}/credential` when the call ends (a sweep removes what a
 *     crash left after `expiresAt`);
 *  5. the executor's validating webhook admits a write by a `skyflo-approval-*` identity only when it names an object
 *     of the recorded grant and its normalised content hashes to that entry's `contentHash` (when one is given), or —
 *     for an object a Helm release updates — changes nothing the approved manifest does not set.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';

export const skyfloApprovalGroup = 'skyflo.ai';
export const skyfloApprovalVersion = 'v1alpha1';
export const skyfloApprovalPlural = 'skyfloapprovals';
export const skyfloApprovalKind = 'SkyfloApproval';
/**
 * The cluster name of a call bound to no named cluster (the MCP server's own, in a pod): the SkyfloApproval and the
 * passkey challenge both use it, so the executor recomputes the challenge the approver signed.
 */
export const unboundClusterName = 'in-cluster';
/** The ServiceAccount (and Role/ClusterRole/bindings) minted for approval `name`. */
export const approvalServiceAccountPrefix = 'skyflo-approval-';
/** The longest a minted token may live (TokenRequest expirationSeconds). */
export const approvalCredentialMaxSeconds = 600;

/** How a cluster's writes are enforced: by the cluster (executor, per-approval credential) or by the engine alone. */
export const approvalEnforcementSchema = deferred(() => z.enum(['cluster', 'engine']));
export type ApprovalEnforcement = z.infer<typeof approvalEnforcementSchema>;

export const approvedVerbSchema = deferred(() => z.enum(['create', 'update', 'patch', 'delete']));
export type ApprovedVerb = z.infer<typeof approvedVerbSchema>;

/**
 * One object the approved call may write and how. RBAC gets `verbs` on `resource[/subresource]` with
 * `resourceNames: [name]` (create cannot be limited by name in RBAC: the webhook checks the name then).
 */
export const approvedAccessSchema = deferred(() => z.object({
  /** '' for the core group */
  apiGroup: z.string(),
  /** plural resource, e.g. deployments */
  resource: z.string().min(1),
  subresource: z.string().min(1).optional(),
  /** absent: a cluster-scoped object */
  namespace: z.string().min(1).optional(),
  name: z.string().min(1),
  verbs: z.array(approvedVerbSchema).min(1),
  /** sha256 hex of canonicalJson(normaliseForAdmission(the approved dry-run object)); absent for deletes */
  contentHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  /**
   * Issue 73: a write whose exact content no dry-run can know ahead (a restart's timestamp, an Argo status patch): the
   * written object may differ from the live one only under `within` (JSON pointers, `*` matches one segment), and at
   * each pointer of `values` it must hold exactly that value. Checked by the admission webhook on UPDATE.
   */
  change: z.object({ within: z.array(z.string().max(512)).max(200), values: z.record(z.string().max(512), z.unknown()).optional() }).optional(),
  /**
   * Issue 73 item 5: a Helm release's storage Secret (`sh.helm.release.v1.<release>.v<N>`): the release record it holds
   * must carry exactly the approved manifest (its digest) — a created or re-written revision — or, for an older revision
   * helm marks superseded, keep the manifest it had.
   */
  helmRelease: z.object({ release: z.string().min(1), manifestDigest: z.string().min(1).optional() }).optional(),
}));
export type ApprovedAccess = z.infer<typeof approvedAccessSchema>;

export const approvalPersonSchema = deferred(() => z.object({ id: z.string().min(1), email: z.string().optional() }));
export type ApprovalPerson = z.infer<typeof approvalPersonSchema>;

export const skyfloApprovalSpecSchema = deferred(() => z.object({
  conversationId: z.string().min(1),
  callId: z.string().min(1),
  tool: z.string().min(1),
  cluster: z.object({ name: z.string().min(1), server: z.string() }),
  /** sha256 of the call's exact arguments, tool and cluster (toolCallHash): the executor recomputes it from the arguments it is given */
  argsHash: z.string().min(1),
  diffHash: z.string().optional(),
  requestedBy: approvalPersonSchema.optional(),
  /** ISO 8601 */
  requestedAt: z.string().min(1),
  /**
   * An automatic revert's approval: the recorded inverse of the approval named here, which a human approved "with
   * automatic revert" (its status.autoRevert). The executor mints for it only when that approval exists, is signed,
   * approved with automatic revert, by the same person, on the same cluster and conversation, and every object the
   * inverse writes is one the original's access named. Names starting with `r-` must carry it.
   */
  revertOf: z.object({ approval: z.string().min(1).max(40), callId: z.string().min(1) }).optional(),
}));
export type SkyfloApprovalSpec = z.infer<typeof skyfloApprovalSpecSchema>;

/**
 * Issue 35 item 5: the approver's own proof, a WebAuthn assertion (as the browser's passkey made it) over the
 * challenge derived from this approval's facts (approvalChallengeFacts in passkeys.ts). The executor checks it
 * against the approver's registered public key (a SkyfloApproverKey) before it mints: the engine's signature alone
 * then does not make an approval for a call that needs one. Fields are base64url, as AuthenticationResponseJSON.
 */
export const approverAssertionSchema = deferred(() => z.object({
  credentialId: z.string().min(1).max(1024),
  authenticatorData: z.string().min(1).max(4096),
  clientDataJSON: z.string().min(1).max(8192),
  signature: z.string().min(1).max(1024),
  userHandle: z.string().max(1024).optional(),
}));
export type ApproverAssertion = z.infer<typeof approverAssertionSchema>;
/** A passkey approval's proof: the WebAuthn assertion the approver's browser made. */
export const passkeyApproverProofSchema = deferred(() => z.object({
  /** ISO 8601: the expiry the approver was shown, part of the signed challenge facts */
  challengeExpiresAt: z.string().min(1).max(64),
  assertion: approverAssertionSchema,
}));
/**
 * A terminal approval's proof (`skyflo chat`): the Ed25519 signature of the approver's confirmed device key over
 * sha256(approvalChallengeInput(facts)) — the same facts a passkey signs — checked against the device key's
 * SkyfloApproverKey (kind device_key, SPKI DER public key).
 */
export const deviceKeyApproverProofSchema = deferred(() => z.object({
  challengeExpiresAt: z.string().min(1).max(64),
  deviceSignature: z.object({
    /** the device key's id (its SkyfloApproverKey's credentialId) */
    keyId: z.string().min(1).max(1024),
    /** base64url Ed25519 signature */
    signature: z.string().min(1).max(200),
  }),
}));
export const approverProofSchema = deferred(() => z.union([passkeyApproverProofSchema, deviceKeyApproverProofSchema]));
/** Issue 76: one earlier approval of a call several people must approve (SkyfloApproval status.coApprovals). */
export const coApprovalSchema = deferred(() => z.object({
  decidedBy: approvalPersonSchema,
  /** ISO 8601 */
  decidedAt: z.string().min(1).max(64),
  approverProof: approverProofSchema.optional(),
}));
export type CoApproval = z.infer<typeof coApprovalSchema>;
export type ApproverProof = z.infer<typeof approverProofSchema>;
export type PasskeyApproverProof = z.infer<typeof passkeyApproverProofSchema>;
export type DeviceKeyApproverProof = z.infer<typeof deviceKeyApproverProofSchema>;

/**
 * A registered passkey's (or confirmed device key's) public key, mirrored by the engine to each cluster's executor
 * (`POST /v1/approver-keys`) when the approver registers it; the executor keeps it as an immutable SkyfloApproverKey.
 */
export const approverKeySchema = deferred(() => z.object({
  /** base64url WebAuthn credential id */
  credentialId: z.string().min(1).max(1024).regex(/^[A-Za-z0-9_-]+$/, 'credentialId must be base64url'),
  /** the Skyflo user the key belongs to (status.decidedBy.id of the approvals it signs) */
  userId: z.string().min(1).max(256),
  email: z.string().max(320).optional(),
  /** base64url COSE public key, as SimpleWebAuthn's registration gives it */
  publicKey: z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/, 'publicKey must be base64url'),
  /** the signature counter at registration */
  counter: z.number().int().min(0).default(0),
  /** absent: a passkey (COSE public key); `device_key`: a terminal's Ed25519 key, `publicKey` is its SPKI DER */
  kind: z.enum(['passkey', 'device_key']).optional(),
  /**
   * The WebAuthn relying party the passkey was registered for (the Command Center's host name and origin): used when
   * the executor has none configured (SKYFLO_EXECUTOR_WEBAUTHN_RP_ID / _ORIGIN win when set).
   */
  rpId: z.string().min(1).max(253).optional(),
  origin: z.string().min(1).max(2048).optional(),
}));
export type ApproverKey = z.infer<typeof approverKeySchema>;
/** The keys an executor holds (GET /v1/approver-keys): what the engine's stray key sweep checks against its registry. */
export const approverKeyListSchema = deferred(() => z.object({ keys: z.array(approverKeySchema) }));
export const skyfloApproverKeyKind = 'SkyfloApproverKey';
export const skyfloApproverKeyPlural = 'skyfloapproverkeys';

/**
 * Which approvals the executor requires an approver's proof for on its own (SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE),
 * on top of those whose status.approverSignatureRequired is set.
 */
export const approverSignatureRequirementSchema = deferred(() => z.enum(['all', 'destructive', 'none']));
export type ApproverSignatureRequirement = z.infer<typeof approverSignatureRequirementSchema>;

/**
 * Issue 76: who holds each role as a cluster's executor confirms a `require_role` SkyfloPolicy — emails or Skyflo
 * user ids, declared in the cluster (SkyfloAI spec.approvals.roleMembers → SKYFLO_EXECUTOR_ROLE_MEMBERS), never taken
 * from the engine. An admin counts as an approver.
 */
export const roleMembersSchema = deferred(() => z.object({
  approver: z.array(z.string().min(1).max(320)).max(200).optional(),
  admin: z.array(z.string().min(1).max(320)).max(200).optional(),
}).strict());
export type RoleMembers = z.infer<typeof roleMembersSchema>;

export const skyfloApprovalStatusSchema = deferred(() => z.object({
  decision: z.enum(['approved', 'denied']),
  decidedBy: approvalPersonSchema.optional(),
  /** ISO 8601 */
  decidedAt: z.string().min(1),
  /** ISO 8601: no credential is minted after this */
  expiresAt: z.string().min(1),
  /** true for a rule's automatic approval (policy), so a reviewer sees no human decided */
  automatic: z.boolean().optional(),
  /** approved "with automatic revert": the approver consented, here, to the recorded inverse running on a regression */
  autoRevert: z.boolean().optional(),
  /** issue 35: the approver's passkey assertion over this approval's facts (covered by the engine's signature too) */
  approverProof: approverProofSchema.optional(),
  /**
   * Issue 35 item 5: the engine's passkey policy asked for the approver's passkey (or device key) on this call. The
   * executor then refuses to mint without a valid approverProof by a registered key of `decidedBy`, whatever its own
   * SKYFLO_EXECUTOR_REQUIRE_APPROVER_SIGNATURE says (that setting can only add approvals to check, never remove one).
   */
  approverSignatureRequired: z.boolean().optional(),
  /**
   * Issue 76: an admin's break-glass — the call was approved while the change freeze `freeze` held, for `reason`. The
   * executor mints during a SkyfloFreeze of that name only when the object names the approver among its
   * `break_glass.approvers` and the approver's own passkey proof verifies (the engine's word alone breaks nothing).
   */
  breakGlass: z.object({ reason: z.string().min(1).max(500), freeze: z.string().min(1).max(100) }).optional(),
  /**
   * Issue 76, `require_approvers: N`: the people who approved the call before `decidedBy` (the N-th), each with their
   * own proof over the same facts when they gave one. The executor counts only those whose proof verifies against a
   * SkyfloApproverKey of theirs, distinct and other than the requester — never the engine's list alone.
   */
  coApprovals: z.array(coApprovalSchema).max(20).optional(),
  /**
   * Compact JWS (alg EdDSA) with a detached payload: base64url(approvalSigningInput(name, spec, status-without-signature)).
   * Made with the engine's key (SKYFLO_APPROVAL_SIGNING_KEY); the executor holds only the public key(s).
   */
  signature: z.string().min(1),
}));
export type SkyfloApprovalStatus = z.infer<typeof skyfloApprovalStatusSchema>;

/** The object as the executor stores it (and `kubectl get skyfloapprovals -o json` shows it). */
export const skyfloApprovalDocumentSchema = deferred(() => z.object({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(40),
  spec: skyfloApprovalSpecSchema,
  status: skyfloApprovalStatusSchema,
}));
export type SkyfloApprovalDocument = z.infer<typeof skyfloApprovalDocumentSchema>;

/**
 * Issue 73: `POST /v1/approvals/{name}/credential` body — what the executor computes the grant from. `arguments` must
 * hash (with the approval's tool and cluster) to its signed `argsHash`. A Helm call also sends the full rendered
 * manifest (hooks included) and the approved preview's text, which must hash to the signed `diffHash` with the
 * manifest's digest; `liveManifest` is the release's current manifest (what the call deletes is what it drops).
 * Never stored: the manifest may hold Secret values.
 */
export const approvalCredentialRequestSchema = deferred(() => z.object({
  arguments: z.record(z.string(), z.unknown()),
  helm: z
    .object({
      /**
       * absent for an uninstall (it writes no manifest), and where the executor rendered the preview itself (issue 73
       * item 6: POST /v1/helm/render; the engine only ever saw it redacted): the executor then uses its own render
       */
      manifest: z.string().max(4 * 1024 * 1024).optional(),
      liveManifest: z.string().max(4 * 1024 * 1024),
      previewText: z.string().max(4 * 1024 * 1024),
      /**
       * Helm's own bookkeeping, from the release's history as the preview read it: the revision the call creates, those
       * it marks superseded, those --history-max prunes. The executor grants these only as this release's storage
       * Secrets, and the webhook holds the created one to the approved manifest.
       */
      storage: z.object({ create: z.number().int().min(1).optional(), update: z.array(z.number().int().min(1)).max(1000), delete: z.array(z.number().int().min(1)).max(1000) }),
    })
    .optional(),
}));
export type ApprovalCredentialRequest = z.infer<typeof approvalCredentialRequestSchema>;

/**
 * On the SkyfloApproval, written by the executor when it mints (issue 73): the access it computed and granted (JSON of
 * ApprovedAccess[]) — what the admission webhook holds the approval's account to — and when. Written once, with the
 * object's resourceVersion: a second mint of the same approval is refused and never touches the first token.
 */
export const grantedAccessAnnotation = 'skyflo.ai/granted-access';
export const grantedAtAnnotation = 'skyflo.ai/granted-at';

/** `POST /v1/approvals/{name}/credential` answer. The token is a secret: never logged, never stored. */
export const approvalCredentialSchema = deferred(() => z.object({
  token: z.string().min(1),
  /** ISO 8601 */
  expiresAt: z.string().min(1),
  /** system:serviceaccount:<namespace>:skyflo-approval-<name> */
  username: z.string().min(1),
  /** what the executor computed the call writes, and granted (nothing else) */
  access: z.array(approvedAccessSchema).optional(),
}));
export type ApprovalCredential = z.infer<typeof approvalCredentialSchema>;

/** The executor's error body: `code` is one of these, `message` says what was wrong and what to do. */
export const executorErrorSchema = deferred(() => z.object({
  code: z.enum(['UNAUTHORIZED', 'FORBIDDEN', 'INVALID', 'NOT_FOUND', 'BAD_SIGNATURE', 'NOT_APPROVED', 'EXPIRED', 'IMMUTABLE', 'ALREADY_MINTED', 'UNSUPPORTED', 'MINT_FAILED', 'APPROVER_SIGNATURE', 'EMERGENCY_STOP', 'POLICY_DENIED', 'FROZEN']),
  message: z.string(),
}));
export type ExecutorError = z.infer<typeof executorErrorSchema>;

/** `_meta[mcpMetaKeys.credential]` of a tools/call: run this one call with this token (trusted connections only). */
export const toolCallCredentialSchema = deferred(() => z.object({ token: z.string().min(1), expiresAt: z.string().min(1), approval: z.string().min(1) }));
export type ToolCallCredential = z.infer<typeof toolCallCredentialSchema>;

/**
 * Canonical JSON (the RFC 8785 idea): object keys sorted by UTF-16 code units, no whitespace, `undefined` members
 * dropped, non-finite numbers as null. The signature and the content hashes are computed over it on both sides.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** What the signature covers: the object's name, its spec and its status without the signature itself. */
export function approvalSigningInput(name: string, spec: SkyfloApprovalSpec, status: Omit<SkyfloApprovalStatus, 'signature'>): string {
  const { signature: _signature, ...unsigned } = status as SkyfloApprovalStatus;
  return canonicalJson({ name, spec, status: unsigned });
}

/** Server-set metadata that differs between a server-side dry-run and the real write of the same change. */
const serverSetMetadata = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/**
 * The part of an object the approval binds: everything but `status` and server-set metadata (and the
 * last-applied annotation, which restates the rest). The same function on the approved dry-run object and on the
 * admission request's object must give the same canonical JSON for the same change.
 */
export function normaliseForAdmission(object: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, ...rest } = object;
  const metadata = rest['metadata'] && typeof rest['metadata'] === 'object' ? { ...(rest['metadata'] as Record<string, unknown>) } : undefined;
  if (metadata) {
    for (const key of serverSetMetadata) delete metadata[key];
    const annotations = metadata['annotations'] as Record<string, unknown> | undefined;
    if (annotations && 'kubectl.kubernetes.io/last-applied-configuration' in annotations) {
      const { ['kubectl.kubernetes.io/last-applied-configuration']: _applied, ...others } = annotations;
      if (Object.keys(others).length > 0) metadata['annotations'] = others;
      else delete metadata['annotations'];
    }
  }
  const normalised = metadata ? { ...rest, metadata } : rest;
  return rest['kind'] === 'Service' ? withoutAllocatedServiceFields(normalised) : normalised;
}

/**
 * A Service's addresses and node ports are allocated by the API server on every create (a dry-run allocates others
 * than the real write), so they are not part of the approved content. They are immutable or allocator-checked anyway.
 */
function withoutAllocatedServiceFields(service: Record<string, unknown>): Record<string, unknown> {
  const spec = service['spec'];
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return service;
  const { clusterIP: _clusterIP, clusterIPs: _clusterIPs, healthCheckNodePort: _healthCheckNodePort, ...kept } = spec as Record<string, unknown>;
  const ports = Array.isArray(kept['ports'])
    ? (kept['ports'] as unknown[]).map((port) => {
        if (!port || typeof port !== 'object') return port;
        const { nodePort: _nodePort, ...rest } = port as Record<string, unknown>;
        return rest;
      })
    : undefined;
  return { ...service, spec: ports ? { ...kept, ports } : kept };
}

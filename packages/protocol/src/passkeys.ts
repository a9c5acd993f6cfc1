/**
 * Passkeys for risky approvals (issue 35 items 3 and 4): WebAuthn credentials registered in Settings, a per-cluster
 * policy saying when an approval needs one, and the assertion a passkey approval carries. The challenge an approver
 * signs is derived from the approval's facts (approvalChallenge), so the signature approves exactly that call: the
 * engine and, later, the executor compute it the same way from the stored call.
 */
import { deferred } from './deferred.ts';
import { z } from './zod.ts';
import { canonicalJson, unboundClusterName } from './skyflo-approval.ts';

/** When an approval on a cluster needs a passkey. */
export const passkeyPolicyModes = ['every_approval', 'destructive_and_high_risk', 'never'] as const;
export const passkeyPolicyModeSchema = deferred(() => z.enum(passkeyPolicyModes, { error: `mode must be one of ${passkeyPolicyModes.join(', ')}` }));
export type PasskeyPolicyMode = z.infer<typeof passkeyPolicyModeSchema>;

export const clusterPasskeyPolicySchema = deferred(() => z.object({ cluster: z.string().min(1, 'cluster is required'), mode: passkeyPolicyModeSchema }));
export type ClusterPasskeyPolicy = z.infer<typeof clusterPasskeyPolicySchema>;
/** PUT /clusters/passkey-policies (admin): the explicit entries; a cluster without one gets its default */
export const clusterPasskeyPoliciesSchema = deferred(() => z.object({ policies: z.array(clusterPasskeyPolicySchema) }));
export type ClusterPasskeyPolicies = z.infer<typeof clusterPasskeyPoliciesSchema>;
/** GET /clusters/passkey-policies: every known cluster's mode and whether it is the default (production label) */
export const clusterPasskeyPolicyViewSchema = deferred(() => z.object({
  policies: z.array(clusterPasskeyPolicySchema.extend({ label: z.string().optional(), source: z.enum(['setting', 'default']) })),
}));
export type ClusterPasskeyPolicyView = z.infer<typeof clusterPasskeyPolicyViewSchema>;

/** A registered passkey as the owner sees it (the public key stays in the engine). */
export const passkeySchema = deferred(() => z.object({
  id: z.string(),
  name: z.string(),
  /** the credential id (base64url) */
  credential_id: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
}));
export type Passkey = z.infer<typeof passkeySchema>;
export const passkeysResponseSchema = deferred(() => z.object({ data: z.array(passkeySchema) }));
export type PasskeysResponse = z.infer<typeof passkeysResponseSchema>;

/** The WebAuthn options (PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON) as SimpleWebAuthn makes them. */
export const webauthnOptionsSchema = deferred(() => z.looseObject({ challenge: z.string() }));

/** POST /auth/passkeys/registration-options: the options plus a token that ties the answer to them */
export const passkeyRegistrationOptionsSchema = deferred(() => z.object({ options: webauthnOptionsSchema, registration_token: z.string() }));
export type PasskeyRegistrationOptions = z.infer<typeof passkeyRegistrationOptionsSchema>;

/** A WebAuthn credential response in its JSON form (RegistrationResponseJSON / AuthenticationResponseJSON). */
const credentialJson = <T extends z.ZodRawShape>(response: T) =>
  z.object({
    id: z.string().min(1),
    rawId: z.string().min(1),
    type: z.literal('public-key'),
    response: z.looseObject(response),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.string().optional(),
  });

export const registrationResponseSchema = deferred(() => credentialJson({ clientDataJSON: z.string(), attestationObject: z.string(), transports: z.array(z.string()).optional() }));
/** POST /auth/passkeys */
export const registerPasskeyRequestSchema = deferred(() => z.object({ name: z.string().trim().min(1, 'name the passkey').max(100), registration_token: z.string().min(1), response: registrationResponseSchema }));
export type RegisterPasskeyRequest = z.infer<typeof registerPasskeyRequestSchema>;

/** The assertion a passkey approval carries (AuthenticationResponseJSON). */
export const webauthnAssertionSchema = deferred(() => credentialJson({ clientDataJSON: z.string(), authenticatorData: z.string(), signature: z.string(), userHandle: z.string().optional() }));
export type WebauthnAssertion = z.infer<typeof webauthnAssertionSchema>;

/** POST /approvals/:call_id/passkey-options: the request options whose challenge is the call's facts */
export const approvalPasskeyOptionsRequestSchema = deferred(() => z.object({ conversation_id: z.uuid('conversation_id must be a UUID') }));
export const approvalPasskeyOptionsSchema = deferred(() => z.object({
  options: webauthnOptionsSchema,
  /** ISO 8601: part of the signed facts; send it back with the assertion (`webauthn.expires_at`) */
  expires_at: z.string(),
}));
export type ApprovalPasskeyOptions = z.infer<typeof approvalPasskeyOptionsSchema>;

/** `webauthn` of POST /agent/approvals/:call_id */
export const approvalWebauthnSchema = deferred(() => z.object({ expires_at: z.string().min(1), assertion: webauthnAssertionSchema }));
export type ApprovalWebauthn = z.infer<typeof approvalWebauthnSchema>;

/**
 * The facts a passkey (or terminal device key) approval signs (issue 73 item 2): the call (its tool, and its exact
 * arguments by `argsHash`, which covers the tool, the arguments and the cluster's name and API server), the approved
 * preview by `diffHash` (for a Helm call it covers the rendered manifest's digest: the content written), the cluster by
 * name and API server, and an expiry. The executor recomputes them from the SkyfloApproval it mints for, checks the
 * expiry against its own clock, recomputes `argsHash` from the arguments it is given, computes what those arguments
 * write itself, and accepts each signature once. `cluster`: the cluster's name (`unboundClusterName` for a call
 * without one); `server`: its API server URL ('' for a call without one).
 */
export interface ApprovalChallengeFacts {
  callId: string;
  tool: string;
  argsHash: string;
  diffHash: string | null;
  cluster: string;
  server: string;
  /** ISO 8601 */
  expiresAt: string;
  conversationId: string;
}

/** The exact text hashed into the challenge: canonicalJson of the facts. */
export const approvalChallengeInput = (facts: ApprovalChallengeFacts): string =>
  canonicalJson({
    callId: facts.callId,
    tool: facts.tool,
    argsHash: facts.argsHash,
    diffHash: facts.diffHash,
    cluster: facts.cluster,
    server: facts.server,
    expiresAt: facts.expiresAt,
    conversationId: facts.conversationId,
  });

/**
 * The facts of one call, from wherever the call is read: the engine's stored approval, a SkyfloApproval's spec (the
 * executor recomputes the challenge from the object it mints for, issue 35 item 5) or the terminal's pending card.
 * Written once, so every signer and verifier agrees on the defaults: no diff is null, and a call bound to no named
 * cluster is `unboundClusterName` with server ''. An assertion made for another call (another tool, args or diff
 * hash, cluster, API server or conversation) does not verify.
 */
export const approvalChallengeFacts = (
  call: { callId: string; conversationId: string; tool: string; argsHash: string; diffHash?: string | null | undefined; cluster?: { name: string; server?: string } | null | undefined },
  expiresAt: string,
): ApprovalChallengeFacts => ({
  callId: call.callId,
  tool: call.tool,
  argsHash: call.argsHash,
  diffHash: call.diffHash ?? null,
  cluster: call.cluster?.name ?? unboundClusterName,
  server: call.cluster?.server ?? '',
  expiresAt,
  conversationId: call.conversationId,
});

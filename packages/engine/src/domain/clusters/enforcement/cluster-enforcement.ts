/**
 * Issue 34: the engine's side of approvals the cluster enforces. For a cluster with `enforcement: cluster`:
 * - every decision (approvals, denials, automatic approvals) is mirrored to that cluster's executor as a signed
 *   SkyfloApproval — `kubectl get skyfloapprovals` shows it, and the conversation and the audit name it;
 * - an approved call asks the executor for the credential of exactly that approval right before it runs, and releases
 *   it when the call ends; the executor computes what the call writes from its exact arguments (issue 73), never from
 *   the preview. Anything missing (no executor, unreachable, a refusal, a call the executor cannot bind)
 *   refuses the call: fail closed, nothing runs.
 * Clusters with `enforcement: engine` (the embedded default) are untouched: today's behaviour, EXECUTE_AS_APPROVER too.
 */
import {
  approvalCredentialMaxSeconds,
  unboundClusterName,
  type ApprovalEnforcement,
  type ApprovalCredentialRequest,
  type ApproverKey,
  type ApproverProof,
  type CoApproval,
  type SkyfloApprovalDocument,
  type SkyfloApprovalSpec,
  type SkyfloApprovalStatus,
  type ToolCallCredential,
} from '@skyflo/protocol';
import type { EnforcementConfig } from '../../../platform/config/index.ts';
import type { ApprovalRecord } from '../../../platform/ports/index.ts';
import { approvalObjectName } from './approval-name.ts';
import { createExecutorClient, ExecutorRequestError, type EmergencyStopAnnouncement, type ExecutorClient } from './executor-client.ts';
import { createApprovalSigner, type ApprovalSigner } from './sign-approval.ts';

export { approvalObjectName } from './approval-name.ts';

export interface ApprovalDecision {
  conversationId: string;
  callId: string;
  /** an automatic revert's own approval */
  purpose?: 'revert';
  /** an automatic revert: the approval (and call) it is the recorded inverse of; the executor checks that one */
  revertOf?: { approval: string; callId: string };
  /** approved "with automatic revert": the approver's consent to the inverse, which its revert's approval names */
  autoRevert?: boolean;
  tool: string;
  /** the call's cluster; absent: the engine's own (SKYFLO_EXECUTOR_URL) */
  cluster?: { name: string; server: string };
  argsHash: string;
  diffHash?: string;
  requestedBy?: { id: string; email?: string };
  requestedAt: Date;
  decision: 'approved' | 'denied';
  decidedBy?: { id: string; email?: string };
  decidedAt?: Date;
  automatic?: boolean;
  /** issue 35: the approver's passkey assertion over the call's facts; the executor may require it before minting */
  approverProof?: ApproverProof;
  /** issue 76: an admin broke the change freeze `freeze` for this call (the executor honours it only for a SkyfloFreeze that names them) */
  breakGlass?: { reason: string; freeze: string };
  /** issue 76: the approvals before `decidedBy` of a call several people must approve, each with its proof where given */
  coApprovals?: CoApproval[];
  /** issue 35 item 5: what the cluster's passkey policy is judged on (absent: only a carried proof marks it required) */
  policyFacts?: Pick<ApprovalRecord, 'destructive' | 'risks' | 'cluster'>;
}

export type Grant =
  | { ok: true; name: string; credential: ToolCallCredential; release(): Promise<void> }
  | { ok: false; name: string; text: string };

export interface ClusterEnforcement {
  /** How the cluster's writes are enforced (the clusters API reports it). */
  modeFor(cluster: string | undefined): ApprovalEnforcement;
  /** The SkyfloApproval name of a call (the same whether or not its cluster enforces). */
  nameOf(conversationId: string, callId: string, purpose?: 'revert'): string;
  /** Mirrors a denial; never throws (a denial runs nothing either way), returns why it failed if it did. */
  mirrorDenial(decision: Omit<ApprovalDecision, 'decision'>): Promise<string | undefined>;
  /**
   * Mirrors an approval and mints its credential; `ok: false` says why nothing may run. `call` is what the executor
   * computes the grant from (issue 73): the exact arguments (and a Helm call's rendered manifest) — never the preview's
   * claim of what the call writes.
   */
  grant(decision: Omit<ApprovalDecision, 'decision'>, call: ApprovalCredentialRequest): Promise<Grant>;
  /**
   * Issue 35: mirrors a passkey registration or device key confirmation (or a removal) to every configured executor, which checks approvers'
   * signatures against these keys. Never throws; one entry per executor, `error` when it failed.
   */
  mirrorApproverKey(change: ApproverKeyChange): Promise<ApproverKeyMirrorOutcome[]>;
  /**
   * Takes off every executor the keys the engine's registry does not have: a removal that failed left a removed passkey
   * or device key verifying on that cluster. Each executor's keys are listed before `registry` is read, so a key
   * registered meanwhile is never taken off. Nothing is ever added: a key reaches an executor only through its own
   * registration (a fresh sign-in, audited and announced), never from rows in the database. Never throws.
   */
  removeStrayApproverKeys(registry: () => Promise<RegisteredApproverKey[]>): Promise<StrayApproverKeysOutcome[]>;
  /**
   * Issue 76: tells every executor the engine's emergency stop (emergency-stop/executor-relay.ts); never throws, one
   * error per executor that could not be told.
   */
  announceEmergencyStop(stop: EmergencyStopAnnouncement): Promise<Array<{ executor: string; error: string }>>;
}

/** A key as the engine's registry has it: what a key an executor holds must match to stay there. */
export type RegisteredApproverKey = Pick<ApproverKey, 'credentialId' | 'userId' | 'publicKey' | 'kind'>;

/** What one executor's pass took off (credential ids); `error` when a step failed (the next pass tries again). */
export interface StrayApproverKeysOutcome {
  executor: string;
  removed: string[];
  error?: string;
}

/** What one executor answered to a key's mirroring: `error` when it failed, `attempts` when it took more than one. */
export interface ApproverKeyMirrorOutcome {
  executor: string;
  error?: string;
  attempts?: number;
}

/**
 * Failures worth trying again: the executor not reached, an answer without an explanation, or the executor's own
 * request to the API server failing (MINT_FAILED). A refusal (unauthorized, invalid, immutable) stays a refusal.
 */
const transientExecutorCodes: ReadonlySet<string> = new Set(['UNREACHABLE', 'BAD_RESPONSE', 'MINT_FAILED']);

/** A key registration (or removal) as the executors receive it (POST/DELETE /v1/approver-keys); passkeys and device keys send it. */
export type ApproverKeyChange = { action: 'register'; key: ApproverKey } | { action: 'remove'; credentialId: string };

export interface ClusterEnforcementDeps {
  /** the executors and keys (the stray key sweep's beat is not this module's: passkeys/stray-key-sweep.ts) */
  config: Omit<EnforcementConfig, 'approverKeySweepMs'>;
  fetch?: typeof fetch;
  now?: () => Date;
  logger?: { warn(object: Record<string, unknown>, message: string): void };
  /**
   * Issue 35 item 5: why the cluster's passkey policy asks for the approver's passkey on a call, or undefined
   * (passkeys/passkey-policy.ts). Read when the approval is signed, so an approval recorded without the passkey check
   * (a row written into the database) still carries `approverSignatureRequired` and the executor refuses it.
   */
  passkeyRequirement?(call: Pick<ApprovalRecord, 'destructive' | 'risks' | 'cluster'>): Promise<string | undefined>;
  /**
   * The waits before each further attempt of a key's mirroring that failed transiently (default 1 s, then 3 s): a key
   * removed in the engine but left on an executor would still verify there until someone removed it by hand.
   */
  approverKeyRetryDelaysMs?: readonly number[];
}

export async function createClusterEnforcement(deps: ClusterEnforcementDeps): Promise<ClusterEnforcement> {
  const { config } = deps;
  const now = deps.now ?? (() => new Date());
  const signer: ApprovalSigner | undefined = config.signingKeyPem ? await createApprovalSigner(config.signingKeyPem) : undefined;
  const clients = new Map<string, ExecutorClient>();

  function executorFor(cluster: string | undefined): ExecutorClient | undefined {
    const url = (cluster !== undefined ? config.executors[cluster] : undefined) ?? config.executorUrl;
    if (!url || !config.executorToken) return undefined;
    let client = clients.get(url);
    if (!client) clients.set(url, (client = createExecutorClient({ url, token: config.executorToken, ...(deps.fetch ? { fetch: deps.fetch } : {}) })));
    return client;
  }

  /**
   * Whether the executor must see the approver's own signature before minting: when a proof was stored with the
   * decision (the policy asked for it then), or the policy asks for it now. Automatic approvals (a pre-approved revert)
   * carry no person's signature and are the engine's word alone (README: what the approval gate binds). A policy that
   * cannot be read requires it (fail closed).
   */
  async function approverSignatureRequired(decision: ApprovalDecision): Promise<boolean> {
    if (decision.decision !== 'approved') return false;
    if (decision.approverProof) return true;
    if (decision.automatic || decision.purpose === 'revert' || !decision.policyFacts || !deps.passkeyRequirement) return false;
    return (await deps.passkeyRequirement(decision.policyFacts).catch(() => 'unreadable policy')) !== undefined;
  }

  async function documentOf(decision: ApprovalDecision): Promise<SkyfloApprovalDocument> {
    if (!signer) throw new ExecutorRequestError('BAD_SIGNATURE', 'the engine has no approval signing key (SKYFLO_APPROVAL_SIGNING_KEY)');
    const name = approvalObjectName(decision.conversationId, decision.callId, decision.purpose);
    const decidedAt = decision.decidedAt ?? now();
    const spec: SkyfloApprovalSpec = {
      conversationId: decision.conversationId,
      callId: decision.callId,
      tool: decision.tool,
      cluster: decision.cluster ?? { name: unboundClusterName, server: '' },
      argsHash: decision.argsHash,
      ...(decision.diffHash ? { diffHash: decision.diffHash } : {}),
      ...(decision.requestedBy ? { requestedBy: decision.requestedBy } : {}),
      requestedAt: decision.requestedAt.toISOString(),
      ...(decision.revertOf ? { revertOf: decision.revertOf } : {}),
    };
    // A credential is minted right after this; it may not outlive the approval (≤ 10 minutes, TokenRequest's cap here).
    const status: Omit<SkyfloApprovalStatus, 'signature'> = {
      decision: decision.decision,
      ...(decision.decidedBy ? { decidedBy: decision.decidedBy } : {}),
      decidedAt: decidedAt.toISOString(),
      expiresAt: new Date(now().getTime() + approvalCredentialMaxSeconds * 1000).toISOString(),
      ...(decision.automatic ? { automatic: true } : {}),
      ...(decision.autoRevert ? { autoRevert: true } : {}),
      ...(decision.approverProof ? { approverProof: decision.approverProof } : {}),
      ...((await approverSignatureRequired(decision)) ? { approverSignatureRequired: true } : {}),
      ...(decision.breakGlass ? { breakGlass: decision.breakGlass } : {}),
      ...(decision.coApprovals?.length ? { coApprovals: decision.coApprovals } : {}),
    };
    return { name, spec, status: { ...status, signature: await signer.sign(name, spec, status) } };
  }

  const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

  const retryDelaysMs = deps.approverKeyRetryDelaysMs ?? [1_000, 3_000];

  const noExecutorToken = 'no executor token (SKYFLO_EXECUTOR_TOKEN)';
  /** Every configured executor once (one may serve several clusters), with its client when there is a token. */
  const everyExecutor = () =>
    [...new Set([...(config.executorUrl ? [config.executorUrl] : []), ...Object.values(config.executors)])].map((url) => ({
      url,
      client: executorFor(Object.keys(config.executors).find((cluster) => config.executors[cluster] === url)),
    }));

  async function mirrorApproverKey(change: ApproverKeyChange): Promise<ApproverKeyMirrorOutcome[]> {
    return Promise.all(
      everyExecutor().map(async ({ url, client }): Promise<ApproverKeyMirrorOutcome> => {
        if (!client) return { executor: url, error: noExecutorToken };
        for (let attempt = 1; ; attempt += 1) {
          try {
            if (change.action === 'register') await client.registerApproverKey(change.key);
            else await client.removeApproverKey(change.credentialId);
            return { executor: url, ...(attempt > 1 ? { attempts: attempt } : {}) };
          } catch (error) {
            const retryIn = error instanceof ExecutorRequestError && transientExecutorCodes.has(error.code) ? retryDelaysMs[attempt - 1] : undefined;
            deps.logger?.warn({ executor: url, action: change.action, attempt, err: describe(error), ...(retryIn !== undefined ? { retryInMs: retryIn } : {}) }, 'could not mirror an approver key to an executor');
            if (retryIn === undefined) return { executor: url, error: describe(error), ...(attempt > 1 ? { attempts: attempt } : {}) };
            await new Promise((resolve) => setTimeout(resolve, retryIn));
          }
        }
      }),
    );
  }

  /** The same key: a key held under a credential id with another owner or public key is not the registry's key. */
  const sameKey = (held: ApproverKey, registered: RegisteredApproverKey) => held.userId === registered.userId && held.publicKey === registered.publicKey && (held.kind ?? 'passkey') === (registered.kind ?? 'passkey');

  async function removeStrayApproverKeys(registry: () => Promise<RegisteredApproverKey[]>): Promise<StrayApproverKeysOutcome[]> {
    type Held = { url: string; client: ExecutorClient; keys: ApproverKey[] } | { url: string; error: string };
    const held = await Promise.all(
      everyExecutor().map(async ({ url, client }): Promise<Held> => {
        if (!client) return { url, error: noExecutorToken };
        try {
          return { url, client, keys: await client.listApproverKeys() };
        } catch (error) {
          return { url, error: describe(error) };
        }
      }),
    );
    if (!held.length) return [];
    const registered = new Map((await registry()).map((key) => [key.credentialId, key]));
    return Promise.all(
      held.map(async (executor): Promise<StrayApproverKeysOutcome> => {
        const outcome: StrayApproverKeysOutcome = { executor: executor.url, removed: [] };
        if ('error' in executor) return { ...outcome, error: executor.error };
        const { url, client, keys } = executor;
        const failures: string[] = [];
        for (const key of keys) {
          const known = registered.get(key.credentialId);
          if (known && sameKey(key, known)) continue;
          try {
            await client.removeApproverKey(key.credentialId);
            outcome.removed.push(key.credentialId);
          } catch (failure) {
            failures.push(`removing ${key.credentialId}: ${describe(failure)}`);
          }
        }
        if (failures.length) deps.logger?.warn({ executor: url, failures }, 'could not take stray approver keys off an executor');
        return failures.length ? { ...outcome, error: failures.join('; ') } : outcome;
      }),
    );
  }

  async function announceEmergencyStop(stop: EmergencyStopAnnouncement): Promise<Array<{ executor: string; error: string }>> {
    const outcomes = await Promise.all(
      everyExecutor().map(async ({ url, client }) => {
        if (!client) return { executor: url, error: noExecutorToken };
        try {
          await client.announceEmergencyStop(stop);
          return undefined;
        } catch (error) {
          return { executor: url, error: describe(error) };
        }
      }),
    );
    return outcomes.filter((outcome): outcome is { executor: string; error: string } => outcome !== undefined);
  }

  return {
    mirrorApproverKey,
    removeStrayApproverKeys,
    announceEmergencyStop,
    modeFor: (cluster) => (config.mode === 'cluster' ? 'cluster' : 'engine'),
    nameOf: approvalObjectName,
    async mirrorDenial(decision) {
      const name = approvalObjectName(decision.conversationId, decision.callId, decision.purpose);
      const executor = executorFor(decision.cluster?.name);
      if (!executor) return `no approval executor is configured for cluster "${decision.cluster?.name ?? unboundClusterName}"`;
      try {
        await executor.mirror(await documentOf({ ...decision, decision: 'denied' }));
        return undefined;
      } catch (error) {
        deps.logger?.warn({ approval: name, err: describe(error) }, 'the denial could not be mirrored to the executor');
        return describe(error);
      }
    },
    async grant(decision, call) {
      const name = approvalObjectName(decision.conversationId, decision.callId, decision.purpose);
      const cluster = decision.cluster?.name ?? unboundClusterName;
      const refuse = (why: string): Grant => ({ ok: false, name, text: `Not executed: cluster "${cluster}" enforces approvals, and ${why}. Nothing was changed.` });
      const executor = executorFor(decision.cluster?.name);
      if (!executor) return refuse('no approval executor is configured for it (SKYFLO_EXECUTOR_URL or SKYFLO_EXECUTORS)');
      let credential;
      try {
        await executor.mirror(await documentOf({ ...decision, decision: 'approved' }));
        credential = await executor.mint(name, call);
      } catch (error) {
        return refuse(`${describe(error)} (SkyfloApproval ${name})`);
      }
      let released = false;
      return {
        ok: true,
        name,
        credential: { token: credential.token, expiresAt: credential.expiresAt, approval: name },
        async release() {
          if (released) return;
          released = true;
          // the executor's sweep removes what a failed release leaves, at the approval's expiry
          await executor.release(name).catch((error: unknown) => deps.logger?.warn({ approval: name, err: describe(error) }, 'the approval credential could not be released (the executor sweeps it at expiry)'));
        },
      };
    },
  };
}

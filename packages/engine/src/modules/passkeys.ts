/**
 * Passkeys for risky approvals (issue 35) for the composition root (create-engine.ts): which calls need one, the
 * passkeys and device keys people register (mirrored to the cluster's executors when it enforces approvals), what an
 * approval checks of them, and their routes.
 */
import type { ClusterStatus } from '@skyflo/protocol';
import type { ApproverKeyChange, ApproverKeyMirrorOutcome } from '../domain/clusters/enforcement/cluster-enforcement.ts';
import type { Config } from '../platform/config/index.ts';
import type { MountedRoutes } from '../http/app.ts';
import { deviceKeyRoutes, type DeviceKeyRouteDeps } from '../http/routes/device-keys/index.ts';
import { passkeyRoutes, type PasskeyRouteDeps } from '../http/routes/passkeys/index.ts';
import { createDeviceKeyService } from '../domain/passkeys/device-keys.ts';
import { approvalPageUrl, clusterConfirmedPeoplePasskey, type PasskeyApprovals } from '../domain/passkeys/passkey-approvals.ts';
import { createPasskeyPolicies } from '../domain/passkeys/passkey-policy.ts';
import { createPasskeyService } from '../domain/passkeys/passkey-service.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { decide, mayBreakGlass } from '../domain/tool-calls/decide/decide.ts';
import type { DecisionFactsGatherer } from '../domain/tool-calls/decide/gather-facts.ts';
import type { UserNotificationHub } from '../app/team-events/user-notification-hub.ts';

export interface PasskeysDeps {
  storage: PlatformStorage;
  enforcementMode: Config['enforcement']['mode'];
  /** signs the WebAuthn challenges */
  secret: string;
  /** the relying party is the Command Center's public address (read when used) */
  publicUrl: () => string;
  /** every other active admin hears of a new key */
  hub: Pick<UserNotificationHub, 'publish'>;
  /** the cluster enforcement, once it exists: passkey keys are mirrored to its executors */
  keyMirror: () => { mirrorApproverKey(change: ApproverKeyChange): Promise<ApproverKeyMirrorOutcome[]> } | undefined;
  /** what a decision reads about a call, once the composition root has it */
  decisionFacts: () => DecisionFactsGatherer | undefined;
  /** the clusters (the directory exists by the time a request asks) */
  clusters: () => Promise<ClusterStatus[]>;
}

export function createPasskeys(deps: PasskeysDeps) {
  const { storage, hub } = deps;
  const policies = createPasskeyPolicies({ settings: storage.settings });
  const mirrorKey = async (change: ApproverKeyChange) => deps.keyMirror()?.mirrorApproverKey(change) ?? [];
  const service = createPasskeyService({
    mirrorKey,
    passkeys: storage.passkeys,
    atomically: storage.atomically,
    audit: storage.audit,
    publicUrl: deps.publicUrl,
    secret: deps.secret,
    // a new key is a new way to approve: every other active admin hears of it
    announce: async ({ userId, email, name }) => {
      const admins = (await storage.users.list()).filter((member) => member.role === 'admin' && member.id !== userId);
      await Promise.all(admins.map((admin) => hub.publish(admin.id, { kind: 'passkey.registered', conversation_id: '', summary: `${email} registered a new passkey "${name}"; if this was not them, remove their access and the passkey.` })));
    },
  });
  const deviceKeys = createDeviceKeyService({
    mirrorKey,
    deviceKeys: storage.deviceKeys,
    passkeys: storage.passkeys,
    atomically: storage.atomically,
    audit: storage.audit,
    relyingParty: () => service.relyingParty(),
    publicUrl: deps.publicUrl,
    // a confirmed device key is a new way to approve: every other active admin hears of it
    announce: async ({ userId, email, name }) => {
      const admins = (await storage.users.list()).filter((member) => member.role === 'admin' && member.id !== userId);
      await Promise.all(admins.map((admin) => hub.publish(admin.id, { kind: 'passkey.registered', conversation_id: '', summary: `${email} confirmed a new device key "${name}" for approving from the terminal; if this was not them, remove their access and the key.` })));
    },
  });
  const approvals: PasskeyApprovals = {
    verifyDeviceSignature: (user, record, signature) => deviceKeys.verifyApproval(user, record, signature),
    // where the cluster enforces approvals, its executor counts a policy's approvers (and recognises a role) by their passkeys too
    requirementOf: async (call) => (deps.enforcementMode === 'cluster' ? clusterConfirmedPeoplePasskey(call) : undefined) ?? policies.requirementOf(call),
    approvalPage: (conversationId, callId) => approvalPageUrl(deps.publicUrl(), conversationId, callId),
    verifyApproval: (user, record, webauthn) => service.verifyApproval(user, record, webauthn),
  };
  const routes: MountedRoutes<any>[] = [
    { plugin: deviceKeyRoutes, options: { deviceKeys } satisfies DeviceKeyRouteDeps },
    {
      plugin: passkeyRoutes,
      options: {
        passkeys: service,
        policies,
        approvals: storage.approvals,
        atomically: storage.atomically,
        clusters: deps.clusters,
        // the options are given only to someone who may decide the call (the decision's own facts and rules, as the queue asks)
        // issue 76 item 6: or, for a call a change freeze holds, may break the glass (an admin signs for that)
        mayDecide: async (user, record) => {
          const facts = await deps.decisionFacts()!.forCall({ actor: { id: user.id, email: user.email, role: user.role }, conversationId: record.conversationId, callId: record.callId });
          return decide(facts) === undefined || mayBreakGlass(facts);
        },
      } satisfies PasskeyRouteDeps,
    },
  ];
  return { policies, service, deviceKeys, approvals, routes };
}

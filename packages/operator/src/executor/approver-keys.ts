/**
 * The approver key registry the executor reads (issue 35 item 5): one SkyfloApproverKey object per registered passkey
 * or confirmed terminal device key (spec.kind device_key: an Ed25519 SPKI key, no counter) in the install's namespace,
 * created by the executor when the engine mirrors a registration (`POST /v1/approver-keys`) and deleted when the key is
 * removed. The spec (credential id, user, public key) is immutable (CRD rule); the status keeps the last passkey
 * signature counter the executor accepted, so a replayed assertion mints nothing.
 * A CR the executor owns rather than a ConfigMap: the executor gets no write on the install's config.
 */
import { createHash } from 'node:crypto';
import { approverKeySchema, canonicalJson, skyfloApprovalGroup, skyfloApprovalVersion, skyfloApproverKeyKind, skyfloApproverKeyPlural, type ApproverKey, type KubeObject } from '@skyflo/protocol';
import { isNotFound, KubeRequestError, type KubeRest } from '../kube/kube-rest.ts';
import { ExecutorError, managedByLabel, managedByValue } from './executor-options.ts';

export interface StoredApproverKey {
  key: ApproverKey;
  /** the last counter accepted (status.counter, else the registration's) */
  counter: number;
  /** the approval that last advanced the counter (a retried mint of the same approval is not a replay) */
  lastApproval?: string;
  resourceVersion?: string;
}

export interface ApproverKeyStore {
  get(credentialId: string): Promise<StoredApproverKey | undefined>;
  /** Creates the key, or confirms an identical one; IMMUTABLE when the credential id is registered with another key or user. */
  register(key: ApproverKey): Promise<{ created: boolean }>;
  remove(credentialId: string): Promise<boolean>;
  /**
   * Every key the executor would check a signature against (each SkyfloApproverKey in the namespace whose spec is a
   * key, whoever made it): what the engine's stray key sweep checks against its registry. A malformed object verifies nothing.
   */
  list(): Promise<ApproverKey[]>;
  /** Records the counter an approval used; false when someone else moved it in between (a concurrent replay). */
  advance(stored: StoredApproverKey, counter: number, approval: string): Promise<boolean>;
  /**
   * Issue 73: records that a signature by this key (its challenge, hex) was used, kept in the key's status until the
   * signature expires, so it survives restarts and replicas; false when it was used before (or by a concurrent mint).
   */
  consume(credentialId: string, challenge: string, expiresAt: string, approval: string, now: Date): Promise<boolean>;
}

export const approverKeyLabel = 'skyflo.ai/approver';
/** Kubernetes names are short and DNS-like; credential ids are neither, so the name is a hash of the id. */
export const approverKeyObjectName = (credentialId: string) => `approver-key-${createHash('sha256').update(credentialId).digest('hex').slice(0, 40)}`;

export function createApproverKeyStore(kube: KubeRest, namespace: string): ApproverKeyStore {
  const collection = `/apis/${skyfloApprovalGroup}/${skyfloApprovalVersion}/namespaces/${encodeURIComponent(namespace)}/${skyfloApproverKeyPlural}`;
  const objectPath = (credentialId: string) => `${collection}/${approverKeyObjectName(credentialId)}`;

  async function get(credentialId: string): Promise<StoredApproverKey | undefined> {
    let object: KubeObject;
    try {
      object = await kube.request<KubeObject>('GET', objectPath(credentialId));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const parsed = approverKeySchema.safeParse(object.spec);
    // Another credential id hashing to the same name, or a malformed object: not this key.
    if (!parsed.success || parsed.data.credentialId !== credentialId) return undefined;
    const status = (object.status ?? {}) as { counter?: unknown; lastApproval?: unknown };
    return {
      key: parsed.data,
      counter: typeof status.counter === 'number' ? status.counter : parsed.data.counter,
      ...(typeof status.lastApproval === 'string' ? { lastApproval: status.lastApproval } : {}),
      ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    };
  }

  return {
    get,
    async register(key) {
      try {
        await kube.request('POST', collection, {
          apiVersion: `${skyfloApprovalGroup}/${skyfloApprovalVersion}`,
          kind: skyfloApproverKeyKind,
          metadata: { name: approverKeyObjectName(key.credentialId), namespace, labels: { [managedByLabel]: managedByValue, [approverKeyLabel]: createHash('sha256').update(key.userId).digest('hex').slice(0, 40) } },
          spec: key,
        });
        return { created: true };
      } catch (error) {
        if (!(error instanceof KubeRequestError && error.status === 409)) throw error;
      }
      const existing = await get(key.credentialId);
      if (existing && canonicalJson({ ...existing.key, counter: 0 }) === canonicalJson({ ...key, counter: 0 })) return { created: false };
      throw new ExecutorError('IMMUTABLE', `passkey ${key.credentialId} is already registered with another public key or user; remove it first (DELETE /v1/approver-keys/${key.credentialId})`);
    },
    async remove(credentialId) {
      try {
        await kube.request('DELETE', objectPath(credentialId));
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    async list() {
      const listed = await kube.request<{ items?: KubeObject[] }>('GET', collection);
      return (listed.items ?? []).flatMap((object) => {
        const parsed = approverKeySchema.safeParse(object.spec);
        // stored under another credential id's name: get() would not find it, so it verifies nothing either
        return parsed.success && object.metadata.name === approverKeyObjectName(parsed.data.credentialId) ? [parsed.data] : [];
      });
    },
    async consume(credentialId, challenge, expiresAt, approval, now) {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const object = await kube.request<KubeObject>('GET', objectPath(credentialId));
        const status = (object.status ?? {}) as { usedSignatures?: Array<{ challenge?: unknown; expiresAt?: unknown }> } & Record<string, unknown>;
        const used = (status.usedSignatures ?? []).filter((entry) => typeof entry.challenge === 'string' && typeof entry.expiresAt === 'string' && Date.parse(entry.expiresAt) > now.getTime());
        if (used.some((entry) => entry.challenge === challenge)) return false;
        try {
          await kube.request('PUT', `${objectPath(credentialId)}/status`, { ...object, status: { ...status, usedSignatures: [...used, { challenge, expiresAt, approval }] } });
          return true;
        } catch (error) {
          // someone else wrote the key's status in between: read again (a concurrent use of the same signature then fails)
          if (!(error instanceof KubeRequestError && error.status === 409)) throw error;
        }
      }
      return false;
    },
    async advance(stored, counter, approval) {
      try {
        const object = await kube.request<KubeObject>('GET', objectPath(stored.key.credentialId));
        if (stored.resourceVersion && object.metadata.resourceVersion !== stored.resourceVersion) return false;
        await kube.request('PUT', `${objectPath(stored.key.credentialId)}/status`, { ...object, status: { ...((object.status ?? {}) as Record<string, unknown>), counter, lastApproval: approval } });
        return true;
      } catch (error) {
        if (error instanceof KubeRequestError && error.status === 409) return false;
        throw error;
      }
    },
  };
}

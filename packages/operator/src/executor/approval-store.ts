/**
 * SkyfloApproval objects in the install's namespace, through the executor's own identity. The cluster keeps them
 * (not the engine's database) so `kubectl get skyfloapprovals` shows every decision, and the CRD's transition rules
 * keep a decided one from changing; the executor re-reads the object before every credential it mints.
 */
import {
  approvedAccessSchema,
  canonicalJson,
  grantedAccessAnnotation,
  grantedAtAnnotation,
  type ApprovedAccess,
  skyfloApprovalDocumentSchema,
  skyfloApprovalGroup,
  skyfloApprovalKind,
  skyfloApprovalPlural,
  skyfloApprovalVersion,
  type KubeObject,
  type SkyfloApprovalDocument,
} from '@skyflo/protocol';
import { isNotFound, KubeRequestError, type KubeRest } from '../kube/kube-rest.ts';
import { credentialReleasedAnnotation, ExecutorError, managedByLabel, managedByValue } from './executor-options.ts';

export interface StoredApproval {
  object: KubeObject;
  /** the parsed name + spec + status; undefined when the object does not have that shape (then `problem` says why) */
  document?: SkyfloApprovalDocument;
  problem?: string;
  /** when this approval's credential was released (it is good for one call) */
  releasedAt?: string;
  /**
   * Issue 73: what the executor computed the call writes and granted, recorded when it minted (absent before; a
   * recorded value that does not parse is an empty grant: its account may write nothing)
   */
  grant?: ApprovedAccess[];
  grantedAt?: string;
}

export interface ApprovalStore {
  read(name: string): Promise<StoredApproval | undefined>;
  /** Creates the object and its status, or confirms an identical one; IMMUTABLE when one with other content exists. */
  mirror(document: SkyfloApprovalDocument): Promise<{ created: boolean }>;
  markReleased(name: string, at: Date): Promise<void>;
  /**
   * Records the grant the executor computed, once: ALREADY_MINTED when one is recorded (a second mint neither
   * succeeds nor touches the first), or when another mint recorded one in between (the object's resourceVersion).
   */
  recordGrant(stored: StoredApproval, access: ApprovedAccess[], at: Date): Promise<void>;
}

/** The grant annotation is part of an object; the API server caps all annotations at 256 KiB together. */
const maxGrantBytes = 200 * 1024;

export const approvalApiVersion = `${skyfloApprovalGroup}/${skyfloApprovalVersion}`;

export function createApprovalStore(kube: KubeRest, namespace: string): ApprovalStore {
  const collection = `/apis/${skyfloApprovalGroup}/${skyfloApprovalVersion}/namespaces/${encodeURIComponent(namespace)}/${skyfloApprovalPlural}`;
  const objectPath = (name: string) => `${collection}/${encodeURIComponent(name)}`;

  function grantOf(object: KubeObject): Pick<StoredApproval, 'grant' | 'grantedAt'> {
    const recorded = object.metadata.annotations?.[grantedAccessAnnotation];
    const grantedAt = object.metadata.annotations?.[grantedAtAnnotation];
    if (recorded === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(recorded);
    } catch {
      parsed = undefined;
    }
    const access = approvedAccessSchema.array().safeParse(parsed);
    return { grant: access.success ? access.data : [], ...(grantedAt ? { grantedAt } : {}) };
  }

  function parse(object: KubeObject): StoredApproval {
    const releasedAt = object.metadata.annotations?.[credentialReleasedAnnotation];
    const grant = grantOf(object);
    if (!object.status) return { object, problem: 'it has no status (no decision was recorded)', releasedAt, ...grant };
    const parsed = skyfloApprovalDocumentSchema.safeParse({ name: object.metadata.name, spec: object.spec, status: object.status });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { object, problem: `${issue?.path.join('.') || 'object'}: ${issue?.message ?? 'invalid'}`, releasedAt, ...grant };
    }
    return { object, document: parsed.data, releasedAt, ...grant };
  }

  async function read(name: string): Promise<StoredApproval | undefined> {
    try {
      return parse(await kube.request<KubeObject>('GET', objectPath(name)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async function writeStatus(object: KubeObject, document: SkyfloApprovalDocument): Promise<void> {
    try {
      await kube.request('PUT', `${objectPath(document.name)}/status`, { ...object, status: document.status });
    } catch (error) {
      // The CRD's rules refuse changing a decided status (someone else decided in between).
      if (error instanceof KubeRequestError && (error.status === 422 || error.status === 409)) {
        throw new ExecutorError('IMMUTABLE', `SkyfloApproval "${document.name}" already has another decision; a decided approval cannot change (${error.message})`);
      }
      throw error;
    }
  }

  return {
    read,
    async mirror(document) {
      const existing = await read(document.name);
      if (!existing) {
        let created: KubeObject;
        try {
          created = await kube.request<KubeObject>('POST', collection, {
            apiVersion: approvalApiVersion,
            kind: skyfloApprovalKind,
            metadata: { name: document.name, namespace, labels: { [managedByLabel]: managedByValue } },
            spec: document.spec,
          });
        } catch (error) {
          if (error instanceof KubeRequestError && error.status === 409) return this.mirror(document); // created in between: compare
          throw error;
        }
        await writeStatus(created, document);
        return { created: true };
      }
      const sameSpec = canonicalJson(existing.object.spec) === canonicalJson(document.spec);
      if (!existing.object.status && sameSpec) {
        // A crash between the create and the status write: finish it.
        await writeStatus(existing.object, document);
        return { created: false };
      }
      if (existing.document && canonicalJson(existing.document) === canonicalJson(document)) return { created: false };
      throw new ExecutorError(
        'IMMUTABLE',
        `SkyfloApproval "${document.name}" already exists in namespace ${namespace} with ${sameSpec ? 'another status (decision)' : 'another spec'}; a decided approval cannot change`,
      );
    },
    async recordGrant(stored, access, at) {
      const name = stored.object.metadata.name!;
      if (stored.grant !== undefined) {
        throw new ExecutorError('ALREADY_MINTED', `SkyfloApproval "${name}" already had its credential minted (at ${stored.grantedAt ?? 'an earlier request'}); one approval mints once — ask for the change again`);
      }
      const recorded = JSON.stringify(access);
      if (Buffer.byteLength(recorded) > maxGrantBytes) {
        throw new ExecutorError('UNSUPPORTED', `what SkyfloApproval "${name}" writes is too large to record on it (${Buffer.byteLength(recorded)} bytes of grant); split the change into smaller calls`);
      }
      try {
        await kube.request(
          'PATCH',
          objectPath(name),
          { metadata: { resourceVersion: stored.object.metadata.resourceVersion, annotations: { [grantedAccessAnnotation]: recorded, [grantedAtAnnotation]: at.toISOString() } } },
          'application/merge-patch+json',
        );
      } catch (error) {
        if (error instanceof KubeRequestError && error.status === 409) {
          throw new ExecutorError('ALREADY_MINTED', `SkyfloApproval "${name}" changed while its credential was being minted (another mint of it?); one approval mints once — ask for the change again`);
        }
        throw error;
      }
    },
    async markReleased(name, at) {
      try {
        await kube.request('PATCH', objectPath(name), { metadata: { annotations: { [credentialReleasedAnnotation]: at.toISOString() } } }, 'application/merge-patch+json');
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

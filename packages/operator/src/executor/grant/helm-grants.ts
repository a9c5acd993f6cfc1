/**
 * What a Helm call writes (issue 73 items 1 and 5), from the content it is given and bound by the approval: the full
 * rendered manifest (hooks included) whose digest, with the preview text, is the approval's signed diffHash — the
 * approver's passkey covers it. Every object of that manifest is granted with the content the executor's own dry-run
 * gives it (a create; or, for an object the release already has, the manifest merged over it, as helm's patch does),
 * every object the release drops is granted delete only if the release owns it (helm's meta.helm.sh annotations), and
 * the release's storage Secrets are this release's only, the new revision held by the webhook to carry exactly the
 * approved manifest. An uninstall deletes only objects the release owns.
 */
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { type ApprovalCredentialRequest, type ApprovedAccess, type ResourceInfo } from '@skyflo/protocol';
import { manifestDigestOf, previewHash } from '@skyflo/protocol/approval-hashes';
import { ExecutorError } from '../executor-options.ts';
import { manifestFingerprint } from '../helm-release-record.ts';
import { redactedValue } from '../helm/redact-secrets.ts';
import { accessEntry, argumentsOf, asExecutor, type ComputedGrant, type GrantContext, type GrantRead } from './grant-entry.ts';

type HelmContent = NonNullable<ApprovalCredentialRequest['helm']>;
type ManifestObject = Record<string, any> & { apiVersion: string; kind: string; metadata: Record<string, any> & { name: string } };

const releaseArguments = z.object({ release_name: z.string().min(1).max(53), namespace: z.string().min(1).max(63).optional() });
const secrets = { group: '', resource: 'secrets' };
const namespaces = { group: '', resource: 'namespaces' };
export const helmReleaseSecretName = (release: string, revision: number) => `sh.helm.release.v1.${release}.v${revision}`;

export function manifestObjects(manifest: string): ManifestObject[] {
  return parseAllDocuments(manifest)
    .filter((document) => document.errors.length === 0)
    .map((document) => document.toJSON() as unknown)
    .flatMap((value) => (isRecord(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items']) ? value['items'] : [value]))
    .filter((value): value is ManifestObject => isRecord(value) && typeof value['kind'] === 'string' && typeof value['apiVersion'] === 'string' && typeof value['metadata']?.['name'] === 'string');
}

const isRecord = (value: unknown): value is Record<string, any> => !!value && typeof value === 'object' && !Array.isArray(value);

/** The labels and annotations helm sets on every object it creates or updates (its setMetadataVisitor). */
function withHelmOwnership(object: ManifestObject, release: string, namespace: string): ManifestObject {
  const metadata = { ...object.metadata };
  metadata['labels'] = { ...(metadata['labels'] ?? {}), 'app.kubernetes.io/managed-by': 'Helm' };
  metadata['annotations'] = { ...(metadata['annotations'] ?? {}), 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace };
  return { ...object, metadata };
}

/** A merge patch turning `previous` into `next`: next's fields, and null for each key `previous` had and `next` drops. */
function mergePatch(previous: unknown, next: Record<string, any>): Record<string, any> {
  const patch: Record<string, any> = {};
  for (const [key, value] of Object.entries(next)) patch[key] = isRecord(value) && isRecord(isRecord(previous) ? previous[key] : undefined) ? mergePatch((previous as Record<string, any>)[key], value) : value;
  if (isRecord(previous)) for (const key of Object.keys(previous)) if (!(key in next)) patch[key] = null;
  return patch;
}

const ownedBy = (object: Record<string, any> | undefined, release: string, namespace: string) =>
  object?.['metadata']?.['annotations']?.['meta.helm.sh/release-name'] === release && object?.['metadata']?.['annotations']?.['meta.helm.sh/release-namespace'] === namespace;

async function placed(context: GrantContext, object: ManifestObject, releaseNamespace: string): Promise<{ info: ResourceInfo; namespace: string | undefined; path: string }> {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0]! : '';
  const info = await context.kube.resolve(group ? `${object.kind}.${group}` : object.kind);
  const namespace = info.namespaced ? String(object.metadata['namespace'] ?? releaseNamespace) : undefined;
  return { info, namespace, path: context.kube.path(info, { namespace, name: object.metadata.name }) };
}

const keyOf = (object: ManifestObject, namespace: string | undefined) => `${object.apiVersion}/${object.kind}/${namespace ?? ''}/${object.metadata.name}`;

/** The objects an uninstall, or an upgrade that drops them, deletes: only those the release owns. */
async function deletions(context: GrantContext, objects: ManifestObject[], skip: Set<string>, release: string, namespace: string): Promise<ApprovedAccess[]> {
  const access: ApprovedAccess[] = [];
  for (const object of objects) {
    const where = await placed(context, object, namespace);
    if (skip.has(keyOf(object, where.namespace))) continue;
    const live = await asExecutor(`read ${object.kind} ${object.metadata.name}`, () => context.kube.get(where.path));
    if (!live) continue;
    if (!ownedBy(live as Record<string, any>, release, namespace)) {
      throw new ExecutorError('NOT_APPROVED', `${object.kind} ${where.namespace ? `${where.namespace}/` : ''}${object.metadata.name} is not owned by release ${namespace}/${release} (no meta.helm.sh annotations naming it), so the executor does not grant its deletion`);
    }
    access.push(accessEntry(where.info, { namespace: where.namespace, name: object.metadata.name, verbs: ['delete'] }));
  }
  return access;
}

function storageAccess(release: string, namespace: string, storage: HelmContent['storage'], manifestDigest: string | undefined): ApprovedAccess[] {
  const revisions = [...(storage.create ? [storage.create] : []), ...storage.update, ...storage.delete];
  if (storage.create && revisions.some((revision) => revision > storage.create!)) throw new ExecutorError('INVALID', `the Helm storage plan creates revision ${storage.create} but names a later one`);
  return [
    ...(storage.create ? [accessEntry(secrets, { namespace, name: helmReleaseSecretName(release, storage.create), verbs: ['create', 'update', 'patch'], helmRelease: { release, ...(manifestDigest ? { manifestDigest } : {}) } })] : []),
    ...storage.update.map((revision) => accessEntry(secrets, { namespace, name: helmReleaseSecretName(release, revision), verbs: ['update', 'patch'], helmRelease: { release } })),
    ...storage.delete.map((revision) => accessEntry(secrets, { namespace, name: helmReleaseSecretName(release, revision), verbs: ['delete'] })),
  ];
}

/**
 * The manifest the approval binds, and the live release and storage plan to compute from: the one the engine sends when
 * its digest and the preview text hash to the signed diffHash (a cluster whose MCP server rendered the preview itself);
 * else the executor's own render of that digest (POST /v1/helm/render, issue 73 item 6: the MCP server only ever saw it
 * with Secret values redacted, so the engine has no full manifest to send) — then its live manifest and storage plan
 * too, never the request's.
 */
function contentOf(context: GrantContext, helm: HelmContent | undefined, diffHash: string | undefined, release: { release: string; namespace: string }): HelmContent & { manifest: string; digest: string } {
  if (!helm) throw new ExecutorError('INVALID', `a ${context.tool} call needs the approved preview's text (and its rendered manifest, unless this executor rendered it); none was sent`);
  if (helm.manifest) {
    const digest = manifestDigestOf(helm.manifest);
    if (diffHash && previewHash(helm.previewText, digest) === diffHash) return { ...helm, manifest: helm.manifest, digest };
  }
  const own = diffHash ? context.helmRenders?.approved({ ...release, previewText: helm.previewText, diffHash }) : undefined;
  if (own) return { ...helm, manifest: own.manifest, liveManifest: own.liveManifest, storage: own.storage, digest: own.digest };
  if (helm.manifest && !helm.manifest.includes(redactedValue)) {
    throw new ExecutorError('NOT_APPROVED', `the manifest sent for this ${context.tool} call is not the one the approved preview rendered (its digest and the preview text do not hash to the approval's diffHash); nothing is minted`);
  }
  throw new ExecutorError('NOT_APPROVED', `preview again: the executor did not render the manifest this ${context.tool} call's approval binds, or it restarted since (its renders are kept in memory for 2 hours); nothing is minted`);
}

/**
 * What `helm --wait` reads to tell when the release is ready (helm's ReadyChecker): the release namespace's workloads,
 * their ReplicaSets and pods, services and claims — reads only, never Secrets beyond the release's own storage.
 */
const waitReads = (namespace: string): GrantRead[] => [
  { apiGroup: '', resources: ['pods', 'services', 'persistentvolumeclaims', 'replicationcontrollers'], namespace, verbs: ['get', 'list', 'watch'] },
  { apiGroup: 'apps', resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], namespace, verbs: ['get', 'list', 'watch'] },
  { apiGroup: 'batch', resources: ['jobs'], namespace, verbs: ['get', 'list', 'watch'] },
];

/** helm install / upgrade / rollback: the approved manifest's objects, what it drops, and the release's storage. */
async function release(args: Record<string, unknown>, context: GrantContext & { helm?: HelmContent; diffHash?: string }): Promise<ComputedGrant> {
  const call = argumentsOf(releaseArguments.passthrough(), args, context.tool);
  const namespace = call.namespace ?? 'default';
  const content = contentOf(context, context.helm, context.diffHash, { release: call.release_name, namespace });
  const access: ApprovedAccess[] = [];
  const namespaceExists = (await asExecutor(`read namespace ${namespace}`, () => context.kube.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`))) !== undefined;
  if (!namespaceExists) access.push(accessEntry(namespaces, { name: namespace, verbs: ['create'] }));
  const previous = new Map(manifestObjects(content.liveManifest).map((object) => [`${object.apiVersion}/${object.kind}/${String(object.metadata['namespace'] ?? '')}/${object.metadata.name}`, object]));
  const written = new Set<string>();
  for (const object of manifestObjects(content.manifest)) {
    const where = await placed(context, object, namespace);
    written.add(keyOf(object, where.namespace));
    const body = withHelmOwnership({ ...object, metadata: { ...object.metadata, ...(where.namespace ? { namespace: where.namespace } : {}) } }, call.release_name, namespace);
    const hook = typeof object.metadata['annotations']?.['helm.sh/hook'] === 'string';
    const live = namespaceExists ? await asExecutor(`read ${object.kind} ${object.metadata.name}`, () => context.kube.get(where.path)) : undefined;
    if (live && !hook) {
      if (!ownedBy(live as Record<string, any>, call.release_name, namespace)) {
        throw new ExecutorError('NOT_APPROVED', `${object.kind} ${where.namespace ? `${where.namespace}/` : ''}${object.metadata.name} exists and is not owned by release ${namespace}/${call.release_name}; helm would refuse it too`);
      }
      const old = previous.get(`${object.apiVersion}/${object.kind}/${String(object.metadata['namespace'] ?? '')}/${object.metadata.name}`);
      const merged = await asExecutor(`dry-run the update of ${object.kind} ${object.metadata.name}`, () =>
        context.kube.dryRun('PATCH', where.path, mergePatch(old ? withHelmOwnership(old, call.release_name, namespace) : undefined, body), { contentType: 'application/merge-patch+json', query: { fieldManager: 'helm' } }),
      );
      access.push(accessEntry(where.info, { namespace: where.namespace, name: object.metadata.name, verbs: ['patch', 'update'], object: merged as Record<string, unknown> }));
      continue;
    }
    // a new object (or a hook, which helm deletes and creates again): the dry-run of its create is its content; no
    // dry-run is possible in a namespace that does not exist yet, so there it is bound by name and verb only
    const created = namespaceExists
      ? await asExecutor(`dry-run the creation of ${object.kind} ${object.metadata.name}`, () =>
          context.kube.dryRun('POST', context.kube.path(where.info, { namespace: where.namespace }), body, { query: { fieldManager: 'helm' } }),
        )
      : undefined;
    access.push(accessEntry(where.info, { namespace: where.namespace, name: object.metadata.name, verbs: hook ? ['create', 'delete'] : ['create'], ...(created ? { object: created as Record<string, unknown> } : {}) }));
  }
  access.push(...(await deletions(context, manifestObjects(content.liveManifest), written, call.release_name, namespace)));
  // the new revision's record must carry the approved manifest: compared by its objects (helm-release-record.ts)
  access.push(...storageAccess(call.release_name, namespace, content.storage, manifestFingerprint(content.manifest)));
  return { access, reads: waitReads(namespace) };
}

/** helm uninstall: every object of the live release the release owns, and its storage. */
async function uninstall(args: Record<string, unknown>, context: GrantContext & { helm?: HelmContent }): Promise<ApprovedAccess[]> {
  const call = argumentsOf(releaseArguments.passthrough(), args, context.tool);
  const namespace = call.namespace ?? 'default';
  if (!context.helm) throw new ExecutorError('INVALID', 'a helm_uninstall call needs the release\'s live manifest and storage; none was sent');
  return [...(await deletions(context, manifestObjects(context.helm.liveManifest), new Set(), call.release_name, namespace)), ...storageAccess(call.release_name, namespace, { ...context.helm.storage, create: undefined }, undefined)];
}

export const helmGrants = { helm_install: release, helm_install_with_values: release, helm_upgrade: release, helm_rollback: release, helm_uninstall: uninstall };

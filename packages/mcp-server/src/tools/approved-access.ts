/**
 * Issue 34: what a write tool's preview reports as `access` — every object the call would write, how (RBAC verbs) and,
 * where a server-side dry-run computes the resulting object, `contentHash`: sha256 hex of
 * canonicalJson(normaliseForAdmission(the dry-run object)). Shown to people: since issue 73 the cluster's executor
 * computes what it grants itself from the call's exact arguments, and never reads this (the same entry function on
 * both sides, @skyflo/protocol/approval-hashes).
 *
 * Written once here; the mutations (tools/kubectl/mutations.ts) and helm_upgrade_diff call it.
 */
import { parseAllDocuments } from 'yaml';
import type { ApprovedAccess } from '@skyflo/protocol';
import { resourcePath, type ResourceInfo } from '../kube/create-discovery.ts';
import { clients, resolveResource } from './kubectl/kubectl-common.ts';
import type { ToolDeps } from '../deps/deps.ts';
import { KubeApiError } from '../kube/kube-api-error.ts';
import { dryRunProxyFor } from '../kube/dry-run-proxy.ts';
import type { HelmStorageWrites } from './helm/helm-storage-writes.ts';

export { accessEntry, admissionContentHash } from '@skyflo/protocol/approval-hashes';
import { accessEntry } from '@skyflo/protocol/approval-hashes';

const helmManagedBy = { label: 'app.kubernetes.io/managed-by', value: 'Helm' } as const;

/** The metadata helm sets on every object it creates or updates (helm's setMetadataVisitor), so the dry-run object is the written one. */
function withHelmOwnership(object: Record<string, any>, release: string, namespace: string): Record<string, any> {
  const metadata = { ...(object['metadata'] ?? {}) };
  metadata['labels'] = { ...(metadata['labels'] ?? {}), [helmManagedBy.label]: helmManagedBy.value };
  metadata['annotations'] = { ...(metadata['annotations'] ?? {}), 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': namespace };
  return { ...object, metadata };
}

const isRecord = (value: unknown): value is Record<string, any> => !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * The access of a Helm install/upgrade/rollback: each object of the manifest helm would write (create for a new
 * object, with the content a server-side dry-run of that create gives; patch/update for an existing one — helm's
 * three-way merge is not reproduced here, so those carry no contentHash), delete for each object the live release has
 * and the new manifest drops, and the release's storage Secrets (`sh.helm.release.v1.<release>.v<revision>`) helm
 * creates, updates and prunes (`storage`, from the release's history).
 * An object whose kind the cluster does not serve is left out: the call fails on it before writing it anyway.
 */
export async function helmReleaseAccess(
  deps: ToolDeps,
  options: { release: string; namespace: string; proposed: string; live: string; storage: HelmStorageWrites; signal?: AbortSignal },
): Promise<ApprovedAccess[]> {
  const access: ApprovedAccess[] = [];
  const objectsOf = (manifest: string): Record<string, any>[] =>
    parseAllDocuments(manifest)
      .filter((document) => document.errors.length === 0)
      .map((document) => document.toJSON() as unknown)
      .flatMap((value) => (isRecord(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items']) ? value['items'] : [value]))
      .filter((value): value is Record<string, any> => isRecord(value) && typeof value['kind'] === 'string' && typeof value['apiVersion'] === 'string' && typeof value['metadata']?.['name'] === 'string');
  const keyOf = (object: Record<string, any>, namespace: string | undefined) => `${object['apiVersion']}/${object['kind']}/${namespace ?? ''}/${object['metadata']['name']}`;
  const place = async (object: Record<string, any>) => {
    const apiVersion = String(object['apiVersion']);
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
    const info = await resolveResource(deps, group ? `${object['kind']}.${group}` : String(object['kind'])).catch(() => undefined);
    if (!info || info.group !== group) return undefined;
    const namespace = info.namespaced ? String(object['metadata']['namespace'] ?? options.namespace) : undefined;
    return { info, namespace, name: String(object['metadata']['name']) };
  };
  const written = new Set<string>();
  // a release into a namespace that does not exist yet creates it (create_namespace); the objects in it then have no
  // dry-run (the API server refuses one in a missing namespace), so they are bound by name and verb only
  const namespaces = { group: '', resource: 'namespaces' };
  const namespaceExists = await clients(deps)
    .http.json({ path: `/api/v1/namespaces/${encodeURIComponent(options.namespace)}`, signal: options.signal })
    .then(() => true)
    .catch((error: unknown) => (error instanceof KubeApiError && error.status === 404 ? false : Promise.reject(error)));
  if (!namespaceExists) access.push(accessEntry(namespaces, { name: options.namespace, verbs: ['create'] }));
  for (const object of objectsOf(options.proposed)) {
    const placed = await place(object);
    if (!placed) continue;
    written.add(keyOf(object, placed.namespace));
    const path = resourcePath(placed.info, { namespace: placed.namespace, name: placed.name });
    // undefined: this identity may not read it (a Secret on a cluster that enforces approvals, whose executor computes
    // the grant itself; not even tried there): shown as written either way
    const unreadable = placed.info.group === '' && placed.info.resource === 'secrets' && dryRunProxyFor(deps.kubeConfig) !== undefined;
    const exists = unreadable
      ? undefined
      : await clients(deps)
          .http.json({ path, signal: options.signal })
          .then(() => true)
          .catch((error: unknown) => (error instanceof KubeApiError && error.status === 404 ? false : error instanceof KubeApiError && error.status === 403 ? undefined : Promise.reject(error)));
    if (exists === undefined) {
      access.push(accessEntry(placed.info, { namespace: placed.namespace, name: placed.name, verbs: ['create', 'patch', 'update'] }));
      continue;
    }
    if (exists) {
      access.push(accessEntry(placed.info, { namespace: placed.namespace, name: placed.name, verbs: ['patch', 'update'] }));
      continue;
    }
    const body = withHelmOwnership({ ...object, metadata: { ...object['metadata'], ...(placed.namespace ? { namespace: placed.namespace } : {}) } }, options.release, options.namespace);
    const collection = resourcePath(placed.info, { namespace: placed.namespace });
    const dryRun = await clients(deps)
      .http.json<Record<string, unknown>>({ method: 'POST', path: collection, query: { dryRun: 'All', fieldManager: 'helm' }, body, signal: options.signal })
      .catch(() => undefined);
    access.push(accessEntry(placed.info, { namespace: placed.namespace, name: placed.name, verbs: ['create'], ...(dryRun ? { object: dryRun } : {}) }));
  }
  for (const object of objectsOf(options.live)) {
    const placed = await place(object);
    if (!placed || written.has(keyOf(object, placed.namespace))) continue;
    access.push(accessEntry(placed.info, { namespace: placed.namespace, name: placed.name, verbs: ['delete'] }));
  }
  // helm's own bookkeeping, revision by revision (helm/helm-storage-writes.ts): the new one, those it supersedes, those
  // --history-max prunes; no other release's and no other revision's
  const secrets = { group: '', resource: 'secrets' };
  const storage = (revision: number) => `sh.helm.release.v1.${options.release}.v${revision}`;
  access.push(accessEntry(secrets, { namespace: options.namespace, name: storage(options.storage.create), verbs: ['create', 'update', 'patch'] }));
  for (const revision of options.storage.update) access.push(accessEntry(secrets, { namespace: options.namespace, name: storage(revision), verbs: ['update', 'patch'] }));
  for (const revision of options.storage.delete) access.push(accessEntry(secrets, { namespace: options.namespace, name: storage(revision), verbs: ['delete'] }));
  return access;
}

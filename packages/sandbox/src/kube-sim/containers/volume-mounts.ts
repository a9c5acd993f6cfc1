import type { KubeObject } from '../cluster-types.ts';
import { fieldRefValue, resourceFieldValue, type ConfigLookup } from './container-environment.ts';
import { absolutePath, computedSource, subTreeSource, type Mount, type VolumeSource } from './container-filesystem.ts';
import { createFileTree, normalizeRelative, type FileNode, type FileTree } from './file-tree.ts';

/**
 * Where volume data lives between pods: PersistentVolume data by claim (or bound PV), hostPath data by
 * node. emptyDirs live in the pod sandbox and go with the pod.
 */
export interface VolumeData {
  /** the data of a claim: keyed by the bound PV (`spec.volumeName`) when set, else namespace/claim */
  claim(claim: KubeObject): FileTree;
  hostPath(node: string, path: string): FileTree;
  /** drops a claim's or a volume's data (PVC or PV deleted) */
  forget(key: string): void;
  keys(): string[];
}

export function claimKey(claim: KubeObject): string {
  return claim.spec?.volumeName ? `pv/${claim.spec.volumeName}` : `pvc/${claim.metadata.namespace}/${claim.metadata.name}`;
}

export function createVolumeData(): VolumeData {
  const trees = new Map<string, FileTree>();
  return {
    claim(claim) {
      const key = claimKey(claim);
      let tree = trees.get(key);
      if (!tree) {
        // Written before the claim was bound: the data follows the claim onto its volume.
        const unbound = `pvc/${claim.metadata.namespace}/${claim.metadata.name}`;
        tree = (key !== unbound && trees.get(unbound)) || createFileTree();
        trees.delete(unbound);
        trees.set(key, tree);
      }
      return tree;
    },
    hostPath(node, path) {
      const key = `host/${node}${absolutePath(path)}`;
      let tree = trees.get(key);
      if (!tree) trees.set(key, (tree = createFileTree()));
      return tree;
    },
    forget(key) {
      trees.delete(key);
    },
    keys: () => [...trees.keys()],
  };
}

/** Why a volume cannot be set up, as the kubelet's FailedMount event says it. */
export class MountError extends Error {
  constructor(
    public readonly volume: string,
    message: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
  }
}

type ProjectedFiles = Record<string, { content: string; mode: number }>;

function decode(value: string): string {
  return Buffer.from(value, 'base64').toString();
}

/** Files of a ConfigMap or Secret volume (or projection), honouring `items`, `defaultMode` and `optional`. */
function keyFiles(kind: 'configmap' | 'secret', object: KubeObject | undefined, source: any, volume: string, defaultMode: number): ProjectedFiles {
  const name = kind === 'configmap' ? source.name : source.secretName ?? source.name;
  if (!object) {
    if (source.optional) return {};
    throw new MountError(volume, `${kind} "${name}" not found`);
  }
  const values: Record<string, string> =
    kind === 'configmap'
      ? { ...(object.data ?? {}), ...Object.fromEntries(Object.entries<string>(object.binaryData ?? {}).map(([key, value]) => [key, decode(value)])) }
      : Object.fromEntries(Object.entries<string>(object.data ?? {}).map(([key, value]) => [key, decode(value)]));
  const mode = source.defaultMode ?? defaultMode;
  const files: ProjectedFiles = {};
  if (source.items?.length) {
    for (const item of source.items) {
      if (!(item.key in values)) {
        if (source.optional) continue;
        throw new MountError(volume, `${kind} references non-existent ${kind === 'configmap' ? 'config' : 'secret'} key: ${item.key}`);
      }
      files[normalizeRelative(item.path)] = { content: values[item.key], mode: item.mode ?? mode };
    }
  } else {
    for (const [key, value] of Object.entries(values)) files[key] = { content: value, mode };
  }
  return files;
}

function downwardFiles(pod: KubeObject, source: any, podIp: { podIP?: string; hostIP?: string }, lookup: ConfigLookup): ProjectedFiles {
  const files: ProjectedFiles = {};
  const mode = source.defaultMode ?? 0o644;
  for (const item of source.items ?? []) {
    let content = '';
    if (item.fieldRef) content = fieldRefValue(pod, item.fieldRef.fieldPath, podIp) ?? '';
    else if (item.resourceFieldRef) content = resourceFieldValue(pod, (pod.spec?.containers ?? [])[0], item.resourceFieldRef, lookup.node(pod.spec?.nodeName ?? ''));
    files[normalizeRelative(item.path)] = { content, mode: item.mode ?? mode };
  }
  return files;
}

/** A mount of a single file: a volumeMount's subPath naming one key of a ConfigMap or Secret. */
function singleFile(node: FileNode): VolumeSource {
  return { get: (path) => (normalizeRelative(path) === '' ? node : undefined), list: () => undefined };
}

export interface MountContext {
  pod: KubeObject;
  lookup: ConfigLookup;
  /** the pod's PersistentVolumeClaims by name (reads the store) */
  claim(namespace: string, name: string): KubeObject | undefined;
  volumes: VolumeData;
  /** the pod sandbox's emptyDir trees, by volume name */
  emptyDir(name: string): FileTree;
  podIP?: string;
  hostIP?: string;
}

/**
 * The mounts of one container, checked like the kubelet's volume manager does before it starts the
 * container: a missing ConfigMap, Secret, key or claim throws MountError (the pod stays ContainerCreating).
 */
export function buildMounts(context: MountContext, container: any): Mount[] {
  const { pod, lookup } = context;
  const namespace = pod.metadata.namespace ?? 'default';
  const volumes: any[] = pod.spec?.volumes ?? [];
  const sources = new Map<string, { source: () => VolumeSource; readOnly: boolean; files?: () => ProjectedFiles }>();
  for (const volume of volumes) {
    const name = volume.name;
    if (volume.configMap) {
      const files = () => keyFiles('configmap', lookup.configMap(namespace, volume.configMap.name), volume.configMap, name, 0o644);
      files();
      sources.set(name, { source: () => computedSource(files), readOnly: true, files });
    } else if (volume.secret) {
      const files = () => keyFiles('secret', lookup.secret(namespace, volume.secret.secretName), volume.secret, name, 0o644);
      files();
      sources.set(name, { source: () => computedSource(files), readOnly: true, files });
    } else if (volume.downwardAPI) {
      const files = () => downwardFiles(pod, volume.downwardAPI, context, lookup);
      sources.set(name, { source: () => computedSource(files), readOnly: true, files });
    } else if (volume.projected) {
      const files = () => {
        const all: ProjectedFiles = {};
        const mode = volume.projected.defaultMode ?? 0o644;
        for (const projection of volume.projected.sources ?? []) {
          if (projection.configMap) Object.assign(all, keyFiles('configmap', lookup.configMap(namespace, projection.configMap.name), { ...projection.configMap, defaultMode: mode }, name, mode));
          if (projection.secret) Object.assign(all, keyFiles('secret', lookup.secret(namespace, projection.secret.name), { ...projection.secret, defaultMode: mode }, name, mode));
          if (projection.downwardAPI) Object.assign(all, downwardFiles(pod, { ...projection.downwardAPI, defaultMode: mode }, context, lookup));
          if (projection.serviceAccountToken) all[normalizeRelative(projection.serviceAccountToken.path ?? 'token')] = { content: `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: `system:serviceaccount:${namespace}:${pod.spec?.serviceAccountName ?? 'default'}` })).toString('base64url')}.c2lt`, mode };
        }
        return all;
      };
      files();
      sources.set(name, { source: () => computedSource(files), readOnly: true, files });
    } else if (volume.emptyDir) {
      sources.set(name, { source: () => ({ get: context.emptyDir(name).get, list: context.emptyDir(name).list, tree: context.emptyDir(name) }), readOnly: false });
    } else if (volume.persistentVolumeClaim) {
      const claim = context.claim(namespace, volume.persistentVolumeClaim.claimName);
      if (!claim) throw new MountError(name, `persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" not found`);
      const tree = context.volumes.claim(claim);
      sources.set(name, { source: () => ({ get: tree.get, list: tree.list, tree }), readOnly: Boolean(volume.persistentVolumeClaim.readOnly) });
    } else if (volume.hostPath) {
      const tree = context.volumes.hostPath(pod.spec?.nodeName ?? '', volume.hostPath.path);
      sources.set(name, { source: () => ({ get: tree.get, list: tree.list, tree }), readOnly: false });
    } else {
      // nfs, csi, iscsi…: storage kube-sim does not model; an empty directory the pod can write to.
      const tree = context.emptyDir(name);
      sources.set(name, { source: () => ({ get: tree.get, list: tree.list, tree }), readOnly: false });
    }
  }
  const mounts: Mount[] = [];
  for (const volumeMount of container.volumeMounts ?? []) {
    const entry = sources.get(volumeMount.name);
    if (!entry) continue;
    const mountPath = absolutePath(volumeMount.mountPath);
    const readOnly = entry.readOnly || Boolean(volumeMount.readOnly);
    const subPath = volumeMount.subPath ?? (volumeMount.subPathExpr ? volumeMount.subPathExpr.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_match: string, variable: string) => (container.env ?? []).find((item: any) => item.name === variable)?.value ?? '') : undefined);
    if (subPath && entry.files) {
      // A subPath of a ConfigMap/Secret is copied when the container starts: later edits do not show.
      const files = entry.files();
      const key = normalizeRelative(subPath);
      if (files[key]) {
        mounts.push({ name: volumeMount.name, mountPath, readOnly, source: singleFile({ type: 'file', content: files[key].content, mode: files[key].mode, modified: new Date() }) });
        continue;
      }
      const nested = Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith(`${key}/`)).map(([path, file]) => [path.slice(key.length + 1), file]));
      mounts.push({ name: volumeMount.name, mountPath, readOnly, source: computedSource(() => nested) });
      continue;
    }
    const source = entry.source();
    if (subPath && source.tree) {
      mounts.push({ name: volumeMount.name, mountPath, readOnly, source: subTreeSource(source.tree, subPath) });
      continue;
    }
    mounts.push({ name: volumeMount.name, mountPath, readOnly, source });
  }
  return mounts;
}

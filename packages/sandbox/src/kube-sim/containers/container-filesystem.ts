import { createFileTree, normalizeRelative, type FileNode, type FileTree } from './file-tree.ts';

/** What a mount reads from and writes to; paths are relative to the mount point. */
export interface VolumeSource {
  get(path: string): FileNode | undefined;
  list(path: string): string[] | undefined;
  /** absent on read-only sources (ConfigMap, Secret, downward API) */
  tree?: FileTree;
}

export interface Mount {
  /** volume name, for messages */
  name: string;
  /** absolute, normalized: /etc/config */
  mountPath: string;
  readOnly: boolean;
  source: VolumeSource;
}

export type FsError = 'ENOENT' | 'EISDIR' | 'ENOTDIR' | 'EROFS' | 'EEXIST' | 'ENOTEMPTY';

/** The errno texts busybox and coreutils print. */
export const fsErrorText: Record<FsError, string> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ENOTEMPTY: 'Directory not empty',
};

/**
 * A container's view of files: the image's files, what the kubelet generates (/etc/hosts, the service
 * account), a writable layer that a restart throws away, and volume mounts on top (longest mount path wins).
 */
export interface ContainerFilesystem {
  stat(path: string): FileNode | undefined;
  read(path: string): { content: string } | { error: FsError };
  list(path: string): { names: string[] } | { error: FsError };
  write(path: string, content: string, options?: { append?: boolean; mode?: number }): FsError | undefined;
  mkdir(path: string, options?: { parents?: boolean }): FsError | undefined;
  remove(path: string, options?: { recursive?: boolean }): FsError | undefined;
  mounts(): readonly Mount[];
}

export function absolutePath(path: string, cwd = '/'): string {
  const joined = path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`;
  return `/${normalizeRelative(joined)}`;
}

/** A read-only source over a map of relative path → file, computed when read (so ConfigMap edits show). */
export function computedSource(files: () => Record<string, { content: string; mode: number }>): VolumeSource {
  const build = () => {
    const tree = createFileTree();
    for (const [path, file] of Object.entries(files())) tree.write(path, file.content, { mode: file.mode, now: new Date(0) });
    return tree;
  };
  return { get: (path) => build().get(path), list: (path) => build().list(path) };
}

/** A writable source rooted at `subPath` of a tree (a volumeMount's subPath into an emptyDir or a claim). */
export function subTreeSource(tree: FileTree, subPath: string): VolumeSource {
  const root = normalizeRelative(subPath);
  if (!root) return { get: tree.get, list: tree.list, tree };
  const join = (path: string) => normalizeRelative(`${root}/${path}`);
  if (!tree.get(root)) tree.mkdir(root, { parents: true });
  const scoped: FileTree = {
    get: (path) => tree.get(join(path)),
    list: (path) => tree.list(join(path)),
    write: (path, content, options) => tree.write(join(path), content, options),
    mkdir: (path, options) => tree.mkdir(join(path), options),
    remove: (path) => (normalizeRelative(path) ? tree.remove(join(path)) : false),
    files: () => tree.files().filter((file) => file.startsWith(`${root}/`)).map((file) => file.slice(root.length + 1)),
    size: () => tree.size(),
  };
  return { get: scoped.get, list: scoped.list, tree: scoped };
}

/**
 * `base` holds read-only layers, first wins (the pod's generated files over the image's); they may be shared
 * between containers, since writes only ever go to this container's own layer or to its mounts.
 */
export function createContainerFilesystem(input: { base: FileTree[]; mounts: Mount[]; now: () => Date }): ContainerFilesystem {
  const layers = input.base;
  const base = {
    get: (key: string) => {
      for (const layer of layers) {
        const node = layer.get(key);
        if (node) return node;
      }
      return undefined;
    },
    list: (key: string) => {
      const names = layers.map((layer) => layer.list(key)).filter((listing): listing is string[] => Boolean(listing));
      return names.length ? [...new Set(names.flat())].sort() : undefined;
    },
  };
  const upper = createFileTree();
  /** base paths deleted in this container (overlayfs whiteouts) */
  const whiteouts = new Set<string>();
  const mounts = [...input.mounts].sort((left, right) => right.mountPath.length - left.mountPath.length);

  const mountFor = (path: string): { mount: Mount; relative: string } | undefined => {
    for (const mount of mounts) {
      if (path === mount.mountPath) return { mount, relative: '' };
      if (mount.mountPath === '/' || path.startsWith(`${mount.mountPath}/`)) return { mount, relative: path.slice(mount.mountPath.length + 1) };
    }
    return undefined;
  };
  const hidden = (key: string) => [...whiteouts].some((gone) => key === gone || key.startsWith(`${gone}/`));
  const layered = (key: string): FileNode | undefined => upper.get(key) ?? (hidden(key) ? undefined : base.get(key));
  /** mount points directly below a directory, so `ls /etc` shows `config` mounted at /etc/config */
  const childMounts = (path: string): string[] => {
    const prefix = path === '/' ? '/' : `${path}/`;
    return mounts.filter((mount) => mount.mountPath.startsWith(prefix) && !mount.mountPath.slice(prefix.length).includes('/')).map((mount) => mount.mountPath.slice(prefix.length));
  };

  const stat = (rawPath: string): FileNode | undefined => {
    const path = absolutePath(rawPath);
    const mounted = mountFor(path);
    if (mounted) return mounted.mount.source.get(mounted.relative) ?? (mounted.relative ? undefined : { type: 'dir', content: '', mode: 0o755, modified: new Date(0) });
    const key = normalizeRelative(path);
    return layered(key) ?? (childMounts(path).length ? { type: 'dir', content: '', mode: 0o755, modified: new Date(0) } : undefined);
  };

  const parentExists = (path: string) => {
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const node = stat(parent);
    return node ? (node.type === 'dir' ? undefined : 'ENOTDIR') : 'ENOENT';
  };

  return {
    stat,
    read(rawPath) {
      const node = stat(rawPath);
      if (!node) return { error: 'ENOENT' };
      if (node.type === 'dir') return { error: 'EISDIR' };
      return { content: node.content };
    },
    list(rawPath) {
      const path = absolutePath(rawPath);
      const node = stat(path);
      if (!node) return { error: 'ENOENT' };
      if (node.type !== 'dir') return { error: 'ENOTDIR' };
      const mounted = mountFor(path);
      let names: string[];
      if (mounted) names = mounted.mount.source.list(mounted.relative) ?? [];
      else {
        const key = normalizeRelative(path);
        const fromBase = hidden(key) ? [] : (base.list(key) ?? []).filter((name) => !hidden(normalizeRelative(`${key}/${name}`)));
        names = [...new Set([...fromBase, ...(upper.list(key) ?? [])])];
      }
      return { names: [...new Set([...names, ...childMounts(path)])].sort() };
    },
    write(rawPath, content, options = {}) {
      const path = absolutePath(rawPath);
      const mounted = mountFor(path);
      const existing = stat(path);
      if (existing?.type === 'dir') return 'EISDIR';
      if (mounted) {
        if (mounted.mount.readOnly || !mounted.mount.source.tree) return 'EROFS';
        const parentError = mounted.relative ? parentExists(path) : undefined;
        if (parentError) return parentError;
        return mounted.mount.source.tree.write(mounted.relative, content, { ...options, now: input.now() }) ? undefined : 'ENOENT';
      }
      const parentError = parentExists(path);
      if (parentError) return parentError;
      const key = normalizeRelative(path);
      // Copy-up: appending to an image file starts from its content.
      const previous = options.append && !upper.get(key) ? layered(key)?.content ?? '' : '';
      upper.write(key, previous + content, { ...options, mode: options.mode ?? existing?.mode, now: input.now() });
      whiteouts.delete(key);
      return undefined;
    },
    mkdir(rawPath, options = {}) {
      const path = absolutePath(rawPath);
      if (stat(path)) return options.parents && stat(path)!.type === 'dir' ? undefined : 'EEXIST';
      const mounted = mountFor(path);
      if (mounted) {
        if (mounted.mount.readOnly || !mounted.mount.source.tree) return 'EROFS';
        if (!options.parents && parentExists(path)) return parentExists(path);
        return mounted.mount.source.tree.mkdir(mounted.relative, { parents: true, now: input.now() }) ? undefined : 'ENOENT';
      }
      if (!options.parents && parentExists(path)) return parentExists(path);
      const key = normalizeRelative(path);
      whiteouts.delete(key);
      return upper.mkdir(key, { parents: true, now: input.now() }) ? undefined : 'ENOTDIR';
    },
    remove(rawPath, options = {}) {
      const path = absolutePath(rawPath);
      const node = stat(path);
      if (!node) return 'ENOENT';
      if (node.type === 'dir' && !options.recursive) return 'EISDIR';
      const mounted = mountFor(path);
      if (mounted) {
        if (!mounted.relative) return 'EROFS';
        if (mounted.mount.readOnly || !mounted.mount.source.tree) return 'EROFS';
        mounted.mount.source.tree.remove(mounted.relative);
        return undefined;
      }
      const key = normalizeRelative(path);
      upper.remove(key);
      if (base.get(key)) whiteouts.add(key);
      return undefined;
    },
    mounts: () => mounts,
  };
}

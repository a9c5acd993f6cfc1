/**
 * A directory tree in memory: the storage behind a container's writable layer, an emptyDir, a
 * PersistentVolume's data or a hostPath. Paths are relative to the tree's root, without a leading slash.
 */
export interface FileNode {
  type: 'file' | 'dir';
  content: string;
  /** permission bits, e.g. 0o644 */
  mode: number;
  modified: Date;
}

export interface FileTree {
  get(path: string): FileNode | undefined;
  /** names directly inside `path`, sorted; undefined when `path` is not a directory */
  list(path: string): string[] | undefined;
  /** creates parent directories as needed; false when a parent is a file */
  write(path: string, content: string, options?: { append?: boolean; mode?: number; now?: Date }): boolean;
  mkdir(path: string, options?: { parents?: boolean; now?: Date }): boolean;
  /** removes a file, or a directory with everything below it */
  remove(path: string): boolean;
  /** every file path, for copies and tests */
  files(): string[];
  /** bytes stored, for emptyDir size limits and `du` */
  size(): number;
}

export function normalizeRelative(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

const parentOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

export function createFileTree(initial: Record<string, string> = {}, options: { mode?: number } = {}): FileTree {
  const nodes = new Map<string, FileNode>();
  const epoch = new Date(0);
  nodes.set('', { type: 'dir', content: '', mode: 0o755, modified: epoch });

  const ensureDirs = (path: string, now: Date): boolean => {
    if (!path) return true;
    const existing = nodes.get(path);
    if (existing) return existing.type === 'dir';
    if (!ensureDirs(parentOf(path), now)) return false;
    nodes.set(path, { type: 'dir', content: '', mode: 0o755, modified: now });
    return true;
  };

  const tree: FileTree = {
    get: (path) => nodes.get(normalizeRelative(path)),
    list(path) {
      const base = normalizeRelative(path);
      if (nodes.get(base)?.type !== 'dir') return undefined;
      const prefix = base ? `${base}/` : '';
      const names: string[] = [];
      for (const key of nodes.keys()) {
        if (key && key.startsWith(prefix) && !key.slice(prefix.length).includes('/')) names.push(key.slice(prefix.length));
      }
      return names.sort();
    },
    write(path, content, writeOptions = {}) {
      const key = normalizeRelative(path);
      const now = writeOptions.now ?? new Date();
      if (!key || !ensureDirs(parentOf(key), now)) return false;
      const existing = nodes.get(key);
      if (existing?.type === 'dir') return false;
      nodes.set(key, { type: 'file', content: writeOptions.append && existing ? existing.content + content : content, mode: writeOptions.mode ?? existing?.mode ?? options.mode ?? 0o644, modified: now });
      return true;
    },
    mkdir(path, mkdirOptions = {}) {
      const key = normalizeRelative(path);
      const now = mkdirOptions.now ?? new Date();
      if (nodes.has(key)) return nodes.get(key)!.type === 'dir' && Boolean(mkdirOptions.parents);
      if (!mkdirOptions.parents && nodes.get(parentOf(key))?.type !== 'dir') return false;
      return ensureDirs(key, now);
    },
    remove(path) {
      const key = normalizeRelative(path);
      if (!key || !nodes.has(key)) return false;
      for (const candidate of [...nodes.keys()]) if (candidate === key || candidate.startsWith(`${key}/`)) nodes.delete(candidate);
      return true;
    },
    files: () => [...nodes.entries()].filter(([, node]) => node.type === 'file').map(([key]) => key).sort(),
    size: () => [...nodes.values()].reduce((total, node) => total + Buffer.byteLength(node.content), 0),
  };
  for (const [path, content] of Object.entries(initial)) tree.write(path, content, { now: epoch });
  return tree;
}

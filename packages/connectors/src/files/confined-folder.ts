/**
 * Reading from a folder an operator configured (RUNBOOKS_DIR, HELM_CHART_DIRS, the Command Center's bundle, the chart
 * cache) without ever reading outside it. Why (issue 74): such a folder is often a git checkout or a volume other
 * people write to, and a symbolic link in it — `jwt.md → <data dir>/jwt-secret`, `env.md → /proc/self/environ`,
 * `docs → /` — made Skyflo hand its own keys to a member as a runbook.
 *
 * The rules, for every folder: a link is followed only while its target stays inside the folder (Kubernetes mounts a
 * ConfigMap as links into a hidden `..data` folder beside them, which must keep working); only regular files and
 * directories are read (a FIFO blocks its reader forever, a device or socket is never a document); every file has a
 * size cap, checked before reading and again while reading (a file may grow in between). Reads open the resolved
 * file with O_NOFOLLOW and, where /proc exists, check which file the descriptor really is, so a link swapped in
 * between the check and the open is not followed either.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

export type ConfinedRefusal = 'outside' | 'not-regular' | 'too-large' | 'missing' | 'invalid-name' | 'too-many';

/** A file (or tree) of a configured folder that is not read, and why, in an operator's words. */
export class ConfinedFileError extends Error {
  override name = 'ConfinedFileError';
  constructor(
    readonly reason: ConfinedRefusal,
    /** the path as asked for, relative to the folder */
    readonly relative: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConfinedFolderOptions {
  /** the largest file read (or accepted in a tree), in bytes */
  maxFileBytes: number;
  /** what the folder is, for messages: "RUNBOOKS_DIR", "the chart directory /srv/charts" */
  label?: string;
}

export interface ListedFiles {
  /** regular files inside the folder, relative and '/'-separated, sorted */
  files: string[];
  /** entries that are not listed because they lead outside or are not regular files */
  skipped: Array<{ relative: string; reason: ConfinedRefusal; message: string }>;
}

export interface ListOptions {
  /** entries passed over without a look (neither resolved nor reported): `.git`, a ConfigMap's `..data` */
  ignore?: (relative: string) => boolean;
  /** whether to list a file or descend into a directory, once links are resolved */
  include?: (relative: string, kind: 'file' | 'directory') => boolean;
  maxFiles?: number;
}

export interface ConfinedFolder {
  readonly root: string;
  /**
   * Every regular file below the folder that `include` accepts (it is asked about directories too, to prune them),
   * descending into linked directories only when they stay inside; at most `maxFiles`.
   */
  list(options?: ListOptions): Promise<ListedFiles>;
  /** The bytes of `relative`: only a regular file inside the folder of at most maxFileBytes. */
  read(relative: string): Promise<Buffer>;
  /** The real path and size of `relative` when it is a regular file inside the folder (to hand to another program). */
  resolveFile(relative: string): Promise<{ path: string; size: number }>;
  /**
   * Throws unless `relative` (a directory or a file) and everything below it is a regular file or directory inside the
   * folder, each file within maxFileBytes: for a folder another program reads whole (helm reads a chart directory
   * following every link in it).
   */
  assertTree(relative?: string, options?: { maxEntries?: number }): Promise<void>;
}

const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0);
const readChunkBytes = 64 * 1024;

const isInside = (candidate: string, root: string) => candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** What both a directory entry and a stat result tell about a file's type. */
interface FileKind {
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

function describeKind(info: FileKind): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isDirectory()) return 'a directory';
  return 'not a regular file';
}

export function openConfinedFolder(root: string, options: ConfinedFolderOptions): ConfinedFolder {
  const absoluteRoot = path.resolve(root);
  const label = options.label ?? absoluteRoot;
  const maxBytes = options.maxFileBytes;
  const refuse = (reason: ConfinedRefusal, relative: string, why: string) => new ConfinedFileError(reason, relative, `${relative} in ${label} ${why}`);
  const outside = (relative: string) => refuse('outside', relative, `leads outside the folder (a symbolic link to another place); it is not read. Copy the file into the folder instead of linking to it.`);
  const tooLarge = (relative: string, size: number) => refuse('too-large', relative, `is ${size} bytes, more than the ${maxBytes} bytes a file there may have; it is not read.`);

  /** The folder's own real path: the folder itself may be a link (a mounted volume), its contents may not leave it. */
  const realRoot = async () => realpath(absoluteRoot);

  /** `relative` as a path below the folder; a name climbing out of it or holding a NUL is refused before any look. */
  function joined(relative: string): string {
    const normal = path.normalize(relative);
    if (relative.includes('\0') || path.isAbsolute(relative) || normal === '..' || normal.startsWith(`..${path.sep}`)) {
      throw refuse('invalid-name', relative, 'is not a path inside the folder.');
    }
    return path.join(absoluteRoot, normal);
  }

  /** Where `relative` really is, refused unless inside; `missing` when nothing (or a dangling link) is there. */
  async function realInside(relative: string, rootReal: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(joined(relative));
    } catch (error) {
      if (error instanceof ConfinedFileError) throw error;
      throw refuse('missing', relative, 'does not exist (or is a link to nothing).');
    }
    if (!isInside(real, rootReal)) throw outside(relative);
    return real;
  }

  async function resolveFile(relative: string): Promise<{ path: string; size: number }> {
    const real = await realInside(relative, await realRoot());
    const info = await stat(real);
    if (!info.isFile()) throw refuse('not-regular', relative, `is ${describeKind(info)}; only regular files are read.`);
    if (info.size > maxBytes) throw tooLarge(relative, info.size);
    return { path: real, size: info.size };
  }

  /** Which file an open descriptor is, from /proc (Linux); undefined where there is no /proc. */
  async function openedPath(fd: number): Promise<string | undefined> {
    try {
      return await readlink(`/proc/self/fd/${fd}`);
    } catch {
      return undefined;
    }
  }

  async function read(relative: string): Promise<Buffer> {
    const rootReal = await realRoot();
    const resolved = await resolveFile(relative);
    // O_NOFOLLOW: the resolved path's last part is no link; O_NONBLOCK: a FIFO swapped in does not block the open.
    const handle = await open(resolved.path, readFlags).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ELOOP' ? outside(relative) : error;
    });
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw refuse('not-regular', relative, `is ${describeKind(info)}; only regular files are read.`);
      const opened = await openedPath(handle.fd);
      if (opened !== undefined && !isInside(opened, rootReal)) throw outside(relative);
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.allocUnsafe(readChunkBytes);
        const { bytesRead } = await handle.read(chunk, 0, readChunkBytes, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        // a file that grew past the cap after the check is refused too, without reading the rest
        if (total > maxBytes) throw tooLarge(relative, total);
        chunks.push(chunk.subarray(0, bytesRead));
      }
      return Buffer.concat(chunks, total);
    } finally {
      await handle.close();
    }
  }

  /** What a directory entry is once links are resolved; a link out of the folder or to nothing is refused. */
  async function entryKind(relative: string, isLink: boolean, direct: FileKind, rootReal: string): Promise<{ kind: 'file' | 'directory'; real: string; size: number }> {
    if (!isLink && !direct.isFile() && !direct.isDirectory()) {
      throw refuse('not-regular', relative, `is ${describeKind(direct)}; only regular files are read.`);
    }
    const real = await realInside(relative, rootReal);
    const info = await stat(real);
    if (info.isDirectory()) return { kind: 'directory', real, size: 0 };
    if (!info.isFile()) throw refuse('not-regular', relative, `is ${describeKind(info)}; only regular files are read.`);
    return { kind: 'file', real, size: info.size };
  }

  async function list(listOptions: ListOptions = {}): Promise<ListedFiles> {
    const rootReal = await realRoot();
    const ignore = listOptions.ignore ?? (() => false);
    const include = listOptions.include ?? (() => true);
    const maxFiles = listOptions.maxFiles ?? Number.POSITIVE_INFINITY;
    const files: string[] = [];
    const skipped: ListedFiles['skipped'] = [];
    // a link to a parent directory inside the folder would loop: each real directory is walked once
    const walked = new Set<string>([rootReal]);
    async function walk(directory: string, prefix: string): Promise<void> {
      const entries = (await readdir(directory, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (files.length >= maxFiles) return;
        const relative = `${prefix}${entry.name}`;
        if (ignore(relative)) continue;
        let resolved;
        try {
          resolved = await entryKind(relative, entry.isSymbolicLink(), entry, rootReal);
        } catch (error) {
          if (!(error instanceof ConfinedFileError)) throw error;
          skipped.push({ relative, reason: error.reason, message: error.message });
          continue;
        }
        if (!include(relative, resolved.kind)) continue;
        if (resolved.kind === 'file') files.push(relative);
        else if (!walked.has(resolved.real)) {
          walked.add(resolved.real);
          await walk(resolved.real, `${relative}/`);
        }
      }
    }
    await walk(rootReal, '');
    return { files: files.sort(), skipped };
  }

  async function assertTree(relative = '.', treeOptions: { maxEntries?: number } = {}): Promise<void> {
    const rootReal = await realRoot();
    const maxEntries = treeOptions.maxEntries ?? 10_000;
    let seen = 0;
    const top = await realInside(relative, rootReal);
    const topInfo = await lstat(top);
    if (topInfo.isFile()) {
      if (topInfo.size > maxBytes) throw tooLarge(relative, topInfo.size);
      return;
    }
    if (!topInfo.isDirectory()) throw refuse('not-regular', relative, `is ${describeKind(topInfo)}; only regular files and directories are read.`);
    const walked = new Set<string>([top]);
    async function walk(directory: string, prefix: string): Promise<void> {
      for (const entry of await readdir(directory, { withFileTypes: true })) {
        seen += 1;
        if (seen > maxEntries) throw refuse('too-many', relative, `holds more than ${maxEntries} files and folders; it is not read.`);
        const entryRelative = path.join(prefix, entry.name);
        const resolved = await entryKind(entryRelative, entry.isSymbolicLink(), entry, rootReal);
        if (resolved.kind === 'file' && resolved.size > maxBytes) throw tooLarge(entryRelative, resolved.size);
        if (resolved.kind === 'directory' && !walked.has(resolved.real)) {
          walked.add(resolved.real);
          await walk(resolved.real, entryRelative);
        }
      }
    }
    await walk(top, relative === '.' ? '' : relative);
  }

  return { root: absoluteRoot, list, read, resolveFile, assertTree };
}

/**
 * A full disk under the embedded database (PGlite in SKYFLO_DATA_DIR) named as such. PGlite answers
 * `could not extend file "base/5/16427": No space left on device` (SQLSTATE 53100, disk_full, in the error's cause)
 * and node answers ENOSPC; without this the engine answered a bare 500 and /health said ok. PostgreSQL fails
 * inside the transaction, so nothing of the refused write is kept: freeing space is all the recovery there is.
 */
import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { SkyfloError } from '../errors/skyflo-error.ts';

const DISK_FULL_SQLSTATE = '53100';
/** below this much free space the data dir's disk counts as full for /health (a write needs a few pages and WAL) */
const lowSpaceBytes = 8 * 1024 * 1024;

/** Whether `error` (or one of its causes) is a disk_full from the database or ENOSPC from the file system. */
export function isDiskFull(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth += 1) {
    if (typeof current !== 'object') return false;
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (code === DISK_FULL_SQLSTATE || code === 'ENOSPC') return true;
    if (typeof message === 'string' && message.includes('No space left on device')) return true;
    current = cause;
  }
  return false;
}

export class StorageFullError extends SkyfloError {
  readonly code = 'STORAGE_FULL';
  override readonly statusCode = 507;
  constructor(message: string) {
    super(message);
    this.name = 'StorageFullError';
  }
}

/** The mount point holding `target` (the longest mount point that prefixes it), from /proc/self/mountinfo. */
async function mountOf(target: string): Promise<string> {
  const table = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = table.split('\n').map((line) => line.split(' ')[4]?.replace(/\\040/g, ' ')).filter((point): point is string => Boolean(point));
  const resolved = path.resolve(target);
  const holding = points.filter((point) => resolved === point || resolved.startsWith(point.endsWith('/') ? point : `${point}/`));
  return holding.sort((a, b) => b.length - a.length)[0] ?? '/';
}

const formatBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${bytes} bytes`);

export interface DiskWatch {
  /** the typed error for a disk_full failure, undefined for any other; a disk_full marks /health degraded */
  classify(error: unknown): Promise<StorageFullError | undefined>;
  /** /health's `disk` component: degraded while the data dir's disk is (nearly) full or a write just failed for it */
  health(): Promise<{ ok: boolean; detail: string }>;
}

/** Watches the disk holding `dataDir` (the embedded database's). */
export function createDiskWatch({ dataDir }: { dataDir: string }): DiskWatch {
  /** free bytes when the last write failed with disk_full; cleared once more than that is free */
  let freeAtFailure: number | undefined;
  // Free space only: /health asks on every probe, and the mount table is read only for a message that names it.
  const freeBytes = async (): Promise<number | undefined> => {
    try {
      const stats = await statfs(dataDir);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch {
      return undefined;
    }
  };
  const where = async (free: number | undefined) => (free === undefined ? dataDir : `${dataDir} on ${await mountOf(dataDir)}, ${formatBytes(free)} free`);
  return {
    async classify(error) {
      if (!isDiskFull(error)) return undefined;
      const free = await freeBytes();
      freeAtFailure = free ?? 0;
      const said = describeDiskFull(error);
      return new StorageFullError(`The disk holding the database is full (${await where(free)}): ${said}. Free space there; nothing was written.`);
    },
    async health() {
      const free = await freeBytes();
      if (free === undefined) return { ok: true, detail: 'ok' };
      if (freeAtFailure !== undefined && free > freeAtFailure + lowSpaceBytes) freeAtFailure = undefined;
      const full = free < lowSpaceBytes || freeAtFailure !== undefined;
      return full ? { ok: false, detail: `error: the disk holding the database is full (${await where(free)}); free space there` } : { ok: true, detail: 'ok' };
    },
  };
}

/**
 * Issue 75: the disk of a database server the engine does not own (Postgres), seen through the writes it refuses: its
 * files are not the engine's to measure. A write refused with disk_full answers 507 naming the server, and /health
 * (so /readyz) stays degraded for `rememberMs` (default 30 s) after the last such refusal: while writes keep failing it keeps
 * failing, and it clears by itself once none has for that long (reads never failed).
 */
export function createServerDiskWatch({ label, rememberMs = 30_000, now = Date.now }: { label: string; rememberMs?: number; now?: () => number }): DiskWatch {
  let lastRefusal: { at: number; said: string } | undefined;
  return {
    async classify(error) {
      if (!isDiskFull(error)) return undefined;
      const said = describeDiskFull(error);
      lastRefusal = { at: now(), said };
      return new StorageFullError(`The disk of the database server (${label}) is full: ${said}. Free space on the database server; nothing was written.`);
    },
    async health() {
      if (!lastRefusal || now() - lastRefusal.at > rememberMs) return { ok: true, detail: 'ok' };
      return { ok: false, detail: `error: the disk of the database server (${label}) is full: a write was refused ${Math.round((now() - lastRefusal.at) / 1000)} s ago (${lastRefusal.said})` };
    },
  };
}

/** the innermost message that names the failure (PGlite's "could not extend file …: No space left on device") */
export function describeDiskFull(error: unknown): string {
  let said = 'No space left on device';
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 8; depth += 1) {
    const { message, cause } = current as { message?: unknown; cause?: unknown };
    if (typeof message === 'string' && message.includes('No space left on device')) said = message;
    current = cause;
  }
  return said;
}

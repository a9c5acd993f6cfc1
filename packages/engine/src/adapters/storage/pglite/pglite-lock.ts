/**
 * One process per PGlite directory: PGlite is an in-process database, so two engines opening the same files would
 * corrupt them. The lock is a file holding the owner's pid; a lock left by a process that no longer runs is taken over.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SkyfloError, type ErrorCategory } from '../../../platform/errors/skyflo-error.ts';
import { makePrivateDirectory } from '../../../platform/crypto/private-directory.ts';

export class DataDirLockedError extends SkyfloError {
  readonly code = 'DATA_DIR_LOCKED';

  /** the installation's own set-up is wrong (issue 80 item 4): an operator fixes it; the same start fails again */
  override get category(): ErrorCategory {
    return 'operational';
  }
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data dir ${dataDir} is in use by another Skyflo process (pid ${pid}); stop that process, or point ` +
        'SKYFLO_DATA_DIR at another directory (or use POSTGRES_DATABASE_URL to share one database between engines)',
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  readonly file: string;
  release(): Promise<void>;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else, so it still holds the directory.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dataDir>/skyflo.lock` for this process or throws DataDirLockedError naming the holder. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, 'skyflo.lock');
  await makePrivateDirectory(dataDir);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      // 'wx' fails when the file exists, so two processes racing here cannot both win.
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return {
        file,
        async release() {
          if (released) return;
          released = true;
          const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
          if (holder === process.pid) await rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) throw new DataDirLockedError(dataDir, holder);
    if (holder === process.pid) throw new DataDirLockedError(dataDir, holder);
    // Stale (dead pid, or an unreadable file from a crash mid-write): remove it and try again.
    await rm(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}; remove it if no Skyflo process is running`);
}

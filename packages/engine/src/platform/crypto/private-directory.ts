/**
 * The directories that hold an install's data (the data dir, its database, its keys) are its owner's alone (0700), as
 * PostgreSQL requires of its own data directory: with the default umask they were 0755, so any other local user of a
 * shared host could read the conversations, approvals and audit trail straight from the database's files.
 */
import { chmod, mkdir } from 'node:fs/promises';

export const privateDirectoryMode = 0o700;

/** Creates `directory` (and any missing parent) readable by its owner only; one that exists is left as it is. */
export async function makePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: privateDirectoryMode });
}

/**
 * For a directory only Skyflo writes (the database's): made private, and tightened when an earlier version made it
 * readable by everyone. One owned by another user (a volume an operator prepared) keeps the mode they gave it: only
 * its owner may change it, and this start should not fail over it. Windows has no such modes.
 */
export async function makeOwnDirectoryPrivate(directory: string): Promise<void> {
  await makePrivateDirectory(directory);
  if (process.platform === 'win32') return;
  try {
    await chmod(directory, privateDirectoryMode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

/**
 * The attack: on a shared host (a jump box, a CI runner), another local user reads an install's conversations,
 * approvals and audit trail straight from its database's files. The data dir and its database were made with the
 * default umask (0755), so anyone could. Now they are their owner's alone (0700), as PostgreSQL requires of its own
 * data directory, and an older install's database directory is tightened when it opens.
 * Where the suite runs as root (CI), the read is tried for real as another user (`nobody`, via setpriv).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateJwtSecret } from '../../src/platform/crypto/data-dir-secret.ts';
import { openEmbeddedDatabase } from '../../src/adapters/storage/pglite/embedded-database.ts';

// A parent every user may enter, as a home directory or /srv usually is: only the data dir's own mode keeps others out.
const scratch = mkdtempSync(path.join(tmpdir(), 'skyflo-data-dir-modes-'));
chmodSync(scratch, 0o755);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const groupAndOtherBits = (file: string) => statSync(file).mode & 0o077;
const runsAsRoot = process.getuid?.() === 0;

/** `cat file` as the unprivileged user `nobody`: what a stranger on the host sees (root only; else not attempted) */
function readAsAnotherUser(file: string): { readable: boolean; stderr: string } {
  const result = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'cat', file], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { readable: result.status === 0, stderr: result.stderr };
}

/** every directory under `root`, itself included */
function directoriesUnder(root: string): string[] {
  const entries = readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isDirectory());
  return [root, ...entries.map((entry) => path.join(entry.parentPath, entry.name))];
}

describe('who can read a data dir', () => {
  it('a fresh data dir and every directory of its database are their owner’s alone: another user reads nothing', async () => {
    const dataDir = path.join(scratch, 'fresh');
    const database = await openEmbeddedDatabase(dataDir);
    try {
      await database.connection.exec("create table notes (body text); insert into notes values ('checkout is crashing in prod')");
      expect(groupAndOtherBits(dataDir)).toBe(0);
      const databaseDirs = directoriesUnder(path.join(dataDir, 'pglite'));
      expect(databaseDirs.length).toBeGreaterThan(10); // base/5, global, pg_wal…: the template's tree, seeded
      expect(databaseDirs.filter((directory) => groupAndOtherBits(directory) !== 0)).toEqual([]);
      if (runsAsRoot) {
        const attempt = readAsAnotherUser(path.join(dataDir, 'pglite', 'PG_VERSION'));
        expect(attempt).toMatchObject({ readable: false, stderr: expect.stringMatching(/Permission denied/) });
      }
    } finally {
      await database.close();
    }
  });

  it('an older install’s database directory, readable by everyone, is made private when it opens', async () => {
    const dataDir = path.join(scratch, 'older');
    await (await openEmbeddedDatabase(dataDir)).close();
    // as earlier versions left it
    chmodSync(dataDir, 0o755);
    chmodSync(path.join(dataDir, 'pglite'), 0o755);
    if (runsAsRoot) expect(readAsAnotherUser(path.join(dataDir, 'pglite', 'PG_VERSION'))).toMatchObject({ readable: true });

    const reopened = await openEmbeddedDatabase(dataDir);
    try {
      await expect(reopened.connection.query('select 1 as one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      expect(groupAndOtherBits(path.join(dataDir, 'pglite'))).toBe(0);
      // the data dir itself may be the operator's own choice (a shared volume): its mode is theirs
      expect(statSync(dataDir).mode & 0o777).toBe(0o755);
      if (runsAsRoot) expect(readAsAnotherUser(path.join(dataDir, 'pglite', 'PG_VERSION'))).toMatchObject({ readable: false });
    } finally {
      await reopened.close();
    }
  });

  it('a data dir made only for its keys (the database on Postgres) is private too, and the key file 0600', async () => {
    const dataDir = path.join(scratch, 'keys-only', 'data');
    await loadOrCreateJwtSecret(dataDir);
    expect(groupAndOtherBits(dataDir)).toBe(0);
    expect(groupAndOtherBits(path.dirname(dataDir))).toBe(0); // the parent it had to make as well
    expect(statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
  });
});

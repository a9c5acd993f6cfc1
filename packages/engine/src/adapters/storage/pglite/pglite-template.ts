/**
 * Seeds a fresh PGlite directory from the template `npm install` made (scripts/create-pglite-template.mjs).
 * Why: PGlite's own initdb takes ~4 s and peaks near 800 MiB RSS; copying its ~360 files (25 MB) takes a fraction
 * of that.
 * A template older than the schema is still correct: the thread that seeds it runs the missing migrations.
 */
import { constants, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrationsFolder } from '../migrations-folder.ts';
import { privateDirectoryMode } from '../../../platform/crypto/private-directory.ts';

/** Where scripts/create-pglite-template.mjs puts it: <repo>/.tools/pglite-template */
export const defaultPgliteTemplateDir = fileURLToPath(new URL('../../../../../../.tools/pglite-template', import.meta.url));

let installedVersion: string | undefined;

/** The version of the PGlite this process runs; a template made by another version may not open. */
function pgliteVersion(): string {
  if (installedVersion) return installedVersion;
  let directory = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(path.join(directory, 'package.json'))) directory = path.dirname(directory);
  installedVersion = (JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { version: string }).version;
  return installedVersion;
}

/** What a template was made with; a template whose marker differs from this process's is not used. */
export interface PgliteTemplateMarker {
  pgliteVersion: string;
  /**
   * how the template is made; a template of another layout is made again. 2: without template0 and template1;
   * 3: also without free space and visibility maps (scripts/create-pglite-template.mjs)
   */
  layout: number;
  /** the migration journal the template was migrated to; a start seeded from the current journal skips the migrator */
  migrations: string[];
  /**
   * Empty directories of the database (pg_tblspc, pg_wal/summaries...), relative to it. npm packs no empty
   * directories, so the release build lists them here and seeding recreates them; PostgreSQL will not start without.
   */
  emptyDirectories?: string[];
}

const markerName = 'skyflo-template.json';
const journalFile = path.join(migrationsFolder, 'meta', '_journal.json');

export function pgliteTemplateMarker(): PgliteTemplateMarker {
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ tag: string }> };
  return { pgliteVersion: pgliteVersion(), layout: 3, migrations: journal.entries.map((entry) => entry.tag) };
}

export function readPgliteTemplateMarker(templateDir: string): PgliteTemplateMarker | undefined {
  try {
    return JSON.parse(readFileSync(path.join(templateDir, markerName), 'utf8')) as PgliteTemplateMarker;
  } catch {
    return undefined;
  }
}

export function writePgliteTemplateMarker(templateDir: string, marker: PgliteTemplateMarker): void {
  writeFileSync(path.join(templateDir, markerName), `${JSON.stringify(marker)}\n`);
}

/**
 * Copies the template's database into `databaseDir` when that directory holds no database yet and a template for
 * this PGlite version exists. Returns the template's marker when it copied; any problem with the template means "no",
 * never an error, because PGlite can always initialise the directory itself. The copy is made beside the directory and
 * renamed into place, so an interrupted start never leaves a half-copied database behind.
 */
export async function seedFromPgliteTemplate(options: { databaseDir: string; templateDir?: string }): Promise<PgliteTemplateMarker | undefined> {
  const templateDir = options.templateDir ?? defaultPgliteTemplateDir;
  if (existsSync(path.join(options.databaseDir, 'PG_VERSION'))) return undefined;
  if ((await readdir(options.databaseDir).catch(() => [])).length > 0) return undefined;
  const staging = `${options.databaseDir}.seeding-${process.pid}`;
  try {
    const marker = readPgliteTemplateMarker(templateDir);
    if (marker?.pgliteVersion !== pgliteVersion()) return undefined;
    await rm(staging, { recursive: true, force: true });
    await copyTree(path.join(templateDir, 'pglite'), staging);
    for (const directory of marker.emptyDirectories ?? []) mkdirSync(path.join(staging, directory), { recursive: true, mode: privateDirectoryMode });
    // Back to back, synchronously: nothing on this thread sees the directory missing between the two. A directory
    // not made yet is no reason to fall back to PostgreSQL's initdb (~4 s): the copy takes its place all the same.
    removeEmptyDirectory(options.databaseDir);
    renameSync(staging, options.databaseDir);
    return marker;
  } catch {
    await rm(staging, { recursive: true, force: true });
    mkdirSync(options.databaseDir, { recursive: true, mode: privateDirectoryMode });
    return undefined;
  }
}

function removeEmptyDirectory(directory: string): void {
  try {
    rmdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Every file at once, on libuv's thread pool: for the template's ~360 small files, where creating each file is most
 * of the cost, this measured ~40% faster than a synchronous walk (fs.promises.cp, which stats every source, target
 * and parent, 3-4x slower), and it leaves this thread free to start PostgreSQL meanwhile (pglite-thread-worker.ts).
 * Its directories are private to the owner, as PostgreSQL makes its own (private-directory.ts).
 * FICLONE: a copy-on-write clone where the filesystem can (btrfs, xfs), a plain copy elsewhere.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: privateDirectoryMode });
  const entries = await readdir(from, { withFileTypes: true });
  // allSettled: on a failure, no copy may still be writing into the directory the caller then removes.
  const copies = await Promise.allSettled(
    entries.map((entry) => {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      return entry.isDirectory() ? copyTree(source, target) : copyFile(source, target, constants.COPYFILE_FICLONE);
    }),
  );
  const failed = copies.find((copy) => copy.status === 'rejected');
  if (failed) throw failed.reason;
}

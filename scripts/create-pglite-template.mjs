// Creates an initialised and migrated PGlite data directory once, at `npm install`, under .tools/pglite-template.
// Why: initdb inside PGlite takes ~4 s and peaks near 800 MiB RSS; a fresh SKYFLO_DATA_DIR copies this directory
// instead (packages/engine/src/adapters/storage/pglite/pglite-template.ts). It is made by the engine's own storage code (schema
// migrations and the checkpointer's tables), so it is exactly what a first start would make. A start seeded from a
// template older than the schema runs the missing migrations; one from another PGlite version is ignored.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const templateDir = path.join(root, '.tools', 'pglite-template');

let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  console.warn('[create-pglite-template] tsx is not installed; skipping (the engine will initialise its database itself).');
  process.exit(0);
}
register();
const { createPgliteStorage, pgliteTemplateMarker, readPgliteTemplateMarker, writePgliteTemplateMarker } = await import('@skyflo/engine/pglite-template-builder');

/**
 * PGlite connects to the `postgres` database; initdb's template0 and template1 are never used by Skyflo, and are
 * 600 of the template's 1,000 files. Every fresh data dir copies the template at start-up, where each file costs.
 */
async function dropTemplateDatabases(databaseDir) {
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = new PGlite(databaseDir);
  try {
    await lite.exec('ALTER DATABASE template0 IS_TEMPLATE false');
    await lite.exec('DROP DATABASE template0');
    await lite.exec('ALTER DATABASE template1 IS_TEMPLATE false');
    await lite.exec('DROP DATABASE template1');
    await lite.exec('CHECKPOINT');
  } finally {
    await lite.close();
  }
}

/**
 * The free space maps and visibility maps (`<relation>_fsm`, `_vm`): 85 of the template's files, each one more file
 * to create at every fresh start. PostgreSQL treats a missing map as "no free space recorded" and "no page known
 * all-visible", as for any relation no vacuum has visited yet, and makes the map again when it needs one.
 */
function dropRelationMaps(databaseDir) {
  for (const entry of readdirSync(databaseDir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /^\d+_(fsm|vm)$/.test(entry.name)) rmSync(path.join(entry.parentPath ?? entry.path, entry.name));
  }
}

const wanted = pgliteTemplateMarker();
const existing = existsSync(templateDir) ? readPgliteTemplateMarker(templateDir) : undefined;
if (existing && JSON.stringify(existing) === JSON.stringify(wanted)) process.exit(0);

const started = Date.now();
// Built beside the final place and renamed, so an interrupted install never leaves a half-made template behind.
const building = `${templateDir}.building-${process.pid}`;
rmSync(building, { recursive: true, force: true });
try {
  const storage = await createPgliteStorage({ dataDir: building, templateDir: path.join(building, 'none') });
  // The checkpointer's tables are made on first use; the template has them already.
  await storage.checkpointer();
  await storage.close();
  await dropTemplateDatabases(path.join(building, 'pglite'));
  dropRelationMaps(path.join(building, 'pglite'));
  writePgliteTemplateMarker(building, wanted);
  rmSync(templateDir, { recursive: true, force: true });
  renameSync(building, templateDir);
} catch (error) {
  rmSync(building, { recursive: true, force: true });
  // A missing template only makes the first start slower; never fail `npm install` for it.
  console.warn(`[create-pglite-template] skipped: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(0);
}
console.log(`[create-pglite-template] PGlite ${wanted.pgliteVersion} template in ${path.relative(root, templateDir)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

/**
 * What scripts/create-pglite-template.mjs needs to build the PGlite template at `npm install`: the engine's own
 * storage (so the template is exactly what a first start would make) and the marker saying which PGlite and schema
 * made it. Exported as @skyflo/engine/pglite-template-builder so the script does not reach into src/ by path.
 */
export { createPgliteStorage } from './pglite-storage.ts';
export { pgliteTemplateMarker, readPgliteTemplateMarker, writePgliteTemplateMarker } from './pglite-template.ts';

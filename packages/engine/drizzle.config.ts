import { defineConfig } from 'drizzle-kit';

// Generation only (`npx drizzle-kit generate --config packages/engine/drizzle.config.ts`); the engine applies
// the generated SQL itself at start-up with drizzle's migrator, on PGlite and on Postgres.
export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/engine/src/adapters/storage/schema.ts',
  out: './packages/engine/drizzle',
});

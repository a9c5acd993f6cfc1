import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { schema } from './schema.ts';

/** A Drizzle database on either driver (PGlite or node-postgres); the stores are written once against it. */
export type SkyfloDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

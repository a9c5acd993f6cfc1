/** Where Skyflo keeps its data: PGlite in a local folder by default, Postgres when a URL is given. */
import path from 'node:path';
import { z } from 'zod';

export const storageConfigSchema = z
  .object({
    /** Local state folder: the PGlite database and the generated JWT secret live here. */
    SKYFLO_DATA_DIR: z.string().min(1).default('./.skyflo'),
    /** postgres:// URL; unset stores everything in PGlite under SKYFLO_DATA_DIR (POSTGRES_DATABASE_URL_FILE supported). */
    POSTGRES_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
  })
  .transform((env) => ({
    dataDir: path.resolve(env.SKYFLO_DATA_DIR),
    postgresUrl: env.POSTGRES_DATABASE_URL,
  }));

export type StorageConfig = z.output<typeof storageConfigSchema>;

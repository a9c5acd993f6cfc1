import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's own defaults plus a smaller buffer pool: one embedded client needs no 128 MB of shared buffers (the
 * template's postgresql.conf default), and zeroing them cost ~0.1 s of every start and ~120 MB of memory.
 */
export const pgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

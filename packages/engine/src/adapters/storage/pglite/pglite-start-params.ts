import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite's own defaults plus a smaller buffer pool: one embedded client needs no 128 MB of shared buffers (the
 * template's postgresql.conf default), and zeroing them cost ~0.1 s of every start and ~120 MB of memory. 8 MB
 * (1,024 pages) holds the hot pages of a single install's tables and indexes; a miss is a read through PGlite's
 * NodeFS, i.e. the OS page cache. Every megabyte here is resident from the start: PostgreSQL zeroes the pool when it
 * starts (measured: 16 MB → 8 MB took 8 MiB off an idle `skyflo serve`, bench/engine-rss.ts).
 */
export const pgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=8MB'];

/**
 * The storages a bench measures the engine on, in the order it prints them: PGlite in a fresh data dir (what
 * `skyflo serve` runs by default) first, then a fresh Postgres database on 127.0.0.1:5432 as the second row (skipped,
 * with the reason printed, when no Postgres answers). Each comes with one user the bench's requests act as.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPgliteStorage, createPostgresStorage } from '@skyflo/engine/testing';
import type { EngineStorage } from '@skyflo/engine';
import { postgresUnavailable, withBenchPostgresDatabase } from './bench-postgres.ts';

export interface BenchStorage {
  /** printed in the bench's row: "PGlite (data dir)" or "Postgres" */
  label: string;
  storage: EngineStorage;
  /** a user that exists in `storage` (runs and conversations refer to their user) */
  userId: string;
}

async function withUser<T>(label: string, storage: EngineStorage, use: (bench: BenchStorage) => Promise<T>): Promise<T> {
  const created = await storage.users.create({ email: 'bench@example.test', hashedPassword: 'x', allowWhenUsersExist: true });
  if (!created.ok) throw new Error(`creating the bench user on ${label}: ${created.reason}`);
  return use({ label, storage, userId: created.user.id });
}

/** Runs `use` on PGlite in a fresh data dir, then on a fresh Postgres database; closes and removes both. */
export async function forEachBenchStorage(use: (bench: BenchStorage) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'skyflo-bench-data-'));
  try {
    const storage = await createPgliteStorage({ dataDir });
    try {
      await withUser('PGlite (data dir)', storage, use);
    } finally {
      await storage.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    console.log(`  Postgres row skipped: ${unavailable}`);
    return;
  }
  await withBenchPostgresDatabase(async (url) => {
    const storage = await createPostgresStorage({ url });
    try {
      await withUser('Postgres', storage, use);
    } finally {
      await storage.close();
    }
  });
}

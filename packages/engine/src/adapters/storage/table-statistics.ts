/**
 * Keeps the query planner's statistics of some tables current (issue 79), on PGlite and Postgres alike.
 *
 * Why: a plan is only as good as the row counts the planner believes. PGlite runs no autovacuum, so a data dir that
 * grew from nothing has no statistics at all, and Postgres' autovacuum lags a bulk load by up to a minute; without
 * them the planner guessed one conversation per user and searched 100k messages in 60 s. Before a query whose plan
 * depends on them, the caller asks `ensureCurrent()`: a table never analysed, or grown by more than a fifth since its
 * last ANALYZE (its size on disk against the pages the planner recorded then), is analysed first. ANALYZE reads a
 * sample of at most 30,000 rows, so its cost does not grow with the table. The check itself is one small catalogue
 * read, made at most once per `checkEveryMs`.
 */
import { sql } from 'drizzle-orm';
import type { SkyfloDatabase } from './database.ts';
import { rowsOf } from './rendered-statements.ts';

export interface TableStatisticsOptions {
  /** the tables (of the public schema) whose statistics a query relies on */
  tables: readonly string[];
  /** how long a check holds: later calls within it return at once (default 30 s) */
  checkEveryMs?: number;
  /** a table is re-analysed once its pages exceed those of its last ANALYZE by this factor (default 1.2) */
  growth?: number;
  now?: () => number;
  /** told which tables were analysed (logs, tests) */
  onAnalyzed?: (tables: string[]) => void;
}

export interface TableStatistics {
  /** analyses the tables whose statistics are missing or stale; settles when they are current */
  ensureCurrent(): Promise<void>;
}

/** The tables whose statistics are missing or stale, from the catalogue's view of them. */
export function staleTables(rows: ReadonlyArray<{ name: string; pages: number; analysedPages: number; analysedRows: number }>, growth: number): string[] {
  // reltuples is -1 for a table never analysed (or vacuumed); a few pages of slack keep a tiny table from flapping
  return rows.filter((row) => row.analysedRows < 0 || row.pages > row.analysedPages * growth + 8).map((row) => row.name);
}

export function createTableStatistics(db: SkyfloDatabase, options: TableStatisticsOptions): TableStatistics {
  const { tables, checkEveryMs = 30_000, growth = 1.2, now = Date.now, onAnalyzed } = options;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;

  async function check(): Promise<void> {
    const rows = rowsOf<{ name: string; pages: number | string; analysed_pages: number | string; analysed_rows: number | string }>(
      await db.execute(sql`
        select c.relname as name, c.relpages as analysed_pages, c.reltuples as analysed_rows,
               pg_relation_size(c.oid) / current_setting('block_size')::int as pages
        from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname in (${sql.join(tables.map((table) => sql`${table}`), sql`, `)})`),
    );
    const stale = staleTables(
      rows.map((row) => ({ name: row.name, pages: Number(row.pages), analysedPages: Number(row.analysed_pages), analysedRows: Number(row.analysed_rows) })),
      growth,
    );
    // One table at a time: on PGlite each ANALYZE holds its one connection, so others' statements run in between.
    for (const table of stale) await db.execute(sql`ANALYZE ${sql.identifier(table)}`);
    if (stale.length > 0) onAnalyzed?.(stale);
  }

  return {
    ensureCurrent() {
      if (running) return running;
      if (now() - checkedAt < checkEveryMs) return Promise.resolve();
      checkedAt = now();
      // Stale statistics make a query slower, never wrong: a failed check (a serving role that does not own the
      // table may not ANALYZE it; autovacuum does that on Postgres) lets the query run on what the planner has.
      running = check()
        .catch(() => undefined)
        .finally(() => {
          running = undefined;
        });
      return running;
    },
  };
}

/**
 * Things declared outside the API and kept in the engine's database, one row per declaration, marked `managed_by`:
 * SkyfloSchedule objects (schedules/cluster-schedules.ts), SkyfloPolicy and SkyfloFreeze objects and the files of
 * POLICIES_DIR (declared-guardrails.ts). This is the part they share: list the declarations, compare them with the
 * rows this source manages, and create, update or delete rows so they match — each change made and audited once
 * however many replicas sync at once.
 *
 * The rules every source follows:
 * - a declaration that is invalid declares nothing: its reason is logged once per change (not every interval), and
 *   the row it had, if any, is disabled until it is fixed (or kept as it was, for kinds with nothing to disable);
 * - a failed listing (the API server down, RBAC, an unreadable folder) changes nothing: rows are never removed
 *   because a source did not answer;
 * - replicas race harmlessly: a create loses to the unique managed_by index (the kind's `create` answers undefined),
 *   and updates, disables and deletions are conditional on the row as it was read (they answer undefined/false when
 *   another replica got there first), so only the replica whose change was made audits it.
 */

import { SkyfloError } from '../../platform/errors/skyflo-error.ts';

/** What one declaration says: the value to keep, or why it declares nothing. */
export type Declaration<Value> = { key: string; value: Value } | { key: string; refused: string };

/** Thrown by a kind's `create` or `update` when the declaration cannot be kept (a name another row has): refused like an invalid one. */
export class DeclarationRefused extends SkyfloError {
  override name = 'DeclarationRefused';
  readonly code = 'DECLARATION_REFUSED';
}

export interface DeclaredKind<Row, Value> {
  /** for messages: "SkyfloSchedule", "SkyfloPolicy in POLICIES_DIR" */
  label: string;
  /** the declarations as the source lists them; throws when it cannot (nothing is changed then) */
  list(): Promise<unknown[]>;
  /** what a listed item declares; undefined for an item that cannot even be named (skipped) */
  read(raw: unknown): Promise<Declaration<Value> | undefined>;
  /** the rows this source manages (its managed_by keys only) */
  managed(): Promise<Row[]>;
  keyOf(row: Row): string;
  same(row: Row, value: Value): boolean;
  /** the new row, or undefined when another replica created it meanwhile */
  create(key: string, value: Value): Promise<Row | undefined>;
  /** only when the row is still the one read; undefined otherwise */
  update(row: Row, value: Value): Promise<Row | undefined>;
  /** disables the row while its declaration is invalid (conditional as update); absent: the row is kept as it was */
  disable?(row: Row): Promise<Row | undefined>;
  remove(row: Row): Promise<boolean>;
  audit: {
    created(row: Row, key: string): Promise<void>;
    updated(row: Row, key: string, reason?: string): Promise<void>;
    deleted(row: Row, key: string): Promise<void>;
  };
}

export interface DeclaredSyncReport {
  created: string[];
  updated: string[];
  removed: string[];
  /** declarations that declare nothing, with why */
  refused: Array<{ object: string; reason: string }>;
}

export interface DeclaredSyncLogger {
  warn(object: unknown, message?: string): void;
  error(object: unknown, message?: string): void;
}

export function createDeclaredSync<Row, Value>(kind: DeclaredKind<Row, Value>, logger?: DeclaredSyncLogger) {
  /** the last refusal logged per declaration, so an invalid one is reported once per change, not every interval */
  const reported = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let syncing: Promise<DeclaredSyncReport | undefined> | undefined;
  let lastFailure: string | undefined;

  async function refuse(report: DeclaredSyncReport, key: string, reason: string, current: Row | undefined): Promise<void> {
    report.refused.push({ object: key, reason });
    if (reported.get(key) !== reason) logger?.warn({ object: key, reason }, `a ${kind.label} declares nothing until it is fixed`);
    reported.set(key, reason);
    if (!current || !kind.disable) return;
    const disabled = await kind.disable(current);
    if (!disabled) return; // already disabled, or another replica disabled it first
    await kind.audit.updated(disabled, key, reason);
    report.updated.push(key);
  }

  async function syncOnce(): Promise<DeclaredSyncReport> {
    const report: DeclaredSyncReport = { created: [], updated: [], removed: [], refused: [] };
    const listed = await kind.list();
    const existing = new Map((await kind.managed()).map((row) => [kind.keyOf(row), row]));
    const seen = new Set<string>();
    for (const raw of listed) {
      const entry = await kind.read(raw);
      if (!entry || seen.has(entry.key)) continue;
      seen.add(entry.key);
      const current = existing.get(entry.key);
      if ('refused' in entry) {
        await refuse(report, entry.key, entry.refused, current);
        continue;
      }
      if (!current) {
        let created: Row | undefined;
        try {
          created = await kind.create(entry.key, entry.value);
        } catch (error) {
          if (!(error instanceof DeclarationRefused)) throw error;
          await refuse(report, entry.key, error.message, undefined);
          continue;
        }
        reported.delete(entry.key);
        if (!created) continue; // another replica created it in the meantime
        await kind.audit.created(created, entry.key);
        report.created.push(entry.key);
        continue;
      }
      if (kind.same(current, entry.value)) {
        reported.delete(entry.key);
        continue;
      }
      let updated: Row | undefined;
      try {
        updated = await kind.update(current, entry.value);
      } catch (error) {
        if (!(error instanceof DeclarationRefused)) throw error;
        await refuse(report, entry.key, error.message, current);
        continue;
      }
      reported.delete(entry.key);
      if (!updated) continue; // another replica applied this change first
      await kind.audit.updated(updated, entry.key);
      report.updated.push(entry.key);
    }
    for (const [key, row] of existing) {
      if (seen.has(key)) continue;
      reported.delete(key);
      if (await kind.remove(row)) {
        await kind.audit.deleted(row, key);
        report.removed.push(key);
      }
    }
    return report;
  }

  /** One sync; a failure (the source or the database not answering) changes nothing and is logged once until it changes. */
  function sync(): Promise<DeclaredSyncReport | undefined> {
    syncing ??= syncOnce()
      .then((report) => {
        if (lastFailure !== undefined) logger?.warn({}, `the ${kind.label} declarations are read again`);
        lastFailure = undefined;
        return report;
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastFailure) logger?.error({ err: error }, `could not read the ${kind.label} declarations; what they declare is kept as it was`);
        lastFailure = message;
        return undefined;
      })
      .finally(() => (syncing = undefined));
    return syncing;
  }

  return {
    sync,
    /** syncs now, then every `intervalMs` */
    start(intervalMs: number): void {
      void sync();
      timer = setInterval(() => void sync(), intervalMs);
      timer.unref();
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await syncing;
    },
  };
}

export type DeclaredSync = ReturnType<typeof createDeclaredSync>;

/** Postgres' unique violation anywhere in an error's causes (drizzle wraps the driver's error). */
export const isUniqueViolation = (error: unknown): boolean => {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) if ((cause as { code?: unknown }).code === '23505') return true;
  return false;
};

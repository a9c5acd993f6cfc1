/**
 * Policies and change freezes declared outside the API (issue 76 item 3): SkyfloPolicy and SkyfloFreeze objects in
 * the install's namespace, and the same objects in the YAML files of POLICIES_DIR (declared-sources.ts). Every
 * replica keeps one row per declaration in the policies/freezes tables, marked managed_by, so the gate judges them
 * before anyone is asked to approve and the card and Settings show them, exactly as policies made in the API. The
 * loop (create, update, remove once across replicas, each audited; a failed listing changes nothing) is
 * declared-sync.ts.
 *
 * A declaration means what the same body means to the API (POST /policies, POST /freezes), read by the mapping the
 * executor uses too (@skyflo/safety/declared). One that is invalid declares nothing, logged once per change:
 * - a policy that does not validate or whose expression does not compile (the API's own refusal) — the policy it had
 *   is disabled until the declaration is fixed (the executor meanwhile refuses every mint for a broken SkyfloPolicy);
 * - a freeze that does not validate keeps the freeze it had as it was: a freeze is lifted by deleting it, never by
 *   breaking it;
 * - a name another policy (or freeze) already has, in the API or another declaration, is refused naming it.
 * Who may declare: whoever may write those objects in the install's namespace (cluster admins, GitOps) or push to the
 * POLICIES_DIR checkout — the engine writes neither.
 */
import type { KubeObject } from '@skyflo/protocol';
import { freezeFromObject, policyInputFromObject, skyfloFreezeKind, skyfloPolicyKind } from '@skyflo/safety/declared';
import type { AuditLog, FreezeFields, FreezeRecord, FreezeStore, PolicyFields, PolicyRecord, PolicyStore } from '../../platform/ports/index.ts';
import { expressionRefusal } from '../../domain/policies/policy-service.ts';
import { createDeclaredSync, DeclarationRefused, type DeclaredSyncLogger, type DeclaredSyncReport } from './declared-sync.ts';
import type { DeclaredObject, DeclaredObjectSource } from './declared-sources.ts';

export interface DeclaredGuardrailsDeps {
  sources: DeclaredObjectSource[];
  policies: PolicyStore;
  freezes: FreezeStore;
  audit: Pick<AuditLog, 'record'>;
  logger?: DeclaredSyncLogger;
}

export interface DeclaredGuardrailsReport {
  /** undefined when a source could not be read (nothing it declares changed) */
  policies: DeclaredSyncReport | undefined;
  freezes: DeclaredSyncReport | undefined;
}

const policyFields = (record: PolicyRecord): PolicyFields => ({ name: record.name, expression: record.expression, effect: record.effect, message: record.message, enabled: record.enabled });
const auditedPolicy = (record: PolicyRecord) => ({ ...policyFields(record), version: record.version, managed_by: record.managedBy });

const freezeFields = (record: FreezeRecord): FreezeFields => ({
  name: record.name,
  startsAt: record.startsAt,
  endsAt: record.endsAt,
  ...(record.recurrence ? { recurrence: record.recurrence } : {}),
  ...(record.timeZone ? { timeZone: record.timeZone } : {}),
  ...(record.clusters ? { clusters: record.clusters } : {}),
  ...(record.namespaces ? { namespaces: record.namespaces } : {}),
  reason: record.reason,
  ...(record.breakGlassBy ? { breakGlassBy: record.breakGlassBy } : {}),
});
const auditedFreeze = (record: FreezeRecord) => ({ ...freezeFields(record), managed_by: record.managedBy });

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function readPolicy(item: DeclaredObject): { key: string; value: PolicyFields } | { key: string; refused: string } {
  const read = policyInputFromObject(item.object);
  if ('problem' in read) return { key: item.key, refused: read.problem };
  const broken = expressionRefusal(read.input.expression);
  if (broken) return { key: item.key, refused: `expression: ${broken.message}` };
  const { name, expression, effect, message, enabled } = read.input;
  return { key: item.key, value: { name, expression, effect, message, enabled } };
}

function readFreeze(item: DeclaredObject): { key: string; value: FreezeFields } | { key: string; refused: string } {
  const read = freezeFromObject(item.object, { reader: 'this engine' });
  if ('problem' in read) return { key: item.key, refused: read.problem };
  const { freeze } = read;
  return {
    key: item.key,
    value: {
      name: freeze.name,
      startsAt: freeze.startsAt,
      endsAt: freeze.endsAt,
      ...(freeze.recurrence ? { recurrence: freeze.recurrence } : {}),
      ...(freeze.timeZone ? { timeZone: freeze.timeZone } : {}),
      // as the API keeps them: an empty list means every cluster/namespace, as an absent one
      ...(freeze.clusters && freeze.clusters.length > 0 ? { clusters: freeze.clusters } : {}),
      ...(freeze.namespaces && freeze.namespaces.length > 0 ? { namespaces: freeze.namespaces } : {}),
      reason: freeze.reason,
      // who the cluster's executor lets break it: the engine says so before an admin tries (stop-rules.ts)
      ...(freeze.breakGlassBy ? { breakGlassBy: freeze.breakGlassBy } : {}),
    },
  };
}

/** Why a declaration's name cannot be kept: another row has it (the API's, or another declaration's). */
function nameTaken(what: string, name: string, holder: { managedBy: string | null } | undefined): DeclarationRefused {
  const where = holder?.managedBy ? `declared as ${holder.managedBy}` : 'made in the API';
  return new DeclarationRefused(`a ${what} named "${name}" already exists (${where}); rename this one, or remove the other`);
}

function policySync(source: DeclaredObjectSource, deps: DeclaredGuardrailsDeps) {
  const managed = async () => (await deps.policies.list()).filter((record) => record.managedBy !== null && source.owns(record.managedBy));
  const record = (action: string, row: PolicyRecord, details: Record<string, unknown> = {}) => deps.audit.record({ action, subjectType: 'policy', subjectId: row.id, details: { ...auditedPolicy(row), ...details } });
  const updated = async (row: PolicyRecord, value: PolicyFields) => {
    const result = await deps.policies.update(row.id, value, { ifVersion: row.version });
    if (result === 'name_taken') throw nameTaken('policy', value.name, (await deps.policies.list()).find((other) => other.name === value.name));
    return result;
  };
  return createDeclaredSync<PolicyRecord, PolicyFields>(
    {
      label: `SkyfloPolicy (${source.label})`,
      list: () => source.list(skyfloPolicyKind),
      read: async (raw) => readPolicy(raw as DeclaredObject),
      managed,
      keyOf: (row) => row.managedBy!,
      same: (row, value) => sameJson(policyFields(row), value),
      async create(key, value) {
        const created = await deps.policies.insert({ ...value, managedBy: key });
        if (created) return created;
        const rows = await deps.policies.list();
        if (rows.some((row) => row.managedBy === key)) return undefined; // another replica created it
        throw nameTaken('policy', value.name, rows.find((row) => row.name === value.name));
      },
      update: updated,
      disable: async (row) => (row.enabled ? updated(row, { ...policyFields(row), enabled: false }) : undefined),
      remove: async (row) => (await deps.policies.remove(row.id)) !== undefined,
      audit: {
        created: (row) => record('policy.created', row),
        updated: (row, _key, reason) => record('policy.changed', row, reason !== undefined ? { reason } : {}),
        deleted: (row) => record('policy.deleted', row),
      },
    },
    deps.logger,
  );
}

function freezeSync(source: DeclaredObjectSource, deps: DeclaredGuardrailsDeps) {
  const record = (action: string, row: FreezeRecord) => deps.audit.record({ action, subjectType: 'freeze', subjectId: row.id, details: auditedFreeze(row) });
  return createDeclaredSync<FreezeRecord, FreezeFields>(
    {
      label: `SkyfloFreeze (${source.label})`,
      list: () => source.list(skyfloFreezeKind),
      read: async (raw) => readFreeze(raw as DeclaredObject),
      managed: async () => (await deps.freezes.list()).filter((row) => row.managedBy !== null && source.owns(row.managedBy)),
      keyOf: (row) => row.managedBy!,
      same: (row, value) => sameJson(freezeFields(row), value),
      async create(key, value) {
        const created = await deps.freezes.insert({ ...value, managedBy: key });
        if (created) return created;
        const rows = await deps.freezes.list();
        if (rows.some((row) => row.managedBy === key)) return undefined;
        throw nameTaken('freeze', value.name, rows.find((row) => row.name === value.name));
      },
      update: (row, value) => deps.freezes.update(row.id, value, { ifVersion: row.version }),
      // no disable: an invalid freeze keeps holding as it was last declared
      remove: async (row) => (await deps.freezes.remove(row.id)) !== undefined,
      audit: {
        created: (row) => record('freeze.created', row),
        updated: (row) => record('freeze.changed', row),
        deleted: (row) => record('freeze.deleted', row),
      },
    },
    deps.logger,
  );
}

const merged = (reports: Array<DeclaredSyncReport | undefined>): DeclaredSyncReport | undefined =>
  reports.some((report) => report === undefined)
    ? undefined
    : { created: reports.flatMap((report) => report!.created), updated: reports.flatMap((report) => report!.updated), removed: reports.flatMap((report) => report!.removed), refused: reports.flatMap((report) => report!.refused) };

export function createDeclaredGuardrails(deps: DeclaredGuardrailsDeps) {
  const policies = deps.sources.map((source) => policySync(source, deps));
  const freezes = deps.sources.map((source) => freezeSync(source, deps));
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<DeclaredGuardrailsReport> | undefined;

  async function once(): Promise<DeclaredGuardrailsReport> {
    const freezeReports = [];
    for (const each of freezes) freezeReports.push(await each.sync());
    const policyReports = [];
    for (const each of policies) policyReports.push(await each.sync());
    return { policies: merged(policyReports), freezes: merged(freezeReports) };
  }

  /**
   * Every source read now (after a sync already running, so what it answers was read after the call): freezes first,
   * then policies. A source that cannot be read leaves its kind's report undefined.
   */
  function sync(): Promise<DeclaredGuardrailsReport> {
    const next = (running ?? Promise.resolve()).catch(() => undefined).then(once);
    running = next;
    void next.finally(() => {
      if (running === next) running = undefined;
    }).catch(() => undefined);
    return next;
  }

  return {
    sync,
    /** syncs now, then every `intervalMs` */
    start(intervalMs: number): void {
      void sync();
      // an interval's sync is skipped while one still runs (a slow API server must not pile them up)
      timer = setInterval(() => {
        if (!running) void sync();
      }, intervalMs);
      timer.unref();
    },
    async close(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}

export type DeclaredGuardrails = ReturnType<typeof createDeclaredGuardrails>;

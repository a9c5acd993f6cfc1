/**
 * Schedules declared in the cluster (issue 81): an in-cluster install keeps its scheduled checks as SkyfloSchedule
 * objects (deploy/helm/skyflo/crds/skyfloschedules.skyflo.ai.yaml) in the install's namespace, next to the rest of its
 * GitOps. Every replica reads them on an interval (SCHEDULES_NAMESPACE, SCHEDULES_SYNC_SECONDS) and keeps one schedule
 * per object, marked `managed_by: "SkyfloSchedule <namespace>/<name>"`: created with the object, updated when it
 * changes, deleted when it is gone. The API refuses to edit or delete such a schedule (409, naming the object): the
 * object is the truth and the next sync would undo the edit.
 *
 * Who may call it: nobody — it reads the cluster with the engine's own identity (get/list on skyfloschedules in its
 * namespace only). Whoever may write those objects decides what runs as whom, so:
 * - the owner is named by e-mail and must be an active Skyflo user; the check runs as their conversation, with their
 *   limits, and a member owner is held to their scope exactly as the API holds them (schedule-input.ts);
 * - an object that is invalid (bad cron or time zone, unknown owner, out of the owner's scope) declares nothing: its
 *   schedule, if one exists, is disabled until the object is fixed, and the reason is logged once per change;
 * - a failed listing (API down, RBAC) changes nothing: schedules are never removed because the cluster did not answer.
 * Replicas race harmlessly: the unique managed_by index lets one create, and updates and deletions are conditional on
 * what was read, so each change is made and audited once (the loop is declared/declared-sync.ts, shared with the
 * declared policies and freezes).
 */
import { scheduleInputSchema, type MemberScope, type ParsedScheduleInput } from '@skyflo/protocol';
import { z } from 'zod';
import { createDeclaredSync, isUniqueViolation, type DeclaredKind, type DeclaredSyncReport } from '../declared/declared-sync.ts';
import type { AuditLog, UserStore } from '../../platform/ports/index.ts';
import type { ScheduleRecord, ScheduleStore } from '../../platform/ports/schedules.ts';
import { validateCron } from './cron.ts';
import { scheduleColumns, scheduleOutOfScope } from './schedule-input.ts';

/** Lists the SkyfloSchedule objects of the install's namespace, as the API server returns them. */
export interface ScheduleObjectSource {
  list(): Promise<unknown[]>;
}

export interface ClusterScheduleSyncDeps {
  source: ScheduleObjectSource;
  store: ScheduleStore;
  users: Pick<UserStore, 'findByEmail'>;
  scopeOf: (userId: string) => Promise<MemberScope | undefined>;
  audit: AuditLog;
  now?: () => number;
  logger?: { warn(object: unknown, message?: string): void; error(object: unknown, message?: string): void };
}

export type ClusterScheduleSyncReport = DeclaredSyncReport;

const objectSchema = z.object({
  metadata: z.object({ name: z.string().min(1), namespace: z.string().min(1) }),
  spec: z
    .object({
      owner: z.string().min(1),
      schedule: z.string(),
      timeZone: z.string().optional(),
      prompt: z.string(),
      cluster: z.string().optional(),
      namespaces: z.array(z.string()).optional(),
      mode: z.string().optional(),
      notify: z.array(z.string()).optional(),
      enabled: z.boolean().optional(),
    })
    .passthrough(),
});

export const managedByOf = (namespace: string, name: string) => `SkyfloSchedule ${namespace}/${name}`;

type Declared = { key: string; ownerId: string; input: ParsedScheduleInput } | { key: string; refused: string };

async function declared(raw: unknown, deps: ClusterScheduleSyncDeps): Promise<Declared | undefined> {
  const object = objectSchema.safeParse(raw);
  if (!object.success) {
    const metadata = (raw as { metadata?: { name?: unknown; namespace?: unknown } } | undefined)?.metadata;
    if (typeof metadata?.name !== 'string' || typeof metadata.namespace !== 'string') return undefined;
    const issue = object.error.issues[0];
    return { key: managedByOf(metadata.namespace, metadata.name), refused: `${issue?.path.join('.') || 'spec'}: ${issue?.message}` };
  }
  const { metadata, spec } = object.data;
  const key = managedByOf(metadata.namespace, metadata.name);
  const input = scheduleInputSchema.safeParse({ name: metadata.name, schedule: spec.schedule, time_zone: spec.timeZone ?? 'UTC', prompt: spec.prompt, cluster: spec.cluster, namespaces: spec.namespaces, mode: spec.mode, notify: spec.notify, enabled: spec.enabled });
  if (!input.success) {
    const issue = input.error.issues[0];
    return { key, refused: `spec.${issue?.path.join('.')}: ${issue?.message}` };
  }
  try {
    validateCron(input.data.schedule, input.data.time_zone);
  } catch (error) {
    return { key, refused: (error as Error).message };
  }
  const owner = await deps.users.findByEmail(spec.owner.trim().toLowerCase());
  if (!owner || !owner.isActive) return { key, refused: `spec.owner: ${spec.owner} is not an active Skyflo user; the check runs as its owner, so name someone who can sign in` };
  if (owner.role !== 'admin') {
    const outside = scheduleOutOfScope(input.data, await deps.scopeOf(owner.id));
    if (outside) return { key, refused: `the owner ${spec.owner} may not schedule this: ${outside}` };
  }
  return { key, ownerId: owner.id, input: input.data };
}

const columnsOf = (ownerId: string, input: ParsedScheduleInput) => ({ ownerId, ...scheduleColumns(input) });

const sameAs = (record: ScheduleRecord, columns: ReturnType<typeof columnsOf>) =>
  (Object.keys(columns) as Array<keyof typeof columns>).every((field) => JSON.stringify(record[field]) === JSON.stringify(columns[field]));

export function createClusterScheduleSync(deps: ClusterScheduleSyncDeps) {
  const now = () => new Date((deps.now ?? Date.now)());
  const audit = (action: string, record: Pick<ScheduleRecord, 'id' | 'name' | 'ownerId'>, key: string, details: Record<string, unknown> = {}) =>
    deps.audit.record({ action, subjectType: 'schedule', subjectId: record.id, details: { name: record.name, owner_id: record.ownerId, managed_by: key, ...details } });
  const kind: DeclaredKind<ScheduleRecord, { ownerId: string; input: ParsedScheduleInput }> = {
    label: 'SkyfloSchedule',
    list: () => deps.source.list(),
    read: async (raw) => {
      const entry = await declared(raw, deps);
      if (!entry || 'refused' in entry) return entry;
      return { key: entry.key, value: { ownerId: entry.ownerId, input: entry.input } };
    },
    managed: () => deps.store.listManaged(),
    keyOf: (record) => record.managedBy!,
    same: (record, value) => sameAs(record, columnsOf(value.ownerId, value.input)),
    async create(key, value) {
      const at = now();
      try {
        return await deps.store.create({ ...columnsOf(value.ownerId, value.input), managedBy: key, createdAt: at, updatedAt: at });
      } catch (error) {
        if (isUniqueViolation(error)) return undefined; // another replica created it in the meantime
        throw error;
      }
    },
    update: (record, value) => deps.store.update(record.id, { ...columnsOf(value.ownerId, value.input), updatedAt: now() }, { ifUpdatedAt: record.updatedAt }),
    disable: async (record) => (record.enabled ? deps.store.update(record.id, { enabled: false, updatedAt: now() }, { ifUpdatedAt: record.updatedAt }) : undefined),
    remove: (record) => deps.store.delete(record.id),
    audit: {
      created: (record, key) => audit('schedule.created', record, key, { schedule: record.schedule, time_zone: record.timeZone, mode: record.mode }),
      updated: (record, key, reason) =>
        reason !== undefined ? audit('schedule.updated', record, key, { enabled: false, reason }) : audit('schedule.updated', record, key, { schedule: record.schedule, time_zone: record.timeZone, mode: record.mode, enabled: record.enabled }),
      deleted: (record, key) => audit('schedule.deleted', record, key),
    },
  };
  return createDeclaredSync(kind, deps.logger);
}

export type ClusterScheduleSync = ReturnType<typeof createClusterScheduleSync>;

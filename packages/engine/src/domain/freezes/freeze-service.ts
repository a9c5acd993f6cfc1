/**
 * Change freezes managed by admins (issue 76: each change audited in the same transaction) and asked by the gate:
 * the freeze holding now for a call's cluster and namespaces. Read from the database every time, so every replica
 * sees a new freeze at once.
 */
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import type { FreezeInput, FreezeView } from '@skyflo/protocol';
import type { FreezeFields, FreezeRecord, FreezeStore, TransactionalStores } from '../../platform/ports/index.ts';
import { managedRefusal } from '@skyflo/safety/declared';
import { activeFreeze, isTimeZone, windowAt, windowProblem, type FreezeHit } from '@skyflo/safety/freezes';

export class FreezeError extends SkyfloError {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FreezeError';
  }
}

export function freezeView(record: FreezeRecord, now: number): FreezeView {
  const window = windowAt(record, now);
  return {
    id: record.id,
    name: record.name,
    starts_at: record.startsAt.toISOString(),
    ends_at: record.endsAt.toISOString(),
    ...(record.recurrence ? { recurrence: record.recurrence } : {}),
    ...(record.timeZone ? { time_zone: record.timeZone } : {}),
    ...(record.clusters ? { clusters: record.clusters } : {}),
    ...(record.namespaces ? { namespaces: record.namespaces } : {}),
    reason: record.reason,
    managed_by: record.managedBy,
    created_at: record.createdAt.toISOString(),
    active_until: window ? new Date(window.end).toISOString() : null,
  };
}

function fieldsOf(input: FreezeInput): FreezeFields {
  if (input.time_zone !== undefined && !isTimeZone(input.time_zone)) throw new FreezeError(400, 'INVALID_INPUT', `time_zone: "${input.time_zone}" is not a time zone this engine knows (an IANA name such as Europe/Berlin)`);
  const fields: FreezeFields = {
    name: input.name,
    startsAt: new Date(input.starts_at),
    endsAt: new Date(input.ends_at),
    ...(input.recurrence ? { recurrence: input.recurrence } : {}),
    ...(input.time_zone ? { timeZone: input.time_zone } : {}),
    ...(input.clusters && input.clusters.length > 0 ? { clusters: input.clusters } : {}),
    ...(input.namespaces && input.namespaces.length > 0 ? { namespaces: input.namespaces } : {}),
    reason: input.reason,
  };
  const problem = windowProblem(fields);
  if (problem) throw new FreezeError(400, 'INVALID_INPUT', problem);
  return fields;
}

const audited = (view: FreezeView) => ({ name: view.name, starts_at: view.starts_at, ends_at: view.ends_at, recurrence: view.recurrence ?? null, time_zone: view.time_zone ?? null, clusters: view.clusters ?? null, namespaces: view.namespaces ?? null, reason: view.reason });

export interface FreezeServiceDeps {
  store: Pick<FreezeStore, 'list'>;
  atomically<T>(work: (stores: TransactionalStores) => Promise<T>): Promise<T>;
  now?: () => number;
}

interface Actor {
  id: string;
  ip?: string | undefined;
}

export function createFreezeService(deps: FreezeServiceDeps) {
  const now = () => deps.now?.() ?? Date.now();
  return {
    async list(): Promise<FreezeView[]> {
      const at = now();
      return (await deps.store.list()).map((record) => freezeView(record, at));
    },

    async create(actor: Actor, input: FreezeInput): Promise<FreezeView> {
      const fields = fieldsOf(input);
      return deps.atomically(async (stores) => {
        const created = await stores.freezes.insert({ ...fields, createdBy: actor.id });
        if (!created) throw new FreezeError(409, 'FREEZE_NAME_TAKEN', `A freeze named "${input.name}" already exists.`);
        const view = freezeView(created, now());
        await stores.audit.record({ actorId: actor.id, action: 'freeze.created', subjectType: 'freeze', subjectId: created.id, details: audited(view), ...(actor.ip ? { ip: actor.ip } : {}) });
        return view;
      });
    },

    async update(actor: Actor, id: string, input: FreezeInput): Promise<FreezeView> {
      const fields = fieldsOf(input);
      return deps.atomically(async (stores) => {
        const before = (await stores.freezes.list()).find((record) => record.id === id);
        if (!before) throw new FreezeError(404, 'FREEZE_NOT_FOUND', `No freeze ${id}.`);
        if (before.managedBy) throw new FreezeError(409, 'MANAGED_BY_DECLARATION', managedRefusal(`Freeze "${before.name}"`, before.managedBy));
        if (input.name !== before.name && (await stores.freezes.list()).some((other) => other.name === input.name)) throw new FreezeError(409, 'FREEZE_NAME_TAKEN', `A freeze named "${input.name}" already exists.`);
        const updated = await stores.freezes.update(id, fields);
        if (!updated) throw new FreezeError(404, 'FREEZE_NOT_FOUND', `No freeze ${id}.`);
        const view = freezeView(updated, now());
        await stores.audit.record({ actorId: actor.id, action: 'freeze.changed', subjectType: 'freeze', subjectId: id, details: { ...audited(view), previous: audited(freezeView(before, now())) }, ...(actor.ip ? { ip: actor.ip } : {}) });
        return view;
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      await deps.atomically(async (stores) => {
        const found = (await stores.freezes.list()).find((record) => record.id === id);
        if (found?.managedBy) throw new FreezeError(409, 'MANAGED_BY_DECLARATION', managedRefusal(`Freeze "${found.name}"`, found.managedBy));
        const removed = await stores.freezes.remove(id);
        if (!removed) throw new FreezeError(404, 'FREEZE_NOT_FOUND', `No freeze ${id}.`);
        await stores.audit.record({ actorId: actor.id, action: 'freeze.deleted', subjectType: 'freeze', subjectId: id, details: audited(freezeView(removed, now())), ...(actor.ip ? { ip: actor.ip } : {}) });
      });
    },

    /**
     * The freeze holding now for a call on `cluster` writing `namespaces`. Freezes that cannot be read count as one
     * (fail closed): a change is refused rather than let through a freeze nobody could check.
     */
    async activeFor(call: { cluster?: string | undefined; namespaces: readonly string[] }): Promise<FreezeHit | undefined> {
      try {
        return activeFreeze(await deps.store.list(), call, now());
      } catch (error) {
        return { name: 'freezes unavailable', reason: `the change freezes could not be read (${error instanceof Error ? error.message : String(error)})`, endsAt: new Date(now()) };
      }
    },
  };
}

export type FreezeService = ReturnType<typeof createFreezeService>;

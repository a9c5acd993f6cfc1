/**
 * Scheduled checks (issue 81). Any signed-in person (a session; API tokens have no scope for these, so they are
 * refused) manages their own schedules; an admin sees and manages everyone's. Someone else's schedule answers 404,
 * as an unknown one does. A member scoped to clusters or namespaces may schedule only inside them (the run is held to
 * the scope by the gate as well). Every change is audited.
 *   GET    /schedules               → ScheduleList (admin: all; others: their own)
 *   POST   /schedules               → Schedule, 201
 *   GET    /schedules/{id}          → Schedule
 *   PUT    /schedules/{id}          → Schedule (the whole schedule again)
 *   DELETE /schedules/{id}          → 204
 *   GET    /schedules/{id}/runs     → ScheduleRunList (newest first, ?limit= up to 100)
 *   POST   /schedules/{id}/run      → ScheduleRun, 202 (runs now, outside the schedule)
 * A schedule declared in the cluster (a SkyfloSchedule object, schedules/cluster-schedules.ts) shows `managed_by`; it
 * is changed by changing its object, so PUT and DELETE answer 409 naming it (run now works).
 */
import { scheduleInputSchema, type FindingsDiff, type ParsedScheduleInput, type Schedule, type ScheduleRun } from '@skyflo/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MemberScope } from '@skyflo/protocol';
import type { AuditLog } from '../../../platform/ports/index.ts';
import { managedRefusal } from '@skyflo/safety/declared';
import { scheduleColumns, scheduleOutOfScope } from '../../../app/schedules/schedule-input.ts';
import { CronError, nextTick, validateCron } from '../../../app/schedules/cron.ts';
import type { ScheduleRecord, ScheduleRunRecord, ScheduleStore } from '../../../platform/ports/schedules.ts';
import type { Scheduler } from '../../../app/schedules/scheduler.ts';
import { HttpError } from '../../plugins/http-error.ts';
import { parseInput } from '../../plugins/parse-input.ts';

export interface ScheduleRouteDeps {
  store: ScheduleStore;
  scheduler: () => Scheduler;
  audit: AuditLog;
  scopeOf: (userId: string) => Promise<MemberScope | undefined>;
  now?: () => number;
}

export function scheduleView(record: ScheduleRecord, now: number): Schedule {
  let next: Date | undefined;
  try {
    next = record.enabled ? nextTick(record.schedule, record.timeZone, now) : undefined;
  } catch {
    next = undefined;
  }
  return {
    id: record.id,
    owner_id: record.ownerId,
    ...(record.ownerEmail ? { owner_email: record.ownerEmail } : {}),
    name: record.name,
    schedule: record.schedule,
    time_zone: record.timeZone,
    prompt: record.prompt,
    cluster: record.cluster,
    namespaces: record.namespaces,
    mode: record.mode,
    notify: record.notify as Schedule['notify'],
    enabled: record.enabled,
    managed_by: record.managedBy,
    next_run_at: next ? next.toISOString() : null,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

export function scheduleRunView(run: ScheduleRunRecord): ScheduleRun {
  return {
    id: run.id,
    schedule_id: run.scheduleId,
    tick: run.tick.toISOString(),
    trigger: run.trigger,
    status: run.status,
    conversation_id: run.conversationId,
    findings: run.findings,
    diff: (run.diff as FindingsDiff | null) ?? null,
    detail: run.detail,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt ? run.finishedAt.toISOString() : null,
  };
}

const idParams = z.object({ id: z.uuid('the schedule id is a UUID') });
const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const scheduleRoutes: FastifyPluginAsync<ScheduleRouteDeps> = async (app, deps) => {
  const now = deps.now ?? Date.now;

  /** the schedule if the caller may see it (its owner, or an admin); 404 otherwise, as for an unknown id */
  async function visible(request: FastifyRequest): Promise<ScheduleRecord> {
    const { id } = parseInput(idParams, request.params, 'path');
    const found = await deps.store.get(id);
    if (!found || (found.ownerId !== request.user.id && request.user.role !== 'admin')) throw new HttpError(404, `No schedule ${id}`, 'NOT_FOUND');
    return found;
  }

  async function checked(request: FastifyRequest): Promise<ParsedScheduleInput> {
    const input = parseInput(scheduleInputSchema, request.body);
    try {
      validateCron(input.schedule, input.time_zone);
    } catch (error) {
      if (error instanceof CronError) throw new HttpError(400, error.message, 'INVALID_SCHEDULE');
      throw error;
    }
    if (request.user.role !== 'admin') {
      const outside = scheduleOutOfScope(input, await deps.scopeOf(request.user.id));
      if (outside) throw new HttpError(403, outside, 'OUT_OF_SCOPE');
    }
    return input;
  }

  const record = (request: FastifyRequest, action: string, schedule: ScheduleRecord, details: Record<string, unknown> = {}) =>
    deps.audit.record({ actorId: request.user.id, action, subjectType: 'schedule', subjectId: schedule.id, ip: request.ip, details: { name: schedule.name, owner_id: schedule.ownerId, ...details } });

  app.get('/schedules', async (request) => {
    const list = await deps.store.list(request.user.role === 'admin' ? undefined : request.user.id);
    return { data: list.map((item) => scheduleView(item, now())) };
  });

  app.post('/schedules', async (request, reply) => {
    const input = await checked(request);
    const at = new Date(now());
    const created = await deps.store.create({ ownerId: request.user.id, ...scheduleColumns(input), createdAt: at, updatedAt: at });
    await record(request, 'schedule.created', created, { schedule: created.schedule, time_zone: created.timeZone, mode: created.mode });
    return reply.code(201).send(scheduleView({ ...created, ownerEmail: request.user.email }, now()));
  });

  app.get('/schedules/:id', async (request) => scheduleView(await visible(request), now()));

  /** a SkyfloSchedule's copy is the cluster's: an API edit would be undone at the next sync, so it is refused */
  function editable(found: ScheduleRecord): void {
    if (found.managedBy) throw new HttpError(409, managedRefusal(`Schedule "${found.name}"`, found.managedBy), 'MANAGED_BY_DECLARATION');
  }

  app.put('/schedules/:id', async (request) => {
    const found = await visible(request);
    editable(found);
    const input = await checked(request);
    const updated = await deps.store.update(found.id, { ...scheduleColumns(input), updatedAt: new Date(now()) });
    if (!updated) throw new HttpError(404, `No schedule ${found.id}`, 'NOT_FOUND');
    await record(request, 'schedule.updated', updated, { schedule: updated.schedule, time_zone: updated.timeZone, mode: updated.mode, enabled: updated.enabled });
    return scheduleView({ ...updated, ...(found.ownerEmail ? { ownerEmail: found.ownerEmail } : {}) }, now());
  });

  app.delete('/schedules/:id', async (request, reply) => {
    const found = await visible(request);
    editable(found);
    await deps.store.delete(found.id);
    await record(request, 'schedule.deleted', found);
    return reply.code(204).send();
  });

  app.get('/schedules/:id/runs', async (request) => {
    const found = await visible(request);
    const { limit } = parseInput(runsQuery, request.query, 'query');
    return { data: (await deps.store.runs(found.id, limit)).map(scheduleRunView) };
  });

  app.post('/schedules/:id/run', async (request, reply) => {
    const found = await visible(request);
    let run: ScheduleRunRecord;
    try {
      run = await deps.scheduler().runNow(found);
    } catch (error) {
      throw new HttpError(409, error instanceof Error ? error.message : String(error), 'RUN_IN_PROGRESS');
    }
    await record(request, 'schedule.run_requested', found, { run_id: run.id });
    return reply.code(202).send(scheduleRunView(run));
  });
};

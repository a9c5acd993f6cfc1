/**
 * The scheduler of scheduled checks (issue 81). On each beat every replica looks at every enabled schedule's newest
 * tick at or before now; the replica whose claim of (schedule, tick) inserts the row runs it (schedule-store.ts), so a
 * tick runs once across replicas, and a replica that dies after its claim leaves no second run behind. Only the newest
 * tick is ever considered: ticks missed while every engine was down run once at the next start (the beat after
 * listen), never once per missed tick. A tick at or before the schedule's creation never runs.
 *
 * A run is a conversation of the schedule's owner (looked up again: a deactivated owner's schedule is skipped),
 * started through the agent like their own chat, so it counts against their CONVERSATIONS_PER_MINUTE and
 * MAX_RUNS_PER_USER and the run's token budget, and its chat.request is attributed `via: "schedule: <name>"`. A
 * read-only schedule's run proposes no change (the gate refuses it, run-calls.ts). When it ends, its findings are
 * compared with the previous run's and the difference is announced (findings.ts).
 */
import type { AgentService } from '../agent/create-agent-service.ts';
import type { AuditLog, AuthenticatedUser, ConversationStore, UserStore } from '../../platform/ports/index.ts';
import type { FindingsDiff } from '@skyflo/protocol';
import { latestTick } from './cron.ts';
import { describeDiff, diffFindings, extractFindings } from './findings.ts';
import type { ScheduleRecord, ScheduleRunRecord, ScheduleStore } from '../../platform/ports/schedules.ts';

export interface ScheduleOutcome {
  schedule: ScheduleRecord;
  run: ScheduleRunRecord;
  conversationId?: string;
  diff?: FindingsDiff;
  summary: string;
}

export interface SchedulerDeps {
  store: ScheduleStore;
  users: Pick<UserStore, 'findById'>;
  conversations: Pick<ConversationStore, 'get' | 'update'>;
  audit: AuditLog;
  agent: () => Pick<AgentService, 'prepareChat'> | undefined;
  /** CONVERSATIONS_PER_MINUTE for the owner (throws when exceeded) */
  admit?: (userId: string) => Promise<void>;
  /** where the run's result goes (its schedule's notify channels) */
  notify(outcome: ScheduleOutcome): Promise<void>;
  /** epoch ms; tests drive the clock */
  now?: () => number;
  logger?: { error(object: unknown, message?: string): void };
}

/** What the model is told besides the schedule's prompt: its scope, its mode, and to end with a list to compare. */
export function schedulePrompt(schedule: Pick<ScheduleRecord, 'name' | 'prompt' | 'cluster' | 'namespaces' | 'mode'>): string {
  const scope = [schedule.cluster ? `cluster ${schedule.cluster}` : '', schedule.namespaces.length > 0 ? `namespaces ${schedule.namespaces.join(', ')}` : ''].filter(Boolean).join(', ');
  return [
    `Scheduled check "${schedule.name}".`,
    schedule.prompt,
    scope ? `Look only at ${scope}.` : '',
    schedule.mode === 'read_only' ? 'This check is read-only: use read-only tools and do not propose changes.' : 'If a change is needed, propose it: it will wait for a person to approve it.',
    'End with the findings as a list, one problem per line starting with "- " (no list when nothing is wrong).',
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** How long a run may stay `running` before it counts as abandoned by an engine that stopped (1 hour). */
export const abandonedAfterMs = 60 * 60_000;

export function createScheduler(deps: SchedulerDeps) {
  const now = deps.now ?? Date.now;
  const settled = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function conclusionOf(conversationId: string): Promise<string> {
    const conversation = await deps.conversations.get(conversationId);
    const last = [...(conversation?.timeline ?? [])].reverse().find((entry) => entry.type === 'assistant') as { segments?: Array<{ kind: string; text?: string }> } | undefined;
    return (last?.segments ?? []).filter((segment) => segment.kind === 'text').map((segment) => segment.text ?? '').join('').trim();
  }

  async function finish(schedule: ScheduleRecord, run: ScheduleRunRecord, status: 'skipped' | 'failed', detail: string): Promise<ScheduleOutcome> {
    await deps.store.updateRun(run.id, { status, detail, finishedAt: new Date(now()) });
    await deps.audit.record({ actorId: schedule.ownerId, action: `schedule.${status}`, subjectType: 'schedule', subjectId: schedule.id, details: { schedule: schedule.name, attributed_to: `schedule: ${schedule.name}`, run_id: run.id, tick: run.tick.toISOString(), reason: detail } });
    return { schedule, run: { ...run, status, detail }, summary: `${schedule.name}: ${detail}` };
  }

  /** Runs one claimed tick (or manual run) to its end. */
  async function execute(schedule: ScheduleRecord, run: ScheduleRunRecord): Promise<ScheduleOutcome> {
    const owner = await deps.users.findById(schedule.ownerId);
    if (!owner?.isActive) return finish(schedule, run, 'skipped', 'the owner of the schedule is no longer active');
    const user: AuthenticatedUser = { id: owner.id, email: owner.email, role: owner.role };
    const agent = deps.agent();
    if (!agent) return finish(schedule, run, 'failed', 'the agent service is not ready');
    let started: Awaited<ReturnType<typeof agent.prepareChat>>;
    try {
      await deps.admit?.(owner.id);
      started = await agent.prepareChat({ user, message: schedulePrompt(schedule), ...(schedule.cluster ? { context: schedule.cluster } : {}), schedule: { name: schedule.name, readOnly: schedule.mode === 'read_only' } });
    } catch (error) {
      // the owner's limits (conversations per minute, runs at once) or the cluster: this tick is skipped, not retried
      return finish(schedule, run, 'skipped', error instanceof Error ? error.message : String(error));
    }
    await deps.store.updateRun(run.id, { conversationId: started.conversationId });
    let status: string;
    try {
      status = (await started.start()).status;
    } catch (error) {
      return finish(schedule, { ...run, conversationId: started.conversationId }, 'failed', error instanceof Error ? error.message : String(error));
    }
    const title = `Schedule: ${schedule.name} · ${run.tick.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    await deps.conversations.update(started.conversationId, { title: title.slice(0, 255) }).catch(() => undefined);
    const findings = extractFindings(await conclusionOf(started.conversationId));
    const diff = diffFindings(await deps.store.previousFindings(schedule.id, run.id), findings);
    const finishedAt = new Date(now());
    await deps.store.updateRun(run.id, { status: 'completed', findings, diff, finishedAt });
    await deps.audit.record({
      actorId: schedule.ownerId,
      action: 'schedule.completed',
      conversationId: started.conversationId,
      subjectType: 'schedule',
      subjectId: schedule.id,
      details: { schedule: schedule.name, attributed_to: `schedule: ${schedule.name}`, run_id: run.id, tick: run.tick.toISOString(), trigger: run.trigger, run_status: status, new: diff.new.length, resolved: diff.resolved.length, persists: diff.persists.length },
    });
    const outcome: ScheduleOutcome = { schedule, run: { ...run, status: 'completed', conversationId: started.conversationId, findings, diff, finishedAt }, conversationId: started.conversationId, diff, summary: describeDiff(schedule.name, diff) };
    await deps.notify(outcome).catch((error: unknown) => deps.logger?.error({ err: error, schedule: schedule.id }, 'could not announce a scheduled check'));
    return outcome;
  }

  function track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.catch((error: unknown) => {
      deps.logger?.error({ err: error }, 'a scheduled check failed');
      return undefined;
    });
    settled.add(tracked);
    void tracked.finally(() => settled.delete(tracked));
    return work;
  }

  return {
    /**
     * One beat: claims every due tick this replica wins and starts its run (which goes on in the background).
     * Answers the runs it claimed.
     */
    async tick(): Promise<ScheduleRunRecord[]> {
      if (stopped) return [];
      const at = now();
      // A run is never that long (the run's own lease and token budget end it first); one still `running` after
      // this lost its engine. Its tick is not run again: the next tick is the check's next chance.
      await deps.store.closeAbandoned(new Date(at - abandonedAfterMs), new Date(at));
      const claimed: ScheduleRunRecord[] = [];
      for (const schedule of await deps.store.listEnabled()) {
        let due: Date | undefined;
        try {
          due = latestTick(schedule.schedule, schedule.timeZone, at);
        } catch {
          continue; // validated when saved; a zone the runtime dropped since is skipped, not fatal to the others
        }
        if (!due || due.getTime() <= schedule.createdAt.getTime()) continue;
        const run = await deps.store.claim(schedule.id, due, 'tick', new Date(at));
        if (!run) continue;
        claimed.push(run);
        void track(execute(schedule, run));
      }
      return claimed;
    },
    /** POST /schedules/{id}/run: a run now, outside the schedule (its own row, keyed by the moment it was asked for). */
    async runNow(schedule: ScheduleRecord): Promise<ScheduleRunRecord> {
      const at = new Date(now());
      const run = await deps.store.claim(schedule.id, at, 'manual', at);
      if (!run) throw new Error('a run of this schedule was asked for at this very moment already');
      void track(execute(schedule, run));
      return run;
    },
    /** runs `tick` every `intervalMs`, the first at once (a tick missed while down runs on start) */
    start(intervalMs: number): void {
      const beat = () => void this.tick().catch((error: unknown) => deps.logger?.error({ err: error }, 'the scheduler could not read the schedules'));
      beat();
      timer = setInterval(beat, intervalMs);
      timer.unref();
    },
    /** resolves when every run started so far has ended (tests, shutdown) */
    async idle(): Promise<void> {
      while (settled.size > 0) await Promise.all([...settled]);
    },
    async close(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      await this.idle();
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;

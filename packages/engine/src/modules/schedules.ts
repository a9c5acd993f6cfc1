/**
 * Scheduled checks (issue 81) for the composition root (create-engine.ts): ticks claimed in the database, run as the
 * owner's conversations, their results announced; an in-cluster install's SkyfloSchedule objects kept as schedules;
 * and their routes.
 */
import type { Config } from '../platform/config/index.ts';
import type { MountedRoutes } from '../http/app.ts';
import { scheduleRoutes, type ScheduleRouteDeps } from '../http/routes/schedules/index.ts';
import type { PlatformStorage } from '../platform/ports/index.ts';
import { createClusterScheduleSync } from '../app/schedules/cluster-schedules.ts';
import { createKubernetesScheduleSource } from '../app/schedules/kubernetes-schedule-source.ts';
import { createScheduler, type SchedulerDeps } from '../app/schedules/scheduler.ts';
import type { TeamFeatures } from './team-features.ts';

/** the channels a schedule notifies, by the names of the team features' sinks */
const scheduleChannels: Record<string, string> = { slack: 'slack', teams: 'teams', webhook: 'webhooks' };

export interface SchedulesDeps {
  config: Pick<Config, 'server'>;
  storage: PlatformStorage;
  /** the agent service, once the composition root has it */
  agent: SchedulerDeps['agent'];
  /** a user's conversation quota (the app's, once it is built) */
  admit: NonNullable<SchedulerDeps['admit']>;
  /** the scheduler's clock (tests drive it) */
  now: () => number;
  scopeOf: (userId: string) => Promise<import('@skyflo/protocol').MemberScope | undefined>;
  team: Pick<TeamFeatures, 'hub' | 'notifier' | 'publicUrl'>;
  logger: { error(object: unknown, message?: string): void; warn(object: unknown, message?: string): void; info(object: unknown, message?: string): void };
}

export async function createSchedules(deps: SchedulesDeps) {
  const { config, storage, team, now, scopeOf, logger } = deps;
  // Scheduled checks (issue 81): ticks claimed in the database, run as the owner's conversations.
  const scheduler = createScheduler({
    store: storage.schedules,
    users: storage.users,
    conversations: storage.conversations,
    audit: storage.audit,
    agent: deps.agent,
    admit: deps.admit,
    now,
    logger,
    notify: async ({ schedule, conversationId, summary }) => {
      const title = `Schedule: ${schedule.name}`;
      if (schedule.notify.includes('in_app')) await team.hub.publish(schedule.ownerId, { kind: 'schedule.completed', conversation_id: conversationId ?? '', conversation_title: title, summary });
      const sinks = schedule.notify.map((channel) => scheduleChannels[channel]).filter((name): name is string => name !== undefined);
      if (sinks.length > 0 && conversationId) {
        team.notifier.announce({ type: 'schedule.completed', at: now(), conversation_id: conversationId, conversation_title: title, conversation_url: `${team.publicUrl.base()}/chat/${conversationId}`, schedule: schedule.name, status: 'completed', conclusion: summary }, sinks);
      }
    },
  });
  // Issue 81: an in-cluster install's SkyfloSchedule objects, kept as schedules (read with the engine's own identity)
  const clusterSchedules = config.server.clusterSchedules
    ? createClusterScheduleSync({ source: await createKubernetesScheduleSource({ namespace: config.server.clusterSchedules.namespace, ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }), store: storage.schedules, users: storage.users, scopeOf, audit: storage.audit, now, logger })
    : undefined;
  const routes: MountedRoutes<any>[] = [{ plugin: scheduleRoutes, options: { store: storage.schedules, scheduler: () => scheduler, audit: storage.audit, scopeOf, now } satisfies ScheduleRouteDeps }];
  return {
    scheduler,
    clusterSchedules,
    routes,
    /** once the engine listens: the scheduler's first beat at once (a tick missed while no engine ran runs now, once) */
    start(beatMs: number) {
      scheduler.start(beatMs);
      clusterSchedules?.start(config.server.clusterSchedules!.intervalMs);
    },
    async close() {
      await scheduler.close();
      await clusterSchedules?.close();
    },
  };
}

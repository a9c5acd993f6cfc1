/**
 * User notifications: the per-user in-app stream (GET /notifications/stream), not the team's outgoing channels
 * (webhooks, Slack: TeamEventSink in team-event.ts). Carried over the event bus: each user has one channel (`notifications:<user id>`), so a
 * notification published by the engine process that ran the run reaches that user's stream on any process (Redis
 * bus), and a reconnecting stream can resume after its Last-Event-ID from the bus's replay buffer.
 */
import { randomUUID } from 'node:crypto';
import type { Notification } from '@skyflo/protocol';
import type { BusMessage, EventBus } from '../../platform/ports/index.ts';

export interface UserNotificationHub {
  publish(userId: string, notification: Omit<Notification, 'id' | 'at'>): Promise<void>;
  /** Delivers notifications after `afterIndex` (buffered ones first), then live ones, until unsubscribed. */
  subscribe(userId: string, onNotification: (notification: Notification, index: number) => void, afterIndex?: number): Promise<() => Promise<void>>;
}

const channelOf = (userId: string) => `notifications:${userId}`;

export function createUserNotificationHub(deps: { bus: EventBus; logger?: { warn(object: unknown, message?: string): void } }): UserNotificationHub {
  return {
    async publish(userId, notification) {
      const full: Notification = { id: randomUUID(), at: Date.now(), ...notification };
      await deps.bus.publish(channelOf(userId), 'notification', full as unknown as Record<string, unknown>).catch((error: unknown) => {
        deps.logger?.warn({ err: error, userId, kind: notification.kind }, 'could not publish a notification');
      });
    },
    subscribe(userId, onNotification, afterIndex = 0) {
      return deps.bus.subscribe(channelOf(userId), (message: BusMessage) => onNotification(message.data as unknown as Notification, message.index), { afterIndex });
    },
  };
}

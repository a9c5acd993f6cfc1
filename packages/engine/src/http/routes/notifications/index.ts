/**
 * GET /notifications/stream — the caller's notifications as SSE (one stream per tab, not polling): `ready` first,
 * then `notification` frames (protocol `Notification`) as calls start waiting, are decided and runs end, with a
 * heartbeat comment while quiet. A reconnecting client sends Last-Event-ID and gets what it missed (bus replay
 * buffer); a fresh connection gets only what happens from now on (it reads the current list with GET
 * /approvals/pending).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { UserNotificationHub } from '../../../app/team-events/user-notification-hub.ts';
import { parseInput } from '../../plugins/parse-input.ts';
import { openEventStream, sseFrame } from '../agent/stream-run.ts';

export interface NotificationRouteDeps {
  hub: UserNotificationHub;
  heartbeatMs: number;
}

const resumeSchema = z.object({ last_event_id: z.coerce.number({ error: 'Last-Event-ID must be a number' }).int().min(0).optional() });

export const notificationRoutes: FastifyPluginAsync<NotificationRouteDeps> = async (app, { hub, heartbeatMs }) => {
  app.get<{ Querystring: { last_event_id?: string } }>('/notifications/stream', async (request, reply) => {
    const { last_event_id: afterIndex } = parseInput(resumeSchema, { last_event_id: request.headers['last-event-id'] ?? request.query.last_event_id }, 'query');
    const connectedAt = Date.now();
    const response = openEventStream(reply);
    response.write(sseFrame('ready', { type: 'ready', user_id: request.user.id }));
    let open = true;
    const unsubscribe = await hub.subscribe(
      request.user.id,
      (notification, index) => {
        // Without Last-Event-ID, what the buffer holds from before this connection is old news.
        if (!open || (afterIndex === undefined && notification.at < connectedAt)) return;
        response.write(sseFrame('notification', notification, index));
      },
      afterIndex ?? 0,
    );
    const heartbeat = setInterval(() => open && response.write(`: heartbeat ${Date.now()}\n\n`), heartbeatMs);
    heartbeat.unref();
    await new Promise<void>((resolve) => {
      const close = () => {
        if (!open) return;
        open = false;
        clearInterval(heartbeat);
        void unsubscribe().catch(() => undefined);
        if (!response.writableEnded) response.end();
        resolve();
      };
      response.on('close', close);
      if (response.destroyed) close();
    });
  });
};

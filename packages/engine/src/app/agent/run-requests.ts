/**
 * The requests about a run already started: stop it (through the bus, wherever it runs), and check a stream may
 * re-attach to its events (they are kept for EVENT_BUFFER_TTL_SECONDS after it finished).
 */
import { BusPublishError } from '../../platform/ports/bus-publish-error.ts';
import { AgentRequestError } from '../../platform/errors/agent-request-error.ts';
import type { AgentContext } from './agent-context.ts';
import type { AgentService } from './agent-service-types.ts';

export function createRunRequests({ deps, storage, accessibleConversation }: Pick<AgentContext, 'deps' | 'storage' | 'accessibleConversation'>): Pick<AgentService, 'stop' | 'assertRunEvents'> {
  return {
    async stop({ user, conversationId, runId }) {
      await accessibleConversation(user, conversationId, 'act');
      const run = await storage.runs.get(runId);
      if (run && run.conversationId !== conversationId) throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} does not belong to conversation ${conversationId}`);
      // Through the bus, so the engine process running the workflow aborts it, whichever one that is.
      try {
        await deps.bus.requestStop(runId);
      } catch (error) {
        // Redis down: a run of this process was still stopped locally; one elsewhere cannot be reached now.
        if (error instanceof BusPublishError && error.deliveredLocally) return;
        throw new AgentRequestError(503, 'EVENT_BUS_UNAVAILABLE', `The stop could not be delivered: ${error instanceof Error ? error.message : String(error)}. Try again when GET /api/v1/health reports the bus ok.`);
      }
    },

    async assertRunEvents({ user, conversationId, runId }) {
      await accessibleConversation(user, conversationId, 'act');
      const run = await storage.runs.get(runId);
      if (!run || run.conversationId !== conversationId) {
        throw new AgentRequestError(404, 'RUN_NOT_FOUND', `Run ${runId} not found in conversation ${conversationId}; use the run_id of the \`ready\` event of a chat or approval stream.`);
      }
      const expiredBefore = Date.now() - deps.config.runEventsTtlSeconds * 1000;
      if (run.finishedAt && run.finishedAt.getTime() < expiredBefore) {
        throw new AgentRequestError(
          404,
          'RUN_EVENTS_EXPIRED',
          `Run ${runId} finished at ${run.finishedAt.toISOString()} and its events are no longer kept (EVENT_BUFFER_TTL_SECONDS); read the outcome with GET /conversations/${conversationId}.`,
        );
      }
    },
  };
}

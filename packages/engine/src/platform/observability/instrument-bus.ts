/**
 * Counts what runs do from the events they publish: every run event goes through the bus, so a decorator around
 * publish sees runs end, approvals decided, tools run and tokens spent without touching the workflow. Subscriptions
 * are the open SSE streams.
 */
import type { EventBus } from '../ports/index.ts';
import type { EngineMetrics } from './metrics.ts';

/** `onPublish`: told of every event published (the idle heap trim waits until runs are quiet, memory/idle-heap-trim.ts). */
export function instrumentEventBus(bus: EventBus, metrics: EngineMetrics, onPublish?: () => void): EventBus {
  // tool executions in flight, by run and call id: when they started
  const started = new Map<string, number>();

  const observe = (runId: string, event: string, data: Record<string, unknown>) => {
    const callKey = `${runId}\u0000${String(data['call_id'] ?? '')}`;
    switch (event) {
      case 'completed': {
        const outcome = data['awaiting_approval'] === true ? 'awaiting_approval' : String(data['status'] ?? 'unknown');
        metrics.runs.inc({ outcome });
        return;
      }
      case 'tool.approved':
        metrics.approvals.inc({ decision: 'approved' });
        return;
      case 'tool.denied':
        metrics.approvals.inc({ decision: 'denied' });
        return;
      case 'tool.executing':
        started.set(callKey, performance.now());
        return;
      case 'tool.result':
      case 'tool.error': {
        const begun = started.get(callKey);
        // A tool.error without tool.executing is a refusal before running (invalid args, not approved): not a call.
        if (begun === undefined) return;
        started.delete(callKey);
        const labels = { tool: String(data['tool'] ?? 'unknown'), outcome: event === 'tool.result' ? 'ok' : 'error' };
        metrics.toolCalls.inc(labels);
        metrics.toolDuration.observe(labels, (performance.now() - begun) / 1000);
        return;
      }
      case 'token.usage': {
        const model = String(data['model'] ?? 'unknown');
        const cached = Number(data['cached_tokens'] ?? 0);
        metrics.llmTokens.inc({ model, kind: 'prompt' }, Number(data['prompt_tokens'] ?? 0));
        metrics.llmTokens.inc({ model, kind: 'completion' }, Number(data['completion_tokens'] ?? 0));
        if (cached > 0) metrics.llmTokens.inc({ model, kind: 'cached' }, cached);
        return;
      }
      case 'ttft':
        metrics.llmTtft.observe(Number(data['duration'] ?? 0));
        return;
      default:
    }
  };

  return {
    requestStop: (runId) => bus.requestStop(runId),
    isStopRequested: (runId) => bus.isStopRequested(runId),
    onStop: (runId, callback) => bus.onStop(runId, callback),
    health: () => bus.health(),
    ...(bus.ping ? { ping: () => bus.ping!() } : {}),
    close: () => bus.close(),
    async publish(runId, event, data) {
      onPublish?.();
      const message = await bus.publish(runId, event, data);
      observe(runId, event, data);
      return message;
    },
    async subscribe(runId, onMessage, options) {
      const unsubscribe = await bus.subscribe(runId, onMessage, options);
      metrics.sseClients.inc();
      let open = true;
      return async () => {
        if (open) {
          open = false;
          metrics.sseClients.dec();
        }
        await unsubscribe();
      };
    },
  };
}

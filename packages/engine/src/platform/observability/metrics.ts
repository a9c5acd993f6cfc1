/**
 * What an operator graphs and alerts on (Prometheus, prom-client): HTTP traffic, runs by outcome, approvals by
 * decision, tool calls by tool and outcome with their duration, model tokens and time to first token, live SSE
 * clients, and whether the bus and the database answer. One registry per engine (no global default registry), so
 * tests and several engines in one process never share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface EngineMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  runs: Counter<'outcome'>;
  approvals: Counter<'decision'>;
  toolCalls: Counter<'tool' | 'outcome'>;
  toolDuration: Histogram<'tool' | 'outcome'>;
  llmTokens: Counter<'model' | 'kind'>;
  llmTtft: Histogram;
  sseClients: Gauge;
}

export interface HealthProbes {
  /** resolves when the database answers */
  database(): Promise<void>;
  /** true when the event bus's backend answers */
  bus(): Promise<boolean>;
}

export function createEngineMetrics(probes?: HealthProbes): EngineMetrics {
  const registry = new Registry();
  const registers = [registry];
  const metrics: EngineMetrics = {
    registry,
    httpRequests: new Counter({ name: 'skyflo_http_requests_total', help: 'HTTP requests by method, route pattern and status code', labelNames: ['method', 'route', 'status'], registers }),
    httpDuration: new Histogram({
      name: 'skyflo_http_request_duration_seconds',
      help: 'Time to answer an HTTP request (SSE streams: until the stream ends)',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    runs: new Counter({ name: 'skyflo_runs_total', help: 'Agent runs by how they ended (completed, awaiting_approval, stopped, error)', labelNames: ['outcome'], registers }),
    approvals: new Counter({ name: 'skyflo_approvals_total', help: 'Decisions on mutating tool calls (approved, denied)', labelNames: ['decision'], registers }),
    toolCalls: new Counter({ name: 'skyflo_tool_calls_total', help: 'Executed tool calls by tool and outcome (ok, error)', labelNames: ['tool', 'outcome'], registers }),
    toolDuration: new Histogram({
      name: 'skyflo_tool_call_duration_seconds',
      help: 'Time from the start of a tool execution to its result',
      labelNames: ['tool', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    llmTokens: new Counter({ name: 'skyflo_llm_tokens_total', help: 'Model tokens by model and kind (prompt, completion, cached)', labelNames: ['model', 'kind'], registers }),
    llmTtft: new Histogram({ name: 'skyflo_llm_time_to_first_token_seconds', help: 'Time from a model request to its first token', buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32], registers }),
    sseClients: new Gauge({ name: 'skyflo_sse_clients', help: 'Event streams currently open to clients', registers }),
  };
  if (probes) {
    new Gauge({
      name: 'skyflo_component_up',
      help: '1 when the component answers (database, bus), 0 when it does not; checked at scrape time',
      labelNames: ['component'],
      registers,
      async collect() {
        const [database, bus] = await Promise.all([
          probes.database().then(
            () => 1,
            () => 0,
          ),
          probes.bus().then(
            (up) => (up ? 1 : 0),
            () => 0,
          ),
        ]);
        this.set({ component: 'database' }, database);
        this.set({ component: 'bus' }, bus);
      },
    });
  }
  return metrics;
}

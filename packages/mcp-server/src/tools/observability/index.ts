import type { ToolDeps } from '../../deps/deps.ts';
import type { AnyToolDefinition } from '../../contract/tool-definition.ts';
import { lokiQueryRange } from './loki-query-range.ts';
import { prometheusAlerts } from './prometheus-alerts.ts';
import { prometheusQuery } from './prometheus-query.ts';
import { prometheusQueryRange } from './prometheus-query-range.ts';
import { prometheusSeries } from './prometheus-series.ts';

/**
 * The observability family (issue 36): read-only queries against the cluster's Prometheus (or Thanos, Mimir,
 * VictoriaMetrics: the same HTTP API) and Loki, whose URLs and credentials the engine hands over per call
 * (data-sources.ts). Offered to the model only when the conversation's cluster has such an integration.
 */
export const observabilityTools: AnyToolDefinition<ToolDeps>[] = [prometheusQuery, prometheusQueryRange, prometheusAlerts, prometheusSeries, lokiQueryRange];

import type { SimCluster } from '../cluster-types.ts';
import type { ControllerManager } from '../controllers/controller-manager.ts';
import type { ContainerLogs } from '../runtime/container-logs.ts';
import type { FaultRules } from '../runtime/fault-rules.ts';
import type { ResourceTypes } from './resource-types.ts';
import type { Timers } from './timers.ts';

/** Settings with the workload-side optional values resolved to their defaults. */
export interface ResolvedSettings {
  startDelayMs: number;
  readinessDelayMs: number;
  crashBackoffMs: number;
  jobDurationMs: number;
  terminationDelayMs: number;
  progressDeadlineMs?: number;
  logIntervalMs: number;
  hpaSyncPeriodMs: number;
  hpaDownscaleStabilizationMs: number;
  provisionDelayMs: number;
  /** how long one second of container time lasts: `sleep N`, probe periods and delays, client timeouts */
  secondMs: number;
  /** how long after a pods/exec stream opens its command starts, and a pods/attach stream sends its first frame (real milliseconds, not scaled by secondMs) */
  execStartDelayMs: number;
}

/** Everything a controller, subresource or the metrics API needs; built once by installWorkloads. */
export interface WorkloadContext {
  cluster: SimCluster;
  types: ResourceTypes;
  timers: Timers;
  manager: ControllerManager;
  logs: ContainerLogs;
  faults: FaultRules;
  /** read at use time: a scenario may change settings after install */
  settings(): ResolvedSettings;
  now(): Date;
  /** RFC 3339, whole seconds, like the API server writes timestamps */
  timestamp(): string;
}

export function resolveSettings(cluster: SimCluster): ResolvedSettings {
  const settings = cluster.settings;
  return {
    startDelayMs: settings.startDelayMs ?? 100,
    readinessDelayMs: settings.readinessDelayMs ?? 300,
    crashBackoffMs: settings.crashBackoffMs ?? 1000,
    jobDurationMs: settings.jobDurationMs ?? 500,
    terminationDelayMs: settings.terminationDelayMs ?? 200,
    progressDeadlineMs: settings.progressDeadlineMs,
    logIntervalMs: settings.logIntervalMs ?? 2000,
    hpaSyncPeriodMs: settings.hpaSyncPeriodMs ?? 15_000,
    hpaDownscaleStabilizationMs: settings.hpaDownscaleStabilizationMs ?? 300_000,
    provisionDelayMs: settings.provisionDelayMs ?? 500,
    secondMs: settings.secondMs ?? 1000,
    execStartDelayMs: settings.execStartDelayMs ?? 100,
  };
}

export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Schedules and their runs as the engine's code sees them (issue 81): the store's contract. The Drizzle adapter is
 * storage/schedule-store.ts; `claim` is the lease of a tick (one replica gets the row).
 */
import type { FindingsDiff } from '@skyflo/protocol';

export interface ScheduleRecord {
  id: string;
  ownerId: string;
  name: string;
  /** cron, five fields */
  schedule: string;
  timeZone: string;
  prompt: string;
  cluster: string | null;
  namespaces: string[];
  mode: 'read_only' | 'propose';
  notify: string[];
  enabled: boolean;
  /** "SkyfloSchedule <namespace>/<name>": declared in the cluster, changed only there; null: made in the API */
  managedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  ownerEmail?: string;
}

export interface ScheduleRunRecord {
  id: string;
  scheduleId: string;
  tick: Date;
  trigger: 'tick' | 'manual';
  status: 'running' | 'completed' | 'failed' | 'skipped';
  conversationId: string | null;
  findings: string[];
  diff: FindingsDiff | null;
  detail: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export type NewSchedule = Omit<ScheduleRecord, 'id' | 'ownerEmail' | 'createdAt' | 'updatedAt' | 'cluster' | 'namespaces' | 'notify' | 'enabled' | 'managedBy'> &
  Partial<Pick<ScheduleRecord, 'cluster' | 'namespaces' | 'notify' | 'enabled' | 'createdAt' | 'updatedAt' | 'managedBy'>>;
export type ScheduleChanges = Partial<Omit<NewSchedule, 'createdAt' | 'managedBy'>>;

export interface ScheduleStore {
  /** every schedule, or one owner's; newest first */
  list(ownerId?: string): Promise<ScheduleRecord[]>;
  listEnabled(): Promise<ScheduleRecord[]>;
  /** the schedules declared in the cluster (managedBy set) */
  listManaged(): Promise<ScheduleRecord[]>;
  get(id: string): Promise<ScheduleRecord | undefined>;
  create(record: NewSchedule): Promise<ScheduleRecord>;
  /** `ifUpdatedAt`: only when the row is still the one read (its updatedAt), so racing replicas change it once */
  update(id: string, changes: ScheduleChanges, options?: { ifUpdatedAt?: Date }): Promise<ScheduleRecord | undefined>;
  delete(id: string): Promise<boolean>;
  /** the lease: the new run's row, or undefined when another replica (or an earlier beat) took this tick */
  claim(scheduleId: string, tick: Date, trigger: 'tick' | 'manual', startedAt: Date): Promise<ScheduleRunRecord | undefined>;
  updateRun(runId: string, changes: { status?: ScheduleRunRecord['status']; conversationId?: string; findings?: string[]; diff?: FindingsDiff; detail?: string; finishedAt?: Date }): Promise<void>;
  /** newest first */
  runs(scheduleId: string, limit: number): Promise<ScheduleRunRecord[]>;
  /** the findings of the newest completed run other than `exceptRunId` (undefined: there is none) */
  previousFindings(scheduleId: string, exceptRunId: string): Promise<string[] | undefined>;
  /**
   * Runs left `running` by an engine that stopped mid-run: started before `startedBefore` and with no run of their
   * conversation still going (runs.status, whose leases the reconciler closes). Marked failed; answers how many.
   */
  closeAbandoned(startedBefore: Date, now: Date): Promise<number>;
}

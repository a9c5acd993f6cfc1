/**
 * The emergency stop (issue 76): one switch that leaves Skyflo read-only until an admin lifts it. It is kept in the
 * database's settings (so every replica reads the same state, the moment it is written) and announced on the bus.
 * While it is on, the gate refuses every mutating call before approval, the decision rules refuse every approval,
 * and an approved call that has not run yet is closed unrun, each with the code EMERGENCY_STOP; reads keep working.
 *
 * The cluster may declare it too (cluster-switch.ts: an annotation on the SkyfloAI object), read at most once a
 * second; such a stop is lifted only where it was declared, never through the API.
 */
import type { AuditLog, EventBus, SettingsStore, TransactionalStores } from '../../platform/ports/index.ts';
import { SkyfloError } from '../../platform/errors/skyflo-error.ts';
import { emergencyStopAnnotation, type ClusterStopSwitch, type DeclaredStop } from './cluster-switch.ts';

/** A lift through the API of a stop the cluster declares: refused, naming what to change instead. */
export class StopDeclaredInCluster extends SkyfloError {
  readonly code = 'MANAGED_BY_DECLARATION';
  override readonly statusCode = 409;
  constructor(declared: DeclaredStop) {
    const [namespace, name] = declared.object.split('/');
    super(`The emergency stop is declared in the cluster (SkyfloAI ${declared.object}, annotation ${emergencyStopAnnotation}); lift it there: kubectl annotate skyfloai ${name} -n ${namespace} ${emergencyStopAnnotation}-`);
    this.name = 'StopDeclaredInCluster';
  }
}

/** How often the cluster's switch is read at most (a decision or a proposal asks for the stop each time). */
const declaredReadMs = 1_000;

export const emergencyStopKey = 'emergency_stop';
/** The bus channel the switch is announced on (a run id no run has: runs are UUIDs). */
export const emergencyStopChannel = 'skyflo:emergency-stop';
export const emergencyStopCode = 'EMERGENCY_STOP';

export interface EmergencyStopState {
  reason: string;
  /** who engaged it: user id and email (a stop the cluster declares: the object, id "") */
  by: { id: string; email: string };
  since: Date;
  /** the SkyfloAI object whose annotation declares it ("skyflo/sky"); absent: engaged in Skyflo */
  declared?: string;
}

interface Stored {
  active: boolean;
  reason?: string;
  by?: { id: string; email: string };
  since?: string;
  lifted_by?: { id: string; email: string };
  lifted_at?: string;
}

export function stateOf(stored: unknown): EmergencyStopState | undefined {
  const value = stored as Stored | null | undefined;
  if (!value || value.active !== true) return undefined;
  return { reason: value.reason ?? '', by: value.by ?? { id: '', email: '' }, since: new Date(value.since ?? 0) };
}

/** What a refused call or decision says: the switch, who pulled it, why, and who can lift it. */
export function stoppedText(state: EmergencyStopState, what: string): string {
  return `${what}: the emergency stop is on (since ${state.since.toISOString()}, by ${state.by.email}${state.reason ? `: ${state.reason}` : ''}). Everything is read-only until an admin lifts it (DELETE /api/v1/emergency-stop, or the Command Center's emergency-stop control).`;
}

export interface EmergencyStop {
  /** the switch as the database holds it now; a database that cannot be read counts as on (fail closed) */
  state(): Promise<EmergencyStopState | undefined>;
  /** the switch as stored; rejects when the database cannot be read (what ends work in progress: stop-signal.ts) */
  read(): Promise<EmergencyStopState | undefined>;
  engage(actor: { id: string; email: string; ip?: string | undefined }, reason: string): Promise<EmergencyStopState>;
  /** false when it was not on */
  lift(actor: { id: string; email: string; ip?: string | undefined }): Promise<boolean>;
}

export function createEmergencyStop(deps: {
  settings: Pick<SettingsStore, 'get'>;
  atomically<T>(work: (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => Promise<T>): Promise<T>;
  bus?: Pick<EventBus, 'publish'> | undefined;
  logger?: { warn(object: unknown, message?: string): void } | undefined;
  /** after it is engaged or lifted here (the executors are told: executor-relay.ts) */
  onChange?: (() => Promise<void>) | undefined;
  /** the cluster's own switch (an in-cluster install's SkyfloAI annotation) */
  clusterSwitch?: Pick<ClusterStopSwitch, 'read'> | undefined;
}): EmergencyStop {
  // The cluster's switch, read at most once a second. One that cannot be read keeps the last answer (said once): the
  // executor still holds it in the cluster, and an install without the Role to read it must not stop for ever.
  let declared: { at: number; stop: DeclaredStop | undefined; since: Date | undefined } | undefined;
  let reading: Promise<void> | undefined;
  let unreadableSaid = false;
  async function declaredStop(): Promise<EmergencyStopState | undefined> {
    if (!deps.clusterSwitch) return undefined;
    if (!declared || Date.now() - declared.at >= declaredReadMs) {
      reading ??= deps.clusterSwitch
        .read()
        .then((stop) => {
          const same = stop && declared?.stop?.object === stop.object && declared.stop.reason === stop.reason;
          declared = { at: Date.now(), stop, since: stop ? (same ? declared!.since : new Date()) : undefined };
          unreadableSaid = false;
        })
        .catch((error: unknown) => {
          declared = { at: Date.now(), stop: declared?.stop, since: declared?.since };
          if (!unreadableSaid) deps.logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'the emergency stop declared in the cluster (SkyfloAI annotation) could not be read; the last answer stands');
          unreadableSaid = true;
        })
        .finally(() => {
          reading = undefined;
        });
      await reading;
    }
    const stop = declared?.stop;
    if (!stop) return undefined;
    return { reason: stop.reason, by: { id: '', email: `the cluster (SkyfloAI ${stop.object}, annotation ${emergencyStopAnnotation})` }, since: declared!.since ?? new Date(), declared: stop.object };
  }

  const announce = (data: Record<string, unknown>) =>
    deps.bus?.publish(emergencyStopChannel, 'emergency_stop.changed', data).catch((error: unknown) => deps.logger?.warn({ error }, 'the emergency stop could not be announced on the bus (the database holds it; every replica reads it there)'));

  const read = async () => stateOf(await deps.settings.get(emergencyStopKey)) ?? (await declaredStop());

  return {
    read,

    async state() {
      try {
        return await read();
      } catch (error) {
        return { reason: `its state could not be read (${error instanceof Error ? error.message : String(error)})`, by: { id: '', email: 'the engine' }, since: new Date() };
      }
    },

    async engage(actor, reason) {
      const since = new Date();
      const stored: Stored = { active: true, reason, by: { id: actor.id, email: actor.email }, since: since.toISOString() };
      await deps.atomically(async (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => {
        await stores.settings.put(emergencyStopKey, stored);
        await (stores.audit as Pick<AuditLog, 'record'>).record({ actorId: actor.id, action: 'emergency_stop.engaged', subjectType: 'settings', subjectId: emergencyStopKey, details: { reason }, ...(actor.ip ? { ip: actor.ip } : {}) });
      });
      await announce({ active: true, reason, by: actor.email, since: stored.since });
      await deps.onChange?.().catch(() => undefined);
      return { reason, by: { id: actor.id, email: actor.email }, since };
    },

    async lift(actor) {
      const lifted = await deps.atomically(async (stores: Pick<TransactionalStores, 'settings' | 'audit'>) => {
        const before = stateOf(await stores.settings.get(emergencyStopKey));
        if (!before) return false;
        await stores.settings.put(emergencyStopKey, { active: false, lifted_by: { id: actor.id, email: actor.email }, lifted_at: new Date().toISOString() } satisfies Stored);
        await (stores.audit as Pick<AuditLog, 'record'>).record({ actorId: actor.id, action: 'emergency_stop.lifted', subjectType: 'settings', subjectId: emergencyStopKey, details: { reason: before.reason, engaged_by: before.by.email, since: before.since.toISOString() }, ...(actor.ip ? { ip: actor.ip } : {}) });
        return true;
      });
      if (!lifted) {
        // read outside the transaction: the cluster's answer is an API server round trip
        const inCluster = await declaredStop();
        if (inCluster?.declared) throw new StopDeclaredInCluster({ reason: inCluster.reason, object: inCluster.declared });
        return false;
      }
      await announce({ active: false, by: actor.email });
      await deps.onChange?.().catch(() => undefined);
      return true;
    },
  };
}

/**
 * The team's guardrails for the composition root (create-engine.ts), issue 76: policies (judged by the gate on every
 * proposed call, managed by admins), change freezes, the emergency stop (and the signal that ends verifications in
 * progress when it is engaged), their routes, and the sync of the SkyfloPolicy/SkyfloFreeze objects.
 */
import type { Config } from '../platform/config/index.ts';
import { createDeclaredGuardrails } from '../app/declared/declared-guardrails.ts';
import { createClusterObjectSource, createFolderObjectSource, type DeclaredObjectSource } from '../app/declared/declared-sources.ts';
import { createClusterStopSwitch } from '../domain/emergency-stop/cluster-switch.ts';
import { createEmergencyStop } from '../domain/emergency-stop/emergency-stop.ts';
import { relayEmergencyStop, type EmergencyStopRelay } from '../domain/emergency-stop/executor-relay.ts';
import { watchEmergencyStop } from '../domain/emergency-stop/stop-signal.ts';
import { createFreezeService } from '../domain/freezes/freeze-service.ts';
import type { MountedRoutes } from '../http/app.ts';
import { emergencyStopRoutes, emergencyStopView, type EmergencyStopRouteDeps } from '../http/routes/emergency-stop/index.ts';
import { freezeRoutes, type FreezeRouteDeps } from '../http/routes/freezes/index.ts';
import { policyRoutes, type PolicyRouteDeps } from '../http/routes/policies/index.ts';
import { createPolicyGate } from '../domain/policies/policy-gate.ts';
import { createPolicyService } from '../domain/policies/policy-service.ts';
import type { EventBus, PlatformStorage } from '../platform/ports/index.ts';

type Logger = { warn(object: unknown, message?: string): void; error(object: unknown, message?: string): void; info(object: unknown, message?: string): void };

export interface GuardrailsDeps {
  config: Pick<Config, 'governance' | 'server'>;
  storage: PlatformStorage;
  /** the instrumented bus: the emergency stop is announced on it */
  bus: EventBus;
  /** the raw bus: the stop signal's subscription is the engine's own, not an event stream open to a client (skyflo_sse_clients) */
  rawBus: EventBus;
  logger: Logger;
}

export async function createGuardrails(deps: GuardrailsDeps) {
  const { config, storage } = deps;
  // Issue 76: the team's policies, judged by the gate on every proposed call and managed by admins (policies/).
  const policyFacts = { users: storage.users, groupsByRole: config.governance.impersonationGroups, clusterLabels: config.governance.clusterLabels };
  const policyGate = createPolicyGate({ ...policyFacts, store: storage.policies, audit: storage.audit });
  const policyService = createPolicyService({ ...policyFacts, store: storage.policies, approvals: storage.approvals, atomically: storage.atomically });
  // Issue 76: the emergency stop, in the database (every replica reads it) and announced on the bus.
  const freezes = createFreezeService({ store: storage.freezes, atomically: storage.atomically });
  let stopRelay: EmergencyStopRelay | undefined;
  // an in-cluster install's SkyfloAI annotation is the same switch (read with the engine's own identity)
  const stopNamespace = config.server.declaredGuardrails?.namespace;
  const clusterSwitch = stopNamespace ? await createClusterStopSwitch({ namespace: stopNamespace, ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }) : undefined;
  const emergencyStop = createEmergencyStop({ settings: storage.settings, atomically: storage.atomically, bus: deps.bus, logger: { warn: (object, message) => deps.logger.warn(object, message) }, onChange: async () => stopRelay?.announce(), clusterSwitch });
  // …and the signal that ends verifications in progress (and the automatic reverts they would start) when it is engaged
  // (on the raw bus: its subscription is the engine's own, not an event stream open to a client — skyflo_sse_clients)
  const emergencyStopSignal = watchEmergencyStop({ stop: emergencyStop, bus: deps.rawBus });
  const routes: MountedRoutes<any>[] = [
    { plugin: policyRoutes, options: { policies: policyService } satisfies PolicyRouteDeps },
    { plugin: emergencyStopRoutes, options: { emergencyStop } satisfies EmergencyStopRouteDeps },
    { plugin: freezeRoutes, options: { freezes } satisfies FreezeRouteDeps },
  ];
  return {
    policyGate,
    policyService,
    freezes,
    emergencyStop,
    emergencyStopSignal,
    /** what /health says of the emergency stop */
    emergencyStopView: async () => emergencyStopView(await emergencyStop.state()),
    routes,
    /** the executors hold the engine's emergency stop too, where the cluster enforces approvals (they mint nothing while it is on) */
    relayTo(executors: Parameters<typeof relayEmergencyStop>[0]['executors'] | undefined) {
      stopRelay = executors ? relayEmergencyStop({ stop: emergencyStop, executors, logger: { warn: (object, message) => deps.logger.warn(object, message) } }) : undefined;
    },
    async close() {
      await emergencyStopSignal.close();
      stopRelay?.close();
    },
  };
}

/** Issue 76: SkyfloPolicy/SkyfloFreeze objects (the cluster, with the engine's own identity) and POLICIES_DIR files */
export async function createDeclaredGuardrailSync({ config, storage, logger }: { config: Pick<Config, 'server'>; storage: PlatformStorage; logger: Logger }) {
  const declaredConfig = config.server.declaredGuardrails;
  const declaredSources: DeclaredObjectSource[] = [];
  if (declaredConfig?.namespace) declaredSources.push(await createClusterObjectSource({ namespace: declaredConfig.namespace, ...(config.server.kubeconfigPath ? { kubeconfigPath: config.server.kubeconfigPath } : {}) }));
  if (declaredConfig?.directory) declaredSources.push(createFolderObjectSource({ directory: declaredConfig.directory, logger }));
  const declaredGuardrails = declaredSources.length > 0 ? createDeclaredGuardrails({ sources: declaredSources, policies: storage.policies, freezes: storage.freezes, audit: storage.audit, logger }) : undefined;
  return declaredGuardrails;
}

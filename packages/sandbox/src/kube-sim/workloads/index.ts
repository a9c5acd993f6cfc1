import type { SimCluster } from '../cluster-types.ts';
import { createControllerManager } from '../controllers/controller-manager.ts';
import { createNodes } from '../controllers/default-nodes.ts';
import { createDeploymentController } from '../controllers/deployment-controller.ts';
import { createKubelet } from '../controllers/kubelet.ts';
import { createNodeController } from '../controllers/node-controller.ts';
import { createPersistentVolumeController } from '../controllers/persistent-volume-controller.ts';
import { createCsiProvisioner } from '../controllers/csi-provisioner.ts';
import { createDaemonSetController } from '../controllers/daemonset-controller.ts';
import { createDefaultStorageClass } from '../controllers/default-storage-class.ts';
import { createDisruptionController } from '../controllers/disruption-controller.ts';
import { createHorizontalPodAutoscalerController } from '../controllers/horizontal-pod-autoscaler-controller.ts';
import { createEndpointsController } from '../controllers/endpoints-controller.ts';
import { createEndpointSliceController } from '../controllers/endpointslice-controller.ts';
import { createServiceIndex } from '../controllers/service-index.ts';
import { createJobController } from '../controllers/job-controller.ts';
import { createReplicaSetController } from '../controllers/replicaset-controller.ts';
import { createRolloutController } from '../controllers/rollout-controller.ts';
import { createScheduler } from '../controllers/scheduler.ts';
import { createStatefulSetController } from '../controllers/statefulset-controller.ts';
import { createMetricsApi } from '../metrics/metrics-api.ts';
import { createPodAttachHandler } from '../subresources/pod-attach.ts';
import { createPodEvictionHandler } from '../subresources/pod-eviction.ts';
import { createPodExecHandler } from '../subresources/pod-exec.ts';
import { createPodLogHandler } from '../subresources/pod-log.ts';
import { createContainerLogs } from '../runtime/container-logs.ts';
import { createFaultRules } from '../runtime/fault-rules.ts';
import { loadScenario } from '../scenarios/load-scenario.ts';
import type { TimelinePhase } from '../scenarios/scenario-timeline.ts';
import { createResourceTypes } from './resource-types.ts';
import { createTimers } from './timers.ts';
import { formatTimestamp, resolveSettings, type WorkloadContext } from './workload-context.ts';

export interface WorkloadOptions {
  /** path of a scenario YAML file, or 'demo' for the built-in demo cluster */
  scenario?: string;
}

/** What installWorkloads returns, for tests and the sandbox: drain() settles every controller synchronously. */
export interface InstalledWorkloads {
  context: WorkloadContext;
  drain(): void;
  /** the scenario's timed documents, still to be played (load-scenario.ts playTimeline) */
  phases: TimelinePhase[];
}

function reportError(error: unknown, where: string): void {
  const message = error instanceof Error ? error.message : String(error);
  // Why stderr and not a throw: one failing reconcile must not take the whole simulator down.
  process.stderr.write(`kube-sim: ${where}: ${message}\n`);
}

/** Builds the workload side's shared context (exported for unit tests that drive controllers directly). */
export function createWorkloadContext(cluster: SimCluster): WorkloadContext {
  const timers = createTimers((error) => reportError(error, 'timer'));
  const manager = createControllerManager({ store: cluster.store, timers, onError: (error, controller) => reportError(error, controller) });
  return {
    cluster,
    types: createResourceTypes(cluster.registry),
    timers,
    manager,
    logs: createContainerLogs(),
    faults: createFaultRules(),
    settings: () => resolveSettings(cluster),
    now: () => cluster.clock.now(),
    timestamp: () => formatTimestamp(cluster.clock.now()),
  };
}

/**
 * Installs the simulated workloads into a cluster before it starts listening: nodes, scheduler, kubelet,
 * workload controllers, pods/log|exec|eviction, metrics.k8s.io, and optionally a scenario.
 */
export function installWorkloads(cluster: SimCluster, options: WorkloadOptions = {}): InstalledWorkloads {
  const context = createWorkloadContext(cluster);
  const { manager } = context;
  const kubelet = createKubelet(context);
  const serviceIndex = createServiceIndex(cluster.store, context.types);
  const controllers = [
    createNodeController(context),
    createScheduler(context),
    kubelet.controller,
    createReplicaSetController(context),
    createDeploymentController(context),
    createStatefulSetController(context),
    createDaemonSetController(context),
    createJobController(context),
    createDisruptionController(context),
    createRolloutController(context),
    createHorizontalPodAutoscalerController(context),
    createPersistentVolumeController(context),
    createCsiProvisioner(context),
    createEndpointsController(context, serviceIndex),
    createEndpointSliceController(context, serviceIndex),
  ];
  for (const controller of controllers) manager.add(controller);
  cluster.addSubresource('pods', 'log', createPodLogHandler(context));
  cluster.addSubresource('pods', 'eviction', createPodEvictionHandler(context));
  cluster.addUpgrade('pods', 'exec', createPodExecHandler(context, kubelet.runtime));
  cluster.addUpgrade('pods', 'attach', createPodAttachHandler(context, kubelet.runtime));
  cluster.addApiGroup(createMetricsApi(context));
  cluster.onClose(() => {
    manager.stop();
    context.timers.clear();
  });
  createNodes(context);
  createDefaultStorageClass(context);
  manager.drain();
  const phases = options.scenario ? loadScenario(context, options.scenario).phases : [];
  return { context, drain: () => manager.drain(), phases };
}

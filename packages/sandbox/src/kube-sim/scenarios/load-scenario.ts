import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster-types.ts';
import { installArgoRolloutsCrds } from '../crds/argo-rollouts.ts';
import { createNodes, type NodeSpec } from '../controllers/default-nodes.ts';
import { faultKinds, type FaultRule } from '../runtime/fault-rules.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { parseAgo, splitTimeline, type ShiftableClock, type TimelinePhase } from './scenario-timeline.ts';

/**
 * The optional `kind: SimScenario` document of a scenario file (apiVersion sim.skyflo.ai/v1alpha1).
 * Every other document is a Kubernetes object, applied in file order; a later document with the same
 * kind/namespace/name updates the earlier one, which is how a scenario builds rollout history.
 */
export interface SimScenario {
  /** simulation settings merged over the cluster's (startDelayMs, readinessDelayMs, …) */
  settings?: Record<string, number>;
  /** nodes to create instead of the three defaults */
  nodes?: NodeSpec[];
  /** fault rules: pods matching namespace/selector/env get the fault */
  faults?: FaultRule[];
  /** install the Argo Rollouts CRDs (implied by any argoproj.io document) */
  argoRollouts?: boolean;
  /**
   * How long ago the scenario's cluster starts (e.g. "60m"); documents annotated sim.skyflo.ai/applied-ago happen
   * later in that past (scenario-timeline.ts). Without it everything is applied now.
   */
  history?: string;
}

export const demoScenarioPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo.yaml');
/** The second cluster of `skyflo sandbox --clusters 2`: other apps than demo's. */
export const demoBScenarioPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'demo-b.yaml');

/** `--scenario incidents`: incidents whose cause shows only in the metrics and logs kube-sim serves (issue 36). */
export const incidentsScenarioPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'incidents.yaml');
/** The runbooks `skyflo sandbox` gives the engine (RUNBOOKS_DIR) when none is configured: one per demo incident. */
export const sandboxRunbooksDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'runbooks');
const namedScenarios: Record<string, string> = { demo: demoScenarioPath, 'demo-b': demoBScenarioPath, incidents: incidentsScenarioPath };

export class ScenarioError extends Error {}

function readScenario(source: string): { file: string; text: string } {
  const file = namedScenarios[source] ?? path.resolve(source);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (error) {
    throw new ScenarioError(`cannot read scenario ${source}: ${(error as Error).message}. Pass 'demo', 'demo-b', 'incidents' or the path of a multi-document YAML file.`);
  }
}

export function parseScenario(text: string, file = 'scenario'): { scenario: SimScenario; objects: KubeObject[] } {
  const documents = parseAllDocuments(text);
  let scenario: SimScenario = {};
  const objects: KubeObject[] = [];
  documents.forEach((document, index) => {
    if (document.errors.length) throw new ScenarioError(`${file}: document ${index + 1} is not valid YAML: ${document.errors[0].message}`);
    const value = document.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || !value.kind || !value.apiVersion) {
      throw new ScenarioError(`${file}: document ${index + 1} needs apiVersion and kind (a Kubernetes object or kind: SimScenario)`);
    }
    if (value.kind === 'SimScenario') {
      scenario = value as SimScenario;
      for (const rule of scenario.faults ?? []) {
        if (!faultKinds.includes(rule.fault)) throw new ScenarioError(`${file}: fault "${rule.fault}" is unknown; use one of ${faultKinds.join(', ')}`);
      }
      return;
    }
    if (!value.metadata?.name) throw new ScenarioError(`${file}: document ${index + 1} (${value.kind}) has no metadata.name`);
    objects.push(value as KubeObject);
  });
  return { scenario, objects };
}

/** Creates or updates one object from a scenario, creating its namespace if needed. */
function applyObject(context: WorkloadContext, object: KubeObject, file: string): void {
  const { store } = context.cluster;
  const type = context.cluster.resourceFor(object);
  if (!type) throw new ScenarioError(`${file}: ${object.apiVersion} ${object.kind} "${object.metadata.name}" is not served by kube-sim`);
  const namespace = type.namespaced ? object.metadata.namespace ?? 'default' : undefined;
  if (namespace) {
    const namespaces = context.types.get('', 'namespaces');
    if (!store.get(namespaces, undefined, namespace)) store.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
  }
  const desired = structuredClone(object);
  desired.metadata = { ...desired.metadata, namespace };
  // Scenario objects skip the HTTP path, so they get the server's defaulting here.
  context.cluster.applyDefaults(type, desired);
  const existing = store.get(type, namespace, object.metadata.name!);
  if (!existing) {
    context.cluster.admitCreate(type, desired);
    store.create(type, desired);
    return;
  }
  store.mutate(type, namespace, object.metadata.name!, (current) => {
    const { metadata, ...rest } = desired;
    return { ...current, ...rest, status: desired.status ?? current.status, metadata: { ...current.metadata, labels: metadata.labels ?? current.metadata.labels, annotations: metadata.annotations ?? current.metadata.annotations } };
  });
}

/** The scenario's `history` in seconds (0 without one): startKubeSim starts the clock that far back. */
export function scenarioHistorySeconds(source: string): number {
  const { file, text } = readScenario(source);
  const { scenario } = parseScenario(text, file);
  if (scenario.history === undefined) return 0;
  const seconds = parseAgo(scenario.history);
  if (seconds === undefined) throw new ScenarioError(`${file}: history must be a duration such as 60m, got "${scenario.history}"`);
  return seconds;
}

/**
 * Loads a scenario ('demo' or a file path) into a cluster whose workloads are installed: everything up to its first
 * timed document now; the timed phases are returned for playTimeline (they need the controllers to settle between).
 */
export function loadScenario(context: WorkloadContext, source: string): { scenario: SimScenario; phases: TimelinePhase[] } {
  const { file, text } = readScenario(source);
  const { scenario, objects: all } = parseScenario(text, file);
  let split: { initial: KubeObject[]; phases: TimelinePhase[] };
  try {
    split = splitTimeline(all, scenario.history ? (parseAgo(scenario.history) ?? 0) : 0, file);
  } catch (error) {
    throw new ScenarioError((error as Error).message);
  }
  const objects = split.initial;
  Object.assign(context.cluster.settings, scenario.settings ?? {});
  if (scenario.nodes?.length) {
    const nodes = context.types.nodes();
    for (const node of context.cluster.store.list(nodes)) context.cluster.store.remove(nodes, undefined, node.metadata.name!);
    createNodes(context, scenario.nodes);
  }
  for (const rule of scenario.faults ?? []) context.faults.add(rule);
  if (scenario.argoRollouts || objects.some((object) => object.apiVersion.startsWith('argoproj.io/'))) installArgoRolloutsCrds(context.cluster);
  applyAll(context, objects, file);
  return { scenario, phases: split.phases };
}

function applyAll(context: WorkloadContext, objects: KubeObject[], file: string): void {
  for (const object of objects) {
    applyObject(context, object, file);
    // Settle controllers between documents so each update of a workload becomes its own revision.
    context.manager.drain();
  }
}

/** Every Deployment rolled out (its old pods gone) and no pod terminating: the cluster a phase leaves behind. */
function settled(context: WorkloadContext): boolean {
  const { store } = context.cluster;
  const deployments = context.cluster.registry.byResource('apps', 'deployments');
  const pods = context.cluster.registry.byResource('', 'pods');
  for (const deployment of deployments ? store.list(deployments) : []) {
    const wanted = Number(deployment.spec?.replicas ?? 1);
    const status = deployment.status ?? {};
    if (Number(status.observedGeneration ?? 0) < Number(deployment.metadata.generation ?? 1)) return false;
    if (Number(status.updatedReplicas ?? 0) !== wanted || Number(status.availableReplicas ?? 0) !== wanted || Number(status.replicas ?? 0) !== wanted) return false;
  }
  return !(pods ? store.list(pods) : []).some((pod) => pod.metadata.deletionTimestamp);
}

async function settle(context: WorkloadContext, what: string): Promise<void> {
  // bounded by attempts: the scenario's own delays are milliseconds, a loaded machine makes them longer
  for (let attempt = 0; attempt < 3000; attempt++) {
    context.manager.drain();
    if (settled(context)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new ScenarioError(`the scenario did not settle ${what} (a Deployment did not finish rolling out)`);
}

/**
 * Plays a scenario's timed phases on `clock`: waits for the cluster to settle, moves the clock to the next phase's
 * time, applies its documents, and so on; the clock reads the real time when it returns.
 */
export async function playTimeline(context: WorkloadContext, phases: TimelinePhase[], clock: ShiftableClock, source: string): Promise<void> {
  for (const phase of phases) {
    await settle(context, `before the phase ${phase.agoSeconds}s ago`);
    clock.setOffset(Math.max(clock.offsetMs, -phase.agoSeconds * 1000));
    applyAll(context, phase.objects, source);
  }
  if (clock.offsetMs < 0) {
    await settle(context, 'after its last phase');
    clock.setOffset(0);
  }
}

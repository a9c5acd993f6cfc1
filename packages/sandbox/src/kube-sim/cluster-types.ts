/**
 * The contract between kube-sim's API server (http/, store/, discovery/, patch/, auth/…) and its
 * simulated workloads (controllers/, runtime/, subresources/, scenarios/). Both sides import only this
 * file from each other, so either can change its insides freely.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: any;
}

/** One served resource, e.g. apps/v1 deployments. `group` is '' for the core group. */
export interface ResourceType {
  group: string;
  version: string;
  /** plural, lower-case: 'deployments' */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: string[];
  /** e.g. ['status', 'scale'] or ['log', 'exec', 'eviction', 'status'] */
  subresources: string[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface StoreChange {
  type: Exclude<WatchEventType, 'BOOKMARK'>;
  resource: ResourceType;
  object: KubeObject;
  /** the object before the change (MODIFIED and DELETED) */
  previous?: KubeObject;
}

/**
 * The cluster's object store. Writes bump a single cluster-wide resourceVersion, like etcd's revision,
 * and notify watchers synchronously after the write. Objects returned are deep copies: mutate freely.
 */
export interface ObjectStore {
  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: ResourceType, namespace?: string): KubeObject[];
  /** Objects of `resource` whose ownerReferences name `ownerUid`, sorted like a list (indexed: no scan of the resource). */
  ownedBy(resource: ResourceType, ownerUid: string): KubeObject[];
  /** Assigns uid, resourceVersion, creationTimestamp, generation (1), and a name from generateName. Throws ApiError 409 if it exists. */
  create(resource: ResourceType, object: KubeObject): KubeObject;
  /**
   * Replaces the object. If object.metadata.resourceVersion is set and stale, throws ApiError 409 Conflict.
   * Bumps generation when anything outside metadata/status changed.
   */
  update(resource: ResourceType, object: KubeObject): KubeObject;
  /** Read-modify-write helper for controllers: retries on conflict; return undefined from mutate to skip. */
  mutate(resource: ResourceType, namespace: string | undefined, name: string, mutate: (object: KubeObject) => KubeObject | undefined | void): KubeObject | undefined;
  /**
   * Deletes as a DELETE request does: an object with finalizers only gains a deletionTimestamp; a pod bound
   * to a node turns Terminating for its grace period (scaled by settings.terminationDelayMs), others go now.
   */
  delete(resource: ResourceType, namespace: string | undefined, name: string, options?: DeleteRequestOptions): { object: KubeObject; removed: boolean };
  /** Removes the object now (garbage collection of dependents is done by the server's GC, not by this call). */
  remove(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Subscribe to every change in every resource. Returns an unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void;
  currentResourceVersion(): string;
}

/** The parts of DeleteOptions the store acts on. */
export interface DeleteRequestOptions {
  /** seconds; 0 with `kubectl delete --grace-period=0 --force` removes a pod at once */
  gracePeriodSeconds?: number;
}

export interface ResourceRegistry {
  all(): ResourceType[];
  /** by group + plural resource name, e.g. ('apps', 'deployments') */
  byResource(group: string, resource: string): ResourceType | undefined;
  /** by group + kind, e.g. ('apps', 'Deployment'); group '' is core */
  byKind(group: string, kind: string): ResourceType | undefined;
  /** add or replace a resource (used when a CRD is established) */
  register(resource: ResourceType): void;
  unregister(group: string, resource: string): void;
}

/** What a subresource or custom route handler receives. */
export interface RouteContext {
  cluster: SimCluster;
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** authenticated (after impersonation) user */
  user: SimUser;
  namespace?: string;
  name?: string;
  resource?: ResourceType;
  /** request body already parsed as JSON (undefined for GET) */
  body?: unknown;
}

export interface SimUser {
  name: string;
  groups: string[];
}

/** Handles a subresource request such as GET pods/x/log or POST pods/x/eviction. Return false to fall through to 404. */
export type SubresourceHandler = (context: RouteContext) => Promise<void | false> | void | false;

/** Handles a WebSocket upgrade (pods/exec, pods/attach). */
export type UpgradeHandler = (context: Omit<RouteContext, 'response' | 'body'> & { socket: Duplex; head: Buffer }) => void;

/** An API group served by custom code rather than the store (e.g. metrics.k8s.io). */
export interface CustomApiGroup {
  group: string;
  version: string;
  resources: ResourceType[];
  /** handles GET /apis/<group>/<version>/... below the group root */
  handle(context: RouteContext & { path: string[] }): Promise<void | false> | void | false;
}

export interface SimClock {
  now(): Date;
}

export interface SimulationSettings {
  /** delay before a started container becomes ready (ms); default 300 */
  readinessDelayMs: number;
  /** delay between a pod being created and it running (ms); default 100 */
  startDelayMs: number;
  /** delay between restarts of a crashing container (ms); default 1000 */
  crashBackoffMs: number;
  /** a Job's pods complete after this long (ms); default 500 */
  jobDurationMs: number;
  /** workloads: how long a deleted pod stays Terminating before it is removed (ms); default 200 */
  terminationDelayMs?: number;
  /** workloads: overrides every Deployment's progressDeadlineSeconds (ms), so tests see ProgressDeadlineExceeded quickly */
  progressDeadlineMs?: number;
  /** workloads: interval between the periodic log lines a running container prints (ms); default 2000 */
  logIntervalMs?: number;
  /** workloads: how often the HPA controller re-evaluates each HorizontalPodAutoscaler (ms); default 15000, like kube-controller-manager */
  hpaSyncPeriodMs?: number;
  /** workloads: the HPA's scale-down stabilization window (ms); default 300000 (5 minutes) */
  hpaDownscaleStabilizationMs?: number;
  /** workloads: how long the simulated CSI driver takes to provision or expand a volume (ms); default 500 */
  provisionDelayMs?: number;
  /** workloads: how long after a pods/exec stream opens its command starts, and a pods/attach stream its first frame (ms), as runc takes; default 100 */
  execStartDelayMs?: number;
  /**
   * workloads: how long one second of container time lasts (ms); default 1000. Scales `sleep N` in
   * container commands, probe delays and periods, and client timeouts (wget -T, curl -m, a dropped
   * connection's ~2 min), so tests can run probe-driven scenarios in milliseconds.
   */
  secondMs?: number;
}

export interface EventRecorder {
  /** Records a core/v1 Event against an object (and an events.k8s.io view of the same). */
  record(involved: KubeObject, event: { type?: 'Normal' | 'Warning'; reason: string; message: string; component?: string }): void;
}

export interface SimCluster {
  store: ObjectStore;
  registry: ResourceRegistry;
  events: EventRecorder;
  clock: SimClock;
  settings: SimulationSettings;
  /** Register handlers before the server starts (workload side does this in its install function). */
  addSubresource(resource: string, subresource: string, handler: SubresourceHandler): void;
  addUpgrade(resource: string, subresource: string, handler: UpgradeHandler): void;
  addApiGroup(group: CustomApiGroup): void;
  /**
   * Server-side defaulting (a pod's restartPolicy, a Deployment's strategy, a Service's clusterIP…), for
   * objects the simulation writes straight into the store, so they look as if they came through the API.
   */
  applyDefaults(resource: ResourceType, object: KubeObject): void;
  /**
   * What mutating admission adds to a new object (a PVC's default StorageClass, the PVC/PV protection
   * finalizers), for objects the simulation creates straight in the store (a StatefulSet's claims, scenarios).
   */
  admitCreate(resource: ResourceType, object: KubeObject): void;
  /** Find a resource type for an object's apiVersion + kind. */
  resourceFor(object: Pick<KubeObject, 'apiVersion' | 'kind'>): ResourceType | undefined;
  /** Callbacks run by close(), e.g. to stop controller timers. */
  onClose(callback: () => void): void;
}

/** Throw this from anywhere in the server: it becomes a meta/v1 Status with the right HTTP code. */
export class ApiError extends Error {
  constructor(
    public readonly code: number,
    public readonly reason: string,
    message: string,
    public readonly details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message: string; field?: string }> },
  ) {
    super(message);
  }
}

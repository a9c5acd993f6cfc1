import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../cluster-types.ts';
import { ContainerConfigError, resolveContainerEnvironment, type ConfigLookup } from '../containers/container-environment.ts';
import { createContainerInstance, type ContainerInstance, type MainExit } from '../containers/container-instance.ts';
import { createFileTree, type FileTree } from '../containers/file-tree.ts';
import { fallbackImage, isPullFailure, resolveImage, type ImagePullFailure, type ResolvedImage } from '../containers/image-catalogue.ts';
import { parseImageReference } from '../containers/image-reference.ts';
import { runProbe, type ProbeKind } from '../containers/probes.ts';
import { buildMounts, claimKey, createVolumeData, MountError, type MountContext, type VolumeData } from '../containers/volume-mounts.ts';
import { createClusterNetwork, type ClusterNetwork, type PodSandbox, type SandboxDirectory } from '../network/cluster-network.ts';
import type { ContainerFault } from '../runtime/fault-rules.ts';
import { logScriptFor, type LogScript } from '../runtime/log-script.ts';
import { memoryBytes } from '../runtime/quantity.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { keyOf, splitKey, type Controller } from './controller-manager.ts';
import { setCondition } from './object-helpers.ts';
import { qosClassOf } from './scheduler.ts';

interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

type ContainerStateView = { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: Terminated };

interface ContainerRun {
  name: string;
  image: string;
  init: boolean;
  /** an init container with restartPolicy Always (a sidecar) */
  sidecar: boolean;
  fault?: ContainerFault;
  restartCount: number;
  state: ContainerStateView;
  lastState?: Terminated;
  ready: boolean;
  /** the startup probe has passed (true at once without one) */
  started: boolean;
  everStarted: boolean;
  imagePulled: boolean;
  containerId?: string;
  /** bumps on every start, so timers of an earlier instance know they are stale */
  generation: number;
  backoffs: number;
  instance?: ContainerInstance;
}

interface PodRun {
  uid: string;
  key: string;
  namespace: string;
  name: string;
  nodeName: string;
  hostIP: string;
  podIP?: string;
  startTime: string;
  containers: ContainerRun[];
  initContainers: ContainerRun[];
  cancels: Set<() => void>;
  deleting: boolean;
  sandbox?: PodSandbox;
  emptyDirs: Map<string, FileTree>;
  /** volumes are set up and init containers have run */
  initialized: boolean;
  /** an init container failed under restartPolicy Never: the pod is Failed */
  initFailed: boolean;
  /** waiting for a ConfigMap, Secret or claim to appear (FailedMount, CreateContainerConfigError) */
  blocked?: () => void;
  mountAttempts: number;
  /** the node's allocatable memory: the limit of a container without one */
  nodeMemory: number;
  /** the node's pod CIDR, where the pod's IP comes from */
  podCIDR: string;
}

/** The kubelet's runtime as pods/exec, pods/attach and the network see it. */
export interface KubeletRuntime {
  /** the running instance of a container, or undefined when it is not running here */
  instance(pod: KubeObject, container: string): ContainerInstance | undefined;
  /**
   * The running instance, or a stand-in built from the pod spec for a pod this kubelet does not run (a
   * pod written straight into the store with status Running), so exec still answers from the image.
   */
  execInstance(pod: KubeObject, container: string): ContainerInstance | undefined;
  /** pod sandboxes by IP (the network's view of pods) */
  sandboxes: SandboxDirectory;
  network: ClusterNetwork;
  volumes: VolumeData;
}

/** Public view of the kubelet for pods/log, pods/exec and metrics. */
export interface Kubelet {
  controller: Controller;
  runtime: KubeletRuntime;
  /** container id of the current (or, with previous, the last terminated) instance of a container */
  containerStatus(pod: KubeObject, container: string): any | undefined;
}

const restartPolicyOf = (pod: KubeObject): string => pod.spec?.restartPolicy ?? 'Always';

function imageId(image: string): string {
  const reference = parseImageReference(image);
  const hex = Buffer.from(reference.full).toString('hex').padEnd(64, '0').slice(0, 64);
  return `${reference.name}@sha256:${hex}`;
}

function pidFor(name: string): number {
  let hash = 0;
  for (const character of name) hash = (hash * 31 + character.charCodeAt(0)) % 30000;
  return 1000 + hash;
}

/**
 * The simulated kubelet: sets up each pod's sandbox (IP, volumes), pulls images from the catalogue, runs
 * init containers then containers through the container model, runs probes, restarts crashed containers
 * with back-off, and writes status and events the way a real node does.
 */
export function createKubelet(context: WorkloadContext): Kubelet {
  const { store, events } = context.cluster;
  const runs = new Map<string, PodRun>();
  const sandboxesByIp = new Map<string, PodSandbox>();
  const nextIp = new Map<string, number>();
  const volumes = createVolumeData();
  const sandboxes: SandboxDirectory = { byIp: (ip) => sandboxesByIp.get(ip) };
  const network = createClusterNetwork({ store, types: context.types, sandboxes });

  // Processes of running containers end with the cluster, so nothing keeps looping after close().
  context.cluster.onClose(() => {
    for (const run of runs.values()) stopRun(run);
  });

  const podsType = () => context.types.pods();
  const getPod = (run: PodRun) => {
    const pod = store.get(podsType(), run.namespace, run.name);
    return pod && pod.metadata.uid === run.uid ? pod : undefined;
  };
  const specOf = (pod: KubeObject | undefined, container: ContainerRun) => (container.init ? pod?.spec?.initContainers : pod?.spec?.containers)?.find((candidate: any) => candidate.name === container.name);
  /** Records a kubelet event on the pod; pass the pod when at hand (each lookup is a copy of the object). */
  const record = (run: PodRun, type: 'Normal' | 'Warning', reason: string, message: string, pod: KubeObject | undefined = getPod(run)) => {
    if (pod) events.record(pod, { type, reason, message, component: 'kubelet' });
  };
  const later = (run: PodRun, delayMs: number, callback: () => void) => {
    let cancel = () => {};
    cancel = context.timers.after(delayMs, () => {
      run.cancels.delete(cancel);
      if (run.deleting || runs.get(run.key) !== run) return;
      callback();
    });
    run.cancels.add(cancel);
  };
  const lookup: ConfigLookup = {
    configMap: (namespace, name) => store.get(context.types.get('', 'configmaps'), namespace, name),
    secret: (namespace, name) => store.get(context.types.get('', 'secrets'), namespace, name),
    services: (namespace) => store.list(context.types.get('', 'services'), namespace),
    node: (name) => store.get(context.types.nodes(), undefined, name),
  };

  function allocateIp(cidr: string): string {
    const prefix = cidr.split('.').slice(0, 3).join('.');
    let next = nextIp.get(prefix) ?? 1;
    for (let attempt = 0; attempt < 253; attempt++) {
      next = next >= 254 ? 2 : next + 1;
      if (!sandboxesByIp.has(`${prefix}.${next}`)) break;
    }
    nextIp.set(prefix, next);
    return `${prefix}.${next}`;
  }

  function containerStatusView(pod: KubeObject, container: ContainerRun) {
    return {
      name: container.name,
      image: container.image,
      imageID: container.imagePulled ? imageId(container.image) : '',
      ...(container.containerId ? { containerID: container.containerId } : {}),
      ready: container.ready,
      started: 'running' in container.state && container.started,
      restartCount: container.restartCount,
      state: container.state,
      lastState: container.lastState ? { terminated: container.lastState } : {},
      volumeMounts: specOf(pod, container)?.volumeMounts,
    };
  }

  const initDone = (run: PodRun) => run.initialized && run.initContainers.every((container) => container.sidecar || ('terminated' in container.state && container.state.terminated.exitCode === 0));

  function phaseOf(run: PodRun, pod: KubeObject): string {
    if (run.initFailed) return 'Failed';
    if (!initDone(run)) return 'Pending';
    const policy = restartPolicyOf(pod);
    const finished = run.containers.every((container) => 'terminated' in container.state);
    if (finished && run.containers.length > 0) {
      const failed = run.containers.some((container) => 'terminated' in container.state && container.state.terminated.exitCode !== 0);
      if (policy === 'Never' || (policy === 'OnFailure' && !failed)) return failed ? 'Failed' : 'Succeeded';
    }
    return run.containers.every((container) => container.everStarted) ? 'Running' : 'Pending';
  }

  function writeStatus(run: PodRun): void {
    const now = context.timestamp();
    store.mutate(podsType(), run.namespace, run.name, (pod) => {
      if (pod.metadata.uid !== run.uid) return undefined;
      const phase = phaseOf(run, pod);
      const unready = run.containers.filter((container) => !container.ready).map((container) => container.name);
      const completed = phase === 'Succeeded' || phase === 'Failed';
      const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
      const readyCondition = (type: string) =>
        unready.length === 0 && !completed ? { type, status: 'True' } : { type, status: 'False', reason: readyReason, message: completed ? undefined : `containers with unready status: [${unready.join(' ')}]` };
      const pendingInit = run.initContainers.filter((container) => !container.sidecar && !('terminated' in container.state && container.state.terminated.exitCode === 0)).map((container) => container.name);
      let conditions = pod.status?.conditions ?? [];
      conditions = setCondition(conditions, { type: 'PodReadyToStartContainers', status: run.sandbox && !completed ? 'True' : 'False' }, now, { lastProbeTime: null });
      conditions = setCondition(
        conditions,
        completed && !run.initFailed
          ? { type: 'Initialized', status: 'True', reason: 'PodCompleted' }
          : pendingInit.length
            ? { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: `containers with incomplete status: [${pendingInit.join(' ')}]` }
            : { type: 'Initialized', status: 'True' },
        now,
        { lastProbeTime: null },
      );
      conditions = setCondition(conditions, readyCondition('Ready'), now, { lastProbeTime: null });
      conditions = setCondition(conditions, readyCondition('ContainersReady'), now, { lastProbeTime: null });
      conditions = setCondition(conditions, { type: 'PodScheduled', status: 'True' }, now, { lastProbeTime: null });
      const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
      conditions.sort((left: any, right: any) => order.indexOf(left.type) - order.indexOf(right.type));
      pod.status = JSON.parse(
        JSON.stringify({
          phase,
          conditions,
          hostIP: run.hostIP,
          hostIPs: [{ ip: run.hostIP }],
          podIP: run.podIP,
          podIPs: run.podIP ? [{ ip: run.podIP }] : undefined,
          startTime: run.startTime,
          initContainerStatuses: run.initContainers.length ? run.initContainers.map((container) => containerStatusView(pod, container)) : undefined,
          containerStatuses: run.containers.map((container) => containerStatusView(pod, container)),
          qosClass: qosClassOf(pod),
        }),
      );
      return pod;
    });
  }

  function mountContext(run: PodRun, pod: KubeObject): MountContext {
    return {
      pod,
      lookup,
      claim: (namespace, name) => store.get(context.types.get('', 'persistentvolumeclaims'), namespace, name),
      volumes,
      emptyDir(name) {
        let tree = run.emptyDirs.get(name);
        if (!tree) run.emptyDirs.set(name, (tree = createFileTree()));
        return tree;
      },
      podIP: run.podIP,
      hostIP: run.hostIP,
    };
  }

  /** Back-off for retries of a blocked pod (FailedMount, CreateContainerConfigError), doubling up to 8×. */
  function block(run: PodRun, retry: () => void): void {
    const delay = context.settings().crashBackoffMs * 2 ** Math.min(run.mountAttempts, 3);
    run.mountAttempts++;
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      run.blocked = undefined;
      retry();
    };
    run.blocked = once;
    later(run, delay, once);
  }

  /** Script output for the injected crash/oom faults (the fault rules of scenarios and annotations). */
  function faultScript(pod: KubeObject, spec: any, fault: ContainerFault): LogScript {
    return logScriptFor({ pod, container: spec, fault, now: context.now() });
  }

  function pullFailure(run: PodRun, container: ContainerRun, failure: ImagePullFailure, generation: number): void {
    const message = failure.message;
    container.state = { waiting: { reason: 'ErrImagePull', message } };
    writeStatus(run);
    record(run, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${message}`);
    record(run, 'Warning', 'Failed', 'Error: ErrImagePull');
    later(run, context.settings().crashBackoffMs, () => {
      if (container.generation !== generation) return;
      container.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` } };
      writeStatus(run);
      record(run, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`);
      record(run, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    });
  }

  function recordOom(run: PodRun, program: string): void {
    const node = store.get(context.types.nodes(), undefined, run.nodeName);
    if (node) events.record(node, { type: 'Warning', reason: 'SystemOOM', message: `System OOM encountered, victim process: ${program}, pid: ${pidFor(`${run.uid}/${program}`)}`, component: 'kubelet' });
  }

  function exitContainer(run: PodRun, container: ContainerRun, exitCode: number, reason: string, message?: string): void {
    const pod = getPod(run);
    if (!pod || !('running' in container.state)) return;
    context.logs.end(run.uid, container.name);
    container.instance?.kill();
    container.instance = undefined;
    const terminated: Terminated = { exitCode, reason, ...(message ? { message } : {}), startedAt: container.state.running.startedAt, finishedAt: context.timestamp(), containerID: container.containerId ?? '' };
    container.ready = false;
    const policy = restartPolicyOf(pod);
    if (container.init && !container.sidecar) {
      if (exitCode === 0) {
        container.state = { terminated };
        writeStatus(run);
        runNextInit(run);
        return;
      }
      if (policy === 'Never') {
        container.state = { terminated };
        run.initFailed = true;
        writeStatus(run);
        return;
      }
    }
    const restart = container.sidecar || policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0) || (container.init && exitCode !== 0);
    if (!restart) {
      container.state = { terminated };
      writeStatus(run);
      return;
    }
    container.lastState = terminated;
    const delay = context.settings().crashBackoffMs * 2 ** Math.min(container.backoffs, 3);
    container.backoffs++;
    container.state = {
      waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.max(1, Math.round(delay / 1000) * 10)}s restarting failed container=${container.name} pod=${run.name}_${run.namespace}(${run.uid})` },
    };
    writeStatus(run);
    record(run, 'Warning', 'BackOff', `Back-off restarting failed container ${container.name} in pod ${run.name}_${run.namespace}(${run.uid})`);
    const generation = container.generation;
    later(run, delay, () => {
      if (container.generation !== generation) return;
      container.restartCount++;
      startContainer(run, container);
    });
  }

  /** The kubelet kills a container (failed liveness/startup probe): it restarts like a crashed one. */
  function killContainer(run: PodRun, container: ContainerRun, message: string): void {
    record(run, 'Normal', 'Killing', message);
    container.instance?.kill();
  }

  function startContainer(run: PodRun, container: ContainerRun): void {
    const pod = getPod(run);
    const spec = specOf(pod, container);
    if (!pod || !spec || !run.sandbox) return;
    container.generation++;
    const generation = container.generation;
    container.image = spec.image;
    container.fault = context.faults.faultFor(pod, spec);
    const settings = context.settings();
    if (!container.imagePulled) record(run, 'Normal', 'Pulling', `Pulling image "${container.image}"`, pod);
    const resolved: ResolvedImage | ImagePullFailure =
      container.fault?.kind === 'imagepull'
        ? { reference: parseImageReference(spec.image), message: `rpc error: code = NotFound desc = failed to pull and unpack image "${parseImageReference(spec.image).full}": failed to resolve reference "${parseImageReference(spec.image).full}": ${parseImageReference(spec.image).full}: not found` }
        : resolveImage(spec.image);
    if (isPullFailure(resolved)) {
      pullFailure(run, container, resolved, generation);
      return;
    }
    if (container.imagePulled) record(run, 'Normal', 'Pulled', `Container image "${container.image}" already present on machine`, pod);
    else {
      container.imagePulled = true;
      const size = 20_000_000 + ((container.image.length * 7_654_321) % 180_000_000);
      record(run, 'Normal', 'Pulled', `Successfully pulled image "${container.image}" in 1.204s (1.204s including waiting). Image size: ${size} bytes.`, pod);
    }
    let env: Array<[string, string]>;
    let mounts;
    try {
      env = resolveContainerEnvironment({ pod, container: spec, image: resolved.definition, lookup, podIP: run.podIP, hostIP: run.hostIP });
      mounts = buildMounts(mountContext(run, pod), spec);
    } catch (error) {
      if (!(error instanceof ContainerConfigError) && !(error instanceof MountError)) throw error;
      if (error instanceof MountError) {
        writeStatus(run);
        record(run, 'Warning', 'FailedMount', error.message, pod);
      }
      else {
        container.state = { waiting: { reason: 'CreateContainerConfigError', message: error.message } };
        writeStatus(run);
        record(run, 'Warning', 'Failed', `Error: ${error.message}`, pod);
      }
      block(run, () => {
        if (container.generation === generation) startContainer(run, container);
      });
      return;
    }
    run.mountAttempts = 0;
    container.containerId = `containerd://${randomBytes(32).toString('hex')}`;
    record(run, 'Normal', 'Created', `Created container: ${container.name}`, pod);
    record(run, 'Normal', 'Started', `Started container ${container.name}`, pod);
    context.logs.start(run.uid, container.name, container.containerId);
    const limit = memoryBytes(spec.resources?.limits?.memory) || run.nodeMemory;
    const instance = createContainerInstance({
      id: container.containerId,
      pod,
      spec,
      image: resolved,
      env,
      mounts,
      sandbox: run.sandbox,
      network: network.forPod(pod, run.sandbox.ip, () => run.sandbox),
      memoryLimit: limit,
      settings: () => context.settings(),
      timers: context.timers,
      now: () => context.now(),
      output: (line) => context.logs.append(run.uid, container.name, line, context.now()),
      onOom: (program) => recordOom(run, program),
    });
    container.instance = instance;
    container.state = { running: { startedAt: context.timestamp() } };
    container.everStarted = true;
    container.ready = false;
    container.started = !spec.startupProbe;
    writeStatus(run);

    const fault = container.fault?.kind;
    if (fault === 'crash' || fault === 'oom') {
      const script = faultScript(pod, spec, container.fault!);
      for (const line of script.startup) context.logs.append(run.uid, container.name, line, context.now());
      later(run, Math.max(settings.startDelayMs, 20), () => {
        if (container.generation !== generation) return;
        for (const line of script.beforeExit) context.logs.append(run.uid, container.name, line, context.now());
        if (fault === 'oom') {
          recordOom(run, spec.command?.[0]?.split('/').pop() ?? 'node');
          exitContainer(run, container, 137, 'OOMKilled');
        } else exitContainer(run, container, 1, 'Error');
      });
      return;
    }
    instance.runMain().then(
      (exit: MainExit) => {
        if (container.generation !== generation || run.deleting || runs.get(run.key) !== run) return;
        if (exit.reason === 'StartError') record(run, 'Warning', 'Failed', `Error: ${exit.message}`, pod);
        exitContainer(run, container, exit.exitCode, exit.reason, exit.message);
      },
      (error) => process.stderr.write(`kube-sim: container ${run.namespace}/${run.name}/${container.name}: ${error instanceof Error ? error.stack : String(error)}\n`),
    );
    if (container.init && !container.sidecar) return;
    startProbes(run, container, spec, generation);
    if (container.sidecar) runNextInit(run);
  }

  function startProbes(run: PodRun, container: ContainerRun, spec: any, generation: number): void {
    const settings = context.settings();
    const alive = () => container.generation === generation && 'running' in container.state && !run.deleting && runs.get(run.key) === run;
    const setReady = (ready: boolean) => {
      if (container.ready === ready || !alive()) return;
      container.ready = ready;
      writeStatus(run);
    };
    const probeLoop = (kind: ProbeKind, probe: any) => {
      let failures = 0;
      let successes = 0;
      const attempt = () => {
        if (!alive()) return;
        if (kind !== 'startup' && !container.started) {
          later(run, (probe.periodSeconds ?? 10) * context.settings().secondMs, attempt);
          return;
        }
        const instance = container.instance;
        if (!instance || !run.sandbox) return;
        runProbe({ probe, spec, sandbox: run.sandbox, instance, secondMs: context.settings().secondMs, sleepMs: (ms) => new Promise((resolve) => later(run, ms, () => resolve())) }).then(
          (result) => {
            if (!alive()) return;
            const label = `${kind[0].toUpperCase()}${kind.slice(1)}`;
            if (result.success) {
              failures = 0;
              successes++;
              if (kind === 'startup') {
                container.started = true;
                if (!spec.readinessProbe) setReady(true);
                else writeStatus(run);
                return;
              }
              if (kind === 'readiness' && successes >= (probe.successThreshold ?? 1)) setReady(true);
            } else {
              successes = 0;
              failures++;
              record(run, 'Warning', 'Unhealthy', `${label} probe failed: ${result.message ?? ''}`);
              const threshold = probe.failureThreshold ?? 3;
              if (kind === 'readiness' && failures >= threshold) setReady(false);
              if ((kind === 'liveness' || kind === 'startup') && failures >= threshold) {
                killContainer(run, container, `Container ${container.name} failed ${kind} probe, will be restarted`);
                return;
              }
            }
            later(run, (probe.periodSeconds ?? 10) * context.settings().secondMs, attempt);
          },
          (error) => process.stderr.write(`kube-sim: probe ${run.namespace}/${run.name}/${container.name}: ${error instanceof Error ? error.message : String(error)}\n`),
        );
      };
      later(run, (probe.initialDelaySeconds ?? 0) * settings.secondMs, attempt);
    };
    if (spec.startupProbe) probeLoop('startup', spec.startupProbe);
    if (spec.livenessProbe) probeLoop('liveness', spec.livenessProbe);
    if (container.fault?.kind === 'unready') {
      later(run, settings.readinessDelayMs, () => {
        if (alive()) reportUnhealthy(run, container, generation, 0);
      });
    } else if (spec.readinessProbe) probeLoop('readiness', spec.readinessProbe);
    else {
      const readyWhenStarted = () => {
        if (!alive()) return;
        if (container.started) setReady(true);
        else later(run, settings.readinessDelayMs, readyWhenStarted);
      };
      later(run, settings.readinessDelayMs, readyWhenStarted);
    }
  }

  function reportUnhealthy(run: PodRun, container: ContainerRun, generation: number, count: number): void {
    const pod = getPod(run);
    const spec = specOf(pod, container);
    const probe = spec?.readinessProbe;
    const port = probe?.httpGet?.port ?? spec?.ports?.[0]?.containerPort ?? 8080;
    const path = probe?.httpGet?.path ?? '/healthz';
    const message = probe?.exec ? 'Readiness probe failed: command "' + (probe.exec.command ?? []).join(' ') + '" exited with 1' : `Readiness probe failed: Get "http://${run.podIP}:${port}${path}": HTTP probe failed with statuscode: 503`;
    record(run, 'Warning', 'Unhealthy', message);
    if (count < 3) {
      later(run, context.settings().crashBackoffMs, () => {
        if (container.generation === generation && 'running' in container.state) reportUnhealthy(run, container, generation, count + 1);
      });
    }
  }

  function runNextInit(run: PodRun): void {
    const next = run.initContainers.find((container) => container.generation === 0);
    if (next) {
      startContainer(run, next);
      return;
    }
    if (!initDone(run)) return;
    for (const container of run.containers) if (container.generation === 0) startContainer(run, container);
  }

  /** Sandbox first (IP, volumes), then init containers in order, then the containers. */
  function setUpPod(run: PodRun): void {
    const pod = getPod(run);
    if (!pod) return;
    // Like the kubelet's volume manager: volumes mount before the sandbox (and its IP) exists.
    try {
      for (const spec of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) buildMounts(mountContext(run, pod), spec);
    } catch (error) {
      if (!(error instanceof MountError)) throw error;
      writeStatus(run);
      record(run, 'Warning', 'FailedMount', error.message);
      block(run, () => setUpPod(run));
      return;
    }
    run.mountAttempts = 0;
    if (!run.sandbox) {
      run.podIP = allocateIp(run.podCIDR);
      run.sandbox = { uid: run.uid, namespace: run.namespace, name: run.name, ip: run.podIP, listeners: new Map() };
      sandboxesByIp.set(run.podIP, run.sandbox);
    }
    run.initialized = true;
    // The first container start writes the status (IP, PodReadyToStartContainers) in the same turn.
    runNextInit(run);
  }

  function startPod(pod: KubeObject): PodRun {
    const key = keyOf(pod.metadata.namespace, pod.metadata.name);
    const node = store.get(context.types.nodes(), undefined, pod.spec.nodeName);
    const hostIP = node?.status?.addresses?.find((address: any) => address.type === 'InternalIP')?.address ?? '172.18.0.3';
    const newContainer = (spec: any, init: boolean): ContainerRun => ({
      name: spec.name,
      image: spec.image,
      init,
      sidecar: init && spec.restartPolicy === 'Always',
      restartCount: 0,
      state: { waiting: { reason: init || !(pod.spec.initContainers ?? []).length ? 'ContainerCreating' : 'PodInitializing' } },
      ready: false,
      started: false,
      everStarted: false,
      imagePulled: false,
      generation: 0,
      backoffs: 0,
    });
    const run: PodRun = {
      uid: pod.metadata.uid!,
      key,
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name!,
      nodeName: pod.spec.nodeName,
      hostIP,
      startTime: context.timestamp(),
      containers: (pod.spec.containers ?? []).map((spec: any) => newContainer(spec, false)),
      initContainers: (pod.spec.initContainers ?? []).map((spec: any) => newContainer(spec, true)),
      cancels: new Set(),
      deleting: false,
      emptyDirs: new Map(),
      initialized: false,
      initFailed: false,
      mountAttempts: 0,
      nodeMemory: memoryBytes(node?.status?.allocatable?.memory) || 8 * 2 ** 30,
      podCIDR: node?.spec?.podCIDR ?? '10.244.1.0/24',
    };
    runs.set(key, run);
    writeStatus(run);
    later(run, context.settings().startDelayMs, () => setUpPod(run));
    return run;
  }

  function stopRun(run: PodRun): void {
    run.deleting = true;
    for (const cancel of run.cancels) cancel();
    run.cancels.clear();
    for (const container of [...run.initContainers, ...run.containers]) {
      container.instance?.kill();
      container.instance = undefined;
    }
  }

  function removeSandbox(run: PodRun): void {
    if (run.sandbox && sandboxesByIp.get(run.sandbox.ip) === run.sandbox) sandboxesByIp.delete(run.sandbox.ip);
    run.sandbox?.listeners.clear();
  }

  /**
   * A deleted pod: stop its containers. The API server's termination queue removes the pod when its
   * (scaled) grace period ends, so graceful deletes look the same whether or not a kubelet runs the pod.
   */
  function beginDeletion(run: PodRun | undefined): void {
    if (!run || run.deleting) return;
    for (const container of run.containers) {
      if ('running' in container.state) record(run, 'Normal', 'Killing', `Stopping container ${container.name}`);
    }
    stopRun(run);
  }

  /** Pods bound to a node that does not exist (yet), by node name: a kubelet runs only its own node's pods. */
  const waitingForNode = new Map<string, Set<string>>();
  const configKinds = new Set(['configmaps', 'secrets', 'persistentvolumeclaims']);
  /** keys of retries after a ConfigMap/Secret/claim change, apart from pod keys (our own status writes must not retry) */
  const retryPrefix = 'retry:';

  const controller: Controller = {
    name: 'kubelet',
    keysFor(change) {
      if (change.resource.group !== '') return [];
      const resource = change.resource.resource;
      if (resource === 'nodes') {
        if (change.type !== 'ADDED') return [];
        const waiting = waitingForNode.get(change.object.metadata.name!);
        waitingForNode.delete(change.object.metadata.name!);
        return waiting ? [...waiting] : [];
      }
      if (change.type === 'DELETED' && resource === 'persistentvolumes') volumes.forget(`pv/${change.object.metadata.name}`);
      if (change.type === 'DELETED' && resource === 'persistentvolumeclaims' && !change.object.spec?.volumeName) volumes.forget(claimKey(change.object));
      if (configKinds.has(resource)) {
        // A ConfigMap, Secret or claim appeared or changed: pods waiting for one in that namespace retry now.
        const namespace = change.object.metadata.namespace;
        return [...runs.values()].filter((run) => run.blocked && run.namespace === namespace).map((run) => `${retryPrefix}${run.key}`);
      }
      if (resource !== 'pods') return [];
      return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
    },
    reconcile(key) {
      if (key.startsWith(retryPrefix)) {
        runs.get(key.slice(retryPrefix.length))?.blocked?.();
        return;
      }
      const { namespace, name } = splitKey(key);
      const pod = store.get(podsType(), namespace, name);
      let run = runs.get(key);
      if (run && (!pod || pod.metadata.uid !== run.uid)) {
        if (!run.deleting) {
          for (const container of run.containers) {
            if ('running' in container.state) {
              events.record({ apiVersion: 'v1', kind: 'Pod', metadata: { name: run.name, namespace: run.namespace, uid: run.uid } }, { reason: 'Killing', message: `Stopping container ${container.name}`, component: 'kubelet' });
            }
          }
        }
        stopRun(run);
        removeSandbox(run);
        context.logs.removePod(run.uid);
        runs.delete(key);
        run = undefined;
      }
      if (!pod) return;
      if (pod.metadata.deletionTimestamp) {
        beginDeletion(run);
        return;
      }
      if (!pod.spec?.nodeName) return;
      if (!run) {
        const nodeName = pod.spec.nodeName as string;
        if (!store.get(context.types.nodes(), undefined, nodeName)) {
          // Nobody runs that node: the pod stays as written (Pending), like one bound to a node that is down.
          const waiting = waitingForNode.get(nodeName) ?? new Set<string>();
          waitingForNode.set(nodeName, waiting.add(key));
          return;
        }
        startPod(pod);
        return;
      }
      // `kubectl set image pod/x` changes a running pod's image: the kubelet restarts that container.
      for (const container of run.containers) {
        const spec = (pod.spec.containers ?? []).find((candidate: any) => candidate.name === container.name);
        if (spec && spec.image !== container.image && container.generation > 0) {
          if ('running' in container.state) record(run, 'Normal', 'Killing', `Container ${container.name} definition changed, will be restarted`);
          context.logs.end(run.uid, container.name);
          container.instance?.kill();
          container.instance = undefined;
          container.imagePulled = false;
          container.backoffs = 0;
          container.restartCount += container.everStarted ? 1 : 0;
          container.image = spec.image;
          startContainer(run, container);
        }
      }
    },
  };

  function runningInstance(pod: KubeObject, containerName: string): ContainerInstance | undefined {
    const run = runs.get(keyOf(pod.metadata.namespace, pod.metadata.name));
    if (!run || run.uid !== pod.metadata.uid) return undefined;
    const container = [...run.containers, ...run.initContainers].find((candidate) => candidate.name === containerName);
    return container && 'running' in container.state ? container.instance : undefined;
  }

  return {
    controller,
    runtime: {
      instance: runningInstance,
      execInstance(pod, containerName) {
        const running = runningInstance(pod, containerName);
        if (running) return running;
        const spec = (pod.spec?.containers ?? []).find((candidate: any) => candidate.name === containerName);
        if (!spec) return undefined;
        const ip = pod.status?.podIP ?? '10.244.1.2';
        const sandbox = sandboxesByIp.get(ip) ?? { uid: pod.metadata.uid!, namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name!, ip, listeners: new Map() };
        const image = fallbackImage(spec.image);
        let env: Array<[string, string]> = [];
        try {
          env = resolveContainerEnvironment({ pod, container: spec, image: image.definition, lookup, podIP: ip, hostIP: pod.status?.hostIP });
        } catch {
          env = (spec.env ?? []).filter((variable: any) => typeof variable.value === 'string').map((variable: any) => [variable.name, variable.value]);
        }
        return createContainerInstance({
          id: 'transient',
          pod,
          spec,
          image,
          env,
          mounts: [],
          sandbox,
          network: network.forPod(pod, ip, () => sandbox),
          memoryLimit: memoryBytes(spec.resources?.limits?.memory) || 8 * 2 ** 30,
          settings: () => context.settings(),
          timers: context.timers,
          now: () => context.now(),
          output: () => {},
          onOom: () => {},
        });
      },
      sandboxes,
      network,
      volumes,
    },
    containerStatus(pod, containerName) {
      return (pod.status?.containerStatuses ?? []).find((status: any) => status.name === containerName);
    },
  };
}

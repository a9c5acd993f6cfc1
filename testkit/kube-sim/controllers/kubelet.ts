import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../cluster-types.ts';
import { runCommand } from '../runtime/exec-commands.ts';
import type { ContainerFault } from '../runtime/fault-rules.ts';
import { commandOutput, logScriptFor, type LogScript } from '../runtime/log-script.ts';
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
  fault?: ContainerFault;
  restartCount: number;
  state: ContainerStateView;
  lastState?: Terminated;
  ready: boolean;
  everStarted: boolean;
  imagePulled: boolean;
  containerId?: string;
  /** bumps on every start, so timers of an earlier instance know they are stale */
  generation: number;
  backoffs: number;
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
  cancels: Array<() => void>;
  deleting: boolean;
}

/** Public view of the kubelet for pods/log, pods/exec and metrics. */
export interface Kubelet {
  controller: Controller;
  /** container id of the current (or, with previous, the last terminated) instance of a container */
  containerStatus(pod: KubeObject, container: string): any | undefined;
}

const restartPolicyOf = (pod: KubeObject): string => pod.spec?.restartPolicy ?? 'Always';

function imageRef(image: string): string {
  if (image.includes('/') && /[.:]/.test(image.split('/')[0])) return image;
  const withTag = image.includes(':') || image.includes('@') ? image : `${image}:latest`;
  return image.includes('/') ? `docker.io/${withTag}` : `docker.io/library/${withTag}`;
}

function imageId(image: string): string {
  const hex = Buffer.from(imageRef(image)).toString('hex').padEnd(64, '0').slice(0, 64);
  return `${imageRef(image).split(':')[0]}@sha256:${hex}`;
}

/**
 * The simulated kubelet: runs scheduled pods through image pull, start, readiness, crashes with
 * back-off, completion and graceful deletion, writing status and events the way a real node does.
 */
export function createKubelet(context: WorkloadContext): Kubelet {
  const { store, events } = context.cluster;
  const runs = new Map<string, PodRun>();
  const nextIp = new Map<string, number>();

  const podsType = () => context.types.pods();
  const getPod = (run: PodRun) => {
    const pod = store.get(podsType(), run.namespace, run.name);
    return pod && pod.metadata.uid === run.uid ? pod : undefined;
  };
  const record = (run: PodRun, type: 'Normal' | 'Warning', reason: string, message: string) => {
    const pod = getPod(run);
    if (pod) events.record(pod, { type, reason, message, component: 'kubelet' });
  };
  const later = (run: PodRun, delayMs: number, callback: () => void) => {
    run.cancels.push(context.timers.after(delayMs, () => {
      if (run.deleting || runs.get(run.key) !== run) return;
      callback();
    }));
  };

  function allocateIp(node: KubeObject | undefined): string {
    const cidr: string = node?.spec?.podCIDR ?? '10.244.1.0/24';
    const prefix = cidr.split('.').slice(0, 3).join('.');
    const next = (nextIp.get(prefix) ?? 1) + 1;
    nextIp.set(prefix, next > 254 ? 2 : next);
    return `${prefix}.${next}`;
  }

  function containerStatusView(pod: KubeObject, container: ContainerRun) {
    return {
      name: container.name,
      image: container.image,
      imageID: container.imagePulled ? imageId(container.image) : '',
      ...(container.containerId ? { containerID: container.containerId } : {}),
      ready: container.ready,
      started: 'running' in container.state,
      restartCount: container.restartCount,
      state: container.state,
      lastState: container.lastState ? { terminated: container.lastState } : {},
      volumeMounts: (pod.spec?.containers ?? []).find((spec: any) => spec.name === container.name)?.volumeMounts,
    };
  }

  function phaseOf(run: PodRun, pod: KubeObject): string {
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
      let conditions = pod.status?.conditions ?? [];
      const sandboxReady = !completed;
      conditions = setCondition(conditions, { type: 'PodReadyToStartContainers', status: sandboxReady ? 'True' : 'False' }, now, { lastProbeTime: null });
      conditions = setCondition(conditions, completed ? { type: 'Initialized', status: 'True', reason: 'PodCompleted' } : { type: 'Initialized', status: 'True' }, now, { lastProbeTime: null });
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

  function scriptFor(run: PodRun, container: ContainerRun): LogScript | undefined {
    const pod = getPod(run);
    const spec = pod?.spec?.containers?.find((candidate: any) => candidate.name === container.name);
    if (!pod || !spec) return undefined;
    const script = logScriptFor({ pod, container: spec, fault: container.fault, now: context.now() });
    if (restartPolicyOf(pod) !== 'Always' && (spec.command || spec.args)) {
      // Run-to-completion pods (`kubectl run --restart=Never -- echo hi`) print their command's output.
      const output = commandOutput(spec, (argv) => runCommand(argv, { pod, container: spec, now: context.now() }));
      if (output.length) {
        script.startup = output;
        script.periodic = () => undefined;
        script.beforeExit = [];
      }
    }
    return script;
  }

  function tick(run: PodRun, container: ContainerRun, script: LogScript, count: number, generation: number): void {
    later(run, context.settings().logIntervalMs, () => {
      if (container.generation !== generation || !('running' in container.state)) return;
      const line = script.periodic(count, context.now());
      if (line) context.logs.append(run.uid, container.name, line, context.now());
      tick(run, container, script, count + 1, generation);
    });
  }

  function exitContainer(run: PodRun, container: ContainerRun, exitCode: number, reason: string): void {
    const pod = getPod(run);
    if (!pod || !('running' in container.state)) return;
    context.logs.end(run.uid, container.name);
    const terminated: Terminated = { exitCode, reason, startedAt: container.state.running.startedAt, finishedAt: context.timestamp(), containerID: container.containerId ?? '' };
    container.ready = false;
    const policy = restartPolicyOf(pod);
    const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      container.state = { terminated };
      writeStatus(run);
      return;
    }
    container.lastState = terminated;
    const settings = context.settings();
    const delay = settings.crashBackoffMs * 2 ** Math.min(container.backoffs, 3);
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

  function startContainer(run: PodRun, container: ContainerRun): void {
    const pod = getPod(run);
    const spec = pod?.spec?.containers?.find((candidate: any) => candidate.name === container.name);
    if (!pod || !spec) return;
    container.generation++;
    container.image = spec.image;
    container.fault = context.faults.faultFor(pod, spec);
    const settings = context.settings();
    if (container.fault?.kind === 'imagepull') {
      const ref = imageRef(container.image);
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
      container.state = { waiting: { reason: 'ErrImagePull', message } };
      writeStatus(run);
      record(run, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${message}`);
      record(run, 'Warning', 'Failed', 'Error: ErrImagePull');
      const generation = container.generation;
      later(run, settings.crashBackoffMs, () => {
        if (container.generation !== generation) return;
        container.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` } };
        writeStatus(run);
        record(run, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`);
        record(run, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      });
      return;
    }
    if (container.imagePulled) {
      record(run, 'Normal', 'Pulled', `Container image "${container.image}" already present on machine`);
    } else {
      container.imagePulled = true;
      const size = 20_000_000 + (container.image.length * 7_654_321) % 180_000_000;
      record(run, 'Normal', 'Pulled', `Successfully pulled image "${container.image}" in 1.204s (1.204s including waiting). Image size: ${size} bytes.`);
    }
    container.containerId = `containerd://${randomBytes(32).toString('hex')}`;
    record(run, 'Normal', 'Created', `Created container: ${container.name}`);
    record(run, 'Normal', 'Started', `Started container ${container.name}`);
    context.logs.start(run.uid, container.name, container.containerId);
    const script = scriptFor(run, container);
    for (const line of script?.startup ?? []) context.logs.append(run.uid, container.name, line, context.now());
    container.state = { running: { startedAt: context.timestamp() } };
    container.everStarted = true;
    container.ready = false;
    if (!run.podIP) run.podIP = allocateIp(store.get(context.types.nodes(), undefined, run.nodeName));
    writeStatus(run);
    const generation = container.generation;
    if (script) tick(run, container, script, 0, generation);
    const fault = container.fault?.kind;
    if (fault === 'crash' || fault === 'oom') {
      later(run, Math.max(settings.startDelayMs, 20), () => {
        if (container.generation !== generation) return;
        for (const line of script?.beforeExit ?? []) context.logs.append(run.uid, container.name, line, context.now());
        if (fault === 'oom') exitContainer(run, container, 137, 'OOMKilled');
        else exitContainer(run, container, 1, 'Error');
      });
      return;
    }
    if (restartPolicyOf(pod) !== 'Always') {
      later(run, settings.jobDurationMs, () => {
        if (container.generation === generation) exitContainer(run, container, 0, 'Completed');
      });
    }
    later(run, settings.readinessDelayMs, () => {
      if (container.generation !== generation || !('running' in container.state)) return;
      if (fault === 'unready') {
        reportUnhealthy(run, container, generation, 0);
        return;
      }
      container.ready = true;
      writeStatus(run);
    });
  }

  function reportUnhealthy(run: PodRun, container: ContainerRun, generation: number, count: number): void {
    const pod = getPod(run);
    const spec = pod?.spec?.containers?.find((candidate: any) => candidate.name === container.name);
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

  function startPod(pod: KubeObject): PodRun {
    const key = keyOf(pod.metadata.namespace, pod.metadata.name);
    const node = store.get(context.types.nodes(), undefined, pod.spec.nodeName);
    const hostIP = node?.status?.addresses?.find((address: any) => address.type === 'InternalIP')?.address ?? '172.18.0.3';
    const newContainer = (spec: any): ContainerRun => ({
      name: spec.name,
      image: spec.image,
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
      ready: false,
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
      containers: (pod.spec.containers ?? []).map(newContainer),
      initContainers: (pod.spec.initContainers ?? []).map(newContainer),
      cancels: [],
      deleting: false,
    };
    runs.set(key, run);
    writeStatus(run);
    for (const container of run.containers) record(run, 'Normal', 'Pulling', `Pulling image "${container.image}"`);
    later(run, context.settings().startDelayMs, () => {
      // Init containers are simulated as having completed instantly: they matter for status, not behaviour.
      const now = context.timestamp();
      for (const init of run.initContainers) {
        init.imagePulled = true;
        init.everStarted = true;
        init.state = { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID: `containerd://${randomBytes(32).toString('hex')}` } };
      }
      for (const container of run.containers) startContainer(run, container);
    });
    return run;
  }

  function stopRun(run: PodRun): void {
    run.deleting = true;
    for (const cancel of run.cancels) cancel();
    run.cancels = [];
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

  const controller: Controller = {
    name: 'kubelet',
    keysFor(change) {
      if (change.resource.group !== '') return [];
      if (change.resource.resource === 'nodes') {
        if (change.type !== 'ADDED') return [];
        const waiting = waitingForNode.get(change.object.metadata.name!);
        waitingForNode.delete(change.object.metadata.name!);
        return waiting ? [...waiting] : [];
      }
      if (change.resource.resource !== 'pods') return [];
      return [keyOf(change.object.metadata.namespace, change.object.metadata.name)];
    },
    reconcile(key) {
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
        if (spec && spec.image !== container.image) {
          if ('running' in container.state) record(run, 'Normal', 'Killing', `Container ${container.name} definition changed, will be restarted`);
          context.logs.end(run.uid, container.name);
          container.imagePulled = false;
          container.backoffs = 0;
          container.restartCount += container.everStarted ? 1 : 0;
          container.image = spec.image;
          record(run, 'Normal', 'Pulling', `Pulling image "${spec.image}"`);
          startContainer(run, container);
        }
      }
    },
  };

  return {
    controller,
    containerStatus(pod, containerName) {
      return (pod.status?.containerStatuses ?? []).find((status: any) => status.name === containerName);
    },
  };
}


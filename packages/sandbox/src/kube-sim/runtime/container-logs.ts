/** Log lines of every container instance the simulated kubelet started, for pods/log. */
export interface LogLine {
  time: Date;
  text: string;
}

export interface LogInstance {
  id: string;
  lines: LogLine[];
  ended: boolean;
  /** called with each new line, and with undefined when the instance ends */
  listeners: Set<(line: LogLine | undefined) => void>;
}

export interface ContainerLogs {
  start(podUid: string, container: string, id: string): LogInstance;
  append(podUid: string, container: string, text: string, time: Date): void;
  end(podUid: string, container: string): void;
  /** instance by container id (the kubelet reports ids in containerStatuses) */
  byId(podUid: string, container: string, id: string): LogInstance | undefined;
  /** the instances kept for a container (the previous one, then the current one), for the Loki API */
  instances(podUid: string, container: string): readonly LogInstance[];
  removePod(podUid: string): void;
}

// Why a cap: a container streaming access-log lines for hours must not grow memory without bound.
const maxLinesPerInstance = 5000;

export function createContainerLogs(): ContainerLogs {
  const instances = new Map<string, LogInstance[]>();
  const key = (podUid: string, container: string) => `${podUid}/${container}`;
  const latest = (podUid: string, container: string) => instances.get(key(podUid, container))?.at(-1);
  const endInstance = (instance: LogInstance) => {
    if (instance.ended) return;
    instance.ended = true;
    for (const listener of instance.listeners) listener(undefined);
    instance.listeners.clear();
  };
  return {
    start(podUid, container, id) {
      const list = instances.get(key(podUid, container)) ?? [];
      const previous = list.at(-1);
      if (previous) endInstance(previous);
      const instance: LogInstance = { id, lines: [], ended: false, listeners: new Set() };
      list.push(instance);
      // Kubernetes keeps only the current and the previous container's logs.
      instances.set(key(podUid, container), list.slice(-2));
      return instance;
    },
    append(podUid, container, text, time) {
      const instance = latest(podUid, container);
      if (!instance || instance.ended) return;
      const line = { time, text };
      instance.lines.push(line);
      if (instance.lines.length > maxLinesPerInstance) instance.lines.splice(0, instance.lines.length - maxLinesPerInstance);
      for (const listener of instance.listeners) listener(line);
    },
    end(podUid, container) {
      const instance = latest(podUid, container);
      if (instance) endInstance(instance);
    },
    byId(podUid, container, id) {
      return instances.get(key(podUid, container))?.find((instance) => instance.id === id);
    },
    instances(podUid, container) {
      return instances.get(key(podUid, container)) ?? [];
    },
    removePod(podUid) {
      for (const [instanceKey, list] of instances) {
        if (!instanceKey.startsWith(`${podUid}/`)) continue;
        for (const instance of list) endInstance(instance);
        instances.delete(instanceKey);
      }
    },
  };
}

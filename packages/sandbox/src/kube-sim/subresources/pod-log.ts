import { ApiError, type KubeObject, type SubresourceHandler } from '../cluster-types.ts';
import type { LogInstance, LogLine } from '../runtime/container-logs.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';

function rfc3339Nano(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** Picks the container a log request is about, with the API server's messages for ambiguous or unknown names. */
export function resolveContainer(pod: KubeObject, requested: string | null): string {
  const containers: string[] = (pod.spec?.containers ?? []).map((container: any) => container.name);
  const initContainers: string[] = (pod.spec?.initContainers ?? []).map((container: any) => container.name);
  if (!requested) {
    if (containers.length === 1) return containers[0];
    const init = initContainers.length ? ` or one of the init containers: [${initContainers.join(' ')}]` : '';
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.join(' ')}]${init}`);
  }
  if (!containers.includes(requested) && !initContainers.includes(requested)) {
    throw badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
  }
  return requested;
}

/** The container instance whose logs the kubelet would serve, following kubelet's validateContainerLogStatus. */
function instanceFor(context: WorkloadContext, pod: KubeObject, container: string, previous: boolean): LogInstance | undefined {
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  const status = statuses.find((candidate: any) => candidate.name === container);
  const podName = pod.metadata.name;
  const uid = pod.metadata.uid!;
  const lastTerminated = status?.lastState?.terminated;
  if (previous) {
    if (!lastTerminated?.containerID) throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    return context.logs.byId(uid, container, lastTerminated.containerID);
  }
  if (status?.state?.running || status?.state?.terminated) {
    const id = status.containerID ?? status.state.terminated?.containerID;
    return id ? context.logs.byId(uid, container, id) : undefined;
  }
  if (lastTerminated?.containerID) return context.logs.byId(uid, container, lastTerminated.containerID);
  const reason = status?.state?.waiting?.reason ?? 'ContainerCreating';
  if (reason === 'ErrImagePull' || reason === 'ImagePullBackOff') {
    throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`);
  }
  throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
}

/** GET pods/<name>/log: text/plain, with container, follow, tailLines, sinceSeconds, sinceTime, timestamps, previous, limitBytes. */
export function createPodLogHandler(context: WorkloadContext): SubresourceHandler {
  return ({ namespace, name, url, request, response }) => {
    const pod = context.cluster.store.get(context.types.pods(), namespace, name!);
    if (!pod) throw new ApiError(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });
    const query = url.searchParams;
    const container = resolveContainer(pod, query.get('container'));
    const previous = query.get('previous') === 'true';
    const instance = instanceFor(context, pod, container, previous);
    const timestamps = query.get('timestamps') === 'true';
    const since = query.get('sinceSeconds') ? context.now().getTime() - Number(query.get('sinceSeconds')) * 1000 : query.get('sinceTime') ? Date.parse(query.get('sinceTime')!) : undefined;
    const tail = query.get('tailLines') !== null ? Number(query.get('tailLines')) : undefined;
    let remainingBytes = query.get('limitBytes') ? Number(query.get('limitBytes')) : Number.POSITIVE_INFINITY;

    const format = (line: LogLine) => `${timestamps ? `${rfc3339Nano(line.time)} ` : ''}${line.text}\n`;
    let lines = (instance?.lines ?? []).filter((line) => since === undefined || line.time.getTime() >= since);
    if (tail !== undefined && tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);

    response.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    const write = (text: string): boolean => {
      if (remainingBytes <= 0) return false;
      const chunk = Buffer.from(text);
      const slice = chunk.length > remainingBytes ? chunk.subarray(0, remainingBytes) : chunk;
      remainingBytes -= slice.length;
      response.write(slice);
      return remainingBytes > 0;
    };
    for (const line of lines) if (!write(format(line))) break;
    const follow = query.get('follow') === 'true';
    if (!follow || !instance || instance.ended || previous || remainingBytes <= 0) {
      response.end();
      return;
    }
    // Follow: stream new lines until the container instance ends (crash, pod deleted) or the client leaves.
    const listener = (line: LogLine | undefined) => {
      if (!line || !write(format(line))) {
        instance.listeners.delete(listener);
        response.end();
      }
    };
    instance.listeners.add(listener);
    const stop = () => instance.listeners.delete(listener);
    request.on('close', stop);
    response.on('close', stop);
  };
}

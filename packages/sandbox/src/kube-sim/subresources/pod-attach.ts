import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeObject, UpgradeHandler } from '../cluster-types.ts';
import type { KubeletRuntime } from '../controllers/kubelet.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';
import { channel, frame, rejectUpgrade, supportedProtocols } from './pod-exec.ts';

/**
 * pods/attach over WebSocket (`kubectl attach`, `kubectl run -i`): streams the main process's output and,
 * for a container with `stdin: true`, feeds it stdin. Such a container's output from before the attach is
 * sent first, so `kubectl run -i --rm … -- wget …` shows everything the command printed; a container
 * without stdin shows only what it prints from now on, as with a real runtime.
 */
export function createPodAttachHandler(context: WorkloadContext, runtime: KubeletRuntime): UpgradeHandler {
  const server = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => supportedProtocols.find((protocol) => offered.has(protocol)) ?? false,
  });
  context.cluster.onClose(() => server.close());

  function session(ws: WebSocket, pod: KubeObject, spec: any, containerId: string, options: { stdin: boolean; tty: boolean }): void {
    const instance = runtime.instance(pod, spec.name);
    const logInstance = context.logs.byId(pod.metadata.uid!, spec.name, containerId);
    let open = true;
    // Frames are held until a moment after the stream opens (execStartDelayMs, as for pods/exec): kubectl registers
    // its streams in a goroutine racing its reader and drops frames that arrive first ("Unknown stream id 1"), so the
    // backlog a `kubectl run -i` pod printed before the attach, sent at once, could be lost (pods/exec lost output so).
    let held: Buffer[] | undefined = [];
    const write = (data: Buffer) => (held ? held.push(data) : ws.send(data));
    const send = (text: string) => {
      if (!text || !open) return;
      write(frame(channel.stdout, options.tty ? text.replace(/\r?\n/g, '\r\n') : text));
    };
    const finish = () => {
      if (!open) return;
      write(frame(channel.error, JSON.stringify({ metadata: {}, status: 'Success' })));
      open = false;
      // while frames are held, the flush sends them and then closes
      if (!held) ws.close(1000);
    };
    // cancelled when the socket closes, so here `open` is false only because finish() ran
    const cancelFlush = context.timers.after(context.settings().execStartDelayMs, () => {
      const frames = held ?? [];
      held = undefined;
      if (ws.readyState !== ws.OPEN) return;
      for (const data of frames) ws.send(data);
      if (!open) ws.close(1000);
    });
    if (!instance || !logInstance || logInstance.ended) {
      finish();
      return;
    }
    if (spec.stdin) for (const line of logInstance.lines) send(`${line.text}\n`);
    const onOutput = (text: string) => send(text);
    instance.outputListeners.add(onOutput);
    const onEnd = (line: unknown) => {
      if (line !== undefined) return;
      // The container exited: let its last output go out, then end the stream.
      setImmediate(finish);
    };
    logInstance.listeners.add(onEnd);
    const detach = () => {
      instance.outputListeners.delete(onOutput);
      logInstance.listeners.delete(onEnd);
    };
    ws.on('message', (data: Buffer) => {
      if (data.length === 0 || !options.stdin || !instance.stdin) return;
      if (data[0] === channel.close) {
        if (spec.stdinOnce) instance.stdin.end();
        return;
      }
      if (data[0] !== channel.stdin) return;
      const text = data.subarray(1).toString();
      if (options.tty) send(text.replace(/\r/g, '\n'));
      instance.stdin.push(text.replace(/\r/g, '\n'));
    });
    ws.on('close', () => {
      open = false;
      cancelFlush();
      detach();
      // stdinOnce: the first attach that closes stdin ends the container's input for good.
      if (spec.stdinOnce) instance.stdin?.end();
    });
  }

  return ({ namespace, name, url, request, socket, head }) => {
    const pod = context.cluster.store.get(context.types.pods(), namespace, name!);
    if (!pod) {
      rejectUpgrade(socket, 404, 'NotFound', `pods "${name}" not found`);
      return;
    }
    const query = url.searchParams;
    const containers: any[] = pod.spec?.containers ?? [];
    const containerName = query.get('container') ?? containers[0]?.name;
    const spec = containers.find((candidate) => candidate.name === containerName);
    if (!spec) {
      rejectUpgrade(socket, 400, 'BadRequest', `container ${containerName} is not valid for pod ${name}`);
      return;
    }
    const status = (pod.status?.containerStatuses ?? []).find((candidate: any) => candidate.name === containerName);
    if (!status?.state?.running || !status.containerID) {
      rejectUpgrade(socket, 400, 'BadRequest', `container ${containerName} is not running`);
      return;
    }
    if (String(request.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      rejectUpgrade(socket, 400, 'BadRequest', 'kube-sim serves pods/attach over WebSocket only (v5.channel.k8s.io); SPDY is not supported');
      return;
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      session(ws, pod, spec, status.containerID, { stdin: query.get('stdin') === 'true', tty: query.get('tty') === 'true' });
    });
  };
}

import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeObject, UpgradeHandler } from '../cluster-types.ts';
import type { KubeletRuntime } from '../controllers/kubelet.ts';
import { emptyInput, streamInput } from '../containers/process-types.ts';
import { ProgramNotFound } from '../containers/shell/shell-interpreter.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';

/** Channel numbers of the Kubernetes remotecommand WebSocket protocol (v4/v5.channel.k8s.io). */
export const channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
export const supportedProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export function rejectUpgrade(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const statusText = code === 404 ? 'Not Found' : code === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(`HTTP/1.1 ${code} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export function exitStatus(argv: string[], exitCode: number): string {
  if (exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

export function frame(stream: number, data: string | Buffer): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([stream]), payload]);
}

/**
 * pods/exec over WebSocket, the transport kubectl 1.30+ uses by default. The command runs in the
 * container model next to the main process: same filesystem, environment and network.
 */
export function createPodExecHandler(context: WorkloadContext, runtime: KubeletRuntime): UpgradeHandler {
  const server = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => supportedProtocols.find((protocol) => offered.has(protocol)) ?? false,
  });
  context.cluster.onClose(() => server.close());

  function session(ws: WebSocket, pod: KubeObject, container: any, argv: string[], options: { stdin: boolean; tty: boolean }): void {
    let open = true;
    const send = (stream: number, data: string) => {
      if (!data || !open) return;
      // With a TTY stderr is merged into stdout, and a terminal wants CRLF line endings.
      const target = options.tty && stream === channel.stderr ? channel.stdout : stream;
      ws.send(frame(target, options.tty ? data.replace(/\r?\n/g, '\r\n') : data));
    };
    const finish = (exitCode: number) => {
      if (!open) return;
      ws.send(frame(channel.error, exitStatus(argv, exitCode)));
      open = false;
      ws.close(1000);
    };
    const input = options.stdin ? streamInput() : undefined;
    let execution: { kill(): void } | undefined;
    ws.on('message', (data: Buffer) => {
      if (data.length === 0 || !input) return;
      const stream = data[0];
      if (stream === channel.close) {
        input.end();
        return;
      }
      if (stream !== channel.stdin) return;
      const text = data.subarray(1).toString();
      // A terminal echoes what is typed.
      if (options.tty) send(channel.stdout, text.replace(/\r/g, '\n'));
      input.push(text.replace(/\r/g, '\n'));
    });
    const start = () => {
      if (!open) return;
      const instance = runtime.execInstance(pod, container.name);
      if (!instance) {
        send(channel.stderr, `container ${container.name} is not running\n`);
        finish(1);
        return;
      }
      const running = instance.exec(argv, { stdin: input ?? emptyInput, stdout: (text) => send(channel.stdout, text), stderr: (text) => send(channel.stderr, text) }, { tty: options.tty });
      execution = running;
      running.done.then(
        (code) => finish(code),
        (error) => {
          if (error instanceof ProgramNotFound) {
            // What a missing binary looks like through a shell; a real runtime answers with an OCI error.
            send(channel.stderr, `sh: ${error.program}: not found\n`);
            finish(error.kind === 'missing' ? 127 : 126);
            return;
          }
          send(channel.stderr, `kube-sim: ${error instanceof Error ? error.message : String(error)}\n`);
          finish(1);
        },
      );
    };
    // The runtime starts the process a moment after the stream opens, as runc exec does. kubectl's WebSocket client
    // registers its streams only after the handshake, in a goroutine racing its reader, and drops frames that
    // arrive first ("Unknown stream id 1, discarding message"): output sent in the same instant was lost on a busy
    // machine (an empty stdout, or "error: closed all streams" when the exit status went too).
    const cancelStart = context.timers.after(context.settings().execStartDelayMs, start);
    ws.on('close', () => {
      open = false;
      cancelStart();
      input?.end();
      execution?.kill();
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
    const container = [...containers, ...(pod.spec?.initContainers ?? [])].find((candidate) => candidate.name === containerName);
    if (!container) {
      rejectUpgrade(socket, 400, 'BadRequest', `container ${containerName} is not valid for pod ${name}`);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      rejectUpgrade(socket, 400, 'BadRequest', `cannot exec into a container in a completed pod; current phase is ${phase}`);
      return;
    }
    const status = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((candidate: any) => candidate.name === containerName);
    if (!status?.state?.running) {
      rejectUpgrade(socket, 400, 'BadRequest', `container not found ("${containerName}")`);
      return;
    }
    if (String(request.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      rejectUpgrade(socket, 400, 'BadRequest', 'kube-sim serves pods/exec over WebSocket only (v5.channel.k8s.io); SPDY is not supported');
      return;
    }
    const argv = query.getAll('command');
    if (argv.length === 0) {
      rejectUpgrade(socket, 400, 'BadRequest', 'you must specify at least 1 command');
      return;
    }
    server.handleUpgrade(request, socket, head, (ws) => {
      session(ws, pod, container, argv, { stdin: query.get('stdin') === 'true', tty: query.get('tty') === 'true' });
    });
  };
}

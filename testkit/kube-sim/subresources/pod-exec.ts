import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeObject, UpgradeHandler } from '../cluster-types.ts';
import { runCommand, shellWords, type CommandResult } from '../runtime/exec-commands.ts';
import type { WorkloadContext } from '../workloads/workload-context.ts';

/** Channel numbers of the Kubernetes remotecommand WebSocket protocol (v4/v5.channel.k8s.io). */
const channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
const supportedProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function rejectUpgrade(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  const statusText = code === 404 ? 'Not Found' : code === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(`HTTP/1.1 ${code} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function exitStatus(argv: string[], exitCode: number): string {
  if (exitCode === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  });
}

function frame(stream: number, data: string | Buffer): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([stream]), payload]);
}

const isShell = (argv: string[]) => argv.length === 1 && /(^|\/)(sh|bash|ash)$/.test(argv[0]);

/**
 * pods/exec over WebSocket, the transport kubectl 1.30+ uses by default. Commands run in the simulated
 * runtime; an interactive shell (`kubectl exec -it pod -- sh`) reads lines from stdin.
 */
export function createPodExecHandler(context: WorkloadContext): UpgradeHandler {
  const server = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => supportedProtocols.find((protocol) => offered.has(protocol)) ?? false,
  });
  context.cluster.onClose(() => server.close());

  function session(ws: WebSocket, pod: KubeObject, container: any, argv: string[], options: { stdin: boolean; tty: boolean }): void {
    const send = (stream: number, data: string) => {
      if (!data) return;
      // With a TTY stderr is merged into stdout, and a terminal wants CRLF line endings.
      const target = options.tty && stream === channel.stderr ? channel.stdout : stream;
      ws.send(frame(target, options.tty ? data.replace(/\r?\n/g, '\r\n') : data));
    };
    const finish = (exitCode: number) => {
      ws.send(frame(channel.error, exitStatus(argv, exitCode)));
      ws.close(1000);
    };
    const run = (words: string[]): CommandResult => runCommand(words, { pod, container, now: context.now() });

    if (!(options.stdin && isShell(argv))) {
      const result = run(argv);
      send(channel.stdout, result.stdout);
      send(channel.stderr, result.stderr);
      finish(result.exitCode);
      return;
    }
    const prompt = () => options.tty && send(channel.stdout, '# ');
    let buffer = '';
    let lastExit = 0;
    prompt();
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const stream = data[0];
      if (stream === channel.close) {
        finish(lastExit);
        return;
      }
      if (stream !== channel.stdin) return;
      const text = data.subarray(1).toString();
      if (options.tty) send(channel.stdout, text.replace(/\r/g, '\n'));
      buffer += text.replace(/\r/g, '\n');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (!line) {
          prompt();
          continue;
        }
        const words = shellWords(line);
        if (words[0] === 'exit') {
          finish(Number(words[1] ?? lastExit) || 0);
          return;
        }
        const result = run(['sh', '-c', line]);
        lastExit = result.exitCode;
        send(channel.stdout, result.stdout);
        send(channel.stderr, result.stderr);
        prompt();
      }
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
    const container = containers.find((candidate) => candidate.name === containerName);
    if (!container) {
      rejectUpgrade(socket, 400, 'BadRequest', `container ${containerName} is not valid for pod ${name}`);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      rejectUpgrade(socket, 400, 'BadRequest', `cannot exec into a container in a completed pod; current phase is ${phase}`);
      return;
    }
    const status = (pod.status?.containerStatuses ?? []).find((candidate: any) => candidate.name === containerName);
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

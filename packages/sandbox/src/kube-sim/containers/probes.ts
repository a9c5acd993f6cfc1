import type { PodSandbox } from '../network/cluster-network.ts';
import type { ContainerInstance } from './container-instance.ts';
import { emptyInput } from './process-types.ts';
import { ProgramNotFound } from './shell/shell-interpreter.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeResult {
  success: boolean;
  /** the text after "Liveness probe failed: " */
  message?: string;
}

function resolvePort(port: unknown, spec: any): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  return (spec.ports ?? []).find((candidate: any) => candidate.name === port)?.containerPort;
}

/**
 * One probe attempt from the kubelet (node traffic: NetworkPolicies do not apply), against the container
 * model: HTTP answers from the container's server, TCP connects, exec runs the command in the container.
 */
export async function runProbe(input: { probe: any; spec: any; sandbox: PodSandbox; instance: ContainerInstance; sleepMs: (ms: number) => Promise<void>; secondMs: number }): Promise<ProbeResult> {
  const { probe, spec, sandbox } = input;
  const ip = sandbox.ip;
  const timeoutSeconds = probe.timeoutSeconds ?? 1;
  if (probe.httpGet) {
    const port = resolvePort(probe.httpGet.port, spec);
    const scheme = String(probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    const path = probe.httpGet.path ?? '/';
    const url = `${scheme}://${probe.httpGet.host ?? ip}:${port ?? probe.httpGet.port}${path}`;
    if (port === undefined) return { success: false, message: `Get "${url}": dial tcp: address ${probe.httpGet.port}: invalid port` };
    const listener = sandbox.listeners.get(`TCP/${port}`);
    if (!listener) return { success: false, message: `Get "${url}": dial tcp ${ip}:${port}: connect: connection refused` };
    if (!listener.http) return { success: false, message: `Get "${url}": net/http: HTTP/1.x transport connection broken: malformed HTTP response` };
    if (scheme === 'https' && !listener.program.includes('tls')) return { success: false, message: `Get "${url}": http: server gave HTTP response to HTTPS client` };
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.32', accept: '*/*' };
    for (const header of probe.httpGet.httpHeaders ?? []) headers[String(header.name).toLowerCase()] = header.value;
    const response = listener.http({ method: 'GET', path, headers, remoteAddress: '10.244.0.1', host: `${ip}:${port}` });
    if (response.delaySeconds && response.delaySeconds > timeoutSeconds) {
      await input.sleepMs(timeoutSeconds * input.secondMs);
      return { success: false, message: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` };
    }
    if (response.status >= 200 && response.status < 400) return { success: true };
    return { success: false, message: `HTTP probe failed with statuscode: ${response.status}` };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, spec);
    if (port !== undefined && sandbox.listeners.has(`TCP/${port}`)) return { success: true };
    return { success: false, message: `dial tcp ${ip}:${port ?? probe.tcpSocket.port}: connect: connection refused` };
  }
  if (probe.grpc) {
    const port = probe.grpc.port;
    if (sandbox.listeners.has(`TCP/${port}`)) return { success: true };
    return { success: false, message: `timeout: failed to connect service "${ip}:${port}" within ${timeoutSeconds}s: context deadline exceeded` };
  }
  if (probe.exec) {
    const command: string[] = probe.exec.command ?? [];
    let output = '';
    const sink = (text: string) => {
      output += text;
    };
    const session = input.instance.exec(command, { stdin: emptyInput, stdout: sink, stderr: sink });
    let timedOut = false;
    const timeout = input.sleepMs(timeoutSeconds * input.secondMs).then(() => {
      timedOut = true;
      session.kill();
    });
    timeout.catch(() => undefined);
    try {
      const code = await session.done;
      if (timedOut) return { success: false, message: `command timed out` };
      if (code === 0) return { success: true };
      return { success: false, message: output };
    } catch (error) {
      if (error instanceof ProgramNotFound) {
        return { success: false, message: `failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${error.program}": executable file not found in $PATH: unknown` };
      }
      throw error;
    }
  }
  return { success: true };
}

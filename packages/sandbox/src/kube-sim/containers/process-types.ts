import type { KubeObject } from '../cluster-types.ts';
import type { ContainerFilesystem } from './container-filesystem.ts';
import type { ResolvedImage } from './image-catalogue.ts';

/** Where a process reads stdin from: a string (pipes, files), an exec/attach stream, or nothing. */
export interface InputSource {
  /** the next line without its newline; undefined at end of input */
  readLine(): Promise<string | undefined>;
  /** everything up to end of input */
  readAll(): Promise<string>;
}

export type OutputSink = (text: string) => void;

/** Thrown through a process's awaits when its container (or exec session) is killed. */
export class ProcessKilled extends Error {
  constructor(public readonly reason: 'killed' | 'oom' = 'killed') {
    super(reason);
  }
}

/** An HTTP exchange with a simulated server. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** the client's IP, for access logs */
  remoteAddress: string;
  /** the Host header as sent */
  host: string;
}

export interface HttpResponse {
  status: number;
  statusText?: string;
  headers?: Record<string, string>;
  body: string;
  /** the server takes this long (seconds) to answer; probes with a shorter timeout fail */
  delaySeconds?: number;
}

/** A listening socket in a pod: HTTP servers answer requests, other TCP servers talk raw text. */
export interface Listener {
  port: number;
  protocol: 'TCP' | 'UDP';
  /** the container whose process listens */
  container: string;
  /** program name for `netstat`-like output and messages */
  program: string;
  http?: (request: HttpRequest) => HttpResponse;
  /** raw TCP: what the server sends first, and its answer to a line of input */
  banner?: string;
  reply?: (input: string) => string;
}

export type ConnectFailure = { error: 'refused' | 'timeout' | 'unreachable' | 'reset'; address: string; port: number };
export type Connection = { listener: Listener; address: string; port: number; /** pod the connection reached */ podName: string };

export interface Resolution {
  ok: boolean;
  /** fully qualified name that answered */
  name: string;
  addresses: string[];
  /** NXDOMAIN, or a DNS timeout when egress to kube-dns is blocked */
  error?: 'NXDOMAIN' | 'TIMEOUT';
  /** external names have no A record in the simulated cluster */
  external?: boolean;
  canonicalName?: string;
}

/** The cluster network as one pod sees it. */
export interface PodNetwork {
  /** resolv.conf search path applied; IP literals resolve to themselves */
  resolve(name: string): Resolution;
  connect(address: string, port: number, protocol?: 'TCP' | 'UDP'): Connection | ConnectFailure;
  /** does the address answer ICMP (pods do, Service ClusterIPs do not) */
  pingable(address: string): boolean;
}

/** The container a process runs in; shared by its main process and every exec session. */
export interface ContainerHost {
  pod: KubeObject;
  containerName: string;
  /** the container's spec from the pod */
  spec: any;
  image: ResolvedImage;
  fs: ContainerFilesystem;
  binaries: Set<string>;
  shellFlavor: 'ash' | 'dash' | 'bash';
  network: PodNetwork;
  podIp: string;
  now(): Date;
  /** ms per simulated second, for sleep, timeouts and probe periods */
  secondMs: number;
  /** waits `seconds` of container time; rejects with ProcessKilled when the process is killed */
  sleep(seconds: number): Promise<void>;
  /** never resolves; rejects with ProcessKilled (servers, `sleep infinity`, `tail -f`) */
  waitUntilKilled(): Promise<never>;
  /** starts listening; returns an error text when the port is taken */
  listen(listener: Omit<Listener, 'container'>): string | undefined;
  /** memory a process holds (bytes); past the container's limit the container is OOMKilled */
  allocate(bytes: number, program: string): void;
  /** the container's memory limit in bytes (node allocatable when unset) */
  memoryLimit: number;
  /** writes to PID 1's stdout, i.e. the container log (`echo x > /proc/1/fd/1`) */
  mainOutput: OutputSink;
  /** is this process the container's main process (PID 1) */
  isMain: boolean;
  /** the pod's restartPolicy: an in-house image run as a Job finishes instead of serving */
  restartPolicy: string;
  /** how long an in-house image's batch run lasts (settings.jobDurationMs) */
  jobDurationMs: number;
  /** waits real milliseconds (not scaled); rejects with ProcessKilled */
  sleepMs(ms: number): Promise<void>;
  /**
   * Background traffic a server logs while it runs (settings.logIntervalMs apart), like requests from
   * clients outside the simulation; stops with the process.
   */
  periodicLog(next: (tick: number, now: Date) => string | undefined): void;
}

/** What a command implementation receives. */
export interface ProcessContext {
  /** argv[0] as typed */
  command: string;
  args: string[];
  stdin: InputSource;
  stdout: OutputSink;
  stderr: OutputSink;
  env: Map<string, string>;
  cwd: string;
  host: ContainerHost;
  /** a terminal is attached (exec -t, attach -t): shells print prompts */
  tty?: boolean;
  /** runs another program in the same container with the same streams unless overridden */
  spawn(argv: string[], overrides?: { stdin?: InputSource; stdout?: OutputSink; stderr?: OutputSink; env?: Map<string, string> }): Promise<number>;
}

export type CommandImplementation = (context: ProcessContext) => Promise<number>;

export function stringInput(text: string): InputSource {
  const lines = text.length ? text.replace(/\n$/, '').split('\n') : [];
  let index = 0;
  let consumed = false;
  return {
    async readLine() {
      if (consumed || index >= lines.length) return undefined;
      return lines[index++];
    },
    async readAll() {
      if (consumed) return '';
      consumed = true;
      const rest = lines.slice(index).join('\n');
      return rest && text.endsWith('\n') ? `${rest}\n` : rest;
    },
  };
}

export const emptyInput: InputSource = { readLine: async () => undefined, readAll: async () => '' };

/** Input written by a stream (exec -i, attach): lines arrive over time, `end()` is EOF. */
export interface StreamInput extends InputSource {
  push(text: string): void;
  end(): void;
}

export function streamInput(): StreamInput {
  let buffer = '';
  let ended = false;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  const wait = () => new Promise<void>((resolve) => waiters.push(resolve));
  return {
    push(text) {
      buffer += text.replace(/\r\n?/g, '\n');
      wake();
    },
    end() {
      ended = true;
      wake();
    },
    async readLine() {
      for (;;) {
        const newline = buffer.indexOf('\n');
        if (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          return line;
        }
        if (ended) {
          if (!buffer) return undefined;
          const line = buffer;
          buffer = '';
          return line;
        }
        await wait();
      }
    },
    async readAll() {
      while (!ended) await wait();
      const all = buffer;
      buffer = '';
      return all;
    },
  };
}

import type { KubeObject } from '../cluster-types.ts';
import type { PodSandbox } from '../network/cluster-network.ts';
import type { Timers } from '../workloads/timers.ts';
import { expandReferences } from './container-environment.ts';
import { createContainerFilesystem, type ContainerFilesystem, type Mount } from './container-filesystem.ts';
import { createFileTree } from './file-tree.ts';
import { imageBinaries, imageFiles, shellFlavor, type ResolvedImage } from './image-catalogue.ts';
import { emptyInput, ProcessKilled, streamInput, type ContainerHost, type InputSource, type Listener, type OutputSink, type PodNetwork, type StreamInput } from './process-types.ts';
import { createProgramRunner, lineSink } from './program-runner.ts';
import { ProgramNotFound } from './shell/shell-interpreter.ts';

/** How the main process ended, in the container status's terms. */
export interface MainExit {
  exitCode: number;
  reason: 'Completed' | 'Error' | 'OOMKilled' | 'StartError';
  message?: string;
}

/** A set of processes killed together: the main process, or one exec session. */
class ProcessGroup {
  killed: 'killed' | 'oom' | undefined;
  allocated = 0;
  private readonly listeners = new Set<(reason: 'killed' | 'oom') => void>();
  onKill(callback: (reason: 'killed' | 'oom') => void): () => void {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }
  kill(reason: 'killed' | 'oom'): void {
    if (this.killed) return;
    this.killed = reason;
    for (const listener of [...this.listeners]) listener(reason);
    this.listeners.clear();
  }
}

export interface ContainerSettings {
  secondMs: number;
  jobDurationMs: number;
  logIntervalMs: number;
}

export interface ContainerInstanceInput {
  id: string;
  pod: KubeObject;
  spec: any;
  image: ResolvedImage;
  env: Array<[string, string]>;
  mounts: Mount[];
  sandbox: PodSandbox;
  network: PodNetwork;
  memoryLimit: number;
  settings: () => ContainerSettings;
  timers: Timers;
  now: () => Date;
  /** a complete line of the container's output (stdout and stderr, as the log has them) */
  output: (line: string) => void;
  /** the memory limit was crossed by `program` (the kubelet records the node's OOM event) */
  onOom: (program: string) => void;
}

export interface ContainerInstance {
  id: string;
  fs: ContainerFilesystem;
  env: Map<string, string>;
  /** the attach stream's stdin when the container has `stdin: true` */
  stdin?: StreamInput;
  /** raw output as it is written (attach streams it) */
  readonly outputListeners: Set<(text: string) => void>;
  runMain(): Promise<MainExit>;
  /** runs a command next to the main process (kubectl exec, exec probes) */
  exec(argv: string[], io: { stdin: InputSource; stdout: OutputSink; stderr: OutputSink }, options?: { tty?: boolean }): { done: Promise<number>; kill: () => void };
  /** stops every process (liveness failure, pod deletion, image change) */
  kill(): void;
  memoryInUse(): number;
}

/** The argv a container runs: command/args from the spec over the image's ENTRYPOINT/CMD, `$(VAR)` expanded. */
export function containerArgv(spec: any, image: ResolvedImage, env: Map<string, string>): string[] {
  const definition = image.definition;
  const entry: string[] = spec.command ?? definition.entrypoint ?? [];
  const args: string[] = spec.command ? spec.args ?? [] : spec.args ?? definition.cmd ?? [];
  return [...entry, ...args].map((word) => expandReferences(String(word), (name) => env.get(name)));
}

/** What a main process that gets SIGTERM exits with: servers shut down cleanly, a shell as PID 1 ignores it. */
function terminationExitCode(argv: string[]): number {
  const program = (argv[0] ?? '').split('/').pop() ?? '';
  if (['nginx', 'redis-server', 'postgres', 'mysqld', 'httpd-foreground', 'docker-entrypoint.sh', 'envoy', 'http-echo'].includes(program)) return 0;
  if (['sh', 'bash', 'ash', 'dash', 'sleep', 'tail'].includes(program)) return 137;
  return 143;
}

function podFiles(pod: KubeObject, podIp: string): Record<string, string> {
  const namespace = pod.metadata.namespace ?? 'default';
  const hostname = pod.spec?.hostname ?? pod.metadata.name;
  return {
    'etc/hostname': `${hostname}\n`,
    'etc/hosts': `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${podIp}\t${hostname}\n`,
    'etc/resolv.conf': `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n`,
    'var/run/secrets/kubernetes.io/serviceaccount/namespace': namespace,
    'var/run/secrets/kubernetes.io/serviceaccount/token': `eyJhbGciOiJSUzI1NiIsImtpZCI6InNpbSJ9.${Buffer.from(JSON.stringify({ sub: `system:serviceaccount:${namespace}:${pod.spec?.serviceAccountName ?? 'default'}` })).toString('base64url')}.c2ltdWxhdGVk`,
    'var/run/secrets/kubernetes.io/serviceaccount/ca.crt': '-----BEGIN CERTIFICATE-----\nMIIBkube-sim-ca\n-----END CERTIFICATE-----\n',
  };
}

export function createContainerInstance(input: ContainerInstanceInput): ContainerInstance {
  const { spec, image, sandbox, timers } = input;
  const env = new Map(input.env);
  const fs = createContainerFilesystem({ base: [createFileTree(podFiles(input.pod, sandbox.ip)), imageFiles(image.definition)], mounts: input.mounts, now: input.now });
  const groups = new Set<ProcessGroup>();
  const outputListeners = new Set<(text: string) => void>();
  const ownedPorts = new Set<string>();
  let memory = 0;
  const binaries = imageBinaries(image.definition);
  const stdin = spec.stdin ? streamInput() : undefined;

  const log = lineSink(input.output);
  const mainOutput: OutputSink = (text) => {
    log.write(text);
    for (const listener of outputListeners) listener(text);
  };

  const release = (group: ProcessGroup) => {
    memory -= group.allocated;
    group.allocated = 0;
    groups.delete(group);
  };

  function hostFor(group: ProcessGroup, isMain: boolean): ContainerHost {
    const sleepMs = (ms: number) =>
      new Promise<void>((resolve, reject) => {
        if (group.killed) return reject(new ProcessKilled(group.killed));
        let cancel = () => {};
        const off = group.onKill((reason) => {
          cancel();
          reject(new ProcessKilled(reason));
        });
        cancel = timers.after(Math.min(ms, 2 ** 31 - 1), () => {
          off();
          resolve();
        });
      });
    const waitUntilKilled = () =>
      new Promise<never>((_resolve, reject) => {
        if (group.killed) return reject(new ProcessKilled(group.killed));
        group.onKill((reason) => reject(new ProcessKilled(reason)));
      });
    return {
      pod: input.pod,
      containerName: spec.name,
      spec,
      image,
      fs,
      binaries,
      shellFlavor: shellFlavor(image.definition.userland),
      network: input.network,
      podIp: sandbox.ip,
      now: input.now,
      get secondMs() {
        return input.settings().secondMs;
      },
      sleep: (seconds) => (Number.isFinite(seconds) ? sleepMs(seconds * input.settings().secondMs) : waitUntilKilled()),
      sleepMs,
      waitUntilKilled,
      listen(listener) {
        const key = `${listener.protocol}/${listener.port}`;
        if (sandbox.listeners.has(key)) return 'Address already in use';
        sandbox.listeners.set(key, { ...listener, container: spec.name } as Listener);
        ownedPorts.add(key);
        group.onKill(() => {
          if (sandbox.listeners.get(key)?.container === spec.name) sandbox.listeners.delete(key);
          ownedPorts.delete(key);
        });
        return undefined;
      },
      allocate(bytes, program) {
        group.allocated += bytes;
        memory += bytes;
        if (memory > input.memoryLimit) {
          input.onOom(program);
          // cgroup v2 with memory.oom.group: the whole container goes, not just the hog.
          for (const member of [...groups]) member.kill('oom');
          group.kill('oom');
          throw new ProcessKilled('oom');
        }
      },
      memoryLimit: input.memoryLimit,
      mainOutput,
      isMain,
      restartPolicy: input.pod.spec?.restartPolicy ?? 'Always',
      get jobDurationMs() {
        return input.settings().jobDurationMs;
      },
      periodicLog(next) {
        let tick = 0;
        const schedule = () => {
          if (group.killed) return;
          const cancel = timers.after(input.settings().logIntervalMs, () => {
            off();
            if (group.killed) return;
            const line = next(tick++, input.now());
            if (line) mainOutput(`${line}\n`);
            schedule();
          });
          const off = group.onKill(cancel);
        };
        schedule();
      },
    };
  }

  const cleanupPorts = () => {
    for (const key of ownedPorts) if (sandbox.listeners.get(key)?.container === spec.name) sandbox.listeners.delete(key);
    ownedPorts.clear();
  };

  return {
    id: input.id,
    fs,
    env,
    stdin,
    outputListeners,
    async runMain() {
      const group = new ProcessGroup();
      groups.add(group);
      const host = hostFor(group, true);
      const argv = containerArgv(spec, image, env);
      const cwd = spec.workingDir ?? image.definition.workingDir ?? '/';
      const run = createProgramRunner(host, { tty: Boolean(spec.tty) });
      try {
        if (argv.length === 0) throw new ProgramNotFound('', 'missing');
        const code = await run(argv, { stdin: stdin ?? emptyInput, stdout: mainOutput, stderr: mainOutput }, new Map(env), cwd);
        return { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' };
      } catch (error) {
        if (error instanceof ProgramNotFound) {
          const cause = error.kind === 'missing' ? (argv.length ? `exec: "${error.program}": executable file not found in $PATH` : 'exec: no command specified') : `exec: "${error.program}": permission denied`;
          return { exitCode: 128, reason: 'StartError', message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ${cause}: unknown` };
        }
        if (error instanceof ProcessKilled) {
          if (error.reason === 'oom' || group.killed === 'oom') return { exitCode: 137, reason: 'OOMKilled' };
          const exitCode = terminationExitCode(argv);
          return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' };
        }
        throw error;
      } finally {
        log.flush();
        group.kill('killed');
        release(group);
        cleanupPorts();
      }
    },
    exec(argv, io, options = {}) {
      const group = new ProcessGroup();
      groups.add(group);
      const host = hostFor(group, false);
      const run = createProgramRunner(host, { tty: options.tty });
      const done = (async () => {
        try {
          return await run(argv, io, new Map(env), spec.workingDir ?? image.definition.workingDir ?? '/');
        } catch (error) {
          if (error instanceof ProcessKilled) return 137;
          throw error;
        } finally {
          group.kill('killed');
          release(group);
        }
      })();
      return { done, kill: () => group.kill('killed') };
    },
    kill() {
      for (const group of [...groups]) group.kill('killed');
      stdin?.end();
    },
    memoryInUse: () => memory,
  };
}

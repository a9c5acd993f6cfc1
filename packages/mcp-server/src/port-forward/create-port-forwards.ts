/**
 * The port forwards an MCP server process owns: each is a `kubectl port-forward` bound to 127.0.0.1 only,
 * closed when its TTL runs out or when the server closes. One local port is held by one forward at a time.
 */
import type { CommandRunner, LongRunningProcess } from '../exec/command-runner.ts';
import { ToolInputError } from '../contract/errors.ts';

export interface PortPair {
  /** undefined: kubectl picks a free local port */
  local?: number;
  remote: number;
}

export interface PortForward {
  id: number;
  /** e.g. "pod/web" */
  target: string;
  namespace: string;
  /** local (on 127.0.0.1) and remote port of each forwarded pair, as kubectl reported them */
  forwarding: Array<{ local: number; remote: number }>;
  expiresAt: Date;
}

export interface StartPortForwardRequest {
  kubectlPath: string;
  kubeconfigPath?: string;
  /** the cluster (kubectl --context) */
  kubeContext?: string;
  /** with kubeContext: the API server loaded for it, pinned (--server) as on every kubectl call (see KubeInvocation.server) */
  kubeServer?: string;
  /** KUBECONFIG when the kubeconfig is several files */
  env?: Record<string, string>;
  /** the caller's identity when impersonating (kubectl --as / --as-group) */
  impersonation?: { user: string; groups: string[] };
  /** "pod/web", "service/web", "deployment/web": already validated names */
  target: string;
  namespace: string;
  ports: PortPair[];
  ttlMs: number;
  signal?: AbortSignal;
}

export interface PortForwards {
  start(request: StartPortForwardRequest): Promise<PortForward>;
  /** forwards still open */
  list(): PortForward[];
  /** stops every forward (server shutdown) */
  closeAll(): void;
}

export interface CreatePortForwardsOptions {
  runner: CommandRunner;
  /** how long kubectl may take to report "Forwarding from …" (default 15 s) */
  startTimeoutMs?: number;
}

/** The argv of a forward. `--address 127.0.0.1` is fixed: a forward must never be reachable from other machines. */
export function portForwardArgs(request: Pick<StartPortForwardRequest, 'kubeconfigPath' | 'kubeContext' | 'kubeServer' | 'impersonation' | 'target' | 'namespace' | 'ports'>): string[] {
  return [
    ...(request.kubeconfigPath && !request.kubeconfigPath.includes(':') ? ['--kubeconfig', request.kubeconfigPath] : []),
    ...(request.kubeContext ? ['--context', request.kubeContext] : []),
    ...(request.kubeContext && request.kubeServer ? [`--server=${request.kubeServer}`] : []),
    ...(request.impersonation ? [`--as=${request.impersonation.user}`, ...request.impersonation.groups.map((group) => `--as-group=${group}`)] : []),
    'port-forward',
    '--namespace',
    request.namespace,
    '--address',
    '127.0.0.1',
    request.target,
    ...request.ports.map((pair) => `${pair.local ?? ''}:${pair.remote}`),
  ];
}

const FORWARDING = /^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/;

export function createPortForwards(options: CreatePortForwardsOptions): PortForwards {
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const open = new Map<number, { forward: PortForward; child: LongRunningProcess }>();
  // Local ports claimed by a forward that is starting or open: checked before kubectl runs, so two calls can't race.
  const claimed = new Map<number, { id: number; label: string }>();
  let nextId = 1;

  async function start(request: StartPortForwardRequest): Promise<PortForward> {
    for (const pair of request.ports) {
      const holder = pair.local === undefined ? undefined : claimed.get(pair.local);
      if (holder) {
        throw new ToolInputError(`Local port ${pair.local} is already forwarded (${holder.label}).`, {
          hint: `pick another local port, or leave it out (':${pair.remote}') to let kubectl choose a free one`,
          code: 'CONFLICT',
        });
      }
    }
    const id = nextId++;
    const label = `${request.target} in namespace ${request.namespace}`;
    const ownPorts = request.ports.flatMap((pair) => (pair.local === undefined ? [] : [pair.local]));
    const release = (ports: number[]) => ports.forEach((port) => claimed.get(port)?.id === id && claimed.delete(port));
    for (const port of ownPorts) claimed.set(port, { id, label });

    const child = options.runner.start({ binary: request.kubectlPath, args: portForwardArgs(request), ...(request.env ? { env: request.env } : {}) });
    const forwarding: PortForward['forwarding'] = [];
    const errors: string[] = [];
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ToolInputError(`kubectl port-forward did not start within ${startTimeoutMs / 1000} s.`, { hint: 'check that the pod is running (k8s_get pods) and retry', code: 'TIMEOUT' })), startTimeoutMs);
      const done = () => clearTimeout(timer);
      request.signal?.addEventListener('abort', () => (done(), reject(new ToolInputError('The port forward was cancelled before it started.', { code: 'FAILED' }))), { once: true });
      child.onLine((line, stream) => {
        const match = FORWARDING.exec(line);
        if (match) {
          forwarding.push({ local: Number(match[1]), remote: Number(match[2]) });
          if (forwarding.length === request.ports.length) (done(), resolve());
        } else if (stream === 'stderr' && line.trim()) errors.push(line.trim());
      });
      void child.exited.then(({ exitCode }) => {
        done();
        const message = errors.slice(0, 4).join('\n') || `kubectl exited with code ${exitCode}`;
        reject(new ToolInputError(`kubectl port-forward ${label} stopped: ${message}`, { hint: hintFor(message), code: /not found/i.test(message) ? 'NOT_FOUND' : /in use|already/i.test(message) ? 'CONFLICT' : 'FAILED' }));
      });
    });
    try {
      await ready;
    } catch (error) {
      child.stop();
      release(ownPorts);
      throw error;
    }
    const forward: PortForward = { id, target: request.target, namespace: request.namespace, forwarding, expiresAt: new Date(Date.now() + request.ttlMs) };
    // kubectl chose the ports of ':remote' pairs; hold those too while the forward is open.
    for (const pair of forwarding) claimed.set(pair.local, { id, label });
    const ttl = setTimeout(() => child.stop(), request.ttlMs);
    // The TTL must not keep a finished server process alive.
    ttl.unref?.();
    open.set(id, { forward, child });
    void child.exited.then(() => {
      clearTimeout(ttl);
      open.delete(id);
      release([...ownPorts, ...forwarding.map((pair) => pair.local)]);
    });
    return forward;
  }

  return {
    start,
    list: () => [...open.values()].map((entry) => entry.forward),
    closeAll() {
      for (const entry of open.values()) entry.child.stop();
    },
  };
}

function hintFor(message: string): string {
  if (/not found/i.test(message)) return 'check the name and namespace with k8s_get';
  if (/in use|already/i.test(message)) return 'pick another local port, or leave it out to let kubectl choose one';
  if (/upgrading connection/i.test(message)) return 'the API server refused the forward stream: it may not serve pods/portforward, or RBAC denies it';
  if (/not running|pending/i.test(message)) return 'wait until the pod is Running (k8s_get pods), then retry';
  return 'check the target and ports, then retry';
}
